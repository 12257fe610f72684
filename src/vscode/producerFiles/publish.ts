import * as vscode from 'vscode';
import { BadInputError, ListQueueProducer, StreamProducer } from '../../core/internal';
import { MAX_COUNT, isPublishable, messageAt, parseProducerFile, renderMessages, type MessageSpec, type ProducerFile } from '../../core/producerFile';
import { required } from '../commands/command';
import { opTarget, plural, refuseReadOnly } from '../commands/target';
import type { Session } from '../connections/session';
import type { Services } from '../services';
import { readSettings } from '../settings';

export const LANGUAGE_ID = 'redisq';
export const PUBLISH_COMMAND = 'redisQueues.producer.publish';
export const NEW_FILE_COMMAND = 'redisQueues.producer.newFile';
const CHOSEN_KEY = 'redisQueues.producer.connectionByFile';

/** What the CodeLens passes: the file, the message (name + header line) and how many to send. */
export interface PublishArgs {
  uri?: string;
  message?: string;
  line?: number;
  /** A number, `'ask'` (×N: asks for it), or absent (the message's `count:`). */
  times?: number | 'ask';
}

export interface PublishResult {
  connection: string;
  kind: 'stream' | 'list';
  key: string;
  ids: string[];
}

/** Parses a document with what the extension host knows (environment, connection names). */
export function parseDocument(s: Services, doc: vscode.TextDocument): ProducerFile {
  return parseProducerFile(doc.getText(), { env: process.env, connections: s.sessions.list().map((x) => x.name) });
}

/** `{{seq}}` keeps counting across publishes of the same message while VS Code runs. */
const sequences = new Map<string, number>();

async function documentFor(uri: string | undefined): Promise<vscode.TextDocument> {
  if (!uri) {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || doc.languageId !== LANGUAGE_ID) throw new BadInputError('Open a producer file (*.redisq) and put the cursor in a message');
    return doc;
  }
  const found = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
  return found ?? vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
}

function findMessage(file: ProducerFile, args: PublishArgs, doc: vscode.TextDocument): MessageSpec {
  if (args.message === undefined) {
    const line = args.line ?? vscode.window.activeTextEditor?.selection.active.line ?? 0;
    const m = messageAt(file, line);
    if (!m) throw new BadInputError('No message here: messages start with "### name"');
    return m;
  }
  // The document may have changed since the lens was drawn: prefer the same line, else the name.
  const m = file.messages.find((x) => x.line === args.line && x.name === args.message) ?? file.messages.find((x) => x.name === args.message);
  if (!m) throw new BadInputError(`No message "${args.message}" in ${doc.uri.path.split('/').pop()}`);
  return m;
}

/** The connection: the message's `connection:`, else the one remembered for this file, else the only one, else asked (and remembered). */
async function sessionFor(s: Services, m: MessageSpec, doc: vscode.TextDocument): Promise<Session> {
  if (m.connection) {
    const named = s.sessions.get(m.connection);
    if (!named) throw new BadInputError(`No connection named "${m.connection}" (line ${m.line + 1}); add it in the Redis Queues view or change "connection:"`);
    return named;
  }
  const sessions = s.sessions.list();
  if (!sessions.length) throw new BadInputError('No Redis connection: add one or start the local sandbox first');
  const key = doc.uri.toString();
  const chosen = s.context.workspaceState.get<Record<string, string>>(CHOSEN_KEY, {});
  const remembered = chosen[key] ? s.sessions.get(chosen[key]) : undefined;
  if (remembered) return remembered;
  if (sessions.length === 1) return sessions[0]!;
  const picked = required(
    await s.ui.pick(
      sessions.map((x) => ({ label: x.name, description: `${x.entry.config.url ?? ''}${x.readOnly ? ' (read-only)' : ''}`, value: x })),
      { title: `Connection for ${doc.uri.path.split('/').pop()} (remembered for this file; or add "connection: <name>")` },
    ),
  );
  await s.context.workspaceState.update(CHOSEN_KEY, { ...chosen, [key]: picked.name });
  return picked;
}

