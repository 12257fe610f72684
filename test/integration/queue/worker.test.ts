import * as assert from 'node:assert/strict';
import type { IoRedisClient } from '../../../src/core/redis/connection';
import type { QueueError } from '../../../src/core/redis/errors';
import { parseEntries, parseGroups, parsePendingEntries } from '../../../src/core/redis/replies';
import { DLQ_FIELDS, StreamProducer } from '../../../src/core/queue';
import { uniqueKey } from '../../support/integrationHooks';
import { pendingCount, settled, sleep, waitFor, workerSuite } from './helpers';

describe('(integration) queue: stream worker', () => {
  const suite = workerSuite(1000);
  const worker = suite.worker;
  let client: IoRedisClient;
  before(() => (client = suite.client));

  it('processes everything with bounded concurrency and batched acks', async () => {
    const stream = uniqueKey('all');
    const seen = new Set<string>();
    let inFlight = 0;
    let maxInFlight = 0;
    let ackEvents = 0;
    const w = worker({
      stream, group: 'g', startId: '0', concurrency: 7,
      handler: async (m) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(2 + (Number(m.fields['n']) % 5));
        seen.add(String(m.fields['n']));
        inFlight--;
      },
    });
    w.on('acked', () => ackEvents++);
    await new StreamProducer(client, { stream }).publishBatch(Array.from({ length: 500 }, (_, i) => ({ n: String(i) })));
    await w.start();
    await waitFor(() => seen.size === 500, 15_000, 'all processed');
    await waitFor(async () => (await pendingCount(client, stream, 'g')) === 0, 5000, 'pending 0');
    assert.equal(maxInFlight, 7, 'concurrency reached and never exceeded');
    assert.ok(w.stats.maxInFlight <= 7);
    await waitFor(() => w.stats.acked === 500, 5000, 'ack replies counted');
    assert.ok(ackEvents < 500, `acks were batched (${ackEvents} XACK calls for 500 entries)`);
  });

  it('gives each handler call its own context object: a handler may write to it (sync and async handlers)', async () => {
    const stream = uniqueKey('ctx');
    const contexts = new Set<object>();
    let n = 0;
    const w = worker({ stream, group: 'g', startId: '0', concurrency: 5, handler: (m, ctx) => {
      (ctx as { signal: AbortSignal; note?: string }).note = m.id; // would throw on a frozen, shared object
      assert.equal(ctx.signal.aborted, false);
      contexts.add(ctx);
      n++;
      return Number(m.fields['n']) % 2 ? sleep(1) : undefined;
    } });
    const failed: string[] = [];
    w.on('failed', (f) => failed.push(f.error.message));
    await new StreamProducer(client, { stream }).publishBatch(Array.from({ length: 50 }, (_, i) => ({ n: String(i) })));
    await w.start();
    await waitFor(() => w.stats.acked === 50, 5000, 'all acked');
    assert.deepEqual(failed, []);
    assert.equal(contexts.size, n);
  });

  it('retries a failure with backoff until it succeeds', async () => {
    const stream = uniqueKey('retry');
    const calls: { deliveries: number; at: number }[] = [];
    const w = worker({
      stream, group: 'g', backoff: { initialMs: 100, factor: 2, jitter: 0 }, maxDeliveries: 5,
      handler: (m) => {
        calls.push({ deliveries: m.deliveries, at: Date.now() });
        if (calls.length < 3) throw new Error(`boom ${calls.length}`);
      },
    });
    await w.start();
    await client.xadd(stream, '*', 'a', '1');
    await waitFor(() => w.stats.acked === 1, 5000, 'acked');
    assert.deepEqual(calls.map((c) => c.deliveries), [1, 2, 3]);
    assert.ok(calls[1]!.at - calls[0]!.at >= 95, `first backoff ${calls[1]!.at - calls[0]!.at} ms`);
    assert.ok(calls[2]!.at - calls[1]!.at >= 195, `second backoff ${calls[2]!.at - calls[1]!.at} ms`);
    assert.equal(await pendingCount(client, stream, 'g'), 0);
    assert.equal(w.stats.retried, 2);
  });

  it('dead-letters a poison entry after maxDeliveries, with metadata, and acks it', async () => {
    const stream = uniqueKey('poison');
    let calls = 0;
    const dead: unknown[] = [];
    const w = worker({
      stream, group: 'g', maxDeliveries: 3, backoff: { initialMs: 10, jitter: 0 }, consumer: 'c1',
      handler: () => {
        calls++;
        throw new Error('cannot parse order');
      },
    });
    w.on('deadLettered', (d) => dead.push(d));
    await w.start();
    const id = await client.xadd(stream, '*', 'order', '42', 'bin', 'x');
    await client.xadd(stream, '*', 'ok', 'no');
    await waitFor(() => w.stats.deadLettered === 2, 5000, 'dead-lettered');
    assert.equal(calls, 6);
    const entries = parseEntries(await client.xrangeBuffer(`${stream}:dlq`, '-', '+'));
    assert.equal(entries.length, 2);
    const f = entries[0]!.fields!;
    assert.equal(f['order'], '42');
    assert.equal(f[DLQ_FIELDS.stream], stream);
    assert.equal(f[DLQ_FIELDS.group], 'g');
    assert.equal(f[DLQ_FIELDS.id], id);
    assert.equal(f[DLQ_FIELDS.deliveries], '3');
    assert.equal(f[DLQ_FIELDS.error], 'cannot parse order');
    assert.equal(f[DLQ_FIELDS.consumer], 'c1');
    assert.ok(Math.abs(Number(f[DLQ_FIELDS.at]) - Date.now()) < 10_000);
    assert.equal(await pendingCount(client, stream, 'g'), 0);
    assert.equal(await client.xlen(stream), 2, 'source kept by default');
  });

  it('dead-letters on receipt an entry delivered more than maxDeliveries times, without calling the handler, and can XDEL it', async () => {
    const stream = uniqueKey('overdelivered');
    await client.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    const id = await client.xadd(stream, '*', 'a', '1');
    await client.xreadgroup('GROUP', 'g', 'crashed', 'STREAMS', stream, '>');
    for (let i = 0; i < 4; i++) await client.call('XCLAIM', stream, 'g', 'crashed', '0', id!); // deliveries → 5
    let calls = 0;
    const w = worker({ stream, group: 'g', maxDeliveries: 3, claimMinIdleMs: 50, claimIntervalMs: 50, deleteOnDeadLetter: true, handler: () => void calls++ });
    await w.start();
    await waitFor(() => w.stats.deadLettered === 1, 5000, 'dead-lettered');
    assert.equal(calls, 0);
    assert.equal(await pendingCount(client, stream, 'g'), 0);
    assert.equal(await client.xlen(stream), 0, 'deleted from the source');
    const [e] = parseEntries(await client.xrangeBuffer(`${stream}:dlq`, '-', '+'));
    assert.equal(e!.fields![DLQ_FIELDS.deliveries], '6');
  });

  it('re-reads its own pending entries after a restart', async () => {
    const stream = uniqueKey('restart');
    await client.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    for (let i = 0; i < 5; i++) await client.xadd(stream, '*', 'n', String(i));
    // A previous life of consumer "c1" read them and died before acking.
    await client.xreadgroup('GROUP', 'g', 'c1', 'STREAMS', stream, '>');
    assert.equal(await pendingCount(client, stream, 'g'), 5);
    const got: number[] = [];
    const w = worker({ stream, group: 'g', consumer: 'c1', claimMinIdleMs: 0, handler: (m) => void got.push(m.deliveries) });
    await w.start();
    await waitFor(() => got.length === 5, 5000, 'pending re-read');
    assert.ok(got.every((d) => d >= 1));
    await waitFor(async () => (await pendingCount(client, stream, 'g')) === 0, 5000, 'acked');
  });

  it('reclaims entries of a dead consumer after the idle threshold', async () => {
    const stream = uniqueKey('reclaim');
    await client.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    for (let i = 0; i < 10; i++) await client.xadd(stream, '*', 'n', String(i));
    // Taken before the delivery, so that the idle time counted by the server starts after it.
    const started = Date.now();
    await client.xreadgroup('GROUP', 'g', 'dead', 'STREAMS', stream, '>');
    const got: { n: string; deliveries: number; at: number }[] = [];
    let claimedEvents = 0;
    const w = worker({ stream, group: 'g', consumer: 'live', claimMinIdleMs: 300, claimIntervalMs: 50, handler: (m) => void got.push({ n: String(m.fields['n']), deliveries: m.deliveries, at: Date.now() }) });
    w.on('claimed', (n) => (claimedEvents += n));
    await w.start();
    await waitFor(() => got.length === 10, 5000, 'reclaimed');
    assert.ok(got[0]!.at - started >= 250, 'not before the idle threshold');
    assert.ok(got.every((g) => g.deliveries === 2));
    assert.equal(claimedEvents, 10);
    await waitFor(async () => (await pendingCount(client, stream, 'g')) === 0, 5000, 'acked');
  });

  for (const autoClaim of [true, false]) {
    it(`a dead consumer's pending entry whose message was deleted is acked when reclaimed, not claimed forever (${autoClaim ? 'XAUTOCLAIM' : 'XPENDING + XCLAIM'})`, async () => {
      // Redis 7.0+ drops such entries from the PEL itself; before 7.0 they come back as nils.
      const stream = uniqueKey('reclaimgone');
      await client.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push(String(await client.xadd(stream, '*', 'n', String(i))));
      await client.xreadgroup('GROUP', 'g', 'dead', 'STREAMS', stream, '>');
      await client.xdel(stream, ids[1]!, ids[2]!);
      const got: string[] = [];
      const w = worker({ stream, group: 'g', consumer: 'live', claimMinIdleMs: 100, claimIntervalMs: 50, capabilities: { autoClaim }, handler: (m) => void got.push(String(m.fields['n'])) });
      await w.start();
      await waitFor(async () => got.length === 2 && (await pendingCount(client, stream, 'g')) === 0, 10_000, 'the two live entries handled and the PEL empty');
      assert.deepEqual(got.sort(), ['0', '3']);
    });
  }

  it('reclaims with XPENDING + XCLAIM when the server has no XAUTOCLAIM', async () => {
    const stream = uniqueKey('reclaimold');
    await client.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    for (let i = 0; i < 6; i++) await client.xadd(stream, '*', 'n', String(i));
    await client.xreadgroup('GROUP', 'g', 'dead', 'STREAMS', stream, '>');
    const got: number[] = [];
    const w = worker({ stream, group: 'g', consumer: 'live', claimMinIdleMs: 200, claimIntervalMs: 50, capabilities: { autoClaim: false }, handler: (m) => void got.push(m.deliveries) });
    await w.start();
    await waitFor(() => got.length === 6, 5000, 'reclaimed');
    assert.ok(got.every((d) => d === 2));
    await waitFor(async () => (await pendingCount(client, stream, 'g')) === 0, 5000, 'acked');
  });

  it('stops gracefully: in-flight handlers finish and are acked, a second stop is the same promise', async () => {
    const stream = uniqueKey('stop');
    let started = 0;
    let finished = 0;
    const w = worker({ stream, group: 'g', startId: '0', concurrency: 4, handler: async () => {
      started++;
      await sleep(300);
      finished++;
    } });
    await new StreamProducer(client, { stream }).publishBatch(Array.from({ length: 20 }, (_, i) => ({ n: String(i) })));
    await w.start();
    await waitFor(() => started === 4, 5000, '4 in flight');
    const p1 = w.stop();
    const p2 = w.stop();
    assert.equal(p1, p2);
    await p1;
    assert.equal(finished, started, 'no in-flight handler cut short');
    assert.equal(w.stats.acked, finished);
    const pending = parsePendingEntries(await client.xpending(stream, 'g', '-', '+', 100));
    assert.equal(pending.length, 0, 'nothing read beyond what was started');
    assert.equal(await client.xlen(stream), 20);
    await w.stop();
  });

  it('prefetches at most `prefetch` entries beyond concurrency, still running at most `concurrency`', async () => {
    const stream = uniqueKey('prefetch');
    let running = 0;
    let maxRunning = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const w = worker({ stream, group: 'g', startId: '0', concurrency: 2, prefetch: 3, handler: async () => {
      maxRunning = Math.max(maxRunning, ++running);
      await gate;
      running--;
    } });
    await new StreamProducer(client, { stream }).publishBatch(Array.from({ length: 20 }, (_, i) => ({ n: String(i) })));
    await w.start();
    await waitFor(async () => (await pendingCount(client, stream, 'g')) === 5, 5000, '5 held (2 running + 3 prefetched)');
    assert.equal(await settled(() => pendingCount(client, stream, 'g'), 'the pending count'), 5, 'never more than concurrency + prefetch');
    release();
    await waitFor(() => w.stats.acked === 20, 10_000, 'all acked');
    assert.equal(maxRunning, 2);
    await w.stop();
  });

  it('releases handlers that outlive stopTimeoutMs: they stay pending', async () => {
    const stream = uniqueKey('stoptimeout');
    let started = 0;
    const w = worker({ stream, group: 'g', stopTimeoutMs: 200, handler: () => {
      started++;
      return new Promise<void>(() => undefined);
    } });
    await w.start();
    await client.xadd(stream, '*', 'a', '1');
    await waitFor(() => started === 1, 5000, 'started');
    const t = Date.now();
    await w.stop(); // (the handler never ends: only the stopTimeoutMs release can end this)
    assert.ok(Date.now() - t >= 190, 'waited stopTimeoutMs for the handler first');
    assert.equal(await pendingCount(client, stream, 'g'), 1);
  });

  it('reports a group deleted at runtime as an error and never re-creates it', async () => {
    const stream = uniqueKey('nogroup');
    const errors: QueueError[] = [];
    const w = worker({ stream, group: 'g', blockMs: 200, handler: () => undefined });
    w.on('error', (e) => errors.push(e));
    await w.start();
    await client.xgroup('DESTROY', stream, 'g');
    await client.xadd(stream, '*', 'a', '1');
    await waitFor(() => errors.some((e) => e.code === 'NOGROUP'), 5000, 'NOGROUP error');
    const e = errors.find((x) => x.code === 'NOGROUP')!;
    assert.match(e.message, /No consumer group "g"/);
    // Two more attempts after that report (the second one sent once the first had failed): a
    // worker that re-created the group would have read without an error by then.
    const reported = errors.filter((x) => x.code === 'NOGROUP').length;
    await waitFor(() => errors.filter((x) => x.code === 'NOGROUP').length >= reported + 2, 10_000, 'the worker to try again and meet NOGROUP again');
    assert.equal(parseGroups(await client.xinfo('GROUPS', stream)).length, 0, 'group not re-created');
  });

  it('creates the group idempotently (BUSYGROUP is fine) and refuses to start twice', async () => {
    const stream = uniqueKey('busy');
    await client.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    const w = worker({ stream, group: 'g', handler: () => undefined });
    await w.start();
    await assert.rejects(w.start(), /already/);
  });
});
