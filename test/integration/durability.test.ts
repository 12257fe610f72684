// The producer's durability option: WAIT for replicas after publishing (one WAIT per flush, shared
// by concurrent publishes), and when they do not confirm in time, each unconfirmed message looked
// up on the master and reported as written, lost (republished on request) or unknown.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { NotReplicatedError, REPUBLISHED_FROM_FIELD, StreamProducer } from '../../src/core/queue/stream/producer';
import { UnavailableError } from '../../src/core/redis/errors';
import { startSandbox, startSandboxCluster, type Sandbox } from '../../src/core/dev/sandbox';
import { startSandboxSentinel } from '../../src/core/dev/sandboxHa';
import { uniqueKey } from '../support/integrationHooks';
import { waitFor } from './queue/helpers';

describe('(integration) producer durability (WAIT for replicas)', function () {
  this.timeout(60_000);
  let master: Sandbox;
  let replica: Sandbox;
  let client: Redis;
  let replicaClient: Redis;
  before(async () => {
    master = await startSandbox();
    replica = await startSandbox();
    client = (await open({ url: master.url })) as Redis;
    replicaClient = (await open({ url: replica.url })) as Redis;
    await replicaClient.replicaof('127.0.0.1', String(master.port));
    await waitFor(async () => /master_link_status:up/.test(String(await replicaClient.info('replication'))), 20_000, 'the replica in sync');
  });
  after(async () => {
    await quit(client);
    await quit(replicaClient);
    await replica?.stop();
    await master?.stop();
  });

  it('publish and publishBatch resolve once a replica has the messages; the replica holds them', async () => {
    const s = uniqueKey('dur');
    const p = new StreamProducer(client, { stream: s, durability: { replicas: 1, timeoutMs: 2000 } });
    const id = await p.publish({ n: '1' });
    const ids = await p.publishBatch(Array.from({ length: 600 }, (_, i) => ({ n: String(i + 2) })));
    // WAIT returned: the replica acknowledged these writes.
    assert.equal(await replicaClient.xlen(s), 601);
    assert.deepEqual((await replicaClient.xrange(s, ids.at(-1)!, ids.at(-1)!))[0]![0], ids.at(-1));
    assert.ok(id);
  });

  /** Calls of WAIT the master has served so far (INFO commandstats). */
  const waitCalls = async () => Number(/cmdstat_wait:calls=(\d+)/.exec(String(await client.info('commandstats')))?.[1] ?? 0);

  it('group commit: 300 concurrent durable publishes share far fewer WAITs than 300, and the replica holds them all', async () => {
    const s = uniqueKey('durgc');
    const p = new StreamProducer(client, { stream: s, durability: { replicas: 1, timeoutMs: 2000 } });
    const before = await waitCalls();
    const ids = await Promise.all(Array.from({ length: 300 }, (_, i) => p.publish({ n: String(i) })));
    const waits = (await waitCalls()) - before;
    assert.equal(new Set(ids).size, 300);
    assert.ok(waits >= 1 && waits <= 30, `WAIT calls for 300 concurrent publishes: ${waits}`);
    assert.equal(await replicaClient.xlen(s), 300);
  });

  it('group commit: publishes made while a WAIT is held by a stopped replica wait on the client, not behind the WAIT on the server (no "may or may not" timeouts)', async () => {
    const s = uniqueKey('durhold');
    // commandTimeoutMs below the WAIT's timeout: an XADD queued behind the WAIT on the server would time out.
    const own = await StreamProducer.open({ url: master.url, commandTimeoutMs: 700 }, { stream: s, durability: { replicas: 1, timeoutMs: 600, checkMs: 200 } });
    await replica.kill('SIGSTOP');
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, (_, i) => own.publish({ n: String(i) }).then(() => 'confirmed', (e: unknown) => (e instanceof NotReplicatedError ? `written ${e.written.length}` : String((e as Error).message)))),
      );
      for (const o of outcomes) assert.equal(o, 'written 1');
      assert.equal(await client.xlen(s), 40);
    } finally {
      await replica.kill('SIGCONT');
      await own.close();
    }
  });

  it('when fewer replicas confirm in time: NotReplicatedError with the ids, each checked on the master and reported written', async () => {
    const s = uniqueKey('dur2');
    const p = new StreamProducer(client, { stream: s, durability: { replicas: 2, timeoutMs: 150, checkMs: 300 } });
    const e = await p.publish({ n: '1' }).then(
      () => assert.fail('expected NotReplicatedError'),
      (x: unknown) => x,
    );
    assert.ok(e instanceof NotReplicatedError);
    assert.equal(e.code, 'NOT_REPLICATED');
    assert.deepEqual([e.replicas, e.wanted, e.ids.length, e.written, e.lost, e.unknown], [1, 2, 1, e.ids, [], []]);
    assert.match(e.message, /^Replication not confirmed: the message reached 1 of 2 replicas within 150 ms\. 1 message written, not yet replicated \(in the stream on the current master; do not publish again\): \d+-\d+$/);
    assert.equal(await client.xlen(s), 1);
    const b = await p.publishBatch([{ n: '2' }, { n: '3' }]).catch((x: unknown) => x);
    assert.ok(b instanceof NotReplicatedError && b.ids.length === 2 && b.written.length === 2);
    assert.equal(await client.xlen(s), 3);
  });

  /**
   * The replica stopped (SIGSTOP), so WAIT cannot confirm; while the batch's WAIT runs the stream
   * on the master is rebuilt without its second message (DEL, then the others re-added with
   * their ids: absent with no deletion recorded, as after a demoted master's resync).
   */
  async function batchWithOneLost(s: string, republishLost: boolean): Promise<{ e: unknown; ids: string[] }> {
    const p = new StreamProducer(client, { stream: s, durability: { replicas: 1, timeoutMs: 1500, checkMs: 400, republishLost } });
    await client.xadd(s, '*', 'n', 'before');
    await replica.kill('SIGSTOP');
    try {
      const publishing = p.publishBatch([{ n: 'a' }, { n: 'b' }, { n: 'c' }]).then(
        () => undefined,
        (x: unknown) => x,
      );
      await waitFor(async () => (await client.xlen(s)) === 4, 5000, 'the batch on the master');
      const entries = await client.xrange(s, '-', '+');
      const ids = entries.slice(1).map(([id]) => id);
      await client.multi().del(s).xadd(s, entries[0]![0], ...entries[0]![1]).xadd(s, ids[0]!, 'n', 'a').xadd(s, ids[2]!, 'n', 'c').exec();
      return { e: await publishing, ids };
    } finally {
      await replica.kill('SIGCONT');
    }
  }

  it('unconfirmed ids are classified on the master: present → written, absent → lost (not republished by default)', async () => {
    const s = uniqueKey('durlost');
    const { e, ids } = await batchWithOneLost(s, false);
    assert.ok(e instanceof NotReplicatedError, String(e));
    assert.deepEqual(e.ids, ids);
    assert.deepEqual(e.written, [ids[0], ids[2]]);
    assert.deepEqual(e.lost, [ids[1]]);
    assert.deepEqual([e.unknown, e.republished], [[], []]);
    assert.match(e.message, new RegExp(`2 messages written, not yet replicated .*: ${ids[0]}, ${ids[2]}; 1 message lost in a failover \\(not in the stream on the current master; publish again\\): ${ids[1]}$`));
    assert.equal(await client.xlen(s), 3);
  });

  it('republishLost: the lost message is written again with a new id and a last field naming the old one', async () => {
    const s = uniqueKey('durrepub');
    const { e, ids } = await batchWithOneLost(s, true);
    assert.ok(e instanceof NotReplicatedError, String(e));
    assert.deepEqual(e.lost, [ids[1]]);
    assert.equal(e.republished.length, 1);
    const r = e.republished[0]!;
    assert.equal(r.from, ids[1]);
    assert.notEqual(r.id, ids[1]);
    const [[id, fields]] = (await client.xrange(s, r.id, r.id)) as [string, string[]][];
    assert.equal(id, r.id);
    assert.deepEqual(fields, ['n', 'b', REPUBLISHED_FROM_FIELD, ids[1]]);
    assert.match(e.message, new RegExp(`1 message lost in a failover and published again: ${ids[1]} → ${r.id}`));
    assert.equal(await client.xlen(s), 4);
  });

  it('an absent id where the stream had entries deleted (XDEL) is unknown, not lost, and not republished', async () => {
    const s = uniqueKey('durdel');
    const p = new StreamProducer(client, { stream: s, durability: { replicas: 1, timeoutMs: 1500, checkMs: 400, republishLost: true } });
    await replica.kill('SIGSTOP');
    try {
      const publishing = p.publish({ n: 'x' }).then(
        () => undefined,
        (x: unknown) => x,
      );
      await waitFor(async () => (await client.xlen(s)) === 1, 5000, 'the message on the master');
      const [[id]] = await client.xrange(s, '-', '+');
      await client.xdel(s, id!);
      const e = await publishing;
      assert.ok(e instanceof NotReplicatedError, String(e));
      assert.deepEqual([e.unknown, e.lost, e.written, e.republished], [[id], [], [], []]);
    } finally {
      await replica.kill('SIGCONT');
    }
  });

  it('a message whose WAIT timed out is confirmed on a second look once the replica has it (ROLE: its acknowledged offset): the publish resolves', async () => {
    const s = uniqueKey('durlate');
    const p = new StreamProducer(client, { stream: s, durability: { replicas: 1, timeoutMs: 300, checkMs: 20_000 } });
    const roles = async () => Number(/cmdstat_role:calls=(\d+)/.exec(String(await client.info('commandstats')))?.[1] ?? 0);
    const before = await roles();
    await replica.kill('SIGSTOP');
    let resumed = false;
    try {
      const publishing = p.publish({ n: 'late' });
      // The check has begun (it sends ROLE) once the WAIT timed out: let the replica catch up then.
      await waitFor(async () => (await roles()) > before, 10_000, 'the check after the WAIT');
      await replica.kill('SIGCONT');
      resumed = true;
      const id = await publishing;
      assert.deepEqual((await replicaClient.xrange(s, id, id))[0]?.[0], id);
    } finally {
      if (!resumed) await replica.kill('SIGCONT');
    }
  });

  it('CLI publish --wait-replicas: ids printed, exit 0 when confirmed, 3 when written but not replicated', () => {
    const cli = join(__dirname, '..', '..', '..', 'dist', 'cli.js');
    const s = uniqueKey('dur3');
    const ok = spawnSync(process.execPath, [cli, 'publish', s, 'a=1', '--wait-replicas', '1', '--url', master.url], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    const short = spawnSync(process.execPath, [cli, 'publish', s, 'a=2', '--wait-replicas', '2', '--wait-replicas-ms', '100', '--check-ms', '200', '--url', master.url], { encoding: 'utf8' });
    assert.equal(short.status, 3, short.stderr);
    assert.match(short.stdout, /^\d+-\d+\n$/);
    assert.match(short.stderr, /Replication not confirmed: the message reached 1 of 2 replicas within 100 ms\. 1 message written, not yet replicated/);
  });
});

