// Driving the real Celery (Debian's python3-celery, run with /usr/bin/python3) from the tests: its
// producer, kombu's own reports, its worker (started, and SIGKILLed while it holds tasks).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { RedisClient } from '../../src/core/redis/connection';

/** The fixtures' folder (test/fixtures/frameworks/celery), from out/test/support/. */
export const CELERY_FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'frameworks', 'celery');
const PY = '/usr/bin/python3';

/** Runs a fixture script and parses the JSON it prints. */
export function celeryPy<T>(script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(PY, [join(CELERY_FIXTURES, script), ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${script}: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as T);
    });
  });
}

/** One task to send with apply_async (see produce.py); `{bigint: '…'}` for a big integer. */
export interface SendSpec {
  task: string;
  queue: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  countdown?: number;
  priority?: number;
  task_id?: string;
}

/** Sends with Celery's own apply_async; the AsyncResult ids in order. */
export async function celerySend(url: string, specs: SendSpec[], tmpDir: string): Promise<Array<{ id: string; task: string; queue: string }>> {
  const { writeFile, mkdir } = await import('node:fs/promises');
  await mkdir(tmpDir, { recursive: true });
  const file = join(tmpDir, `spec-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(specs));
  return celeryPy('produce.py', [url, file]);
}

export interface KombuMessage {
  id: string;
  task: string;
  argsrepr: string;
  kwargsrepr: string;
  eta: string | null;
  retries: number;
  body: string;
  raw: string;
  redelivered: boolean | null;
  priority: number;
}

/** What kombu and Celery report (report.py). */
export interface KombuReport {
  sizes: Record<string, number>;
  declared: Record<string, number | string>;
  waiting: Record<string, Array<KombuMessage & { list: string }>>;
  unacked: Array<KombuMessage & { tag: string; exchange: string; routing_key: string; delivered: number }>;
  results: Record<string, { status: string; result: unknown; traceback: string | null }>;
}

export function kombuReport(url: string, queues: string[], ids: string[] = []): Promise<KombuReport> {
  return celeryPy('report.py', [url, queues.join(','), ids.join(',')]);
}

/** A real Celery worker (threads pool, one thread, so that it keeps prefetching while a task runs). */
export function startCeleryWorker(url: string, queue: string, prefetch: number, visibilityTimeout = 3600): ChildProcess {
  const p = spawn(PY, ['-m', 'celery', '-A', 'fxtasks', 'worker', '--pool=threads', '--concurrency=1', '-Q', queue, `--prefetch-multiplier=${prefetch}`, '-l', process.env.CELERY_FX_LOG ?? 'warning', '--without-mingle'], {
    cwd: CELERY_FIXTURES,
    env: { ...process.env, CELERY_FX_URL: url, CELERY_FX_VT: String(visibilityTimeout) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  p.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  (p as ChildProcess & { errText: () => string }).errText = () => err;
  return p;
}

/** SIGKILLs a worker and waits for it to be gone. */
export async function killWorker(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await gone;
}

/** The task ids of the unacked entries whose routing key is `queue`. */
export async function unackedOf(client: RedisClient, queue: string): Promise<string[]> {
  const h = await client.hgetall('unacked');
  const out: string[] = [];
  for (const v of Object.values(h)) {
    try {
      const e = JSON.parse(v) as [{ headers?: { id?: string } }, string, string];
      if (e[2] === queue) out.push(String(e[0].headers?.id));
    } catch {
      /* not kombu's */
    }
  }
  return out.sort();
}

/** The runs the fixture tasks recorded for a queue. */
export async function runsOf(client: RedisClient, queue: string): Promise<Array<{ id: string; raw: string }>> {
  return (await client.lrange(`celery-fx-runs:${queue}`, 0, -1)).map((raw) => ({ id: (JSON.parse(raw) as { id: string }).id, raw }));
}
