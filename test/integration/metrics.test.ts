// Health over time against a real redis-server: a producer at known rates (about 200/s, then about
// 50/s) and a consumer reading about 100/s, sampled every second by core sampleRound into a
// MetricsHistory. The sampled rates are compared with what the test itself counted (the
// reference), the lag's trend has the right sign in each phase, and a stream deleted and recreated
// and a group reset give no spike. The round's calls are counted by the server.
import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { MetricsHistory, trendOf } from '../../src/core/metrics/history';
import { type Round, sampleRound } from '../../src/core/metrics/sampler';
import { startSandboxSentinel } from '../../src/core/dev/sandboxHa';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('(integration) health over time: sampled rates, lag trends, resets', function () {
  this.timeout(90_000);
  let client: Redis;
  let admin: Redis;

  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
    admin = (await open({ url: redisUrl() })) as Redis;
  });
  after(async () => {
    await quit(client);
    await quit(admin);
  });

  it('in and out rates within 10 % of what was produced and consumed, lag ↑ while production outruns the consumer and ↓ after (needs Redis 7.0 counters: skipped before)', async function () {
    const s = uniqueKey('rates');
    await admin.xgroup('CREATE', s, 'g', '$', 'MKSTREAM');
    const info = (await admin.call('XINFO', 'STREAM', s)) as unknown[];
    if (!info.includes('entries-added')) this.skip();
    const h = new MetricsHistory({ intervalMs: 1000 });
    /** The reference: what was produced and read, with when. */
    const produced: { t: number; n: number }[] = [];
    const consumed: { t: number; n: number }[] = [];
    let rate = 200;
    let stop = false;
    // Open loop: every 50 ms, as many entries as the rate asks for the time that passed.
    const producer = (async () => {
      let last = Date.now();
      let owed = 0;
      while (!stop) {
        await sleep(50);
        const now = Date.now();
        owed += ((now - last) / 1000) * rate;
        last = now;
        const n = Math.floor(owed);
        owed -= n;
        if (!n) continue;
        const p = admin.pipeline();
        for (let i = 0; i < n; i++) p.xadd(s, '*', 'n', '1');
        await p.exec();
        produced.push({ t: Date.now(), n });
      }
    })();
    const consumer = (async () => {
      let last = Date.now();
      let owed = 0;
      while (!stop) {
        await sleep(50);
        const now = Date.now();
        owed += ((now - last) / 1000) * 100;
        last = now;
        const want = Math.floor(owed);
        if (!want) continue;
        const r = (await admin.xreadgroup('GROUP', 'g', 'c', 'COUNT', want, 'STREAMS', s, '>')) as [string, [string, string[]][]][] | null;
        const ids = r?.[0]?.[1].map(([id]) => id) ?? [];
        owed -= ids.length;
        if (ids.length) {
          await admin.xack(s, 'g', ...ids);
          consumed.push({ t: Date.now(), n: ids.length });
        }
      }
    })();
    const phase = async (seconds: number) => {
      const from = Date.now();
      for (let i = 0; i < seconds; i++) {
        const next = from + (i + 1) * 1000;
        await sleep(Math.max(0, next - Date.now()));
        h.add(await sampleRound(client, [s]));
      }
      return { from, to: Date.now() };
    };
    h.add(await sampleRound(client, [s]));
    const p1 = await phase(8);
    rate = 50;
    const p2 = await phase(8);
    stop = true;
    await Promise.all([producer, consumer]);

    const perSecond = (log: { t: number; n: number }[], w: { from: number; to: number }) => log.filter((x) => x.t > w.from && x.t <= w.to).reduce((a, x) => a + x.n, 0) / ((w.to - w.from) / 1000);
    const sampled = (metric: 'in' | 'out', group: string | undefined, w: { from: number; to: number }) => {
      const pts = h.points(s, group, metric, 60_000).filter((p) => p.t > w.from + 1000 && p.t <= w.to && p.v !== null);
      return pts.reduce((a, p) => a + p.v!, 0) / pts.length;
    };
    // Skip the first second of each phase (the rate changed inside that interval).
    const w1 = { from: p1.from + 1000, to: p1.to };
    const w2 = { from: p2.from + 1000, to: p2.to };
    for (const [what, got, want] of [
      ['in, phase 1', sampled('in', undefined, w1), perSecond(produced, w1)],
      ['in, phase 2', sampled('in', undefined, w2), perSecond(produced, w2)],
      ['out, phase 1', sampled('out', 'g', w1), perSecond(consumed, w1)],
    ] as const) {
      assert.ok(Math.abs(got - want) <= 0.1 * want, `${what}: sampled ${got.toFixed(1)}/s, produced/consumed ${want.toFixed(1)}/s`);
    }
    const lag = (w: { from: number; to: number }) => h.points(s, 'g', 'lag', 60_000).filter((p) => p.t >= w.from && p.t <= w.to);
    assert.equal(trendOf(lag(p1)).arrow, '↑', 'production (200/s) outruns the consumer (100/s)');
    assert.equal(trendOf(lag(p2)).arrow, '↓', 'the consumer (100/s) catches up with production (50/s)');
    await admin.del(s);
  });

  it('a stream deleted and recreated, and a group reset to the start, are no spike: resets, recorded', async () => {
    const s = uniqueKey('reset');
    const h = new MetricsHistory({ intervalMs: 1000 });
    let t = Date.now();
    const at = () => (t += 1000);
    await admin.xgroup('CREATE', s, 'g', '$', 'MKSTREAM');
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < 100; i++) await admin.xadd(s, '*', 'n', String(i));
      await admin.xreadgroup('GROUP', 'g', 'c', 'COUNT', 100, 'STREAMS', s, '>');
      h.add(await sampleRound(client, [s], { now: at }));
    }
    // Deleted and recreated with more entries than before: entries-added and the ids start again.
    await admin.del(s);
    await admin.xgroup('CREATE', s, 'g', '$', 'MKSTREAM');
    // (ids from 1-0 up: only the ids, not entries-added, say it was recreated)
    const p = admin.pipeline();
    for (let i = 0; i < 400; i++) p.xadd(s, '1-*', 'n', String(i));
    await p.exec();
    h.add(await sampleRound(client, [s], { now: at }));
    await admin.xreadgroup('GROUP', 'g', 'c', 'COUNT', 150, 'STREAMS', s, '>');
    h.add(await sampleRound(client, [s], { now: at }));
    // The group reset to the start and read again.
    await admin.xgroup('SETID', s, 'g', '0');
    await admin.xreadgroup('GROUP', 'g', 'c', 'COUNT', 10, 'STREAMS', s, '>');
    h.add(await sampleRound(client, [s], { now: at }));
    const rin = h.points(s, undefined, 'in', 60_000, t).map((p) => p.v);
    const out = h.points(s, 'g', 'out', 60_000, t).map((p) => p.v);
    assert.ok(rin.every((v) => v === null || (v >= 0 && v <= 100)), `in: ${rin.join(', ')}`);
    assert.ok(out.every((v) => v === null || (v >= 0 && v <= 150)), `out: ${out.join(', ')}`);
    assert.equal(rin[3], null, 'the recreation interval: no rate');
    assert.equal(out.at(-1), null, 'the reset interval: no rate');
    assert.deepEqual(h.events().filter((e) => e.kind === 'reset').map((e) => e.where), [s, `${s} › g`]);
    await admin.del(s);
  });

  it('a round sends three calls per stream (XINFO STREAM, XINFO GROUPS, XLEN of its dead-letter stream), two per group holding entries (XPENDING, XINFO CONSUMERS) and one INFO, whatever the keyspace holds', async () => {
    const keys = [uniqueKey('calls-a'), uniqueKey('calls-b')];
    const gone = uniqueKey('gone');
    for (const k of keys) {
      await admin.xgroup('CREATE', k, 'g1', '$', 'MKSTREAM');
      await admin.xgroup('CREATE', k, 'g2', '$');
      await admin.xadd(k, '*', 'n', '1');
      await admin.xreadgroup('GROUP', 'g1', 'c', 'COUNT', 1, 'STREAMS', k, '>');
    }
    await admin.config('RESETSTAT');
    const r = await sampleRound(client, [...keys, gone]);
    const stats = String(await admin.info('commandstats'));
    // (Redis 7 counts subcommands apart: cmdstat_xinfo|stream, cmdstat_xinfo|groups)
    const calls = (c: string) => [...stats.matchAll(new RegExp(`cmdstat_${c}(?:\\|\\w+)?:calls=(\\d+)`, 'g'))].reduce((a, m) => a + Number(m[1]), 0);
    assert.equal(r.calls, 1 + 3 * 3 + 2 * 2);
    assert.equal(calls('xinfo'), 3 * 2 + 2, 'XINFO CONSUMERS only for the groups holding entries');
    assert.equal(calls('xpending'), 2, 'XPENDING only for the groups holding entries');
    assert.equal(calls('xlen'), 3);
    assert.equal(calls('info'), 1);
    assert.deepEqual(r.streams.map((x) => x.key), keys);
    assert.deepEqual(Object.keys(r.missing), [gone], 'the missing stream is said');
    assert.equal(r.streams[0]!.groups.find((g) => g.name === 'g1')!.pending, 1);
    await admin.del(...keys);
  });

  it('a round reads the dead-letter stream\'s length, the STUCK consumers and the server\'s run id, as Redis reports them', async () => {
    const s = uniqueKey('marks');
    await admin.xgroup('CREATE', s, 'g', '$', 'MKSTREAM');
    for (let i = 0; i < 3; i++) await admin.xadd(s, '*', 'n', String(i));
    await admin.xreadgroup('GROUP', 'g', 'busy', 'COUNT', 2, 'STREAMS', s, '>');
    for (let i = 0; i < 4; i++) await admin.xadd(`${s}:dlq`, '*', 'n', String(i));
    // busy holds entries and has not been heard of for a second (polled on XINFO CONSUMERS); fresh
    // takes one now: at a 1 s threshold busy is STUCK, fresh is not.
    const idleOf = async (name: string) => {
      const consumers = (await admin.call('XINFO', 'CONSUMERS', s, 'g')) as unknown[][];
      const c = consumers.find((x) => x[1] === name) as unknown[];
      return Number(c[c.indexOf('idle') + 1]);
    };
    const deadline = Date.now() + 10_000;
    while ((await idleOf('busy')) < 1000) {
      assert.ok(Date.now() < deadline, 'busy idle for a second');
      await sleep(50);
    }
    await admin.xreadgroup('GROUP', 'g', 'fresh', 'COUNT', 1, 'STREAMS', s, '>');
    const r = await sampleRound(client, [s, `${s}:dlq`], { stuckIdleMs: 1000 });
    assert.ok((await idleOf('fresh')) < 1000, 'the round was taken within the second');
    const runId = /^run_id:(\w+)/m.exec(String(await admin.info('server')))![1];
    assert.equal(r.runId, runId);
    const [main, dlq] = r.streams;
    assert.equal(main!.deadLetters, 4);
    assert.equal(dlq!.deadLetters, undefined, 'a dead-letter stream has no dead-letter stream of its own');
    assert.deepEqual(main!.groups[0]!.stuck, ['busy'], 'STUCK: holding entries, idle past the threshold');
    await admin.del(s, `${s}:dlq`);
  });

  it('a round reads list queues in their layouts (LLEN of each list, the oldest started-at stamp) as Redis reports them; one that is not a list queue is left out', async () => {
    const q = uniqueKey('jobs');
    const seeds = uniqueKey('email_queue');
    for (let i = 0; i < 5; i++) await admin.lpush(q, `w${i}`);
    await admin.lpush(`${q}:processing`, 'p1', 'p2');
    const now = Number((await admin.time())[0]) * 1000;
    await admin.zadd(`${q}:started`, now - 60_000, 'p1', now - 5_000, 'p2');
    await admin.lpush(`${q}:dead`, 'd1');
    // The seeds' layout: no started-at stamps, job:<id> hashes.
    await admin.lpush(seeds, 'a', 'b');
    await admin.lpush(`${seeds}:processing`, 'c');
    const notList = uniqueKey('str');
    await admin.set(notList, 'x');
    const r = await sampleRound(client, [], { listQueues: [{ name: q }, { name: seeds, layout: { started: null, jobPrefix: 'job:' } }, { name: notList }] });
    const [a, b] = r.listQueues!;
    assert.equal(r.listQueues!.length, 2, 'the string key is left out');
    assert.deepEqual({ ...a, oldestRunningMs: undefined }, { name: q, waiting: 5, processing: 2, dead: 1, oldestRunningMs: undefined });
    assert.ok(a!.oldestRunningMs! >= 60_000 && a!.oldestRunningMs! < 70_000, `oldest running ${a!.oldestRunningMs} ms`);
    assert.deepEqual(b, { name: seeds, waiting: 2, processing: 1, dead: 0 }, 'no stamps: how long it runs is not known');
    await admin.del(q, `${q}:processing`, `${q}:started`, `${q}:dead`, seeds, `${seeds}:processing`, notList);
  });

  it('rates go on across a Sentinel failover (the sampler follows the master): the failover is marked, the rates after it match what was produced, never a spike (needs Redis 7.0 counters)', async function () {
    const probe = uniqueKey('ha-probe');
    await admin.xadd(probe, '*', 'n', '1');
    const info = (await admin.call('XINFO', 'STREAM', probe)) as unknown[];
    await admin.del(probe);
    if (!info.includes('entries-added')) this.skip();
    const ha = await startSandboxSentinel({ downAfterMs: 1000 });
    const clients: Redis[] = [];
    let stop = false;
    let producer: Promise<void> | undefined;
    try {
      const sampler = (await open(ha.connection)) as Redis;
      const writer = (await open(ha.connection)) as Redis;
      clients.push(sampler, writer);
      const key = 'ha-orders';
      await writer.xgroup('CREATE', key, 'g', '$', 'MKSTREAM');
      /** The reference: when each write was acknowledged. */
      const acked: number[] = [];
      producer = (async () => {
        while (!stop) {
          try {
            await writer.xadd(key, '*', 'n', '1');
            acked.push(Date.now());
          } catch {
            // during the failover: the write is retried by the loop, not counted
          }
          await sleep(10);
        }
      })();
      const h = new MetricsHistory({ intervalMs: 1000 });
      const rounds: Round[] = [];
      const sample = async () => {
        await sleep(1000);
        try {
          const r = await sampleRound(sampler, [key]);
          h.add(r);
          rounds.push(r);
        } catch {
          // a round the failover interrupted: missed, as the editor's sampler misses it
        }
      };
      for (let i = 0; i < 4; i++) await sample();
      const old = await ha.failover();
      await ha.waitForNewMaster(old, 20_000);
      await ha.waitSettled(30_000);
      const deadline = Date.now() + 30_000;
      while (!h.events().some((e) => e.kind === 'failover')) {
        assert.ok(Date.now() < deadline, 'the sampler reached the new master');
        await sample();
      }
      const settled = rounds.length;
      for (let i = 0; i < 5; i++) await sample();
      stop = true;
      await producer;
      const failover = h.events().filter((e) => e.kind === 'failover');
      assert.equal(failover.length, 1, 'one failover marked');
      assert.match(failover[0]!.text, /another server answers now .*a failover or a restart/);
      // After it: each interval's rate against the writes acknowledged in it (10 %, and 3 entries of slack at the edges).
      const after = rounds.slice(settled);
      let sampled = 0;
      let counted = 0;
      for (let i = 1; i < after.length; i++) {
        const [a, b] = [after[i - 1]!, after[i]!];
        const v = h.points(key, undefined, 'in', 10 * 60_000, b.at).find((p) => p.t === b.at)?.v;
        assert.ok(v !== null && v !== undefined, `a rate for the interval ending ${b.at}`);
        sampled += (v * (b.at - a.at)) / 1000;
        counted += acked.filter((t) => t > a.at && t <= b.at).length;
      }
      assert.ok(Math.abs(sampled - counted) <= counted * 0.1 + 3, `sampled ${sampled.toFixed(1)} entries, the producer counted ${counted}`);
      // Never a spike: no interval's rate above what the producer could write in it.
      const maxRate = Math.max(...rounds.slice(1).map((b, i) => (acked.filter((t) => t > rounds[i]!.at && t <= b.at).length * 1000) / (b.at - rounds[i]!.at)));
      for (const p of h.points(key, undefined, 'in', 10 * 60_000)) assert.ok(p.v === null || (p.v >= 0 && p.v <= maxRate * 1.5 + 5), `rate ${p.v} at ${p.t} (the producer's fastest interval: ${maxRate.toFixed(1)}/s)`);
    } finally {
      stop = true;
      await producer;
      for (const c of clients) await quit(c);
      await ha.stop();
    }
  });
});
