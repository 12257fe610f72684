// A BullMQ job's history (core frameworks/bullmqHistory.ts) against BullMQ's own QueueEvents: the
// real BullMQ runs jobs (a failure then a retry that succeeds, progress, a delayed one, a removed
// one, one that fails for good) while other jobs interleave; for each job, the events we read from the events stream are
// exactly those QueueEvents emitted for it, in order, whatever the page size; a bound says the
// read is not complete.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { bullJobHistory } from '../../src/core/frameworks/bullmqHistory';
import { redisUrl } from '../support/integrationHooks';
import { until } from '../support/until';

const EVENTS = ['added', 'waiting', 'active', 'progress', 'completed', 'failed', 'delayed', 'retries-exhausted', 'removed', 'waiting-children', 'stalled', 'duplicated', 'deduplicated', 'paused', 'resumed', 'cleaned', 'drained'] as const;

describe('(integration) a BullMQ job\'s history, as BullMQ\'s QueueEvents sees it', function () {
  this.timeout(60_000);
  let client: Redis;
  const name = `hist-${randomUUID().slice(0, 8)}`;
  let connection: { host: string; port: number; maxRetriesPerRequest: null };
  let queue: Queue;
  let events: QueueEvents;
  /** jobId → event names in the order QueueEvents emitted them. */
  const seen = new Map<string, string[]>();

  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
    const u = new URL(redisUrl());
    connection = { host: u.hostname, port: Number(u.port), maxRetriesPerRequest: null };
    queue = new Queue(name, { connection });
    events = new QueueEvents(name, { connection, lastEventId: '0-0' });
    for (const e of EVENTS) {
      events.on(e as 'added', (args: { jobId?: string }) => {
        if (args?.jobId === undefined) return;
        seen.set(args.jobId, [...(seen.get(args.jobId) ?? []), e]);
      });
    }
    await events.waitUntilReady();
  });
  after(async () => {
    await events.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await quit(client);
  });

  it('each job\'s events are those QueueEvents emitted for it, in order, for any page size; a bound says it is not complete', async () => {
    const flaky = await queue.add('send', { to: 'a@example.com' }, { attempts: 2 });
    const ok = await Promise.all(Array.from({ length: 5 }, (_, i) => queue.add('send', { to: `x${i}@example.com` })));
    const later = await queue.add('reminder', { to: 'b@example.com' }, { delay: 60 * 60_000 });
    const gone = await queue.add('send', { to: 'c@example.com' }, { delay: 60 * 60_000 });
    const dead = await queue.add('send', { to: 'bad@example.com' }, { attempts: 1 });
    let tries = 0;
    const worker = new Worker(
      name,
      async (job: Job) => {
        await job.updateProgress(50);
        if (job.id === flaky.id && tries++ === 0) throw new Error('SMTP 421: try again');
        if (job.id === dead.id) throw new Error('SMTP 550: mailbox unavailable');
        return { sent: true };
      },
      { connection },
    );
    await until('6 jobs completed, 1 failed', async () => {
      const c = await queue.getJobCounts('completed', 'failed');
      return c.completed === 6 && c.failed === 1;
    }, 20_000);
    await worker.close();
    await gone.remove();
    const ids = [flaky, ...ok, later, gone, dead].map((j) => j.id!);
    await until('QueueEvents saw every job end where it is', () => seen.get(flaky.id!)?.includes('completed') === true && seen.get(gone.id!)?.includes('removed') === true && seen.get(dead.id!)?.includes('failed') === true && ok.every((j) => seen.get(j.id!)?.includes('completed')), 20_000);
    const total = await client.xlen(`bull:${name}:events`);
    for (const pageSize of [1, 3, 1000]) {
      for (const id of ids) {
        const h = await bullJobHistory(client, { name, prefix: 'bull', base: `bull:${name}:` }, id, { pageSize });
        assert.deepEqual(h.events.map((e) => e.event), seen.get(id), `job ${id}, page ${pageSize}`);
        assert.deepEqual([h.complete, h.examined, h.trimmed], [true, total, false]);
      }
    }
    // What the events say, besides their names: a retried failure (BullMQ records it as waiting
    // again, prev active), the return value; a last failure with its reason.
    const h = await bullJobHistory(client, { name, prefix: 'bull', base: `bull:${name}:` }, flaky.id!);
    assert.deepEqual(h.events.map((e) => [e.event, e.fields.find(([k]) => k === 'prev')?.[1] ?? '']).slice(4, 6), [['waiting', 'active'], ['active', 'waiting']]);
    assert.deepEqual(h.events.find((e) => e.event === 'completed')?.fields.find(([k]) => k === 'returnvalue'), ['returnvalue', '{"sent":true}']);
    const d = await bullJobHistory(client, { name, prefix: 'bull', base: `bull:${name}:` }, dead.id!);
    assert.deepEqual(d.events.find((e) => e.event === 'failed')?.fields.find(([k]) => k === 'failedReason'), ['failedReason', 'SMTP 550: mailbox unavailable']);
    assert.ok(h.events.every((e, i) => i === 0 || e.at >= h.events[i - 1]!.at), 'oldest first');
    // A bound: only the newest entries are read, and it says so.
    const bounded = await bullJobHistory(client, { name, prefix: 'bull', base: `bull:${name}:` }, flaky.id!, { maxEntries: 3, pageSize: 2 });
    assert.deepEqual([bounded.complete, bounded.examined], [false, 3]);
    assert.ok(seen.get(flaky.id!)!.join(',').endsWith(bounded.events.map((e) => e.event).join(',')));
  });
});
