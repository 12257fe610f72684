// One run at a time (issue 22): a running handler keeps its message (leases renewed while it is
// held), retries keep their owner and their count, for stream and list queues.
import * as assert from 'node:assert/strict';
import { open, quit, type RedisClient } from '../../../src/core/redis/connection';
import { xpendingRange } from '../../../src/core/redis/commands';
import { parseEntries } from '../../../src/core/redis/replies';
import { DLQ_FIELDS, JOB_FIELDS, ListQueueProducer, ListQueueWorker, listQueueKeys, type ListQueueWorkerOptions } from '../../../src/core/queue';
import { redisUrl, uniqueKey } from '../../support/integrationHooks';
import { pendingCount, waitFor, workerSuite } from './helpers';

/** Calls of `cmd` the server has answered so far (INFO commandstats). */
export async function commandCalls(client: RedisClient, cmd: string): Promise<number> {
  const m = new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(String(await client.info('commandstats')));
  return m ? Number(m[1]) : 0;
}

/** A promise and its resolver. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** Counts runs per id and the most that ran at once per id. */
function runTracker() {
  const running = new Map<string, number>();
  const runs: { id: string; deliveries: number; by: string }[] = [];
  let maxAtOnce = 0;
  return {
    runs,
    get maxAtOnce() {
      return maxAtOnce;
    },
    enter(id: string, deliveries: number, by: string) {
      runs.push({ id, deliveries, by });
      const n = (running.get(id) ?? 0) + 1;
      running.set(id, n);
      maxAtOnce = Math.max(maxAtOnce, n);
    },
    exit(id: string) {
      running.set(id, running.get(id)! - 1);
    },
  };
}

