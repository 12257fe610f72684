// Replay streams its plan (issue 21): dead-letter records of megabytes are read in pages sized by
// bytes and replayed page by page, so no XRANGE reply and no client heap holds more than a few
// MB; a dead-letter stream that does not exist is an error, not "replayed 0"; a replay cut off by
// a server that stopped lists what it had replayed before the error.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type Redis from 'ioredis';
import { type RedisClient, open, quit } from '../../src/core/redis/connection';
import { NoStreamError } from '../../src/core/redis/missing';
import { deadLetterEntry, replay } from '../../src/core/ops';
import { startSandbox } from '../../src/core/dev/sandbox';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

const root = join(__dirname, '..', '..', '..');
const CLI = join(root, 'dist', 'cli.js');

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function cli(args: string[], url = redisUrl()): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REDIS_')));
  const child = spawn(process.execPath, [CLI, ...args, '--url', url], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Dead-letters `n` messages of `size` bytes from `stream` (deleted from it) into `stream:dlq`. */
async function deadLetters(client: Redis, stream: string, n: number, size: number): Promise<void> {
  await client.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
  for (let i = 0; i < n; i++) {
    const id = String(await client.xadd(stream, '*', 'i', String(i), 'pad', Buffer.alloc(size, 97 + (i % 26))));
    await client.xreadgroupBuffer('GROUP', 'g', 'c', 'COUNT', 1, 'STREAMS', stream, '>');
    assert.ok(await deadLetterEntry({ client }, { stream, group: 'g', id, error: 'boom', deleteFromSource: true }));
  }
}

/** Byte size of an XRANGE reply (ids, names, values). */
function replyBytes(reply: unknown): number {
  if (Buffer.isBuffer(reply)) return reply.length;
  if (typeof reply === 'string') return reply.length;
  if (Array.isArray(reply)) return reply.reduce((n: number, x) => n + replyBytes(x), 0);
  return 0;
}

describe('(integration) replay holds about a page', function () {
  this.timeout(120_000);
  let client: Redis;
  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
  });
  after(() => quit(client));

  it('40 records of 3 MB: every XRANGE reply stays under 4 MB and the live heap under 40 MB; all replayed, byte for byte', async () => {
    const s = uniqueKey('big');
    const SIZE = 3 * 2 ** 20;
    await deadLetters(client, s, 40, SIZE);
    // The replay's own connection, whose XRANGE replies are weighed; the live memory (heap and
    // Buffers, after a full GC) is sampled at each read.
    const measured = (await open({ url: redisUrl() })) as Redis;
    let largest = 0;
    let peakLive = 0;
    gc();
    const base = process.memoryUsage();
    const baseline = base.heapUsed + base.arrayBuffers;
    const sample = () => {
      gc();
      const m = process.memoryUsage();
      peakLive = Math.max(peakLive, m.heapUsed + m.arrayBuffers - baseline);
    };
    const weighed = new Proxy(measured, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'xrangeBuffer' || prop === 'xrevrangeBuffer') {
          return async (...a: unknown[]) => {
            sample();
            const r = await (v as (...x: unknown[]) => Promise<unknown>).apply(target, a);
            largest = Math.max(largest, replyBytes(r));
            return r;
          };
        }
        if (prop === 'callBuffer') {
          return async (cmd: string, ...a: unknown[]) => {
            const r = await (v as (...x: unknown[]) => Promise<unknown>).call(target, cmd, ...a);
            if (/^XRANGE$/i.test(cmd)) largest = Math.max(largest, replyBytes(r));
            return r;
          };
        }
        return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
      },
    }) as unknown as RedisClient;
    try {
      const r = await replay({ client: weighed }, `${s}:dlq`, { ratePerSecond: 10_000 });
      assert.equal(r.replayed.length, 40);
    } finally {
      await quit(measured);
    }
    console.log(`      largest XRANGE reply ${(largest / 2 ** 20).toFixed(2)} MB, peak live memory above baseline ${(peakLive / 2 ** 20).toFixed(1)} MB`);
    assert.ok(largest < 4 * 2 ** 20, `largest reply ${largest}`);
    assert.ok(peakLive < 40 * 2 ** 20, `peak live ${peakLive}`);
    assert.equal(await client.xlen(`${s}:dlq`), 0);
    const back = await client.xrangeBuffer(s, '-', '+', 'COUNT', 1);
    assert.equal(back[0]![1][3]!.length, SIZE);
    await client.del(s);
  });

  it('replay of a dead-letter stream that does not exist: NoStreamError; the CLI exits 1 (dry run too)', async () => {
    const nosuch = uniqueKey('nosuch');
    await assert.rejects(replay({ client }, nosuch), NoStreamError);
    for (const extra of [[], ['--dry-run']]) {
      const r = await cli(['replay', nosuch, ...extra]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /No dead-letter stream ".*": the key does not exist/);
      assert.doesNotMatch(r.stdout, /replayed 0/);
    }
  });

  it('a replay cut off by a server that stopped lists what it had replayed (old -> new ids) before the error, exit 1', async () => {
    const box = await startSandbox();
    const c = (await open({ url: box.url })) as Redis;
    try {
      const s = 'orders';
      await deadLetters(c, s, 30, 10);
      const child = spawn(process.execPath, [CLI, 'replay', `${s}:dlq`, '--rate', '20', '--url', box.url], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
      // Once some are back in the stream, the server goes.
      while ((await c.xlen(s)) < 5) await c.ping();
      await quit(c);
      await box.kill('SIGKILL');
      const code = await closed;
      assert.equal(code, 1, stdout + stderr);
      const listed = [...stdout.matchAll(/^replayed (\S+) -> orders (\S+)$/gm)];
      assert.ok(listed.length >= 5, stdout);
      assert.match(stdout, new RegExp(`^replayed ${listed.length} from orders:dlq before the replay was cut off`, 'm'));
      assert.match(stderr, new RegExp(`replay cut off after ${listed.length} replayed: ${listed[0]![1]} -> ${listed[0]![2]}`));
    } finally {
      await box.stop();
    }
  });
});
