// List queues in their own layout, inside a real VS Code against a real Redis: the seeds' layout
// (job hashes `job:<id>`, no started-at stamps) found by itself, and a custom layout from the
// redisQueues.listQueues.layouts setting; the tree shows their job hashes and the commands
// (enqueue, requeue, retry, delete) act on the layout's keys.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { open, quit } from '../../../src/core/redis/connection';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import type { Prompter } from '../../../src/vscode/ui';
import { desc, label, tree, until } from '../helpers';

const EXT = 'redis-queues.redis-queues';
let api: RedisQueuesApi;
const { kids, path } = tree(() => api);

/** Confirms everything (and answers inputs from `inputs`); records what was asked. */
function yes(inputs: string[] = []): Prompter & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    pick: async () => undefined,
    pickMany: async () => undefined,
    input: async (o: { title: string }) => (asked.push(o.title), inputs.shift()),
    confirm: async (message: string, detail: string) => (asked.push(`${message} ${detail}`), true),
    info: () => undefined,
    warn: () => undefined,
  };
}

describe('(extension) list queues in their own layout', function () {
  this.timeout(60_000);
  let client: Redis;
  const prefix = `lay-${randomUUID().slice(0, 8)}`;
  const conn = `layouts-${prefix}`;
  const config = () => vscode.workspace.getConfiguration('redisQueues');

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    client = (await open({ url: process.env.REDIS_URL! })) as Redis;
    await config().update('streamFilter', `${prefix}:*`, vscode.ConfigurationTarget.Global);
    await config().update('refreshIntervalSeconds', 0, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('redisQueues.connection.add', { name: conn, url: process.env.REDIS_URL! });
    await until(conn, () => Boolean(api.services.sessions.get(conn)));
  });
  after(async () => {
    api.services.ui = (await import('../../../src/vscode/ui')).vscodePrompter;
    await vscode.commands.executeCommand('redisQueues.connection.remove', conn, { confirm: false });
    for (const key of ['streamFilter', 'refreshIntervalSeconds', 'listQueues.layouts']) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    await quit(client);
  });

  it("seeds' layout: job:<id> hashes shown, running time unknown, requeue/retry/delete/enqueue on job:<id>", async () => {
    const q = `${prefix}:email_queue`;
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of [a, b, c]) {
      await client.hset(`job:${id}`, { recipient: `${id.slice(0, 4)}@example.com`, status: 'pending' });
      await client.lpush(q, id);
    }
    await client.rpoplpush(q, `${q}:processing`);
    await client.lpush(`${q}:dead`, c);
    await client.lrem(q, 0, c);

    const processing = await kids(await path(conn, 'List queues', q, 'Processing'));
    assert.equal(label(processing[0]!), a);
    assert.match(desc(processing[0]!), /^running for: unknown \(no started-at stamps in this layout\) · recipient=/);
    assert.doesNotMatch(desc(processing[0]!), /job hash missing|STUCK/);
    // Copy as redis-cli names the job's hash in its layout (job:<id>, not <queue>:job:<id>).
    const cli = await vscode.commands.executeCommand<string>('redisQueues.copyRedisCli', processing[0]);
    assert.match(cli, new RegExp(` HGETALL job:${a}$`));

    api.services.ui = yes();
    // Requeue on the queue: no stamps, so all processing jobs (not "running longer than …").
    await vscode.commands.executeCommand('redisQueues.list.requeue', await path(conn, 'List queues', q));
    assert.deepEqual(await client.lrange(q, 0, -1), [b, a]);
    assert.equal(await client.exists(`${q}:started`), 0);
    const dead = await kids(await path(conn, 'List queues', q, 'Dead-letter'));
    await vscode.commands.executeCommand('redisQueues.list.retryDead', dead[0], [dead[0]]);
    assert.deepEqual(await client.lrange(q, 0, -1), [b, a, c]);
    const waiting = await kids(await path(conn, 'List queues', q, 'Waiting'));
    assert.doesNotMatch(waiting.map(desc).join('\n'), /job hash missing/);
    await vscode.commands.executeCommand('redisQueues.list.deleteJob', waiting.find((n) => label(n) === b));
    assert.equal(await client.exists(`job:${b}`), 0, 'job:<id> deleted');
    assert.equal(await client.exists(`job:${a}`, `job:${c}`), 2);
    assert.deepEqual(await client.keys(`${q}:job:*`), []);

    api.services.ui = yes(['{"recipient": "new@example.com"}']);
    const id = await vscode.commands.executeCommand<string>('redisQueues.publish', await path(conn, 'List queues', q));
    assert.equal(await client.hget(`job:${id}`, 'recipient'), 'new@example.com');
  });

  it('a layout from redisQueues.listQueues.layouts: shown while its lists are empty, jobs read from its keys', async () => {
    const q = `${prefix}:custom`;
    await config().update('listQueues.layouts', { [q]: { processing: `inflight:${q}`, dead: `graveyard:${q}`, jobPrefix: 'payload:' } }, vscode.ConfigurationTarget.Global);
    await until('the queue named in the setting', async () => (await kids(await path(conn, 'List queues'))).some((n) => label(n) === q));
    assert.match(desc(await path(conn, 'List queues', q)), /^0 waiting · 0 processing · 0 dead$/);
    const id = `p-${randomUUID()}`;
    await client.hset(`payload:${id}`, 'n', '1', '__attempts', '3');
    await client.lpush(`graveyard:${q}`, id);
    const dead = await kids(await path(conn, 'List queues', q, 'Dead-letter'));
    assert.equal(label(dead[0]!), id);
    assert.match(desc(dead[0]!), /attempt 3 · n=1/);
    api.services.ui = yes();
    await vscode.commands.executeCommand('redisQueues.list.retryDead', dead[0], [dead[0]]);
    assert.deepEqual(await client.lrange(q, 0, -1), [id]);
    assert.equal(await client.hget(`payload:${id}`, '__attempts'), '0');
    assert.equal(await client.exists(`${q}:job:${id}`, `${q}:dead`), 0);
  });
});
