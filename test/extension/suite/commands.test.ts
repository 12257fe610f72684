// Commands that act on queues, run inside a real VS Code against a real Redis. Prompts are
// answered by a scripted prompter that records what each confirmation said. The connection
// commands (add, edit, remove, test before saving) are connectionCommands.test.ts.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { open, quit } from '../../../src/core/redis/connection';
import { fromJsonPairs, rawOf, sameRaw } from '../../../src/core/messages/message';
import { splitDeadLetter } from '../../../src/core/queue/stream/deadLetter';
import { listQueueKeys } from '../../../src/core/queue/list/keys';
import { parseEntries } from '../../../src/core/redis/replies';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import type { PickItem } from '../../../src/vscode/ui';
import { formatDuration } from '../../../src/core/inspect/health';
import { DEFAULT, commandFailure, idOf, label, scripted, tree, until } from '../helpers';

const EXT = 'redis-queues.redis-queues';
let api: RedisQueuesApi;
const { kids, path } = tree(() => api);

async function run<T>(command: string, answers: unknown[], ...args: unknown[]): Promise<{ result: T | undefined; ui: ReturnType<typeof scripted> }> {
  const ui = scripted(answers);
  api.services.ui = ui;
  const result = await vscode.commands.executeCommand<T>(command, ...args);
  return { result, ui };
}

