// Hostile and huge data in the real tree: shown safely, bounded, never thrown.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { open, quit } from '../../../src/core/redis/connection';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import { idOf, label, tree } from '../helpers';

const EXT = 'redis-queues.redis-queues';

describe('(extension) bad and huge data', function () {
  this.timeout(120_000);
  let api: RedisQueuesApi;
  let client: Redis;
  const prefix = `bad-${randomUUID().slice(0, 8)}`;
  const conn = `bad-${prefix}`;
  const { path } = tree(() => api);
  const walk = (...labels: string[]) => path(conn, ...labels);

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    client = (await open({ url: process.env.REDIS_URL! })) as Redis;
    await vscode.workspace.getConfiguration('redisQueues').update('streamFilter', `${prefix}*`, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('redisQueues.connection.add', { name: conn, url: process.env.REDIS_URL! });
  });
  after(async () => {
    await vscode.commands.executeCommand('redisQueues.connection.remove', conn, { confirm: false });
    await vscode.workspace.getConfiguration('redisQueues').update('streamFilter', undefined, vscode.ConfigurationTarget.Global);
    await quit(client);
  });

  it('shows names holding <script>, ANSI escapes, newlines and unicode on one inert line', async () => {
    const evil = `${prefix}:<script>alert(1)</script>\u001b[31mred\nline2 ünïcødé 🚀`;
    await client.xadd(evil, '*', 'a', '1');
    await client.xgroup('CREATE', evil, 'g\u001b[0m\n<b>', '0');
    const streams = await api.services.provider.getChildren(await walk('Streams'));
    const node = streams.find((n) => label(n).includes('<script>'))!;
    assert.ok(node, streams.map(label).join(' | '));
    assert.equal(label(node), `${prefix}:<script>alert(1)</script>\\u001b[31mred\\nline2 ünïcødé 🚀`);
    const groups = await api.services.provider.getChildren((await api.services.provider.getChildren(node))[0]);
    assert.equal(label(groups[0]!), 'g\\u001b[0m\\n<b>');
  });

  it('bounds a 1 MB value and a 10,000-field entry in previews and in the entry document', async () => {
    const s = `${prefix}:huge`;
    const big = 'x'.repeat(1024 * 1024);
    const fields: string[] = [];
    for (let i = 0; i < 10_000; i++) fields.push(`f${i}`, `v${i}`);
    await client.xadd(s, '*', ...fields);
    const bigId = String(await client.xadd(s, '*', 'payload', big));
    const entries = await api.services.provider.getChildren(await walk('Streams', s, 'Entries'));
    assert.equal(entries.length, 2);
    // Each row: a preview of at most 80 characters, then the id.
    for (const e of entries) {
      const d = String(e.item().description);
      assert.ok(d.endsWith(` · ${idOf(e)}`), d.slice(-60));
      assert.ok(d.length <= 80 + ` · ${idOf(e)}`.length, `${d.length} characters`);
    }
    const doc = (await vscode.commands.executeCommand<vscode.TextDocument>('redisQueues.entry.open', entries[0]))!;
    assert.ok(doc.getText().length < 70 * 1024, `document of ${doc.getText().length} chars`);
    assert.match(doc.getText(), /truncated, 1048576 characters/);
    assert.equal(JSON.parse(doc.getText()).id, bigId);
    const many = (await vscode.commands.executeCommand<vscode.TextDocument>('redisQueues.entry.open', entries[1]))!;
    const json = JSON.parse(many.getText());
    assert.equal(Object.keys(json.fields).length, 1001);
    assert.equal(json.fields['…'], '9000 more fields not shown');
  });

  it('shows pending entries whose bodies were deleted or trimmed, and says so', async () => {
    const s = `${prefix}:trimmed`;
    const id = String(await client.xadd(s, '*', 'a', '1'));
    await client.xadd(s, '*', 'a', '2');
    await client.xgroup('CREATE', s, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'c', 'STREAMS', s, '>');
    await client.xdel(s, id);
    const pending = await api.services.provider.getChildren(await walk('Streams', s, 'Groups', 'g', 'c'));
    assert.equal(idOf(pending[0]!), id);
    const doc = (await vscode.commands.executeCommand<vscode.TextDocument>('redisQueues.entry.open', pending[0]))!;
    const json = JSON.parse(doc.getText());
    assert.equal(json.fields, null);
    assert.match(json.note, /deleted or trimmed/);
  });

  it('pages 10,000 consumers (by name, an order that does not move under the pointer) instead of drawing them all', async () => {
    const s = `${prefix}:crowd`;
    await client.xadd(s, '*', 'a', '1');
    await client.xgroup('CREATE', s, 'g', '0');
    const p = client.pipeline();
    for (let i = 0; i < 10_000; i++) p.call('XGROUP', 'CREATECONSUMER', s, 'g', `c${String(i).padStart(5, '0')}`);
    await p.exec();
    await client.xreadgroup('GROUP', 'g', 'c09999', 'STREAMS', s, '>');
    const consumers = await api.services.provider.getChildren(await walk('Streams', s, 'Groups', 'g'));
    assert.equal(consumers.length, 101);
    assert.deepEqual(consumers.slice(0, 3).map(label), ['c00000', 'c00001', 'c00002'], 'by name, whatever they hold');
    assert.match(label(consumers[100]!), /^Load more consumers… \(100 of 10,000 shown/);
  });
});