describe('(integration) producer on Sentinel: a master switch is reported as a failover', function () {
  this.timeout(90_000);
  it('an XADD left unanswered when the sentinels switch the master: UnavailableError naming the switch, not "Cannot connect … Connection is closed"', async () => {
    const s = await startSandboxSentinel({ replicas: 1, sentinels: 3, quorum: 2, downAfterMs: 2000 });
    const old = await s.master();
    const admin = (await open({ url: old.url })) as Redis;
    const producer = await StreamProducer.open({ ...s.connection, clientName: 'switch' }, { stream: uniqueKey('sw') });
    try {
      await producer.publish({ n: '0' });
      // Writes paused on the master: the next XADD stays unanswered while the sentinels switch.
      await admin.call('CLIENT', 'PAUSE', '30000', 'WRITE');
      const publishing = producer.publish({ n: '1' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      await waitFor(async () => /cmd=xadd/.test(String(await admin.call('CLIENT', 'LIST'))), 5000, 'the XADD held by the pause');
      await s.failover();
      const e = await publishing;
      assert.ok(e instanceof UnavailableError, String(e));
      assert.equal((e as UnavailableError).transient, true);
      assert.match((e as Error).message, /^sentinel master "[^"]+" is failing over or busy \(the sentinels switched the master while the connection was open \(a failover\)/);
      assert.doesNotMatch((e as Error).message, /Cannot connect|Connection is closed/);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      await quit(admin);
      await producer.close();
      await s.stop();
    }
  });
});

describe('(integration) producer durability on a Cluster: the check runs on the stream\'s master', function () {
  this.timeout(90_000);
  it('group commit and the check reach the master of the stream\'s slot: confirmed with 1 replica; with 2 asked, each message reported written (present on that master)', async () => {
    const c = await startSandboxCluster({ masters: 3, replicas: 1 });
    try {
      const connection = { url: c.url, mode: 'cluster' as const };
      const s = `{${uniqueKey('durc')}}`;
      const ok = await StreamProducer.open(connection, { stream: s, durability: { replicas: 1, timeoutMs: 2000 } });
      const short = await StreamProducer.open(connection, { stream: s, durability: { replicas: 2, timeoutMs: 100, checkMs: 300 } });
      try {
        const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => ok.publish({ n: String(i) })));
        assert.equal(new Set(ids).size, 50);
        const e = await short.publishBatch([{ n: 'a' }, { n: 'b' }]).catch((x: unknown) => x);
        assert.ok(e instanceof NotReplicatedError, String(e));
        assert.deepEqual([e.replicas, e.written.length, e.lost, e.unknown], [1, 2, [], []]);
        assert.deepEqual(e.written, e.ids);
      } finally {
        await ok.close();
        await short.close();
      }
    } finally {
      await c.stop();
    }
  });
});
