// Producer files (*.redisq) inside a real VS Code against a real Redis: CodeLenses publish the
// rendered messages, mistakes are diagnostics, read-only connections refuse, the connection
// choice is asked once per file, and the sample opens.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { commandFailure, until } from '../helpers';
import { open, quit } from '../../../src/core/redis/connection';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import type { PublishResult } from '../../../src/vscode/producerFiles/publish';
import type { PickItem, Prompter } from '../../../src/vscode/ui';

const EXT = 'redis-queues.redis-queues';
let api: RedisQueuesApi;

/** Answers prompts in order and records them; running out cancels. */
function scripted(answers: unknown[]): Prompter & { asked: string[]; infos: string[] } {
  const asked: string[] = [];
  const infos: string[] = [];
  return {
    asked,
    infos,
    async pick<T>(items: PickItem<T>[], o: { title: string }) {
      asked.push(`pick ${o.title}`);
      const a = answers.shift();
      return typeof a === 'function' ? (a as (i: PickItem<T>[]) => T | undefined)(items) : (a as T | undefined);
    },
    async pickMany() {
      return undefined;
    },
    async input(o: { title: string }) {
      asked.push(`input ${o.title}`);
      return answers.shift() as string | undefined;
    },
    async confirm(message: string) {
      asked.push(`confirm ${message}`);
      return answers.shift() === true;
    },
    info: (m: string) => void infos.push(m),
    warn: (m: string) => void infos.push(m),
  };
}

async function openDoc(content: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument({ language: 'redisq', content });
  await vscode.window.showTextDocument(doc);
  return doc;
}

async function lenses(doc: vscode.TextDocument, atLeast = 1): Promise<vscode.CodeLens[]> {
  return until('code lenses', async () => {
    const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
    return l && l.length >= atLeast ? l : undefined;
  }, 10_000);
}

/** Runs the command of the lens on `line` whose title matches. */
async function click(doc: vscode.TextDocument, line: number, title: RegExp, answers: unknown[] = []) {
  const lens = (await lenses(doc)).find((l) => l.range.start.line === line && title.test(l.command?.title ?? ''));
  assert.ok(lens?.command, `no lens ${title} on line ${line}`);
  const ui = scripted(answers);
  api.services.ui = ui;
  const result = await vscode.commands.executeCommand<PublishResult | undefined>(lens.command.command, ...(lens.command.arguments ?? []));
  return { result, ui };
}

/** Runs `run` (which runs a command) and returns the error the command failed with; fails when none failed. */
async function failure(run: () => Thenable<unknown>): Promise<Error> {
  return commandFailure(api, run);
}

