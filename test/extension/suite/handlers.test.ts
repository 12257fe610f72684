// Run Handler / Debug Handler on This Message, inside a real VS Code against a real Redis: the
// workspace's own handler (files written here, under .test-output) runs on a seeded message,
// under VS Code's JavaScript debugger where asked: a breakpoint in it stops with the message in
// the paused frame, byte for byte. What is done to Redis is what was chosen (ack, leave pending,
// dead-letter with the handler's error), and nothing at all on a dry run.
import * as assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import * as ts from 'typescript';
import * as vscode from 'vscode';
import { open, quit } from '../../../src/core/redis/connection';
import { fromJsonPairs, sameRaw } from '../../../src/core/messages/message';
import { splitDeadLetter } from '../../../src/core/queue/stream/deadLetter';
import { deadLetter } from '../../../src/core/ops';
import { parseEntries } from '../../../src/core/redis/replies';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import type { HandlerCommandResult } from '../../../src/vscode/commands/handler';
import { ownConsumerName } from '../../../src/vscode/commands/target';
import type { PickItem } from '../../../src/vscode/ui';
import { scripted, tree, until } from '../helpers';
import type { Node } from '../../../src/vscode/tree/node';

const EXT = 'redis-queues.redis-queues';
let api: RedisQueuesApi;
const { kids, path } = tree(() => api);
const root = join(__dirname, '..', '..', '..', '..');

/** Picks the item whose label starts with `label`. */
const choose =
  (label: string) =>
  <T>(items: PickItem<T>[]) => {
    const it = items.find((i) => i.label.startsWith(label));
    assert.ok(it, `no "${label}" among: ${items.map((i) => i.label).join(' | ')}`);
    return it.value;
  };

async function run(command: string, answers: unknown[], ...args: unknown[]) {
  const ui = scripted(answers);
  api.services.ui = ui;
  const result = await vscode.commands.executeCommand<HandlerCommandResult | undefined>(command, ...args);
  return { result, ui };
}

interface Stop {
  session: vscode.DebugSession;
  threadId: number;
}

