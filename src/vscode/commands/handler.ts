/**
 * Run Handler on This Message / Debug Handler on This Message: the workspace's own handler (see
 * handlers/handlerSpecs.ts) on a real message from Redis, plainly or under the debugger, through
 * the worker's own path (core `runOneMessage`: the same message object, the same delivery count,
 * ack and dead-letter). What is done to Redis follows the entry's state:
 *
 * - a pending entry: a dry run (this run writes nothing to Redis; the handler's own side effects
 *   happen), or run as this editor's consumer, claimed from its holder when another consumer holds
 *   it (said, with its idle time; below the STUCK idle, where its worker may be running it right
 *   now, only with the holder's name typed); then the outcome is
 *   asked while the entry is still held: ack or leave pending on success; leave pending, retry
 *   now, or dead-letter with the handler's error on failure;
 * - an entry not pending in a group, a dead-letter record (its message, as it was dead-lettered),
 *   a read-only connection: a dry run only.
 *
 * A production connection asks for the typed confirmation before an ack or a dead-letter. A run
 * is bounded by the handler's `timeoutSeconds` (default 300; a debug session has no bound but the
 * Cancel of its notification, as it may stop at breakpoints). The run's console output, timing,
 * error and stack go to the "Redis Queues: Handlers" output.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import {
  type Decision,
  type HandlerRun,
  type RunOneResult,
  type StreamEntry,
  type StreamMessage,
  formatDuration,
  runMessageDry,
  runOneMessage,
  splitDeadLetter,
  streamMessage,
} from '../../core/internal';
import { xpendingOne } from '../../core/redis/commands';
import { rawOf } from '../../core/messages/message';
import { parseFields } from '../../core/redis/replies';
import { type PublishArgs, renderForHandler } from '../producerFiles/publish';
import type { Session } from '../connections/session';
import { type HandlerMode, HandlerSetupError, type StartedHandler, startHandler } from '../handlers/handlerProcess';
import { type ResolvedHandler, declareHandler, exportedFunctions, findHandler, handlerTimeoutMs, resolveHandler } from '../handlers/handlerSpecs';
import type { Services } from '../services';
import { EntryNode, PendingEntryNode } from '../tree/explorerNodes';
import { Cancelled, required } from './command';
import { TREE_REDRAWN, confirmImpact, ownConsumerName, rowLost } from './target';

let output: vscode.OutputChannel | undefined;
function log(): vscode.OutputChannel {
  output ??= vscode.window.createOutputChannel('Redis Queues: Handlers');
  return output;
}

/** A message named without a tree row (a tail row, the debug consumer, an agent): where it is. */
export interface MessageRef {
  connection: string;
  stream: string;
  id: string;
  group?: string;
}

/** What the command is about: a pending entry, an entry, or a dead letter's message. */
interface Target {
  /** Undefined for a message not in Redis (a producer file's). */
  session?: Session;
  stream: string;
  id: string;
  group?: string;
  /** Pending in `group`: who holds it, how long idle, how often delivered. */
  pending?: { consumer: string; idle: number; deliveries: number };
  /** The message itself when it is not read from the stream (a dead letter's). */
  message?: StreamMessage;
  /** Why only a dry run is possible (undefined: a real run may be chosen). */
  dryOnly?: string;
  /** The consumer a real run runs as (default: this editor's, {@link ownConsumerName}). */
  runAs?: string;
}

/** What a Run/Debug Handler command did: the core's result, and how many runs (Retry now runs again). */
export interface HandlerCommandResult {
  result: RunOneResult;
  runs: number;
  handler: string;
}

export function runHandlerCommand(s: Services, node?: unknown, selected?: unknown, ref?: MessageRef): Promise<HandlerCommandResult | undefined> {
  return handlerCommand(s, 'run', node, selected, ref);
}

export function debugHandlerCommand(s: Services, node?: unknown, selected?: unknown, ref?: MessageRef): Promise<HandlerCommandResult | undefined> {
  return handlerCommand(s, 'debug', node, selected, ref);
}

