// Group admin tells the truth (issue 21): deleting a consumer that is not in the group says so
// (XGROUP DELCONSUMER answers 0 as for an idle consumer); deleting, re-creating or moving a
// group that is missing or already there is an error, never a quiet success.
import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { describeFailure } from '../../src/cli/common';
import { open, quit } from '../../src/core/redis/connection';
import { NoGroupError } from '../../src/core/redis/errors';
import { NoConsumerError } from '../../src/core/redis/missing';
import * as ops from '../../src/core/ops';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

describe('(integration) group admin tells the truth', () => {
  let client: Redis;
  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
  });
  after(() => quit(client));

  it('deleting a consumer that never existed: NoConsumerError ("nothing to do"), nothing changed; exit 1 in the CLI', async () => {
    const s = uniqueKey('delc');
    const t = { client };
    await client.xgroup('CREATE', s, 'g', '$', 'MKSTREAM');
    await client.xgroup('CREATECONSUMER', s, 'g', 'real');
    const err = await ops.deleteConsumer(t, s, 'g', 'ghost').catch((e: unknown) => e);
    assert.ok(err instanceof NoConsumerError, String(err));
    assert.match(err.message, /^Nothing to do: no consumer "ghost" in group "g" of stream/);
    assert.equal(describeFailure(err, []).code, 1);
    assert.deepEqual((await client.xinfo('CONSUMERS', s, 'g') as unknown[][]).length, 1, 'the real consumer is still there');
    // The real one is deleted (it held nothing), and a second delete says it is gone.
    assert.deepEqual(await ops.deleteConsumer(t, s, 'g', 'real'), { deleted: true, pendingLost: 0, claimed: 0 });
    await assert.rejects(ops.deleteConsumer(t, s, 'g', 'real'), NoConsumerError);
    // No such group, no such stream.
    await assert.rejects(ops.deleteConsumer(t, s, 'nogroup', 'real'), NoGroupError);
    await assert.rejects(ops.deleteConsumer(t, uniqueKey('nostream'), 'g', 'real'), NoGroupError);
  });

  it('the other group admin ops on what is missing or already there: errors, not success', async () => {
    const s = uniqueKey('grp');
    const t = { client };
    await ops.createGroup(t, s, 'g');
    await assert.rejects(ops.createGroup(t, s, 'g'), /BUSYGROUP/);
    await assert.rejects(ops.setGroupId(t, s, 'missing', '0'), NoGroupError);
    await assert.rejects(ops.destroyGroup(t, s, 'missing'), NoGroupError);
    await assert.rejects(ops.destroyGroup(t, uniqueKey('none'), 'g'), (e: Error) => /no such key|NOGROUP|No consumer group/i.test(e.message));
  });
});
