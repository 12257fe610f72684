// Shared pieces of the fault suite: a seeded PRNG, a publisher that remembers only acknowledged
// publishes, the handler-log reader and the checker, and helpers that find and kill a worker's
// connections by client name.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { open, quit, type IoRedisClient, type RedisClient } from '../../src/core/redis/connection';
import { StreamProducer } from '../../src/core/queue';
import { startSandbox, type Persistence, type Sandbox } from '../../src/core/dev/sandbox';

export { sleep, spawnCrashWorker, waitFor, type WorkerProcess } from '../integration/queue/helpers';

/** Seed of the suite's PRNG: FAULT_SEED, else a fixed one so a run can be repeated. */
export const SEED = Number(process.env.FAULT_SEED ?? 20240607);

/** mulberry32: a small seeded PRNG; `next()` in [0, 1). */
export function prng(seed: number): { next(): number; int(min: number, max: number): number } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}

/** A throwaway target server plus an admin connection to it. */
export async function target(persistence: Persistence = 'none'): Promise<{ server: Sandbox; admin: IoRedisClient; close(): Promise<void> }> {
  const server = await startSandbox({ persistence });
  const admin = await open({ url: server.url });
  return {
    server,
    admin,
    close: async () => {
      await quit(admin);
      await server.stop();
    },
  };
}

/** Publishes numbered messages (`n`); only publishes Redis acknowledged are remembered. */
export class Publisher {
  /** n → stream id, acknowledged publishes only. */
  readonly acked = new Map<string, string>();
  failures = 0;
  private n = 0;
  readonly producer: StreamProducer;
  constructor(client: RedisClient, stream: string) {
    this.producer = new StreamProducer(client, { stream, chunkSize: 100 });
  }
  /** Publishes `count` messages; false (and nothing remembered) if Redis did not acknowledge. */
  async publish(count: number): Promise<boolean> {
    const batch = Array.from({ length: count }, () => ({ n: String(this.n++) }));
    try {
      const ids = await this.producer.publishBatch(batch);
      batch.forEach((m, i) => this.acked.set(m.n, ids[i]!));
      return true;
    } catch {
      this.failures++;
      return false;
    }
  }
}

/** One handler run, as the fixture logs it with LOG_DETAIL=1. */
export interface LogRecord {
  n: string;
  consumer: string;
  start: number;
  end: number;
  deliveries: number;
}

/** Reads the handler log (`n|consumer|start|end|deliveries` lines). */
export async function readLog(client: RedisClient, key: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  const len = await client.llen(key);
  for (let i = 0; i < len; i += 5000) {
    for (const line of await client.lrange(key, i, Math.min(len, i + 5000) - 1)) {
      const [n, consumer, start, end, deliveries] = line.split('|');
      out.push({ n: n!, consumer: consumer ?? '', start: Number(start), end: Number(end), deliveries: Number(deliveries ?? 1) });
    }
  }
  return out;
}

export interface Check {
  /** Acknowledged publishes. */
  messages: number;
  /** Handler runs. */
  runs: number;
  /** Acknowledged publishes never processed. */
  lost: string[];
  /** Handler runs beyond the first, per message. */
  duplicates: number;
  /** Messages handled more than once. */
  duplicated: string[];
}

/** The at-least-once checker: every acknowledged `n` must appear in the log; counts duplicates. */
export function check(acked: Iterable<string>, records: LogRecord[], exclude: Set<string> = new Set()): Check {
  const seen = new Map<string, number>();
  for (const r of records) seen.set(r.n, (seen.get(r.n) ?? 0) + 1);
  const lost: string[] = [];
  let messages = 0;
  for (const n of acked) {
    if (exclude.has(n)) continue;
    messages++;
    if (!seen.has(n)) lost.push(n);
  }
  const duplicated = [...seen].filter(([, c]) => c > 1).map(([n]) => n);
  return { messages, runs: records.length, lost, duplicates: records.length - seen.size, duplicated };
}

/** Ids pending in `group`, per consumer (or for one consumer), from extended XPENDING. */
export async function pendingIds(client: RedisClient, stream: string, group: string, consumer?: string): Promise<string[]> {
  const args: (string | number)[] = [stream, group, '-', '+', 100_000];
  if (consumer) args.push(consumer);
  const raw = (await client.call('XPENDING', ...args)) as [string, string, number, number][];
  return raw.map((p) => String(p[0]));
}

/** The first time (ms) after `after` at which each of `ns` was handled; the largest of them, minus `after`. */
export function recoveryMs(ns: Iterable<string>, records: LogRecord[], after: number): number | undefined {
  let worst = 0;
  for (const n of ns) {
    const first = records.filter((r) => r.n === n && r.start >= after).reduce((m, r) => Math.min(m, r.end), Infinity);
    if (first === Infinity) return undefined;
    worst = Math.max(worst, first - after);
  }
  return worst;
}