async function handlerCommand(s: Services, mode: HandlerMode, node: unknown, selected: unknown, ref: MessageRef | undefined): Promise<HandlerCommandResult | undefined> {
  if (rowLost(node, selected)) throw new Error(TREE_REDRAWN);
  const target = await resolveTarget(s, node, ref);
  const handler = findHandler(target.stream, target.group) ?? (await offerDeclare(s, target.stream, target.group));
  const own = ownConsumerName();
  // How: a dry run, or a real run as this editor's consumer (claimed from its holder when another holds it).
  let how: 'dry' | 'own' | 'claim' = 'dry';
  if (target.dryOnly === undefined && target.pending) {
    const p = target.pending;
    const busy = p.idle < s.provider.settings().thresholds.stuckIdleMs;
    const real = p.consumer === own ? ('own' as const) : ('claim' as const);
    how = required(
      await s.ui.pick(
        [
          { label: 'Dry run', description: "no claim, ack or dead-letter: the entry stays as it is; the handler's own side effects happen", value: 'dry' as const },
          {
            label: real === 'own' ? `Run as ${own}` : `Claim from ${p.consumer} and run as ${own}`,
            description:
              real === 'own'
                ? `then ack, leave pending or dead-letter (delivery ${p.deliveries + 1})`
                : `idle ${formatDuration(p.idle)}${busy ? ': its worker may be running it right now' : ''}; then ack, leave pending or dead-letter (delivery ${p.deliveries + 1})`,
            value: real,
          },
        ],
        { title: `${mode === 'debug' ? 'Debug' : 'Run'} ${handler.title} on ${target.id} (pending at ${p.consumer} in group "${target.group}")` },
      ),
    );
    // Its worker read it moments ago and may be running it now: taking it over runs it twice at once.
    if (how === 'claim' && busy) {
      required(
        await s.ui.input({
          title: `${p.consumer} read ${target.id} ${formatDuration(p.idle)} ago and may be running it right now: taking it over runs it twice at once. Type "${p.consumer}" to take it over anyway`,
          validate: (v) => (v === p.consumer ? undefined : `Type ${p.consumer} to take it over, or press Escape`),
        }),
      );
    }
  }
  return runLoop(s, mode, target, handler, how);
}

/**
 * The producer file's "Debug Handler" lens: the handler of the message's stream on the message as
 * it would be published next, before anything is published (nothing is sent to Redis at all).
 */
export async function debugHandlerFromFile(s: Services, args?: PublishArgs): Promise<HandlerCommandResult> {
  const { name, stream, pairs } = await renderForHandler(s, args);
  const handler = findHandler(stream, undefined) ?? (await offerDeclare(s, stream, undefined));
  const raw = rawOf(...pairs.flat());
  const message = streamMessage(stream, { id: `${Date.now()}-0`, raw, fields: parseFields(raw)! }, 1, handler.spec.group ?? '', ownConsumerName());
  return runLoop(s, 'debug', { stream, id: `"${name}" (not published)`, message, dryOnly: `"${name}" of a producer file, not published` }, handler, 'dry');
}

/**
 * The debug consumer's "Run / Debug Handler": its shown message, which it holds as `consumer`,
 * through the handler as that consumer (no question how: it is its own pending entry), then the
 * outcome prompt. A read-only connection gets a dry run.
 */
export async function runHandlerAsHolder(
  s: Services,
  mode: HandlerMode,
  o: { session: Session; stream: string; group: string; consumer: string; id: string; /** Decided without asking, as a worker would: ack on success, leave pending on failure. */ auto?: boolean },
): Promise<HandlerCommandResult> {
  const target: Target = { session: o.session, stream: o.stream, id: o.id, group: o.group, runAs: o.consumer, ...(o.session.readOnly ? { dryOnly: `connection "${o.session.name}" is read-only` } : {}) };
  const handler = findHandler(o.stream, o.group) ?? (await offerDeclare(s, o.stream, o.group));
  return runLoop(s, mode, target, handler, o.session.readOnly ? 'dry' : 'own', o.auto ? (ran) => (ran.error === undefined ? { action: 'ack' } : { action: 'leave' }) : undefined);
}

/** Decides without asking (the debug consumer's Run Handler on Each). */
type AutoDecide = (ran: HandlerRun) => Decision;

async function runLoop(s: Services, mode: HandlerMode, target: Target, handler: ResolvedHandler, how: 'dry' | 'own' | 'claim', auto?: AutoDecide): Promise<HandlerCommandResult> {
  const out = log();
  let runs = 0;
  for (;;) {
    runs++;
    const result = await runOnce(s, mode, target, handler, how, out, auto);
    if (result !== 'retry') {
      report(s, result, handler);
      void s.provider.refresh();
      return { result, runs, handler: handler.title };
    }
    out.appendLine('Retry now: the handler runs again on the next delivery.');
  }
}

