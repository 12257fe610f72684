// List-queue repairs of src/core/ops.ts (requeueProcessing, retryDead, deleteJob) on a real
// redis-server: what moves, what is left alone, and that an id in the wrong list is a no-op that
// creates or changes nothing.
import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { ReadOnlyError } from '../../src/core/redis/errors';
import * as ops from '../../src/core/ops';
import { JOB_FIELDS, listQueueKeys, type ListQueueKeys } from '../../src/core/queue/list/keys';
import { LIST_SCRIPT_BATCH } from '../../src/core/queue/list/admin';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

describe('(integration) list queue repairs', () => {
  let client: Redis;
  let t: ops.OpTarget;
  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
    t = { client, name: 'test' };
  });
  after(() => quit(client));

  /** A fresh queue (hash-tagged name) and its keys. */
  function fresh(label: string): { q: string; k: ListQueueKeys } {
    const q = `${uniqueKey(label)}:q`;
    return { q, k: listQueueKeys(q) };
  }

  /** Puts jobs in processing the way a worker leaves them: LPUSH (newest at the head), a started-at stamp, a hash. */
  async function inProcessing(k: ListQueueKeys, ids: string[], startedAt = Date.now()): Promise<void> {
    const p = client.pipeline();
    for (const id of ids) {
      p.hset(k.job(id), JOB_FIELDS.attempts, '1', 'n', id);
      p.lpush(k.processing, id);
      p.zadd(k.started, startedAt, id);
    }
    await p.exec();
  }

  async function inDead(k: ListQueueKeys, ids: string[]): Promise<void> {
    const p = client.pipeline();
    for (const id of ids) {
      p.hset(k.job(id), JOB_FIELDS.attempts, '5', JOB_FIELDS.deadAt, '1700000000000', JOB_FIELDS.lastError, 'boom', 'n', id);
      p.lpush(k.dead, id);
    }
    await p.exec();
  }

  async function scriptCalls(): Promise<number> {
    const info = String(await client.info('commandstats'));
    let n = 0;
    for (const cmd of ['evalsha', 'eval']) n += Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
    return n;
  }

  /** Every key of the queue, with its type, for "nothing was created or changed" checks. */
  async function snapshot(k: ListQueueKeys, ids: string[]): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {
      waiting: await client.lrange(k.waiting, 0, -1),
      processing: await client.lrange(k.processing, 0, -1),
      dead: await client.lrange(k.dead, 0, -1),
      started: await client.zrange(k.started, 0, '-1', 'WITHSCORES'),
    };
    for (const id of ids) out[`job:${id}`] = await client.hgetall(k.job(id));
    return out;
  }

  describe('requeueProcessing', () => {
    it('moves every processing job to the right end of waiting and drops its started-at stamp', async () => {
      const { q, k } = fresh('rq-all');
      await client.lpush(k.waiting, 'w1');
      await inProcessing(k, ['a', 'b', 'c']); // processing: c b a
      const moved = await ops.requeueProcessing(t, q);
      assert.deepEqual(moved, ['c', 'b', 'a']);
      assert.deepEqual(await client.lrange(k.waiting, 0, -1), ['w1', 'c', 'b', 'a'], 'RPUSH: the requeued jobs are taken next (workers take from the right)');
      assert.equal(await client.exists(k.processing), 0);
      assert.equal(await client.zcard(k.started), 0);
      assert.equal(await client.hget(k.job('a'), JOB_FIELDS.attempts), '1', 'the job hash is left alone');
    });

    it('moves only the given ids; an id not in processing is a no-op that creates nothing', async () => {
      const { q, k } = fresh('rq-ids');
      await inProcessing(k, ['a', 'b']);
      await client.lpush(k.waiting, 'w');
      await client.hset(k.job('w'), JOB_FIELDS.attempts, '0');
      await inDead(k, ['d']);
      const before = await snapshot(k, ['a', 'b', 'd', 'w', 'ghost']);
      assert.deepEqual(await ops.requeueProcessing(t, q, { ids: ['ghost', 'w', 'd'] }), []);
      assert.deepEqual(await snapshot(k, ['a', 'b', 'd', 'w', 'ghost']), before, 'nothing changed');
      assert.equal(await client.exists(k.job('ghost')), 0);

      assert.deepEqual(await ops.requeueProcessing(t, q, { ids: ['b', 'ghost', 'b'] }), ['b'], 'a repeated id moves once');
      assert.deepEqual(await client.lrange(k.waiting, 0, -1), ['w', 'b']);
      assert.deepEqual(await client.lrange(k.processing, 0, -1), ['a']);
      assert.deepEqual(await client.zrange(k.started, 0, '-1'), ['a']);
    });

    it('with olderThanMs moves only jobs whose server-side started-at stamp is older; unstamped jobs stay', async () => {
      const { q, k } = fresh('rq-old');
      const [s] = await client.time();
      const now = Number(s) * 1000;
      await inProcessing(k, ['old1', 'old2'], now - 120_000);
      await inProcessing(k, ['young'], now);
      await client.lpush(k.processing, 'unstamped');
      const moved = await ops.requeueProcessing(t, q, { olderThanMs: 60_000 });
      assert.deepEqual([...moved].sort(), ['old1', 'old2']);
      assert.deepEqual((await client.lrange(k.processing, 0, -1)).sort(), ['unstamped', 'young']);
      assert.deepEqual(await client.zrange(k.started, 0, '-1'), ['young']);
      assert.deepEqual(await ops.requeueProcessing(t, q, { ids: ['young', 'unstamped'], olderThanMs: 60_000 }), [], 'ids and a threshold: both must hold');
      assert.deepEqual(await ops.requeueProcessing(t, q, { olderThanMs: Number.NaN }), [], 'NaN moves nothing');
      assert.deepEqual(await ops.requeueProcessing(t, q, { ids: ['young'], olderThanMs: -1 }), ['young']);
    });

    it(`sends at most ${LIST_SCRIPT_BATCH} ids per script call`, async () => {
      const { q, k } = fresh('rq-batch');
      const ids = Array.from({ length: 2 * LIST_SCRIPT_BATCH + 50 }, (_, i) => `j${i}`);
      await inProcessing(k, ids);
      const before = await scriptCalls();
      const moved = await ops.requeueProcessing(t, q, { ids });
      assert.equal((await scriptCalls()) - before, 3);
      assert.deepEqual(moved, ids);
      assert.deepEqual(await client.lrange(k.waiting, 0, -1), ids);
      assert.equal(await client.llen(k.processing), 0);
    });
  });

  describe('retryDead', () => {
    it('moves every dead job to waiting, resets its attempts and drops its dead-at stamp', async () => {
      const { q, k } = fresh('rd-all');
      await inDead(k, ['d1', 'd2']); // dead: d2 d1
      await client.lpush(k.waiting, 'w');
      assert.deepEqual(await ops.retryDead(t, q), ['d2', 'd1']);
      assert.deepEqual(await client.lrange(k.waiting, 0, -1), ['w', 'd2', 'd1']);
      assert.equal(await client.exists(k.dead), 0);
      for (const id of ['d1', 'd2']) {
        const h = await client.hgetall(k.job(id));
        assert.equal(h[JOB_FIELDS.attempts], '0');
        assert.equal(h[JOB_FIELDS.deadAt], undefined);
        assert.equal(h[JOB_FIELDS.lastError], 'boom', 'the last error is kept for the record');
        assert.equal(h['n'], id, 'the payload is kept');
      }
    });

    it('an id not in the dead list is a no-op: no job hash created, a live job keeps its attempts', async () => {
      const { q, k } = fresh('rd-noop');
      await inProcessing(k, ['live']);
      await client.hset(k.job('live'), JOB_FIELDS.attempts, '3');
      await client.lpush(k.waiting, 'queued');
      await client.hset(k.job('queued'), JOB_FIELDS.attempts, '2', JOB_FIELDS.deadAt, '123');
      await inDead(k, ['d']);
      const before = await snapshot(k, ['live', 'queued', 'd', 'ghost']);
      assert.deepEqual(await ops.retryDead(t, q, { ids: ['ghost', 'live', 'queued'] }), []);
      assert.deepEqual(await snapshot(k, ['live', 'queued', 'd', 'ghost']), before, 'nothing changed');
      assert.equal(await client.exists(k.job('ghost')), 0, 'no stray job hash (no phantom queue)');
      assert.equal(await client.hget(k.job('live'), JOB_FIELDS.attempts), '3');

      const other = fresh('rd-other');
      assert.deepEqual(await ops.retryDead(t, other.q, { ids: ['x'] }), []);
      assert.equal(await client.exists(other.k.waiting, other.k.dead, other.k.job('x')), 0, 'an unknown queue stays unknown');
    });

    it('retries a dead id whose job hash is gone without creating one, and a repeated id once', async () => {
      const { q, k } = fresh('rd-nohash');
      await inDead(k, ['a', 'b']);
      await client.del(k.job('a'));
      assert.deepEqual(await ops.retryDead(t, q, { ids: ['a', 'b', 'b'] }), ['a', 'b']);
      assert.deepEqual(await client.lrange(k.waiting, 0, -1), ['a', 'b']);
      assert.equal(await client.exists(k.job('a')), 0);
      assert.equal(await client.hget(k.job('b'), JOB_FIELDS.attempts), '0');
    });

    it(`retries more than ${LIST_SCRIPT_BATCH} dead jobs, in batches`, async () => {
      const { q, k } = fresh('rd-batch');
      const ids = Array.from({ length: LIST_SCRIPT_BATCH * 2 + 1 }, (_, i) => `j${i}`);
      await inDead(k, ids);
      const before = await scriptCalls();
      const moved = await ops.retryDead(t, q);
      assert.equal((await scriptCalls()) - before, 3);
      assert.deepEqual(moved, [...ids].reverse());
      assert.equal(await client.llen(k.waiting), ids.length);
      assert.equal(await client.llen(k.dead), 0);
    });
  });

  describe('deleteJob', () => {
    it('removes the id from every list, its stamp and its hash', async () => {
      const { q, k } = fresh('del');
      await inProcessing(k, ['a', 'keep']);
      await client.rpush(k.waiting, 'a', 'w', 'a');
      await client.lpush(k.dead, 'a');
      assert.equal(await ops.deleteJob(t, q, 'a'), true);
      assert.deepEqual(await client.lrange(k.waiting, 0, -1), ['w']);
      assert.deepEqual(await client.lrange(k.processing, 0, -1), ['keep']);
      assert.equal(await client.exists(k.dead), 0);
      assert.deepEqual(await client.zrange(k.started, 0, '-1'), ['keep']);
      assert.equal(await client.exists(k.job('a')), 0);
      assert.equal(await client.exists(k.job('keep')), 1);
    });

    it('returns false for an unknown job and creates nothing; a job known only by its hash is deleted', async () => {
      const { q, k } = fresh('del-none');
      assert.equal(await ops.deleteJob(t, q, 'ghost'), false);
      assert.equal(await client.exists(k.waiting, k.processing, k.dead, k.started, k.job('ghost')), 0);
      await client.hset(k.job('orphan'), 'n', '1');
      assert.equal(await ops.deleteJob(t, q, 'orphan'), true);
      assert.equal(await client.exists(k.job('orphan')), 0);
    });
  });

  it('refuses the repairs on a read-only connection before sending anything', async () => {
    const { q, k } = fresh('ro');
    await inProcessing(k, ['a']);
    await inDead(k, ['d']);
    const ro: ops.OpTarget = { client, readOnly: true, name: 'viewer' };
    const before = await snapshot(k, ['a', 'd']);
    const calls = await scriptCalls();
    await assert.rejects(ops.requeueProcessing(ro, q), ReadOnlyError);
    await assert.rejects(ops.retryDead(ro, q), ReadOnlyError);
    await assert.rejects(ops.deleteJob(ro, q, 'a'), ReadOnlyError);
    assert.equal(await scriptCalls(), calls);
    assert.deepEqual(await snapshot(k, ['a', 'd']), before);
  });
});
