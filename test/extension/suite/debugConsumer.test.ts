// The debug consumer as a session, inside a real VS Code against a real Redis: one read-only
// document refreshed per message (never an Untitled one), actions by command (what the editor
// title buttons and the status bar run), focus moving elsewhere without ending it, reading on a
// blocking connection of its own, and a visible end (Stop, or its tab closed).
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { open, quit } from '../../../src/core/redis/connection';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import type { DebugConsumerSession, DebugState } from '../../../src/vscode/debug/debugSession';
import type { PickItem, Prompter } from '../../../src/vscode/ui';
import { scripted as scriptedAnswers, tree, until } from '../helpers';

const EXT = 'redis-queues.redis-queues';
const SCHEME = 'redis-queues-debug';

/** Answers inputs in order and records every question and message; running out cancels. */
function scripted(answers: (string | undefined)[], picks: string[] = []): Prompter & { asked: string[]; said: string[] } {
  const asked: string[] = [];
  const said: string[] = [];
  return {
    asked,
    said,
    async pick<T>(items: PickItem<T>[], o: { title: string }) {
      asked.push(`pick ${o.title}: ${items.map((i) => i.label).join(' | ')}`);
      const want = picks.shift();
      return items.find((i) => i.label.includes(want ?? '\u0000'))?.value;
    },
    async pickMany() {
      return undefined;
    },
    async input(o: { title: string; value?: string }) {
      asked.push(`input ${o.title} [${o.value ?? ''}]`);
      return answers.shift();
    },
    async confirm(message: string) {
      asked.push(`confirm ${message}`);
      return false;
    },
    info: (m: string) => void said.push(m),
    warn: (m: string) => void said.push(`warn: ${m}`),
  };
}

