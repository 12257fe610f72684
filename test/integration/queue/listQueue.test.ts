import * as assert from 'node:assert/strict';
import { open, quit, type IoRedisClient } from '../../../src/core/redis/connection';
import { BadInputError } from '../../../src/core/redis/errors';
import { startSandbox, type Sandbox } from '../../../src/core/dev/sandbox';
import { JOB_FIELDS, ListQueueProducer, ListQueueWorker, listQueueKeys, type ListQueueWorkerOptions } from '../../../src/core/queue';
import { redisUrl, uniqueKey } from '../../support/integrationHooks';
import { sleep, waitFor } from './helpers';

describe('(integration) queue: list queue', () => {
  let client: IoRedisClient;
  const workers: ListQueueWorker[] = [];
  before(async () => (client = await open({ url: redisUrl() })));
  afterEach(async () => void (await Promise.all(workers.splice(0).map((w) => w.stop()))));
  after(() => quit(client));

  function worker(o: Omit<ListQueueWorkerOptions, 'connection'>, url = redisUrl()): ListQueueWorker {
    const w = new ListQueueWorker({ connection: { url }, blockMs: 500, ...o });
    workers.push(w);
    return w;
  }

  it('produces, works and acks: job hashes gone, lists empty', async () => {
    const queue = uniqueKey('lq');
    const k = listQueueKeys(queue);
    const producer = new ListQueueProducer(client, { queue });
    const bin = Buffer.from([0xff, 0xfe, 0]);
    const ids = await producer.enqueueMany(Array.from({ length: 50 }, (_, i) => ({ payload: { n: String(i), bin } })));
    assert.equal(await client.llen(k.waiting), 50);
    assert.equal(await client.hget(k.job(ids[0]!), 'n'), '0');
    const single = await producer.enqueue({ n: 'single', bin }, { id: 'my-id' });
    assert.equal(single, 'my-id');
    const seen: string[] = [];
    const startOrder: string[] = [];
    let maxInFlight = 0;
    let inFlight = 0;
    const w = worker({ queue, concurrency: 4, handler: async (job) => {
      inFlight++;
      startOrder.push(String(job.payload['n']));
      maxInFlight = Math.max(maxInFlight, inFlight);
      assert.ok(bin.equals(job.payload['bin'] as Buffer));
      assert.equal(job.attempts, 1);
      assert.ok(!Object.keys(job.payload).some((f) => f.startsWith('__')));
      await sleep(3);
      seen.push(String(job.payload['n']));
      inFlight--;
    } });
    await w.start();
    await waitFor(() => seen.length === 51, 10_000, 'all processed');
    await waitFor(async () => (await client.llen(k.processing)) === 0, 5000, 'processing empty');
    assert.deepEqual(startOrder.slice(0, 3), ['0', '1', '2'], 'FIFO');
    assert.ok(maxInFlight <= 4);
    assert.equal(await client.llen(k.waiting), 0);
    assert.equal(await client.zcard(k.started), 0);
    assert.equal(await client.exists(k.job(ids[0]!), k.job('my-id')), 0);
  });

  it('uses BRPOPLPUSH on servers without BLMOVE', async () => {
    const queue = uniqueKey('lqold');
    await new ListQueueProducer(client, { queue }).enqueueMany(Array.from({ length: 5 }, (_, i) => ({ payload: { n: String(i) } })));
    const seen: string[] = [];
    const w = worker({ queue, capabilities: { blmove: false }, concurrency: 1, handler: (j) => void seen.push(String(j.payload['n'])) });
    await w.start();
    await waitFor(() => seen.length === 5, 5000, 'all processed');
    assert.deepEqual(seen, ['0', '1', '2', '3', '4']);
    await waitFor(async () => (await client.llen(listQueueKeys(queue).processing)) === 0, 5000, 'acked');
  });

  it('refuses bad input with nothing written, and duplicate ids', async () => {
    const queue = uniqueKey('lqbad');
    const producer = new ListQueueProducer(client, { queue });
    await assert.rejects(producer.enqueue({}), BadInputError);
    await assert.rejects(producer.enqueue({ a: 1 as unknown as string }), BadInputError);
    await assert.rejects(producer.enqueue({ __attempts: '9' }), /reserved/);
    await assert.rejects(producer.enqueueMany([{ payload: { a: '1' }, id: 'x' }, { payload: { a: '2' }, id: 'x' }]), /twice/);
    assert.equal(await client.llen(queue), 0);
    await producer.enqueue({ a: '1' }, { id: 'x' });
    await assert.rejects(producer.enqueue({ a: '2' }, { id: 'x' }), /already exists/);
    assert.equal(await client.llen(queue), 1);
    assert.equal(await client.hget(listQueueKeys(queue).job('x'), 'a'), '1');
  });

  it('the reaper returns jobs stuck in processing (stamping unstamped ones first)', async () => {
    const queue = uniqueKey('lqreap');
    const k = listQueueKeys(queue);
    const producer = new ListQueueProducer(client, { queue });
    await producer.enqueueMany([{ payload: { n: 'a' }, id: 'a' }, { payload: { n: 'b' }, id: 'b' }]);
    // A worker crashed right after BLMOVE (no started-at) for "a", and long ago for "b".
    await client.lmove(k.waiting, k.processing, 'RIGHT', 'LEFT');
    await client.lmove(k.waiting, k.processing, 'RIGHT', 'LEFT');
    await client.zadd(k.started, Date.now() - 60_000, 'b');
    const got: string[] = [];
    const reaped: { returned: number; stamped: number }[] = [];
    const w = worker({ queue, visibilityTimeoutMs: 400, reapIntervalMs: 100, handler: (j) => void got.push(`${j.id}:${j.attempts}`) });
    w.on('reaped', (r) => reaped.push(r));
    await w.start();
    await waitFor(() => got.includes('b:1'), 3000, 'b returned at once');
    // The reaper round that returned b stamped a and did not return it (whatever the time now is).
    assert.deepEqual(reaped[0], { returned: 1, stamped: 1 }, 'a is stamped first, not returned yet');
    await waitFor(() => got.includes('a:1'), 3000, 'a returned after the visibility timeout');
    await waitFor(async () => (await client.llen(k.processing)) === 0, 3000, 'processing empty');
    assert.ok(w.stats.reaped >= 2);
  });

  it('retries with backoff, then dead-letters after maxAttempts with the last error', async () => {
    const queue = uniqueKey('lqdead');
    const k = listQueueKeys(queue);
    const producer = new ListQueueProducer(client, { queue });
    const id = await producer.enqueue({ n: 'poison' });
    await producer.enqueue({ n: 'flaky' }, { id: 'flaky' });
    const calls: string[] = [];
    const w = worker({ queue, maxAttempts: 3, backoff: { initialMs: 20, jitter: 0 }, handler: (j) => {
      calls.push(`${j.payload['n']}:${j.attempts}`);
      if (j.payload['n'] === 'poison') throw new Error(`bad payload #${j.attempts}`);
      if (j.attempts < 2) throw new Error('transient');
    } });
    await w.start();
    await waitFor(() => w.stats.deadLettered === 1 && w.stats.processed === 1, 5000, 'dead-lettered and processed');
    assert.deepEqual(calls.filter((c) => c.startsWith('poison')), ['poison:1', 'poison:2', 'poison:3']);
    assert.deepEqual(calls.filter((c) => c.startsWith('flaky')), ['flaky:1', 'flaky:2']);
    assert.deepEqual(await client.lrange(k.dead, 0, -1), [id]);
    assert.equal(await client.hget(k.job(id), JOB_FIELDS.lastError), 'bad payload #3');
    assert.equal(await client.hget(k.job(id), JOB_FIELDS.attempts), '3');
    assert.ok(Number(await client.hget(k.job(id), JOB_FIELDS.deadAt)) > 0);
    assert.equal(await client.llen(k.processing), 0);
    assert.equal(await client.exists(k.job('flaky')), 0);
  });

  it('stops gracefully: in-flight jobs finish and are acked; a second stop is the same promise', async () => {
    const queue = uniqueKey('lqstop');
    const k = listQueueKeys(queue);
    await new ListQueueProducer(client, { queue }).enqueueMany(Array.from({ length: 10 }, (_, i) => ({ payload: { n: String(i) } })));
    let started = 0;
    let finished = 0;
    const w = worker({ queue, concurrency: 3, handler: async () => {
      started++;
      await sleep(300);
      finished++;
    } });
    await w.start();
    await waitFor(() => started === 3, 5000, '3 in flight');
    const p = w.stop();
    assert.equal(w.stop(), p);
    await p;
    assert.equal(finished, started);
    assert.equal(await client.llen(k.processing), 0);
    assert.equal(await client.llen(k.waiting), 10 - finished);
  });

  describe('with the server restarted under the worker', function () {
    this.timeout(30_000);
    let sandbox: Sandbox;
    before(async () => (sandbox = await startSandbox({ persistence: 'aof-always' })));
    after(() => sandbox?.stop());

    it('carries on after a SIGKILL and restart of redis-server', async () => {
      const queue = '{restart}';
      const k = listQueueKeys(queue);
      const c = await open({ url: sandbox.url });
      try {
        const producer = new ListQueueProducer(c, { queue });
        const ids = new Set(await producer.enqueueMany(Array.from({ length: 30 }, (_, i) => ({ payload: { n: String(i) } }))));
        const done = new Set<string>();
        const w = worker({ queue, concurrency: 2, visibilityTimeoutMs: 1000, reapIntervalMs: 200, handler: async (j) => {
          await sleep(20);
          done.add(j.id);
        } }, sandbox.url);
        w.on('error', () => undefined);
        await w.start();
        await waitFor(() => done.size >= 5, 5000, 'some progress');
        await sandbox.kill('SIGKILL');
        await sleep(300); // fault injection: the server stays down a while (the worker's reads and acks meet a dead server); nothing is asserted on it
        await sandbox.restart();
        for (const id of await producer.enqueueMany(Array.from({ length: 10 }, (_, i) => ({ payload: { n: `after-${i}` } })))) ids.add(id);
        await waitFor(() => [...ids].every((id) => done.has(id)), 20_000, `all ${ids.size} processed (done ${done.size})`);
        await waitFor(async () => (await c.llen(k.processing)) + (await c.llen(k.waiting)) === 0, 10_000, 'queue drained');
        assert.ok(w.stats.processed >= 40);
      } finally {
        await quit(c);
      }
    });
  });
});
