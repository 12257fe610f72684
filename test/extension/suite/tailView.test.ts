// The tail view's rows and its connection, inside a real VS Code against a real Redis: open an
// entry by id and copy it (as lossless JSON, read by id) from the panel's message handler, the
// filtered count the view reports, and a tail that stops when its connection is removed or changed.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { open, quit } from '../../../src/core/redis/connection';
import { fromJsonPairs, sameRaw } from '../../../src/core/messages/message';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import type { HandlerCommandResult } from '../../../src/vscode/commands/handler';
import type { TailPanel } from '../../../src/vscode/tail/tailPanel';
import { tree, until } from '../helpers';

const EXT = 'redis-queues.redis-queues';

describe('(extension) tail view: row actions, filtered count, its connection', function () {
  this.timeout(60_000);
  let api: RedisQueuesApi;
  let client: Redis;
  const prefix = `tailview-${randomUUID().slice(0, 8)}`;
  const conn = `tv-${prefix}`;
  const panels: TailPanel[] = [];
  const connections = [conn];
  const handlerDir = join(__dirname, '..', '..', '..', '..', '.test-output', `tail-handler-${prefix}`);

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    await vscode.workspace.getConfiguration('redisQueues').update('streamFilter', `${prefix}:*`, vscode.ConfigurationTarget.Global);
    client = (await open({ url: process.env.REDIS_URL! })) as Redis;
    await addConnection(conn);
  });
  after(async () => {
    for (const p of panels) p.dispose();
    for (const c of connections) if (api.services.store.get(c)) await vscode.commands.executeCommand('redisQueues.connection.remove', c, { confirm: false });
    await vscode.workspace.getConfiguration('redisQueues').update('tail.maxRows', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('redisQueues').update('streamFilter', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('redisQueues').update('handlers', undefined, vscode.ConfigurationTarget.Global);
    rmSync(handlerDir, { recursive: true, force: true });
    await quit(client);
  });

  const { path } = tree(() => api);

  async function addConnection(name: string): Promise<void> {
    if (!connections.includes(name)) connections.push(name);
    await vscode.commands.executeCommand('redisQueues.connection.add', { name, url: process.env.REDIS_URL! });
    await until(name, () => Boolean(api.services.sessions.get(name)));
  }

  /** A tail of `stream` on `connection`, opened from the stream's node in the real tree. */
  async function openTail(connection: string, stream: string, from: string): Promise<TailPanel> {
    const panel = (await vscode.commands.executeCommand<TailPanel>('redisQueues.tail.open', await path(connection, 'Streams', stream), { from }))!;
    panels.push(panel);
    return panel;
  }

  /** Waits until `check` holds for the panel's stats; a timeout names them as they were then. */
  async function waitStats(panel: TailPanel, what: string, check: () => boolean): Promise<void> {
    await until(what, check).catch((e: Error) => {
      throw new Error(`${e.message}; stats: ${JSON.stringify(panel.stats)}`);
    });
  }

  /** Ids of the clients the extension's tails read on (CLIENT LIST, name …:blocking). */
  async function blockingClients(): Promise<string[]> {
    return String(await client.client('LIST'))
      .split('\n')
      .filter((l) => / name=redis-queues\S*:blocking /.test(l))
      .map((l) => /\bid=(\d+)/.exec(l)![1]!);
  }

  /** Opens a tail and returns it with the id of its own blocking connection (the one that was not there before). */
  async function openTailWithClient(connection: string, stream: string): Promise<{ panel: TailPanel; clientId: string }> {
    const before = new Set(await blockingClients());
    const panel = await openTail(connection, stream, '$');
    let mine: string[] = [];
    await until("the tail's blocking connection", async () => (mine = (await blockingClients()).filter((id) => !before.has(id))).length === 1);
    return { panel, clientId: mine[0]! };
  }

  it('opens a row\'s entry by id, copies its id, and copies it as lossless JSON read by id (binary, duplicate names, values longer than the view shows)', async () => {
    const s = `${prefix}:actions`;
    const big = 'x'.repeat(5000); // the view cuts values at 2,000 characters; the copy must not
    const id = String(await client.xadd(s, '*', 'name', 'alpha', 'bin', Buffer.from([0xff, 0x00, 0x80]), 'name', 'dup', 'big', big));
    const gone = String(await client.xadd(s, '*', 'n', '2'));
    const panel = await openTail(conn, s, '0');
    await until('2 rows rendered', () => panel.stats.rendered === 2 && panel.stats.renderedLastId === gone);

    // Open: the entry document the tree opens, by connection, stream and id, beside the tail.
    const doc = (await panel.handle({ type: 'open', id })) as vscode.TextDocument;
    assert.ok(doc, 'open returned no document');
    assert.equal(doc.uri.scheme, 'redis-queues-entry');
    assert.equal(doc.languageId, 'json');
    const opened = JSON.parse(doc.getText()) as { id: string; stream: string; pairs?: [string, string][] };
    assert.equal(opened.id, id);
    assert.equal(opened.stream, s);
    assert.deepEqual(opened.pairs?.[0], ['name', 'alpha'], 'duplicate names: shown as pairs, in order');
    await until('the entry document to be shown', () => vscode.window.visibleTextEditors.some((e) => e.document.uri.toString() === doc.uri.toString()));

    // Copy id.
    assert.equal(await panel.handle({ type: 'copyId', id }), id);
    assert.equal(await vscode.env.clipboard.readText(), id);

    // Copy as JSON: every byte, in order, as Redis holds it.
    const json = (await panel.handle({ type: 'copyJson', id })) as string;
    assert.equal(await vscode.env.clipboard.readText(), json);
    const o = JSON.parse(json) as { id: string; stream: string; pairs: unknown; fields: Record<string, unknown> };
    assert.equal(o.id, id);
    assert.equal(o.stream, s);
    const raw = (await client.xrangeBuffer(s, id, id))[0]![1];
    assert.ok(sameRaw(fromJsonPairs(o.pairs), raw), `not lossless: ${json.slice(0, 300)}`);
    assert.deepEqual(o.fields.bin, { base64: Buffer.from([0xff, 0x00, 0x80]).toString('base64') });
    assert.equal(o.fields.big, big);

    // Show Journey: the journey panel of that entry (the row menu has it, like the tree's rows).
    const journey = (await panel.handle({ type: 'journey', id })) as { kind: string; stream: string; id: string } | undefined;
    assert.equal(journey?.kind, 'message');
    assert.equal(journey?.stream, s);
    assert.equal(journey?.id, id);

    // Run Handler: the workspace's handler on the row's message (a dry run: a tail row is no pending entry), byte for byte.
    mkdirSync(handlerDir, { recursive: true });
    const got = join(handlerDir, 'stdin.json');
    await vscode.workspace.getConfiguration('redisQueues').update('handlers', [{ stream: s, command: `cat > "${got}"` }], vscode.ConfigurationTarget.Global);
    const ran = (await panel.handle({ type: 'runHandler', id })) as HandlerCommandResult | undefined;
    assert.equal(ran?.result.outcome, 'dry-run');
    assert.ok(sameRaw(fromJsonPairs((JSON.parse(readFileSync(got, 'utf8')) as { pairs: unknown }).pairs), raw), 'the handler got the message byte for byte');

    // An entry deleted since it was shown: nothing copied (the view says why), the clipboard kept.
    await client.xdel(s, gone);
    assert.equal(await panel.handle({ type: 'copyJson', id: gone }), undefined);
    assert.equal(await vscode.env.clipboard.readText(), json);
    // Not an id, not a message of the protocol: ignored.
    assert.equal(await panel.handle({ type: 'copyJson', id: '$' }), undefined);
    assert.equal(await panel.handle({ type: 'open', id: `${id}\n` }), undefined);
    assert.equal(await panel.handle({ type: 'eval', id }), undefined);
    assert.equal(await panel.handle(null), undefined);
    assert.equal(await vscode.env.clipboard.readText(), json);
    panel.dispose();
  });

  it('with a filter, counts the rows shown of those kept ("9 of 67"), as rows arrive and the oldest go', async () => {
    await vscode.workspace.getConfiguration('redisQueues').update('tail.maxRows', 100, vscode.ConfigurationTarget.Global);
    const s = `${prefix}:filtered`;
    const p = client.pipeline();
    // 67 entries, 9 of them (every 7th from the first) with the text the filter looks for.
    for (let i = 0; i < 67; i++) p.xadd(s, '*', 'i', String(i), 'tag', i % 7 === 0 && i < 63 ? 'needle' : 'hay');
    const ids = ((await p.exec()) ?? []).map(([, id]) => String(id));
    const panel = await openTail(conn, s, '0');
    await until('67 rows', () => panel.stats.rendered === 67 && panel.stats.renderedLastId === ids[66]);
    assert.equal(panel.stats.shown, 67, 'without a filter every row shows');

    panel.setFilter('NEEDLE');
    await waitStats(panel, '9 of 67 shown', () => panel.stats.filter === 'needle' && panel.stats.shown === 9 && panel.stats.rendered === 67);

    // New rows are counted as they come: 2 that match, 3 that do not.
    const more: string[] = [];
    for (const tag of ['needle', 'hay', 'needle', 'hay', 'hay']) more.push(String(await client.xadd(s, '*', 'tag', tag)));
    await waitStats(panel, '11 of 72', () => panel.stats.renderedLastId === more[4] && panel.stats.rendered === 72 && panel.stats.shown === 11);

    // Past tail.maxRows (100) the oldest rows go, and the count with them: 72 + 50 rows keep the
    // newest 100, the 22 oldest (i = 0…21) go, among them 4 that match (i = 0, 7, 14, 21).
    const q = client.pipeline();
    for (let i = 0; i < 50; i++) q.xadd(s, '*', 'tag', 'hay');
    const last = ((await q.exec()) ?? []).map(([, id]) => String(id)).pop();
    await waitStats(panel, '7 of 100', () => panel.stats.renderedLastId === last && panel.stats.rendered === 100 && panel.stats.shown === 7);

    panel.setFilter('');
    await until('every row shown again', () => panel.stats.filter === '' && panel.stats.shown === 100);
    panel.dispose();
  });

  it('stops when its connection is removed: the tail\'s own blocking connection closes (CLIENT LIST), the view stays and says so', async () => {
    const other = `${prefix}-removed`;
    await addConnection(other);
    const s = `${prefix}:removed`;
    await client.xadd(s, '*', 'seed', '1');
    const { panel, clientId } = await openTailWithClient(other, s);
    const id = String(await client.xadd(s, '*', 'n', '1'));
    await until('the entry shown', () => panel.stats.renderedLastId === id);

    await vscode.commands.executeCommand('redisQueues.connection.remove', other, { confirm: false });
    await until(`the tail's blocking connection (id ${clientId}) to close`, async () => !(await blockingClients()).includes(clientId));
    assert.match(panel.stats.stopped ?? '', new RegExp(`the connection "${other}" no longer exists`));
    assert.equal(panel.stats.closed, false, 'the view stays open with its rows');
    assert.equal(panel.panel.title, `Tail: ${s} (stopped)`);
    // Its rows can still be copied by id, not read from a connection that is gone.
    assert.equal(await panel.handle({ type: 'copyId', id }), id);
    assert.equal(await panel.handle({ type: 'copyJson', id }), undefined);
    assert.equal(await panel.handle({ type: 'open', id }), undefined);
    panel.dispose();
  });

  it('stops when its connection is edited, its settings or only its password (a save that changes nothing does not stop it)', async () => {
    const edits: [string, (config: { name: string; url: string }, name: string) => Promise<void>][] = [
      ['read-only', (config, name) => api.services.store.save({ ...config, readOnly: true }, undefined, name)],
      ['password', (config, name) => api.services.store.save({ ...config }, 'a-new-password', name)],
    ];
    for (const [what, edit] of edits) {
      const other = `${prefix}-edited-${what}`;
      await addConnection(other);
      const s = `${prefix}:edited-${what}`;
      await client.xadd(s, '*', 'seed', '1');
      const { panel, clientId } = await openTailWithClient(other, s);
      const config = api.services.store.get(other)!.config;

      await api.services.store.save({ ...config }, undefined, other);
      const id = String(await client.xadd(s, '*', 'n', '1'));
      await until('the tail to go on after a save that changed nothing', () => panel.stats.renderedLastId === id);
      assert.equal(panel.stats.stopped, undefined);
      assert.ok((await blockingClients()).includes(clientId));

      await edit(config, other);
      await until(`the tail's blocking connection (id ${clientId}) to close after the ${what} edit`, async () => !(await blockingClients()).includes(clientId));
      assert.match(panel.stats.stopped ?? '', new RegExp(`the connection "${other}" was changed`));
      panel.dispose();
    }
  });
});
