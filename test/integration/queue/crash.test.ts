import * as assert from 'node:assert/strict';
import { open, quit, type RedisClient } from '../../../src/core/redis/connection';
import { StreamProducer, StreamWorker } from '../../../src/core/queue';
import { redisUrl, uniqueKey } from '../../support/integrationHooks';
import { pendingCount, sleep, spawnCrashWorker, waitFor, type WorkerProcess } from './helpers';

const CONCURRENCY = 16;
const ACK_BATCH = 50;

describe('(integration) queue: worker process killed with SIGKILL mid-batch', function () {
  this.timeout(60_000);
  let client: RedisClient;
  let child: WorkerProcess | undefined;
  let rescuer: StreamWorker | undefined;
  before(async () => (client = await open({ url: redisUrl() })));
  after(async () => {
    await child?.kill('SIGKILL');
    await rescuer?.stop();
    await quit(client);
  });

  it('another worker reclaims; every acknowledged publish is processed at least once, duplicates bounded', async () => {
    const stream = uniqueKey('crash');
    const logKey = `${stream}:log`;
    const group = 'g';
    const producer = new StreamProducer(client, { stream });
    const published = new Set<string>();
    let n = 0;
    const publish = async (count: number) => {
      const batch = Array.from({ length: count }, () => ({ n: String(n++) }));
      await producer.publishBatch(batch);
      for (const m of batch) published.add(m.n); // acknowledged by Redis
    };
    await publish(1500);

    child = await spawnCrashWorker({ REDIS_URL: redisUrl(), STREAM: stream, GROUP: group, CONSUMER: 'doomed', LOG_KEY: logKey, CONCURRENCY, ACK_BATCH });
    // Keep publishing while it works, then kill it in the middle.
    for (let i = 0; i < 15; i++) await publish(100);
    await waitFor(async () => (await client.llen(logKey)) >= 1200, 20_000, 'child progress');
    await child.kill('SIGKILL');
    child = undefined;
    const loggedAtKill = await client.llen(logKey);
    const pendingAtKill = await pendingCount(client, stream, group);
    await publish(500);

    const log = await open({ url: redisUrl() });
    rescuer = new StreamWorker({
      connection: { url: redisUrl() }, stream, group, consumer: 'rescuer', concurrency: CONCURRENCY,
      claimMinIdleMs: 500, claimIntervalMs: 100, blockMs: 500,
      handler: async (m) => void (await log.rpush(logKey, String(m.fields['n']))),
    });
    await rescuer.start();
    await waitFor(async () => new Set(await client.lrange(logKey, 0, -1)).size >= published.size, 30_000, 'all processed');
    await waitFor(async () => (await pendingCount(client, stream, group)) === 0, 10_000, 'pending 0');
    await rescuer.stop();
    rescuer = undefined;
    await quit(log);

    const entries = await client.lrange(logKey, 0, -1);
    const unique = new Set(entries);
    for (const p of published) assert.ok(unique.has(p), `message ${p} was processed`);
    const duplicates = entries.length - unique.size;
    console.log(`      SIGKILL test: published ${published.size}, processed ${entries.length} handler runs (${unique.size} unique), duplicates ${duplicates}; at kill: ${loggedAtKill} logged, ${pendingAtKill} pending`);
    assert.ok(duplicates <= CONCURRENCY + ACK_BATCH, `duplicates ${duplicates} bounded by in-flight + unacked batch (${CONCURRENCY + ACK_BATCH})`);
    await sleep(0);
  });
});
