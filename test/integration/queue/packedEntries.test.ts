// parsePackedEntries on what redis-server's own cmsgpack writes (not hand-made MessagePack): a
// deleted entry's fields come as Lua false (0xc2), every string size, binary values.
import * as assert from 'node:assert/strict';
import { open, quit, type IoRedisClient } from '../../../src/core/redis/connection';
import { parsePackedEntries, parseRead } from '../../../src/core/redis/replies';
import { redisUrl, uniqueKey } from '../../support/integrationHooks';

describe('(integration) replies: entries packed by the server\'s cmsgpack', () => {
  let client: IoRedisClient;
  before(async () => (client = await open({ url: redisUrl() })));
  after(() => quit(client));

  it('decodes a PEL read with a deleted entry (false, 0xc2) and values of every string size like the plain reply', async () => {
    const stream = uniqueKey('packed');
    const bin = Buffer.from([0xff, 0x00, 0xc3, 0x28]);
    const rows: (string | Buffer)[][] = [
      ['a', '1', 'short', 'x'.repeat(31)],
      ['a', '2', 'str8', 'y'.repeat(200)],
      ['a', '3', 'gone', 'soon'],
      ['a', '4', 'str16', 'z'.repeat(70_000), 'bin', bin],
    ];
    for (const r of rows) await client.callBuffer('XADD', stream, '*', ...r);
    await client.xgroup('CREATE', stream, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'c', 'STREAMS', stream, '>');
    const ids = (await client.xrange(stream, '-', '+')).map(([id]) => id);
    await client.xdel(stream, ids[2]!);
    // Re-reading the own PEL returns the deleted entry with nil fields.
    const packed = (await client.callBuffer('EVAL', "return cmsgpack.pack(redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'STREAMS', KEYS[1], '0')[1][2])", 1, stream, 'g', 'c')) as Buffer;
    assert.ok(Buffer.isBuffer(packed));
    assert.ok(packed.includes(Buffer.from([0xc2])), 'cmsgpack wrote false for the deleted entry');
    const plain = parseRead(await client.xreadgroupBuffer('GROUP', 'g', 'c', 'STREAMS', stream, '0'))[0]!.entries;
    const got = parsePackedEntries(packed);
    assert.deepEqual(got, plain);
    assert.deepEqual(got[2], { id: ids[2], raw: null, fields: null });
    assert.ok(Buffer.isBuffer(got[3]!.fields!['bin']) && (got[3]!.fields!['bin'] as Buffer).equals(bin));
  });
});
