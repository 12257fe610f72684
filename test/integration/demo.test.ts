import * as assert from 'node:assert/strict';
import { Inspector } from '../../src/core/inspect';
import { DEFAULT_THRESHOLDS, isPoison } from '../../src/core/health';
import { DEMO_LIST_QUEUE, DEMO_STREAMS, seedDemo, startDemoTraffic } from '../../src/core/demo';
import { startSandbox, type Sandbox } from '../../src/core/sandbox';

describe('(integration) demo data and traffic', function () {
  this.timeout(30_000);
  let sb: Sandbox;
  let insp: Inspector;
  before(async () => {
    sb = await startSandbox();
    await seedDemo(sb.url);
    insp = await Inspector.open({ url: sb.url });
  });
  after(async () => {
    insp?.close();
    await sb?.stop();
  });

  it('seeds every state the explorer shows', async () => {
    const streams = (await insp.scanStreams()).keys.sort();
    assert.deepEqual(streams, Object.values(DEMO_STREAMS).sort());
    const groups = await insp.groups(DEMO_STREAMS.orders);
    const billing = groups.find((g) => g.name === 'billing')!;
    const shipping = groups.find((g) => g.name === 'shipping')!;
    assert.ok(billing.pending >= 6);
    // lag is reported from Redis 7.0 on (null/undefined before): the LAGGING mark needs it.
    if ((await insp.caps()).lag) assert.ok((shipping.lag ?? 0) > 400, 'shipping lags');
    else assert.equal(shipping.lag ?? undefined, undefined, 'no lag figure before Redis 7.0');
    const pel = await insp.pendingPage(DEMO_STREAMS.orders, 'billing', { consumer: 'worker-2' });
    assert.ok(pel.entries.some((e) => isPoison(e, DEFAULT_THRESHOLDS)), 'a poison entry');
    assert.ok(pel.entries.every((e) => e.idle >= 40 * 60_000), 'worker-2 holds old entries');
    const fraud = await insp.pendingPage(DEMO_STREAMS.orders, 'fraud-check');
    assert.deepEqual(fraud.entries.map((e) => [e.consumer, e.deliveries]), [['checker-2', 9], ['checker-2', 1], ['checker-2', 1], ['checker-2', 1]]);
    const bin = await insp.entriesPage(DEMO_STREAMS.images);
    assert.ok(Buffer.isBuffer(bin.entries[0]!.fields!['png']));
    assert.equal((await insp.stream(DEMO_STREAMS.dlq)).length, 3);
    const [q] = await insp.listQueues({ match: DEMO_LIST_QUEUE });
    assert.deepEqual([q!.waiting, q!.processing, q!.dead], [20, 3, 2]);
    assert.ok(q!.oldestProcessingAgeMs! > 50 * 60_000, 'a stuck processing job');
  });

  it('runs live traffic (publish, work, fail, dead-letter) and stops cleanly', async () => {
    const traffic = await startDemoTraffic(sb.url, { ratePerSecond: 40, failureRate: 0.5, stallRate: 0, random: mulberry32(7) });
    const before = (await insp.stream(DEMO_STREAMS.orders)).lastGeneratedId;
    await new Promise((r) => setTimeout(r, 4000));
    await traffic.stop();
    await traffic.stop();
    const s = traffic.stats();
    assert.ok(s.published >= 50, `published ${s.published}`);
    assert.ok(s.processed > 0 && s.failed > 0, JSON.stringify(s));
    assert.notEqual((await insp.stream(DEMO_STREAMS.orders)).lastGeneratedId, before);
    const fraud = await insp.pendingPage(DEMO_STREAMS.orders, 'fraud-check');
    assert.equal(fraud.entries[0]!.deliveries, 9, 'traffic leaves the fraud-check poison entry alone');
    const clients = String(await insp.client.call('CLIENT', 'LIST'));
    assert.ok(!/name=redis-queues-demo/.test(clients), 'demo connections closed');
  });
});

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