describe('(extension) run and debug your own handler on a real message', function () {
  this.timeout(120_000);
  let client: Redis;
  const prefix = `hd-${randomUUID().slice(0, 8)}`;
  const conn = `hd-${prefix}`;
  const ro = `hd-ro-${prefix}`;
  const prod = `hd-prod-${prefix}`;
  const dir = join(root, '.test-output', 'handlers', prefix);
  const stops: Stop[] = [];
  let tracker: vscode.Disposable;
  const BIN = Buffer.from([0xff, 0x00, 0xfe]);
  const own = ownConsumerName();

  /** A message pending at `consumer` in group g of `stream`: binary values, a repeated name. */
  async function seedPending(stream: string, consumer = 'worker-a'): Promise<string> {
    await client.del(stream, `${stream}:dlq`);
    const id = String(await client.xadd(stream, '*', 'n', '1', 'bin', BIN, 'n', 'again', 'total', '-3'));
    await client.xgroup('CREATE', stream, 'g', '0');
    await client.xreadgroup('GROUP', 'g', consumer, 'COUNT', 1, 'STREAMS', stream, '>');
    return id;
  }
  async function pendingRow(connection: string, stream: string, consumer: string, id: string): Promise<Node> {
    api.services.provider.refresh();
    return path(connection, 'Streams', stream, 'Groups', 'g', consumer, id);
  }
  const pendingOf = async (stream: string, id: string) => ((await client.xpending(stream, 'g', id, id, 1)) as [string, string, number, number][])[0];

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    client = (await open({ url: process.env.REDIS_URL! })) as Redis;
    mkdirSync(dir, { recursive: true });
    // A JavaScript handler (line 4 is where a breakpoint goes), one that throws, a command.
    writeFileSync(
      join(dir, 'handler.js'),
      ['exports.handle = async function handle(message) {', '  const total = Number(message.fields.total);', "  if (message.fields.fail === 'yes') throw new Error('never');", '  globalThis.lastSeen = { id: message.id, total };', '};', ''].join('\n'),
    );
    // A handler that reports what it got: how many parts, and a digest of every byte in order.
    writeFileSync(
      join(dir, 'sizes.js'),
      [
        "const { createHash } = require('node:crypto');",
        "const { writeFileSync } = require('node:fs');",
        'exports.handle = (message) => {',
        "  const h = createHash('sha256');",
        '  for (const b of message.raw) h.update(String(b.length) + ":").update(b);',
        `  writeFileSync(${JSON.stringify(join(dir, 'sizes.json'))}, JSON.stringify({ parts: message.raw.length, sha: h.digest('hex'), fields: Object.keys(message.fields).length }));`,
        '};',
        '',
      ].join('\n'),
    );
    // A worker program started by a launch configuration (any language could be here): it reads
    // the message from RQ_MESSAGE_FILE, and fails (exit 3) on a total below 0.
    writeFileSync(
      join(dir, 'worker.js'),
      [
        "const { readFileSync, writeFileSync } = require('node:fs');",
        'const text = readFileSync(process.env.RQ_MESSAGE_FILE, "utf8");',
        `writeFileSync(${JSON.stringify(join(dir, 'launch-got.json'))}, text);`,
        'const m = JSON.parse(text);',
        'process.exitCode = Number(m.fields.total) < 0 ? 3 : 0;',
        '',
      ].join('\n'),
    );
    await vscode.workspace.getConfiguration('launch').update('configurations', [{ type: 'node', request: 'launch', name: `worker ${prefix}`, program: join(dir, 'worker.js') }], vscode.ConfigurationTarget.Workspace);
    // A handler that never returns (and ignores its signal), and marks that it started.
    writeFileSync(join(dir, 'slow.js'), ['exports.handle = () => {', `  require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'slow-started'))}, String(process.pid));`, '  return new Promise(() => {});', '};', ''].join('\n'));
    writeFileSync(join(dir, 'fail.js'), ['exports.handle = (message) => {', '  throw new Error(`bad total for ${message.id}`);', '};', ''].join('\n'));
    // A TypeScript handler compiled with a source map (as tsc writes it): breakpoints go in the .ts.
    const tsSource = ['interface Message { id: string; fields: Record<string, unknown> }', 'export async function handle(message: Message): Promise<void> {', '  const id: string = message.id;', '  console.log(`ts handler got ${id}`);', '}', ''].join('\n');
    writeFileSync(join(dir, 'tshandler.ts'), tsSource);
    const out = ts.transpileModule(tsSource, { fileName: 'tshandler.ts', compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, sourceMap: true } });
    writeFileSync(join(dir, 'tshandler.js'), out.outputText);
    writeFileSync(join(dir, 'tshandler.js.map'), out.sourceMapText!);
    const cfg = vscode.workspace.getConfiguration('redisQueues');
    await cfg.update('streamFilter', `${prefix}:*`, vscode.ConfigurationTarget.Global);
    await cfg.update('refreshIntervalSeconds', 0, vscode.ConfigurationTarget.Global);
    await cfg.update(
      'handlers',
      [
        { stream: `${prefix}:js`, group: 'g', module: join(dir, 'handler.js'), export: 'handle' },
        { stream: `${prefix}:ts`, module: join(dir, 'tshandler.js'), export: 'handle' },
        { stream: `${prefix}:fail*`, module: join(dir, 'fail.js'), export: 'handle' },
        { stream: `${prefix}:big`, module: join(dir, 'sizes.js'), export: 'handle' },
        { stream: `${prefix}:slow`, module: join(dir, 'slow.js'), export: 'handle', timeoutSeconds: 1 },
        { stream: `${prefix}:launch`, launch: `worker ${prefix}` },
        { stream: `${prefix}:cmd`, command: `cat > "${join(dir, 'stdin.json')}"; printf %s "$RQ_ID" > "${join(dir, 'rq_id.txt')}"` },
      ],
      vscode.ConfigurationTarget.Global,
    );
    for (const [name, extra] of [[conn, {}], [ro, { readOnly: true }], [prod, { production: true }]] as const) {
      await vscode.commands.executeCommand('redisQueues.connection.add', { name, url: process.env.REDIS_URL!, ...extra });
      await until(name, () => Boolean(api.services.sessions.get(name)));
    }
    // Every stop of a debug session, on the (child) session that sent it.
    tracker = vscode.debug.registerDebugAdapterTrackerFactory('*', {
      createDebugAdapterTracker: (session) => ({
        onDidSendMessage: (m: { type?: string; event?: string; body?: { reason?: string; threadId?: number } }) => {
          if (m.type === 'event' && m.event === 'stopped') stops.push({ session, threadId: m.body?.threadId ?? 0 });

        },
      }),
    });
  });

  after(async () => {
    tracker?.dispose();
    api.services.ui = (await import('../../../src/vscode/ui')).vscodePrompter;
    for (const name of [conn, ro, prod]) await vscode.commands.executeCommand('redisQueues.connection.remove', name, { confirm: false });
    const cfg = vscode.workspace.getConfiguration('redisQueues');
    for (const k of ['streamFilter', 'refreshIntervalSeconds', 'handlers']) await cfg.update(k, undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('launch').update('configurations', undefined, vscode.ConfigurationTarget.Workspace);
    // (the declared handler went to the workspace's settings)
    await cfg.update('handlers', undefined, vscode.ConfigurationTarget.Workspace);
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    const keys = await client.keys(`${prefix}:*`);
    if (keys.length) await client.del(...keys);
    await quit(client);
    rmSync(dir, { recursive: true, force: true });
  });

  /** The paused frame of the last stop: its source path, line, and what `expr` evaluates to there. */
  async function pausedAt(exprs: string[]): Promise<{ path: string; line: number; values: string[]; stop: Stop }> {
    const stop = stops.at(-1)!;
    const trace = (await stop.session.customRequest('stackTrace', { threadId: stop.threadId, startFrame: 0, levels: 1 })) as { stackFrames: { id: number; line: number; source?: { path?: string } }[] };
    const frame = trace.stackFrames[0]!;
    const values: string[] = [];
    for (const expression of exprs) values.push(((await stop.session.customRequest('evaluate', { expression, frameId: frame.id, context: 'repl' })) as { result: string }).result);
    return { path: vscode.Uri.parse(frame.source?.path ?? '').path || (frame.source?.path ?? ''), line: frame.line, values, stop };
  }

  it('a JavaScript handler: Debug Handler stops at its breakpoint with the message in the paused frame (id, a binary value), then acks as chosen', async () => {
    const S = `${prefix}:js`;
    const id = await seedPending(S);
    const row = await pendingRow(conn, S, 'worker-a', id);
    const bp = new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(join(dir, 'handler.js')), new vscode.Position(3, 0)));
    vscode.debug.addBreakpoints([bp]);
    const before = stops.length;
    try {
      // worker-a read it a moment ago (below the STUCK idle): taking it over wants worker-a's name typed.
      const running = run('redisQueues.handler.debug', [choose('Claim from worker-a'), 'worker-a', choose('Acknowledge (XACK)'), true], row);
      await until('the debugger stopped at the breakpoint', () => stops.length > before, 60_000);
      const at = await pausedAt(['message.id', "message.raw[3].toString('hex')", 'message.raw.length', 'message.deliveries', 'message.group', 'message.consumer']);
      assert.ok(at.path.endsWith('/handler.js'), at.path);
      assert.equal(at.line, 4);
      assert.deepEqual(at.values, [`'${id}'`, "'ff00fe'", '8', '2', "'g'", `'${own}'`]);
      // While it is paused, the entry is held by this editor's consumer (claimed from worker-a).
      assert.equal((await pendingOf(S, id))![1], own);
      await at.stop.session.customRequest('continue', { threadId: at.stop.threadId });
      const { result, ui } = await running;
      assert.match(ui.asked[0]!.text, new RegExp(`^Debug .*handler\\.js › handle on ${id} \\(pending at worker-a in group "g"\\)$`));
      assert.match(ui.asked[1]!.text, new RegExp(`^worker-a read ${id} \\S+ ago and may be running it right now: taking it over runs it twice at once\\. Type "worker-a" to take it over anyway`));
      assert.equal(ui.asked[1]!.validate!('worker-b'), 'Type worker-a to take it over, or press Escape');
      assert.match(ui.asked[2]!.text, /succeeded on .* in \d+ ms: what now\?$/);
      assert.equal(result!.result.outcome, 'acked');
      assert.equal(result!.result.claimedFrom, 'worker-a');
      assert.equal(await pendingOf(S, id), undefined, 'acked: no longer pending');
    } finally {
      vscode.debug.removeBreakpoints([bp]);
    }
  });

  it('claiming an entry its worker read moments ago wants the holder\'s name typed: Escape takes nothing', async () => {
    const S = `${prefix}:js`;
    const id = await seedPending(S);
    const { result, ui } = await run('redisQueues.handler.run', [choose('Claim from worker-a'), undefined], await pendingRow(conn, S, 'worker-a', id));
    assert.equal(result, undefined);
    assert.deepEqual(ui.asked.map((a) => a.kind), ['pick', 'input']);
    assert.match(ui.asked[0]!.items![1]!, /^Claim from worker-a and run as /);
    const p = (await pendingOf(S, id))!;
    assert.deepEqual([p[1], p[3]], ['worker-a', 1], 'still worker-a\'s, delivered once');
  });

  it('Run Handler stops a handler that runs past its timeoutSeconds and counts it as failed; the entry stays as it was', async () => {
    const S = `${prefix}:slow`;
    const id = await seedPending(S);
    rmSync(join(dir, 'slow-started'), { force: true });
    // The entry's row in the stream (not a pending one): a dry run, nothing asked.
    api.services.provider.refresh();
    const { result, ui } = await run('redisQueues.handler.run', [], await path(conn, 'Streams', S, 'Entries', id));
    assert.deepEqual(ui.asked, []);
    const r = result!.result;
    assert.equal(r.outcome, 'dry-run');
    assert.equal(r.error, 'timed out after 1000 ms');
    assert.match(r.summary, /the handler failed \(timed out after 1000 ms\)/);
    const pid = Number(readFileSync(join(dir, 'slow-started'), 'utf8'));
    // Its process is ended with the run.
    await until('the handler\'s process ended', () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    const p = (await pendingOf(S, id))!;
    assert.deepEqual([p[1], p[3]], ['worker-a', 1]);
  });

  it('a TypeScript handler (compiled, with its source map) stops at its breakpoint in the .ts source; a dry run writes nothing', async () => {
    const S = `${prefix}:ts`;
    const id = await seedPending(S);
    const row = await pendingRow(conn, S, 'worker-a', id);
    const bp = new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(join(dir, 'tshandler.ts')), new vscode.Position(3, 0)));
    vscode.debug.addBreakpoints([bp]);
    const before = stops.length;
    try {
      const running = run('redisQueues.handler.debug', [choose('Dry run')], row);
      await until('the debugger stopped in the .ts source', () => stops.length > before, 60_000);
      const at = await pausedAt(['id']);
      assert.ok(at.path.endsWith('/tshandler.ts'), at.path);
      assert.equal(at.line, 4);
      assert.deepEqual(at.values, [`'${id}'`]);
      await at.stop.session.customRequest('continue', { threadId: at.stop.threadId });
      const { result } = await running;
      assert.equal(result!.result.outcome, 'dry-run');
      assert.equal(result!.result.error, undefined);
      const p = (await pendingOf(S, id))!;
      assert.deepEqual([p[1], p[3]], ['worker-a', 1], 'a dry run takes nothing: still worker-a\'s, delivered once');
    } finally {
      vscode.debug.removeBreakpoints([bp]);
    }
  });

  it('a throwing handler: the error and its stack are shown, the entry left pending; asked again, it is dead-lettered with the error as the reason', async () => {
    const S = `${prefix}:fail`;
    const id = await seedPending(S);
    const first = await run('redisQueues.handler.run', [choose('Claim from worker-a'), 'worker-a', choose('Leave pending')], await pendingRow(conn, S, 'worker-a', id));
    const r1 = first.result!.result;
    assert.equal(r1.outcome, 'left-pending');
    assert.equal(r1.error, `bad total for ${id}`);
    assert.match(r1.stack ?? '', /fail\.js:2:\d+/, 'the stack points into the handler\'s source');
    assert.match(first.ui.asked[2]!.text, new RegExp(`failed on ${id}: bad total for ${id}$`));
    assert.deepEqual(first.ui.asked[2]!.items, ['Leave pending', 'Retry now', 'Dead-letter with this error', 'Acknowledge (XACK) anyway']);
    assert.ok(first.ui.infos.some((m) => m.includes(`bad total for ${id}`)), first.ui.infos.join(' | '));
    const p = (await pendingOf(S, id))!;
    assert.deepEqual([p[1], p[3]], [own, 2], 'pending at this editor\'s consumer, delivered twice');
    // Now held by this editor's consumer: run as it, Retry now once, then dead-letter.
    const second = await run('redisQueues.handler.run', [choose(`Run as ${own}`), choose('Retry now'), choose('Dead-letter with this error'), true], await pendingRow(conn, S, own, id));
    const r2 = second.result!;
    assert.equal(r2.runs, 2, 'Retry now ran the handler again');
    assert.equal(r2.result.outcome, 'dead-lettered');
    assert.equal(r2.result.deliveries, 4);
    assert.equal(await pendingOf(S, id), undefined);
    const [letter] = parseEntries(await client.xrangeBuffer(`${S}:dlq`, '-', '+'));
    const d = splitDeadLetter(letter!);
    assert.equal(d.error, `bad total for ${id}`);
    assert.equal(d.originalId, id);
    assert.ok(sameRaw(d.raw, parseEntries(await client.xrangeBuffer(S, id, id))[0]!.raw), 'the dead letter holds the message byte for byte');
  });

  it('a command handler receives on stdin the lossless JSON of the message (binary values, repeated names) and RQ_ID', async () => {
    const S = `${prefix}:cmd`;
    const id = await seedPending(S);
    // An entry row (not pending in a group): a dry run, nothing asked.
    api.services.provider.refresh();
    const entry = await path(conn, 'Streams', S, 'Entries', id);
    const { result, ui } = await run('redisQueues.handler.run', [], entry);
    assert.deepEqual(ui.asked, []);
    assert.equal(result!.result.outcome, 'dry-run');
    const stdin = readFileSync(join(dir, 'stdin.json'), 'utf8');
    assert.ok(stdin.endsWith('\n') && stdin.indexOf('\n') === stdin.length - 1, 'one line');
    const got = JSON.parse(stdin) as { id: string; stream: string; pairs: unknown };
    assert.equal(got.id, id);
    assert.equal(got.stream, S);
    const want = parseEntries(await client.xrangeBuffer(S, id, id))[0]!.raw!;
    assert.ok(sameRaw(fromJsonPairs(got.pairs), want), 'stdin holds the message byte for byte, in order');
    assert.equal(readFileSync(join(dir, 'rq_id.txt'), 'utf8'), id);
  });

  it('on a read-only connection only a dry run is offered, and it sends no write (commandstats)', async () => {
    const S = `${prefix}:js`;
    const id = await seedPending(S);
    const writes = async () => {
      const info = String(await client.info('commandstats'));
      return ['xack', 'xclaim', 'xadd', 'xautoclaim', 'xgroup', 'xreadgroup', 'xdel'].map((c) => Number(new RegExp(`cmdstat_${c}:calls=(\\d+)`).exec(info)?.[1] ?? 0));
    };
    const row = await pendingRow(ro, S, 'worker-a', id);
    const before = await writes();
    const { result, ui } = await run('redisQueues.handler.run', [], row);
    assert.deepEqual(ui.asked, [], 'no choice: a dry run');
    assert.equal(result!.result.outcome, 'dry-run');
    assert.match(result!.result.summary, /read-only/);
    assert.deepEqual(await writes(), before, 'no write was sent');
  });

  it('with no handler declared for the stream, offers to declare one, remembers it, then runs it', async () => {
    const S = `${prefix}:new`;
    await client.del(S);
    const id = String(await client.xadd(S, '*', 'total', '5'));
    api.services.provider.refresh();
    const entry = await path(conn, 'Streams', S, 'Entries', id);
    const { result, ui } = await run('redisQueues.handler.run', [choose('$(file-code)'), choose('$(edit) Type a path'), join(dir, 'handler.js'), choose('handle')], entry);
    assert.match(ui.asked[0]!.text, new RegExp(`^No handler is declared for stream "${S}"`));
    assert.ok(ui.asked[3]!.items!.includes('handle'), `exports offered: ${ui.asked[3]!.items!.join(', ')}`);
    assert.equal(result!.result.outcome, 'dry-run');
    // Saved in the workspace's settings (checked in beside the code), the user's own list kept.
    const saved = vscode.workspace.getConfiguration('redisQueues').inspect<{ stream: string; module: string; export: string }[]>('handlers')!.workspaceValue!;
    assert.deepEqual(saved[0], { stream: S, module: join(dir, 'handler.js'), export: 'handle' });
    // Remembered: the next run asks nothing.
    const again = await run('redisQueues.handler.run', [], entry);
    assert.deepEqual(again.ui.asked, []);
    assert.equal(again.result!.result.outcome, 'dry-run');
  });

  it('from a producer file, before anything is published: the Debug Handler lens runs the stream\'s handler on the rendered message', async () => {
    const S = `${prefix}:cmd`;
    await client.del(S);
    const file = join(dir, 'orders.redisq');
    writeFileSync(file, ['### order-created', `stream: ${S}`, 'orderId = ord-{{seq:7}}', 'note = caf\u00e9 \u{1F680}', ''].join('\n'));
    const uri = vscode.Uri.file(file);
    const doc = await vscode.workspace.openTextDocument(uri);
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri)) ?? [];
    const lens = lenses.find((l) => l.command?.title === '$(debug-alt) Debug Handler');
    assert.ok(lens, `lenses: ${lenses.map((l) => l.command?.title).join(' | ')}`);
    const ui = scripted([]);
    api.services.ui = ui;
    const result = await vscode.commands.executeCommand<HandlerCommandResult | undefined>(lens.command!.command, ...(lens.command!.arguments ?? []));
    assert.equal(result!.result.outcome, 'dry-run');
    assert.match(result!.result.summary, /^Dry run of "order-created" \(not published\)/);
    const got = JSON.parse(readFileSync(join(dir, 'stdin.json'), 'utf8')) as { stream: string; pairs: unknown };
    assert.equal(got.stream, S);
    assert.ok(sameRaw(fromJsonPairs(got.pairs), [Buffer.from('orderId'), Buffer.from('ord-7'), Buffer.from('note'), Buffer.from('caf\u00e9 \u{1F680}')]));
    assert.equal(await client.exists(S), 0, 'nothing was published');
  });

  it('the size limits hold: a 3 MB value and 5,000 fields reach the handler whole, byte for byte', async () => {
    const S = `${prefix}:big`;
    await client.del(S);
    const parts: Buffer[] = [Buffer.from('payload'), Buffer.alloc(3 * 1024 * 1024, 0xab)];
    for (let i = 0; i < 5000; i++) parts.push(Buffer.from(`f${i}`), Buffer.from([i % 256, 0xff, 0x00]));
    const id = String(await client.xadd(S, '*', ...parts));
    api.services.provider.refresh();
    const entry = await path(conn, 'Streams', S, 'Entries', id);
    const { result } = await run('redisQueues.handler.run', [], entry);
    assert.equal(result!.result.outcome, 'dry-run', result!.result.summary);
    assert.equal(result!.result.error, undefined);
    const want = createHash('sha256');
    for (const b of parts) want.update(`${b.length}:`).update(b);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'sizes.json'), 'utf8')), { parts: parts.length, sha: want.digest('hex'), fields: 5001 });
  });

  it("a launch configuration (any language's debugger): Debug Handler starts it with RQ_MESSAGE_FILE; its exit code is the result", async () => {
    const S = `${prefix}:launch`;
    const id = await seedPending(S); // total = -3: the worker exits with 3
    const { result, ui } = await run('redisQueues.handler.debug', [choose('Claim from worker-a'), 'worker-a', choose('Leave pending')], await pendingRow(conn, S, 'worker-a', id));
    assert.equal(result!.result.outcome, 'left-pending', result!.result.summary);
    assert.equal(result!.result.error, `"worker ${prefix}" exited with code 3`);
    assert.match(ui.asked[2]!.text, /failed on .*exited with code 3$/);
    const got = JSON.parse(readFileSync(join(dir, 'launch-got.json'), 'utf8')) as { id: string; pairs: unknown };
    assert.equal(got.id, id);
    assert.ok(sameRaw(fromJsonPairs(got.pairs), parseEntries(await client.xrangeBuffer(S, id, id))[0]!.raw), 'the message file holds the message byte for byte');
    // Run Handler (no debugger) with only a launch configuration: says how, takes nothing.
    const plain = await run('redisQueues.handler.run', [choose(`Run as ${own}`)], await pendingRow(conn, S, own, id));
    assert.equal(plain.result, undefined);
    assert.deepEqual(((await pendingOf(S, id)) ?? []).slice(1, 2), [own], 'still pending here');
  });

  it('a dead letter: its message, as it was dead-lettered, in a dry run; on a production connection an ack asks for the stream\'s name typed', async () => {
    const S = `${prefix}:fail-dl`;
    const id = await seedPending(S);
    const dl = await deadLetter({ client, name: conn }, S, 'g', [id], { reason: 'first failure' });
    assert.equal(dl.moved.length, 1);
    api.services.provider.refresh();
    const record = (await kids(await path(conn, 'Streams', `${S}:dlq`, 'Entries')))[0]!;
    const { result, ui } = await run('redisQueues.handler.run', [], record);
    assert.deepEqual(ui.asked, [], 'a dry run, nothing asked');
    assert.equal(result!.result.outcome, 'dry-run');
    assert.equal(result!.result.error, `bad total for ${id}`, 'the handler saw the original id');
    assert.equal(await client.xlen(`${S}:dlq`), 1, 'nothing written');
    // Production: the ack is confirmed by typing the stream's name.
    const P = `${prefix}:js`;
    const pid = await seedPending(P);
    const typed = await run('redisQueues.handler.run', [choose('Claim from worker-a'), 'worker-a', choose('Acknowledge (XACK)'), P], await pendingRow(prod, P, 'worker-a', pid));
    assert.equal(typed.result!.result.outcome, 'acked');
    assert.match(typed.ui.asked[3]!.text, new RegExp(`production connection "${prod}".*Type "${P}" to confirm`));
    assert.equal(await pendingOf(P, pid), undefined);
  });
});
