// The explorer tree inside a real VS Code, against real redis-servers seeded by the tests.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { open, quit } from '../../../src/core/redis/connection';
import { startSandbox, startSandboxCluster, type Sandbox, type SandboxCluster } from '../../../src/core/dev/sandbox';
import { listQueueKeys } from '../../../src/core/queue/list/keys';
import { deadLetterEntry } from '../../../src/core/queue/stream/deadLetter';
import { compareIds } from '../../../src/core/messages/ids';
import { parseConsumers } from '../../../src/core/redis/replies';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import type { Node } from '../../../src/vscode/tree/node';
import { ctxv, desc, idOf, label, tree, until } from '../helpers';
import { idLabel } from '../../../src/vscode/times';

const EXT = 'redis-queues.redis-queues';
let api: RedisQueuesApi;
const { kids, child } = tree(() => api);
/** A row's tooltip as text (a MarkdownString's source). */
const tip = (t: vscode.TreeItem): string => (t.tooltip instanceof vscode.MarkdownString ? t.tooltip.value : String(t.tooltip ?? ''));

async function setting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('redisQueues').update(key, value, vscode.ConfigurationTarget.Global);
}
async function addConnection(name: string, url: string, extra: Record<string, unknown> = {}): Promise<void> {
  await vscode.commands.executeCommand('redisQueues.connection.add', { name, url, ...extra });
  await until(`session ${name}`, () => Boolean(api.services.sessions.get(name)));
}
async function removeConnection(name: string): Promise<void> {
  await vscode.commands.executeCommand('redisQueues.connection.remove', name, { confirm: false });
}

