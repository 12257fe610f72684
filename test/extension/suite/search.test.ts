// Find Messages and Go to Time inside a real VS Code against a real Redis: each kind of search
// finds exactly the seeded matches (and nothing else) across page boundaries, in the Search
// Results view; pending searches (a group's, a consumer's) and dead-letter searches; a cancel
// stops the walk (no more XRANGE calls); Find More / Resume go on without reading an entry twice;
// the entry actions work from a result row; a read-only connection (and an ACL user that may only
// read) can search; recent searches are kept; Go to Time shows the entries around a moment and
// pages both ways.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { open, quit } from '../../../src/core/redis/connection';
import { fromJsonPairs, sameRaw } from '../../../src/core/messages/message';
import * as ops from '../../../src/core/ops';
import { splitDeadLetter } from '../../../src/core/queue/stream/deadLetter';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import { RECENT_MAX, recentSearches, rememberSearch } from '../../../src/vscode/search/recent';
import type { SearchRun } from '../../../src/vscode/search/searchRun';
import type { Node } from '../../../src/vscode/tree/node';
import type { PickItem, Prompter } from '../../../src/vscode/ui';
import { commandFailure, ctxv, desc, idOf as rowId, label, tree, until } from '../helpers';

const EXT = 'redis-queues.redis-queues';
let api: RedisQueuesApi;
const { kids, path } = tree(() => api);

/** Answers prompts from a script, in order; records each question. Runs out → cancel. */
function scripted(answers: unknown[], withQuery?: (o: { recent: string[]; validate(v: string): string | undefined }) => string | undefined): Prompter & { asked: { kind: string; text: string; validate?: (v: string) => string | undefined; recent?: string[] }[] } {
  const asked: { kind: string; text: string; validate?: (v: string) => string | undefined; recent?: string[] }[] = [];
  const next = () => answers.shift();
  const p: Prompter & { asked: typeof asked } = {
    asked,
    async pick<T>(items: PickItem<T>[], o: { title: string }) {
      asked.push({ kind: 'pick', text: `${o.title}: ${items.map((i) => i.label).join(' | ')}` });
      const a = next();
      return typeof a === 'function' ? (a as (i: PickItem<T>[]) => T)(items) : (a as T | undefined);
    },
    async pickMany<T>(items: PickItem<T>[], o: { title: string }) {
      asked.push({ kind: 'pickMany', text: o.title });
      const a = next();
      return a === 'all' ? items.map((i) => i.value) : (a as T[] | undefined);
    },
    async input(o: { title: string; prompt?: string; validate?: (v: string) => string | undefined }) {
      asked.push({ kind: 'input', text: `${o.title} ${o.prompt ?? ''}`, validate: o.validate });
      return next() as string | undefined;
    },
    async confirm(message: string, detail: string) {
      asked.push({ kind: 'confirm', text: `${message} ${detail}` });
      return next() === true;
    },
    info: () => undefined,
    warn: () => undefined,
  };
  if (withQuery) {
    p.query = async (o) => {
      asked.push({ kind: 'query', text: o.title, validate: o.validate, recent: o.recent });
      return withQuery(o);
    };
  }
  return p;
}

/** Runs a command with scripted answers. */
async function run<T>(command: string, answers: unknown[], ...args: unknown[]): Promise<{ result: T | undefined; ui: ReturnType<typeof scripted> }> {
  const ui = scripted(answers);
  api.services.ui = ui;
  const result = await vscode.commands.executeCommand<T>(command, ...args);
  return { result, ui };
}

/** Runs a command expecting it to fail; returns the error (see commandFailure). */
async function failure(command: string, ...args: unknown[]): Promise<Error> {
  return commandFailure(api, () => vscode.commands.executeCommand(command, ...args), command);
}