describe('(integration) queue: leases (one run at a time)', () => {
  const suite = workerSuite(200);
  const worker = suite.worker;
  let client: RedisClient;
  before(() => (client = suite.client));

  const CLAIM_IDLE = 300;
  /** A user that may not run scripts: leases and retries fall back to XCLAIM with a min-idle. */
  const noScriptUser = `noscript${Date.now()}`;
  before(() => client.call('ACL', 'SETUSER', noScriptUser, 'on', '>pw', '~*', '&*', '+@all', '-eval', '-evalsha'));
  after(async () => {
    const c = await open({ url: redisUrl() }); // (the suite's client is closed by now)
    await c.call('ACL', 'DELUSER', noScriptUser);
    await quit(c);
  });
  const urlFor = (scripts: boolean) => (scripts ? undefined : redisUrl().replace('redis://', `redis://${noScriptUser}:pw@`));

  for (const [autoClaim, scripts] of [[true, true], [false, true], [true, false]]) {
    it(`stream: a handler running three times the claim idle keeps its entry: one run, delivery count 1, one ack, with a second worker reclaiming (${autoClaim ? 'XAUTOCLAIM' : 'XPENDING + XCLAIM'}${scripts ? '' : '; scripts refused: XCLAIM min-idle fallback'})`, async () => {
      const stream = uniqueKey('lease');
      const release = gate();
      const t = runTracker();
      let started: (() => void) | undefined;
      const running = new Promise<void>((r) => (started = r));
      const make = (consumer: string) =>
        worker({
          url: urlFor(scripts!), stream, group: 'g', consumer, claimMinIdleMs: CLAIM_IDLE, capabilities: { autoClaim },
          handler: async (m) => {
            t.enter(m.id, m.deliveries, consumer);
            started!();
            await release.promise;
            t.exit(m.id);
          },
        });
      const a = make('a');
      const b = make('b');
      const errors: unknown[] = [];
      for (const w of [a, b]) w.on('error', (e) => errors.push(e));
      await a.start();
      await b.start();
      const id = (await client.xadd(stream, '*', 'k', 'v'))!;
      await running;
      const cmd = autoClaim ? 'xautoclaim' : 'xclaim';
      const claimsBefore = await commandCalls(client, cmd);
      const since = Date.now();
      // While it runs: sample the PEL until three claim idles have passed and both workers sent
      // at least three reclaim rounds' claims. The entry stays with its worker, idle under the
      // claim idle, delivered once.
      let samples = 0;
      await waitFor(async () => {
        const p = await xpendingRange(client, stream, 'g', { count: 10 });
        assert.equal(p.length, 1);
        assert.equal(p[0]!.consumer, t.runs[0]!.by);
        assert.equal(p[0]!.deliveries, 1);
        assert.ok(p[0]!.idle < CLAIM_IDLE, `idle ${p[0]!.idle} ms stays under the claim idle`);
        samples++;
        return Date.now() - since >= 3 * CLAIM_IDLE && (await commandCalls(client, cmd)) - claimsBefore >= (autoClaim ? 6 : 0);
      }, 20_000, 'three claim idles and six reclaim rounds');
      assert.ok(samples >= 3);
      release.open();
      await waitFor(async () => (await pendingCount(client, stream, 'g')) === 0, 10_000, 'acked');
      await waitFor(() => a.stats.acked + b.stats.acked === 1, 5000, 'ack confirmed');
      assert.equal(t.runs.length, 1, 'exactly one handler run');
      assert.equal(t.runs[0]!.id, id);
      assert.equal(a.stats.claimed + b.stats.claimed, 0, 'nobody reclaimed it');
      assert.deepEqual(errors, []);
    });
  }

  // (Without scripts the dead-letter step itself is refused (deadLetter.ts has no script-free
  // form): that variant checks the runs up to the last failure.)
  for (const scripts of [true, false]) it(`stream: a failure backing off longer than the claim idle, a second worker reclaiming: never two runs at once, ${scripts ? 'dead-lettered after exactly maxDeliveries runs' : 'exactly maxDeliveries runs (scripts refused: XCLAIM min-idle fallback)'}`, async () => {
    const stream = uniqueKey('lease-retry');
    const t = runTracker();
    const make = (consumer: string) =>
      worker({
        url: urlFor(scripts), stream, group: 'g', consumer, claimMinIdleMs: CLAIM_IDLE, maxDeliveries: 3, backoff: { initialMs: 3 * CLAIM_IDLE, factor: 1, jitter: 0 },
        handler: async (m) => {
          t.enter(m.id, m.deliveries, consumer);
          await client.ping(); // a round trip while "running"
          t.exit(m.id);
          throw new Error('always fails');
        },
      });
    const a = make('a');
    const b = make('b');
    const dead: { deliveries: number }[] = [];
    let lastFailed = false;
    let lost = 0;
    // Takeovers up to the last run's failure: after it no handler runs, so a later reclaim of the
    // entry (left pending: without scripts it cannot be dead-lettered) takes no running lease.
    let takeoversAtEnd = 0;
    for (const w of [a, b]) {
      w.on('deadLettered', (d) => dead.push(d));
      w.on('failed', (f) => {
        if (f.deliveries === 3 && !lastFailed) takeoversAtEnd = a.stats.claimed + b.stats.claimed;
        lastFailed ||= f.deliveries === 3;
      });
      w.on('lost', () => lost++);
    }
    await a.start();
    await b.start();
    const id = (await client.xadd(stream, '*', 'k', 'v'))!;
    if (!scripts) {
      await waitFor(() => lastFailed, 20_000, 'the third run failed');
      assert.equal(t.maxAtOnce, 1, 'never two runs at once');
      assert.deepEqual(t.runs.map((r) => r.deliveries), [1, 2, 3]);
      // Without scripts a lease is renewed with XCLAIM's min-idle: a renewal later than the claim
      // idle (300 ms here; a busy CI machine has stalled that long) lets the other worker take the
      // entry over. That is allowed only announced: every takeover is a `lost` event of the holder.
      await waitFor(() => lost >= takeoversAtEnd, 5_000, 'every takeover announced by a lost event');
      assert.equal(lost, takeoversAtEnd, `takeovers ${takeoversAtEnd} while it ran, announced ${lost}`);
      return;
    }
    await waitFor(() => dead.length === 1, 20_000, 'dead-lettered');
    assert.equal(t.maxAtOnce, 1, 'never two runs at once');
    assert.deepEqual(t.runs.map((r) => r.deliveries), [1, 2, 3], 'three handler runs, counted 1, 2, 3');
    assert.equal(new Set(t.runs.map((r) => r.by)).size, 1, 'all by the worker that holds it');
    assert.equal(dead[0]!.deliveries, 3);
    const dlq = parseEntries(await client.xrangeBuffer(`${stream}:dlq`, '-', '+'));
    assert.equal(dlq.length, 1);
    assert.equal(dlq[0]!.fields![DLQ_FIELDS.id], id);
    assert.equal(dlq[0]!.fields![DLQ_FIELDS.deliveries], '3');
    assert.equal(a.stats.claimed + b.stats.claimed, 0);
    assert.equal(await pendingCount(client, stream, 'g'), 0);
  });

  it('stream: one worker, back-off longer than its own claim idle: its reclaim round never takes (and counts) the entry it waits to retry', async () => {
    const stream = uniqueKey('lease-self');
    const t = runTracker();
    const w = worker({
      stream, group: 'g', consumer: 'solo', claimMinIdleMs: CLAIM_IDLE, claimIntervalMs: 50, maxDeliveries: 3, backoff: { initialMs: 3 * CLAIM_IDLE, factor: 1, jitter: 0 },
      handler: (m) => {
        t.enter(m.id, m.deliveries, 'solo');
        t.exit(m.id);
        throw new Error('exit 1');
      },
    });
    const dead: { deliveries: number }[] = [];
    w.on('deadLettered', (d) => dead.push(d));
    await w.start();
    await client.xadd(stream, '*', 'k', 'v');
    await waitFor(() => dead.length === 1, 20_000, 'dead-lettered');
    assert.deepEqual(t.runs.map((r) => r.deliveries), [1, 2, 3]);
    assert.equal(dead[0]!.deliveries, 3, 'dead-lettered after 3 deliveries, the 3 handler runs');
    assert.equal(w.stats.claimed, 0);
  });

  it('stream: a lease found taken over is reported (error and `lost`), and the handler\'s result is neither acked nor retried', async () => {
    const stream = uniqueKey('lease-lost');
    const release = gate();
    let started: (() => void) | undefined;
    const running = new Promise<void>((r) => (started = r));
    const w = worker({
      stream, group: 'g', consumer: 'a', claimMinIdleMs: 0, leaseIntervalMs: 50,
      handler: async () => {
        started!();
        await release.promise;
      },
    });
    const lost: { id: string; owner: string | null }[] = [];
    const errors: Error[] = [];
    w.on('lost', (l) => lost.push(l));
    w.on('error', (e) => errors.push(e));
    await w.start();
    const id = (await client.xadd(stream, '*', 'k', 'v'))!;
    await running;
    // Someone else takes it over (as a reclaim with a shorter idle would).
    await client.call('XCLAIM', stream, 'g', 'thief', 0, id, 'JUSTID');
    await waitFor(() => lost.length === 1, 5000, 'lost');
    assert.deepEqual(lost[0], { id, owner: 'thief', reason: 'taken over by consumer "thief"' });
    assert.match(errors[0]!.message, /lost by consumer "a".*taken over by consumer "thief"/);
    release.open();
    await waitFor(() => w.stats.processed === 1, 5000, 'handler done');
    await client.ping();
    const p = await xpendingRange(client, stream, 'g', { count: 10 });
    assert.equal(p.length, 1, 'not acked by the worker that lost it');
    assert.equal(p[0]!.consumer, 'thief');
    assert.equal(w.stats.acked, 0);
  });

  describe('list queue', () => {
    const VISIBILITY = 300;
    const listWorkers: ListQueueWorker[] = [];
    afterEach(async () => void (await Promise.all(listWorkers.splice(0).map((w) => w.stop()))));
    const listWorker = (o: Omit<ListQueueWorkerOptions, 'connection'>) => {
      const w = new ListQueueWorker({ connection: { url: redisUrl() }, blockMs: 200, visibilityTimeoutMs: VISIBILITY, reapIntervalMs: 50, ...o });
      listWorkers.push(w);
      return w;
    };
    /** Server time, ms. */
    const serverNow = async () => {
      const [s, us] = await client.time();
      return Number(s) * 1000 + Math.floor(Number(us) / 1000);
    };

    it('a handler running three times the visibility timeout keeps its job: one run, attempts 1, one ack, with two workers reaping', async () => {
      const queue = uniqueKey('lq-lease');
      const k = listQueueKeys(queue);
      const release = gate();
      const t = runTracker();
      let started: (() => void) | undefined;
      const running = new Promise<void>((r) => (started = r));
      const make = (name: string) =>
        listWorker({
          queue,
          handler: async (job) => {
            t.enter(job.id, job.attempts, name);
            started!();
            await release.promise;
            t.exit(job.id);
          },
        });
      const a = make('a');
      const b = make('b');
      const errors: unknown[] = [];
      const lost: unknown[] = [];
      for (const w of [a, b]) {
        w.on('error', (e) => errors.push(e));
        w.on('lost', (l) => lost.push(l));
      }
      await a.start();
      await b.start();
      const id = await new ListQueueProducer(client, { queue }).enqueue({ k: 'v' });
      await running;
      const since = Date.now();
      // While it runs: reaper rounds of both workers (besides their timers' own) return nothing,
      // and the job's stamp stays younger than the visibility timeout.
      let rounds = 0;
      await waitFor(async () => {
        for (const w of [a, b]) {
          assert.equal((await w.reap()).returned, 0, 'no reaper returns the running job');
          rounds++;
        }
        assert.deepEqual(await client.lrange(k.processing, 0, -1), [id]);
        const stamp = Number(await client.zscore(k.started, id));
        assert.ok((await serverNow()) - stamp < VISIBILITY, 'its stamp stays younger than the visibility timeout');
        return Date.now() - since >= 3 * VISIBILITY && rounds >= 6;
      }, 20_000, 'three visibility timeouts');
      assert.equal(await client.hget(k.job(id), JOB_FIELDS.attempts), '1');
      release.open();
      await waitFor(async () => (await client.exists(k.job(id))) === 0, 10_000, 'acked');
      assert.equal(t.runs.length, 1, 'exactly one handler run');
      assert.equal(a.stats.processed + b.stats.processed, 1);
      assert.equal(a.stats.reaped + b.stats.reaped, 0);
      assert.equal(await client.llen(k.processing), 0);
      assert.equal(await client.llen(k.waiting), 0);
      assert.deepEqual(errors, []);
      assert.deepEqual(lost, []);
    });

    it('a failure backing off longer than the visibility timeout, two workers reaping: never two runs at once, dead after exactly maxAttempts runs', async () => {
      const queue = uniqueKey('lq-lease-retry');
      const k = listQueueKeys(queue);
      const t = runTracker();
      const make = (name: string) =>
        listWorker({
          queue, maxAttempts: 3, backoff: { initialMs: 3 * VISIBILITY, factor: 1, jitter: 0 },
          handler: async (job) => {
            t.enter(job.id, job.attempts, name);
            await client.ping();
            t.exit(job.id);
            throw new Error('always fails');
          },
        });
      const a = make('a');
      const b = make('b');
      const dead: { attempts: number }[] = [];
      for (const w of [a, b]) w.on('deadLettered', (d) => dead.push(d));
      await a.start();
      await b.start();
      const id = await new ListQueueProducer(client, { queue }).enqueue({ k: 'v' });
      await waitFor(() => dead.length === 1, 20_000, 'dead-lettered');
      assert.equal(t.maxAtOnce, 1);
      assert.deepEqual(t.runs.map((r) => r.deliveries), [1, 2, 3]);
      assert.equal(dead[0]!.attempts, 3);
      assert.deepEqual(await client.lrange(k.dead, 0, -1), [id]);
      assert.equal(await client.hget(k.job(id), JOB_FIELDS.attempts), '3');
      assert.equal(a.stats.reaped + b.stats.reaped, 0);
    });

    it('a job returned by a reaper and taken again while its first run goes on is reported lost, and the first run neither acks nor retries it', async () => {
      const queue = uniqueKey('lq-lease-lost');
      const k = listQueueKeys(queue);
      const gates = [gate(), gate()];
      let runs = 0;
      const startedRuns: (() => void)[] = [];
      const started = [new Promise<void>((r) => startedRuns.push(r)), new Promise<void>((r) => startedRuns.push(r))];
      const make = () =>
        listWorker({
          queue, concurrency: 1, reapIntervalMs: 0, leaseIntervalMs: 50,
          handler: async () => {
            const n = runs++;
            startedRuns[n]!();
            await gates[n]!.promise;
            if (n === 0) throw new Error('first run fails late');
          },
        });
      const w = make();
      const lost: { id: string }[] = [];
      const errors: Error[] = [];
      w.on('lost', (l) => lost.push(l));
      w.on('error', (e) => errors.push(e));
      await w.start();
      const id = await new ListQueueProducer(client, { queue }).enqueue({ k: 'v' });
      await started[0];
      // An operator requeues it (as a reaper would return it): another worker takes it.
      await make().start();
      await client.multi().lrem(k.processing, 1, id).zrem(k.started, id).rpush(k.waiting, id).exec();
      await started[1];
      await waitFor(() => lost.length === 1, 5000, 'lost');
      assert.equal(lost[0]!.id, id);
      assert.match(errors[0]!.message, /was lost while this worker held it/);
      gates[0]!.open(); // the first run fails: not retried (the job is not its own any more)
      await waitFor(() => w.stats.failed === 1, 5000, 'first run failed');
      gates[1]!.open();
      await waitFor(async () => (await client.exists(k.job(id))) === 0, 5000, 'acked by the second run');
      assert.equal(w.stats.retried, 0);
      assert.equal(runs, 2);
      assert.equal(await client.llen(k.waiting), 0);
      assert.equal(await client.llen(k.processing), 0);
    });
  });
});
