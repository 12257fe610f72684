// The budgeted per-stream health check (core/health.ts checkStreamHealth) against a real
// redis-server: the marks it returns, the calls it sends (counted by the server), its budget.
import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { DEFAULT_THRESHOLDS, checkStreamHealth } from '../../src/core/inspect/health';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

describe('(integration) budgeted stream health check', () => {
  let client: Redis;
  const s = `${uniqueKey('health')}:orders`;
  const thresholds = { ...DEFAULT_THRESHOLDS, stuckIdleMs: 60_000, lagWarning: 5 };

  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
    for (let i = 0; i < 20; i++) await client.xadd(s, '*', 'n', String(i));
    // "billing": ann holds 3 entries, the oldest delivered 6 times (POISON); bob holds 1. "idle":
    // nothing pending, lag 20 (LAGGING at 5). "audit": caught up.
    await client.xgroup('CREATE', s, 'billing', '0');
    await client.xreadgroup('GROUP', 'billing', 'ann', 'COUNT', 3, 'STREAMS', s, '>');
    await client.xreadgroup('GROUP', 'billing', 'bob', 'COUNT', 1, 'STREAMS', s, '>');
    const ann = (await client.xpending(s, 'billing', '-', '+', 10, 'ann')) as [string][];
    await client.xclaim(s, 'billing', 'ann', 0, ann[0]![0], 'RETRYCOUNT', 6, 'JUSTID');
    await client.xgroup('CREATE', s, 'idle', '0');
    await client.xgroup('CREATE', s, 'audit', '$');
  });
  after(async () => {
    await client.del(s);
    await quit(client);
  });

  it('returns each group\'s LAGGING, STUCK and POISON marks by the shared thresholds, from small calls only', async () => {
    const stuckNow = { ...thresholds, stuckIdleMs: 0 };
    await client.config('RESETSTAT');
    const r = await checkStreamHealth(client, s, { thresholds: stuckNow, sample: 10 });
    const byName = Object.fromEntries(r.groups.map((g) => [g.name, g]));
    assert.deepEqual(Object.keys(byName).sort(), ['audit', 'billing', 'idle']);
    assert.deepEqual(byName.billing!.stuck.sort(), ['ann', 'bob'], 'holders idle ≥ 0 ms');
    assert.deepEqual(byName.billing!.poison, { ann: 1 });
    assert.equal(byName.billing!.sampled, 4);
    assert.equal(byName.idle!.lagging, true);
    assert.equal(byName.audit!.lagging, false);
    assert.deepEqual([byName.idle!.stuck, byName.audit!.stuck], [[], []]);
    // XINFO GROUPS once; XINFO CONSUMERS and XPENDING only for the one group holding entries.
    assert.equal(r.calls, 3);
    const stats = String(await client.info('commandstats'));
    const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    assert.equal(calls('xinfo\\|groups'), 1);
    assert.equal(calls('xinfo\\|consumers'), 1);
    assert.equal(calls('xpending'), 1);
    // With the real threshold (1 min) nobody is stuck yet: the consumers just read.
    const fresh = await checkStreamHealth(client, s, { thresholds });
    assert.deepEqual(fresh.groups.find((g) => g.name === 'billing')!.stuck, []);
  });

  it('stays within its call budget and names the groups it left out', async () => {
    const other = `${s}:many`;
    for (let g = 0; g < 4; g++) {
      await client.xadd(other, '*', 'n', String(g));
      await client.xgroup('CREATE', other, `g${g}`, '0');
      await client.xreadgroup('GROUP', `g${g}`, 'c', 'COUNT', 1, 'STREAMS', other, '>');
    }
    try {
      const r = await checkStreamHealth(client, other, { thresholds, maxCalls: 5 });
      assert.equal(r.calls, 5);
      assert.deepEqual(r.groups.map((g) => g.name), ['g0', 'g1']);
      assert.deepEqual(r.unchecked, ['g2', 'g3']);
    } finally {
      await client.del(other);
    }
  });

  it('looks at no more than `sample` of a group\'s oldest pending entries', async () => {
    const r = await checkStreamHealth(client, s, { thresholds, sample: 2 });
    const billing = r.groups.find((g) => g.name === 'billing')!;
    assert.equal(billing.sampled, 2);
    assert.equal(billing.pending, 4);
    assert.deepEqual(billing.poison, { ann: 1 }, 'the oldest entry (ann\'s, delivered 6 times) is in the sample');
  });
});