describe('(extension) debug consumer session', function () {
  this.timeout(90_000);
  let api: RedisQueuesApi;
  let client: Redis;
  let original: Prompter;
  const prefix = `dbg-${randomUUID().slice(0, 8)}`;
  const conn = `dbg-${prefix}`;
  const dir = mkdtempSync(join(tmpdir(), 'rq-dbg-'));
  const opened: vscode.Uri[] = [];
  let watch: vscode.Disposable;

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    original = api.services.ui;
    await vscode.workspace.getConfiguration('redisQueues').update('streamFilter', `${prefix}:*`, vscode.ConfigurationTarget.Global);
    client = (await open({ url: process.env.REDIS_URL! })) as Redis;
    await vscode.commands.executeCommand('redisQueues.connection.add', { name: conn, url: process.env.REDIS_URL! });
    await until(conn, () => Boolean(api.services.sessions.get(conn)));
    watch = vscode.workspace.onDidOpenTextDocument((d) => opened.push(d.uri));
  });
  after(async () => {
    watch?.dispose();
    api.services.ui = original;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('redisQueues.connection.remove', conn, { confirm: false });
    await vscode.workspace.getConfiguration('redisQueues').update('streamFilter', undefined, vscode.ConfigurationTarget.Global);
    await quit(client);
    rmSync(dir, { recursive: true, force: true });
  });

  const { path } = tree(() => api);
  /** The id of the message shown, else the state's kind (read fresh: the state changes under awaits). */
  const shown = (d: DebugConsumerSession): string => {
    const st: DebugState = d.state;
    return st.kind === 'showing' ? st.entry.id : st.kind;
  };
  const kind = (d: DebugConsumerSession): string => (d.state as DebugState).kind;
  const node = (...labels: string[]) => path(conn, ...labels);
  const docOf = (d: DebugConsumerSession) => vscode.workspace.textDocuments.find((x) => x.uri.toString() === d.uri.toString());
  const textOf = (d: DebugConsumerSession) => docOf(d)?.getText() ?? '';
  /** Client-list lines of the debug consumer's blocking connection while it waits in XREADGROUP. */
  const blockedReads = async () => String(await client.client('LIST')).split('\n').filter((l) => / cmd=xreadgroup /.test(l) && / name=redis-queues\S*:blocking /.test(l));
  const debugTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.scheme === SCHEME);

  it('goes through 3 messages in one read-only document (ack, leave pending, dead-letter, stop); focus elsewhere does not end it', async () => {
    const s = `${prefix}:jobs`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(String(await client.xadd(s, '*', 'job', String(i), 'payload', JSON.stringify({ n: i }))));
    await client.xgroup('CREATE', s, 'workers', '0');
    const ui = scripted(['bad payload (test)']);
    api.services.ui = ui;
    const openedBefore = opened.length;
    const untitledBefore = vscode.workspace.textDocuments.filter((d) => d.uri.scheme === 'untitled').length;

    const dbg = (await vscode.commands.executeCommand<DebugConsumerSession>('redisQueues.debug.start', await node('Streams', s, 'Groups', 'workers'), { consumer: 'dbg' }))!;
    assert.ok(dbg, 'the command returns the session');
    assert.equal(dbg.uri.scheme, SCHEME);
    assert.equal(kind(dbg), 'showing');
    assert.equal(shown(dbg), ids[0]);
    const doc = docOf(dbg)!;
    assert.ok(doc, 'the document is open');
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), dbg.uri.toString(), 'and shown');
    assert.equal(doc.languageId, 'jsonc');
    await until('the document to show the first message', () => textOf(dbg).includes(`"id": "${ids[0]}"`));
    let text = doc.getText();
    assert.match(text, new RegExp(`^// Debug consumer "dbg" · ${s} › workers · connection "${conn}"\n`));
    assert.match(text, new RegExp(`// Message ${ids[0]} · delivered 1× · new\n// Created \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d local \\(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\)\n`));
    assert.match(text, /Kept yours while shown: idle reset every 4 s \(XCLAIM JUSTID,\n\/\/ no delivery counted\)/);
    const body = JSON.parse(text.replace(/^\/\/.*\n/gm, '')) as Record<string, unknown>;
    assert.deepEqual(body, { id: ids[0], stream: s, group: 'workers', consumer: 'dbg', deliveries: 1, fields: { job: '0', payload: '{"n":0}' } });

    assert.equal(doc.isDirty, false, 'nothing to save');

    // Click into the document, then into another editor (a file, not a preview): the session goes on.
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(5, 2, 5, 6), preserveFocus: false });
    const other = join(dir, 'notes.txt');
    writeFileSync(other, 'elsewhere\n');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(other), { preview: false });
    await vscode.commands.executeCommand('workbench.view.extension.redisQueues').then(undefined, () => undefined);
    assert.notEqual(vscode.window.activeTextEditor?.document.uri.toString(), dbg.uri.toString());
    assert.equal(dbg.live, true, 'focusing elsewhere did not end the session');
    assert.equal(kind(dbg), 'showing');
    assert.equal(debugTabs().length, 1, 'its tab stays open');

    // Ack & Next (what the editor title button runs, with the document's URI).
    await vscode.commands.executeCommand('redisQueues.debug.ackNext', dbg.uri);
    assert.equal(shown(dbg), ids[1]);
    await until('the document to show the second message', () => textOf(dbg).includes(`"id": "${ids[1]}"`));
    assert.match(textOf(dbg), /So far: 1 message \(1 acked, 0 left pending, 0 dead-lettered\)/);
    assert.deepEqual(await client.xpending(s, 'workers', '-', '+', 10).then((p) => (p as [string][]).map(([id]) => id)), [ids[1]], 'the first one acked');

    // Leave Pending & Next, from the status bar's menu path (no argument: the only live session).
    await vscode.commands.executeCommand('redisQueues.debug.leaveNext');
    assert.equal(shown(dbg), ids[2]);
    await until('the document to show the third message', () => textOf(dbg).includes(`"id": "${ids[2]}"`));

    // Dead-letter asks a reason (default "dead-lettered while debugging").
    await vscode.commands.executeCommand('redisQueues.debug.deadLetter', dbg.uri);
    assert.deepEqual(ui.asked, [`input Dead-letter ${ids[2]} to ${s}:dlq: reason [dead-lettered while debugging]`]);
    assert.equal(kind(dbg), 'waiting', 'no more messages: it waits for one');
    await until('the document to say it waits', () => textOf(dbg).includes('No message: nothing pending for dbg'));
    assert.match(textOf(dbg), /So far: 3 messages \(1 acked, 1 left pending, 1 dead-lettered\)/);

    // It waits in XREADGROUP BLOCK on a connection of its own, not on the tree's.
    const blocked = await (async () => {
      let lines: string[] = [];
      await until('the session to wait in XREADGROUP on its blocking connection', async () => (lines = await blockedReads()).length === 1);
      return lines[0]!;
    })();
    assert.match(blocked, new RegExp(`name=redis-queues\\S*:blocking `));
    assert.equal(dbg.live, true);

    // A message published now shows at once; Leave Pending & Next goes back to waiting.
    const late = String(await client.xadd(s, '*', 'job', 'late'));
    await until('the late message to show', () => shown(dbg) === late);
    await until('the document to show it', () => textOf(dbg).includes(`"id": "${late}"`));
    await vscode.commands.executeCommand('redisQueues.debug.ackNext', dbg.uri);
    assert.equal(kind(dbg), 'waiting');

    // Stop: the document and a message say how it went; the status bar item and the connection go.
    const stopped = await vscode.commands.executeCommand<DebugConsumerSession>('redisQueues.debug.stop', dbg.uri);
    assert.equal(stopped?.state.kind, 'ended');
    const summary = 'Session ended: 4 messages (2 acked, 1 left pending, 1 dead-lettered)';
    await until('the document to say the session ended', () => textOf(dbg).startsWith(`// ${summary}`));
    text = textOf(dbg);
    assert.match(text, new RegExp(`//   ${ids[1]}  left pending`));
    assert.match(text, new RegExp(`//   ${ids[2]}  dead-lettered`));
    assert.ok(ui.said.some((m) => m.includes(summary)), `messages: ${ui.said.join(' | ')}`);
    await until('the blocking connection to close', async () => (await blockedReads()).length === 0);
    assert.equal((await vscode.commands.executeCommand<DebugConsumerSession>('redisQueues.debug.ackNext', dbg.uri))?.state.kind, 'ended', 'actions after the end do nothing');
    assert.equal(ui.said.at(-1), 'Debug consumer "dbg": nothing to act on, its session has ended.');

    // Redis: the acked ones gone, the left one still dbg's, the dead-lettered one in the DLQ with the reason.
    const pending = (await client.xpending(s, 'workers', '-', '+', 10)) as [string, string, number, number][];
    assert.deepEqual(pending.map(([id, c, , n]) => [id, c, n]), [[ids[1], 'dbg', 1]]);
    const dlq = await client.xrange(`${s}:dlq`, '-', '+');
    assert.equal(dlq.length, 1);
    assert.ok(dlq[0]![1].includes(ids[2]!), `DLQ entry: ${dlq[0]![1].join(' ')}`);
    assert.ok(dlq[0]![1].includes('bad payload (test)'), `DLQ entry: ${dlq[0]![1].join(' ')}`);

    // Exactly one document for the whole session, never an Untitled one.
    const during = opened.slice(openedBefore).map((u) => u.toString());
    assert.deepEqual([...new Set(during.filter((u) => u.startsWith(`${SCHEME}:`)))], [dbg.uri.toString()]);
    assert.deepEqual(during.filter((u) => u.startsWith('untitled:')), []);
    assert.equal(vscode.workspace.textDocuments.filter((d) => d.uri.scheme === 'untitled').length, untitledBefore);
    assert.equal(vscode.workspace.textDocuments.filter((d) => d.uri.toString() === dbg.uri.toString()).length, 1);
    assert.equal(docOf(dbg)!.isDirty, false, 'nothing to save');
  });

  it('re-reads its own pending entries first; Next re-reads them again; closing the tab ends the session', async () => {
    const s = `${prefix}:again`;
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push(String(await client.xadd(s, '*', 'job', String(i))));
    await client.xgroup('CREATE', s, 'workers', '0');
    // ids[0] is already dbg's (delivered once before): the session shows it first, as a re-read.
    await client.xreadgroup('GROUP', 'workers', 'dbg', 'COUNT', 1, 'STREAMS', s, '>');
    const ui = scripted([], ['Leave Pending & Next']);
    api.services.ui = ui;

    const dbg = (await vscode.commands.executeCommand<DebugConsumerSession>('redisQueues.debug.start', await node('Streams', s, 'Groups', 'workers'), { consumer: 'dbg' }))!;
    assert.equal((dbg.state as DebugState).kind === 'showing' && (dbg.state as { source: string }).source, 'pending');
    assert.equal(shown(dbg), ids[0]);
    await until('the document to show the pending one', () => /re-read from dbg's pending entries/.test(textOf(dbg)));
    assert.match(textOf(dbg), /"deliveries": 2/);

    // Starting the same consumer again shows the running session instead of a second one.
    const same = await vscode.commands.executeCommand<DebugConsumerSession>('redisQueues.debug.start', await node('Streams', s, 'Groups', 'workers'), { consumer: 'dbg' });
    assert.equal(same, dbg);

    // The status bar item's menu (dismissing it would change nothing).
    await vscode.commands.executeCommand('redisQueues.debug.actions', dbg.uri);
    assert.match(ui.asked.at(-1)!, /^pick Debug consumer "dbg" · .*: \$\(check\) Ack & Next \| \$\(debug-step-over\) Leave Pending & Next \| \$\(archive\) Dead-letter… \| \$\(debug-alt\) Debug Handler on This Message \| \$\(play\) Run Handler on This Message \| \$\(run-all\) Run Handler on Each \| \$\(debug-stop\) Stop \| \$\(go-to-file\) Show the Message$/);
    await until('the menu\'s Leave Pending & Next to show the new one', () => shown(dbg) === ids[1]);
    await vscode.commands.executeCommand('redisQueues.debug.leaveNext', dbg.uri);
    assert.equal(kind(dbg), 'waiting');
    await vscode.commands.executeCommand('redisQueues.debug.next', dbg.uri);
    assert.equal(shown(dbg), ids[0], 'Next starts again with its own pending entries');
    // Dead-letter, its question dismissed: nothing happens, the session goes on.
    await vscode.commands.executeCommand('redisQueues.debug.deadLetter', dbg.uri);
    assert.equal(shown(dbg), ids[0], 'a dismissed reason dead-letters nothing');
    assert.equal(await client.exists(`${s}:dlq`), 0);

    // Closing its tab ends it (and says so); the connection closes.
    await vscode.window.showTextDocument(docOf(dbg)!);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await until('the session to end when its tab closed', () => !dbg.live);
    assert.deepEqual(dbg.state, { kind: 'ended', reason: 'its document was closed' });
    assert.ok(ui.said.some((m) => m.includes('Session ended: 2 messages (0 acked, 2 left pending, 0 dead-lettered)')), `messages: ${ui.said.join(' | ')}`);
    await until('the blocking connection to close', async () => (await blockedReads()).length === 0);
    const pending = (await client.xpending(s, 'workers', '-', '+', 10)) as [string, string][];
    assert.deepEqual(pending.map(([id, c]) => [id, c]), [[ids[0], 'dbg'], [ids[1], 'dbg']]);
  });

  it('counts true: a message another worker took before you acted is "taken by", never acked; a failed dead-letter stays in the summary; the shown one is kept (idle reset, no delivery counted)', async () => {
    const s = `${prefix}:taken`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(String(await client.xadd(s, '*', 'job', String(i))));
    await client.xgroup('CREATE', s, 'workers', '0');
    const ui = scripted(['first reason', 'second reason']);
    api.services.ui = ui;
    const dbg = (await vscode.commands.executeCommand<DebugConsumerSession>('redisQueues.debug.start', await node('Streams', s, 'Groups', 'workers'), { consumer: 'dbg' }))!;
    assert.equal(shown(dbg), ids[0]);
    const pel = async () => ((await client.xpending(s, 'workers', '-', '+', 10)) as [string, string, number, number][]).map(([id, c, idle, n]) => ({ id, c, idle, n }));

    // The lease: made to look idle for a minute, it is renewed (idle back near 0) without a delivery counted.
    await client.xclaim(s, 'workers', 'dbg', 0, ids[0]!, 'IDLE', 60_000, 'JUSTID');
    await until('the shown message\'s lease to be renewed', async () => ((await pel()).find((e) => e.id === ids[0])?.idle ?? Infinity) < 10_000);
    assert.deepEqual((await pel()).map((e) => [e.id, e.c, e.n]), [[ids[0], 'dbg', 1]]);

    // A worker reclaims it while you read it: the document says so; Ack & Next acks nothing.
    await client.xclaim(s, 'workers', 'worker-x', 0, ids[0]!);
    await until('the document to say another worker took it', () => textOf(dbg).includes('Taken by worker-x meanwhile'));
    await vscode.commands.executeCommand('redisQueues.debug.ackNext', dbg.uri);
    assert.equal(shown(dbg), ids[1]);
    assert.ok(ui.said.includes(`warn: ${ids[0]}: taken by worker-x in "workers" before you acted: not acked.`), ui.said.join(' | '));
    assert.equal((await pel()).find((e) => e.id === ids[0])?.c, 'worker-x', 'still pending at worker-x: not acked under it');
    await until('the count', () => textOf(dbg).includes('So far: 1 message (0 acked, 0 left pending, 0 dead-lettered, 1 taken by others)'));

    // Dead-letter a message a worker took: not dead-lettered, counted as taken.
    await client.xclaim(s, 'workers', 'worker-x', 0, ids[1]!);
    await vscode.commands.executeCommand('redisQueues.debug.deadLetter', dbg.uri);
    assert.equal(shown(dbg), ids[2]);
    assert.equal(await client.exists(`${s}:dlq`), 0);

    // A dead-letter that fails (its message was deleted): it stays shown, pending and in the summary.
    await client.xdel(s, ids[2]!);
    await vscode.commands.executeCommand('redisQueues.debug.deadLetter', dbg.uri);
    assert.equal(shown(dbg), ids[2]);
    await vscode.commands.executeCommand('redisQueues.debug.stop', dbg.uri);
    const summary = 'Session ended: 3 messages (0 acked, 1 left pending, 0 dead-lettered, 2 taken by others)';
    await until('the document to say the session ended', () => textOf(dbg).startsWith(`// ${summary.replace(' (', '\n// (')}`));
    const text = textOf(dbg);
    assert.match(text, new RegExp(`//   ${ids[0]}  taken by worker-x before you acted \\(not acked by you\\)`));
    assert.match(text, new RegExp(`//   ${ids[2]}  left pending`));
    assert.match(text, /A new session as "dbg" shows them first,\n\/\/ unless a worker of "workers" reclaims them before/);
    assert.deepEqual((await pel()).map((e) => [e.id, e.c]), [[ids[0], 'worker-x'], [ids[1], 'worker-x'], [ids[2], 'dbg']]);
  });

  it('runs your handler on the shown message as its consumer: a failure stays shown with the error beside it, left pending; a success acked moves on; Run on Each stops at the first failure', async () => {
    const s = `${prefix}:handled`;
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push(String(await client.xadd(s, '*', 'job', String(i))));
    await client.xgroup('CREATE', s, 'workers', '0');
    const cfg = vscode.workspace.getConfiguration('redisQueues');
    await cfg.update('handlers', [{ stream: s, command: `test "$RQ_ID" != "${ids[0]}" || { echo "bad job $RQ_ID" >&2; exit 3; }` }], vscode.ConfigurationTarget.Global);
    const choose = (label: string) => <T>(items: PickItem<T>[]) => items.find((i) => i.label.startsWith(label))!.value;
    try {
      api.services.ui = scriptedAnswers([choose('Leave pending')]);
      const dbg = (await vscode.commands.executeCommand<DebugConsumerSession>('redisQueues.debug.start', await node('Streams', s, 'Groups', 'workers'), { consumer: 'dbg' }))!;
      assert.equal(shown(dbg), ids[0]);
      await vscode.commands.executeCommand('redisQueues.debug.runHandler', dbg.uri);
      // It failed: the message stays shown, the error beside it, pending at dbg (one more delivery).
      assert.equal(shown(dbg), ids[0]);
      await until('the document to show the failure', () => textOf(dbg).includes(`Your handler failed on delivery 2`) && textOf(dbg).includes(`bad job ${ids[0]}`));
      const pel = async () => ((await client.xpending(s, 'workers', '-', '+', 10)) as [string, string, number, number][]).map(([id, c, , n]) => [id, c, n]);
      assert.deepEqual(await pel(), [[ids[0], 'dbg', 2]]);
      // Leave it, then the next one succeeds and is acked: the session moves on.
      await vscode.commands.executeCommand('redisQueues.debug.leaveNext', dbg.uri);
      assert.equal(shown(dbg), ids[1]);
      api.services.ui = scriptedAnswers([choose('Acknowledge (XACK)'), true]);
      await vscode.commands.executeCommand('redisQueues.debug.runHandler', dbg.uri);
      assert.notEqual(shown(dbg), ids[1]);
      assert.deepEqual(await pel(), [[ids[0], 'dbg', 2]], 'the second acked');
      // Run on Each: three more come; the handler acks the first two and stops at the third, which fails.
      const more: string[] = [];
      for (let i = 2; i < 5; i++) more.push(String(await client.xadd(s, '*', 'job', String(i))));
      await cfg.update('handlers', [{ stream: s, command: `test "$RQ_ID" != "${more[2]}" || { echo "bad job $RQ_ID" >&2; exit 3; }` }], vscode.ConfigurationTarget.Global);
      api.services.ui = scriptedAnswers([true]);
      await vscode.commands.executeCommand('redisQueues.debug.runHandlerOnEach', dbg.uri);
      assert.equal(shown(dbg), more[2], 'stopped at the first failure');
      await until('the error beside it', () => textOf(dbg).includes(`bad job ${more[2]}`));
      assert.deepEqual(await pel(), [[ids[0], 'dbg', 2], [more[2], 'dbg', 2]], 'the two successes acked, the failure left pending');
      await vscode.commands.executeCommand('redisQueues.debug.stop', dbg.uri);
      await until('the summary', () => /^\/\/ Session ended: 5 messages\s(\/\/ )?\(3 acked, 2 left pending, 0 dead-lettered\)/.test(textOf(dbg))).catch((e: Error) => {
        throw new Error(`${e.message}: ${textOf(dbg).slice(0, 300)}`);
      });
    } finally {
      await cfg.update('handlers', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
