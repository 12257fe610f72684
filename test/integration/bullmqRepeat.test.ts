// BullMQ job schedulers and legacy repeatable jobs read from their keys (core frameworks/bullmq.ts),
// against the real BullMQ (npm) on a real redis-server: BullMQ's own Queue.upsertJobScheduler
// makes schedulers (an interval one with a template, a cron one with a time zone, one with a
// limit), queue.add(…, { repeat }) makes legacy repeatable jobs, BullMQ's own worker runs the
// first iterations; the count and each field are compared with getJobSchedulersCount() and
// getJobSchedulers() (the reference), not hand-copied.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Job, Queue, Worker } from 'bullmq';
import type Redis from 'ioredis';
import { collect } from '../../src/cli/inspect';
import { open, quit } from '../../src/core/redis/connection';
import { type BullScheduler, bullJobs, bullQueue, bullSchedulers } from '../../src/core/frameworks/bullmq';
import { DEFAULT_THRESHOLDS } from '../../src/core/inspect/health';
import { Inspector } from '../../src/core/inspect/inspect';
import { redisUrl } from '../support/integrationHooks';
import { until } from '../support/until';

describe('(integration) BullMQ job schedulers and repeatable jobs, read as BullMQ reports them', function () {
  this.timeout(60_000);
  let client: Redis;
  let queue: Queue;
  const name = `cron-${randomUUID().slice(0, 8)}`;
  const ref = { name, prefix: 'bull', base: `bull:${name}:` };
  const ran: string[] = [];

  before(async () => {
    const u = new URL(redisUrl());
    const connection = { host: u.hostname, port: Number(u.port), maxRetriesPerRequest: null };
    client = (await open({ url: redisUrl() })) as Redis;
    queue = new Queue(name, { connection });
    await queue.upsertJobScheduler('every-5m', { every: 5 * 60_000 }, { name: 'digest', data: { kind: 'digest' }, opts: { attempts: 2, removeOnComplete: 10 } });
    await queue.upsertJobScheduler('nightly', { pattern: '0 3 * * *', tz: 'Europe/Paris' }, { name: 'report', data: { kind: 'report' } });
    // No template name: BullMQ names its jobs after the scheduler.
    await queue.upsertJobScheduler('limited', { every: 2 * 60_000, limit: 3 });
    // Deprecated, still in BullMQ 5: a repeatable job, keyed by an md5 hash of its options.
    await queue.add('cleanup', { kind: 'cleanup' }, { repeat: { every: 10 * 60_000 } });
    await queue.add('weekly', { kind: 'weekly' }, { repeat: { pattern: '30 4 * * 1', tz: 'UTC' } });
    // The interval schedulers' first jobs run now; BullMQ's worker then makes each one's next
    // (delayed) iteration.
    const worker = new Worker(name, async (job: Job) => void ran.push(job.name), { connection, concurrency: 1 });
    try {
      await until('every scheduler with its next iteration delayed', async () => {
        const all = await queue.getJobSchedulers(0, -1, true);
        if (all.length !== 5 || ran.length < 2) return false;
        const states = await Promise.all(all.map((s) => queue.getJobState(`repeat:${s.key}:${s.next}`)));
        return states.every((s) => s === 'delayed');
      }, 20_000);
    } finally {
      await worker.close();
    }
  });
  after(async () => {
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await quit(client);
  });

  /** Ours beside BullMQ's, field by field (the template through BullMQ's own decoder). */
  async function compare(start: number, count: number): Promise<BullScheduler[]> {
    const ours = await bullSchedulers(client, ref, { start, count });
    const theirs = await queue.getJobSchedulers(start, start + count - 1, true);
    assert.equal(ours.total, await queue.getJobSchedulersCount());
    assert.deepEqual(
      ours.schedulers.map((s) => s.key),
      theirs.map((s) => s.key),
      'the same schedulers, in the same order',
    );
    ours.schedulers.forEach((s, i) => {
      const t = theirs[i]!;
      const tt = t as typeof t & { iterationCount?: number; limit?: number; startDate?: number; offset?: number };
      assert.deepEqual(
        [s.name, s.next, s.pattern, s.every, s.tz, s.iterationCount, s.limit, s.endDate, s.startDate, s.offset],
        [t.name, t.next, t.pattern ?? undefined, t.every === undefined || t.every === null ? undefined : Number(t.every), t.tz ?? undefined, tt.iterationCount, tt.limit, t.endDate ?? undefined, tt.startDate, tt.offset],
        `${s.key}: ours ${JSON.stringify(s)}, BullMQ ${JSON.stringify(t)}`,
      );
      assert.deepEqual(s.data === undefined ? undefined : JSON.parse(s.data), t.template?.data, `${s.key} template data`);
      assert.deepEqual(s.opts === undefined ? undefined : Job.optsFromJSON(s.opts), t.template?.opts, `${s.key} template options`);
      // BullMQ's own test of a scheduler: its hash has an iteration count.
      assert.equal(s.legacy, tt.iterationCount === undefined);
    });
    return ours.schedulers;
  }

  it('the queue summary counts them as getJobSchedulersCount() does, and `inspect --json` says so', async () => {
    const count = await queue.getJobSchedulersCount();
    assert.equal(count, 5);
    assert.equal((await bullQueue(client, ref)).schedulers, count);
    const inspector = await Inspector.open({ url: redisUrl() });
    try {
      const doc = await collect(inspector, { match: `bull:${name}:*`, limit: 50, pendingPerGroup: 5, thresholds: DEFAULT_THRESHOLDS });
      assert.equal(doc.bullmq?.[0]?.schedulers, count);
    } finally {
      inspector.close();
    }
  });

  it('every scheduler and legacy repeatable job as getJobSchedulers() gives it, next run first: name, pattern or every, tz, next, iterations, limit, template', async () => {
    const all = await compare(0, 100);
    const by = Object.fromEntries(all.map((s) => [s.name!, s]));
    assert.deepEqual(
      all.map((s) => s.next),
      all.map((s) => s.next).sort((a, b) => a - b),
      'next run first',
    );
    assert.deepEqual(Object.keys(by).sort(), ['cleanup', 'digest', 'limited', 'report', 'weekly']);
    assert.deepEqual([by.digest!.key, by.digest!.every, by.digest!.legacy, JSON.parse(by.digest!.data!)], ['every-5m', 300_000, false, { kind: 'digest' }]);
    assert.deepEqual([by.report!.key, by.report!.pattern, by.report!.tz, by.report!.every], ['nightly', '0 3 * * *', 'Europe/Paris', undefined]);
    assert.deepEqual([by.limited!.key, by.limited!.limit, by.limited!.data], ['limited', 3, undefined]);
    // The interval schedulers ran once (BullMQ's worker), so their next is their second iteration.
    assert.equal(by.digest!.iterationCount, 2);
    assert.equal(by.limited!.iterationCount, 2);
    assert.equal(by.report!.iterationCount, 1);
    assert.deepEqual(ran.sort(), ['digest', 'limited']);
    for (const l of [by.cleanup!, by.weekly!]) {
      assert.equal(l.legacy, true);
      assert.match(l.key, /^[0-9a-f]{32}$/, 'a legacy key is an md5 hash of its options');
    }
    assert.deepEqual([by.cleanup!.every, by.weekly!.pattern, by.weekly!.tz], [600_000, '30 4 * * 1', 'UTC']);
  });

  it('a page of them is the same page getJobSchedulers(start, end, true) gives', async () => {
    assert.equal((await compare(1, 2)).length, 2);
    assert.equal((await compare(4, 10)).length, 1);
    assert.equal((await compare(5, 10)).length, 0);
  });

  it('each one\'s next iteration, made by BullMQ, is in Delayed as repeat:<key>:<next>, under its name', async () => {
    const { schedulers } = await bullSchedulers(client, ref);
    const delayed = await bullJobs(client, ref, 'delayed', { count: 100 });
    assert.equal(delayed.total, (await queue.getJobCounts('delayed')).delayed);
    for (const s of schedulers) {
      const j = delayed.jobs.find((x) => x.id === `repeat:${s.key}:${s.next}`);
      assert.ok(j, `${s.name}: its next job in Delayed`);
      assert.equal(j.name, s.name);
      assert.equal(j.timestamp! + j.delay!, s.next, `${s.name}: due at its next run`);
    }
  });

  it('a scheduler removed by BullMQ is gone from the count and the page', async () => {
    assert.equal(await queue.removeJobScheduler('limited'), true);
    assert.equal((await bullQueue(client, ref)).schedulers, 4);
    const all = await compare(0, 100);
    assert.ok(!all.some((s) => s.key === 'limited'));
  });
});
