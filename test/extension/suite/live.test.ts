// Publish, tail and the debug consumer, inside a real VS Code against a real Redis.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { open, quit } from '../../../src/core/redis/connection';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import type { TailPanel } from '../../../src/vscode/tail/tailPanel';
import { tree, until } from '../helpers';

const EXT = 'redis-queues.redis-queues';


describe('(extension) publish, tail, debug consumer', function () {
  this.timeout(60_000);
  let api: RedisQueuesApi;
  let client: Redis;
  const prefix = `live-${randomUUID().slice(0, 8)}`;
  const conn = `live-${prefix}`;

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    await vscode.workspace.getConfiguration('redisQueues').update('streamFilter', `${prefix}:*`, vscode.ConfigurationTarget.Global);
    client = (await open({ url: process.env.REDIS_URL! })) as Redis;
    await vscode.commands.executeCommand('redisQueues.connection.add', { name: conn, url: process.env.REDIS_URL! });
    await until(conn, () => Boolean(api.services.sessions.get(conn)));
  });
  after(async () => {
    for (const p of panels) p.dispose();
    await vscode.commands.executeCommand('redisQueues.connection.remove', conn, { confirm: false });
    await vscode.workspace.getConfiguration('redisQueues').update('tail.maxRows', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('redisQueues').update('streamFilter', undefined, vscode.ConfigurationTarget.Global);
    await quit(client);
  });

  const panels: TailPanel[] = [];
  function session() {
    return api.services.sessions.get(conn)!;
  }
  const { path } = tree(() => api);
  /** A node of the real tree, by labels from the connection down. */
  const node = (...labels: string[]) => path(conn, ...labels);

  it('publishes k=v and JSON fields with MAXLEN, returning the new id', async () => {
    const s = `${prefix}:pub`;
    const id1 = await vscode.commands.executeCommand<string>('redisQueues.publish', { session: session() }, { stream: s, fields: 'a=1\nb=two words' });
    const id2 = await vscode.commands.executeCommand<string>('redisQueues.publish', { session: session() }, { stream: s, fields: '{"n": 2, "nested": {"x": true}}', maxlen: 1, exactTrim: true });
    assert.match(id1!, /^\d+-\d+$/);
    const entries = await client.xrange(s, '-', '+');
    assert.equal(entries.length, 1, 'MAXLEN trimmed the stream');
    assert.deepEqual(entries[0], [id2, ['n', '2', 'nested', '{"x":true}']]);
  });

  it('tails live without losing or repeating entries across a killed connection, and closing ends it', async () => {
    const s = `${prefix}:tail`;
    await client.xadd(s, '*', 'before', 'tail');
    const panel = (await vscode.commands.executeCommand<TailPanel>('redisQueues.tail.open', await node('Streams', s), { from: '$' }))!;
    panels.push(panel);
    // (The extension runs from its bundle: compare by shape, not by class identity.)
    assert.equal(panel.stats.closed, false);
    // Strict CSP: nothing inline, scripts and styles only from the extension's media folder.
    const html = panel.panel.webview.html;
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /'unsafe-|\s\*[\s;]|data:|blob:/, 'no unsafe-*, no bare * source');
    assert.equal([...html.matchAll(/<script\b([^>]*)>/g)].filter((m) => !/\ssrc="/.test(m[1]!)).length, 0, 'no inline script');
    assert.doesNotMatch(html, /\son\w+="/, 'no inline event handlers');
    assert.doesNotMatch(html, /<script>alert/, 'stream data never goes into the HTML');
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push(String(await client.xadd(s, '*', 'i', String(i), 'html', '<script>alert(1)</script>')));
    await until('50 rows rendered', () => panel.stats.rendered === 50 && panel.stats.renderedLastId === ids[49]);
    // Kill the tail's blocking connection: it reconnects and continues after the last id it saw.
    // (Once it has shown everything it waits in XREAD BLOCK on its own connection.)
    let tailClient: string | undefined;
    await until('the tail to wait in XREAD on its own blocking connection', async () => {
      tailClient = String(await client.client('LIST')).split('\n').find((l) => / cmd=xread /.test(l) && / name=redis-queues\S*:blocking /.test(l));
      return Boolean(tailClient);
    });
    await client.client('KILL', 'ID', /id=(\d+)/.exec(tailClient!)![1]!);
    for (let i = 50; i < 80; i++) ids.push(String(await client.xadd(s, '*', 'i', String(i))));
    await until('80 rows, none repeated', () => panel.stats.renderedLastId === ids[79], 20_000);
    assert.equal(panel.stats.rendered, 80, 'no entry lost or shown twice');
    assert.equal(panel.stats.received, 80);
    panel.dispose();
    await until('the blocking connection to close', async () => !String(await client.client('LIST')).split('\n').some((l) => / cmd=xread /.test(l) && / name=redis-queues\S*:blocking /.test(l)));
  });

  it('runs several tails at once, each on its own connection; closing one ends only its connection', async () => {
    const a = `${prefix}:multiA`;
    const b = `${prefix}:multiB`;
    await client.xadd(a, '*', 'seed', 'a');
    await client.xadd(b, '*', 'seed', 'b');
    const blocking = async () => String(await client.client('LIST')).split('\n').filter((l) => / name=redis-queues\S*:blocking /.test(l)).length;
    const before = await blocking();
    const pa = (await vscode.commands.executeCommand<TailPanel>('redisQueues.tail.open', await node('Streams', a), { from: '$' }))!;
    const pb = (await vscode.commands.executeCommand<TailPanel>('redisQueues.tail.open', await node('Streams', b), { from: '$' }))!;
    panels.push(pa, pb);
    assert.equal(await blocking(), before + 2, 'one blocking connection per tail');
    const ia = String(await client.xadd(a, '*', 'n', 'a1'));
    const ib = String(await client.xadd(b, '*', 'n', 'b1'));
    await until('each tail shows its own stream', () => pa.stats.renderedLastId === ia && pb.stats.renderedLastId === ib);
    pa.dispose();
    await until('the closed tail\'s connection to go', async () => (await blocking()) === before + 1);
    const ib2 = String(await client.xadd(b, '*', 'n', 'b2'));
    await until('the other tail to go on', () => pb.stats.renderedLastId === ib2);
    assert.equal(pb.stats.rendered, 2);
    pb.dispose();
    await until('both connections closed', async () => (await blocking()) === before);
  });

  it('reads big entries a few at a time (≈ 4 MiB a read): the newest shown, the rest counted', async () => {
    const s = `${prefix}:huge`;
    await client.xadd(s, '*', 'seed', '1');
    const panel = (await vscode.commands.executeCommand<TailPanel>('redisQueues.tail.open', await node('Streams', s), { from: '$' }))!;
    panels.push(panel);
    const big = 'x'.repeat(1.5 * 2 ** 20);
    const first = String(await client.xadd(s, '*', 'i', 'first', 'blob', big));
    await until('the first big entry shown', () => panel.stats.renderedLastId === first);
    const p = client.pipeline();
    for (let i = 0; i < 12; i++) p.xadd(s, '*', 'i', String(i), 'blob', big);
    const ids = ((await p.exec()) ?? []).map(([, id]) => String(id));
    await until('the newest big entry shown', () => panel.stats.renderedLastId === ids[11], 30_000);
    assert.ok(panel.stats.largestRead <= 2, `largest read: ${panel.stats.largestRead} entries of 1.5 MiB`);
    assert.equal(panel.stats.received + panel.stats.skipped, 13, 'every entry shown or counted as not shown');
    assert.ok(panel.stats.skipped >= 1, `${panel.stats.skipped} not shown`);
    panel.dispose();
    // From 0 the first read is already small: the stream's last entry, seen when the tail opens, says what entries weigh.
    const again = (await vscode.commands.executeCommand<TailPanel>('redisQueues.tail.open', await node('Streams', s), { from: '0' }))!;
    panels.push(again);
    await until('the newest big entry shown again', () => again.stats.renderedLastId === ids[11], 30_000);
    assert.ok(again.stats.largestRead <= 2, `largest read from 0: ${again.stats.largestRead} entries`);
    assert.equal(again.stats.received + again.stats.skipped, 14);
    again.dispose();
  });

  it('keeps at most tail.maxRows rows however many arrive', async () => {
    await vscode.workspace.getConfiguration('redisQueues').update('tail.maxRows', 100, vscode.ConfigurationTarget.Global);
    const s = `${prefix}:bounded`;
    await client.xadd(s, '*', 'i', '-1');
    const panel = (await vscode.commands.executeCommand<TailPanel>('redisQueues.tail.open', await node('Streams', s), { from: '0' }))!;
    panels.push(panel);
    const p = client.pipeline();
    for (let i = 0; i < 1000; i++) p.xadd(s, '*', 'i', String(i));
    const added = ((await p.exec()) ?? []).map(([, id]) => String(id));
    await until('the last entry shown', () => panel.stats.renderedLastId === added[999]);
    assert.equal(panel.stats.rendered, 100);
    // The view skips ahead to the newest instead of reading everything: what it read plus what it
    // passed over is every entry, counted exactly (Redis 7: entries-added).
    assert.ok(panel.stats.received < 1001, `read ${panel.stats.received}`);
    assert.equal(panel.stats.received + panel.stats.skipped, 1001);
    assert.equal(panel.stats.skippedExact, true);
    panel.dispose();
  });

  it('steps through a queue as a debug consumer: ack, leave pending, dead-letter', async () => {
    const s = `${prefix}:debug`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(String(await client.xadd(s, '*', 'job', String(i))));
    await client.xgroup('CREATE', s, 'workers', '0');
    const r = await vscode.commands.executeCommand<{ handled: { id: string; action: string }[] }>(
      'redisQueues.debug.start',
      await node('Streams', s, 'Groups', 'workers'),
      { consumer: 'dbg', steps: ['ack', 'leave', 'deadLetter', 'stop'] },
    );
    assert.deepEqual(r!.handled, [
      { id: ids[0], action: 'ack' },
      { id: ids[1], action: 'leave' },
      { id: ids[2], action: 'deadLetter' },
    ]);
    const pending = (await client.xpending(s, 'workers', '-', '+', 10)) as [string, string][];
    assert.deepEqual(pending.map(([id, c]) => [id, c]), [[ids[1], 'dbg']]);
    const dlq = await client.xrange(`${s}:dlq`, '-', '+');
    assert.equal(dlq.length, 1);
    assert.ok(dlq[0]![1].includes(ids[2]!));
  });
});
