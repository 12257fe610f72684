// The tables panel inside a real VS Code against a real Redis: Show Tables on a stream opens its
// groups, the busiest group's consumers and pending entries (paged like the tree), sorted and
// filtered as asked, each answer compared with what Redis itself replies; ticked entries are
// acknowledged and dead-lettered through the tree's own commands (their confirmations), and the
// tables read again.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { open, quit } from '../../../src/core/redis/connection';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import type { TablePanel } from '../../../src/vscode/tables/tablePanel';
import { DEFAULT, scripted, tree, until } from '../helpers';

const EXT = 'redis-queues.redis-queues';
let api: RedisQueuesApi;
const { path } = tree(() => api);

async function setting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('redisQueues').update(key, value, vscode.ConfigurationTarget.Global);
}

type Xp = [string, string, number, number];

describe('(extension) tables of groups, consumers and pending entries', function () {
  this.timeout(90_000);
  let client: Redis;
  const prefix = `tbl-${randomUUID().slice(0, 8)}`;
  const conn = `tables-${prefix}`;
  const S = `${prefix}:orders`;
  let panel: TablePanel;
  const pel = async (consumer?: string): Promise<Xp[]> => (await client.call('XPENDING', S, 'billing', '-', '+', '10000', ...(consumer ? [consumer] : []))) as Xp[];

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    client = (await open({ url: process.env.REDIS_URL! })) as Redis;
    await client.xgroup('CREATE', S, 'billing', '$', 'MKSTREAM');
    await client.xgroup('CREATE', S, 'audit', '$');
    const m = client.multi();
    for (let i = 0; i < 250; i++) m.xadd(S, '*', 'order', String(i), 'customer', i % 2 ? 'ada' : 'grace');
    await m.exec();
    await client.xreadgroup('GROUP', 'billing', 'alice', 'COUNT', 150, 'STREAMS', S, '>');
    await client.xreadgroup('GROUP', 'billing', 'bob', 'COUNT', 100, 'STREAMS', S, '>');
    // Some of alice's entries delivered again and again (POISON at 5).
    const again = (await pel('alice')).slice(10, 14).map((x) => x[0]);
    for (let i = 0; i < 6; i++) await client.xclaim(S, 'billing', 'alice', 0, ...again);
    await client.xreadgroup('GROUP', 'audit', 'carol', 'COUNT', 250, 'STREAMS', S, '>');
    await client.xack(S, 'audit', ...(await client.xrange(S, '-', '+')).map((e) => e[0]));
    await setting('streamFilter', `${prefix}:*`);
    await setting('refreshIntervalSeconds', 0);
    await setting('trends.intervalSeconds', 1);
    await vscode.commands.executeCommand('redisQueues.connection.add', { name: conn, url: process.env.REDIS_URL! });
    await until(`session ${conn}`, () => Boolean(api.services.sessions.get(conn)));
  });
  after(async () => {
    for (const p of api.services.tables.list()) p.dispose();
    await vscode.commands.executeCommand('redisQueues.connection.remove', conn, { confirm: false });
    for (const k of ['streamFilter', 'refreshIntervalSeconds', 'trends.intervalSeconds']) await setting(k, undefined);
    await client.del(S, `${S}:dlq`);
    await quit(client);
  });

  it('Show Tables on a stream opens its groups, and the busiest group’s consumers and first page of pending entries, as Redis reports them', async () => {
    panel = (await vscode.commands.executeCommand<TablePanel>('redisQueues.tables.show', await path(conn, 'Streams', S)))!;
    assert.equal(panel.panel.title, `Table: ${S}`);
    const d = panel.state.data!;
    assert.equal(d.group, 'billing', 'the group with the most pending entries is shown first');
    assert.deepEqual(d.groups.rows.map((r) => r.key), ['audit', 'billing']);
    const billing = d.groups.rows.find((r) => r.key === 'billing')!;
    assert.equal(billing.cells.pending!.text, '250');
    assert.equal(billing.cells.consumers!.text, '2');
    assert.equal(d.groups.rows.find((r) => r.key === 'audit')!.cells.pending!.text, '0');
    assert.deepEqual(d.consumers.rows.map((r) => [r.key, r.cells.pending!.text]), [['alice', '150'], ['bob', '100']]);
    // The first page (redisQueues.pageSize, 100), oldest first: XPENDING's own first 100.
    const all = await pel();
    assert.deepEqual(d.pending.rows.map((r) => r.key), all.slice(0, 100).map((x) => x[0]));
    assert.equal(d.pending.note, '100 of 250 pending entries loaded, oldest first; sorting and filtering apply to those loaded.');
    assert.equal(d.pending.more, 'Load 100 more');
    const first = d.pending.rows[0]!;
    assert.equal(first.cells.consumer!.text, 'alice');
    assert.match(first.cells.preview!.text, /order.*0.*customer.*grace/);
    assert.deepEqual(d.pending.rows.filter((r) => r.marks.includes('poison')).map((r) => r.key), all.filter((x) => x[3] >= 5).map((x) => x[0]));
    // The page drew what it was sent.
    await until('the page drew the tables', () => panel.state.shown?.rows.pending === 100 && panel.state.shown.rows.groups === 2);
    for (const text of ['Groups', 'Consumers', 'Pending entries', 'Claim…', 'Acknowledge…', 'Dead-letter…']) assert.ok(panel.state.shown!.text.includes(text), `no "${text}" in the page`);
    // While it is visible, each sampling round reads the figures again (the stream is sampled while the panel is open).
    const reads = panel.state.reads;
    await until('a read after a sampling round', () => panel.state.reads > reads, 30_000);
  });

  it('sorts by a column (numbers as numbers, ties by id) and filters by words in any cell', async () => {
    await panel.handle({ type: 'sort', table: 'pending', key: 'deliveries' });
    let d = panel.state.data!;
    assert.deepEqual(d.pending.sort, { key: 'deliveries', dir: 'desc' });
    const loaded = (await pel()).slice(0, 100);
    const expected = [...loaded].sort((a, b) => b[3] - a[3] || (BigInt(a[0].split('-')[0]!) < BigInt(b[0].split('-')[0]!) ? -1 : BigInt(a[0].split('-')[0]!) > BigInt(b[0].split('-')[0]!) ? 1 : Number(a[0].split('-')[1]) - Number(b[0].split('-')[1])));
    assert.deepEqual(d.pending.rows.map((r) => r.key), expected.map((x) => x[0]));
    await panel.handle({ type: 'filter', table: 'pending', text: 'GRACE  order' });
    d = panel.state.data!;
    assert.equal(d.pending.rows.length, 50, 'even orders are grace’s, among the 100 loaded');
    assert.ok(d.pending.rows.every((r) => r.cells.preview!.text.includes('grace')));
    await panel.handle({ type: 'filter', table: 'pending', text: '' });
    await panel.handle({ type: 'sort', table: 'pending', key: 'id' });
    assert.deepEqual(panel.state.data!.pending.sort, { key: 'id', dir: 'asc' });
  });

  it('a consumer’s row shows its pending entries only (read so by Redis), and Load more reads the next page', async () => {
    await panel.handle({ type: 'consumer', consumer: 'bob' });
    let d = panel.state.data!;
    assert.equal(d.consumer, 'bob');
    assert.deepEqual(d.pending.rows.map((r) => r.key), (await pel('bob')).map((x) => x[0]));
    assert.equal(d.pending.note, 'All 100 pending entries of consumer "bob" loaded, oldest first.');
    await panel.handle({ type: 'consumer', consumer: null });
    d = panel.state.data!;
    assert.equal(d.pending.rows.length, 100);
    await panel.handle({ type: 'more' });
    d = panel.state.data!;
    assert.deepEqual(d.pending.rows.map((r) => r.key), (await pel()).slice(0, 200).map((x) => x[0]));
    assert.equal(d.pending.more, 'Load 100 more');
  });

  it('ticked entries are acknowledged and dead-lettered through the tree’s commands, with their confirmations, and the tables read again', async () => {
    const before = await pel('alice');
    const ack = before.slice(0, 3).map((x) => x[0]);
    await panel.handle({ type: 'select', ids: ack, on: true });
    assert.deepEqual(panel.state.data!.selected, ack);
    let ui = scripted([true]);
    api.services.ui = ui;
    await panel.handle({ type: 'action', action: 'ack' });
    assert.match(ui.asked[0]!.text, /^Acknowledge 3 pending entries in group "billing" of ".*:orders"\?/);
    const after = await pel();
    for (const id of ack) assert.ok(!after.some((x) => x[0] === id), `${id} still pending`);
    let d = panel.state.data!;
    assert.deepEqual(d.selected, [], 'the acknowledged entries are no longer selected');
    assert.equal(d.groups.rows.find((r) => r.key === 'billing')!.cells.pending!.text, '247');
    assert.deepEqual(d.pending.rows.map((r) => r.key), after.slice(0, 200).map((x) => x[0]), 'the loaded pages are read again');
    // A range with shift-click is sent as the ids between; dead-letter asks the reason, then confirms.
    const dead = after.slice(5, 7).map((x) => x[0]);
    await panel.handle({ type: 'select', ids: dead, on: true, only: true });
    ui = scripted([DEFAULT, true]);
    api.services.ui = ui;
    await panel.handle({ type: 'action', action: 'deadLetter' });
    assert.match(ui.asked[1]!.text, /^Dead-letter 2 pending entries of group "billing"/);
    const dlq = await client.xrange(`${S}:dlq`, '-', '+');
    assert.equal(dlq.length, 2);
    d = panel.state.data!;
    assert.equal(d.groups.rows.find((r) => r.key === 'billing')!.cells.pending!.text, '245');
    // Cancelled at the confirmation: nothing changes.
    await panel.handle({ type: 'select', ids: [d.pending.rows[0]!.key], on: true, only: true });
    api.services.ui = scripted([false]);
    await panel.handle({ type: 'action', action: 'ack' });
    assert.equal((await pel()).length, 245);
    assert.deepEqual(panel.state.data!.selected, [d.pending.rows[0]!.key]);
  });

  it('another group’s row shows that group; Show Tables on a group’s row reveals the same panel on that group', async () => {
    await panel.handle({ type: 'group', group: 'audit' });
    let d = panel.state.data!;
    assert.equal(d.group, 'audit');
    assert.deepEqual(d.consumers.rows.map((r) => r.key), ['carol']);
    assert.equal(d.pending.note, 'No pending entries.');
    const again = await vscode.commands.executeCommand<TablePanel>('redisQueues.tables.show', await path(conn, 'Streams', S, 'Groups', 'billing'));
    assert.equal(again, panel);
    d = panel.state.data!;
    assert.equal(d.group, 'billing');
    assert.equal(d.pending.rows.length, 100);
  });

  it("the workers' events stream beside a queue reads as its events, not as a queue; a stream merely named so is a stream", async () => {
    await client.xadd(`${S}:events`, '*', 'type', 'delivered', 'id', '1-0', 'group', 'billing');
    await client.xadd(`${prefix}:user:events`, '*', 'type', 'signup');
    try {
      await api.services.provider.refresh();
      const events = await path(conn, 'Streams', `${S}:events`);
      assert.match(String(events.item().description), new RegExp(`^events of ${S} · 1 entry`));
      assert.match(String(events.item().tooltip), /^Events of .*Not a queue: nothing consumes it\./);
      assert.match(String(events.item().contextValue), /;events$/);
      const user = await path(conn, 'Streams', `${prefix}:user:events`);
      assert.match(String(user.item().description), /^1 entry · .* 0 groups$/);
    } finally {
      await client.del(`${S}:events`, `${prefix}:user:events`);
    }
  });
});
