// Export and import of messages, inside a real VS Code against a real Redis: a stream of hostile
// messages (binary names and values, repeated names, __proto__, empty names and values, order)
// exported to NDJSON and imported back with new ids and with the original ids, compared byte for
// byte with XRANGE; selected rows, a time range, an id range, a dead-letter stream and a search's
// results exported; a read-only connection exports but refuses to import before sending anything;
// a production connection asks to type the stream's name. Dialogs are replaced by the commands'
// arguments ({ file, mode, ratePerSec, range, since, until, from, to }).
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { open, quit } from '../../../src/core/redis/connection';
import { fromJsonPairs } from '../../../src/core/messages/message';
import { deadLetter } from '../../../src/core/ops';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import type { ExportSummary, ImportSummary } from '../../../src/vscode/commands/transfer';
import type { PickItem, Prompter } from '../../../src/vscode/ui';
import { commandFailure, tree, until } from '../helpers';

const EXT = 'redis-queues.redis-queues';

/** Answers prompts in order, recording them; runs out → cancel. */
function scripted(answers: unknown[]): Prompter & { asked: string[]; infos: string[] } {
  const asked: string[] = [];
  const infos: string[] = [];
  return {
    asked,
    infos,
    async pick<T>(items: PickItem<T>[], o: { title: string }) {
      asked.push(`pick: ${o.title}`);
      const a = answers.shift();
      return typeof a === 'function' ? (a as (i: PickItem<T>[]) => T)(items) : (a as T | undefined);
    },
    async pickMany() {
      return undefined;
    },
    async input(o: { title: string; prompt?: string }) {
      asked.push(`input: ${o.title} ${o.prompt ?? ''}`);
      return answers.shift() as string | undefined;
    },
    async confirm(message: string, detail: string) {
      asked.push(`confirm: ${message} ${detail}`);
      return answers.shift() === true;
    },
    info: (m: string) => void infos.push(m),
    warn: (m: string) => void infos.push(m),
  };
}

type Raw = [string, Buffer[]][];

