import * as assert from 'node:assert/strict';
import { open, quit, type IoRedisClient } from '../../../src/core/redis/connection';
import type { StreamEntry } from '../../../src/core/redis/replies';
import { serverCapabilities } from '../../../src/core/redis/server';
import { LiveTail, StreamTail, tailStream, type LiveTailOptions } from '../../../src/core/queue';
import { redisUrl, uniqueKey } from '../../support/integrationHooks';
import { settled, waitBlocked, waitFor } from './helpers';

describe('(integration) queue: tail', () => {
  let client: IoRedisClient;
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
      // A last entry as a barrier: the tail reads in id order, so a repeat of anything before it
      // would come before it.
      await client.xadd(stream, '*', 'n', 'end');
      await waitFor(() => got.some((e) => e.fields?.['n'] === 'end'), 15_000, `all ${n} entries and the barrier (got ${got.length})`);
      assert.equal(got.pop()!.fields?.['n'], 'end');
      assert.equal(got.length, n, 'no repeats');
      assert.deepEqual(got.map((e) => Number(e.fields?.['n'])), Array.from({ length: n }, (_, i) => i));
    } finally {
      await quit(admin);
    }
  });

  it('close() mid-BLOCK ends the iteration promptly and is idempotent', async () => {
    const stream = uniqueKey('tailclose');
    const t = tail({ stream, blockMs: 0, connection: { url: redisUrl(), clientName: stream } }); // BLOCK 0: would wait forever
    const { done } = collect(t);
    await waitBlocked(client, `${stream}:blocking`, 'xread');
    t.close();
    await done; // (BLOCK 0 never ends by itself: only close() can have ended it)
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
    const tenth = (await client.xrange(stream, '-', '+', 'COUNT', 10))[9]![0];
    assert.deepEqual(await settled(async () => (await client.ping(), [t.buffered, t.lastSeenId]), 'what the tail read'), [10, tenth], 'stopped reading when full');
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

describe('(integration) queue: live tail (newest first when behind)', () => {
  let client: IoRedisClient;
  const tails: LiveTail[] = [];
  before(async () => (client = await open({ url: redisUrl() })));
  afterEach(() => tails.splice(0).forEach((t) => t.close()));
  after(() => quit(client));

  function live(o: Partial<LiveTailOptions> & { stream: string }): LiveTail {
    const t = new LiveTail({ connection: { url: redisUrl() }, blockMs: 1000, ...o });
    tails.push(t);
    return t;
  }

  async function publish(stream: string, from: number, n: number): Promise<string[]> {
    const p = client.pipeline();
    for (let i = from; i < from + n; i++) p.xadd(stream, '*', 'n', String(i));
    return ((await p.exec()) ?? []).map(([e, id]) => {
      if (e) throw e;
      return String(id);
    });
  }

  it('reads nothing until asked, then returns the newest and counts what it passed over (exactly on 7.0+; from lengths, marked "at least", before)', async () => {
    const stream = uniqueKey('live');
    await client.xadd(stream, '*', 'n', 'before');
    const t = live({ stream });
    await t.start();
    const ids = await publish(stream, 0, 1000);
    const r = await t.read(100);
    assert.deepEqual(r!.entries.map((e) => e.id), ids.slice(900), 'the newest 100, oldest first');
    assert.equal(r!.skipped, 900);
    const exact = (await serverCapabilities(client)).lag; // entries-added came with 7.0
    assert.deepEqual([t.returned, t.skipped, t.arrived, t.skippedExact], [100, 900, 1000, exact]);
    // Caught up: the next entries come without a gap.
    const more = await publish(stream, 1000, 5);
    const r2 = await t.read(100);
    assert.deepEqual(r2!.entries.map((e) => e.fields?.['n']), ['1000', '1001', '1002', '1003', '1004']);
    assert.equal(r2!.skipped, 0);
    assert.equal(t.lastReturnedId, more[4]);
    assert.equal(t.arrived, 1005);
  });

  it('backlog() counts what arrived without reading it', async () => {
    const stream = uniqueKey('liveback');
    await client.xadd(stream, '*', 'n', 'before');
    const t = live({ stream });
    await t.start();
    assert.equal(await t.backlog(), 0);
    await publish(stream, 0, 700);
    assert.equal(await t.backlog(), 700);
    assert.equal(t.returned, 0, 'nothing read');
    const r = await t.read(200);
    assert.deepEqual([r!.entries.length, r!.skipped, await t.backlog()], [200, 500, 0]);
    const other = live({ stream, from: '0-1' });
    await other.start();
    assert.equal(await other.backlog(), undefined, 'not countable from an arbitrary id');
  });

  it('sizeHint: the bytes of the last entry when a tail opens at $ or 0', async () => {
    const stream = uniqueKey('livesize');
    const id = String(await client.xadd(stream, '*', 'k', 'x'.repeat(1000)));
    const t = live({ stream, from: '0' });
    await t.start();
    assert.equal(t.sizeHint, id.length + 1 + 1000);
    const u = live({ stream: uniqueKey('livesize-none') });
    await u.start();
    assert.equal(u.sizeHint, undefined, 'no stream, no hint');
  });

  it('from 0 counts the whole stream: returned + skipped = length (exact on 7.0+, marked "at least" before)', async () => {
    const stream = uniqueKey('live0');
    await publish(stream, 0, 2500);
    const t = live({ stream, from: '0' });
    const r = await t.read(300);
    assert.equal(r!.entries.length, 300);
    assert.equal(r!.entries[299]!.fields?.['n'], '2499');
    assert.deepEqual([t.skipped, t.arrived, t.skippedExact], [2200, 2500, (await serverCapabilities(client)).lag]);
  });

  it('a reader that keeps up sees every entry once, in order, also across killed connections', async () => {
    const stream = uniqueKey('livekeep');
    const t = live({ stream });
    await t.start();
    const got: string[] = [];
    let stop = false;
    const reader = (async () => {
      while (!stop) {
        const r = await t.read(50);
        if (!r) return;
        assert.equal(r.skipped, 0);
        for (const e of r.entries) got.push(String(e.fields?.['n']));
      }
    })();
    const admin = await open({ url: redisUrl() });
    try {
      let n = 0;
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 25; i++) await client.xadd(stream, '*', 'n', String(n++));
        await admin.call('CLIENT', 'KILL', 'TYPE', 'normal');
        for (let i = 0; i < 25; i++) await client.xadd(stream, '*', 'n', String(n++));
      }
      // A last entry as a barrier: reads come in id order, so a repeat would come before it.
      await client.xadd(stream, '*', 'n', 'end');
      await waitFor(() => got.includes('end'), 15_000, `all ${n} entries and the barrier (got ${got.length})`);
      assert.equal(got.pop(), 'end');
      assert.deepEqual(got, Array.from({ length: n }, (_, i) => String(i)), 'none lost, none repeated');
      assert.equal(t.skipped, 0);
    } finally {
      stop = true;
      t.close();
      await reader;
      await quit(admin);
    }
  });

  it('from an id: gaps are counted as a lower bound (skippedExact false)', async () => {
    const stream = uniqueKey('liveid');
    const ids = await publish(stream, 0, 50);
    const t = live({ stream, from: ids[9] });
    const r = await t.read(10);
    assert.deepEqual(r!.entries.map((e) => e.id), ids.slice(40));
    assert.ok(r!.skipped >= 1 && r!.skipped <= 30, `skipped ${r!.skipped}`);
    assert.equal(t.skippedExact, false);
    // Without a gap nothing is skipped: exact or not, the next read is complete.
    const [next] = await publish(stream, 50, 1);
    assert.deepEqual((await t.read(10))!.entries.map((e) => e.id), [next]);
  });

  it('close() ends a blocking read at once, and read() after it is undefined', async () => {
    const stream = uniqueKey('liveclose');
    const t = live({ stream, blockMs: 0, connection: { url: redisUrl(), clientName: stream } }); // BLOCK 0: would wait forever
    await t.start();
    const pending = t.read(10);
    await waitBlocked(client, `${stream}:blocking`, 'xread');
    t.close();
    assert.equal(await pending, undefined); // (only close() can have ended BLOCK 0)
    t.close();
    assert.equal(await t.read(10), undefined);
  });

  it('a wrong key type is a readable error; one read at a time', async () => {
    const key = uniqueKey('livewrong');
    await client.set(key, 'x');
    const t = live({ stream: key, from: '0' });
    await assert.rejects(t.read(10), (e: Error & { code?: string }) => e.code === 'WRONGTYPE');
    const s = live({ stream: uniqueKey('liveone') });
    await s.start();
    const first = s.read(10);
    await assert.rejects(s.read(10), /one read at a time/);
    s.close();
    assert.equal(await first, undefined);
  });
});