async function resolveTarget(s: Services, node: unknown, ref: MessageRef | undefined): Promise<Target> {
  const n = node instanceof PendingEntryNode || node instanceof EntryNode ? (s.provider.current(node) ?? node) : node;
  if (n instanceof PendingEntryNode) {
    const session = n.session;
    const base = { session, stream: n.stream, id: n.entry.id, group: n.group, pending: { consumer: n.entry.consumer, idle: n.entry.idle, deliveries: n.entry.deliveries } };
    return session.readOnly ? { ...base, dryOnly: `connection "${session.name}" is read-only` } : base;
  }
  if (n instanceof EntryNode) {
    const d = splitDeadLetter(n.entry);
    if (n.parent.dlq && (d.origin !== undefined || d.originalId !== undefined)) {
      if (!d.hasBody) throw new Error(`Dead letter ${n.entry.id} holds no message (its entry was gone when it was dead-lettered): there is nothing to run the handler on`);
      const origin = d.origin ?? n.stream;
      const entry: StreamEntry = { id: d.originalId ?? n.entry.id, raw: d.raw, fields: d.fields };
      const message = streamMessage(origin, entry, d.deliveries ?? 1, d.group ?? '', d.consumer ?? ownConsumerName());
      return { session: n.session, stream: origin, id: entry.id, group: d.group, message, dryOnly: `a dead letter of ${origin}: its message is run as it was dead-lettered` };
    }
    return { session: n.session, stream: n.stream, id: n.entry.id, dryOnly: 'an entry of the stream, not a pending one' };
  }
  if (ref) {
    const session = s.sessions.get(ref.connection);
    if (!session) throw new Error(`No connection named "${ref.connection}"`);
    if (ref.group) {
      const e = await session.run((insp) => xpendingOne(insp.client, ref.stream, ref.group!, ref.id));
      if (e) {
        const base = { session, stream: ref.stream, id: ref.id, group: ref.group, pending: { consumer: e.consumer, idle: e.idle, deliveries: e.deliveries } };
        return session.readOnly ? { ...base, dryOnly: `connection "${session.name}" is read-only` } : base;
      }
    }
    return { session, stream: ref.stream, id: ref.id, group: ref.group, dryOnly: ref.group ? `not pending in group "${ref.group}"` : 'an entry of the stream, not a pending one' };
  }
  if (node === undefined) throw new Error('Run the handler from a pending entry, an entry or a dead letter in the Redis Queues view (or a search hit, a tail row, the debug consumer)');
  throw new Error('This row is not a message');
}