/** CLIENT LIST entries whose name starts with `prefix` (the core names connections `<clientName>:<purpose>`). */
export async function clientsNamed(admin: RedisClient, prefix: string): Promise<{ id: string; name: string; cmd: string }[]> {
  const text = String(await admin.call('CLIENT', 'LIST'));
  return text
    .split('\n')
    .map((line) => Object.fromEntries(line.trim().split(' ').map((kv) => kv.split('=') as [string, string])))
    .filter((c) => typeof c['name'] === 'string' && c['name'].startsWith(prefix))
    .map((c) => ({ id: c['id']!, name: c['name']!, cmd: c['cmd'] ?? '' }));
}

/** CLIENT KILL ID of every connection named `<prefix>...`; returns how many were killed. */
export async function killClients(admin: RedisClient, prefix: string): Promise<number> {
  let n = 0;
  for (const c of await clientsNamed(admin, prefix)) {
    try {
      n += Number(await admin.call('CLIENT', 'KILL', 'ID', c.id));
    } catch {
      /* already gone */
    }
  }
  return n;
}

/** Waits (polling every 150 ms, at most `timeoutMs`) until every acknowledged publish is in the log and the group has nothing pending. */
export async function drained(admin: RedisClient, logClient: RedisClient, logKey: string, stream: string, group: string, acked: Iterable<string>, timeoutMs = 30_000): Promise<void> {
  const want = new Set(acked);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await logClient.llen(logKey)) >= want.size) {
      const seen = new Set((await readLog(logClient, logKey)).map((r) => r.n));
      let missing = 0;
      for (const n of want) if (!seen.has(n)) missing++;
      const pending = missing === 0 ? (await pendingIds(admin, stream, group)).length : -1;
      if (pending === 0) return;
      if (Date.now() > deadline) throw new Error(`not drained after ${timeoutMs} ms: ${missing} acknowledged publishes not processed, ${pending} pending`);
    } else if (Date.now() > deadline) {
      throw new Error(`not drained after ${timeoutMs} ms: log has ${await logClient.llen(logKey)} of ${want.size}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

export const fmtMs = (ms: number | undefined): string => (ms === undefined ? 'n/a' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

/** A child process of a fault test: its output so far, and a wait for a line it prints. */
export interface Child {
  proc: ChildProcess;
  output(): string;
  /** Resolves once the output matches `re` (rejects if the child exits first). */
  printed(re: RegExp): Promise<RegExpExecArray>;
  readonly exited: Promise<number | string>;
}

/** Starts `node <fixture>` (a compiled file under test/faults/fixtures/) with `env` added. */
export function spawnChild(fixture: string, env: Record<string, string>): Child {
  const proc = spawn(process.execPath, [join(__dirname, 'fixtures', fixture)], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const waiters: (() => void)[] = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | string>((r) => proc.once('exit', (code, sig) => r(code ?? sig ?? -1)));
  let gone = false;
  void exited.then(() => {
    gone = true;
    for (const w of waiters.splice(0)) w();
  });
  const printed = (re: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = re.exec(out);
        if (m) resolve(m);
        else if (gone) reject(new Error(`child exited without printing ${re}: ${out}`));
        else waiters.push(check);
      };
      check();
    });
  return { proc, output: () => out, printed, exited };
}

/** How a child run by {@link startThenKill} ended: its output, whether it printed `done`, and how long that took after `go` (-1 if it did not). */
export interface KilledRun {
  output: string;
  completed: boolean;
  ms: number;
}

/**
 * The fault children's protocol (their side: fixtures/child.ts): wait for `ready`, send `go`, SIGKILL the child `killAfterMs`
 * after (never, if undefined), wait for it to end. A run without a kill must exit 0; a killed
 * one may also have finished first (exit 0).
 */
export async function startThenKill(child: Child, killAfterMs?: number, ready = /^ready$/m): Promise<KilledRun> {
  await child.printed(ready);
  const go = performance.now();
  child.proc.stdin!.write('go\n');
  let ms = -1;
  void child.printed(/^done /m).then(
    () => (ms = performance.now() - go),
    () => undefined,
  );
  // The kill delay is the experiment's input (seeded), not a wait for something to happen.
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.proc.kill('SIGKILL'), killAfterMs);
  const code = await child.exited;
  clearTimeout(timer);
  if (killAfterMs === undefined && code !== 0) throw new Error(`child ended with ${code}: ${child.output()}`);
  if (killAfterMs !== undefined && code !== 'SIGKILL' && code !== 0) throw new Error(`child ended with ${code}: ${child.output()}`);
  const output = child.output();
  return { output, completed: /^done /m.test(output), ms };
}
