// List queues in their own key layout, on a real redis-server: the seeds' layout (an article's
// Python code: `email_queue`, `email_queue:processing`, job hashes `job:<id>`, no started-at
// stamps), recognised by itself, and a custom layout (other list names, started set and job
// prefix), through every list-queue operation: enqueue and work, inspector figures and jobs,
// requeue, retry-dead and delete-job. Each must touch the layout's keys and never the default ones.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { BadInputError } from '../../src/core/redis/errors';
import { describeRunning, isListJobStuck } from '../../src/core/inspect/health';
import { Inspector } from '../../src/core/inspect/inspect';
import * as ops from '../../src/core/ops';
import { JOB_FIELDS, type ListQueueLayout, listQueueKeys } from '../../src/core/queue/list/keys';
import { detectListQueueLayout, probeListQueueLayout } from '../../src/core/queue/list/layout';
import { ListQueueProducer, ListQueueWorker, type ListQueueWorkerOptions } from '../../src/core/queue/list/queue';
import { redisUrl, uniqueKey } from '../support/integrationHooks';
import { waitFor } from './queue/helpers';

describe('(integration) list queues in their own layout', () => {
  let client: Redis;
  let t: ops.OpTarget;
  const workers: ListQueueWorker[] = [];
  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
    t = { client, name: 'test' };
  });
  afterEach(async () => void (await Promise.all(workers.splice(0).map((w) => w.stop()))));
  after(() => quit(client));

  function worker(o: Omit<ListQueueWorkerOptions, 'connection'>): ListQueueWorker {
    const w = new ListQueueWorker({ connection: { url: redisUrl() }, blockMs: 200, reapIntervalMs: 0, ...o });
    workers.push(w);
    return w;
  }

  async function calls(command: string): Promise<number> {
    return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(String(await client.info('commandstats')))?.[1] ?? 0);
  }

  /** Keys matching `pattern` (the test server holds only test data; a few keys). */
  async function keys(pattern: string): Promise<string[]> {
    return (await client.keys(pattern)).sort();
  }

  describe("the seeds' layout: email_queue, email_queue:processing, job:<id>", () => {
    const q = 'email_queue';
    const seeds: ListQueueLayout = { jobPrefix: 'job:', started: null };
    let ids: string[] = [];

    /** What the seeds' producer and reliable consumer leave: three jobs enqueued, one taken (RPOPLPUSH). */
    beforeEach(async () => {
      await client.del(q, `${q}:processing`, `${q}:dead`, `${q}:started`);
      ids = [randomUUID(), randomUUID(), randomUUID()];
      for (const [i, id] of ids.entries()) {
        await client.hset(`job:${id}`, { recipient: `user${i}@example.com`, subject: 'Welcome', body: 'Thanks for signing up!', status: 'pending', created_at: String(Date.now() / 1000) });
        await client.lpush(q, id);
      }
      assert.equal(await client.rpoplpush(q, `${q}:processing`), ids[0]);
    });

    it('is recognised by itself (a few LRANGEs and EXISTS, no SCAN), and the inspector keeps a decided answer', async () => {
      const scans = await calls('scan');
      assert.deepEqual(await detectListQueueLayout(client, q), seeds);
      const probe = await probeListQueueLayout(client, q);
      assert.deepEqual({ sampled: probe.sampled, own: probe.ownHits, plain: probe.plainHits, conclusive: probe.conclusive }, { sampled: 3, own: 0, plain: 3, conclusive: true });
      assert.equal(await calls('scan'), scans, 'never a scan');
      // The inspector detects once and keeps a conclusive answer.
      const insp = new Inspector(client);
      assert.deepEqual(await insp.listQueueLayout(q), seeds);
      const lranges = await calls('lrange');
      await insp.listQueue(q);
      await insp.listQueue(q);
      assert.equal(await calls('lrange'), lranges, 'no detection again');
    });

    it("default layout when the ids tell nothing or both layouts' hashes exist; started set kept when stamps exist", async () => {
      const empty = `${uniqueKey('empty')}:q`;
      assert.deepEqual(await probeListQueueLayout(client, empty), { layout: {}, sampled: 0, ownHits: 0, plainHits: 0, conclusive: false });
      const both = `${uniqueKey('both')}:q`;
      const id = randomUUID();
      await client.hset(`job:${id}`, 'a', '1');
      await client.hset(listQueueKeys(both).job(id), 'a', '1');
      await client.lpush(both, id);
      const p = await probeListQueueLayout(client, both);
      assert.deepEqual([p.layout, p.conclusive], [{}, false]);
      // The seeds' hashes, but this project's worker stamps started-at: keep the started set.
      await client.zadd(`${q}:started`, Date.now(), ids[0]!);
      assert.deepEqual(await detectListQueueLayout(client, q), { jobPrefix: 'job:' });
    });

    it('inspector: figures and jobs with their job:<id> hashes; running time unknown, never STUCK', async () => {
      const insp = new Inspector(client);
      const s = await insp.listQueue(q);
      assert.deepEqual({ ...s }, { name: q, waiting: 2, processing: 1, dead: 0, oldestProcessingAgeMs: undefined, layout: seeds });
      const waiting = await insp.listJobs(q, 'waiting');
      assert.equal(waiting.total, 2);
      assert.deepEqual(
        waiting.jobs.map((j) => [j.id, j.fields?.['recipient']]),
        [
          [ids[1], 'user1@example.com'],
          [ids[2], 'user2@example.com'],
        ],
        'next to run first, hashes found',
      );
      const processing = await insp.listJobs(q, 'processing', { layout: s.layout });
      assert.equal(processing.jobs.length, 1);
      const [job] = processing.jobs;
      assert.equal(job!.fields?.['status'], 'pending');
      assert.equal(job!.runningForMs, null);
      assert.equal(job!.untimed, true);
      assert.equal(isListJobStuck(job!.runningForMs, { poisonDeliveries: 5, stuckIdleMs: 1, lagWarning: 1000 }), false);
      assert.equal(describeRunning(job!.runningForMs, !job!.untimed), 'running for: unknown (no started-at stamps in this layout)');
      assert.equal(await client.exists(`${q}:started`), 0, 'nothing written');
    });

    it('requeue moves the processing job back (no started set touched); by age is refused, as no age is known', async () => {
      const layout = await detectListQueueLayout(client, q);
      await assert.rejects(ops.requeueProcessing(t, q, { olderThanMs: 0, layout }), (e: Error) => e instanceof BadInputError && /no started-at stamps/.test(e.message));
      assert.deepEqual(await ops.requeueProcessing(t, q, { layout }), [ids[0]]);
      assert.deepEqual(await client.lrange(q, 0, -1), [ids[2], ids[1], ids[0]], 'to the end that runs next');
      assert.equal(await client.llen(`${q}:processing`), 0);
      assert.deepEqual(await keys(`${q}:*`), [], 'no started set, no email_queue:job:<id>');
      assert.equal(await client.hget(`job:${ids[0]}`, 'status'), 'pending');
    });

    it('retry-dead resets job:<id> (and creates no email_queue:job:<id>); delete-job deletes job:<id>', async () => {
      const layout = await new Inspector(client).listQueueLayout(q);
      await client.lrem(`${q}:processing`, 0, ids[0]!);
      await client.lpush(`${q}:dead`, ids[0]!);
      await client.hset(`job:${ids[0]}`, JOB_FIELDS.attempts, '5', JOB_FIELDS.deadAt, '1700000000000', JOB_FIELDS.lastError, 'SMTP down');
      assert.deepEqual(await ops.retryDead(t, q, { layout }), [ids[0]]);
      assert.equal(await client.hget(`job:${ids[0]}`, JOB_FIELDS.attempts), '0');
      assert.equal(await client.hexists(`job:${ids[0]}`, JOB_FIELDS.deadAt), 0);
      assert.equal(await client.hget(`job:${ids[0]}`, 'recipient'), 'user0@example.com');
      assert.deepEqual(await client.lrange(q, 0, -1), [ids[2], ids[1], ids[0]]);

      assert.equal(await ops.deleteJob(t, q, ids[1]!, { layout }), true);
      assert.equal(await client.exists(`job:${ids[1]}`), 0, 'the right hash is deleted');
      assert.equal(await client.exists(`job:${ids[2]}`), 1, 'the others stay');
      assert.deepEqual(await client.lrange(q, 0, -1), [ids[2], ids[0]]);
      assert.deepEqual(await keys(`${q}:*`), []);
      assert.equal(await ops.deleteJob(t, q, 'nope', { layout }), false);
    });

    it('enqueue and work in the layout: jobs in job:<id>; a worker needs a started set', async () => {
      const layout = await detectListQueueLayout(client, q);
      await client.del(q, `${q}:processing`);
      const producer = new ListQueueProducer(client, { queue: q, layout });
      const id = await producer.enqueue({ recipient: 'dave@example.com', subject: 'Hi' });
      assert.equal(await client.hget(`job:${id}`, 'recipient'), 'dave@example.com', "readable by the seeds' consumer");
      assert.deepEqual(await client.lrange(q, 0, -1), [id]);
      assert.deepEqual(await keys(`${q}:*`), []);

      assert.throws(() => worker({ queue: q, layout, handler: () => undefined }), (e: Error) => e instanceof BadInputError && /started-at set/.test(e.message));
      const seen: string[] = [];
      let release: () => void = () => undefined;
      const hold = new Promise<void>((r) => (release = r));
      // Top-level layout fields win over `layout`'s: stamps in email_queue:started.
      const w = worker({ queue: q, layout, started: `${q}:started`, concurrency: 1, handler: async (j) => {
        seen.push(String(j.payload['recipient']));
        await hold;
      } });
      await w.start();
      await waitFor(() => seen.length === 1, 5000, 'taken');
      assert.deepEqual(seen, ['dave@example.com']);
      // While it runs, a fresh inspector finds the job:<id> hashes and the started set.
      const insp = new Inspector(client);
      const s = await insp.listQueue(q);
      assert.deepEqual([s.layout, s.processing], [{ jobPrefix: 'job:' }, 1]);
      assert.equal(typeof s.oldestProcessingAgeMs, 'number');
      const [running] = (await insp.listJobs(q, 'processing')).jobs;
      assert.equal(running!.fields?.['recipient'], 'dave@example.com');
      assert.equal(typeof running!.runningForMs, 'number');
      assert.equal(running!.untimed, undefined);
      release();
      await waitFor(async () => (await client.exists(`job:${id}`)) === 0, 5000, 'acked: job:<id> deleted');
      assert.equal(await client.llen(`${q}:processing`), 0);
    });

    it('a queue whose lists are all empty gives zeros, not an error', async () => {
      await client.del(q, `${q}:processing`);
      const insp = new Inspector(client);
      assert.deepEqual({ ...(await insp.listQueue(q)) }, { name: q, waiting: 0, processing: 0, dead: 0, oldestProcessingAgeMs: undefined, layout: {} });
      assert.equal((await insp.listQueue(`${uniqueKey('never')}:q`)).processing, 0);
      assert.deepEqual((await insp.listJobs(q, 'processing')).jobs, []);
    });
  });

  describe('a custom layout: inflight:<q>, graveyard:<q>, clock:<q>, payload:<id>', () => {
    it('enqueue, work, inspect, requeue, retry-dead and delete-job touch only its keys', async () => {
      const q = `${uniqueKey('custom')}:q`;
      const layout: ListQueueLayout = { processing: `inflight:${q}`, dead: `graveyard:${q}`, started: `clock:${q}`, jobPrefix: 'payload:' };
      const producer = new ListQueueProducer(client, { queue: q, layout });
      const [slow, bad, ok] = [`slow-${randomUUID()}`, `bad-${randomUUID()}`, `ok-${randomUUID()}`];
      await producer.enqueueMany([
        { payload: { n: 'slow' }, id: slow },
        { payload: { n: 'bad' }, id: bad },
        { payload: { n: 'ok' }, id: ok },
      ]);
      assert.equal(await client.hget(`payload:${slow}`, 'n'), 'slow');
      assert.equal(await client.llen(q), 3);

      let release: () => void = () => undefined;
      const hold = new Promise<void>((r) => (release = r));
      const w = worker({ queue: q, layout, concurrency: 3, maxAttempts: 1, stopTimeoutMs: 50, handler: async (j) => {
        if (j.payload['n'] === 'bad') throw new Error('cannot send');
        if (j.payload['n'] === 'slow') await hold;
      } });
      await w.start();
      await waitFor(() => w.stats.processed === 1 && w.stats.deadLettered === 1, 5000, 'ok acked, bad dead-lettered');
      await waitFor(async () => (await client.llen(`inflight:${q}`)) === 1, 5000, 'slow in flight');
      assert.equal(await client.exists(`payload:${ok}`), 0, 'acked: its hash deleted');
      assert.deepEqual(await client.lrange(`graveyard:${q}`, 0, -1), [bad]);
      assert.equal(await client.hget(`payload:${bad}`, JOB_FIELDS.lastError), 'cannot send');
      assert.ok((await client.zscore(`clock:${q}`, slow)) !== null, 'stamped in its started set');

      // The inspector, with the layout given, and with it configured (no argument).
      const expectFigures = (s: Awaited<ReturnType<Inspector['listQueue']>>) => {
        assert.deepEqual([s.waiting, s.processing, s.dead], [0, 1, 1]);
        assert.equal(typeof s.oldestProcessingAgeMs, 'number');
      };
      const insp = new Inspector(client);
      expectFigures(await insp.listQueue(q, layout));
      insp.setListQueueLayouts({ [q]: layout });
      const s = await insp.listQueue(q);
      expectFigures(s);
      assert.deepEqual(s.layout, layout);
      const [inflight] = (await insp.listJobs(q, 'processing')).jobs;
      assert.deepEqual([inflight!.id, inflight!.fields?.['n'], typeof inflight!.runningForMs], [slow, 'slow', 'number']);
      const [dead] = (await insp.listJobs(q, 'dead', { layout })).jobs;
      assert.deepEqual([dead!.id, dead!.fields?.['n'], dead!.lastError, dead!.attempts], [bad, 'bad', 'cannot send', 1]);

      // The worker stops without finishing "slow": it stays in flight, stamped.
      await w.stop();
      release();
      assert.deepEqual(await client.lrange(`inflight:${q}`, 0, -1), [slow]);
      // "Older than 0 ms" needs the server's clock past the stamp (ages are whole ms).
      const stamp = Number(await client.zscore(`clock:${q}`, slow));
      const serverMs = async () => {
        const [s, us] = (await client.time()) as unknown as [string, string];
        return Number(s) * 1000 + Math.floor(Number(us) / 1000);
      };
      await waitFor(async () => (await serverMs()) > stamp, 5000, 'the server clock past the started-at stamp');
      assert.deepEqual(await ops.requeueProcessing(t, q, { olderThanMs: 60_000, layout }), [], 'not running that long');
      assert.deepEqual(await ops.requeueProcessing(t, q, { olderThanMs: 0, layout }), [slow]);
      assert.equal(await client.zscore(`clock:${q}`, slow), null, 'its stamp dropped');
      assert.deepEqual(await client.lrange(q, 0, -1), [slow]);

      assert.deepEqual(await ops.retryDead(t, q, { layout }), [bad]);
      assert.equal(await client.llen(`graveyard:${q}`), 0);
      assert.equal(await client.hget(`payload:${bad}`, JOB_FIELDS.attempts), '0');
      assert.deepEqual(await client.lrange(q, 0, -1), [slow, bad]);

      assert.equal(await ops.deleteJob(t, q, slow, { layout }), true);
      assert.equal(await client.exists(`payload:${slow}`), 0);
      assert.equal(await client.exists(`payload:${bad}`), 1);
      assert.deepEqual(await client.lrange(q, 0, -1), [bad]);

      // The default names were never used.
      const d = listQueueKeys(q);
      assert.equal(await client.exists(d.processing, d.dead, d.started, d.job(slow), d.job(bad), d.job(ok)), 0);
    });

    it('refuses a layout whose lists share a name, before anything is sent', async () => {
      const q = `${uniqueKey('clash')}:q`;
      await assert.rejects(ops.retryDead(t, q, { layout: { dead: q } }), (e: Error) => e instanceof BadInputError && /both its waiting and its dead/.test(e.message));
      assert.throws(() => new ListQueueProducer(client, { queue: q, processing: '' }), BadInputError);
      assert.throws(() => new Inspector(client).setListQueueLayouts({ [q]: { started: q } }), BadInputError);
    });
  });
});
