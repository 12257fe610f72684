// Health over time against a real redis-server: a producer at known rates (about 200/s, then about
// 50/s) and a consumer reading about 100/s, sampled every second by core sampleRound into a
// MetricsHistory. The sampled rates are compared with what the test itself counted (the
// reference), the lag's trend has the right sign in each phase, and a stream deleted and recreated
// and a group reset give no spike. The round's calls are counted by the server.
import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/connection';
import { MetricsHistory, trendOf } from '../../src/core/metrics/history';
import { sampleRound } from '../../src/core/metrics/sampler';
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

  it('a round sends two calls per stream and one per group holding entries, whatever the keyspace holds', async () => {
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
    assert.equal(r.calls, 3 * 2 + 2);
    assert.equal(calls('xinfo'), 6);
    assert.equal(calls('xpending'), 2, 'XPENDING only for the groups holding entries');
    assert.deepEqual(r.streams.map((x) => x.key), keys);
    assert.deepEqual(Object.keys(r.missing), [gone], 'the missing stream is said');
    assert.equal(r.streams[0]!.groups.find((g) => g.name === 'g1')!.pending, 1);
    await admin.del(...keys);
  });
});
