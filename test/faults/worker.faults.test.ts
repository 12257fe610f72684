// Fault suite: stream worker processes killed (SIGKILL at seeded random moments), stopped
// (SIGTERM), racing as reclaimers, and crashed by a poison message. Workers are child processes
// (test/integration/queue/fixtures/crashWorker.ts); their handler log lives on a server no test
// kills; the checker reads Redis (PEL, DLQ) and that log.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { open, quit, type IoRedisClient } from '../../src/core/redis/connection';
import { DLQ_FIELDS } from '../../src/core/queue';
import { logUrl, record } from './hooks';
import { check, drained, fmtMs, pendingIds, prng, Publisher, readLog, recoveryMs, SEED, sleep, spawnCrashWorker, target, waitFor, type WorkerProcess } from './support';

const GROUP = 'g';

describe('(faults) stream worker processes', function () {
  this.timeout(90_000);
  let t: Awaited<ReturnType<typeof target>>;
  let logClient: IoRedisClient;
  const children: WorkerProcess[] = [];
  const spawnWorker = async (env: Record<string, string | number | undefined>) => {
    const w = await spawnCrashWorker({ LOG_URL: logUrl(), LOG_DETAIL: 1, GROUP, ...env });
    children.push(w);
    return w;
  };
  before(async () => {
    t = await target('none');
    logClient = await open({ url: logUrl() });
  });
  after(async () => {
    await Promise.all(children.map((c) => c.kill('SIGKILL')));
    await quit(logClient);
    await t.close();
  });
  const keys = (label: string) => {
    const stream = `{f:${label}:${randomUUID().slice(0, 6)}}`;
    return { stream, logKey: `${stream}:log` };
  };

  it('SIGKILL mid-batch, 5 rounds at seeded random moments: every acknowledged publish processed at least once, duplicates only from in-flight work', async () => {
    const rnd = prng(SEED);
    const { stream, logKey } = keys('kill');
    const pub = new Publisher(t.admin, stream);
    await pub.publish(600);
    const env = { REDIS_URL: t.server.url, STREAM: stream, LOG_KEY: logKey, CONCURRENCY: 16, ACK_BATCH: 50, CLAIM_MIN_IDLE_MS: 300, CLAIM_INTERVAL_MS: 100, BLOCK_MS: 500 };
    const kills: { at: number; pending: string[]; consumer: string }[] = [];
    let consumer = 'k0';
    for (let round = 0; round < 5; round++) {
      // Half the time the next worker reuses the dead one's name (restart: re-reads its own PEL),
      // else it is a new member that reclaims the dead one's entries once idle.
      if (round > 0 && rnd.next() < 0.5) consumer = `k${round}`;
      const w = await spawnWorker({ ...env, CONSUMER: consumer });
      const base = await logClient.llen(logKey);
      const target_ = base + rnd.int(40, 300);
      for (let i = 0; i < 6; i++) await pub.publish(50);
      await waitFor(async () => (await logClient.llen(logKey)) >= target_, 20_000, `round ${round} progress`);
      await w.kill('SIGKILL');
      const at = Date.now();
      kills.push({ at, consumer, pending: await pendingIds(t.admin, stream, GROUP, consumer) });
    }
    const final = await spawnWorker({ ...env, CONSUMER: 'final' });
    await pub.publish(200);
    await drained(t.admin, logClient, logKey, stream, GROUP, pub.acked.keys());
    assert.equal(await final.kill('SIGTERM'), 0);

    const records = await readLog(logClient, logKey);
    const c = check(pub.acked.keys(), records);
    assert.deepEqual(c.lost, [], 'every acknowledged publish is processed');
    const idOf = pub.acked;
    const nOf = new Map([...idOf].map(([n, id]) => [id, n]));
    const inflight = new Set(kills.flatMap((k) => k.pending));
    const unexplained = c.duplicated.filter((n) => !inflight.has(idOf.get(n)!));
    assert.deepEqual(unexplained, [], 'every duplicate was pending in a killed worker (in-flight) at a kill');
    const rec = kills.map((k) => recoveryMs(k.pending.map((id) => nOf.get(id)!), records, k.at));
    assert.ok(rec.every((r) => r !== undefined), 'every entry in flight at a kill was processed again after it');
    const inflightTotal = kills.reduce((a, k) => a + k.pending.length, 0);
    record({
      fault: 'worker SIGKILL mid-batch (stream)',
      runs: kills.length,
      messages: c.messages,
      lost: c.lost.length,
      duplicates: c.duplicates,
      recovery: `max ${fmtMs(Math.max(...(rec as number[])))}`,
      notes: `in flight at the kills: ${inflightTotal}; every duplicate among them; reclaim min-idle 300 ms`,
    });
  });

  it('SIGTERM: graceful stop, zero duplicates', async () => {
    const rnd = prng(SEED + 1);
    const { stream, logKey } = keys('term');
    const pub = new Publisher(t.admin, stream);
    await pub.publish(1000);
    const env = { REDIS_URL: t.server.url, STREAM: stream, LOG_KEY: logKey, CONSUMER: 'term', CONCURRENCY: 16, ACK_BATCH: 50, BLOCK_MS: 500, HANDLER_MS: '2-20' };
    const stopTimes: number[] = [];
    for (let round = 0; round < 3; round++) {
      const w = await spawnWorker(env);
      const goal = (await logClient.llen(logKey)) + rnd.int(50, 250);
      await pub.publish(100);
      await waitFor(async () => (await logClient.llen(logKey)) >= goal, 20_000, `round ${round} progress`);
      const t0 = Date.now();
      assert.equal(await w.kill('SIGTERM'), 0, `graceful exit (${w.output()})`);
      stopTimes.push(Date.now() - t0);
      assert.match(w.output(), /stopped/);
    }
    const final = await spawnWorker(env);
    await drained(t.admin, logClient, logKey, stream, GROUP, pub.acked.keys());
    await final.kill('SIGTERM');
    const c = check(pub.acked.keys(), await readLog(logClient, logKey));
    record({ fault: 'worker SIGTERM (graceful stop)', runs: 3, messages: c.messages, lost: c.lost.length, duplicates: c.duplicates, recovery: `stop took max ${fmtMs(Math.max(...stopTimes))}`, notes: 'same consumer name restarted' });
    assert.deepEqual(c.lost, []);
    assert.equal(c.duplicates, 0, `no duplicates after a graceful stop (duplicated: ${c.duplicated.slice(0, 10).join(', ')})`);
  });

  it('two reclaimers at once: each entry has one owner per idle window', async () => {
    const MIN_IDLE = 400;
    const { stream, logKey } = keys('race');
    const pub = new Publisher(t.admin, stream);
    await t.admin.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
    // A consumer that reads and dies: its entries wait for a reclaimer.
    const ghostRead = async (count: number) => (await t.admin.xreadgroup('GROUP', GROUP, 'ghost', 'COUNT', count, 'STREAMS', stream, '>')) as unknown;
    await pub.publish(300);
    await ghostRead(300);
    const env = { REDIS_URL: t.server.url, STREAM: stream, LOG_KEY: logKey, CONCURRENCY: 8, CLAIM_MIN_IDLE_MS: MIN_IDLE, CLAIM_INTERVAL_MS: 25, BLOCK_MS: 500, HANDLER_MS: '5-40' };
    const [a, b] = await Promise.all([spawnWorker({ ...env, CONSUMER: 'A' }), spawnWorker({ ...env, CONSUMER: 'B' })]);
    for (let i = 0; i < 3; i++) {
      await sleep(250); // pacing of the scenario: reclaim rounds run between the publishes (nothing is asserted on it)
      await pub.publish(150);
      await ghostRead(100);
    }
    await drained(t.admin, logClient, logKey, stream, GROUP, pub.acked.keys());
    await Promise.all([a!.kill('SIGTERM'), b!.kill('SIGTERM')]);

    const records = await readLog(logClient, logKey);
    const c = check(pub.acked.keys(), records);
    assert.deepEqual(c.lost, []);
    const byN = new Map<string, typeof records>();
    for (const r of records) byN.set(r.n, [...(byN.get(r.n) ?? []), r]);
    const violations: string[] = [];
    for (const [n, runs] of byN) {
      runs.sort((x, y) => x.start - y.start);
      for (let i = 1; i < runs.length; i++) {
        const prev = runs[i - 1]!;
        const cur = runs[i]!;
        if (cur.start < prev.end || cur.start - prev.start < MIN_IDLE) violations.push(`${n}: ${prev.consumer}@${prev.start}-${prev.end} and ${cur.consumer}@${cur.start}`);
      }
    }
    const byA = records.filter((r) => r.consumer === 'A').length;
    record({ fault: 'two reclaimers, same min-idle', runs: 4, messages: c.messages, lost: c.lost.length, duplicates: c.duplicates, recovery: `idle window ${MIN_IDLE} ms`, notes: `handled by A ${byA}, by B ${records.length - byA}; overlapping owners ${violations.length}` });
    assert.deepEqual(violations, [], 'no entry handled by two consumers within one idle window');
  });

  /** Runs a crash-prone worker (POISON) under a supervisor that restarts it when it exits; `afterCrash(k)` runs after crash k. */
  async function poisonRun(label: string, serverUrl: string, afterCrash: (k: number) => Promise<void>) {
    const MAX = 3;
    const { stream, logKey } = keys(label);
    const pub = new Publisher(t.admin, stream);
    await pub.publish(400);
    const poisonN = '150';
    const env = { REDIS_URL: serverUrl, STREAM: stream, LOG_KEY: logKey, CONSUMER: 'p', CONCURRENCY: 4, MAX_DELIVERIES: MAX, BLOCK_MS: 500, POISON: poisonN, HANDLER_MS: '1-3' };
    let crashes = 0;
    let deadAt = 0;
    const dlq = `${stream}:dlq`;
    const dlqIds = async () => new Set((await t.admin.xrange(dlq, '-', '+')).map(([, f]) => f[f.indexOf(DLQ_FIELDS.id) + 1]!));
    for (let spawnNo = 0; spawnNo < 8; spawnNo++) {
      const w = await spawnWorker(env);
      let exited = false;
      void w.exited.then(() => (exited = true));
      await waitFor(async () => exited || (await t.admin.exists(dlq)) === 1, 20_000, 'a crash or a dead-letter');
      if (exited) {
        crashes++;
        await afterCrash(crashes);
        continue;
      }
      deadAt = Date.now();
      await pub.publish(200); // others keep flowing after the poison is out of the way
      // Wait until every acknowledged publish is processed or dead-lettered and nothing is pending.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const inDlq = await dlqIds();
        const seen = new Set((await readLog(logClient, logKey)).map((r) => r.n));
        const missing = [...pub.acked].filter(([n, id]) => !seen.has(n) && !inDlq.has(id)).length;
        if (missing === 0 && (await pendingIds(t.admin, stream, GROUP)).length === 0) break;
        if (Date.now() > deadline) throw new Error(`poison run not drained: ${missing} missing`);
        await sleep(150);
      }
      await w.kill('SIGTERM');
      const dlqEntries = await t.admin.xrange(dlq, '-', '+');
      const inDlq = new Set(dlqEntries.map(([, f]) => f[f.indexOf(DLQ_FIELDS.id) + 1]!));
      const byId = new Map([...pub.acked].map(([n, id]) => [id, n]));
      const records = await readLog(logClient, logKey);
      const c = check(pub.acked.keys(), records, new Set([...inDlq].map((id) => byId.get(id)!)));
      const poisonEntry = dlqEntries.find(([, f]) => f[f.indexOf(DLQ_FIELDS.id) + 1] === pub.acked.get(poisonN));
      const collateral = inDlq.size - (poisonEntry ? 1 : 0);
      const afterDead = records.filter((r) => r.start >= deadAt).length;
      return { c, crashes, poisonEntry, collateral, afterDead, MAX, stream, dlqSize: inDlq.size };
    }
    throw new Error(`the poison message was not dead-lettered after ${crashes} crashes`);
  }

  it('SIGKILL of a worker holding leased entries (handlers running 20× the claim idle): kept while it lived, then reclaimed after the claim idle and processed once more, none left owned', async () => {
    const MIN_IDLE = 300;
    const HOLD = 4;
    const { stream, logKey } = keys('lease-kill');
    const pub = new Publisher(t.admin, stream);
    await t.admin.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
    await pub.publish(HOLD);
    const env = { REDIS_URL: t.server.url, STREAM: stream, LOG_KEY: logKey, CLAIM_MIN_IDLE_MS: MIN_IDLE, CLAIM_INTERVAL_MS: 50, BLOCK_MS: 500 };
    // The holder takes the first HOLD entries; its handlers would run 20 claim idles (it is killed first).
    const holder = await spawnWorker({ ...env, CONSUMER: 'holder', CONCURRENCY: HOLD, HANDLER_MS: `${20 * MIN_IDLE}-${20 * MIN_IDLE}` });
    await waitFor(async () => (await pendingIds(t.admin, stream, GROUP, 'holder')).length === HOLD, 10_000, 'holder holds its entries');
    const held = await pendingIds(t.admin, stream, GROUP, 'holder');
    const survivor = await spawnWorker({ ...env, CONSUMER: 'survivor', CONCURRENCY: 8, HANDLER_MS: '1-4' });
    await pub.publish(100);
    // While the holder lives (its handlers still running), the survivor's reclaim rounds leave its
    // entries alone: still the holder's, delivered once, for more than two claim idles.
    const since = Date.now();
    await waitFor(async () => {
      const p = (await t.admin.call('XPENDING', stream, GROUP, '-', '+', 100, 'holder')) as [string, string, number, number][];
      assert.deepEqual(p.map((e) => String(e[0])), held, 'the holder keeps its entries while it lives');
      assert.ok(p.every((e) => Number(e[3]) === 1 && Number(e[2]) < MIN_IDLE), 'renewed: idle under the claim idle, delivered once');
      return Date.now() - since >= 2.5 * MIN_IDLE;
    }, 20_000, 'two and a half claim idles with the holder alive');
    const killedAt = Date.now(); // (before the kill: nothing may reclaim while the holder lives)
    await holder.kill('SIGKILL');
    await drained(t.admin, logClient, logKey, stream, GROUP, pub.acked.keys());
    await survivor.kill('SIGTERM');
    const records = await readLog(logClient, logKey);
    const c = check(pub.acked.keys(), records);
    const heldN = new Set([...pub.acked].filter(([, id]) => held.includes(id)).map(([n]) => n));
    const heldRuns = records.filter((r) => heldN.has(r.n));
    const recovery = recoveryMs(heldN, records, killedAt);
    record({ fault: 'worker SIGKILL while holding leased entries', runs: 1, messages: c.messages, lost: c.lost.length, duplicates: c.duplicates, recovery: `held entries processed ${fmtMs(recovery)} after the kill`, notes: `claim idle ${MIN_IDLE} ms; ${HOLD} entries held, handlers 20× the claim idle` });
    assert.deepEqual(c.lost, []);
    assert.equal(c.duplicates, 0, 'the holder never finished a run: each message logged once');
    assert.equal(heldRuns.length, HOLD);
    assert.ok(heldRuns.every((r) => r.consumer === 'survivor' && r.deliveries === 2), 'reclaimed by the survivor: its second delivery');
    assert.ok(heldRuns.every((r) => r.start >= killedAt), 'run again only once the holder was killed');
    assert.deepEqual(await pendingIds(t.admin, stream, GROUP, 'holder'), [], 'no entry stays owned by the dead worker');
  });

  it('poison message that kills the handler process: dead-lettered after N deliveries with its metadata; others keep flowing', async () => {
    const r = await poisonRun('poison', t.server.url, async () => undefined);
    record({ fault: 'poison message (process.exit in handler)', runs: r.crashes, messages: r.c.messages + r.dlqSize, lost: r.c.lost.length, duplicates: r.c.duplicates, recovery: 'n/a', notes: `maxDeliveries ${r.MAX}: ${r.crashes} crashes, then dead-lettered; ${r.afterDead} handled after it; batch-mates dead-lettered with it: ${r.collateral}` });
    assert.equal(r.collateral, 0, 'messages delivered with the poison one are not dead-lettered with it (re-taken one at a time after a crash)');
    assert.ok(r.poisonEntry, 'the poison message is in the DLQ');
    const f = r.poisonEntry![1];
    const field = (k: string) => f[f.indexOf(k) + 1];
    assert.equal(field('n'), '150');
    assert.equal(field(DLQ_FIELDS.stream), r.stream);
    assert.equal(field(DLQ_FIELDS.group), GROUP);
    assert.equal(field(DLQ_FIELDS.consumer), 'p');
    assert.equal(Number(field(DLQ_FIELDS.deliveries)), r.MAX + 1, 'dead-lettered on the delivery after the N-th crash, unseen by the handler');
    assert.equal(r.crashes, r.MAX, 'the handler ran it exactly maxDeliveries times');
    assert.deepEqual(r.c.lost, [], 'every other message processed (or dead-lettered)');
    assert.ok(r.afterDead > 0, 'messages keep flowing after the poison');
  });

  it('poison message: delivery counting survives a server restart (AOF always)', async () => {
    const aof = await target('aof-always');
    try {
      const saved = t;
      t = aof;
      try {
        // Restart the server (SIGKILL + AOF reload) after the second crash, when the entry has been delivered twice.
        const r = await poisonRun('poison-aof', aof.server.url, async (k) => {
          if (k !== 2) return;
          await aof.server.kill('SIGKILL');
          await aof.server.restart();
          await waitFor(async () => (await aof.admin.ping()) === 'PONG', 10_000, 'admin reconnected');
        });
        record({ fault: 'poison message + server restart (AOF always)', runs: r.crashes, messages: r.c.messages + r.dlqSize, lost: r.c.lost.length, duplicates: r.c.duplicates, recovery: 'n/a', notes: `maxDeliveries ${r.MAX}: handler crashed ${r.crashes} times (should be ${r.MAX}); DLQ deliveries ${r.poisonEntry?.[1][r.poisonEntry[1].indexOf(DLQ_FIELDS.deliveries) + 1]}` });
        assert.ok(r.poisonEntry, 'the poison message is in the DLQ');
        assert.deepEqual(r.c.lost, []);
        assert.equal(r.crashes, r.MAX, `the handler ran the poison message ${r.crashes} times across a server restart; maxDeliveries is ${r.MAX} (delivery counts bumped by re-reads of the own PEL are not in the AOF)`);
      } finally {
        t = saved;
      }
    } finally {
      await aof.close();
    }
  });
});
