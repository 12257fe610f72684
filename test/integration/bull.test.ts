// Legacy Bull 3/4 queues (npm `bull`) read as Bull sees them (core frameworks/bull.ts, through the
// BullMQ reader), against the real `bull` on a real redis-server: its own producer and worker put
// jobs in every state (waiting, prioritized, active held by the worker, delayed, completed,
// failed, paused), and each count and job read from the keys is compared with what Bull's own
// API reports (getJobCounts, getJobs), not hand-copied. Read through a user allowed only read
// commands, so any write would fail the test. A BullMQ queue beside it is not taken for a Bull
// one, nor the Bull one for BullMQ; the list walk hands the Bull lists over, not as list queues.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import Bull from 'bull';
import { Queue as BullMQQueue } from 'bullmq';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { newDiscoveryState } from '../../src/core/inspect/discovery';
import { BULL3_STATES, bull3QueueOfListKey, bull3QueuesAmong, findBull3Queues } from '../../src/core/frameworks/bull';
import { type BullQueueRef, type BullState, bullJobs, bullQueue, findBullQueues } from '../../src/core/frameworks/bullmq';
import { Inspector } from '../../src/core/inspect/inspect';
import { DEFAULT_THRESHOLDS } from '../../src/core/inspect/health';
import { agentTool, runAgentTool } from '../../src/agent/tools';
import { collect, renderInspection } from '../../src/cli/inspect';
import { redisUrl } from '../support/integrationHooks';
import { until } from '../support/until';

/** Bull's own getter per state, and whether it reads ascending (getWaiting, getActive, getDelayed: yes; getCompleted, getFailed: no). */
const ASC: Record<string, boolean> = { waiting: true, paused: true, active: true, delayed: true, completed: false, failed: false };