describe('(extension) commands on queues', function () {
  this.timeout(60_000);
  let client: Redis;
  const prefix = `cmd-${randomUUID().slice(0, 8)}`;
  const conn = `ops-${prefix}`;
  const ro = `ro-${prefix}`;
  const prod = `prod-${prefix}`;
  const s = `${prefix}:orders`;
  let ids: string[];

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    client = (await open({ url: process.env.REDIS_URL! })) as Redis;
    await vscode.workspace.getConfiguration('redisQueues').update('streamFilter', `${prefix}:*`, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('redisQueues').update('refreshIntervalSeconds', 0, vscode.ConfigurationTarget.Global);
    for (const [name, extra] of [[conn, {}], [ro, { readOnly: true }], [prod, { production: true }]] as const) {
      await vscode.commands.executeCommand('redisQueues.connection.add', { name, url: process.env.REDIS_URL!, ...extra });
      await until(name, () => Boolean(api.services.sessions.get(name)));
    }
  });
  beforeEach(async () => {
    await client.del(s, `${s}:dlq`);
    const p = client.pipeline();
    for (let i = 0; i < 10; i++) p.xadd(s, '*', 'n', String(i));
    ids = ((await p.exec()) ?? []).map(([, id]) => String(id));
    await client.xgroup('CREATE', s, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'alice', 'COUNT', 6, 'STREAMS', s, '>');
  });
  after(async () => {
    api.services.ui = (await import('../../../src/vscode/ui')).vscodePrompter;
    for (const name of [conn, ro, prod]) await vscode.commands.executeCommand('redisQueues.connection.remove', name, { confirm: false });
    await vscode.workspace.getConfiguration('redisQueues').update('streamFilter', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('redisQueues').update('refreshIntervalSeconds', undefined, vscode.ConfigurationTarget.Global);
    await quit(client);
  });

  const pel = async () => ((await client.xpending(s, 'g')) as [number])[0];
  const pendingNodes = async (connection = conn) => kids(await path(connection, 'Streams', s, 'Groups', 'g', 'alice'));

  it('acks multi-selected pending entries after a confirmation that states the count; cancel changes nothing', async () => {
    const nodes = await pendingNodes();
    const cancelled = await run('redisQueues.pending.ack', [false], nodes[0], [nodes[0], nodes[1]]);
    assert.match(cancelled.ui.asked[0]!.text, /^Acknowledge 2 pending entries in group "g"/);
    assert.equal(await pel(), 6);
    const done = await run('redisQueues.pending.ack', [true], nodes[0], [nodes[0], nodes[1]]);
    assert.deepEqual(done.result, { acked: 2, notPending: [] });
    assert.equal(await pel(), 4);
    assert.match(done.ui.infos[0]!, /Acknowledged 2 entries/);
  });

  it('acks all pending of a consumer only when 0 is typed; the confirmation then says every pending entry', async () => {
    const consumer = await path(conn, 'Streams', s, 'Groups', 'g', 'alice');
    const r = await run('redisQueues.pending.ack', ['0', true], consumer);
    assert.match(r.ui.asked[0]!.text, /^Acknowledge pending entries of consumer "alice" idle at least .*Type 0 for every pending entry .*e\.g\. 90s, 5m, 1h 30m/);
    assert.match(r.ui.asked[1]!.text, /^Acknowledge every pending entry of consumer "alice" on .* \(6 pending entries, whatever their idle time\)\?/);
    assert.equal(await pel(), 0);
  });

  it('ack of a group or consumer offers the stuck threshold as its minimum idle, never 0; durations are typed as 90s, 5m, 1h 30m', async () => {
    const stuck = api.services.provider.settings().thresholds.stuckIdleMs;
    assert.equal(stuck, 300_000, 'the default thresholds.stuckConsumerIdleSeconds');
    await client.xclaim(s, 'g', 'alice', 0, ids[0]!, ids[1]!, 'IDLE', 600_000, 'JUSTID');
    const group = await path(conn, 'Streams', s, 'Groups', 'g');
    // Keeping the default acks only the two entries idle 10 minutes, not the four just delivered.
    const r = await run('redisQueues.pending.ack', [DEFAULT, true], group);
    const q = r.ui.asked[0]!;
    assert.equal(q.kind, 'input');
    assert.match(q.text, /^Acknowledge pending entries of group "g" idle at least /);
    assert.equal(q.value, '5m 0s');
    assert.notEqual(q.value, '0');
    assert.equal(q.validate!('0'), undefined, 'a 0 may be typed');
    assert.equal(q.validate!('90s'), undefined);
    assert.equal(q.validate!('1h 30m'), undefined);
    assert.match(q.validate!('5 parsecs')!, /Unknown unit "parsecs"/);
    assert.match(r.ui.asked[1]!.text, /^Acknowledge 2 pending entries of group "g" on .* idle at least 5m 0s\?/);
    assert.equal(await pel(), 4);
    // A typed duration in another form.
    const none = await run('redisQueues.pending.ack', ['1h 30m'], group);
    assert.deepEqual(none.result, { acked: 0 });
    assert.match(none.ui.infos[0]!, /No pending entries of group "g" idle at least 1h 30m/);
    assert.equal(await pel(), 4);
  });

  it("the walkthrough's Acknowledge link (no node, no arguments) asks for the group, then offers the stuck threshold", async () => {
    const r = await run('redisQueues.pending.ack', [(items: PickItem<unknown>[]) => items.find((i) => i.label === conn)!.value, s, 'g', DEFAULT, false]);
    assert.deepEqual(r.ui.asked.map((a) => a.kind), ['pick', 'pick', 'pick', 'input']);
    assert.equal(r.ui.asked[3]!.value, '5m 0s');
    assert.deepEqual(r.result, { acked: 0 });
    assert.equal(await pel(), 6, 'nothing is idle 5 minutes: nothing asked to confirm, nothing acked');
    assert.match(r.ui.infos[0]!, /No pending entries of group "g" idle at least 5m 0s/);
  });

  it('refuses writes on a read-only connection before asking or sending anything', async () => {
    const nodes = await pendingNodes(ro);
    const before = String(await client.info('commandstats'));
    const xack = (t: string) => /cmdstat_xack:calls=(\d+)/.exec(t)?.[1] ?? '0';
    {
      for (const [cmd, node] of [
        ['redisQueues.pending.ack', nodes[0]],
        ['redisQueues.pending.claim', nodes[0]],
        ['redisQueues.pending.deadLetter', nodes[0]],
        ['redisQueues.group.destroy', await path(ro, 'Streams', s, 'Groups', 'g')],
        ['redisQueues.stream.trim', await path(ro, 'Streams', s)],
      ] as const) {
        const ui = scripted([]);
        api.services.ui = ui;
        const e = await commandFailure(api, () => vscode.commands.executeCommand(cmd, node, [node]), cmd);
        assert.match(e.message, /read-only: .* was refused before anything was sent/, cmd);
        assert.equal(ui.asked.length, 0, `${cmd} asked before refusing`);
      }
    }
    assert.equal(xack(String(await client.info('commandstats'))), xack(before));
    assert.equal(await pel(), 6);
    assert.equal(await client.xlen(s), 10);
  });

  it('on a production connection asks to type the stream name; a wrong or missing name cancels', async () => {
    const nodes = await pendingNodes(prod);
    const cancelled = await run('redisQueues.pending.ack', [undefined], nodes[0], [nodes[0]]);
    assert.equal(cancelled.ui.asked[0]!.kind, 'input');
    assert.match(cancelled.ui.asked[0]!.text, new RegExp(`Type "${s.replace(/[{}]/g, '\\$&')}" to confirm`));
    assert.equal(await pel(), 6);
    await run('redisQueues.pending.ack', [s], nodes[0], [nodes[0]]);
    assert.equal(await pel(), 5);
  });

  it('claims selected entries to a new consumer, skipping those active again', async () => {
    await client.xclaim(s, 'g', 'alice', 0, ids[0]!, 'IDLE', 120_000, 'JUSTID');
    const nodes = await pendingNodes();
    // The idle times as the tree showed them (the rows take new figures when the tree is read again).
    const shown = Math.min(...[nodes[0], nodes[1]].map((n) => (n as unknown as { entry: { idle: number } }).entry.idle));
    const r = await run<{ claimed: string[]; skipped: { id: string; reason: string }[] }>('redisQueues.pending.claim', ['\u0000new', 'rescuer', '1m', true], nodes[0], [nodes[0], nodes[1]]);
    assert.deepEqual(r.result!.claimed, [ids[0]]);
    assert.equal(r.result!.skipped[0]!.id, ids[1]);
    // The minimum idle is asked as a duration; its default is the smallest idle time shown, formatted.
    const minIdle = r.ui.asked[2]!;
    assert.match(minIdle.text, /^Only claim entries idle at least .*e\.g\. 90s, 5m, 1h 30m, 250ms or 2d; a plain number is seconds/);
    assert.equal(minIdle.value, formatDuration(shown));
    assert.doesNotMatch(minIdle.value!, /^\d+$/, 'not a raw number of ms');
    assert.match(r.ui.asked[3]!.text, /^Claim 2 pending entries .* for consumer "rescuer"\? Ownership moves from alice to rescuer.* Entries idle less than 1m 0s are skipped/);
    const owners = (await client.xpending(s, 'g', '-', '+', 10)) as [string, string][];
    assert.equal(owners.find(([id]) => id === ids[0])![1], 'rescuer');
    assert.equal(owners.find(([id]) => id === ids[1])![1], 'alice');
  });

  it('a tree command VS Code hands no row (its row was being redrawn under the pointer) says so and changes nothing', async () => {
    // VS Code passes the clicked row and the selection as handles; while it reads a row's level
    // again it has no element for them and hands the command undefined for each.
    for (const command of ['redisQueues.pending.claim', 'redisQueues.pending.ack', 'redisQueues.pending.deadLetter']) {
      const e = await commandFailure(api, () => vscode.commands.executeCommand(command, undefined, [undefined]), command);
      assert.equal(e.message, 'The tree was being redrawn; try again', command);
    }
    assert.equal(await pel(), 6);
    // A single row's menu passes just the row: none at all, right after the tree redrew, is the
    // same loss (claim and dead-letter are offered only on rows). alice takes a 7th entry: a
    // refresh redraws her rows.
    await pendingNodes();
    await client.xreadgroup('GROUP', 'g', 'alice', 'COUNT', 1, 'STREAMS', s, '>');
    await api.services.provider.refresh();
    assert.ok(api.services.provider.redrawnWithin(), 'the refresh redrew alice\'s rows');
    for (const command of ['redisQueues.pending.claim', 'redisQueues.pending.deadLetter']) {
      const e = await commandFailure(api, () => vscode.commands.executeCommand(command), command);
      assert.equal(e.message, 'The tree was being redrawn; try again', command);
    }
    assert.equal(await pel(), 7);
  });

  it('claim offers the other consumers with their pending count and idle time, never the current owners, and a new consumer', async () => {
    await client.xreadgroup('GROUP', 'g', 'bob', 'COUNT', 2, 'STREAMS', s, '>');
    await client.xgroup('CREATECONSUMER', s, 'g', 'carol');
    const alice = await pendingNodes();
    let offered: PickItem<unknown>[] = [];
    const keep = (items: PickItem<unknown>[]) => void (offered = items);
    const r = await run('redisQueues.pending.claim', [keep], alice[0], [alice[0], alice[1]]);
    assert.equal(r.result, undefined, 'cancelled at the pick');
    assert.match(r.ui.asked[0]!.text, /^Claim to which consumer of "g"\? \(now owned by alice\)/);
    assert.deepEqual(offered.map((i) => i.label), ['$(add) New consumer name…', 'bob', 'carol']);
    assert.match(offered[1]!.description!, /^2 pending · idle \d+(ms|s)$/);
    assert.match(offered[2]!.description!, /^0 pending · idle /);
    // Entries of two owners: neither is offered; a new name may not be one of them either.
    const bob = await kids(await path(conn, 'Streams', s, 'Groups', 'g', 'bob'));
    const two = await run('redisQueues.pending.claim', [(items: PickItem<unknown>[]) => {
        keep(items);
        return '\u0000new';
      }, undefined], alice[0], [alice[0], bob[0]]);
    assert.deepEqual(offered.map((i) => i.label), ['$(add) New consumer name…', 'carol']);
    assert.match(two.ui.asked[0]!.text, /\(now owned by alice, bob\)/);
    const name = two.ui.asked[1]!;
    assert.match(name.text, /^New consumer name/);
    assert.match(name.validate!('bob')!, /"bob" already owns some of these entries/);
    assert.equal(name.validate!('dave'), undefined);
    assert.equal(await pel(), 8, 'nothing moved');
  });

  it('auto-claims after a preview listing ids, owners, idle and deliveries', async () => {
    await client.xclaim(s, 'g', 'alice', 0, ids[2]!, ids[3]!, 'IDLE', 300_000, 'JUSTID');
    const group = await path(conn, 'Streams', s, 'Groups', 'g');
    const r = await run<{ claimed: string[] }>('redisQueues.group.autoClaim', ['\u0000new', 'sweeper', '60', 'all', true], group);
    assert.deepEqual(r.ui.asked[0]!.items, ['$(add) New consumer name…', 'alice']);
    const minIdle = r.ui.asked[2]!;
    assert.match(minIdle.text, /^Claim entries idle at least .*stuck threshold.*a plain number is seconds/);
    assert.equal(minIdle.value, '5m 0s', 'the default is the stuck threshold, as a duration');
    const preview = r.ui.asked.find((a) => a.kind === 'pickMany')!;
    assert.match(preview.text, /Auto-claim preview: 2 entries would move to "sweeper"/);
    assert.deepEqual(preview.items!.map((i) => i.split(' ')[0]), [ids[2], ids[3]]);
    // XCLAIM JUSTID (used to age them) does not count as a delivery.
    assert.match(preview.items![0]!, /alice · idle 5m 0s · delivered 1×$/);
    assert.doesNotMatch(preview.text, /POISON/);
    assert.deepEqual(r.result!.claimed, [ids[2], ids[3]]);
  });

  it('the auto-claim preview marks POISON entries (delivered thresholds.poisonDeliveries times or more)', async () => {
    const poisonAt = api.services.provider.settings().thresholds.poisonDeliveries;
    assert.equal(poisonAt, 5);
    await client.xclaim(s, 'g', 'alice', 0, ids[2]!, 'IDLE', 600_000, 'RETRYCOUNT', 7, 'JUSTID');
    await client.xclaim(s, 'g', 'alice', 0, ids[3]!, 'IDLE', 600_000, 'RETRYCOUNT', poisonAt, 'JUSTID');
    await client.xclaim(s, 'g', 'alice', 0, ids[4]!, 'IDLE', 600_000, 'RETRYCOUNT', poisonAt - 1, 'JUSTID');
    const group = await path(conn, 'Streams', s, 'Groups', 'g');
    const r = await run('redisQueues.group.autoClaim', ['\u0000new', 'sweeper', DEFAULT, undefined], group);
    assert.equal(r.result, undefined, 'cancelled at the preview');
    const preview = r.ui.asked.find((a) => a.kind === 'pickMany')!;
    assert.match(preview.text, /Auto-claim preview: 3 entries would move to "sweeper".*; 2 POISON \(delivered 5× or more\): consider dead-lettering them instead/);
    assert.deepEqual(preview.items!.map((i) => i.split(' ')[0]), [ids[2], ids[3], ids[4]]);
    assert.match(preview.items![0]!, /alice · idle 10m \d+s · delivered 7× · POISON$/);
    assert.match(preview.items![1]!, /delivered 5× · POISON$/);
    assert.match(preview.items![2]!, /delivered 4×$/);
    // POISON entries start unticked: Enter claims only the others.
    assert.deepEqual(preview.ticked, [false, false, true]);
    assert.match(preview.text, /POISON entries are unticked/);
    assert.equal(await pel(), 6, 'nothing moved');
  });

  it('dead-letters selected entries and replays them to their origin', async () => {
    const nodes = await pendingNodes();
    await run('redisQueues.pending.deadLetter', [DEFAULT, true], nodes[0], [nodes[0], nodes[1]]);
    assert.equal(await client.xlen(`${s}:dlq`), 2);
    assert.equal(await pel(), 4);
    const dlqNode = await path(conn, 'Streams', `${s}:dlq`);
    const dry = await run('redisQueues.dlq.replay', ['all', '100', false], dlqNode);
    assert.match(dry.ui.asked[2]!.text, new RegExp(`Replay 2 dead-lettered entries .* Dry run: 2 → ${s.replace(/[{}]/g, '\\$&')}`));
    assert.equal(await client.xlen(`${s}:dlq`), 2, 'cancelling the replay changes nothing');
    await run('redisQueues.dlq.replay', ['all', '100', true], dlqNode);
    assert.equal(await client.xlen(`${s}:dlq`), 0);
    assert.equal(await client.xlen(s), 12);
    const last = (await client.xrevrange(s, '+', '-', 'COUNT', 1))[0]![1];
    assert.deepEqual(last.slice(0, -1), ['n', '1', 'x-replay-count', '1', 'x-replay-of']);
    assert.equal(last.at(-1), ids[1]);
  });

  it('carries a message whole: quick publish of pairs, dead-letter and replay commands, copy-as-JSON, the entry document', async () => {
    const m = `${prefix}:whole`;
    await client.del(m, `${m}:dlq`);
    // Repeated and integer-like names in their order, a non-UTF-8 name, a user field named like the DLQ bookkeeping, ";" inside a value.
    const pairs = [['z', '1'], ['10', '2'], ['1', '3'], ['z', '4'], [{ base64: Buffer.from([0xff, 0xfe]).toString('base64') }, { base64: Buffer.from([0, 1, 0xff]).toString('base64') }], ['x-dlq-stream', 'mine'], ['__proto__', 'p'], ['cookie', 'sid=abc; theme=dark']];
    const want = fromJsonPairs(pairs);
    const id = (await vscode.commands.executeCommand<string>('redisQueues.publish', { session: api.services.sessions.get(conn) }, { stream: m, fields: JSON.stringify(pairs) }))!;
    const stored = parseEntries(await client.xrangeBuffer(m, id, id))[0]!;
    assert.ok(sameRaw(stored.raw, want), 'quick publish stores the pairs as given');
    await client.xgroup('CREATE', m, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'bob', 'STREAMS', m, '>');
    api.services.provider.refresh();
    const pending = await kids(await path(conn, 'Streams', m, 'Groups', 'g', 'bob'));
    const copied = JSON.parse((await vscode.commands.executeCommand<string>('redisQueues.entry.copyJson', pending[0]))!) as { pairs: unknown };
    assert.ok(sameRaw(fromJsonPairs(copied.pairs), want), 'copy-as-JSON of a pending entry is lossless');
    await run('redisQueues.pending.deadLetter', [DEFAULT, true], pending[0], [pending[0]]);
    const dlqEntry = parseEntries(await client.xrangeBuffer(`${m}:dlq`, '-', '+'))[0]!;
    assert.ok(sameRaw(splitDeadLetter(dlqEntry).raw, want), 'the dead letter keeps the message verbatim');
    api.services.provider.refresh();
    await run('redisQueues.dlq.replay', ['all', '100', true], await path(conn, 'Streams', `${m}:dlq`));
    const back = parseEntries(await client.xrevrangeBuffer(m, '+', '-', 'COUNT', 1))[0]!;
    assert.ok(sameRaw(back.raw, [...want, ...rawOf('x-replay-count', '1', 'x-replay-of', id)]), 'replay writes the message, then its bookkeeping');
    api.services.provider.refresh();
    const entries = await kids(await path(conn, 'Streams', m, 'Entries'));
    const newest = entries.find((e) => idOf(e) === back.id)!;
    assert.ok(newest, `entry ${back.id} in the tree`);
    const json = JSON.parse((await vscode.commands.executeCommand<string>('redisQueues.entry.copyJson', newest))!) as { pairs: unknown };
    assert.ok(sameRaw(fromJsonPairs(json.pairs), back.raw), 'copy-as-JSON of a stream entry is lossless');
    // The entry document (a view) shows every pair in order, repeated names included.
    const doc = (await vscode.commands.executeCommand<vscode.TextDocument>('redisQueues.entry.open', newest))!;
    const shown = JSON.parse(doc.getText()) as { pairs: unknown[] };
    assert.deepEqual(shown.pairs.map((p) => (p as unknown[])[0]).slice(0, 4), ['z', '10', '1', 'z'], 'repeated and integer-like names in order');
    assert.equal(shown.pairs.length, 10);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await client.del(m, `${m}:dlq`);
  });

  it('creates a group, moves it with SETID, and destroys it stating the pending entries lost', async () => {
    const stream = await path(conn, 'Streams', s);
    await run('redisQueues.group.create', ['audit', '0'], stream);
    const groups = (await client.xinfo('GROUPS', s)) as unknown[][];
    assert.ok(groups.some((g) => g[1] === 'audit'));
    const audit = await path(conn, 'Streams', s, 'Groups', 'audit');
    await run('redisQueues.group.setId', [ids[4], true], audit);
    const g = await path(conn, 'Streams', s, 'Groups', 'g');
    const r = await run('redisQueues.group.destroy', [true], g);
    assert.match(r.ui.asked[0]!.text, /Its 1 consumer and 6 pending entries are forgotten/);
    assert.equal(((await client.xinfo('GROUPS', s)) as unknown[]).length, 1);
  });

  it('deletes a consumer only after its pending entries are claimed elsewhere (or forced)', async () => {
    const alice = await path(conn, 'Streams', s, 'Groups', 'g', 'alice');
    const cancelled = await run('redisQueues.consumer.delete', [undefined], alice);
    assert.match(cancelled.ui.asked[0]!.text, /"alice" still holds pending entries/);
    await run('redisQueues.consumer.delete', ['claim', '\u0000new', 'bob', true], alice);
    const consumers = (await client.xinfo('CONSUMERS', s, 'g')) as unknown[][];
    assert.deepEqual(consumers.map((c) => c[1]), ['bob']);
    assert.equal(await pel(), 6);
  });

  it('trims after a preview of removed and still-pending entries', async () => {
    const stream = await path(conn, 'Streams', s);
    const r = await run('redisQueues.stream.trim', ['maxlen', '7', true], stream);
    assert.match(r.ui.asked[2]!.text, /remove 3 entries\? Still pending and would lose their bodies: 3 pending in "g"/);
    assert.equal(await client.xlen(s), 7);
  });

  it('repairs a list queue: requeue a processing job, retry a dead one, delete a job', async () => {
    const q = `${prefix}:mail`;
    const k = listQueueKeys(q);
    await client.lpush(k.processing, 'p1');
    await client.zadd(k.started, Date.now(), 'p1');
    await client.lpush(k.dead, 'd1');
    await client.hset(k.job('d1'), 'x', '1', '__attempts', '5');
    const proc = await kids(await path(conn, 'List queues', q, 'Processing'));
    await run('redisQueues.list.requeue', [true], proc[0], [proc[0]]);
    assert.deepEqual(await client.lrange(k.waiting, 0, -1), ['p1']);
    const dead = await kids(await path(conn, 'List queues', q, 'Dead-letter'));
    await run('redisQueues.list.retryDead', [true], dead[0], [dead[0]]);
    // Now only a waiting list and job hashes are left: the queue is still found (by its job hashes).
    assert.deepEqual(await client.lrange(k.waiting, 0, -1), ['p1', 'd1'], 'requeued and retried jobs go to the end that runs next');
    const waiting = await kids(await path(conn, 'List queues', q, 'Waiting'));
    await run('redisQueues.list.deleteJob', [true], waiting.find((n) => label(n) === 'd1'));
    assert.equal(await client.exists(k.job('d1')), 0);
    assert.deepEqual(await client.lrange(k.waiting, 0, -1), ['p1']);
  });

  it('Filter Streams from the view title (VS Code passes no string) asks for the pattern and sets it', async () => {
    const before = vscode.workspace.getConfiguration('redisQueues').get<string>('streamFilter');
    const r = await run<string>('redisQueues.explorer.setFilter', [`${prefix}:*`], { id: 'redisQueues.explorer' });
    assert.equal(r.result, `${prefix}:*`);
    assert.match(r.ui.asked[0]!.text, /Show streams and list queues whose key matches/);
    const cancelled = await run<string>('redisQueues.explorer.setFilter', [], undefined);
    assert.equal(cancelled.result, before, 'cancel keeps the filter');
  });

  it('copies an entry as JSON and the equivalent redis-cli command', async () => {
    const nodes = await pendingNodes();
    const json = await vscode.commands.executeCommand<string>('redisQueues.entry.copyJson', nodes[0]);
    assert.equal(JSON.parse(json!).fields.n, '0');
    assert.equal(await vscode.env.clipboard.readText(), json);
    const cli = await vscode.commands.executeCommand<string>('redisQueues.copyRedisCli', nodes[0]);
    assert.equal(cli, `redis-cli -u ${process.env.REDIS_URL} XPENDING ${s} g ${ids[0]} ${ids[0]} 1`);
  });

  // ---- dead-letter reason, replay preview, publish without trimming, add-connection test ----

  /** The dead letters of `${s}:dlq`: id → { error, originalId }. */
  const deadLetters = async () =>
    ((await client.xrange(`${s}:dlq`, '-', '+')) as [string, string[]][]).map(([id, flat]) => ({ id, error: flat[flat.indexOf('x-dlq-error') + 1], originalId: flat[flat.indexOf('x-dlq-id') + 1] }));

  it('dead-letter asks for a reason (default "dead-lettered from VS Code") and records it as the error; cancelling it moves nothing', async () => {
    const nodes = await pendingNodes();
    const cancelled = await run('redisQueues.pending.deadLetter', [undefined], nodes[0], [nodes[0]]);
    assert.deepEqual(cancelled.ui.asked.map((a) => a.kind), ['input'], 'nothing asked after the reason was dismissed');
    const q = cancelled.ui.asked[0]!;
    assert.match(q.text, /^Dead-letter 1 pending entry to ".*:dlq": reason Recorded as the error/);
    assert.equal(q.value, 'dead-lettered from VS Code');
    assert.match(q.validate!('  ')!, /A reason is required/);
    assert.equal(await client.exists(`${s}:dlq`), 0);
    assert.equal(await pel(), 6);

    const typed = await run('redisQueues.pending.deadLetter', ['payload has no price', true], nodes[0], [nodes[0], nodes[1]]);
    assert.deepEqual(typed.ui.asked.map((a) => a.kind), ['input', 'confirm']);
    assert.match(typed.ui.asked[1]!.text, /Dead-letter 2 pending entries of group "g" .* the reason "payload has no price"/);
    const kept = await run('redisQueues.pending.deadLetter', [DEFAULT, true], nodes[2], [nodes[2]]);
    assert.equal(kept.ui.asked.length, 2);
    assert.deepEqual((await deadLetters()).map((d) => [d.originalId, d.error]), [[ids[0], 'payload has no price'], [ids[1], 'payload has no price'], [ids[2], 'dead-lettered from VS Code']]);
    assert.equal(await pel(), 3);
  });

  it('replay first previews each entry (error, origin, deliveries, all ticked), then asks the rate (100/s), then confirms; only ticked entries move', async () => {
    const nodes = await pendingNodes();
    await run('redisQueues.pending.deadLetter', ['bad total', true], nodes[0], [nodes[0], nodes[1], nodes[2]]);
    const letters = await deadLetters();
    assert.equal(letters.length, 3);
    const dlqNode = await path(conn, 'Streams', `${s}:dlq`);
    // A prompter that also records which preview items came ticked.
    let ticked: boolean[] = [];
    const ui = scripted([DEFAULT, true]);
    api.services.ui = {
      ...ui,
      async pickMany<T>(items: PickItem<T>[], o: { title: string }) {
        ticked = items.map((i) => Boolean(i.picked));
        ui.asked.push({ kind: 'pickMany', text: o.title, items: items.map((i) => `${i.label} ${i.description ?? ''}`) });
        return [items[0]!.value, items[2]!.value];
      },
    };
    const r = await vscode.commands.executeCommand<{ replayed: { id: string }[] }>('redisQueues.dlq.replay', dlqNode);
    assert.deepEqual(ui.asked.map((a) => a.kind), ['pickMany', 'input', 'confirm'], 'preview, then rate, then confirmation');
    const preview = ui.asked[0]!;
    assert.match(preview.text, /^Replay preview: 3 entries of ".*:dlq" would go back to their origin \(untick to leave some\)/);
    assert.deepEqual(ticked, [true, true, true], 'all ticked by default');
    const esc = s.replace(/[{}]/g, '\\$&');
    for (const [i, item] of preview.items!.entries()) {
      assert.equal(item.split(' ')[0], letters[i]!.id);
      assert.match(item, new RegExp(`→ ${esc} · delivered 1× · bad total$`));
    }
    assert.match(ui.asked[1]!.text, /^Replay rate \(entries per second\)/);
    assert.equal(ui.asked[1]!.value, '100');
    assert.match(ui.asked[2]!.text, new RegExp(`^Replay 2 dead-lettered entries .* Dry run: 2 → ${esc}.* at most 100/s`));
    assert.deepEqual(r!.replayed.map((x) => x.id), [letters[0]!.id, letters[2]!.id]);
    assert.deepEqual((await deadLetters()).map((d) => d.id), [letters[1]!.id], 'the unticked entry stays in the DLQ');
    assert.equal(await client.xlen(s), 12);
  });

  it('replay of DLQ entries multi-selected in the tree previews just those; unticking all moves nothing', async () => {
    const nodes = await pendingNodes();
    await run('redisQueues.pending.deadLetter', [DEFAULT, true], nodes[0], [nodes[0], nodes[1], nodes[2]]);
    const letters = await deadLetters();
    api.services.provider.refresh();
    const entries = await kids(await path(conn, 'Streams', `${s}:dlq`, 'Entries'));
    const pick = (id: string) => entries.find((e) => idOf(e) === id)!;
    const sel = [pick(letters[0]!.id), pick(letters[1]!.id)];
    const none = await run('redisQueues.dlq.replay', [[]], sel[0], sel);
    assert.deepEqual(none.ui.asked.map((a) => a.kind), ['pickMany']);
    assert.deepEqual(none.ui.asked[0]!.items!.map((i) => i.split(' ')[0]), [letters[0]!.id, letters[1]!.id]);
    assert.match(none.ui.asked[0]!.items![0]!, /dead-lettered from VS Code$/);
    assert.equal((await deadLetters()).length, 3, 'nothing ticked: nothing moved');
    const r = await run<{ replayed: { id: string }[] }>('redisQueues.dlq.replay', ['all', '50', true], sel[0], sel);
    assert.match(r.ui.asked[2]!.text, /^Replay 2 dead-lettered entries .* at most 50\/s/);
    assert.deepEqual(r.result!.replayed.map((x) => x.id), [letters[0]!.id, letters[1]!.id]);
    assert.deepEqual((await deadLetters()).map((d) => d.id), [letters[2]!.id]);
  });

  it('Publish Test Message asks only for the fields (stream given), then Publish / Publish with trimming…; trimming only when chosen', async () => {
    const session = { session: api.services.sessions.get(conn) };
    const [[, newest]] = (await client.xrevrange(s, '+', '-', 'COUNT', 1)) as [string, string[]][];
    const plain = await run<string>('redisQueues.publish', ['x=1', false], session, { stream: s });
    assert.ok(plain.result);
    assert.deepEqual(plain.ui.asked.map((a) => a.kind), ['input', 'pick']);
    assert.match(plain.ui.asked[0]!.text, /^Publish to ".*": fields/);
    // The box starts with the stream's newest message (its shape), as a JSON object.
    const shape: Record<string, string> = {};
    for (let i = 0; i < newest!.length; i += 2) shape[newest![i]!] = newest![i + 1]!;
    assert.equal(plain.ui.asked[0]!.value, JSON.stringify(shape));
    // One line holds one field=value: "a=1;b=2" is refused with what it would be and how to write several.
    const validate = plain.ui.asked[0]!.validate!;
    assert.match(validate('a=1;b=2')!, /^This is one field "a" with the value "1;b=2"\. For several fields write a JSON object/);
    assert.equal(validate('a=1'), undefined);
    assert.equal(validate('{"a": "1;b=2"}'), undefined);
    assert.deepEqual(plain.ui.asked[1]!.items, ['$(send) Publish', '$(filter) Publish with trimming…']);
    assert.ok(!plain.ui.asked.some((a) => /trim/i.test(a.text)), 'no question about trimming');
    assert.equal(await client.xlen(s), 11, 'nothing trimmed');
    const trimmed = await run<string>('redisQueues.publish', ['x=2', true, '=4'], session, { stream: s });
    assert.ok(trimmed.result);
    assert.match(trimmed.ui.asked[2]!.text, /^Trim: ~N keeps about N entries/);
    assert.equal(await client.xlen(s), 4, 'trimmed to exactly 4 when asked');
    // args.trim asks for the trim without the pick.
    const flagged = await run<string>('redisQueues.publish', ['x=3', '=3'], session, { stream: s, trim: true });
    assert.deepEqual(flagged.ui.asked.map((a) => a.kind), ['input', 'input']);
    assert.equal(await client.xlen(s), 3);
  });
});
