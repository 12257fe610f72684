import * as assert from 'node:assert/strict';
import { Inspector } from '../../src/core/inspect/inspect';
import { DEFAULT_THRESHOLDS, isPoison } from '../../src/core/inspect/health';
import { DEMO_EVENT_STREAMS, DEMO_LIST_QUEUE, DEMO_STREAMS, DEMO_STUCK, seedDemo, startDemoTraffic } from '../../src/core/dev/demo';
import type { IoRedisClient } from '../../src/core/redis/client';
import { idTime } from '../../src/core/messages/ids';
import { messageJourney } from '../../src/core/inspect/journey';
import { describeJourney } from '../../src/core/inspect/journeyText';
import { DLQ_FIELDS } from '../../src/core/queue/keys';
import { JOB_FIELDS, listQueueKeys } from '../../src/core/queue/list/keys';
import { startSandbox, type Sandbox } from '../../src/core/dev/sandbox';
import { waitFor } from './queue/helpers';

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
    assert.deepEqual(streams, [...Object.values(DEMO_STREAMS), ...DEMO_EVENT_STREAMS].sort());
    const groups = await insp.groups(DEMO_STREAMS.orders);
    const billing = groups.find((g) => g.name === 'billing')!;
    const shipping = groups.find((g) => g.name === 'shipping')!;
    assert.ok(billing.pending >= 6);
    // lag is reported from Redis 7.0 on (null/undefined before): the LAGGING mark needs it.
    if ((await insp.caps()).lag) assert.ok((shipping.lag ?? 0) > 400, 'shipping lags');
    else assert.equal(shipping.lag ?? undefined, undefined, 'no lag figure before Redis 7.0');
    if ((await insp.caps()).lag) assert.equal(billing.lag, 14, 'billing read 486 of 500 (the walkthrough and the UI tests say lag 14)');
    assert.equal(billing.pending, 9, "worker-2's 6 and worker-1's 3");
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

  it('seeds consistent times: every pending entry was created before its last delivery, dead letters after their origin, jobs before they ran or died', async () => {
    const now = Date.now();
    const c = insp.client as IoRedisClient; // Inspector.open's own ioredis client (XRANGE: not a core member)
    for (const stream of [DEMO_STREAMS.orders, DEMO_STREAMS.images, DEMO_STREAMS.audit]) {
      for (const g of await insp.groups(stream)) {
        const pel = (await c.call('XPENDING', stream, g.name, '-', '+', 1000)) as [string, string, number, number][];
        for (const [id, consumer, idle] of pel) {
          // The entry existed when it was last delivered: created (its id's time) at or before now − idle.
          // (1 s of slack: `now` is this process's clock, the ids and idle times the server's, read a moment apart.)
          assert.ok(idTime(id) <= now - idle + 1000, `${stream} ${g.name}/${consumer}: ${id} created ${now - idTime(id)} ms ago but idle ${idle} ms`);
        }
      }
    }
    // The walkthrough's stuck consumer: old entries, delivered long ago, after they were created.
    const stuck = (await c.call('XPENDING', DEMO_STUCK.stream, DEMO_STUCK.group, '-', '+', 100, DEMO_STUCK.consumer)) as [string, string, number, number][];
    assert.equal(stuck.length, 6);
    for (const [id, , idle] of stuck) assert.ok(now - idTime(id) > idle && idle >= 45 * 60_000, `${id}: age ${now - idTime(id)} ms, idle ${idle} ms`);
    // orders:dlq: the original entry was created before it was dead-lettered; the DLQ entry's id is the dead-letter time.
    const dlq = (await c.xrange(DEMO_STREAMS.dlq, '-', '+')) as [string, string[]][];
    assert.equal(dlq.length, 3);
    for (const [dlqId, flat] of dlq) {
      const f = (name: string) => flat[flat.indexOf(name) + 1]!;
      const at = Number(f(DLQ_FIELDS.at));
      assert.ok(idTime(f(DLQ_FIELDS.id)) < at, `${dlqId}: origin ${f(DLQ_FIELDS.id)} is not older than its dead-letter time ${at}`);
      // Really dead-lettered: `at` is the client's clock, the id the server's, a moment apart.
      assert.ok(Math.abs(idTime(dlqId) - at) < 1000, `${dlqId}: dead-lettered at ${at}, added to the DLQ at another time`);
      assert.ok(at <= now);
    }
    // emails: created before started (processing) and before dead (dead), nothing in the future.
    const k = listQueueKeys(DEMO_LIST_QUEUE);
    const createdAt = async (id: string) => Number(await c.hget(k.job(id), JOB_FIELDS.createdAt));
    for (const id of await c.lrange(k.waiting, 0, -1)) assert.ok((await createdAt(id)) <= now, `${id} created in the future`);
    const processing = await c.lrange(k.processing, 0, -1);
    assert.equal(processing.length, 3);
    for (const id of processing) {
      const started = Number(await c.zscore(k.started, id));
      assert.ok((await createdAt(id)) < started && started <= now, `${id}: created ${await createdAt(id)}, started ${started}`);
    }
    const dead = await c.lrange(k.dead, 0, -1);
    assert.equal(dead.length, 2);
    for (const id of dead) {
      const deadAt = Number(await c.hget(k.job(id), JOB_FIELDS.deadAt));
      assert.ok((await createdAt(id)) < deadAt && deadAt <= now, `${id}: created ${await createdAt(id)}, dead at ${deadAt}`);
    }
  });

  it('every seeded dead letter is a real entry of orders: its journey says dead-lettered, why, and has a timeline', async () => {
    assert.equal(await checkDeadLetterJourneys(insp), 3);
    // The seeded history of the other states is recorded too: the stuck consumer's poison entry.
    const [poison] = (await insp.client.call('XPENDING', DEMO_STUCK.stream, DEMO_STUCK.group, '-', '+', 1, DEMO_STUCK.consumer)) as [string, string, number, number][];
    const j = await messageJourney(insp.client, DEMO_STREAMS.orders, poison![0]);
    assert.equal(j.events.filter((e) => e.type === 'delivered' && e.group === DEMO_STUCK.group).length, poison![3], describeJourney(j).join('\n'));
  });

  it('after demo traffic, every dead letter (seeded and the workers\' own) has a journey that says dead-lettered, why, and a timeline', async function () {
    this.timeout(60_000);
    await seedDemo(sb.url);
    const traffic = await startDemoTraffic(sb.url, { ratePerSecond: 40, failureRate: 0.6, stallRate: 0, random: mulberry32(11) });
    try {
      // A shipping worker dead-letters after 4 deliveries and its back-offs (1 + 2 + 4 s).
      await waitFor(async () => (await insp.client.xlen(DEMO_STREAMS.dlq)) > 3, 40_000, 'demo traffic to dead-letter a message');
    } finally {
      await traffic.stop();
    }
    assert.ok((await checkDeadLetterJourneys(insp)) > 3);
  });

  it('runs live traffic (publish, work, fail, dead-letter) and stops cleanly', async () => {
    await seedDemo(sb.url);
    const stuckBefore = (await insp.client.call('XPENDING', DEMO_STUCK.stream, DEMO_STUCK.group, '-', '+', 100, DEMO_STUCK.consumer)) as [string, string, number, number][];
    const traffic = await startDemoTraffic(sb.url, { ratePerSecond: 40, failureRate: 0.5, stallRate: 0, random: mulberry32(7) });
    const before = (await insp.stream(DEMO_STREAMS.orders)).lastGeneratedId;
    // Until it has done each kind of work (not for a while): published, processed, failed.
    await waitFor(() => {
      const s = traffic.stats();
      return s.published >= 50 && s.processed > 0 && s.failed > 0;
    }, 20_000, 'demo traffic to publish 50 messages, process some and fail some');
    await traffic.stop();
    await traffic.stop();
    const s = traffic.stats();
    assert.ok(s.published >= 50, `published ${s.published}`);
    assert.ok(s.processed > 0 && s.failed > 0, JSON.stringify(s));
    assert.notEqual((await insp.stream(DEMO_STREAMS.orders)).lastGeneratedId, before);
    const fraud = await insp.pendingPage(DEMO_STREAMS.orders, 'fraud-check');
    assert.equal(fraud.entries[0]!.deliveries, 9, 'traffic leaves the fraud-check poison entry alone');
    // The walkthrough's stuck consumer is still stuck: the same entries, delivery counts and owner.
    const stuckAfter = (await insp.client.call('XPENDING', DEMO_STUCK.stream, DEMO_STUCK.group, '-', '+', 100, DEMO_STUCK.consumer)) as [string, string, number, number][];
    assert.deepEqual(stuckAfter.map(([id, , , n]) => [id, n]), stuckBefore.map(([id, , , n]) => [id, n]), 'demo traffic reclaimed from worker-2');
    assert.ok(stuckAfter.every(([, , idle]) => idle >= 45 * 60_000), 'worker-2 entries touched by demo traffic');
    assert.deepEqual((await insp.consumers(DEMO_STUCK.stream, DEMO_STUCK.group)).map((x) => x.name).sort(), ['worker-1', 'worker-2'], 'no other demo worker joined billing');
    // Failures were dead-lettered from shipping, never from billing's stuck entries.
    const dead = (await (insp.client as IoRedisClient).xrange(DEMO_STREAMS.dlq, '-', '+')) as [string, string[]][];
    for (const [, flat] of dead.slice(3)) assert.equal(flat[flat.indexOf(DLQ_FIELDS.group) + 1], 'shipping');
    const clients = String(await insp.client.call('CLIENT', 'LIST'));
    assert.ok(!/name=redis-queues-demo/.test(clients), 'demo connections closed');
  });
});