/** No handler declared for the stream: offers to declare one (a file of the workspace and its export, or a command) and remembers it. */
async function offerDeclare(s: Services, stream: string, group: string | undefined): Promise<ResolvedHandler> {
  const kind = required(
    await s.ui.pick(
      [
        { label: '$(file-code) A JavaScript or TypeScript function…', description: 'pick a file of the workspace and its export', value: 'module' as const },
        { label: '$(terminal) A command…', description: 'any language: the message as JSON on stdin, RQ_* variables; exit 0 is success', value: 'command' as const },
        { label: '$(debug) A launch configuration…', description: "any language's debugger: RQ_* variables and RQ_MESSAGE_FILE; exit 0 is success", value: 'launch' as const },
      ],
      { title: `No handler is declared for stream "${stream}"${group ? ` (group "${group}")` : ''}: declare one (saved in redisQueues.handlers)` },
    ),
  );
  const folder = vscode.workspace.workspaceFolders?.[0];
  const pattern = stream;
  if (kind === 'launch') {
    const configs = vscode.workspace.getConfiguration('launch', folder?.uri).get<{ name?: string; type?: string }[]>('configurations', []).filter((c) => typeof c.name === 'string');
    if (!configs.length) throw new Error('The workspace has no launch configurations (.vscode/launch.json): add one that runs your worker for one message, or declare a command');
    const launch = required(await s.ui.pick(configs.map((c) => ({ label: c.name!, description: c.type, value: c.name! })), { title: `The launch configuration that handles a message of "${stream}" (it gets RQ_MESSAGE_FILE and the RQ_* variables)` }));
    const spec = { stream: pattern, ...(group ? { group } : {}), launch };
    await declareHandler(spec, folder);
    return resolveHandler(spec, folder);
  }
  if (kind === 'command') {
    const command = required(await s.ui.input({ title: `The command that handles a message of "${stream}"`, prompt: 'Run in the workspace folder with the message as JSON on stdin (as `redis-queues work --exec` gives it); exit 0 is success', validate: (v) => (v.trim() ? undefined : 'A command is required') })).trim();
    const spec = { stream: pattern, ...(group ? { group } : {}), command };
    await declareHandler(spec, folder);
    return resolveHandler(spec, folder);
  }
  const files = await vscode.workspace.findFiles('**/*.{js,cjs,mjs,ts,cts,mts}', '{**/node_modules/**,**/dist/**,**/out/**,**/.git/**}', 500);
  const file = required(
    await s.ui.pick(
      [
        ...files.map((u) => ({ label: vscode.workspace.asRelativePath(u), value: u.fsPath })),
        { label: '$(edit) Type a path…', description: 'relative to the workspace folder, or absolute', value: '\u0000type' },
      ],
      { title: 'The file that exports the handler' },
    ),
  );
  const path = file === '\u0000type' ? required(await s.ui.input({ title: 'Path of the handler module', validate: (v) => (v.trim() ? undefined : 'A path is required') })).trim() : file;
  const abs = folder && !path.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(path) ? join(folder.uri.fsPath, path) : path;
  let names: string[] = [];
  try {
    names = exportedFunctions(Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(abs))).toString('utf8'));
  } catch {
    throw new Error(`Cannot read ${abs}`);
  }
  const exported = required(
    await s.ui.pick(
      [...names.map((x) => ({ label: x, value: x })), { label: '$(edit) Type the export name…', value: '\u0000type' }],
      { title: `Which export of ${vscode.workspace.asRelativePath(abs)} handles a message? (called with the worker's message object)` },
    ),
  );
  const name = exported === '\u0000type' ? required(await s.ui.input({ title: 'Export name', value: 'handle', validate: (v) => (/^[A-Za-z_$][\w$]*$/.test(v.trim()) ? undefined : 'A JavaScript name') })).trim() : exported;
  const spec = { stream: pattern, ...(group ? { group } : {}), module: folder ? vscode.workspace.asRelativePath(abs, false) : abs, export: name };
  await declareHandler(spec, folder);
  return resolveHandler(spec, folder);
}

/** One run; 'retry' when the user chose Retry now (the entry was left pending for it). */
async function runOnce(s: Services, mode: HandlerMode, t: Target, h: ResolvedHandler, how: 'dry' | 'own' | 'claim', out: vscode.OutputChannel, auto?: AutoDecide): Promise<RunOneResult | 'retry'> {
  const abort = new AbortController();
  const own = t.runAs ?? ownConsumerName();
  const runnerPath = join(s.context.extensionUri.fsPath, 'dist', 'handlerRunner.js');
  out.appendLine(`\n── ${new Date().toISOString()} ${mode === 'debug' ? 'Debug' : 'Run'} ${h.title} on ${t.stream} ${t.id}${how === 'dry' ? ` (dry run${t.dryOnly ? `: ${t.dryOnly}` : ''})` : how === 'claim' ? ` (claimed from ${t.pending!.consumer})` : ''}`);
  const append = { append: (text: string) => out.append(text) };
  let started: StartedHandler | undefined;
  let retry = false;
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `${mode === 'debug' ? 'Debugging' : 'Running'} ${h.title} on ${t.id}…`, cancellable: true },
      async (_progress, token) => {
        token.onCancellationRequested(() => abort.abort(new Error('stopped')));
        try {
          started = await startHandler(h, { mode, runnerPath, log: append, signal: abort.signal, sessionName: `Redis Queues: ${h.title} on ${t.id}` });
        } catch (e) {
          if (e instanceof HandlerSetupError) throw new Error(`${h.title}: ${e.message}. Nothing was taken from Redis.`);
          throw e;
        }
        const handler = (m: StreamMessage, ctx: { signal: AbortSignal }) => started!.call(m, ctx.signal);
        // Paused at breakpoints a debug run takes as long as it takes; a plain run is bounded.
        const timeoutMs = mode === 'run' ? handlerTimeoutMs(h.spec) : undefined;
        const dry = (m: StreamMessage) => runMessageDry(m, { handler, name: t.id, reason: t.dryOnly ?? 'asked for a dry run', timeoutMs, signal: abort.signal });
        // A dead letter's message (as it was dead-lettered), or an entry not pending in a group: a dry run.
        if (t.message) return dry(t.message);
        const connection = await s.store.resolve(t.session!.entry);
        if (how === 'dry' && !t.group) {
          const entry = (await t.session!.run((insp) => insp.entriesByIds(t.stream, [t.id]))).get(t.id);
          if (!entry || !entry.raw) throw new Error(`No entry ${t.id} in stream "${t.stream}" (trimmed or deleted?)`);
          return dry(streamMessage(t.stream, entry, 1, '', own));
        }
        const result = await runOneMessage({
          connection,
          stream: t.stream,
          group: t.group!,
          consumer: own,
          id: t.id,
          claim: how === 'claim',
          dryRun: how === 'dry',
          handler,
          signal: abort.signal,
          timeoutMs,
          decide: async (ran) => {
            if (auto) return auto(ran);
            const d = await decide(s, t, h, ran);
            if (d === 'retry') {
              retry = true;
              return { action: 'leave' };
            }
            return d;
          },
        });
        return result;
      },
    ).then((r) => (retry && r.outcome === 'left-pending' ? 'retry' : r));
  } finally {
    started?.dispose();
  }
}

