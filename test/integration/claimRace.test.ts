// claim() names the consumer that won a race for an entry: another client claims it between
// claim()'s first XPENDING and its XCLAIM (a real second claim on the same server, made at that
// moment by a client that forwards every command unchanged).
import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { open, quit, type RedisClient } from '../../src/core/redis/connection';
import * as ops from '../../src/core/ops';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

describe('(integration) claim: skip reasons after a lost race', function () {
  this.timeout(20_000);
  let client: Redis;
  let rival: Redis;
  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
    rival = (await open({ url: redisUrl() })) as Redis;
  });
  after(async () => {
    await quit(client);
    await quit(rival);
  });

  /** `client`, except that `beforeXclaim` runs (on another connection) just before its first XCLAIM is sent. */
  function racing(beforeXclaim: () => Promise<void>): RedisClient {
    let done = false;
    return new Proxy(client, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'call' || typeof v !== 'function') return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        return async (...args: unknown[]) => {
          if (!done && String(args[0]).toUpperCase() === 'XCLAIM') {
            done = true;
            await beforeXclaim();
          }
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as RedisClient;
  }

  it('says "claimed by another consumer (<name>)" for entries another consumer took first, and keeps the other reasons', async () => {
    const s = `${uniqueKey('race')}:s`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(String(await client.xadd(s, '*', 'n', String(i))));
    await client.xgroup('CREATE', s, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 4, 'STREAMS', s, '>');
    // ids[0..2] idle for 10 minutes (claimable with --min-idle 60 s), ids[3] active, ids[4] never delivered.
    await client.xclaim(s, 'g', 'c1', 0, ids[0]!, ids[1]!, ids[2]!, 'IDLE', 600_000, 'JUSTID');
    const t = {
      client: racing(async () => {
        // The race: "thief" claims ids[1]; ids[2] is acked by its owner meanwhile.
        await rival.xclaim(s, 'g', 'thief', 60_000, ids[1]!, 'JUSTID');
        await rival.xack(s, 'g', ids[2]!);
      }),
      name: 'test',
    };
    const r = await ops.claim(t, s, 'g', 'rescuer', [ids[0]!, ids[1]!, ids[2]!, ids[3]!, ids[4]!], { minIdleMs: 60_000 });
    assert.deepEqual(r.claimed, [ids[0]]);
    const reasons = Object.fromEntries(r.skipped.map((x) => [x.id, x.reason]));
    assert.equal(reasons[ids[1]!], 'claimed by another consumer (thief)');
    assert.equal(reasons[ids[2]!], 'no longer pending (acked meanwhile)');
    assert.match(reasons[ids[3]!]!, /^active again \(idle \d+ ms < 60000 ms\)$/);
    assert.equal(reasons[ids[4]!], 'not pending in the group');
    // The thief still holds it: nothing moved it back.
    const [[, owner]] = (await client.xpending(s, 'g', ids[1]!, ids[1]!, 1)) as [string, string][];
    assert.equal(owner, 'thief');
  });

  it('an entry deleted before the claim is reported as deleted', async () => {
    const s = `${uniqueKey('race-del')}:s`;
    const id = String(await client.xadd(s, '*', 'n', '1'));
    await client.xgroup('CREATE', s, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'c1', 'STREAMS', s, '>');
    const t = { client: racing(async () => void (await rival.xdel(s, id))), name: 'test' };
    const r = await ops.claim(t, s, 'g', 'rescuer', [id]);
    assert.deepEqual(r.claimed, []);
    assert.deepEqual(r.skipped, [{ id, reason: 'deleted or trimmed from the stream' }]);
  });
});