describe('(extension) producer files', function () {
  this.timeout(60_000);
  const prefix = `pf-${randomUUID().slice(0, 8)}`;
  const conn = `${prefix}-rw`;
  const ro = `${prefix}-ro`;
  let client: Redis;

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    client = (await open({ url: process.env.REDIS_URL! })) as Redis;
    for (const [name, extra] of [[conn, {}], [ro, { readOnly: true }]] as const) {
      await vscode.commands.executeCommand('redisQueues.connection.add', { name, url: process.env.REDIS_URL!, ...extra });
      await until(name, () => api.services.sessions.get(name), 10_000);
    }
  });
  after(async () => {
    api.services.ui = (await import('../../../src/vscode/ui')).vscodePrompter;
    for (const name of [conn, ro]) await vscode.commands.executeCommand('redisQueues.connection.remove', name, { confirm: false });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await quit(client);
  });

  it('publishes a stream message once and ×10 from its CodeLenses, with rendered templates, and reports the ids', async () => {
    const stream = `${prefix}:orders`;
    const doc = await openDoc(
      [
        `connection: ${conn}`,
        '',
        '### order-created',
        `stream: ${stream}`,
        'maxlen: ~1000',
        'seed: 7',
        'orderId = ord-{{seq}}',
        'total = {{float:5:500:2}}',
        'customer = {{email}}',
        'payload = {"sku": "{{pick:kb|mouse}}", "qty": {{int:1:5}}}',
        'literal = \\{{seq}}',
      ].join('\n'),
    );
    const titles = (await lenses(doc, 4)).filter((l) => l.range.start.line === 2).map((l) => l.command?.title);
    assert.deepEqual(titles.slice(0, 3), ['$(play) Publish', '×10', '×N…']);
    assert.match(titles[3]!, new RegExp(`→ stream ${stream} @ ${conn} \\(maxlen ~1000\\)`));

    const once = await click(doc, 2, /Publish$/);
    assert.equal(once.result?.ids.length, 1);
    assert.equal(await client.xlen(stream), 1);
    const [[id, flat]] = (await client.xrange(stream, '-', '+')) as [string, string[]][];
    assert.equal(once.result!.ids[0], id);
    const fields = Object.fromEntries(flat!.reduce<string[][]>((acc, v, i) => (i % 2 ? acc[acc.length - 1]!.push(v) : acc.push([v]), acc), []));
    assert.equal(fields.orderId, 'ord-1');
    assert.match(fields.total!, /^\d+\.\d\d$/);
    assert.match(fields.customer!, /@/);
    const payload = JSON.parse(fields.payload!) as { sku: string; qty: number };
    assert.ok(['kb', 'mouse'].includes(payload.sku) && payload.qty >= 1 && payload.qty <= 5);
    assert.equal(fields.literal, '{{seq}}');
    assert.match(once.ui.infos[0]!, new RegExp(`Published 1 message "order-created" to stream "${stream}" on "${conn}": id ${id}`));

    const ten = await click(doc, 2, /^×10$/);
    assert.equal(ten.result?.ids.length, 10);
    assert.equal(await client.xlen(stream), 11);
    const last = (await client.xrevrange(stream, '+', '-', 'COUNT', 1)) as [string, string[]][];
    assert.equal(last[0]![1][1], 'ord-11', '{{seq}} continues across publishes');
    assert.match(ten.ui.infos[0]!, new RegExp(`Published 10 messages .* ids ${ten.result!.ids[0]} … ${ten.result!.ids[9]}`));
  });

  it('×N asks how many; a list message is enqueued with its payload in the job hash', async () => {
    const queue = `${prefix}:emails`;
    const doc = await openDoc(['### welcome', `list: ${queue}`, `connection: ${conn}`, 'to = {{email}}', 'n = {{seq}}'].join('\n'));
    const r = await click(doc, 0, /^×N…$/, ['3']);
    assert.deepEqual(r.ui.asked, ['input Publish "welcome" how many times?']);
    assert.equal(r.result?.ids.length, 3);
    assert.equal(await client.llen(queue), 3);
    const job = await client.hgetall(`${queue}:job:${r.result!.ids[2]}`);
    assert.equal(job.n, '3');
    assert.match(job.to!, /@/);
    const cancelled = await click(doc, 0, /^×N…$/, [undefined]);
    assert.equal(cancelled.result, undefined);
    assert.equal(await client.llen(queue), 3);
  });

  it('shows mistakes as diagnostics, and a message with errors has a lens that explains instead of publishing', async () => {
    const doc = await openDoc(['### broken', 'maxlen: lots', 'colour: red', 'a = 1', 'a = 2', 'b = {{nope}}', 'c = {"x": 1', '### fine', `stream: ${prefix}:fine`, `connection: ${conn}`, 'x = 1'].join('\n'));
    const diags = await until('diagnostics', () => {
      const d = vscode.languages.getDiagnostics(doc.uri);
      return d.length ? d : undefined;
    }, 10_000);
    const byCode = Object.fromEntries(diags.map((d) => [String(d.code), d.range.start.line]));
    assert.deepEqual(byCode, { 'missing-target': 0, 'bad-maxlen': 1, 'unknown-key': 2, 'duplicate-field': 4, 'unknown-template': 5, 'bad-json': 6 });
    assert.ok(diags.every((d) => d.severity === vscode.DiagnosticSeverity.Error && d.source === 'redisq'));
    const all = await lenses(doc, 5);
    const broken = all.filter((l) => l.range.start.line === 0);
    assert.equal(broken.length, 1);
    assert.match(broken[0]!.command!.title, /Not publishable: 6 problems; line 1: No target/);
    assert.notEqual(broken[0]!.command!.command, 'redisQueues.producer.publish');
    assert.ok(all.some((l) => l.range.start.line === 7 && l.command?.command === 'redisQueues.producer.publish'));

    // Publishing the broken one anyway (e.g. from an old lens) is refused before sending.
    assert.match((await failure(() => vscode.commands.executeCommand('redisQueues.producer.publish', { uri: doc.uri.toString(), message: 'broken', line: 0 }))).message, /has 6 problems/);

    // Fixing the text clears the diagnostics.
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(0, 0, 6, 11), `### broken\nstream: ${prefix}:x\na = 1`);
    await vscode.workspace.applyEdit(edit);
    await until('no diagnostics', () => vscode.languages.getDiagnostics(doc.uri).length === 0, 10_000);
  });

  it('refuses a read-only connection before sending anything', async () => {
    const stream = `${prefix}:ro`;
    const doc = await openDoc(['### m', `stream: ${stream}`, `connection: ${ro}`, 'x = 1'].join('\n'));
    assert.match((await failure(async () => (await click(doc, 0, /Publish$/)).result)).message, /read-only: publishing "m" was refused before anything was sent/);
    assert.equal(await client.exists(stream), 0);
  });

  it('asks which connection when the file names none and there are several, and remembers it for the file', async () => {
    const stream = `${prefix}:ask`;
    const doc = await openDoc(['### m', `stream: ${stream}`, 'x = {{seq}}'].join('\n'));
    const first = await click(doc, 0, /Publish$/, [(items: PickItem<unknown>[]) => items.find((i) => i.label === conn)!.value]);
    assert.equal(first.ui.asked.length, 1);
    assert.match(first.ui.asked[0]!, /^pick Connection for/);
    assert.equal(first.result?.connection, conn);
    const second = await click(doc, 0, /Publish$/);
    assert.deepEqual(second.ui.asked, []);
    assert.equal(second.result?.connection, conn);
    assert.equal(await client.xlen(stream), 2);
  });

  it('New Producer File opens the sample, which has no problems and a lens per message', async () => {
    api.services.ui = scripted([]);
    const uri = await vscode.commands.executeCommand<string>('redisQueues.producer.newFile', { where: 'untitled' });
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri)!;
    assert.equal(doc.languageId, 'redisq');
    assert.match(doc.getText(), /### order-created/);
    const headers = doc.getText().split('\n').flatMap((l, i) => (l.startsWith('### ') ? [i] : []));
    const all = await lenses(doc, headers.length * 4);
    for (const h of headers) assert.ok(all.some((l) => l.range.start.line === h && l.command?.title.startsWith('$(play) Publish')), `no publish lens on line ${h}`);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(vscode.languages.getDiagnostics(doc.uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error), []);
  });
});
