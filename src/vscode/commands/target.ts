import { type ListQueueLayout, type ListQueueSummary, type OpTarget, ReadOnlyError, formatCount, formatDuration } from '../../core/internal';
import type { Session } from '../connections/session';
import type { Services } from '../services';
import { knownKeys } from '../tree/discoveryNodes';
import { ConnectionNode, ConsumerNode, EntriesFolderNode, EntryNode, GroupNode, GroupsFolderNode, PendingEntryNode, StreamNode } from '../tree/explorerNodes';
import { JobNode, ListQueueNode, ListSectionNode } from '../tree/listQueueNodes';
import type { Node } from '../tree/node';
import { Cancelled, required } from './command';

/** The session a node belongs to, or one picked from the palette. */
export async function resolveSession(s: Services, node?: unknown): Promise<Session> {
  const fromNode = sessionOf(node);
  if (fromNode) return fromNode;
  const sessions = s.sessions.list();
  if (sessions.length === 1) return sessions[0]!;
  if (!sessions.length) throw new Error('No Redis connection: add one or start the local sandbox first');
  return required(await s.ui.pick(sessions.map((x) => ({ label: x.name, description: x.entry.config.url, value: x })), { title: 'Connection' }));
}

export function sessionOf(node: unknown): Session | undefined {
  if (node instanceof ConnectionNode) return node.session;
  // A row that holds no session itself (a list job, a framework job) reads its parent's.
  for (let n = node as { session?: Session; parent?: unknown } | undefined; n && typeof n === 'object'; n = n.parent as typeof n) {
    let session: Session | undefined;
    try {
      session = 'session' in n ? n.session : undefined;
    } catch {
      session = undefined; // a row not under a connection row
    }
    if (session) return session;
  }
  return undefined;
}

/** A stream named by the node (stream, group, consumer, entry nodes), or picked. */
export async function resolveStream(s: Services, node?: unknown, options: { allowNew?: boolean; typeName?: boolean } = {}): Promise<{ session: Session; stream: string }> {
  const session = await resolveSession(s, node);
  const stream = streamOf(node);
  if (stream) return { session, stream };
  // The streams discovery found (one budgeted walk first if none ran yet): never a full scan.
  const settings = s.provider.settings();
  const { keys } = await session.run((insp) =>
    knownKeys(
      session,
      s.provider,
      'streams',
      settings.streamFilter,
      (state, small) => insp.discover('streams', state, { match: settings.streamFilter, maxMs: settings.discovery.budgetMs, maxCalls: settings.discovery.maxScanCalls, maxFound: small ? Infinity : 500 }),
      () => insp.keyspaceSize(),
    ),
  );
  const items = keys.map((k) => ({ label: k, value: k }));
  if (options.allowNew) items.unshift({ label: '$(add) New stream…', value: '\u0000new' });
  if (options.typeName) items.unshift({ label: '$(edit) Type a stream name…', value: '\u0000new' });
  let picked = required(await s.ui.pick(items, { title: 'Stream', placeHolder: items.length ? undefined : 'No streams yet' }));
  if (picked === '\u0000new') picked = required(await s.ui.input({ title: options.typeName ? 'Stream name' : 'New stream name', validate: (v) => (v.trim() ? undefined : 'A name is required') })).trim();
  return { session, stream: picked };
}

export function streamOf(node: unknown): string | undefined {
  if (node instanceof StreamNode) return node.key;
  if (node instanceof GroupsFolderNode || node instanceof EntriesFolderNode) return node.parent.key;
  if (node instanceof GroupNode) return node.stream;
  if (node instanceof ConsumerNode) return node.parent.stream;
  if (node instanceof PendingEntryNode || node instanceof EntryNode) return node.stream;
  return undefined;
}

