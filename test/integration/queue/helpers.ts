// Small helpers shared by the queue integration tests.
import type { RedisClient } from '../../../src/core/connection';
import { parsePendingSummary } from '../../../src/core/replies';

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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