describe('(integration) Bull 3/4 queues, read as Bull reports them', function () {
  this.timeout(60_000);
  const prefix = `b3${randomUUID().slice(0, 8)}`;
  const name = 'mail';
  const ref: BullQueueRef = { name, prefix, base: `${prefix}:${name}:`, legacy: true };
  const reader = `b3reader-${prefix}`;
  let admin: Redis;
  let client: Redis;
  let queue: Bull.Queue;
  let other: BullMQQueue;
  let release: () => void = () => undefined;

  before(async () => {
    const u = new URL(redisUrl());
    admin = (await open({ url: redisUrl() })) as Redis;
    // Our reads go through a user allowed read commands only: a write would be refused.
    await admin.call('ACL', 'SETUSER', reader, 'reset', 'on', '>pw', '~*', '&*', '+@read', '+@connection', '+info', '+client');
    const ro = new URL(redisUrl());
    ro.username = reader;
    ro.password = 'pw';
    client = (await open({ url: ro.toString() })) as Redis;
    queue = new Bull(name, { redis: { host: u.hostname, port: Number(u.port) }, prefix });
    other = new BullMQQueue('orders', { connection: { host: u.hostname, port: Number(u.port), maxRetriesPerRequest: null }, prefix });
    await other.add('ship', { n: 1 });
    const gate = new Promise<void>((r) => (release = r));
    // (Bull runs a named job only by a processor of its name, or '*'.)
    void queue.process('*', 1, async (job: Bull.Job) => {
      if (job.name === 'bad') throw new Error(`SMTP 550: mailbox ${String(job.data.to)} unavailable`);
      if (job.name === 'hold') await gate;
      return { sent: job.data.to };
    });
    for (let i = 0; i < 3; i++) await queue.add('ok', { to: `ok${i}@example.com` });
    for (let i = 0; i < 2; i++) await queue.add('bad', { to: `bad${i}@example.com` }, { attempts: 1 });
    await until('3 completed, 2 failed', async () => {
      const c = await queue.getJobCounts();
      return c.completed === 3 && c.failed === 2;
    }, 20_000);
    await queue.add('hold', { to: 'slow@example.com' });
    await until('the hold job active', async () => (await queue.getJobCounts()).active === 1, 20_000);
    // The worker is busy (concurrency 1): these wait; the prioritized ones wait in `wait` too, by priority.
    for (let i = 0; i < 4; i++) await queue.add('later', { to: `later${i}@example.com`, n: i });
    for (let i = 0; i < 2; i++) await queue.add('reminder', { to: `r${i}@example.com` }, { delay: 60 * 60_000 + i });
    for (let i = 0; i < 2; i++) await queue.add('urgent', { to: `u${i}@example.com`, n: 10 + i }, { priority: 2 - i });
  });
  after(async () => {
    release();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close().catch(() => undefined);
    await other?.obliterate({ force: true }).catch(() => undefined);
    await other?.close();
    await quit(client);
    await admin.call('ACL', 'DELUSER', reader).catch(() => undefined);
    await quit(admin);
  });

  async function compare(): Promise<Record<string, number>> {
    const ours = await bullQueue(client, ref);
    const theirs = (await queue.getJobCounts()) as unknown as Record<string, number>;
    assert.deepEqual(Object.keys(theirs).sort(), [...BULL3_STATES].sort(), 'Bull counts these states');
    for (const s of BULL3_STATES) assert.equal(ours.counts[s], theirs[s], `${s}: ours ${ours.counts[s]}, Bull ${theirs[s]}`);
    assert.equal(ours.counts.prioritized + ours.counts['waiting-children'], 0, 'no BullMQ-only state');
    assert.equal(ours.paused, await queue.isPaused());
    for (const s of BULL3_STATES) {
      const { jobs, total } = await bullJobs(client, ours, s as BullState, { count: 50 });
      const refJobs = await queue.getJobs([s as Bull.JobStatus], 0, 49, ASC[s]);
      assert.equal(total, theirs[s], `${s} total`);
      assert.deepEqual(jobs.map((j) => j.id), refJobs.map((j) => String(j.id)), `${s}: the same jobs in Bull's order`);
      jobs.forEach((j, i) => {
        const r = refJobs[i]!;
        assert.equal(j.name, r.name);
        assert.deepEqual(JSON.parse(j.data!), r.data, `${s} ${j.id} data`);
        assert.equal(j.attemptsMade, r.attemptsMade, `${s} ${j.id} attempts`);
        assert.equal(j.failedReason, r.failedReason || undefined);
        assert.deepEqual(j.stacktrace, r.stacktrace ?? []);
        assert.equal(j.timestamp, r.timestamp);
        assert.equal(j.processedOn, r.processedOn || undefined);
        assert.equal(j.finishedOn, r.finishedOn || undefined);
        if (s === 'completed') assert.deepEqual(JSON.parse(j.returnvalue!), r.returnvalue);
      });
    }
    return theirs;
  }

  it('the list walk hands over the Bull and BullMQ lists (not as list queues); of them the Bull queue is Bull\'s, the BullMQ one is not, and BullMQ\'s finder does not take the Bull one', async () => {
    // A `job:<id>` hash for the Bull list's next id: the seeds' layout, which a sample would have taken for a list queue.
    const next = (await client.lindex(`${ref.base}wait`, -1))!;
    const planted = (await admin.exists(`job:${next}`)) === 0;
    if (planted) await admin.hset(`job:${next}`, 'payload', 'x');
    const insp = await Inspector.open({ url: redisUrl() });
    try {
      const state = newDiscoveryState();
      const r = await insp.discover('listQueues', state, { match: `${prefix}:*`, maxMs: 10_000 });
      assert.equal(r.stopped, 'done');
      assert.deepEqual(r.keys, [], 'no list queue');
      assert.deepEqual([...state.queueLists!].sort(), [`${ref.base}active`, `${ref.base}wait`, `${prefix}:orders:wait`]);
      assert.deepEqual(await findBull3Queues(client, state.queueLists!), [ref]);
      assert.deepEqual(await findBullQueues(client, [`${ref.base}events`, `${prefix}:orders:events`]), [{ name: 'orders', prefix, base: `${prefix}:orders:` }]);
      assert.deepEqual(bull3QueueOfListKey(`${prefix}:orders:paused`), { name: 'orders', prefix, base: `${prefix}:orders:`, legacy: true });
      assert.equal(bull3QueueOfListKey(`${prefix}:orders:processing`), undefined);
    } finally {
      insp.close();
      if (planted) await admin.del(`job:${next}`);
    }
  });

  it('counts and jobs in every state as Bull reports them: waiting (prioritized first, by priority), active, delayed, completed (return value), failed (reason, stack, attempts)', async () => {
    const c = await compare();
    assert.deepEqual(c, { waiting: 6, active: 1, completed: 3, failed: 2, delayed: 2, paused: 0 });
    const [summary] = await bull3QueuesAmong(client, [`${ref.base}wait`]);
    assert.equal(summary!.counts.waiting, 6);
    assert.deepEqual(summary!.stalled, [], 'the worker holds its lock');
    const waiting = await bullJobs(client, ref, 'waiting');
    assert.deepEqual(waiting.jobs.map((j) => JSON.parse(j.data!).n), [11, 10, 0, 1, 2, 3], 'the job a worker takes next first: priority 1, 2, then the oldest');
    assert.deepEqual(waiting.jobs.map((j) => j.priority), [1, 2, 0, 0, 0, 0]);
    const failed = await bullJobs(client, ref, 'failed');
    assert.match(failed.jobs[0]!.failedReason!, /^SMTP 550: mailbox bad\d@example\.com unavailable$/);
    assert.match(failed.jobs[0]!.stacktrace[0]!, /Error: SMTP 550/);
    const delayed = await bullJobs(client, ref, 'delayed');
    assert.deepEqual(delayed.jobs.map((j) => JSON.parse(j.data!).to), ['r0@example.com', 'r1@example.com']);
    // A page: Bull's own range.
    const page = await bullJobs(client, ref, 'waiting', { start: 2, count: 3 });
    assert.deepEqual(page.jobs.map((j) => j.id), (await queue.getJobs(['waiting'], 2, 4, true)).map((j) => String(j.id)));
  });

  it("`inspect` and the agents' redisq_list_queues report the Bull queue with Bull's own counts (found by the list walk), not as a list queue nor as BullMQ's", async () => {
    const inspector = await Inspector.open({ url: redisUrl() });
    try {
      const theirs = (await queue.getJobCounts()) as unknown as Record<string, number>;
      const doc = await collect(inspector, { match: `${prefix}:*`, limit: 50, pendingPerGroup: 5, thresholds: DEFAULT_THRESHOLDS });
      assert.deepEqual(doc.bull, [{ name, prefix, paused: false, counts: Object.fromEntries(BULL3_STATES.map((s) => [s, theirs[s]])) }]);
      assert.deepEqual(doc.listQueues, [], 'its lists are not list queues');
      assert.deepEqual(doc.bullmq!.map((q) => q.name), ['orders'], 'the BullMQ queue beside it stays BullMQ');
      const text = renderInspection(doc);
      const at = text.indexOf('Bull 3/4 queues (1)');
      assert.ok(at >= 0, text.join('\n'));
      assert.deepEqual(text.slice(at + 2).find((l) => l.trim().startsWith(`${name} `))?.trim().split(/\s+/), [name, prefix, String(theirs.waiting! + theirs.paused!), String(theirs.active), String(theirs.delayed), String(theirs.failed), String(theirs.completed), '-']);
      const listed = (await runAgentTool(agentTool('redisq_list_queues')!, { inspector, connection: 'test', readOnly: false, thresholds: DEFAULT_THRESHOLDS }, { match: `${prefix}:*` })) as { summary: string; data: { bull?: unknown[] } };
      assert.deepEqual(listed.data.bull, doc.bull);
      assert.match(listed.summary, new RegExp(`- Bull queue ${name} \\(prefix ${prefix}, Bull 3/4\\): ${theirs.waiting! + theirs.paused!} waiting, ${theirs.active} active, ${theirs.delayed} delayed, ${theirs.failed} failed, ${theirs.completed} completed`));
      assert.match(listed.summary, /, 1 BullMQ queue, 1 Bull queue/);
    } finally {
      inspector.close();
    }
  });

  it('a paused queue: its waiting jobs in the paused list, paused as Bull\'s isPaused() says (also with the meta hash Bull 4 writes); resumed, back', async () => {
    await queue.pause();
    const c = await compare();
    assert.equal(c.paused, 6);
    assert.equal((await bullQueue(client, ref)).paused, true);
    assert.equal(await admin.hget(`${ref.base}meta`, 'paused'), '1', 'Bull 4 writes meta.paused too');
    assert.deepEqual(await findBull3Queues(client, [`${ref.base}paused`]), [ref], 'still Bull\'s, not BullMQ\'s');
    await queue.resume();
    await compare();
    assert.equal((await bullQueue(client, ref)).paused, false);
  });
});
