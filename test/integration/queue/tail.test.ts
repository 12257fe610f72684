import * as assert from 'node:assert/strict';
import { open, quit, type RedisClient } from '../../../src/core/connection';
import type { StreamEntry } from '../../../src/core/replies';
import { StreamTail, tailStream } from '../../../src/core/queue';
import { redisUrl, uniqueKey } from '../../support/integrationHooks';
import { sleep, waitFor } from './helpers';

describe('(integration) queue: tail', () => {
  let client: RedisClient;
  const tails: StreamTail[] = [];
  before(async () => (client = await open({ url: redisUrl() })));
  afterEach(() => tails.splice(0).forEach((t) => t.close()));
  after(() => quit(client));

  function tail(o: Partial<ConstructorParameters<typeof StreamTail>[0]> & { stream: string }): StreamTail {
    const t = tailStream({ connection: { url: redisUrl() }, blockMs: 1000, ...o });
    tails.push(t);
    return t;
  }

  /** Collects entries from a tail in the background. */
  function collect(t: StreamTail): { got: StreamEntry[]; done: Promise<void> } {
    const got: StreamEntry[] = [];
    const done = (async () => {
      for await (const e of t) got.push(e);
    })();
    return { got, done };
  }

  it('follows from $: only entries added after start, in order', async () => {
    const stream = uniqueKey('tail');
    await client.xadd(stream, '*', 'old', '1');
    const t = tail({ stream });
    await t.start();
    const { got, done } = collect(t);
    for (let i = 0; i < 5; i++) await client.xadd(stream, '*', 'n', String(i));
    await waitFor(() => got.length === 5, 5000, '5 entries');
    assert.deepEqual(got.map((e) => e.fields?.['n']), ['0', '1', '2', '3', '4']);
    t.close();
    await done;
  });

  it('$ on a missing stream starts at the beginning of what comes', async () => {
    const stream = uniqueKey('tailnew');
    const t = tail({ stream });
    await t.start();
    const { got } = collect(t);
    await client.xadd(stream, '*', 'n', 'first');
    await waitFor(() => got.length === 1, 5000, 'first entry');
  });

  it('follows from a given id (exclusive)', async () => {
    const stream = uniqueKey('tailid');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await client.xadd(stream, '*', 'n', String(i)))!);
    const t = tail({ stream, from: ids[1] });
    const { got } = collect(t);
    await waitFor(() => got.length === 3, 5000, '3 entries');
    assert.deepEqual(got.map((e) => e.id), ids.slice(2));
  });

  it('survives CLIENT KILL TYPE normal without losing or repeating entries', async () => {
    const stream = uniqueKey('tailkill');
    const t = tail({ stream, count: 10 });
    await t.start();
    const { got } = collect(t);
    const admin = await open({ url: redisUrl() });
    try {
      let n = 0;
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 25; i++) await client.xadd(stream, '*', 'n', String(n++));
        // Kill every normal client connection (the tail's blocking one among them), including our own.
        const killed = Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'normal'));
        assert.ok(killed >= 2, `killed ${killed} connections (the tail's among them)`);
        for (let i = 0; i < 25; i++) await client.xadd(stream, '*', 'n', String(n++));
      }
      await waitFor(() => got.length >= n, 15_000, `all ${n} entries (got ${got.length})`);
      await sleep(200);
      assert.equal(got.length, n, 'no repeats');
      assert.deepEqual(got.map((e) => Number(e.fields?.['n'])), Array.from({ length: n }, (_, i) => i));
    } finally {
      await quit(admin);
    }
  });

  it('close() mid-BLOCK ends the iteration promptly and is idempotent', async () => {
    const stream = uniqueKey('tailclose');
    const t = tail({ stream, blockMs: 0 }); // BLOCK 0: would wait forever
    const { done } = collect(t);
    await sleep(200);
    const started = Date.now();
    t.close();
    await done;
    assert.ok(Date.now() - started < 500, `ended in ${Date.now() - started} ms`);
    t.close();
    t.close();
    assert.deepEqual(await t.next(), { value: undefined, done: true });
  });

  it('breaking out of for-await closes the tail', async () => {
    const stream = uniqueKey('tailbreak');
    for (let i = 0; i < 3; i++) await client.xadd(stream, '*', 'n', String(i));
    const t = tail({ stream, from: '0' });
    let seen = 0;
    for await (const e of t) {
      void e;
      if (++seen === 2) break;
    }
    assert.deepEqual(await t.next(), { value: undefined, done: true });
  });

  it('bounded buffer, default "pause": reads no more than the buffer holds, loses nothing', async () => {
    const stream = uniqueKey('tailpause');
    for (let i = 0; i < 100; i++) await client.xadd(stream, '*', 'n', String(i));
    const t = tail({ stream, from: '0', bufferSize: 10, count: 4 });
    await t.start();
    await waitFor(() => t.buffered === 10, 5000, 'buffer full');
    await sleep(200);
    assert.equal(t.buffered, 10, 'stopped reading when full');
    const got: string[] = [];
    for await (const e of t) {
      got.push(String(e.fields?.['n']));
      assert.ok(t.buffered <= 10);
      if (got.length === 100) break;
    }
    assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => String(i)));
    assert.equal(t.dropped, 0);
  });

  it('bounded buffer, "dropOldest": keeps the newest, counts the dropped', async () => {
    const stream = uniqueKey('taildrop');
    for (let i = 0; i < 100; i++) await client.xadd(stream, '*', 'n', String(i));
    const t = tail({ stream, from: '0', bufferSize: 10, count: 50, overflow: 'dropOldest' });
    await t.start();
    await waitFor(() => t.dropped === 90, 5000, '90 dropped');
    assert.equal(t.buffered, 10);
    const first = await t.next();
    assert.equal(first.value?.fields?.['n'], '90');
  });

  it('a wrong key type ends the iteration with a readable error', async () => {
    const key = uniqueKey('tailwrong');
    await client.set(key, 'x');
    const t = tail({ stream: key, from: '0' });
    await assert.rejects(t.next(), (e: Error & { code?: string }) => e.code === 'WRONGTYPE');
  });
});