describe('(extension) find messages and go to time', function () {
  this.timeout(120_000);
  let client: Redis;
  const prefix = `find-${randomUUID().slice(0, 8)}`;
  const conn = `find-${prefix}`;
  const ro = `find-ro-${prefix}`;
  const aclUser = `rq-reader-${prefix}`;
  const aclPassword = `pw-${randomUUID()}`;
  const S = `${prefix}:orders`;
  const DLQ = `${S}:dlq`;
  const G = `${prefix}:timeline`;
  const N = 2500;
  /** Entry i of S has id T0 + i seconds. */
  const T0 = 1_700_000_000_000;
  const idOf = (i: number) => `${T0 + i * 1000}-0`;
  const iso = (i: number) => new Date(T0 + i * 1000).toISOString();
  /** Ids of S matching `pred`, newest first (the default order). */
  const newest = (pred: (i: number) => boolean) => Array.from({ length: N }, (_, k) => N - 1 - k).filter(pred).map(idOf);

  const search = async (args: Record<string, unknown>): Promise<SearchRun> => {
    const r = await vscode.commands.executeCommand<SearchRun>('redisQueues.search', { connection: conn, stream: S, ...args });
    assert.ok(r, `the search ${JSON.stringify(args)} returned nothing (it failed: see the extension host log)`);
    return r;
  };
  const hitIds = (r: SearchRun) => r.hits.map((h) => h.entry.id);
  /** The result rows of a search in the view (the hits, then Find More / Resume / No matches). */
  const rows = async (r: SearchRun): Promise<Node[]> => {
    const node = (await api.services.search.getChildren()).find((n) => (n as unknown as { run?: SearchRun }).run === r);
    assert.ok(node, 'the search has a row in the Search Results view');
    return api.services.search.getChildren(node);
  };
  const rootOf = async (r: SearchRun): Promise<Node> => (await api.services.search.getChildren()).find((n) => (n as unknown as { run?: SearchRun }).run === r)!;
  const statCalls = async (): Promise<number> => {
    const t = String(await client.info('commandstats'));
    const n = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(t)?.[1] ?? 0);
    return n('xrange') + n('xrevrange') + n('xpending');
  };

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    client = (await open({ url: process.env.REDIS_URL! })) as Redis;
    const cfg = vscode.workspace.getConfiguration('redisQueues');
    await cfg.update('streamFilter', `${prefix}:*`, vscode.ConfigurationTarget.Global);
    await cfg.update('refreshIntervalSeconds', 0, vscode.ConfigurationTarget.Global);
    await cfg.update('pageSize', 10, vscode.ConfigurationTarget.Global);
    // A user that may only read (and connect): a search that sent anything else would fail NOPERM.
    await client.call('ACL', 'SETUSER', aclUser, 'on', `>${aclPassword}`, '~*', '&*', '-@all', '+@read', '+@connection', '+info');
    const url = new URL(process.env.REDIS_URL!);
    for (const [name, extra] of [
      [conn, {}],
      [ro, { readOnly: true, url: `redis://${url.host}`, username: aclUser, password: aclPassword }],
    ] as const) {
      await vscode.commands.executeCommand('redisQueues.connection.add', { name, url: process.env.REDIS_URL!, ...extra });
      await until(name, () => Boolean(api.services.sessions.get(name)));
    }
    // S: 2,500 entries one second apart, with known matches of each kind spread over the stream.
    const p = client.pipeline();
    for (let i = 0; i < N; i++) {
      const f: (string | Buffer)[] = ['n', String(i), 'status', i % 250 === 7 ? 'failed' : 'ok'];
      f.push('note', i % 500 === 13 ? `read timeout after ${i}ms` : i % 500 === 14 ? 'time out' : 'fine');
      f.push('code', i % 400 === 21 ? `E${100 + (i % 900)}` : i % 400 === 22 ? 'E12' : 'none');
      f.push('payload', JSON.stringify({ sku: i % 300 === 5 ? 'kb' : i % 300 === 6 ? 'kbd' : 'mouse', qty: i }));
      if (i % 300 === 6) f.push('comment', '"sku":"kb"');
      if (i === 257) f.push('blob', Buffer.from([0xff, 0x00, 0xfe]));
      p.xadd(S, idOf(i), ...(f as string[]));
    }
    for (let i = 0; i < 300; i++) p.xadd(G, `${T0 + i * 1000}-0`, 'n', String(i));
    await p.exec();
    // A group: alice holds 0..29 (3 and 4 delivered twice), bob 30..59; 50, 51, 52 dead-lettered.
    await client.xgroup('CREATE', S, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'alice', 'COUNT', 30, 'STREAMS', S, '>');
    await client.xreadgroup('GROUP', 'g', 'bob', 'COUNT', 30, 'STREAMS', S, '>');
    await client.xclaim(S, 'g', 'alice', 0, idOf(3), idOf(4));
    const t = { client, name: conn };
    await ops.deadLetter(t, S, 'g', [idOf(50), idOf(51)], { reason: 'read timeout after 3s' });
    await ops.deadLetter(t, S, 'g', [idOf(52)], { reason: 'bad payload' });
  });

  after(async () => {
    api.services.ui = (await import('../../../src/vscode/ui')).vscodePrompter;
    api.services.search.clear();
    for (const name of [conn, ro]) await vscode.commands.executeCommand('redisQueues.connection.remove', name, { confirm: false });
    const cfg = vscode.workspace.getConfiguration('redisQueues');
    for (const k of ['streamFilter', 'refreshIntervalSeconds', 'pageSize']) await cfg.update(k, undefined, vscode.ConfigurationTarget.Global);
    await client.del(S, DLQ, G, `${prefix}:str`);
    await client.call('ACL', 'DELUSER', aclUser);
    await quit(client);
  });

  it('a cancel stops the walk before its next call (no more XRANGE after it); Resume goes on without reading an entry twice', async () => {
    const text = `nomatch=${prefix}`;
    const cts = new vscode.CancellationTokenSource();
    // Cancel as soon as the first page was examined (the event fires synchronously from the walk).
    const sub = api.services.search.onDidChange((r) => {
      if (r.text === text && r.running && r.examined > 0) cts.cancel();
    });
    let r: SearchRun;
    try {
      r = await search({ query: text, token: cts.token });
    } finally {
      sub.dispose();
    }
    assert.equal(r.state, 'cancelled');
    assert.equal(r.summary!.stopped, 'cancelled');
    assert.ok(r.examined > 0 && r.examined < N, `examined ${r.examined} of ${N}`);
    assert.ok(r.resumable);
    assert.match(desc(await rootOf(r)), /^0 matches · stopped at \d+ % · Resume$/);
    const after = await statCalls();
    // The walk's connection is closed: nothing of it can call Redis any more.
    await until('the search connection to close', async () => !String(await client.call('CLIENT', 'LIST')).includes('name=redis-queues-vscode-search'));
    assert.equal(await statCalls(), after, 'XRANGE / XREVRANGE calls after the cancel');
    // Resume: the rest of the stream, each entry examined once.
    const resumed = await vscode.commands.executeCommand<SearchRun>('redisQueues.search.findMore', await rootOf(r));
    assert.equal(resumed, r);
    assert.equal(r.state, 'end');
    assert.equal(r.examined, N);
    assert.deepEqual(r.hits, []);
    assert.deepEqual((await rows(r)).map(label), ['No matches']);
    cts.dispose();
  });

  it('each kind of search finds exactly the seeded matches, newest first, across page boundaries', async () => {
    const cases: [string, (i: number) => boolean][] = [
      ['status=failed', (i) => i % 250 === 7],
      ['note~timeout', (i) => i % 500 === 13],
      ['code=/^E\\d{3}$/', (i) => i % 400 === 21],
      ['note=/time ?out/', (i) => i % 500 === 13 || i % 500 === 14],
      ['payload.sku == "kb"', (i) => i % 300 === 5],
      [`since:${iso(1200)} until:${iso(1249)}`, (i) => i >= 1200 && i <= 1249],
      [`from:${idOf(2000)} to:${idOf(2009)}`, (i) => i >= 2000 && i <= 2009],
      [`status=failed since:${iso(500)}`, (i) => i % 250 === 7 && i >= 500],
    ];
    for (const [query, pred] of cases) {
      const want = newest(pred);
      for (const maxPage of [undefined, 10]) {
        const r = await search({ query, maxPage });
        assert.equal(r.state, 'end', `${query}: ${r.state} ${r.error?.message ?? ''}`);
        assert.deepEqual(hitIds(r), want, `${query} (pages up to ${maxPage ?? 1000})`);
        assert.ok(r.summary!.largestPage <= (maxPage ?? 1000));
      }
      // The view shows the same hits, as entry rows with the explorer's context value.
      const r = api.services.search.list()[0]!;
      const shown = await rows(r);
      assert.deepEqual(shown.map(rowId), want, query);
      assert.ok(shown.every((n) => ctxv(n) === 'streamEntry'));
      // Each row leads with the field it was found by (status, note, code and payload are not first in the message).
      const named = /^(\w+)(?:\.\w+)?\s*(?:==|=|~)/.exec(query)?.[1];
      if (named) assert.ok(shown.every((n) => desc(n).startsWith(`${named}=`)), `${query}: the matched field leads: ${desc(shown[0]!)}`);
      const root = await rootOf(r);
      assert.equal(label(root), `${query} in ${S}`);
      assert.match(desc(root), new RegExp(`^${want.length} match(es)? · [\\d,]+ examined · done$`));
    }
    // Oldest first.
    const oldest = await search({ query: 'status=failed', order: 'oldest' });
    assert.deepEqual(hitIds(oldest), newest((i) => i % 250 === 7).reverse());
    const typed = await search({ query: 'status=failed order:oldest limit:3' });
    assert.deepEqual(hitIds(typed), newest((i) => i % 250 === 7).reverse().slice(0, 3));
    assert.equal(typed.state, 'limit');
  });

  it('stops at the limit (redisQueues.search.limit, 100) with Find More, which goes on for as many again', async () => {
    const want = newest((i) => String(i).includes('1'));
    const r = await search({ query: 'n~1' });
    assert.equal(r.state, 'limit');
    assert.deepEqual(hitIds(r), want.slice(0, 100));
    const shown = await rows(r);
    assert.equal(shown.length, 101);
    assert.match(label(shown[100]!), /^Find More…$/);
    assert.match(desc(shown[100]!), new RegExp(`^the next 100 matches, after ${want[99]}$`));
    assert.match(desc(await rootOf(r)), /^100 matches · stopped at 100 \(limit\) · Find More$/);
    const tipOf = async () => String(((await rootOf(r)).item().tooltip as string | undefined) ?? '');
    assert.match(await tipOf(), /, stopping at 100 matches\n/);
    await vscode.commands.executeCommand('redisQueues.search.findMore', await rootOf(r));
    assert.deepEqual(hitIds(r), want.slice(0, 200));
    // The tooltip says where this batch stopped, not the first one's limit.
    assert.match(await tipOf(), /, stopping at 200 matches \(Find More adds 100 each time\)\n/);
    assert.match(desc(await rootOf(r)), /^200 matches · stopped at 200 \(limit\) · Find More$/);
    // The view's rows are the same objects as before, plus the new ones.
    const again = await rows(r);
    assert.equal(again[0], shown[0]);
    assert.deepEqual(again.slice(0, 200).map(rowId), want.slice(0, 200));
    const small = await search({ query: 'n~1', limit: 7 });
    assert.deepEqual(hitIds(small), want.slice(0, 7));
  });

  it("searches a group's pending entries (from its row), a consumer's (from its row), and by owner and deliveries", async () => {
    const q = 'n=/^(7|37|53)$/';
    const group = await path(conn, 'Streams', S, 'Groups', 'g');
    const g = (await run<SearchRun>('redisQueues.search', [], group, [group], { query: q })).result!;
    assert.deepEqual(hitIds(g), [idOf(7), idOf(37), idOf(53)], 'in PEL order');
    assert.deepEqual(g.hits.map((h) => h.pending!.consumer), ['alice', 'bob', 'bob']);
    assert.equal(label(await rootOf(g)), `${q} in ${S} › g (pending)`);
    const shown = await rows(g);
    assert.ok(shown.every((n) => ctxv(n) === 'pendingEntry'));
    assert.match(desc(shown[1]!), /^bob · 1× · idle [^·]+ · n=37 /);
    const bob = await path(conn, 'Streams', S, 'Groups', 'g', 'bob');
    const b = (await run<SearchRun>('redisQueues.search', [], bob, [bob], { query: q })).result!;
    assert.deepEqual(hitIds(b), [idOf(37), idOf(53)]);
    assert.equal(label(await rootOf(b)), `${q} in ${S} › g › bob (pending)`);
    const twice = await search({ group: 'g', query: 'consumer:alice deliveries:2' });
    assert.deepEqual(hitIds(twice), [idOf(3), idOf(4)]);
    assert.deepEqual(twice.hits.map((h) => h.pending!.deliveries), [2, 2]);
    // Dead-lettered entries left the PEL.
    const none = await search({ group: 'g', query: 'n=/^5[0-2]$/' });
    assert.deepEqual(hitIds(none), []);
  });

  it('searches a dead-letter stream by its bookkeeping and by the original message', async () => {
    const dlqStream = await path(conn, 'Streams', DLQ);
    const r = (await run<SearchRun>('redisQueues.search', [], dlqStream, [dlqStream], { query: 'x-dlq-error~timeout' })).result!;
    assert.deepEqual(r.hits.map((h) => splitDeadLetter(h.entry).originalId), [idOf(51), idOf(50)]);
    const shown = await rows(r);
    assert.ok(shown.every((n) => ctxv(n) === 'streamEntry;dlq'));
    assert.match(desc(shown[0]!), /^read timeout after 3s · from .* \(\d+-0\) · 1× · /);
    const byBody = await search({ stream: DLQ, query: 'n=52 status=ok' });
    assert.deepEqual(byBody.hits.map((h) => splitDeadLetter(h.entry).originalId), [idOf(52)]);
  });

  it('the entry actions work from result rows: open, copy as JSON (every byte), ack, claim, dead-letter, replay', async () => {
    const failed = await search({ query: 'status=failed has:blob' });
    assert.deepEqual(hitIds(failed), [idOf(257)]);
    const [hit] = await rows(failed);
    const doc = await vscode.commands.executeCommand<vscode.TextDocument>('redisQueues.entry.open', hit);
    assert.match(doc.getText(), new RegExp(`"id": "${idOf(257)}"`));
    assert.match(doc.getText(), new RegExp(`"stream": "${S}"`));
    const json = await vscode.commands.executeCommand<string>('redisQueues.entry.copyJson', hit);
    const copied = JSON.parse(json) as { id: string; stream: string; pairs: unknown };
    assert.equal(copied.id, idOf(257));
    assert.equal(copied.stream, S);
    assert.ok(sameRaw(fromJsonPairs(copied.pairs), (await client.xrangeBuffer(S, idOf(257), idOf(257)))[0]![1]));
    assert.equal(await vscode.env.clipboard.readText(), json);

    const pending = await search({ group: 'g', query: 'n=/^(7|37|53)$/' });
    const [p7, p37, p53] = await rows(pending);
    const acked = await run<{ acked: number }>('redisQueues.pending.ack', [true], p7, [p7]);
    assert.match(acked.ui.asked[0]!.text, /^Acknowledge 1 pending entry in group "g"/);
    assert.equal(acked.result!.acked, 1);
    assert.deepEqual(await client.xpending(S, 'g', idOf(7), idOf(7), 1), []);
    assert.match(desc(p7!), /^\[acknowledged\] alice · /);
    const claimed = await run<{ claimed: string[] }>('redisQueues.pending.claim', [true], p37, [p37], { consumer: 'carol', minIdleMs: 0 });
    assert.deepEqual(claimed.result!.claimed, [idOf(37)]);
    assert.equal(((await client.xpending(S, 'g', idOf(37), idOf(37), 1)) as [string, string][])[0]![1], 'carol');
    assert.match(desc(p37!), /^\[claimed by carol\] bob · /);
    const dl = await run<{ moved: { id: string }[] }>('redisQueues.pending.deadLetter', [true], p53, [p53], { reason: 'from a search' });
    assert.deepEqual(dl.result!.moved.map((m) => m.id), [idOf(53)]);
    assert.match(desc(p53!), new RegExp(`^\\[dead-lettered to ${DLQ.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\] bob · `));

    // Replay that dead letter from a search of the dead-letter stream.
    const dead = await search({ stream: DLQ, query: 'x-dlq-error="from a search"' });
    const [record] = await rows(dead);
    assert.equal(ctxv(record!), 'streamEntry;dlq');
    const replayed = await run<{ replayed: { id: string; newId: string }[] }>('redisQueues.dlq.replay', ['all', true], record, [record], { ratePerSecond: 1000 });
    assert.equal(replayed.result!.replayed.length, 1);
    const newId = replayed.result!.replayed[0]!.newId;
    const back = (await client.xrange(S, newId, newId))[0]![1];
    assert.deepEqual(back.slice(-4), ['x-replay-count', '1', 'x-replay-of', idOf(53)]);
    assert.match(desc(record!), /^\[replayed\] /);
    assert.equal(await client.xlen(DLQ), 3);
    await client.xdel(S, newId);
  });

  it('a read-only connection, as a user that may only read, can search (only reads are sent)', async () => {
    assert.equal(api.services.sessions.get(ro)!.readOnly, true);
    const r = await search({ connection: ro, query: 'status=failed' });
    assert.equal(r.state, 'end', r.error?.message);
    assert.deepEqual(hitIds(r), newest((i) => i % 250 === 7));
    const p = await search({ connection: ro, group: 'g', query: 'consumer:alice deliveries:2' });
    assert.equal(p.state, 'end', p.error?.message);
    assert.deepEqual(hitIds(p), [idOf(3), idOf(4)]);
    // Writes from a result row are still refused before anything is sent.
    const [row] = await rows(p);
    api.services.ui = scripted([]);
    const e = await failure('redisQueues.pending.ack', row, [row]);
    assert.match(e.message, /read-only: .* was refused before anything was sent/);
  });

  it('errors read well: a key of another type, a missing stream or group, a query it cannot read (nothing runs)', async () => {
    await client.set(`${prefix}:str`, 'x');
    api.services.ui = scripted([]);
    const wrong = await failure('redisQueues.search', { connection: conn, stream: `${prefix}:str`, query: 'a=b' });
    assert.match(wrong.message, /Key "[^"]+:str" is a string, not a stream/);
    const r = api.services.search.list()[0]!;
    assert.equal(r.state, 'error');
    assert.match(desc(await rootOf(r)), /· failed$/);
    assert.match(label((await rows(r))[0]!), /is a string, not a stream/);
    assert.match((await failure('redisQueues.search', { connection: conn, stream: `${prefix}:missing`, query: 'a=b' })).message, /There is no stream "[^"]+:missing"/);
    assert.match((await failure('redisQueues.search', { connection: conn, stream: S, group: 'nope', query: 'a=b' })).message, /No consumer group "nope"/);
    const before = api.services.search.list().length;
    assert.match((await failure('redisQueues.search', { connection: conn, stream: S, query: 'note=/(/' })).message, /regular expression \/\(\/ is not valid/);
    assert.match((await failure('redisQueues.search', { connection: conn, stream: S, query: 'consumer:alice' })).message, /apply to pending entries/);
    assert.equal(api.services.search.list().length, before, 'no search was started');
  });

  it('the search box explains a text it cannot search, offers the recent searches (most recent first, once each), and keeps at most 20', async () => {
    const stream = await path(conn, 'Streams', S);
    const first = await run<SearchRun>('redisQueues.search', ['status=failed'], stream, [stream]);
    const asked = first.ui.asked[0]!;
    assert.equal(asked.kind, 'input');
    // The examples come from the stream's newest message, so they match something there.
    assert.match(asked.text, new RegExp(`^Find messages in "${S}" e\\.g\\. status=ok {2}n>\\d+ {2}payload\\.sku == "\\w+" {2}since:15m`));
    assert.match(asked.validate!('note=/(/')!, /regular expression/);
    assert.match(asked.validate!('since:25:99')!, /Cannot read "25:99" as a time/);
    assert.match(asked.validate!('payload.sku ==')!, /has no value after ==/);
    assert.match(asked.validate!('idle:5m')!, /apply to pending entries/);
    assert.equal(asked.validate!('status=ok note~"a b"'), undefined);
    assert.deepEqual(hitIds(first.result!), newest((i) => i % 250 === 7));
    // With the search box: the recent searches of this connection, most recent first, once each.
    await run('redisQueues.search', [], stream, [stream], { query: 'note~timeout' });
    let offered: string[] = [];
    const ui = scripted([], (o) => {
      offered = o.recent;
      return o.recent[1];
    });
    api.services.ui = ui;
    const again = await vscode.commands.executeCommand<SearchRun>('redisQueues.search', stream, [stream]);
    assert.equal(offered[0], 'note~timeout');
    assert.equal(offered.filter((t) => t === 'status=failed').length, 1);
    assert.equal(again.text, offered[1]);
    assert.equal(recentSearches(api.services.context.globalState, conn)[0], offered[1], 'the one run moves first');
    assert.equal(new Set(recentSearches(api.services.context.globalState, conn)).size, recentSearches(api.services.context.globalState, conn).length);
    // At most RECENT_MAX per connection.
    const other = `${prefix}-other`;
    for (let i = 0; i < RECENT_MAX + 5; i++) await rememberSearch(api.services.context.globalState, other, `n=${i}`);
    const kept = recentSearches(api.services.context.globalState, other);
    assert.equal(kept.length, RECENT_MAX);
    assert.equal(kept[0], `n=${RECENT_MAX + 4}`);
    // The "?" of the search box: the syntax, as a read-only markdown page.
    const help = await vscode.commands.executeCommand<vscode.Uri>('redisQueues.search.help');
    const page = await vscode.workspace.openTextDocument(help);
    assert.match(page.getText(), /\| `payload\.sku == "kb"` \| the JSON path `sku` in the field `payload`/);
    assert.match(page.getText(), /\| `since:14:00 until:14:05`, `since:1h ago` \|/);
    // From the palette: connection, then a stream picked (or typed).
    const palette = await run<SearchRun>('redisQueues.search', [(items: PickItem<unknown>[]) => items.find((i) => i.label === conn)!.value, S, 'status=failed']);
    assert.deepEqual(palette.ui.asked.map((a) => a.kind), ['pick', 'pick', 'input']);
    assert.match(palette.ui.asked[1]!.text, /^Stream: \$\(edit\) Type a stream name… \| /);
    assert.equal(palette.result!.hits.length, 10);
  });

  it('keeps the last searches in the view (newest first); Remove and Clear take them out', async () => {
    const list = api.services.search.list();
    assert.ok(list.length <= 10);
    const roots = await api.services.search.getChildren();
    assert.deepEqual(roots.map((n) => (n as unknown as { run: SearchRun }).run), list);
    await vscode.commands.executeCommand('redisQueues.search.remove', roots[0]);
    assert.equal(api.services.search.list()[0], list[1]);
    await vscode.commands.executeCommand('redisQueues.search.clear');
    assert.deepEqual(await api.services.search.getChildren(), []);
  });

  it('Go to Time shows the entries around a moment, newest first, and pages both ways; Back to Newest resets', async () => {
    const gid = (i: number) => `${T0 + i * 1000}-0`;
    const range = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, k) => gid(from - k));
    const folder = await path(conn, 'Streams', G, 'Entries');
    const at = new Date(T0 + 150_000).toISOString();
    const asked = await run('redisQueues.entries.goToTime', [at], folder);
    assert.match(asked.ui.asked[0]!.text, /^Go to time in ".*:timeline" The entries around a moment: an ISO date/);
    assert.match(asked.ui.asked[0]!.validate!('25:99')!, /Cannot read "25:99" as a time/);
    assert.equal(asked.ui.asked[0]!.validate!('15m'), undefined);
    const entries = await path(conn, 'Streams', G, 'Entries');
    assert.match(desc(entries), /^around \d{4}-\d\d-\d\d \d\d:\d\d:\d\d · newest first$/);
    assert.equal(ctxv(entries), 'entries;at');
    const rowsNow = async () => kids(await path(conn, 'Streams', G, 'Entries'));
    let shown = (await kids(entries)).map(rowId);
    // A few newer entries above the moment (5: its row stays near the top), older below (10, the page size).
    assert.deepEqual(shown, ['Back to Newest', 'Newer…', ...range(154, 150), shown[7], ...range(149, 140), 'Older…']);
    assert.match(shown[7]!, /^── \d{4}-\d\d-\d\d \d\d:\d\d:\d\d ──$/);
    // The moment's row says how far the nearest entries are (one at the moment itself: "0ms later").
    const moment = (await rowsNow())[7]!;
    assert.match(desc(moment), /^next \d+ms later · previous 1s earlier$/);
    // It is scrolled to and selected.
    await until('the moment row selected', () => api.services.view.selection.some((n) => n.id === moment.id), 10_000);
    const action = async (name: string) => (await rowsNow()).find((n) => label(n) === name)!;
    await vscode.commands.executeCommand('redisQueues.entries.newer', (await action('Newer…')).parent);
    shown = (await rowsNow()).map(rowId);
    assert.deepEqual(shown.slice(2, 17), range(164, 150));
    await vscode.commands.executeCommand('redisQueues.entries.older', (await action('Older…')).parent);
    shown = (await rowsNow()).map(rowId);
    assert.deepEqual(shown.slice(18, 38), range(149, 130));
    assert.equal(shown.length, 39);
    // A gap in the stream is said: at T0 + 150.5 s the nearest entries are 0.5 s away on each side.
    await vscode.commands.executeCommand('redisQueues.entries.goToTime', await path(conn, 'Streams', G, 'Entries'), { at: String(T0 + 150_500) });
    assert.match(desc((await rowsNow()).find((n) => /^── /.test(label(n)))!), /^next 500ms later · previous 500ms earlier$/);
    // Near the end: no "Newer…" (nothing more towards now).
    await vscode.commands.executeCommand('redisQueues.entries.goToTime', await path(conn, 'Streams', G, 'Entries'), { at: String(T0 + 295_000) });
    shown = (await kids(await path(conn, 'Streams', G, 'Entries'))).map(rowId);
    assert.deepEqual(shown.slice(0, 6), ['Back to Newest', ...range(299, 295)]);
    // Back to Newest: the default listing again.
    await vscode.commands.executeCommand('redisQueues.entries.backToNewest', await path(conn, 'Streams', G, 'Entries'));
    const back = await path(conn, 'Streams', G, 'Entries');
    assert.equal(desc(back), 'newest first');
    shown = (await kids(back)).map(rowId);
    assert.deepEqual(shown.slice(0, 10), range(299, 290));
    assert.match(shown[10]!, /^Load more entries/);
    // Before the first entry: nothing older, the newest side starts at the first entry.
    await vscode.commands.executeCommand('redisQueues.entries.goToTime', back, { at: String(T0 - 60_000) });
    shown = (await kids(await path(conn, 'Streams', G, 'Entries'))).map(rowId);
    assert.deepEqual(shown.slice(-2), [gid(0), shown[shown.length - 1]]);
    assert.match(shown[shown.length - 1]!, /^── /);
    await vscode.commands.executeCommand('redisQueues.entries.backToNewest', await path(conn, 'Streams', G, 'Entries'));
  });
});
