// Fault suite: connections killed by client name (during a blocking read, during pipelined
// acks), the server paused (CLIENT PAUSE, DEBUG SLEEP) and the server SIGKILLed and restarted
// (AOF always / everysec / no persistence). The worker runs in this process here (its error
// events are part of what is checked); the handler log lives on a server no test kills.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { open, quit, type IoRedisClient } from '../../src/core/redis/connection';
import type { QueueError } from '../../src/core/redis/errors';
import { StreamWorker, type StreamWorkerOptions } from '../../src/core/queue';
import type { Persistence } from '../../src/core/dev/sandbox';
import { logUrl, record } from './hooks';
import { check, clientsNamed, drained, fmtMs, killClients, pendingIds, prng, Publisher, readLog, SEED, sleep, spawnCrashWorker, target, waitFor, type WorkerProcess } from './support';

const GROUP = 'g';

describe('(faults) connections and the server', function () {
  this.timeout(90_000);
  let logClient: IoRedisClient;
  const cleanup: (() => Promise<unknown>)[] = [];
  before(async () => (logClient = await open({ url: logUrl() })));
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
  });
  after(async () => quit(logClient));

  const keys = (label: string) => {
    const stream = `{f:${label}:${randomUUID().slice(0, 6)}}`;
    return { stream, logKey: `${stream}:log` };
  };

  /** An in-process worker named `clientName` that logs `n|consumer|start|end|deliveries` per handled entry. */
  async function worker(url: string, stream: string, logKey: string, clientName: string, extra: Partial<StreamWorkerOptions> = {}) {
    const errors: QueueError[] = [];
    const w = new StreamWorker({
      connection: { url, clientName },
      stream,
      group: GROUP,
      consumer: clientName,
      startId: '0',
      concurrency: 8,
      blockMs: 500,
      claimMinIdleMs: 0,
      handler: async (m) => {
        const start = Date.now();
        await sleep(1 + Math.random() * 3);
        await logClient.rpush(logKey, `${m.fields['n']}|${clientName}|${start}|${Date.now()}|${m.deliveries}`);
      },
      ...extra,
    });
    w.on('error', (e) => errors.push(e));
    await w.start();
    cleanup.push(() => w.stop());
    return { w, errors };
  }

  async function server(persistence: Persistence = 'none') {
    const t = await target(persistence);
    cleanup.push(() => t.close());
    return t;
  }

  it('connection killed (CLIENT KILL by client name) during a blocking read', async () => {
    const t = await server();
    const { stream, logKey } = keys('blk');
    const pub = new Publisher(t.admin, stream);
    const { w, errors } = await worker(t.server.url, stream, logKey, 'fw-blk', { blockMs: 5000 });
    const rec: number[] = [];
    let busyAtKills = 0;
    for (let round = 0; round < 3; round++) {
      await waitFor(async () => (await clientsNamed(t.admin, 'fw-blk:blocking')).some((c) => c.cmd === 'xreadgroup'), 10_000, 'worker blocked in XREADGROUP');
      const before = (await clientsNamed(t.admin, 'fw-blk:blocking'))[0]!.id;
      busyAtKills += w.stats.inFlight + w.stats.pendingAcks;
      assert.equal(await killClients(t.admin, 'fw-blk:blocking'), 1);
      const t0 = Date.now();
      await pub.publish(20);
      await drained(t.admin, logClient, logKey, stream, GROUP, pub.acked.keys(), 15_000);
      rec.push(Date.now() - t0);
      const after = (await clientsNamed(t.admin, 'fw-blk:blocking'))[0]?.id;
      assert.notEqual(after, before, 'the blocking connection was re-opened');
    }
    const records = await readLog(logClient, logKey);
    const c = check(pub.acked.keys(), records);
    // Evidence for the report: how the second runs of duplicated entries came about.
    const evidence = c.duplicated.slice(0, 5).map((n) => {
      const runs = records.filter((r) => r.n === n).sort((a, b) => a.start - b.start);
      return `n=${n}: ${runs.map((r) => `[${r.start - runs[0]!.start}..${r.end - runs[0]!.start} ms, delivery ${r.deliveries}]`).join(' ')}`;
    });
    record({ fault: 'CLIENT KILL of the blocking connection mid-XREADGROUP', runs: 3, messages: c.messages, lost: c.lost.length, duplicates: c.duplicates, recovery: `max ${fmtMs(Math.max(...rec))}`, notes: `in flight or unacked at the kills: ${busyAtKills}; error events ${errors.length}; recovery = kill → 20 new messages processed` });
    assert.deepEqual(c.lost, []);
    assert.equal(c.duplicates, 0, `nothing was in flight at the kills (${busyAtKills}), yet ${c.duplicates} entries ran twice; second runs come from the own-PEL re-read after the reconnect: ${evidence.join('; ')}`);
  });

  it('connections killed (CLIENT KILL by client name) during pipelined acks', async () => {
    const rnd = prng(SEED + 2);
    const t = await server();
    const { stream, logKey } = keys('ack');
    const pub = new Publisher(t.admin, stream);
    await pub.publish(3000);
    const { w, errors } = await worker(t.server.url, stream, logKey, 'fw-ack', { concurrency: 16, ackBatchSize: 20, ackDelayMs: 5 });
    let kills = 0;
    let inflightAtKills = 0;
    let lastKill = 0;
    for (let i = 0; i < 8; i++) {
      await sleep(rnd.int(20, 120)); // fault injection: the next kill at a seeded random moment of the work
      const s = w.stats;
      inflightAtKills += s.inFlight + s.pendingAcks;
      // Odd rounds kill only the command connection (the one the XACKs travel on), even ones every connection of the worker.
      kills += await killClients(t.admin, i % 2 ? 'fw-ack:command' : 'fw-ack:');
      lastKill = Date.now();
    }
    await drained(t.admin, logClient, logKey, stream, GROUP, pub.acked.keys(), 30_000);
    const recovered = Date.now() - lastKill;
    const c = check(pub.acked.keys(), await readLog(logClient, logKey));
    record({ fault: 'CLIENT KILL of worker connections during pipelined acks', runs: kills, messages: c.messages, lost: c.lost.length, duplicates: c.duplicates, recovery: `last kill → drained ${fmtMs(recovered)}`, notes: `in flight + unacked at the kills: ${inflightAtKills}; XACK batches of 20; error events ${errors.length}` });
    assert.deepEqual(c.lost, []);
    assert.ok(c.duplicates <= inflightAtKills, `duplicates ${c.duplicates} only from work in flight or unacked at a kill (${inflightAtKills})`);
  });

  for (const how of ['CLIENT PAUSE', 'DEBUG SLEEP'] as const) {
    it(`server paused (${how} 1.5 s, beyond the 500 ms BLOCK): no loss, no duplicates, work resumes`, async () => {
      const t = await server();
      const { stream, logKey } = keys('pause');
      const pub = new Publisher(t.admin, stream);
      await pub.publish(1000);
      const { errors } = await worker(t.server.url, stream, logKey, 'fw-pause');
      await waitFor(async () => (await logClient.llen(logKey)) >= 200, 20_000, 'progress');
      const pauser = await open({ url: t.server.url });
      cleanup.push(() => quit(pauser));
      const t0 = Date.now();
      if (how === 'CLIENT PAUSE') await pauser.call('CLIENT', 'PAUSE', 1500, 'ALL');
      const sleeping = how === 'DEBUG SLEEP' ? pauser.call('DEBUG', 'SLEEP', '1.5') : Promise.resolve();
      await sleep(20); // fault injection: let DEBUG SLEEP reach the server first (if it does not, the publish merely comes before the pause)
      const during = pub.publish(200); // waits for the server
      await sleeping;
      assert.equal(await during, true);
      await drained(t.admin, logClient, logKey, stream, GROUP, pub.acked.keys(), 30_000);
      const recovered = Date.now() - t0 - 1500;
      const c = check(pub.acked.keys(), await readLog(logClient, logKey));
      record({ fault: `server paused: ${how} 1.5 s`, runs: 1, messages: c.messages, lost: c.lost.length, duplicates: c.duplicates, recovery: `pause end → drained ${fmtMs(recovered)}`, notes: `error events ${errors.length}` });
      assert.deepEqual(c.lost, []);
      assert.equal(c.duplicates, 0);
    });
  }

  for (const persistence of ['aof-always', 'aof-everysec'] as const) {
    it(`server SIGKILLed and restarted with ${persistence}: ${persistence === 'aof-always' ? 'zero loss of acknowledged publishes' : 'the loss window is measured'}`, async () => {
      const rnd = prng(SEED + (persistence === 'aof-always' ? 3 : 4));
      const t = await server(persistence);
      const { stream, logKey } = keys(persistence);
      const pub = new Publisher(t.admin, stream);
      await pub.publish(200);
      const env = { REDIS_URL: t.server.url, LOG_URL: logUrl(), LOG_DETAIL: 1, STREAM: stream, GROUP, LOG_KEY: logKey, CONSUMER: 'aof', CONCURRENCY: 16, BLOCK_MS: 500, CLAIM_MIN_IDLE_MS: 0 };
      const child: WorkerProcess = await spawnCrashWorker(env);
      cleanup.push(() => child.kill('SIGKILL'));
      // Publish continuously (batches of 25); only acknowledged batches count.
      let publishing = true;
      const publisher = (async () => {
        for (let i = 0; publishing && i < 100_000; i++) {
          await pub.publish(25);
          await sleep(5); // pacing of the load, not a wait for anything
        }
      })();
      const restarts: number[] = [];
      const rec: number[] = [];
      for (let round = 0; round < 3; round++) {
        await sleep(rnd.int(200, 700)); // fault injection: the kill at a seeded random moment of the load
        await t.server.kill('SIGKILL');
        await t.server.restart();
        const up = Date.now();
        restarts.push(up);
        // Recovered when an entry published after the restart has been processed.
        const fresh = async () => (await logClient.lrange(logKey, -50, -1)).some((line) => {
          const id = pub.acked.get(line.split('|')[0]!);
          return id !== undefined && Number(id.split('-')[0]) >= up;
        });
        await waitFor(fresh, 20_000, 'processing after the restart');
        rec.push(Date.now() - up);
      }
      publishing = false;
      await publisher;
      // What the server still has, after the last restart, of what it acknowledged.
      const inStream = new Set((await t.admin.xrange(stream, '-', '+')).map(([, f]) => f[1]!));
      const lostInRedis = [...pub.acked.keys()].filter((n) => !inStream.has(n));
      const survivors = [...pub.acked.keys()].filter((n) => inStream.has(n));
      await drained(t.admin, logClient, logKey, stream, GROUP, survivors, 30_000);
      await child.kill('SIGTERM');
      const c = check(pub.acked.keys(), await readLog(logClient, logKey));
      record({
        fault: `server SIGKILL + restart, ${persistence}`,
        runs: restarts.length,
        messages: c.messages,
        lost: lostInRedis.length,
        duplicates: c.duplicates,
        recovery: `restart → new work processed, max ${fmtMs(Math.max(...rec))}`,
        notes: `publish batches refused while down: ${pub.failures}; acknowledged but never processed: ${c.lost.length}`,
      });
      if (persistence === 'aof-always') assert.deepEqual(lostInRedis, [], 'appendfsync always: no acknowledged publish lost');
      assert.deepEqual(c.lost.filter((n) => inStream.has(n)), [], 'every acknowledged publish the server kept was processed');
      assert.equal((await pendingIds(t.admin, stream, GROUP)).length, 0);
    });
  }

  it('group gone after a restart without persistence: an error event, never silently re-created at $', async () => {
    const t = await server('none');
    const { stream, logKey } = keys('nogroup');
    const pub = new Publisher(t.admin, stream);
    await pub.publish(50);
    const { errors } = await worker(t.server.url, stream, logKey, 'fw-nogroup');
    await drained(t.admin, logClient, logKey, stream, GROUP, pub.acked.keys());
    await t.server.kill('SIGKILL');
    await t.server.restart();
    const up = Date.now();
    await waitFor(() => errors.some((e) => e.code === 'NOGROUP'), 15_000, 'a NOGROUP error event');
    const reported = Date.now() - up;
    const before = [...pub.acked.keys()];
    await pub.publish(10); // the stream exists again, the group must not
    // Two more attempts to read after that (the second sent once the first had failed, so after the
    // publish): a worker that re-created the group would have read without an error by then.
    const nogroups = () => errors.filter((e) => e.code === 'NOGROUP').length;
    const atPublish = nogroups();
    await waitFor(() => nogroups() >= atPublish + 2, 30_000, 'the worker to read again after the publish and meet NOGROUP');
    const groups = (await t.admin.call('XINFO', 'GROUPS', stream)) as unknown[];
    const c = check(before, await readLog(logClient, logKey));
    record({ fault: 'group gone (restart without persistence)', runs: 1, messages: c.messages, lost: c.lost.length, duplicates: c.duplicates, recovery: `NOGROUP reported ${fmtMs(reported)} after the restart`, notes: `groups after the restart: ${groups.length}; ${errors.filter((e) => e.code === 'NOGROUP').length} NOGROUP events; messages published after the restart stay unread (no group), by design` });
    assert.equal(groups.length, 0, 'the worker did not re-create the group');
    assert.ok(errors.filter((e) => e.code === 'NOGROUP').every((e) => /No consumer group/.test(e.message)));
  });
});
