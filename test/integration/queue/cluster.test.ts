import * as assert from 'node:assert/strict';
import { open, quit, type ConnectionOptions, type RedisClient } from '../../../src/core/redis/connection';
import { parseEntries } from '../../../src/core/redis/replies';
import { serverCapabilities } from '../../../src/core/redis/server';
import { startSandboxCluster, type SandboxCluster } from '../../../src/core/dev/sandbox';
import { DLQ_FIELDS, keySlot, runOneMessage, ListQueueProducer, ListQueueWorker, listQueueKeys, LiveTail, StreamProducer, StreamWorker, tailStream } from '../../../src/core/queue';
import { uniqueKey } from '../../support/integrationHooks';
import { pendingCount, waitFor } from './helpers';

describe('(integration) queue: Redis Cluster (3 masters)', function () {
  this.timeout(60_000);
  let cluster: SandboxCluster;
  let conn: ConnectionOptions;
  let client: RedisClient;
  const stops: (() => Promise<void> | void)[] = [];

  before(async () => {
    cluster = await startSandboxCluster({ masters: 3 });
    conn = { url: cluster.url, mode: 'cluster' };
    client = await open(conn);
  });
  afterEach(async () => {
    for (const s of stops.splice(0)) await s();
  });
  after(async () => {
    await quit(client);
    await cluster?.stop();
  });

  it('producer: scripted and pipelined batches on a hash-tagged stream', async () => {
    const stream = uniqueKey('corders');
    for (const mode of ['script', 'pipeline'] as const) {
      const p = new StreamProducer(client, { stream: `${stream}:${mode}`, batchMode: mode, trim: { strategy: 'MAXLEN', threshold: 5000, exact: true } });
      const ids = await p.publishBatch(Array.from({ length: 2000 }, (_, i) => ({ n: String(i), b: Buffer.from([i % 256, 0xff]) })));
      assert.equal(ids.length, 2000);
      assert.equal(await client.xlen(`${stream}:${mode}`), 2000);
    }
  });

  it('worker: processes, dead-letters atomically to {tag}:dlq, and falls back to two steps across slots', async () => {
    const stream = uniqueKey('cworker');
    const otherDlq = 'cluster-dlq-elsewhere';
    assert.notEqual(keySlot(stream), keySlot(otherDlq));
    const seen = new Set<string>();
    const mk = (dlq?: string, s = stream) => new StreamWorker({
      connection: conn, stream: s, group: 'g', startId: '0', maxDeliveries: 2, backoff: { initialMs: 10, jitter: 0 }, blockMs: 500, deadLetterStream: dlq,
      handler: (m) => {
        if (m.fields['poison']) throw new Error('poison');
        seen.add(String(m.fields['n']));
      },
    });
    const p = new StreamProducer(client, { stream });
    await p.publishBatch([...Array.from({ length: 200 }, (_, i) => ({ n: String(i) })), { poison: '1' }]);
    const w = mk();
    stops.push(() => w.stop());
    await w.start();
    await waitFor(() => seen.size === 200 && w.stats.deadLettered === 1, 15_000, 'processed and dead-lettered');
    await waitFor(async () => (await pendingCount(client, stream, 'g')) === 0, 5000, 'pending 0');
    const [dead] = parseEntries(await client.xrangeBuffer(`${stream}:dlq`, '-', '+'));
    assert.equal(dead!.fields![DLQ_FIELDS.stream], stream);

    const stream2 = uniqueKey('cworker2');
    await new StreamProducer(client, { stream: stream2 }).publish({ poison: '1' });
    const w2 = mk(otherDlq, stream2);
    stops.push(() => w2.stop());
    await w2.start();
    await waitFor(() => w2.stats.deadLettered === 1, 10_000, 'cross-slot dead-letter');
    assert.equal(await pendingCount(client, stream2, 'g'), 0);
    const [dead2] = parseEntries(await client.xrangeBuffer(otherDlq, '-', '+'));
    assert.equal(dead2!.fields!['poison'], '1');
    assert.equal(dead2!.fields![DLQ_FIELDS.stream], stream2);
  });

  it('runOneMessage: acks, and dead-letters atomically to {tag}:dlq, with the worker\'s record', async () => {
    const stream = uniqueKey('cone');
    await client.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
    const good = String(await client.xadd(stream, '*', 'n', '1'));
    const bad = String(await client.xadd(stream, '*', 'poison', '1'));
    await client.xreadgroup('GROUP', 'g', 'c', 'COUNT', 2, 'STREAMS', stream, '>');
    const handler = (m: { fields: Record<string, unknown> }) => {
      if (m.fields['poison']) throw new Error('poison');
    };
    const ok = await runOneMessage({ connection: conn, stream, group: 'g', consumer: 'c', id: good, handler });
    assert.equal(ok.outcome, 'acked');
    const dl = await runOneMessage({ connection: conn, stream, group: 'g', consumer: 'c', id: bad, maxDeliveries: 2, handler });
    assert.equal(dl.outcome, 'dead-lettered');
    assert.equal(await pendingCount(client, stream, 'g'), 0);
    const [dead] = parseEntries(await client.xrangeBuffer(`${stream}:dlq`, '-', '+'));
    assert.equal(dead!.id, dl.dlqId);
    assert.deepEqual([dead!.fields![DLQ_FIELDS.stream], dead!.fields![DLQ_FIELDS.id], dead!.fields![DLQ_FIELDS.error], dead!.fields!['poison']], [stream, bad, 'poison', '1']);
  });

  it('tail: follows from $ on a cluster node', async () => {
    const stream = uniqueKey('ctail');
    await client.xadd(stream, '*', 'old', '1');
    const t = tailStream({ connection: conn, stream, blockMs: 500 });
    stops.push(() => t.close());
    await t.start();
    const got: string[] = [];
    const done = (async () => {
      for await (const e of t) got.push(String(e.fields?.['n']));
    })();
    for (let i = 0; i < 10; i++) await client.xadd(stream, '*', 'n', String(i));
    await waitFor(() => got.length === 10, 10_000, 'tail entries');
    assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => String(i)));
    t.close();
    await done;
  });

  it('live tail (what the tail view reads): newest first with an exact skip count, then blocking reads', async () => {
    const stream = uniqueKey('clive');
    const t = new LiveTail({ connection: conn, stream, blockMs: 500 });
    stops.push(() => t.close());
    await t.start();
    const p = client.pipeline();
    for (let i = 0; i < 300; i++) p.xadd(stream, '*', 'n', String(i));
    await p.exec();
    const r = await t.read(100);
    assert.deepEqual(r!.entries.map((e) => e.fields?.['n']), Array.from({ length: 100 }, (_, i) => String(200 + i)));
    assert.deepEqual([r!.skipped, t.skippedExact], [200, (await serverCapabilities(client)).lag], 'exact on 7.0+ (entries-added), from lengths before');
    const next = t.read(100);
    await client.xadd(stream, '*', 'n', 'late');
    assert.deepEqual((await next)!.entries.map((e) => e.fields?.['n']), ['late']);
  });

  it('list queue: hash-tagged queue works end to end', async () => {
    const queue = uniqueKey('cjobs');
    const k = listQueueKeys(queue);
    const ids = await new ListQueueProducer(client, { queue }).enqueueMany(Array.from({ length: 30 }, (_, i) => ({ payload: { n: String(i) } })));
    const done = new Set<string>();
    const w = new ListQueueWorker({ connection: conn, queue, blockMs: 500, handler: (j) => void done.add(j.id) });
    stops.push(() => w.stop());
    await w.start();
    await waitFor(() => ids.every((id) => done.has(id)), 10_000, 'all jobs');
    await waitFor(async () => (await client.llen(k.processing)) === 0, 5000, 'processing empty');
  });
});
