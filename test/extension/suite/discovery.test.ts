// Discovery in the tree, inside a real VS Code against a real Redis with more keys than the
// budget covers: the first expand keeps its budget and says how far it got, "Scan more" goes on,
// refreshes and a restart of the session redraw from memory without a single SCAN.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { open, quit } from '../../../src/core/redis/connection';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import { desc, label, tree, until } from '../helpers';

const EXT = 'redis-queues.redis-queues';
let api: RedisQueuesApi;
const { kids, path } = tree(() => api);

async function setting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('redisQueues').update(key, value, vscode.ConfigurationTarget.Global);
}

describe('(extension) discovery: budgeted scans, remembered keys', function () {
  this.timeout(90_000);
  let client: Redis;
  const prefix = `disc-${randomUUID().slice(0, 8)}`;
  const conn = `disc-${prefix}`;
  const streams = Array.from({ length: 30 }, (_, i) => `${prefix}:s${String(i).padStart(2, '0')}`);

  async function scans(): Promise<number> {
    const m = /cmdstat_scan:calls=(\d+)/.exec(String(await client.info('commandstats')));
    return m ? Number(m[1]) : 0;
  }
  const streamLabels = async () => (await kids(await path(conn, 'Streams'))).map(label);

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    client = (await open({ url: process.env.REDIS_URL! })) as Redis;
    for (let b = 0; b < 3; b++) {
      const p = client.pipeline();
      for (let i = 0; i < 1000; i++) p.set(`${prefix}:noise:${b}:${i}`, 'x');
      await p.exec();
    }
    for (const s of streams) await client.xadd(s, '*', 'n', '1');
    await client.rpush(`${prefix}:mail:processing`, 'j1');
    await setting('streamFilter', `${prefix}:*`);
    await setting('refreshIntervalSeconds', 0);
    await setting('discovery.maxScanCalls', 2);
    await setting('discovery.smallKeyspace', 100); // this server counts as large: drawing never scans
    await vscode.commands.executeCommand('redisQueues.connection.add', { name: conn, url: process.env.REDIS_URL! });
    await until(conn, () => Boolean(api.services.sessions.get(conn)));
  });
  after(async () => {
    await vscode.commands.executeCommand('redisQueues.connection.remove', conn, { confirm: false });
    for (const k of ['streamFilter', 'refreshIntervalSeconds', 'discovery.maxScanCalls', 'discovery.smallKeyspace']) await setting(k, undefined);
    for (let b = 0; b < 3; b++) await client.del(...Array.from({ length: 1000 }, (_, i) => `${prefix}:noise:${b}:${i}`));
    await quit(client);
  });

  it('the first expand keeps its budget (2 SCAN calls) and ends with "Scan more — about N of M keys"', async () => {
    await path(conn); // connected
    const before = await scans();
    const nodes = await kids(await path(conn, 'Streams'));
    const labels = nodes.map(label);
    assert.equal((await scans()) - before, 2, 'two SCAN calls');
    assert.equal(labels.at(-1), 'Scan more');
    assert.match(desc(nodes.at(-1)!), /^about \S+( k| M)? of \S+( k| M)? keys$/);
    assert.ok(labels.filter((l) => l.startsWith(prefix)).length < streams.length, 'not everything found yet');
  });

  it('refreshing redraws from memory: no SCAN', async () => {
    const before = await scans();
    const a = await streamLabels();
    api.services.provider.refresh();
    const b = await streamLabels();
    assert.deepEqual(b, a);
    assert.equal(await scans(), before);
  });

  it('"Scan more" goes on where it stopped, until every stream is found; then the node is gone', async () => {
    for (let i = 0; i < 1000; i++) {
      const nodes = await kids(await path(conn, 'Streams'));
      const more = nodes.find((n) => label(n) === 'Scan more');
      if (!more) break;
      await vscode.commands.executeCommand('redisQueues.discovery.scanMore', more);
    }
    assert.deepEqual(await streamLabels(), streams);
  });

  it('a restart of the session (and of the memory) redraws every stream from the global state without a SCAN', async () => {
    api.services.provider.known.reload();
    api.services.sessions.get(conn)!.retry(true);
    await until('reconnected', () => api.services.sessions.get(conn)!.state.kind !== 'connecting');
    const before = await scans();
    assert.deepEqual(await streamLabels(), streams);
    assert.equal(await scans(), before, 'no SCAN after the restart');
  });

  it('a stream deleted meanwhile is dropped; a pinned one stays; forget and pin by name', async () => {
    await client.del(streams[0]!);
    assert.deepEqual(await streamLabels(), streams.slice(1));
    const folder = await path(conn, 'Streams');
    await vscode.commands.executeCommand('redisQueues.discovery.pin', folder, { key: streams[0] });
    assert.ok((await streamLabels())[0]!.startsWith(`${streams[0]}: not there (pinned)`));
    const s1 = await path(conn, 'Streams', streams[1]!);
    await vscode.commands.executeCommand('redisQueues.discovery.forget', s1);
    assert.ok(!(await streamLabels()).includes(streams[1]!));
  });

  it('list queues: found in their own walk, and a queue whose processing list empties stays', async () => {
    await vscode.commands.executeCommand('redisQueues.discovery.scanAll', await path(conn, 'List queues'));
    const names = async () => (await kids(await path(conn, 'List queues'))).map(label);
    assert.ok((await names()).includes(`${prefix}:mail`));
    await client.del(`${prefix}:mail:processing`);
    api.services.provider.refresh();
    assert.ok((await names()).includes(`${prefix}:mail`), 'still shown with an empty processing list');
  });
});
