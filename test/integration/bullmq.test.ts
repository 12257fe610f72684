// BullMQ queues read as BullMQ sees them (core frameworks/bullmq.ts), against the real BullMQ
// (npm) on a real redis-server: its own producer and worker put jobs in every state (waiting,
// active, delayed, prioritized, completed, failed, paused), and each count and job read from the
// keys is compared with what BullMQ's own API reports (the reference), not hand-copied.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type Job, Queue, Worker } from 'bullmq';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { agentTool, runAgentTool } from '../../src/agent/tools';
import { collect } from '../../src/cli/inspect';
import { BULL_STATES, type BullState, bullJobs, bullQueue, findBullQueues } from '../../src/core/frameworks/bullmq';
import { DEFAULT_THRESHOLDS } from '../../src/core/inspect/health';
import { Inspector } from '../../src/core/inspect/inspect';
import { redisUrl } from '../support/integrationHooks';
import { until } from '../support/until';

describe('(integration) BullMQ queues, read as BullMQ reports them', function () {
  this.timeout(60_000);
  let client: Redis;
  let queue: Queue;
  let worker: Worker;
  let release: () => void = () => undefined;
  const name = `emails-${randomUUID().slice(0, 8)}`;
  let connection: { host: string; port: number; maxRetriesPerRequest: null };

  before(async () => {
    const u = new URL(redisUrl());
    connection = { host: u.hostname, port: Number(u.port), maxRetriesPerRequest: null };
    client = (await open({ url: redisUrl() })) as Redis;
    queue = new Queue(name, { connection });
    const gate = new Promise<void>((r) => (release = r));
    worker = new Worker(
      name,
      async (job: Job) => {
        if (job.name === 'bad') throw new Error(`SMTP 550: mailbox ${String(job.data.to)} unavailable`);
        if (job.name === 'hold') await gate;
        return { sent: job.data.to };
      },
      { connection, concurrency: 1 },
    );
    for (let i = 0; i < 3; i++) await queue.add('ok', { to: `ok${i}@example.com` });
    for (let i = 0; i < 2; i++) await queue.add('bad', { to: `bad${i}@example.com` }, { attempts: 1 });
    await until('3 completed, 2 failed', async () => {
      const c = await queue.getJobCounts();
      return c.completed === 3 && c.failed === 2;
    }, 20_000);
    await queue.add('hold', { to: 'slow@example.com' });
    await until('the hold job active', async () => (await queue.getJobCounts()).active === 1, 20_000);
    // The worker is busy (concurrency 1): these wait.
    for (let i = 0; i < 4; i++) await queue.add('later', { to: `later${i}@example.com`, n: i });
    for (let i = 0; i < 2; i++) await queue.add('reminder', { to: `r${i}@example.com` }, { delay: 60 * 60_000 + i });
    for (let i = 0; i < 2; i++) await queue.add('urgent', { to: `u${i}@example.com` }, { priority: 1 + i });
  });
  after(async () => {
    release();
    await worker?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await quit(client);
  });

  async function compare(): Promise<void> {
    const ours = await bullQueue(client, { name, prefix: 'bull', base: `bull:${name}:` });
    const theirs = await queue.getJobCounts(...BULL_STATES);
    for (const s of BULL_STATES) assert.equal(ours.counts[s], theirs[s] ?? 0, `${s}: ours ${ours.counts[s]}, BullMQ ${theirs[s]}`);
    assert.equal(ours.paused, await queue.isPaused());
    for (const s of BULL_STATES) {
      const { jobs, total } = await bullJobs(client, ours, s as BullState, { count: 50 });
      // (BullMQ's getJobs(['waiting']) includes the paused list: the tree shows the two apart, as getJobCounts does.)
      const pausedIds = s === 'waiting' ? new Set((await queue.getJobs(['paused'], 0, 49)).map((j) => j.id)) : new Set<string | undefined>();
      const ref = (await queue.getJobs([s], 0, 49)).filter((j) => !pausedIds.has(j.id));
      assert.equal(total, theirs[s] ?? 0, `${s} total`);
      assert.deepEqual(jobs.map((j) => j.id).sort(), ref.map((j) => j.id!).sort(), `${s}: the same jobs`);
      for (const j of jobs) {
        const r = ref.find((x) => x.id === j.id)!;
        assert.equal(j.name, r.name);
        assert.deepEqual(JSON.parse(j.data!), r.data, `${s} ${j.id} data`);
        assert.equal(j.attemptsMade, r.attemptsMade, `${s} ${j.id} attempts`);
        assert.equal(j.failedReason, r.failedReason || undefined);
        assert.deepEqual(j.stacktrace, r.stacktrace ?? []);
        assert.equal(j.timestamp, r.timestamp);
        assert.equal(j.processedOn, r.processedOn);
        assert.equal(j.finishedOn, r.finishedOn);
        if (s === 'completed') assert.deepEqual(JSON.parse(j.returnvalue!), r.returnvalue);
      }
    }
  }

  it('finds the queue by its events stream with its meta hash beside it (a stream merely named so is not one)', async () => {
    await client.xadd('not:bull:events', '*', 'a', '1');
    try {
      const found = await findBullQueues(client, [`bull:${name}:events`, 'not:bull:events', 'orders']);
      assert.deepEqual(found, [{ name, prefix: 'bull', base: `bull:${name}:` }]);
    } finally {
      await client.del('not:bull:events');
    }
  });

  it('counts and jobs in every state as BullMQ reports them: waiting, active, delayed, prioritized, completed (return value), failed (reason, stack, attempts)', async () => {
    await compare();
    const ours = await bullQueue(client, { name, prefix: 'bull', base: `bull:${name}:` });
    assert.deepEqual(
      { waiting: ours.counts.waiting, active: ours.counts.active, delayed: ours.counts.delayed, prioritized: ours.counts.prioritized, completed: ours.counts.completed, failed: ours.counts.failed },
      { waiting: 4, active: 1, delayed: 2, prioritized: 2, completed: 3, failed: 2 },
    );
    const failed = await bullJobs(client, ours, 'failed');
    assert.match(failed.jobs[0]!.failedReason!, /^SMTP 550: mailbox bad\d@example\.com unavailable$/);
    assert.match(failed.jobs[0]!.stacktrace[0]!, /Error: SMTP 550/);
    // Waiting: the job a worker takes next first (the oldest added).
    const waiting = await bullJobs(client, ours, 'waiting');
    assert.deepEqual(waiting.jobs.map((j) => JSON.parse(j.data!).n), [0, 1, 2, 3]);
    // Delayed: the soonest first.
    const delayed = await bullJobs(client, ours, 'delayed');
    assert.deepEqual(delayed.jobs.map((j) => JSON.parse(j.data!).to), ['r0@example.com', 'r1@example.com']);
  });

  it('an active job whose lock is gone (its worker stopped renewing it) is STALLED: the lock BullMQ\'s stalled checker looks for is gone', async () => {
    const q = { name, prefix: 'bull', base: `bull:${name}:` };
    const before = await bullQueue(client, q);
    assert.deepEqual(before.stalled, [], 'the worker holds its lock');
    assert.ok(before.oldestActiveAt! <= Date.now() && before.oldestActiveAt! > Date.now() - 60_000);
    const [active] = (await bullJobs(client, q, 'active')).jobs;
    assert.equal(active!.stalled, false);
    // The lock expires (as when a worker dies): stalled.
    const lock = await client.get(`bull:${name}:${active!.id}:lock`);
    await client.del(`bull:${name}:${active!.id}:lock`);
    try {
      assert.deepEqual((await bullQueue(client, q)).stalled, [active!.id]);
      assert.equal((await bullJobs(client, q, 'active')).jobs[0]!.stalled, true);
    } finally {
      // Given back, so that the worker goes on as if nothing happened.
      await client.set(`bull:${name}:${active!.id}:lock`, lock!, 'PX', 30_000);
    }
  });

  it('a paused queue: its waiting jobs in the paused list, the paused flag, as BullMQ reports them; resumed, back', async () => {
    await queue.pause();
    await compare();
    const paused = await bullQueue(client, { name, prefix: 'bull', base: `bull:${name}:` });
    assert.equal(paused.paused, true);
    assert.equal(paused.counts.paused, 4);
    await queue.resume();
    await compare();
    assert.equal((await bullQueue(client, paused)).paused, false);
  });

  it('`inspect` and the agents\' redisq_list_queues report the queue with BullMQ\'s own counts', async () => {
    const inspector = await Inspector.open({ url: redisUrl() });
    try {
      const theirs = await queue.getJobCounts(...BULL_STATES);
      const doc = await collect(inspector, { match: `bull:${name}:*`, limit: 50, pendingPerGroup: 5, thresholds: DEFAULT_THRESHOLDS });
      assert.deepEqual(doc.bullmq?.map((q) => [q.name, q.prefix]), [[name, 'bull']]);
      for (const s of BULL_STATES) assert.equal(doc.bullmq![0]!.counts[s], theirs[s] ?? 0, s);
      const listed = (await runAgentTool(agentTool('redisq_list_queues')!, { inspector, connection: 'test', readOnly: false, thresholds: DEFAULT_THRESHOLDS }, { match: `bull:${name}:*` })) as { summary: string; data: { bullmq?: { name: string; counts: Record<string, number> }[] } };
      assert.equal(listed.data.bullmq?.[0]?.name, name);
      assert.equal(listed.data.bullmq![0]!.counts.failed, theirs.failed);
      assert.match(listed.summary, new RegExp(`BullMQ queue ${name} \\(prefix bull\\): \\d+ waiting, 1 active, 2 delayed, 2 failed, 3 completed`));
    } finally {
      inspector.close();
    }
  });
});
