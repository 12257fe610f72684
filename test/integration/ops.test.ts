import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { BadIdError, ReadOnlyError } from '../../src/core/redis/errors';
import * as ops from '../../src/core/ops';
import { listQueueKeys } from '../../src/core/queue/list/keys';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

describe('(integration) operations', () => {
  let client: Redis;
  let t: ops.OpTarget;
  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
    t = { client, name: 'test' };
  });
  after(() => quit(client));

  /** A stream with `n` entries, a group `g`, and `pending` entries delivered to consumer `c1`. */
  async function seeded(label: string, n: number, pending: number): Promise<{ s: string; ids: string[] }> {
    const s = `${uniqueKey(label)}:s`;
    const p = client.pipeline();
    for (let i = 0; i < n; i++) p.xadd(s, '*', 'n', String(i));
    const ids = ((await p.exec()) ?? []).map(([, id]) => String(id));
    await client.xgroup('CREATE', s, 'g', '0');
    if (pending) await client.xreadgroup('GROUP', 'g', 'c1', 'COUNT', pending, 'STREAMS', s, '>');
    return { s, ids };
  }

  async function calls(cmd: string): Promise<number> {
    const info = String(await client.info('commandstats'));
    const m = new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info);
    return m ? Number(m[1]) : 0;
  }

  it('refuses every write on a read-only connection before sending anything', async () => {
    const { s, ids } = await seeded('ro', 3, 3);
    const ro: ops.OpTarget = { client, readOnly: true, name: 'prod-viewer' };
    const before = await Promise.all(['xack', 'xclaim', 'xdel', 'xtrim', 'xgroup|destroy', 'evalsha'].map(calls));
    await assert.rejects(ops.ack(ro, s, 'g', ids), ReadOnlyError);
    await assert.rejects(ops.claim(ro, s, 'g', 'x', ids), ReadOnlyError);
    await assert.rejects(ops.deleteEntries(ro, s, ids), ReadOnlyError);
    await assert.rejects(ops.trim(ro, s, { maxlen: 0 }), /read-only: XTRIM was refused before anything was sent/);
    await assert.rejects(ops.destroyGroup(ro, s, 'g'), ReadOnlyError);
    await assert.rejects(ops.deadLetter(ro, s, 'g', ids), ReadOnlyError);
    await assert.rejects(ops.replay(ro, `${s}:dlq`), ReadOnlyError);
    const after = await Promise.all(['xack', 'xclaim', 'xdel', 'xtrim', 'xgroup|destroy', 'evalsha'].map(calls));
    assert.deepEqual(after, before);
    assert.equal(await client.xlen(s), 3);
  });

  it('acks selected entries and names the ones that were not pending', async () => {
    const { s, ids } = await seeded('ack', 5, 3);
    const r = await ops.ack(t, s, 'g', [ids[0]!, ids[1]!, ids[4]!]);
    assert.deepEqual(r, { acked: 2, notPending: [ids[4]] });
    await assert.rejects(ops.ack(t, s, 'g', ['abc']), BadIdError);
    const summary = (await client.xpending(s, 'g')) as [number];
    assert.equal(summary[0], 1);
  });

  it('acks all pending of a consumer older than an idle time', async () => {
    const { s } = await seeded('ackm', 20, 20);
    assert.deepEqual(await ops.ackMatching(t, s, 'g', { consumer: 'c1', minIdleMs: 60_000 }), { acked: 0 });
    assert.deepEqual(await ops.ackMatching(t, s, 'g', { consumer: 'c1' }), { acked: 20 });
  });

  it('claims with min-idle, skipping entries active again, and auto-claims with a preview naming deleted ids', async () => {
    const { s, ids } = await seeded('claim', 6, 6);
    await client.xclaim(s, 'g', 'c1', 0, ids[0]!, ids[1]!, ids[2]!, 'IDLE', 120_000, 'JUSTID');
    const r = await ops.claim(t, s, 'g', 'rescuer', [ids[0]!, ids[3]!], { minIdleMs: 60_000 });
    assert.deepEqual(r.claimed, [ids[0]]);
    assert.match(r.skipped[0]!.reason, /active again/);
    const preview = await ops.autoClaimPreview(t, s, 'g', { minIdleMs: 60_000 });
    assert.deepEqual(preview.map((p) => p.id), [ids[1], ids[2]]);
    assert.equal(preview[0]!.consumer, 'c1');
    await client.xdel(s, ids[2]!);
    const sweep = await ops.autoClaim(t, s, 'g', 'rescuer', { minIdleMs: 60_000 });
    assert.deepEqual(sweep.claimed, [ids[1]]);
    assert.deepEqual(sweep.deleted, [ids[2]]);
    const fallback = await ops.autoClaim(t, s, 'g', 'other', { minIdleMs: 0, supportsAutoClaim: false });
    assert.ok(fallback.claimed.length >= 4);
  });

  it('dead-letters atomically with metadata and replays to the origin with a replay count', async () => {
    const { s, ids } = await seeded('dlq', 4, 4);
    const r = await ops.deadLetter(t, s, 'g', [ids[0]!, ids[1]!], { reason: 'bad payload' });
    assert.equal(r.moved.length, 2);
    const again = await ops.deadLetter(t, s, 'g', [ids[0]!]);
    assert.deepEqual(again.skipped, [ids[0]], 'an entry no longer pending is not dead-lettered twice');
    const dlq = `${s}:dlq`;
    const [e] = (await client.xrange(dlq, '-', '+', 'COUNT', 1)) as [string, string[]][];
    const f = Object.fromEntries(Array.from({ length: e![1].length / 2 }, (_, i) => [e![1][2 * i], e![1][2 * i + 1]]));
    assert.equal(f.n, '0');
    assert.equal(f['x-dlq-stream'], s);
    assert.equal(f['x-dlq-group'], 'g');
    assert.equal(f['x-dlq-id'], ids[0]);
    assert.equal(f['x-dlq-error'], 'bad payload');
    assert.equal(f['x-dlq-deliveries'], '1');
    assert.equal(((await client.xpending(s, 'g')) as [number])[0], 2);
    const plan = await ops.planReplay(t, dlq);
    assert.deepEqual(plan.byOrigin, { [s]: 2 });
    const t0 = Date.now();
    const rep = await ops.replay(t, dlq, { ratePerSecond: 10 });
    assert.ok(Date.now() - t0 >= 90, 'the rate limit spaces replays');
    assert.equal(rep.replayed.length, 2);
    assert.equal(await client.xlen(dlq), 0);
    const last = (await client.xrevrange(s, '+', '-', 'COUNT', 1))[0]![1];
    assert.deepEqual(last.slice(0, 5), ['n', '1', 'x-replay-count', '1', 'x-replay-of']);
  });

  it('creates, re-points and destroys groups; refuses to delete a consumer holding entries unless claimed or forced', async () => {
    const { s, ids } = await seeded('grp', 5, 2);
    await ops.createGroup(t, s, 'fresh', { from: '0' });
    await ops.createGroup(t, `${s}:new`, 'g2');
    assert.equal(await client.exists(`${s}:new`), 1);
    await assert.rejects(ops.createGroup(t, s, 'fresh'), /BUSYGROUP/);
    await ops.setGroupId(t, s, 'fresh', ids[2]!);
    await assert.rejects(ops.deleteConsumer(t, s, 'g', 'c1'), /still holds pending entries/);
    const moved = await ops.deleteConsumer(t, s, 'g', 'c1', { claimTo: 'c2' });
    assert.deepEqual(moved, { deleted: true, pendingLost: 0, claimed: 2 });
    assert.deepEqual(await ops.destroyGroup(t, s, 'g'), { destroyed: true, pendingLost: 2 });
    await assert.rejects(ops.destroyGroup(t, s, 'g'), /No consumer group "g"/);
  });

  it('previews a trim: entries removed and pending entries whose bodies would go', async () => {
    const { s, ids } = await seeded('trim', 50, 10);
    const byLen = await ops.trimPreview(t, s, { maxlen: 45 });
    assert.equal(byLen.removed, 5);
    assert.equal(byLen.firstKeptId, ids[5]);
    assert.deepEqual(byLen.pendingAffected, [{ group: 'g', count: 5, capped: false }]);
    const byId = await ops.trimPreview(t, s, { minid: ids[20]! });
    assert.equal(byId.removed, 20);
    assert.deepEqual(byId.pendingAffected, [{ group: 'g', count: 10, capped: false }]);
    assert.equal(await ops.trim(t, s, { maxlen: 45 }), 5);
    assert.equal(await client.xlen(s), 45);
  });

  it('repairs list queues: requeue stuck processing jobs, retry dead ones, delete a job', async () => {
    const q = `${uniqueKey('lq')}:q`;
    const k = listQueueKeys(q);
    await client.lpush(k.processing, 'a', 'b');
    await client.zadd(k.started, Date.now() - 60_000, 'a', Date.now(), 'b');
    await client.lpush(k.dead, 'd');
    await client.hset(k.job('d'), '__attempts', '5', 'x', '1');
    assert.deepEqual(await ops.requeueProcessing(t, q, { olderThanMs: 30_000 }), ['a']);
    assert.deepEqual(await client.lrange(k.waiting, 0, -1), ['a']);
    assert.deepEqual(await ops.retryDead(t, q), ['d']);
    assert.equal(await client.hget(k.job('d'), '__attempts'), '0');
    assert.equal(await ops.deleteJob(t, q, 'd'), true);
    assert.equal(await client.exists(k.job('d')), 0);
    assert.deepEqual(await client.lrange(k.waiting, 0, -1), ['a']);
  });
});
