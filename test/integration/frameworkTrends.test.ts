// Framework figures over time (core metrics/sampler.ts `frameworks`, metrics/history.ts): rounds
// sampled while the real frameworks move jobs: a real `sidekiq` process fails jobs into Retries
// and Dead, RQ's own worker fails jobs into a queue's failed registry. Each round's counts equal
// what Sidekiq's and RQ's own APIs report at that moment (compared in the test), the history keeps
// them as a reference list written here, and the growing sets read as growing. Database 9.
import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { MetricsHistory, keepsGrowing, trendOf } from '../../src/core/metrics/history';
import { type FrameworkSample, type Round, sampleRound } from '../../src/core/metrics/sampler';
import { redisUrl } from '../support/integrationHooks';
import { rqFailed, rqReport } from '../support/rqPython';
import { sidekiqReport, sidekiqSeed, startSidekiq } from '../support/sidekiq';
import { until } from '../support/until';

const DB = 9;
const WORK = 'trend-work';
const RQ_QUEUE = 'trend-mail';

describe('(integration) framework counts over time, sampled while Sidekiq and RQ fail jobs', function () {
  this.timeout(120_000);
  let url: string;
  let client: Redis;
  let sidekiq: ReturnType<typeof startSidekiq> | undefined;

  before(async () => {
    url = `${redisUrl()}/${DB}`;
    client = (await open({ url })) as Redis;
    await client.flushdb();
    sidekiq = startSidekiq(url, [WORK], 2);
  });
  after(async () => {
    await sidekiq?.stop();
    await client?.flushdb();
    await quit(client);
  });

  const counts = (fw: FrameworkSample | undefined, row: string) => Object.fromEntries(fw?.rows.find((r) => r.name === row)?.states.map((s) => [s.state, s.count]) ?? []);

  it('each round counts Retries, Dead and RQ failed as their APIs do; the history holds every round; Retries and Dead read as growing, and a burst is marked', async () => {
    const h = new MetricsHistory({ intervalMs: 1000 });
    const expected = { retry: [] as number[], dead: [] as number[], rqFailed: [] as number[] };
    let at = Date.UTC(2026, 11, 6, 12, 0, 0);
    const asked = [{ framework: 'sidekiq' as const, prefix: '' }, { framework: 'rq' as const, prefix: 'rq:' }];
    const take = async (): Promise<Round> => {
      const r = await sampleRound(client, [], { frameworks: asked, now: () => at });
      h.add(r);
      at += 1000;
      return r;
    };
    for (let i = 0; i < 7; i++) {
      // One more job into Retries and one into Dead (retry: 0), by the real Sidekiq; one more RQ failure every other round.
      const before = [await client.zcard('retry'), await client.zcard('dead')];
      await sidekiqSeed(url, [
        { via: 'async', args: ['fail', i], opts: { queue: WORK, retry: 3 } },
        { via: 'async', args: ['fail', i], opts: { queue: WORK, retry: 0 } },
      ]);
      if (i % 2 === 0) await rqFailed(url, RQ_QUEUE, 1);
      await until('both failures landed', async () => (await client.zcard('retry')) === before[0]! + 1 && (await client.zcard('dead')) === before[1]! + 1, 30_000);
      // Nothing moves between the round and the APIs' answers now (retries wait an hour).
      const r = await take();
      const [sk, rq] = await Promise.all([sidekiqReport(url), rqReport(url, RQ_QUEUE)]);
      const side = r.frameworks?.find((f) => f.framework === 'sidekiq');
      const rqs = r.frameworks?.find((f) => f.framework === 'rq');
      assert.deepEqual([counts(side, 'Retries').retry, counts(side, 'Dead').dead], [sk.stats.retry_size, sk.stats.dead_size], `round ${i}: Sidekiq's API`);
      assert.equal(counts(side, WORK).enqueued, sk.queues.find((q) => q.name === WORK)?.size ?? 0, `round ${i}: Sidekiq's queue`);
      const ours = counts(rqs, RQ_QUEUE);
      for (const s of Object.keys(rq.counts)) assert.equal(ours[s], rq.counts[s], `round ${i}: RQ's ${s}`);
      expected.retry.push(sk.stats.retry_size);
      expected.dead.push(sk.stats.dead_size);
      expected.rqFailed.push(rq.counts.failed!);
    }
    const all = (fw: 'sidekiq' | 'rq', row: string, state: string) => h.frameworkPoints(fw, row, state, 60 * 60_000, at).map((p) => p.v);
    assert.deepEqual(all('sidekiq', 'retry', 'retry'), expected.retry);
    assert.deepEqual(all('sidekiq', 'dead', 'dead'), expected.dead);
    assert.deepEqual(all('rq', `rq:queue:${RQ_QUEUE}`, 'failed'), expected.rqFailed);
    for (const [row, state] of [['retry', 'retry'], ['dead', 'dead']] as const) {
      const pts = h.frameworkPoints('sidekiq', row, state, 60 * 60_000, at);
      assert.ok(keepsGrowing(pts, 6), `${row} keeps growing`);
      assert.equal(trendOf(pts).direction, 'up');
    }
    assert.deepEqual([...h.streams().keys()], [], 'no framework row is taken for a stream');
    // Five failures in one interval: a burst, named where it went.
    const before = await client.zcard('dead');
    await sidekiqSeed(url, Array.from({ length: 5 }, (_, i) => ({ via: 'async' as const, args: ['fail', `b${i}`], opts: { queue: WORK, retry: 0 } })));
    await until('five more in Dead', async () => (await client.zcard('dead')) === before + 5, 30_000);
    await take();
    assert.deepEqual(h.events().map((e) => e.text), ['failed-job burst: 5 to Dead (sidekiq) in 1 s']);
  });

  it('a deployment gone (its keys removed) is left out of the round, without an error', async () => {
    await client.flushdb();
    const r = await sampleRound(client, [], { frameworks: [{ framework: 'rq', prefix: 'rq:' }, { framework: 'sidekiq', prefix: '' }] });
    // Sidekiq's own process re-registers itself within its heartbeat: it may be back, RQ is not.
    assert.equal((r.frameworks ?? []).some((f) => f.framework === 'rq'), false);
  });
});