/** The outcome prompt, asked while the entry is still held. */
async function decide(s: Services, t: Target, h: ResolvedHandler, ran: HandlerRun): Promise<Decision | 'retry'> {
  const out = log();
  out.appendLine(ran.error === undefined ? `The handler succeeded in ${ran.durationMs} ms (delivery ${ran.deliveries}).` : `The handler failed in ${ran.durationMs} ms (delivery ${ran.deliveries}): ${ran.stack ?? ran.error}`);
  type Choice = Decision | 'retry';
  const items: { label: string; description?: string; value: Choice }[] =
    ran.error === undefined
      ? [
          { label: 'Acknowledge (XACK)', description: 'done: it leaves the pending entries list', value: { action: 'ack' } },
          { label: 'Leave pending', description: `stays pending at ${t.runAs ?? ownConsumerName()}`, value: { action: 'leave' } },
        ]
      : [
          { label: 'Leave pending', description: 'a worker retries it later', value: { action: 'leave' } },
          { label: 'Retry now', description: `run the handler again (delivery ${ran.deliveries + 1})`, value: 'retry' },
          { label: 'Dead-letter with this error', description: ran.error.length > 80 ? `${ran.error.slice(0, 79)}…` : ran.error, value: { action: 'dead-letter', reason: ran.error } },
          { label: 'Acknowledge (XACK) anyway', description: 'drop it: it will not be delivered again', value: { action: 'ack' } },
        ];
  if (ran.error !== undefined) out.show(true);
  const title = ran.error === undefined ? `${h.title} succeeded on ${t.id} in ${ran.durationMs} ms: what now?` : `${h.title} failed on ${t.id}: ${ran.error.split('\n')[0]}`;
  const choice = await s.ui.pick(items, { title });
  if (choice === undefined) return { action: 'leave' };
  if (choice !== 'retry' && (choice.action === 'ack' || choice.action === 'dead-letter')) {
    try {
      await confirmImpact(s, t.session!, {
        message: choice.action === 'ack' ? `Acknowledge ${t.id} in group "${t.group}"?` : `Dead-letter ${t.id} of "${t.stream}"?`,
        detail: choice.action === 'ack' ? 'It leaves the pending entries list and will not be delivered again.' : `It is copied to the dead-letter stream with the error "${ran.error}" and acknowledged.`,
        button: choice.action === 'ack' ? 'Acknowledge' : 'Dead-letter',
        typeName: t.stream,
      });
    } catch (e) {
      if (e instanceof Cancelled) return { action: 'leave' };
      throw e;
    }
  }
  return choice;
}

function report(s: Services, r: RunOneResult, h: ResolvedHandler): void {
  const out = log();
  if (r.error !== undefined && r.outcome === 'dry-run') out.appendLine(`The handler failed: ${r.stack ?? r.error}`);
  out.appendLine(`${r.summary}.`);
  const text = `${h.title}: ${r.summary}.`;
  if (r.error !== undefined) s.ui.warn(text);
  else s.ui.info(text);
}