/** A consumer group named by the node, or picked on the stream. */
export async function resolveGroup(s: Services, node?: unknown): Promise<{ session: Session; stream: string; group: string }> {
  const { session, stream } = await resolveStream(s, node);
  const group = node instanceof GroupNode ? node.group.name : node instanceof ConsumerNode ? node.parent.group.name : node instanceof PendingEntryNode ? node.group : undefined;
  if (group) return { session, stream, group };
  const groups = await session.run((insp) => insp.groups(stream));
  if (!groups.length) throw new Error(`Stream "${stream}" has no consumer groups`);
  const picked = required(await s.ui.pick(groups.map((g) => ({ label: g.name, description: `${g.pending} pending`, value: g.name })), { title: `Group on ${stream}` }));
  return { session, stream, group: picked };
}

/** The list queue named by a list node, with the layout its figures were read in (pass it to the ops). */
export function listQueueOf(node: unknown): { session: Session; queue: string; layout?: ListQueueLayout; summary: ListQueueSummary } | undefined {
  const q = node instanceof ListQueueNode ? node : node instanceof ListSectionNode ? node.parent : node instanceof JobNode ? node.parent.parent : undefined;
  return q && { session: q.session, queue: q.queue.name, layout: q.queue.layout, summary: q.queue };
}

/** What a command says when VS Code handed it no row: the row was being replaced by a redraw. */
export const TREE_REDRAWN = 'The tree was being redrawn; try again';

/**
 * Whether a command came from the tree without its row: VS Code passes the row and the selection
 * as handles and hands over undefined for a row whose element it is reading again (a refresh's
 * short gap), so a menu click at that moment reaches the command with no row.
 */
export function rowLost(node: unknown, selected: unknown): boolean {
  return node === null || (Array.isArray(selected) && selected.some((x) => x === undefined || x === null));
}

/**
 * Nodes the command applies to: the multi-selection when the clicked node is in it, else the
 * clicked node; each the node drawn for its row now (`current`, by id) when it is still there.
 * Throws {@link TREE_REDRAWN} when VS Code handed over no row ({@link rowLost}).
 */
export function selection<T extends Node>(node: unknown, selected: unknown, kind: abstract new (...a: never[]) => T, current?: (n: T) => T | undefined): T[] {
  if (rowLost(node, selected)) throw new Error(TREE_REDRAWN);
  const list = Array.isArray(selected) && selected.includes(node) ? selected : [node];
  return list.filter((n): n is T => n instanceof kind).map((n) => current?.(n) ?? n);
}

/** Refuses a write on a read-only connection before asking or sending anything. */
/** The consumer name this editor offers when one is needed (the debug consumer, a claim to a new consumer): one default everywhere. */
export function ownConsumerName(): string {
  return `vscode-debug-${process.env.USER ?? process.env.USERNAME ?? 'me'}`;
}

export function refuseReadOnly(session: Session, action: string): void {
  if (session.readOnly) throw new ReadOnlyError(session.name, action);
}

/** An OpTarget on the session's connection (writes use the same fail-fast client). */
export async function opTarget(session: Session): Promise<OpTarget> {
  const insp = await session.inspector();
  return { client: insp.client, readOnly: session.readOnly, name: session.name };
}

/**
 * Confirms a destructive action in a modal that states its impact. On a `production` connection
 * the user must type `typeName` (the stream or queue) instead.
 */
export async function confirmImpact(s: Services, session: Session, o: { message: string; detail: string; button: string; typeName: string }): Promise<void> {
  if (session.production) {
    const typed = await s.ui.input({
      title: `${o.message} (production connection "${session.name}")`,
      prompt: `${o.detail} Type "${o.typeName}" to confirm.`,
      validate: (v) => (v === o.typeName ? undefined : `Type "${o.typeName}" exactly`),
    });
    if (typed !== o.typeName) throw new Cancelled();
    return;
  }
  if (!(await s.ui.confirm(o.message, o.detail, o.button))) throw new Cancelled();
}

/** "1 message", "1,341 messages": counts read the same in every message (thousands separated). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export { formatDuration };