async function howMany(s: Services, m: MessageSpec, times: PublishArgs['times']): Promise<number> {
  if (times === undefined) return m.count;
  if (times !== 'ask') {
    if (!Number.isSafeInteger(times) || times < 1 || times > MAX_COUNT) throw new BadInputError(`The number of messages must be from 1 to ${MAX_COUNT}`);
    return times;
  }
  const check = (v: string) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= MAX_COUNT ? undefined : `A whole number from 1 to ${MAX_COUNT}`);
  const answer = required(await s.ui.input({ title: `Publish "${m.name}" how many times?`, prompt: `1–${MAX_COUNT} messages, rendered one by one`, value: '100', validate: check }));
  if (check(answer)) throw new BadInputError(check(answer)!);
  return Number(answer.trim());
}

/**
 * One message of a producer file rendered as it would be published next (the same templates and
 * sequence, which is not advanced), for a handler to run on before anything is published.
 */
export async function renderForHandler(s: Services, args: PublishArgs = {}): Promise<{ name: string; stream: string; pairs: [string, string][] }> {
  const doc = await documentFor(args.uri);
  const m = findMessage(parseDocument(s, doc), args, doc);
  if (!isPublishable(m)) {
    const first = m.diagnostics.find((d) => d.severity === 'error')!;
    throw new BadInputError(`"${m.name}" has ${plural(m.diagnostics.filter((d) => d.severity === 'error').length, 'problem')}; first, line ${first.line + 1}: ${first.message}`);
  }
  if (m.target!.kind !== 'stream') throw new BadInputError(`"${m.name}" goes to a list queue: a handler runs on stream messages`);
  const seqStart = sequences.get(`${doc.uri.toString()}#${m.name}`) ?? 1;
  return { name: m.name, stream: m.target!.key, pairs: renderMessages(m, 1, { seqStart, env: process.env })[0]! };
}

/** Publishes one message of a producer file once, ×10 or ×N (the CodeLens command). */
export async function publishFromFile(s: Services, args: PublishArgs = {}): Promise<PublishResult> {
  const doc = await documentFor(args.uri);
  const file = parseDocument(s, doc);
  const m = findMessage(file, args, doc);
  if (!isPublishable(m)) {
    const first = m.diagnostics.find((d) => d.severity === 'error')!;
    throw new BadInputError(`"${m.name}" has ${plural(m.diagnostics.filter((d) => d.severity === 'error').length, 'problem')}; first, line ${first.line + 1}: ${first.message}`);
  }
  const target = m.target!;
  const session = await sessionFor(s, m, doc);
  refuseReadOnly(session, `publishing "${m.name}"`);
  const n = await howMany(s, m, args.times);

  // Render everything first: a template failure sends nothing.
  const seqKey = `${doc.uri.toString()}#${m.name}`;
  const seqStart = sequences.get(seqKey) ?? 1;
  const messages = renderMessages(m, n, { seqStart, env: process.env });
  sequences.set(seqKey, seqStart + n);

  const send = async (): Promise<string[]> => {
    const { client } = await opTarget(session);
    if (target.kind === 'stream') {
      const producer = new StreamProducer(client, { stream: target.key, trim: m.trim, target: session.name });
      return n === 1 ? [await producer.publish(messages[0]!)] : producer.publishBatch(messages);
    }
    // The queue's own layout (redisQueues.listQueues.layouts, else detected, e.g. the seeds' job:<id>
    // hashes); a `jobprefix:` line of the file wins over its prefix.
    const layout = readSettings().listQueueLayouts[target.key] ?? (await session.run((insp) => insp.listQueueLayout(target.key)));
    const producer = new ListQueueProducer(client, { queue: target.key, layout, jobPrefix: m.jobPrefix });
    return n === 1 ? [await producer.enqueue(messages[0]!)] : producer.enqueueMany(messages.map((payload) => ({ payload })));
  };
  const ids = n > 1000 ? await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Publishing ${n} × "${m.name}"…` }, send) : await send();

  const where = `${target.kind === 'stream' ? 'stream' : 'list queue'} "${target.key}" on "${session.name}"`;
  const idText = ids.length === 1 ? `id ${ids[0]}` : `ids ${ids[0]} … ${ids[ids.length - 1]}`;
  s.ui.info(`Published ${plural(ids.length, 'message')} "${m.name}" to ${where}: ${target.kind === 'list' ? 'job ' : ''}${idText}`);
  s.provider.refresh();
  return { connection: session.name, kind: target.kind, key: target.key, ids };
}