describe('(extension) explorer tree', function () {
  this.timeout(60_000);
  let client: Redis;
  const prefix = `ext-${randomUUID().slice(0, 8)}`;
  const conn = `tree-${prefix}`;

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    client = (await open({ url: process.env.REDIS_URL! })) as Redis;
    // Streams: a busy one with two groups, a PEL of 250 entries with a poison entry.
    const s = `${prefix}:orders`;
    const p = client.pipeline();
    for (let i = 0; i < 300; i++) p.xadd(s, '*', 'n', String(i), 'bin', Buffer.from([0xff, i % 256]));
    await p.exec();
    await client.xgroup('CREATE', s, 'billing', '0');
    await client.xreadgroup('GROUP', 'billing', 'alice', 'COUNT', 250, 'STREAMS', s, '>');
    const [first] = (await client.xpending(s, 'billing', '-', '+', 1)) as [string][];
    await client.xclaim(s, 'billing', 'alice', 0, first![0], 'RETRYCOUNT', 9, 'JUSTID');
    await client.xgroup('CREATE', s, 'idle-group', '$');
    await client.xgroup('CREATE', s, 'behind', '0');
    await client.xadd(`${prefix}:empty-groups`, '*', 'a', '1');
    // A list queue in the embedded client's layout.
    const k = listQueueKeys(`${prefix}:mail`);
    await client.lpush(k.waiting, 'j1', 'j2');
    await client.lpush(k.processing, 'j3');
    await client.zadd(k.started, Date.now() - 10_000, 'j3');
    await client.hset(k.job('j3'), 'to', 'a@example.com', '__attempts', '1');
    await client.lpush(k.dead, 'j4');
    await client.hset(k.job('j4'), 'to', 'b@example.com', '__attempts', '3', '__lastError', 'SMTP 550 mailbox unavailable', '__createdAt', String(Date.now() - 3_600_000), '__deadAt', String(Date.now() - 120_000));
    // Consumers whose pending counts change between refreshes (the order must not), and a group
    // whose lag Redis cannot tell (an entry deleted after its last-delivered id).
    const w = `${prefix}:workers`;
    for (let i = 0; i < 12; i++) await client.xadd(w, '*', 'job', `j-${i}`, 'who', `cust-${i}`);
    await client.xgroup('CREATE', w, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'w-10', 'COUNT', 1, 'STREAMS', w, '>');
    await client.xreadgroup('GROUP', 'g', 'w-2', 'COUNT', 3, 'STREAMS', w, '>');
    await client.xreadgroup('GROUP', 'g', 'alpha', 'COUNT', 2, 'STREAMS', w, '>');
    await client.call('XGROUP', 'CREATECONSUMER', w, 'g', 'w-1');
    await client.xgroup('CREATE', w, 'fresh', '0');
    // An entry deleted after "fresh"'s last-delivered id: Redis cannot tell that group's lag.
    const w2 = (await client.xpending(w, 'g', '-', '+', 10, 'w-2')) as [string][];
    await client.xdel(w, w2[2]![0]);
    // A dead-letter record in the x-dlq header format, written by the product's own code.
    const pay = `${prefix}:payments`;
    await client.xadd(pay, '*', 'orderId', 'ord-7', 'total', '19.99');
    await client.xgroup('CREATE', pay, 'pay', '0');
    const [[, [[payId]]]] = (await client.xreadgroup('GROUP', 'pay', 'bob', 'COUNT', 1, 'STREAMS', pay, '>')) as [string, [string, string[]][]][];
    await deadLetterEntry(client, { stream: pay, group: 'pay', id: payId!, deliveries: 6, error: 'gateway timeout after 30000 ms', consumer: 'bob' });
    await setting('streamFilter', `${prefix}:*`);
    await setting('refreshIntervalSeconds', 0);
    await addConnection(conn, process.env.REDIS_URL!);
  });

  after(async () => {
    await removeConnection(conn);
    await setting('streamFilter', undefined);
    await setting('refreshIntervalSeconds', undefined);
    for (const k of ['thresholds.lagWarning', 'thresholds.stuckConsumerIdleSeconds']) await setting(k, undefined);
    await quit(client);
  });

  it('shows the connection with its server version and mode once connected', async () => {
    const node = await child(undefined, conn);
    const children = await kids(node);
    assert.deepEqual(children.map(label), ['Streams', 'List queues']);
    const again = await child(undefined, conn);
    assert.match(desc(again), /^Redis \d+\.\d+\.\d+ · standalone/);
    assert.match(ctxv(again), /^connection;connected;.*user/);
  });

  it('lists the seeded streams (SCAN with the filter), with length and groups', async () => {
    const streams = await child(await child(undefined, conn), 'Streams');
    const list = await kids(streams);
    assert.deepEqual(list.map(label).sort(), [`${prefix}:empty-groups`, `${prefix}:orders`, `${prefix}:payments`, `${prefix}:payments:dlq`, `${prefix}:workers`]);
    const orders = list.find((n) => label(n) === `${prefix}:orders`)!;
    assert.match(desc(orders), /^300 entries · last \S+ ago · 3 groups$/);
    // A stream's icon is not coloured like a warning (the event icon's own theme colour is orange).
    const icon = orders.item().iconPath as vscode.ThemeIcon;
    assert.equal(icon.id, 'symbol-event');
    assert.equal(icon.color?.id, 'icon.foreground');
    assert.match(desc(list.find((n) => label(n) === `${prefix}:empty-groups`)!), /^1 entry · /);
  });

  it('shows groups with pending and lag, consumers, and pages the PEL by 100 with Load more', async () => {
    const orders = await child(await child(await child(undefined, conn), 'Streams'), `${prefix}:orders`);
    assert.deepEqual((await kids(orders)).map(label), ['Groups', 'Entries']);
    const groups = await child(orders, 'Groups');
    // Its POISON entry (delivered 10 times) is found by the background check of the streams shown,
    // before anything under billing is drawn.
    await until('billing marked by the background check', async () => /^⚠ 1 poison · /.test(desc(await child(groups, 'billing'))));
    const billing = await child(groups, 'billing');
    assert.match(desc(billing), /^⚠ 1 poison · 250 pending · lag 50 · oldest \S+ · 1 consumer$/);
    assert.match(ctxv(billing), /^group;hasPending/);
    const idle = await child(groups, 'idle-group');
    assert.match(desc(idle), /^0 pending · lag 0 · 0 consumers$/);
    const alice = await child(billing, 'alice');
    assert.match(desc(alice), /^⚠ 1 poison · 250 pending · idle \S+$/);
    let pending = await kids(alice);
    assert.equal(pending.length, 101);
    assert.match(label(pending[100]!), /^Load more pending/);
    // The poison entry (delivered 9 times) is marked; the others are not.
    // (the deepest rows, for a narrow side bar: the label is the id's time, short; the mark and
    // the figures lead the description, the id ends it)
    assert.match(ctxv(pending[0]!), /pendingEntry;poison/);
    assert.equal(label(pending[0]!), idLabel(idOf(pending[0]!)));
    assert.match(label(pending[0]!), /^(\d{4}-)?(\d\d-\d\d )?\d\d:\d\d:\d\d$/);
    assert.equal(desc(pending[0]!), desc(pending[0]!).replace(/ · \d+-\d+$/, '') + ` · ${idOf(pending[0]!)}`);
    assert.match(desc(pending[0]!), /^⚠ POISON · 9× · idle [^·]+ · n=0 bin=<2 bytes> · \d+-\d+$/);
    assert.equal(ctxv(pending[1]!), 'pendingEntry');
    await vscode.commands.executeCommand('redisQueues.explorer.loadMore', pending[100]);
    pending = await kids(alice);
    assert.equal(pending.length, 201);
    const ids = pending.slice(0, 200).map(idOf);
    assert.equal(new Set(ids).size, 200);
    assert.deepEqual([...ids].sort(compareIds), ids, 'pending entries are oldest first');
    await vscode.commands.executeCommand('redisQueues.explorer.loadMore', pending[200]);
    assert.equal((await kids(alice)).length, 250, 'the last page has no Load more');
  });

  it('marks lagging groups and stuck consumers by the threshold settings', async () => {
    await setting('thresholds.lagWarning', 10);
    await setting('thresholds.stuckConsumerIdleSeconds', 1);
    // alice (250 pending) idle for at least the 1 s threshold, as the server counts it.
    const aliceIdle = async () => parseConsumers(await client.xinfo('CONSUMERS', `${prefix}:orders`, 'billing')).find((c) => c.name === 'alice')?.idle ?? -1;
    await until('alice idle for 1 s', async () => (await aliceIdle()) >= 1000);
    const groups = await child(await child(await child(await child(undefined, conn), 'Streams'), `${prefix}:orders`), 'Groups');
    const billing = await child(groups, 'billing');
    assert.match(ctxv(billing), /;lagging/);
    assert.match(desc(billing), /LAGGING/);
    const behind = await child(groups, 'behind');
    assert.match(desc(behind), /lag 300/);
    const alice = await child(billing, 'alice');
    assert.match(ctxv(alice), /;stuck/);
    assert.match(desc(alice), /STUCK/);
    await setting('thresholds.lagWarning', undefined);
    await setting('thresholds.stuckConsumerIdleSeconds', undefined);
    assert.doesNotMatch(ctxv(await child(groups, 'billing')), /;lagging/);
  });

  it('says so when a stream has no consumer groups', async () => {
    const s = await child(await child(await child(undefined, conn), 'Streams'), `${prefix}:empty-groups`);
    assert.deepEqual((await kids(await child(s, 'Groups'))).map(label), ['No consumer groups']);
  });

  it('pages entries newest first and opens one as read-only JSON with binary shown as hex', async () => {
    const orders = await child(await child(await child(undefined, conn), 'Streams'), `${prefix}:orders`);
    const entries = await kids(await child(orders, 'Entries'));
    assert.equal(entries.length, 101);
    const newest = (await client.xrevrange(`${prefix}:orders`, '+', '-', 'COUNT', 1))[0]![0];
    assert.equal(idOf(entries[0]!), newest);
    assert.equal(label(entries[0]!), idLabel(newest));
    const doc = (await vscode.commands.executeCommand<vscode.TextDocument>('redisQueues.entry.open', entries[0]))!;
    const json = JSON.parse(doc.getText());
    assert.equal(json.id, newest);
    assert.equal(json.fields.n, '299');
    assert.deepEqual(json.fields.bin, { $binary: `ff${(299 % 256).toString(16).padStart(2, '0')}`, bytes: 2 });
    assert.equal(doc.languageId, 'json');
  });

  it('shows list queues with waiting, processing (with age) and dead-letter jobs', async () => {
    const lists = await child(await child(undefined, conn), 'List queues');
    const mail = await child(lists, `${prefix}:mail`);
    assert.match(desc(mail), /^2 waiting · 1 processing · 1 dead · oldest running \S+$/);
    const sections = await kids(mail);
    assert.deepEqual(sections.map(label), ['Waiting', 'Processing', 'Dead-letter']);
    assert.deepEqual((await kids(sections[0]!)).map(label), ['j1', 'j2'], 'waiting shows the next job first');
    const [j3] = await kids(sections[1]!);
    assert.match(desc(j3!), /^running \d+s · attempt 1 · to=a@example\.com$/);
    const dead = await kids(sections[2]!);
    assert.deepEqual(dead.map(label), ['j4']);
    // A dead job leads with its error and when it died; the tooltip gives times, not epoch milliseconds.
    assert.match(desc(dead[0]!), /^SMTP 550 mailbox unavailable · 2m \d+s ago · attempt 3 · to=b@example\.com$/);
    const tip = String(dead[0]!.item().tooltip);
    assert.match(tip, /\ncreated: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d local \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\), 1h 0m ago\n/);
    assert.match(tip, /\ndead-lettered: .* local \(.* UTC\), 2m \d+s ago\n/);
    assert.doesNotMatch(tip, /\d{13}/, 'no epoch milliseconds');
  });

  it('puts health marks first and rolls them up to the consumer, group, stream and connection rows (from what was drawn)', async () => {
    await setting('thresholds.lagWarning', 10);
    await setting('thresholds.stuckConsumerIdleSeconds', 1);
    try {
      const conn_ = () => child(undefined, conn);
      const streams = await child(await conn_(), 'Streams');
      const orders = await child(streams, `${prefix}:orders`);
      const groups = await child(orders, 'Groups');
      // Draw billing's consumers (alice is idle past 1 s: STUCK) and alice's pending page (one POISON).
      await until('alice idle past 1 s', async () => /^⚠ STUCK/.test(desc(await child(await child(groups, 'billing'), 'alice'))));
      const billing = await child(groups, 'billing');
      const alice = await child(billing, 'alice');
      const pending = await kids(alice);
      assert.match(desc(pending[0]!), /^⚠ POISON · /);
      assert.doesNotMatch(label(pending[1]!) + desc(pending[1]!), /⚠|POISON/);
      // The rows above, as drawn again (a refresh): marks first, counts rolled up.
      assert.match(desc(await child(billing, 'alice')), /^⚠ STUCK · 1 poison · 250 pending · idle \S+$/);
      assert.match(desc(await child(groups, 'billing')), /^⚠ 1 stuck · 1 poison · LAGGING · 250 pending · lag 50 · /);
      assert.match(desc(await child(groups, 'behind')), /^⚠ LAGGING · 0 pending · lag 300 · 0 consumers$/);
      assert.match(desc(await child(groups, 'idle-group')), /^0 pending · lag 0 · 0 consumers$/, 'a healthy group has no mark');
      assert.match(desc(await child(await child(await conn_(), 'Streams'), `${prefix}:orders`)), /^⚠ 1 stuck · 1 poison · 2 lagging · 300 entries · /);
      assert.match(String((await child(await child(await conn_(), 'Streams'), `${prefix}:orders`)).item().tooltip), /health \(its groups, consumers and pending pages; POISON among each group's oldest pending entries and the pages drawn\): 1 stuck · 1 poison · 2 lagging/);
      // The list queue's processing job started 10 s ago: STUCK at 1 s, and it counts at the connection.
      const mail = await child(await child(await conn_(), 'List queues'), `${prefix}:mail`);
      assert.match(desc(mail), /^⚠ STUCK · 2 waiting · 1 processing/);
      assert.match(desc((await kids(await child(mail, 'Processing')))[0]!), /^⚠ STUCK · running \d+s/);
      // (Every stream shown is checked in the background: the other seeded consumers holding
      // entries are STUCK at 1 s too.)
      assert.match(desc(await conn_()), /^⚠ \d+ stuck · 1 poison · \d+ lagging · Redis \d+\.\d+\.\d+ · standalone/);
      // Back to the default thresholds: drawing the consumers again clears the STUCK roll-up.
      await setting('thresholds.lagWarning', undefined);
      await setting('thresholds.stuckConsumerIdleSeconds', undefined);
      await kids(await child(groups, 'billing'));
      await kids(await child(await child(await child(await conn_(), 'Streams'), `${prefix}:orders`), 'Groups'));
      assert.match(desc(await child(groups, 'billing')), /^⚠ 1 poison · 250 pending · lag 50 · /);
    } finally {
      await setting('thresholds.lagWarning', undefined);
      await setting('thresholds.stuckConsumerIdleSeconds', undefined);
      await setting('thresholds.poisonDeliveries', undefined);
    }
  });

  it('keeps groups and consumers by name across refreshes while their counts change (rows never move under the pointer)', async () => {
    const w = `${prefix}:workers`;
    const streams = await child(await child(undefined, conn), 'Streams');
    const groupsOf = async () => kids(await child(await child(streams, w), 'Groups'));
    assert.deepEqual((await groupsOf()).map(label), ['fresh', 'g']);
    assert.deepEqual((await kids(await child(await child(streams, `${prefix}:orders`), 'Groups'))).map(label), ['behind', 'billing', 'idle-group']);
    const consumers = async () => kids((await groupsOf()).find((n) => label(n) === 'g')!);
    const before = await consumers();
    assert.deepEqual(before.map(label), ['alpha', 'w-1', 'w-2', 'w-10']);
    assert.deepEqual(before.map(desc).map((d) => d.replace(/ · idle .*/, '')), ['2 pending', '0 pending', '3 pending', '1 pending']);
    // The pending counts change (w-10 becomes the busiest, w-2 holds less): the order does not.
    await client.xreadgroup('GROUP', 'g', 'w-10', 'COUNT', 5, 'STREAMS', w, '>');
    const w2 = (await client.xpending(w, 'g', '-', '+', 10, 'w-2')) as [string][];
    await client.xack(w, 'g', ...w2.slice(0, 2).map((e) => e[0]));
    for (let i = 0; i < 3; i++) {
      const after = await consumers();
      assert.deepEqual(after.map(label), ['alpha', 'w-1', 'w-2', 'w-10'], `refresh ${i}`);
      assert.match(desc(after[2]!), /^1 pending/);
      assert.match(desc(after[3]!), /^6 pending/);
      // One node object per row, updated in place: what a command or a handle holds stays valid.
      after.forEach((n, j) => assert.equal(n, before[j], `the node of ${label(n)} was replaced on refresh ${i}`));
    }
    // A consumer that starts holding entries keeps its place.
    const pel = (await client.xpending(w, 'g', '-', '+', 1, 'w-10')) as [string][];
    await client.xclaim(w, 'g', 'w-1', 0, pel[0]![0]);
    assert.deepEqual((await consumers()).map(label), ['alpha', 'w-1', 'w-2', 'w-10']);
  });

  it('a refresh reads the open rows, then redraws only those that changed: never the whole tree nor the rows above', async () => {
    const w = `${prefix}:workers`;
    const provider = api.services.provider;
    const g = await child(await child(await child(await child(await child(undefined, conn), 'Streams'), w), 'Groups'), 'g');
    // No mark may change with the move (with time passing, alpha may be STUCK before and not after
    // the claim, which rightly redraws the connection row and everything under it): STUCK off.
    // And the background check has looked at every stream shown (it goes a few streams a round,
    // each round changing the connection's totals): the connection row's look holds still.
    // POISON off too: an entry moved from w-10 (its marks sampled by the background check) to
    // alpha (whose page is drawn) would count under both until the next round.
    await setting('thresholds.stuckConsumerIdleSeconds', 1e9);
    await setting('thresholds.poisonDeliveries', 1_000_000);
    const connRow = g.parent!.parent!.parent!.parent!;
    let seen = '';
    let still = 0;
    await until('the connection row to hold still (health checked, no STUCK or POISON)', async () => {
      await provider.refresh();
      const t = (provider.current(connRow) ?? connRow).item();
      const now = `${String(t.description)}\n${tip(t)}`;
      still = now === seen && !/stuck|poison/i.test(String(t.description)) && !/not checked yet/.test(String(t.tooltip)) ? still + 1 : 0;
      seen = now;
      return still >= 4;
    }, 30_000);
    const alpha = await child(g, 'alpha');
    const before = await kids(alpha);
    // One of w-10's entries moves to alpha (and back after): alpha's and w-10's rows change, nothing above g.
    const [[id]] = (await client.xpending(w, 'g', '-', '+', 1, 'w-10')) as [string][];
    try {
      // A row elsewhere may change by itself in the same moment (an age ticking, a health round):
      // that window is tried again, at most three times.
      let ids: string[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        const fired: (Node | undefined)[] = [];
        const sub = provider.onDidChangeTreeData((e) => fired.push(...(Array.isArray(e) ? e : [e])));
        try {
          await client.xclaim(w, 'g', 'alpha', 0, id!, 'JUSTID');
          await provider.refresh();
        } finally {
          sub.dispose();
        }
        assert.ok(!fired.includes(undefined), 'the whole tree was redrawn');
        ids = fired.map((n) => n!.id);
        if ((ids.includes(alpha.id) && ids.every((x) => x.startsWith(`${g.id}/`))) || attempt === 3) break;
        await client.xclaim(w, 'g', 'w-10', 0, id!, 'JUSTID');
        await provider.refresh();
      }
      const connNow = (provider.current(connRow) ?? connRow).item();
      assert.ok(ids.includes(alpha.id), `alpha's row (a new entry under it) was not redrawn: ${ids.join(', ')}; the connection row was: ${seen}; now: ${String(connNow.description)}\n${tip(connNow)}`);
      for (const x of ids) assert.ok(x.startsWith(`${g.id}/`), `${x} redrawn: only rows under the group changed`);
      // alpha's row object is the one drawn before, with its new figures; VS Code's re-read of it is
      // answered with the entries just read.
      assert.match(desc(alpha), /^3 pending/);
      const after = await kids(alpha);
      assert.equal(after.length, before.length + 1);
      assert.ok(before.every((n) => after.includes(n)), 'entry rows were replaced');
    } finally {
      await client.xclaim(w, 'g', 'w-10', 0, id!, 'JUSTID');
      await setting('thresholds.stuckConsumerIdleSeconds', undefined);
      await setting('thresholds.poisonDeliveries', undefined);
    }
  });

  it('a group whose lag keeps growing reads "lag N ↑", its tooltip the trend and the rates, from the background samples of the shown streams (needs Redis 7.0 counters: skipped before)', async function () {
    const s = `${prefix}:growing`;
    await client.xgroup('CREATE', s, 'slow', '$', 'MKSTREAM');
    const info = (await client.call('XINFO', 'STREAM', s)) as unknown[];
    if (!info.includes('entries-added')) this.skip();
    await setting('trends.intervalSeconds', 1);
    let stop = false;
    // Messages arrive (about 100/s) and nobody reads them: the lag grows.
    const producing = (async () => {
      while (!stop) {
        const p = client.pipeline();
        for (let i = 0; i < 10; i++) p.xadd(s, '*', 'n', String(i));
        await p.exec();
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      const row = async () => {
        api.services.provider.refresh();
        const streams = await child(await child(undefined, conn), 'Streams');
        return child(await child(await child(streams, s), 'Groups'), 'slow');
      };
      await row(); // the stream is shown: it is sampled from now on
      let slow: Node | undefined;
      await until('the lag trend ↑ on the group row', async () => {
        slow = await row();
        return /^0 pending · lag [\d,]+ ↑ · 0 consumers$/.test(desc(slow));
      }, 45_000);
      const t = tip(slow!.item());
      assert.match(t, /\nlag over the last minute: ↑ \+\d+ \(from \d+ to \d+\) [▁▂▃▄▅▆▇█·]+\n/);
      assert.match(t, /\nin [\d.]+\/s to the stream, out 0\.0\/s read by the group \(last 1 s; Redis 7 counters\)\n/);
      // Six rounds of growth: the status bar says so.
      await until('the status bar alert', () => /slow lag ↑|lags ↑/.test(api.services.alerts.shown?.text ?? ''), 30_000);
      assert.match(api.services.alerts.shown!.tooltip, new RegExp(`${s} › slow \\(${conn}\\): lag [\\d,]+, \\+[\\d,]+ over the last 6 samples, never down`));
    } finally {
      stop = true;
      await producing;
      await setting('trends.intervalSeconds', undefined);
    }
  });

  it('says "lag unknown" (and why, in the tooltip) when XINFO GROUPS has no lag for a group', async function () {
    const fresh = (await kids(await child(await child(await child(await child(undefined, conn), 'Streams'), `${prefix}:workers`), 'Groups'))).find((n) => label(n) === 'fresh')!;
    const info = (await client.call('XINFO', 'GROUPS', `${prefix}:workers`)) as unknown[][];
    const raw = info.map((g) => Object.fromEntries(Array.from({ length: g.length / 2 }, (_, i) => [g[2 * i], g[2 * i + 1]])));
    if (!('lag' in raw[0]!)) this.skip(); // Redis < 7: no lag figure at all
    assert.equal(raw.find((g) => g.name === 'fresh')!.lag, null, 'the deletion made Redis unable to tell');
    assert.match(desc(fresh), /^0 pending · lag unknown · 0 consumers$/);
    assert.match(String(fresh.item().tooltip), /lag: unknown: XINFO GROUPS reports lag as null .*deleted \(XDEL\)/);
  });

  it('shows a preview of each pending entry\'s message (read per page), "(deleted or trimmed)" when it is gone', async () => {
    const orders = await child(await child(await child(undefined, conn), 'Streams'), `${prefix}:orders`);
    const pending = await kids(await child(await child(await child(orders, 'Groups'), 'billing'), 'alice'));
    assert.match(desc(pending[1]!), /^1× · idle [^·]+ · n=1 bin=<2 bytes> · \d+-\d+$/);
    assert.match(String(pending[1]!.item().tooltip), /\n\nn=1 bin=<2 bytes>$/);
    const w = await child(await child(await child(await child(undefined, conn), 'Streams'), `${prefix}:workers`), 'Groups');
    const alpha = async () => kids(await child((await kids(w)).find((n) => label(n) === 'g')!, 'alpha'));
    const [first, second] = await alpha();
    const shown = (n: Node) => desc(n).replace(/ · idle [^·]+ · /, ' · ').replace(` · ${idOf(n)}`, '');
    assert.deepEqual([first, second].map((n) => shown(n!)), ['1× · job=j-4 who=cust-4', '1× · job=j-5 who=cust-5']);
    // Its message deleted while pending: the row says so.
    await client.xdel(`${prefix}:workers`, idOf(second!));
    assert.deepEqual((await alpha()).map(shown), ['1× · job=j-4 who=cust-4', '1× · (deleted or trimmed)']);
  });

  it('leads dead-letter rows with the error, origin, deliveries and local time (UTC in the tooltip)', async () => {
    const dlq = `${prefix}:payments:dlq`;
    const rows = await kids(await child(await child(await child(await child(undefined, conn), 'Streams'), dlq), 'Entries'));
    assert.equal(rows.length, 1);
    const [[id, fields]] = (await client.xrange(dlq, '-', '+')) as [string, string[]][];
    const f = Object.fromEntries(Array.from({ length: fields!.length / 2 }, (_, i) => [fields![2 * i], fields![2 * i + 1]]));
    assert.equal(f['x-dlq'], '1', 'the record is in the x-dlq header format');
    const at = new Date(Number(f['x-dlq-at']));
    const p = (n: number) => String(n).padStart(2, '0');
    const local = `${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())} ${p(at.getHours())}:${p(at.getMinutes())}:${p(at.getSeconds())}`;
    assert.equal(idOf(rows[0]!), id);
    assert.equal(label(rows[0]!), idLabel(id!));
    assert.equal(desc(rows[0]!), `gateway timeout after 30000 ms · from ${prefix}:payments (${f['x-dlq-id']}) · 6× · dead-lettered ${local} · ${id}`);
    const tip = String(rows[0]!.item().tooltip);
    assert.ok(tip.includes(`${at.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')} UTC`), tip);
    assert.match(tip, /group pay, consumer bob/);
    assert.match(tip, /message: orderId=ord-7 total=19\.99$/);
    assert.match(ctxv(rows[0]!), /^streamEntry;dlq$/);
  });

  it('says what to do when nothing listens at a connection\'s address, with Retry and Edit rows', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    const name = `refused-${prefix}`;
    await addConnection(name, `redis://127.0.0.1:${port}`);
    try {
      const [error, ...more] = await kids(await child(undefined, name));
      assert.equal(more.length, 0);
      assert.equal(label(error!), `Cannot connect: nothing listens at 127.0.0.1:${port}`);
      assert.equal(desc(error!), 'start Redis or the sandbox, or edit the connection · ECONNREFUSED');
      assert.match(String(error!.item().tooltip), /ECONNREFUSED 127\.0\.0\.1:\d+\n\nWhat to do: start Redis or the sandbox, or edit the connection\./);
      assert.deepEqual(error!.item().command, { command: 'redisQueues.connection.retry', title: 'Retry', arguments: [name] });
      // Drawn expanded, with the two ways out as rows under it.
      assert.equal(error!.item().collapsibleState, vscode.TreeItemCollapsibleState.Expanded);
      const actions = await kids(error!);
      assert.deepEqual(actions.map(label), ['Retry', 'Edit Connection…']);
      assert.deepEqual(actions[0]!.item().command, { command: 'redisQueues.connection.retry', title: 'Retry', arguments: [name] });
      assert.deepEqual(actions[1]!.item().command, { command: 'redisQueues.connection.edit', title: 'Edit Connection…', arguments: [name] });
    } finally {
      await removeConnection(name);
    }
  });

  it('keeps passwords in SecretStorage: a password typed into the URL is moved out of the setting', async () => {
    const user = `rq-${prefix}`;
    await client.call('ACL', 'SETUSER', user, 'on', '>s3cret-pass', '~*', '&*', '+@all');
    const url = new URL(process.env.REDIS_URL!);
    const name = `acl-${prefix}`;
    try {
      await addConnection(name, `redis://${user}:s3cret-pass@${url.host}`);
      const saved = vscode.workspace.getConfiguration('redisQueues').inspect<{ name: string; url: string }[]>('connections')!.globalValue!;
      const entry = saved.find((c) => c.name === name)!;
      assert.equal(entry.url, `redis://${user}@${url.host}`);
      assert.ok(!JSON.stringify(saved).includes('s3cret-pass'), 'the password is still in settings');
      assert.equal(await api.services.context.secrets.get(`redisQueues.connection.password:${name}`), 's3cret-pass');
      const node = await child(undefined, name);
      assert.deepEqual((await kids(node)).map(label), ['Streams', 'List queues']);
      // A wrong password: auth failed state and an error node, without the password in any text.
      await api.services.context.secrets.store(`redisQueues.connection.password:${name}`, 'wrong-pass');
      api.services.sessions.get(name)!.retry();
      const failed = await kids(await child(undefined, name));
      assert.deepEqual(failed.map(label), ['Authentication failed: the server refused the user name or password']);
      assert.equal(desc(failed[0]!), 'edit the connection to correct them · WRONGPASS');
      const actions = await kids(failed[0]!);
      assert.deepEqual(actions.map(label), ['Retry', 'Edit Connection…']);
      assert.deepEqual(actions[1]!.item().command?.arguments, [name]);
      for (const n of [...failed, ...actions]) assert.ok(!JSON.stringify(n.item()).includes('wrong-pass'));
      assert.match(desc(await child(undefined, name)), /auth failed/);
    } finally {
      await removeConnection(name);
      await client.call('ACL', 'DELUSER', user);
    }
    assert.equal(await api.services.context.secrets.get(`redisQueues.connection.password:${name}`), undefined, 'removing the connection deletes its secret');
  });

  describe('when the server goes away', () => {
    let server: Sandbox;
    const name = `gone-${prefix}`;
    before(async () => {
      server = await startSandbox();
      const c = await open({ url: server.url });
      await c.xadd('s1', '*', 'a', '1');
      await quit(c);
      await addConnection(name, server.url);
    });
    after(async () => {
      await removeConnection(name);
      await server.stop();
    });

    it('shows an error node with a retry action, does not hammer the server, and recovers by itself when the server is back', async () => {
      await setting('streamFilter', undefined);
      const streams = await child(await child(undefined, name), 'Streams');
      assert.deepEqual((await kids(streams)).map(label), ['s1']);
      await server.kill('SIGKILL');
      const failed = await kids(streams);
      assert.equal(failed.length, 1);
      assert.match(label(failed[0]!), /^Cannot connect/);
      assert.deepEqual((await kids(failed[0]!)).map(label), ['Retry', 'Edit Connection…']);
      assert.equal(failed[0]!.item().command?.command, 'redisQueues.connection.retry');
      const session = api.services.sessions.get(name)!;
      assert.equal(session.state.kind, 'error');
      const at = session.state.kind === 'error' ? session.state.at : 0;
      // Redraws within the back-off reuse the error instead of reconnecting.
      for (let i = 0; i < 5; i++) assert.match(label((await kids(await child(undefined, name)))[0]!), /^Cannot connect/);
      assert.equal(session.state.kind === 'error' && session.state.at, at);
      // A lost connection is transient: the session reconnects by itself, with a growing back-off.
      assert.match(desc(await child(undefined, name)), /connection lost… reconnecting/);
      await server.restart();
      const c = await open({ url: server.url });
      await c.xadd('s2', '*', 'b', '2');
      await quit(c);
      await until('the session back by itself (no Retry)', () => session.state.kind === 'connected', 30_000);
      const back = await kids(await child(await child(undefined, name), 'Streams'));
      assert.deepEqual(back.map(label), ['s2']);
      await setting('streamFilter', `${prefix}:*`);
    });
  });

  describe('on a local Redis Cluster', () => {
    let cluster: SandboxCluster;
    const name = `cluster-${prefix}`;
    before(async function () {
      this.timeout(60_000);
      cluster = await startSandboxCluster({ masters: 3 });
      await addConnection(name, cluster.url, { mode: 'cluster' });
    });
    after(async () => {
      await removeConnection(name);
      await cluster?.stop();
    });

    it('finds streams on every master and reads their groups', async () => {
      await setting('streamFilter', 'cl:*');
      const c = await open({ url: cluster.url, mode: 'cluster' });
      const names = Array.from({ length: 12 }, (_, i) => `cl:stream-${i}`);
      for (const s of names) await c.xadd(s, '*', 'a', '1');
      await c.xgroup('CREATE', 'cl:stream-7', 'g', '0');
      await quit(c);
      const conn = await child(undefined, name);
      await kids(conn);
      assert.match(desc(await child(undefined, name)), /cluster \(3 masters\)/);
      const streams = await kids(await child(await child(undefined, name), 'Streams'));
      assert.deepEqual(streams.map(label).sort(), [...names].sort());
      const s7 = streams.find((n) => label(n) === 'cl:stream-7')!;
      assert.deepEqual((await kids(await child(s7, 'Groups'))).map(label), ['g']);
      await setting('streamFilter', `${prefix}:*`);
    });
  });
});
