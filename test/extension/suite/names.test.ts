// Key names are bytes (issue 21), in the tree: a stream whose name is not UTF-8 (or holds a
// backslash) is listed in its shown form, and its groups, consumers and pending entries are read
// from the real key.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { open, quit } from '../../../src/core/redis/connection';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import { desc, idOf, label, tree } from '../helpers';

const EXT = 'redis-queues.redis-queues';
let api: RedisQueuesApi;
const { kids, child } = tree(() => api);

async function setting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('redisQueues').update(key, value, vscode.ConfigurationTarget.Global);
}

describe('(extension) names are bytes: the tree', function () {
  this.timeout(60_000);
  let client: Redis;
  const prefix = `ext-names-${randomUUID().slice(0, 8)}`;
  const conn = `names-${prefix}`;
  const bin = Buffer.concat([Buffer.from(`${prefix}:`), Buffer.from([0x6f, 0xff, 0x72])]);
  const slash = Buffer.from(`${prefix}:a\\b`, 'utf8');
  const binShown = `${prefix}:o\\xffr`;
  const slashShown = `${prefix}:a\\\\b`;
  let ids: string[] = [];

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    client = (await open({ url: process.env.REDIS_URL! })) as Redis;
    ids = [];
    for (let i = 0; i < 3; i++) ids.push(String(await client.xadd(bin, '*', 'n', String(i))));
    await client.xgroup('CREATE', bin, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'alice', 'COUNT', 2, 'STREAMS', bin, '>');
    await client.xadd(slash, '*', 'n', '1');
    await setting('streamFilter', `${prefix}:*`);
    await setting('refreshIntervalSeconds', 0);
    await vscode.commands.executeCommand('redisQueues.connection.add', { name: conn, url: process.env.REDIS_URL! });
  });

  after(async () => {
    await vscode.commands.executeCommand('redisQueues.connection.remove', conn, { confirm: false });
    await setting('streamFilter', undefined);
    await setting('refreshIntervalSeconds', undefined);
    await client.del(bin, slash);
    await quit(client);
  });

  it('lists the streams in their shown form and reads groups, consumers and pending entries from the real key', async () => {
    const streams = await child(await child(undefined, conn), 'Streams');
    assert.deepEqual((await kids(streams)).map(label).sort(), [slashShown, binShown].sort());
    const row = await child(streams, binShown);
    assert.match(desc(row), /^3 entries/);
    assert.match(desc(await child(streams, slashShown)), /^1 entr/);
    const g = await child(await child(row, 'Groups'), 'g');
    assert.match(desc(g), /2 pending/);
    const alice = await child(g, 'alice');
    assert.deepEqual((await kids(alice)).map(idOf), ids.slice(0, 2));
    assert.equal(await client.exists(Buffer.from(binShown, 'utf8'), Buffer.from(slashShown, 'utf8')), 0, 'no key named with the escape text');
  });
});
