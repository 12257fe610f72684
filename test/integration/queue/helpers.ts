// Small helpers shared by the queue integration tests.
import { open, quit, type IoRedisClient, type RedisClient } from '../../../src/core/redis/connection';
import { StreamWorker, type StreamWorkerOptions } from '../../../src/core/queue';
import { parsePendingSummary } from '../../../src/core/redis/replies';
import { redisUrl } from '../../support/integrationHooks';
import { until } from '../../support/until';

/** {@link until} with the timeout first and `what` optional, as the queue suites call it. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  await until(what, check, timeoutMs);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** CLIENT LIST lines of the connections named `name` (exactly). */
export async function clientLines(client: RedisClient, name: string): Promise<string[]> {
  return String(await client.call('CLIENT', 'LIST'))
    .split('\n')
    .filter((l) => l.includes(` name=${name} `));
}

/** Whether a CLIENT LIST line is blocked (flag `b`) in `cmd` (e.g. xread, xreadgroup). */
export function blockedIn(line: string, cmd: string): boolean {
  return /\bflags=\S*b/.test(line) && new RegExp(`\\bcmd=${cmd}\\b`).test(line);
}

/**
 * Waits until the connection named `name` (a `clientName` plus its purpose suffix, e.g.
 * `t1:blocking`) is blocked on the server in `cmd`: the state in which a blocking reader waits.
 */
export async function waitBlocked(client: RedisClient, name: string, cmd: string, timeoutMs = 10_000): Promise<void> {
  await waitFor(async () => (await clientLines(client, name)).some((l) => blockedIn(l, cmd)), timeoutMs, `${name} blocked in ${cmd.toUpperCase()}`);
}

/**
 * Reads `read` (which makes a server round trip, e.g. a query or a PING before looking at a
 * worker's counters) until two reads in a row agree, so that whatever the code under test had
 * sent to the server by one read has been answered by the next: the value once it stopped changing.
 */
export async function settled<T>(read: () => Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  let last = JSON.stringify(await read());
  let value: T | undefined;
  await waitFor(async () => {
    value = await read();
    const now = JSON.stringify(value);
    const same = now === last;
    last = now;
    return same;
  }, timeoutMs, `${what} to stop changing`);
  return value as T;
}

/**
 * Mocha hooks of a stream-worker suite: a command client (`suite.client`, open from `before` on)
 * and `suite.worker(o)`, which starts nothing but stops every worker it made after each test.
 */
export function workerSuite(blockMs: number): { readonly client: IoRedisClient; worker(o: Omit<StreamWorkerOptions, 'connection'> & { url?: string; clientName?: string }): StreamWorker } {
  let client: IoRedisClient | undefined;
  const workers: StreamWorker[] = [];
  before(async () => (client = await open({ url: redisUrl() })));
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });
  after(() => quit(client!));
  return {
    get client() {
      return client!;
    },
    worker(o) {
      const { url, clientName, ...rest } = o;
      const w = new StreamWorker({ connection: { url: url ?? redisUrl(), clientName }, blockMs, ...rest });
      workers.push(w);
      return w;
    },
  };
}

/** XPENDING summary count of a group. */
export async function pendingCount(client: RedisClient, stream: string, group: string): Promise<number> {
  return parsePendingSummary(await client.xpending(stream, group)).count;
}

/** A running fixtures/crashWorker.js child process. */
export interface WorkerProcess {
  readonly child: import('node:child_process').ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or signal) once it has exited. */
  readonly exited: Promise<number | string>;
  /** Sends `signal` and waits (up to `timeoutMs`, then SIGKILL) until it has exited. */
  kill(signal: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

/**
 * Starts fixtures/crashWorker.js (compiled, next to this file under out/) with `env` added to the
 * environment and waits until it prints "ready". See the fixture's header for the variables.
 */
export async function spawnCrashWorker(env: Record<string, string | number | undefined>, readyTimeoutMs = 10_000): Promise<WorkerProcess> {
  const { spawn } = await import('node:child_process');
  const { join } = await import('node:path');
  const extra = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
  const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'crashWorker.js')], { env: { ...process.env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | string>((r) => child.once('exit', (code, sig) => r(code ?? sig ?? -1)));
  let gone = false;
  void exited.then(() => (gone = true));
  const kill = async (signal: NodeJS.Signals, timeoutMs = 15_000) => {
    if (!gone) child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(t);
    }
  };
  try {
    await waitFor(() => out.includes('ready') || gone, readyTimeoutMs, 'worker process ready');
    if (!out.includes('ready')) throw new Error(`worker process exited before ready: ${out}`);
  } catch (e) {
    await kill('SIGKILL');
    throw e;
  }
  return { child, output: () => out, exited, kill };
}