describe('(extension) export and import of messages', function () {
  this.timeout(60_000);
  let api: RedisQueuesApi;
  let client: Redis;
  let dir: string;
  const prefix = `transfer-${randomUUID().slice(0, 8)}`;
  const conn = `tc-${prefix}`;
  const ro = `tro-${prefix}`;
  const prod = `tprod-${prefix}`;
  const { path, kids } = tree(() => api);
  const hostile = `${prefix}:hostile`;
  let hostileIds: string[] = [];

  /** The messages: binary name and value, repeated names, __proto__, empty name and value, order, text with newlines and quotes. */
  const MESSAGES: (string | Buffer)[][] = [
    [Buffer.from([0xc3, 0x28]), Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a]), 'text', 'ok'],
    ['a', '1', 'a', '2', 'a', '3'],
    ['__proto__', 'polluted', 'constructor', '{"x":1}', 'toString', ''],
    ['', 'empty name', 'empty value', ''],
    ['z', '1', 'y', '2', 'x', '3', 'z', '4'],
    ['kind', 'needle', 'text', 'line1\nline2\r\n\t"quoted" \u2028 😀 ünïcødé'],
  ];

  const file = (name: string) => join(dir, name);
  const rawOf = async (key: string): Promise<Raw> => ((await client.xrangeBuffer(key, '-', '+')) as unknown as [Buffer, Buffer[]][]).map(([id, f]) => [id.toString(), f]);
  const sameBytes = (a: Raw, b: Raw) => a.length === b.length && a.every(([, f], i) => f.length === b[i]![1].length && f.every((x, j) => x.equals(b[i]![1][j]!)));
  const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const xadds = async () => Number(/cmdstat_xadd:calls=(\d+)/.exec(String(await client.info('commandstats')))?.[1] ?? 0);
  const pickConn = (name: string) => (items: PickItem<unknown>[]) => items.find((i) => i.label === name)!.value;

  async function run<T>(command: string, answers: unknown[], ...args: unknown[]): Promise<{ result: T | undefined; ui: ReturnType<typeof scripted> }> {
    const ui = scripted(answers);
    api.services.ui = ui;
    const result = await vscode.commands.executeCommand<T>(command, ...args);
    return { result, ui };
  }

  /** Runs a command that must fail; returns its error. */
  async function failing(command: string, ...args: unknown[]): Promise<Error> {
    return commandFailure(api, () => vscode.commands.executeCommand(command, ...args), command);
  }

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    client = (await open({ url: process.env.REDIS_URL! })) as Redis;
    dir = mkdtempSync(join(tmpdir(), 'rq-transfer-'));
    await vscode.workspace.getConfiguration('redisQueues').update('streamFilter', `${prefix}:*`, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('redisQueues').update('refreshIntervalSeconds', 0, vscode.ConfigurationTarget.Global);
    for (const [name, extra] of [[conn, {}], [ro, { readOnly: true }], [prod, { production: true }]] as const) {
      await vscode.commands.executeCommand('redisQueues.connection.add', { name, url: process.env.REDIS_URL!, ...extra });
      await until(name, () => Boolean(api.services.sessions.get(name)));
    }
    hostileIds = [];
    for (const m of MESSAGES) hostileIds.push(String(await client.xadd(hostile, '*', ...m)));
  });
  afterEach(async () => {
    api.services.ui = (await import('../../../src/vscode/ui')).vscodePrompter;
  });
  after(async () => {
    for (const name of [conn, ro, prod]) await vscode.commands.executeCommand('redisQueues.connection.remove', name, { confirm: false });
    await vscode.workspace.getConfiguration('redisQueues').update('streamFilter', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('redisQueues').update('refreshIntervalSeconds', undefined, vscode.ConfigurationTarget.Global);
    rmSync(dir, { recursive: true, force: true });
    await quit(client);
  });

  it('exports a whole stream of hostile messages, imports it with new ids and with the original ids: byte-exact both ways; kept ids again skip every line', async () => {
    const f = file('hostile.ndjson');
    const exported = await run<ExportSummary>('redisQueues.export', [], await path(conn, 'Streams', hostile), { file: f, range: 'all' });
    assert.deepEqual([exported.result!.written, exported.result!.skipped, exported.result!.aborted], [MESSAGES.length, 0, false]);
    assert.match(exported.ui.infos[0]!, new RegExp(`^Exported 6 messages of "${hostile}" \\(the whole stream\\) to hostile\\.ndjson`));
    const [header, ...rest] = lines(f);
    assert.equal(header!['redis-queues-export'], 1);
    assert.equal(header!['stream'], hostile);
    assert.deepEqual(rest.map((l) => l['id']), hostileIds);
    assert.deepEqual(rest[0]!['pairs'], [[{ base64: 'wyg=' }, { base64: 'AP/+gAo=' }], ['text', 'ok']], 'binary as base64, in order');
    assert.ok(rest.every((l, i) => fromJsonPairs(l['pairs']).every((b, j) => b.equals(Buffer.isBuffer(MESSAGES[i]![j]) ? (MESSAGES[i]![j] as Buffer) : Buffer.from(MESSAGES[i]![j] as string)))));

    // New ids, into a stream that does not exist yet (palette: connection, "New stream…", its name).
    const fresh = `${prefix}:copy-new`;
    const before = await xadds();
    const imported = await run<ImportSummary>('redisQueues.import', [pickConn(conn), '\u0000new', fresh, true], undefined, { file: f, mode: 'new', ratePerSec: null });
    assert.deepEqual([imported.result!.imported, imported.result!.skipped, imported.result!.counted, imported.result!.aborted], [6, 0, 6, false]);
    const confirm = imported.ui.asked.find((a) => a.startsWith('confirm: '))!;
    assert.match(confirm, new RegExp(`^confirm: Add up to 6 messages from hostile\\.ndjson to stream "${fresh}" on "${conn}"\\? Each message is appended with a new id`));
    assert.equal((await xadds()) - before, 6);
    const copy = await rawOf(fresh);
    assert.ok(sameBytes(copy, await rawOf(hostile)), 'new ids: every byte of every message, in order');
    assert.ok(copy.every(([id], i) => id !== hostileIds[i]), 'new ids');
    assert.match(imported.ui.infos[0]!, new RegExp(`^Imported 6 messages from hostile\\.ndjson into "${fresh}" \\(new ids\\)`));

    // Original ids, at a rate, into another new stream (from its row once it exists: typed here via the palette).
    const kept = `${prefix}:copy-kept`;
    const k = await run<ImportSummary>('redisQueues.import', [pickConn(conn), '\u0000new', kept, true], undefined, { file: f, mode: 'keep', ratePerSec: 50 });
    assert.equal(k.result!.imported, 6);
    assert.equal(k.result!.rate!.ratePerSec, 50);
    assert.ok(k.result!.rate!.maxExcess <= 0, 'the rate was never exceeded');
    const keptRaw = await rawOf(kept);
    assert.deepEqual(keptRaw.map(([id]) => id), hostileIds, 'the original ids');
    assert.ok(sameBytes(keptRaw, await rawOf(hostile)));
    assert.match(k.ui.asked.find((a) => a.startsWith('confirm: '))!, /Each message keeps the id it has in the file.*At most 50 messages per second\./);

    // Again, from the stream's row: every line is there already.
    const again = await run<ImportSummary>('redisQueues.import', [true], await path(conn, 'Streams', kept), { file: f, mode: 'keep', ratePerSec: null });
    assert.deepEqual([again.result!.imported, again.result!.skipped], [0, 6]);
    assert.match(again.ui.infos[0]!, /Imported 0 messages .*\(original ids\); 6 skipped, already there/);
    assert.equal(await client.xlen(kept), 6);
  });

  it('asks for the ids and the rate when not given; cancelling the confirmation imports nothing', async () => {
    const f = file('ask.ndjson');
    await run('redisQueues.export', [], await path(conn, 'Streams', hostile), { file: f, range: 'all' });
    const target = `${prefix}:asked`;
    await client.xadd(target, '*', 'seed', '1');
    const before = await xadds();
    const r = await run<ImportSummary>('redisQueues.import', ['new', '25', false], await path(conn, 'Streams', target), { file: f });
    assert.equal(r.result, undefined);
    assert.deepEqual(
      r.ui.asked.map((a) => a.split(':')[0]),
      ['pick', 'input', 'confirm'],
    );
    assert.match(r.ui.asked[0]!, /^pick: Import ask\.ndjson into ".*:asked": ids$/);
    assert.match(r.ui.asked[1]!, /rate limit Messages per second at most; empty for no limit/);
    assert.match(r.ui.asked[2]!, /At most 25 messages per second\./);
    assert.equal(await xadds(), before, 'nothing sent');
    assert.equal(await client.xlen(target), 1);
  });

  it('exports the selected entry rows (read again by id, in id order), a time range, an id range', async () => {
    const s = `${prefix}:timed`;
    const base = Date.now() - 3_600_000;
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(String(await client.xadd(s, `${base + i * 1000}-0`, 'i', String(i), 'i', `again ${i}`)));

    // Selected rows: the Entries folder lists newest first; the file holds them oldest first.
    const rows = await kids(await path(conn, 'Streams', s, 'Entries'));
    const picked = [rows[1]!, rows[7]!, rows[4]!];
    const sel = await run<ExportSummary>('redisQueues.export', [], picked[0], picked, { file: file('selected.ndjson') });
    assert.equal(sel.result!.written, 3);
    assert.equal(sel.result!.what, '3 selected entries');
    assert.deepEqual(lines(file('selected.ndjson')).slice(1).map((l) => l['id']), [ids[2], ids[5], ids[8]]);
    assert.deepEqual(lines(file('selected.ndjson'))[0]!['query'], { selection: [ids[2], ids[5], ids[8]] });

    // A time range: [since, until], both ends inclusive (as search's since: and until:).
    const t = await run<ExportSummary>('redisQueues.export', [], await path(conn, 'Streams', s), { file: file('time.ndjson'), range: 'time', since: String(base + 3000), until: String(base + 6000) });
    assert.equal(t.result!.written, 4);
    assert.deepEqual(lines(file('time.ndjson')).slice(1).map((l) => l['id']), ids.slice(3, 7));
    // Asked: the range, then from and until (as typed times).
    const asked = await run<ExportSummary>('redisQueues.export', ['time', String(base + 8000), 'now'], await path(conn, 'Streams', s), { file: file('time2.ndjson') });
    assert.equal(asked.result!.written, 2);
    assert.match(asked.ui.asked[0]!, /^pick: Export from ".*:timed"$/);
    assert.match(asked.ui.asked[1]!, /entries added from .*an ISO date or time/);

    // An id range (inclusive).
    const r = await run<ExportSummary>('redisQueues.export', [], await path(conn, 'Streams', s), { file: file('ids.ndjson'), range: 'ids', from: ids[6], to: ids[9] });
    assert.deepEqual(lines(file('ids.ndjson')).slice(1).map((l) => l['id']), ids.slice(6, 10));
    assert.equal(r.result!.what, `entries from ${ids[6]} to ${ids[9]}`);

    // A deleted selected entry is reported, not written.
    await client.xdel(s, ids[8]!);
    const gone = await run<ExportSummary>('redisQueues.export', [], picked[0], picked, { file: file('selected2.ndjson') });
    assert.deepEqual([gone.result!.written, gone.result!.missing], [2, [ids[8]]]);
    assert.match(gone.ui.infos[0]!, /1 selected entry no longer in the stream/);
  });

  it("exports a whole dead-letter stream (the records, header and all) and a search's results", async () => {
    const s = `${prefix}:billing`;
    const ids = [String(await client.xadd(s, '*', 'order', '1')), String(await client.xadd(s, '*', 'order', '2', 'order', '2b'))];
    await client.xgroup('CREATE', s, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'c', 'COUNT', 10, 'STREAMS', s, '>');
    await deadLetter({ client }, s, 'g', ids, { reason: 'gateway timeout' });
    const dlq = `${s}:dlq`;
    const r = await run<ExportSummary>('redisQueues.export', [], await path(conn, 'Streams', dlq), { file: file('dlq.ndjson'), range: 'all' });
    assert.equal(r.result!.written, 2);
    const recs = lines(file('dlq.ndjson')).slice(1);
    assert.deepEqual(fromJsonPairs(recs[0]!['pairs']).slice(0, 2).map(String), ['x-dlq', '1']);
    assert.ok(recs.every((l) => JSON.stringify(l['pairs']).includes('gateway timeout')));
    // Back into a copy of the dead-letter stream, ids kept: the same records, byte for byte.
    const copy = `${prefix}:billing-copy:dlq`;
    await run('redisQueues.import', [pickConn(conn), '\u0000new', copy, true], undefined, { file: file('dlq.ndjson'), mode: 'keep', ratePerSec: null });
    assert.ok(sameBytes(await rawOf(copy), await rawOf(dlq)));
    assert.deepEqual((await rawOf(copy)).map(([id]) => id), (await rawOf(dlq)).map(([id]) => id));

    // A search's results: its row in the Search Results view exports its hits.
    const search = await vscode.commands.executeCommand<unknown>('redisQueues.search', await path(conn, 'Streams', hostile), { query: 'kind=needle' });
    const row = api.services.search.list().map((x) => api.services.search.nodeOf(x)!).find((n) => n.run === search)!;
    assert.equal(row.item().contextValue, 'search;done');
    const hits = await run<ExportSummary>('redisQueues.export', [], row, { file: file('search.ndjson') });
    assert.equal(hits.result!.written, 1);
    assert.match(hits.result!.what, /^1 match of the search "kind=needle" in /);
    const [head, hit] = lines(file('search.ndjson'));
    assert.deepEqual(head!['query'], { search: 'kind=needle', where: hostile, matches: 1 });
    assert.equal(hit!['id'], hostileIds[5]);
  });

  it('read-only: exports, and refuses to import before asking or sending anything (no XADD)', async () => {
    const f = file('ro.ndjson');
    const exported = await run<ExportSummary>('redisQueues.export', [], await path(ro, 'Streams', hostile), { file: f, range: 'all' });
    assert.equal(exported.result!.written, MESSAGES.length);
    const target = await path(ro, 'Streams', hostile);
    const before = await xadds();
    const ui = scripted([]);
    api.services.ui = ui;
    const err = await failing('redisQueues.import', target, { file: f, mode: 'new', ratePerSec: null });
    assert.match(err.message, /read-only: .*was refused before anything was sent/);
    assert.deepEqual(ui.asked, [], 'nothing asked');
    // From the palette too: the connection picked, refused before the stream is asked.
    const ui2 = scripted([pickConn(ro)]);
    api.services.ui = ui2;
    await failing('redisQueues.import', undefined, { file: f, mode: 'keep', ratePerSec: null });
    assert.deepEqual(ui2.asked, ['pick: Connection']);
    assert.equal(await xadds(), before, 'no XADD was sent');
    assert.equal(await client.xlen(hostile), MESSAGES.length);
  });

  it('production: the name of the stream must be typed; a bad line stops the import and says where', async () => {
    const f = file('prod.ndjson');
    await run('redisQueues.export', [], await path(conn, 'Streams', hostile), { file: f, range: 'all' });
    const target = `${prefix}:prod`;
    await client.xadd(target, '*', 'seed', '1');
    const row = await path(prod, 'Streams', target);
    const wrong = await run<ImportSummary>('redisQueues.import', ['nope'], row, { file: f, mode: 'new', ratePerSec: null });
    assert.equal(wrong.result, undefined);
    assert.match(wrong.ui.asked[0]!, new RegExp(`^input: Add up to 6 messages from prod\\.ndjson to stream "${target}" on "${prod}"\\? \\(production connection "${prod}"\\) .*Type "${target}" to confirm\\.`));
    assert.equal(await client.xlen(target), 1);
    const ok = await run<ImportSummary>('redisQueues.import', [target], row, { file: f, mode: 'new', ratePerSec: null });
    assert.equal(ok.result!.imported, 6);

    const bad = file('bad.ndjson');
    writeFileSync(bad, `${readFileSync(f, 'utf8')}{"id": "1-1", "pairs": [["a"]]}\nnot json\n`);
    api.services.ui = scripted([true]);
    const err = await failing('redisQueues.import', await path(conn, 'Streams', target), { file: bad, mode: 'new', ratePerSec: null });
    assert.match(err.message, /^Import of bad\.ndjson into ".*:prod" stopped: Line 8: /);
    assert.equal(await client.xlen(target), 7, 'the batch with the bad line was not written');
  });
});