/** Every dead letter of orders:dlq: its journey finds the record (reason, deliveries) and a timeline that ends dead-lettered. */
async function checkDeadLetterJourneys(insp: Inspector): Promise<number> {
  const dead = (await (insp.client as IoRedisClient).xrange(DEMO_STREAMS.dlq, '-', '+')) as [string, string[]][];
  for (const [dlqId, flat] of dead) {
    const f = (name: string) => flat[flat.indexOf(name) + 1]!;
    const id = f(DLQ_FIELDS.id);
    const j = await messageJourney(insp.client, DEMO_STREAMS.orders, id);
    const text = describeJourney(j).join('\n');
    assert.equal(j.state, 'present', `${id} (dead letter ${dlqId}) is not in orders: ${text}`);
    const record = j.deadLetters.find((d) => d.id === dlqId);
    assert.ok(record, `the journey of ${id} does not find its dead letter ${dlqId}:\n${text}`);
    assert.equal(record.error, f(DLQ_FIELDS.error));
    assert.ok(text.includes(`dead-lettered to ${DEMO_STREAMS.dlq} as ${dlqId}: ${f(DLQ_FIELDS.error)}`), text);
    assert.ok(j.events.length > 0, `${id}: empty timeline:\n${text}`);
    const last = j.events.filter((e) => e.id === id && e.group === f(DLQ_FIELDS.group)).at(-1);
    assert.equal(last?.type, 'dead-lettered', `${id}: the timeline does not end dead-lettered:\n${text}`);
    assert.equal(last.dlqId, dlqId);
    assert.ok(j.events.some((e) => e.type === 'delivered'), `${id}: no delivery in the timeline:\n${text}`);
  }
  return dead.length;
}

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
