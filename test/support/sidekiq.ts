// Driving the real Sidekiq (Debian's ruby-sidekiq 6.4.1) from the tests: its client API through
// test/fixtures/frameworks/sidekiq/seed.rb, its API's view through report.rb, and real `sidekiq`
// processes running the fixtures' TestJob.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** The Ruby fixtures' folder (from out/test/support/). */
export const SIDEKIQ_FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'frameworks', 'sidekiq');
const RUBY = '/usr/bin/ruby';
const SIDEKIQ = '/usr/bin/sidekiq';

function ruby(script: string, args: string[], url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(RUBY, [join(SIDEKIQ_FIXTURES, script), ...args], { env: { ...process.env, REDIS_URL: url }, maxBuffer: 64 * 2 ** 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${script}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** What seed.rb takes: jobs put through Sidekiq's client API. */
export type SeedItem =
  | { via: 'push'; job: Record<string, unknown> }
  | { via: 'async'; args: unknown[]; opts?: Record<string, unknown> }
  | { via: 'in'; seconds: number; args: unknown[]; opts?: Record<string, unknown> };

/**
 * Pushes jobs with Sidekiq's own client; their jids in order. `raw` replaces JSON string values in
 * the items' text by raw JSON text (numbers JS cannot hold: `{ '"__BIG__"': '12345678901234567890123' }`).
 */
export async function sidekiqSeed(url: string, items: SeedItem[], raw: Record<string, string> = {}): Promise<string[]> {
  let text = JSON.stringify(items);
  for (const [from, to] of Object.entries(raw)) text = text.split(from).join(to);
  return JSON.parse(await ruby('seed.rb', [text], url)) as string[];
}

export interface ApiRecord {
  jid: string;
  klass: string;
  display_class: string;
  display_args: string;
  queue: string;
  enqueued_at: number | null;
  created_at: number | null;
  error_class: string | null;
  error_message: string | null;
  error_backtrace: string[] | null;
  retry_count: number | null;
  failed_at: number | null;
  retried_at: number | null;
  value: string;
  score?: number;
  at?: number;
}
/** What report.rb prints: Sidekiq's API's own answers. */
export interface SidekiqReport {
  stats: Record<'processed' | 'failed' | 'scheduled_size' | 'retry_size' | 'dead_size' | 'processes_size' | 'workers_size' | 'enqueued', number>;
  queues: { name: string; size: number; latency: number; jobs: ApiRecord[] }[];
  sets: Record<'schedule' | 'retry' | 'dead', { size: number; entries: ApiRecord[] }>;
  workers: { size: number; entries: { process: string; thread: string; queue: string; run_at: number; jid: string }[] };
  processes: { identity: string; busy: number; beat: number; quiet: string; stopping: boolean }[];
  now: number;
}

/** What Sidekiq's API reports now. */
export async function sidekiqReport(url: string): Promise<SidekiqReport> {
  return JSON.parse(await ruby('report.rb', [], url)) as SidekiqReport;
}

/** A real `sidekiq` process running TestJob from `queues` (shutdown timeout 1 s). */
export function startSidekiq(url: string, queues: string[], concurrency = 5): { proc: ChildProcess; output(): string; stop(): Promise<void> } {
  const proc = spawn(SIDEKIQ, ['-r', join(SIDEKIQ_FIXTURES, 'worker.rb'), ...queues.flatMap((q) => ['-q', q]), '-c', String(concurrency), '-t', '1'], {
    env: { ...process.env, REDIS_URL: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}
