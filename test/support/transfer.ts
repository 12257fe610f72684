// What the transfer tests share (test/integration/transfer.test.ts, transferCli.test.ts): where
// the built CLI and the tests' scratch folder are, and running the CLI (`redis-queues export` /
// `import`) to its end, or as a child process to pipe, with its exit code and output; a client
// for the suite with a stream's writer and whole reader.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { type RawFields } from '../../src/core/messages/message';
import { type StreamEntry, parseEntries } from '../../src/core/redis/replies';
import { redisUrl } from './integrationHooks';

const root = join(__dirname, '..', '..', '..');
export const CLI = join(root, 'dist', 'cli.js');
export const tmpRoot = join(root, '.test-output');

export function lines(s: string): string[] {
  return s.split('\n').filter((l) => l.length > 0);
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function spawnCli(args: string[], url: string): ChildProcess {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REDIS_')));
  return spawn(process.execPath, [CLI, ...args, '--url', url], { cwd: root, env: clean, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function finished(child: ChildProcess, timeoutMs = 30_000): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** Runs the CLI to its end with `stdin` (or nothing) on its standard input. */
export function cli(args: string[], stdin?: Buffer | string, url = redisUrl()): Promise<Run> {
  const child = spawnCli(args, url);
  const done = finished(child);
  child.stdin!.end(stdin ?? '');
  return done;
}

/**
 * A client for the calling suite (opened in its `before`, closed in its `after`), with `fill` (XADD
 * each message, with the given ids or `*`; returns the ids) and `all` (the stream, whole).
 */
export function streamClient(): { client: () => Redis; fill: (key: string, messages: RawFields[], ids?: string[]) => Promise<string[]>; all: (key: string) => Promise<StreamEntry[]> } {
  let client: Redis;
  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
  });
  after(() => quit(client));
  return {
    client: () => client,
    async fill(key, messages, ids) {
      const out: string[] = [];
      for (const [i, m] of messages.entries()) out.push(String(await client.callBuffer('XADD', key, ids?.[i] ?? '*', ...m)));
      return out;
    },
    async all(key) {
      return parseEntries(await client.xrangeBuffer(key, '-', '+'));
    },
  };
}
