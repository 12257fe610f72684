// Fault suite: a list-queue worker process SIGKILLed mid-job; the reaper of another worker
// returns its jobs after the visibility timeout; every enqueued job is processed at least once.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { open, quit, type RedisClient } from '../../src/core/redis/connection';
import { ListQueueProducer, listQueueKeys } from '../../src/core/queue';
import { logUrl, record } from './hooks';
import { check, fmtMs, prng, readLog, recoveryMs, SEED, sleep, spawnCrashWorker, target, waitFor, type WorkerProcess } from './support';

describe('(faults) list queue worker process', function () {
  this.timeout(90_000);
  let t: Awaited<ReturnType<typeof target>>;
  let logClient: RedisClient;
  const children: WorkerProcess[] = [];
  before(async () => {
    t = await target('none');
    logClient = await open({ url: logUrl() });
  });
  after(async () => {
    await Promise.all(children.map((c) => c.kill('SIGKILL')));
    await quit(logClient);
    await t.close();
  });

  it('SIGKILL mid-job, 3 rounds: the reaper returns the jobs; every job processed at least once', async () => {
    const VISIBILITY = 1000;
    const rnd = prng(SEED + 5);
    const queue = `{fq:${randomUUID().slice(0, 6)}}`;
    const logKey = `${queue}:log`;
    const keys = listQueueKeys(queue);
    const producer = new ListQueueProducer(t.admin, { queue });
    const nOf = new Map<string, string>(); // job id → n
    let n = 0;
    const enqueue = async (count: number) => {
      const jobs = Array.from({ length: count }, () => ({ payload: { n: String(n++) } }));
      const ids = await producer.enqueueMany(jobs);
      ids.forEach((id, i) => nOf.set(id, jobs[i]!.payload.n));
    };
    await enqueue(800);
    const env = { KIND: 'list', REDIS_URL: t.server.url, LOG_URL: logUrl(), LOG_DETAIL: 1, QUEUE: queue, LOG_KEY: logKey, CONCURRENCY: 16, VISIBILITY_MS: VISIBILITY, REAP_INTERVAL_MS: 200, BLOCK_MS: 500, HANDLER_MS: '2-10' };
    const kills: { at: number; processing: string[] }[] = [];
    for (let round = 0; round < 3; round++) {
      const w = await spawnCrashWorker({ ...env, CONSUMER: `l${round}` });
      children.push(w);
      const goal = (await logClient.llen(logKey)) + rnd.int(40, 200);
      await enqueue(100);
      await waitFor(async () => (await logClient.llen(logKey)) >= goal, 20_000, `round ${round} progress`);
      await w.kill('SIGKILL');
      kills.push({ at: Date.now(), processing: await t.admin.lrange(keys.processing, 0, -1) });
    }
    const final = await spawnCrashWorker({ ...env, CONSUMER: 'final' });
    children.push(final);
    await enqueue(100);
    const want = new Set(nOf.values());
    const deadline = Date.now() + 30_000;
    for (;;) {
      const seen = new Set((await readLog(logClient, logKey)).map((r) => r.n));
      const missing = [...want].filter((x) => !seen.has(x)).length;
      const left = (await t.admin.llen(keys.waiting)) + (await t.admin.llen(keys.processing));
      if (missing === 0 && left === 0) break;
      if (Date.now() > deadline) throw new Error(`list queue not drained: ${missing} jobs never processed, ${left} waiting or processing`);
      await sleep(150);
    }
    assert.equal(await final.kill('SIGTERM'), 0);
    const records = await readLog(logClient, logKey);
    const c = check(want, records);
    const inflight = new Set(kills.flatMap((k) => k.processing.map((id) => nOf.get(id)!)));
    const rec = kills.map((k) => recoveryMs(k.processing.map((id) => nOf.get(id)!), records, k.at));
    record({
      fault: 'list queue worker SIGKILL mid-job',
      runs: kills.length,
      messages: c.messages,
      lost: c.lost.length,
      duplicates: c.duplicates,
      recovery: `max ${fmtMs(Math.max(...rec.map((r) => r ?? Infinity)))}`,
      notes: `in processing at the kills: ${kills.reduce((a, k) => a + k.processing.length, 0)}; visibility timeout ${VISIBILITY} ms; dead-lettered ${await t.admin.llen(keys.dead)}`,
    });
    assert.deepEqual(c.lost, [], 'every job processed');
    assert.deepEqual(c.duplicated.filter((x) => !inflight.has(x)), [], 'duplicates only among jobs in processing at a kill');
    assert.ok(rec.every((r) => r !== undefined && r >= VISIBILITY / 2), 'returned by the reaper (after the visibility timeout), not earlier');
  });
});
