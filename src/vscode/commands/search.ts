import * as vscode from 'vscode';
import { BadInputError, QUERY_HINT, TIME_SPEC_HINT, checkQueryFor, exampleQueries, formatCount, parseSearchQuery, parseTimeSpec, type SearchQuery, type SearchSource } from '../../core/internal';
import type { Session } from '../connections/session';
import { recentSearches, rememberSearch } from '../search/recent';
import { showSearchHelp } from '../search/help';
import type { SearchRun, SearchTarget } from '../search/searchRun';
import { SEARCH_VIEW, SearchNode } from '../search/searchResults';
import type { Services } from '../services';
import type { EntriesWindow } from '../tree/explorerNode';
import { ConsumerNode, EntriesFolderNode, EntryNode, GroupNode, MomentNode, StreamNode } from '../tree/explorerNodes';
import { required } from './command';
import { resolveSession, resolveStream, sessionOf } from './target';

/** What callers (tests, other commands, AI tools) may pass instead of answering prompts. */
export interface SearchArgs {
  /** The search text (see the syntax: {@link QUERY_HINT}). */
  query: string;
  /** Stop after this many matches (default: the text's `limit:`, else redisQueues.search.limit). */
  limit?: number;
  order?: 'newest' | 'oldest';
  /** Without a node: where to search. */
  connection?: string;
  stream?: string;
  /** A group's pending entries (of `consumer`, when given) instead of the stream's entries. */
  group?: string;
  consumer?: string;
  /** Largest page of one call (default redisQueues.search.maxPage). */
  maxPage?: number;
  /** Cancels the search (like Cancel on its progress). */
  token?: vscode.CancellationToken;
}

function isSearchArgs(a: unknown): a is SearchArgs {
  return Boolean(a) && typeof a === 'object' && !Array.isArray(a) && typeof (a as SearchArgs).query === 'string';
}

/** redisQueues.search.limit and .maxPage. */
function searchSettings(): { limit: number; maxPage: number } {
  const c = vscode.workspace.getConfiguration('redisQueues');
  const clamp = (n: number, lo: number, hi: number, d: number) => (Number.isFinite(n) ? Math.min(hi, Math.max(lo, Math.floor(n))) : d);
  return { limit: clamp(c.get<number>('search.limit', 100), 1, 100_000, 100), maxPage: clamp(c.get<number>('search.maxPage', 1000), 10, 1000, 1000) };
}

/** Where to search: the node's stream, group or consumer; the arguments'; or a connection and stream picked. */
async function resolveTarget(s: Services, node: unknown, args?: SearchArgs): Promise<SearchTarget> {
  if (node instanceof SearchNode) return node.run.target;
  if (node instanceof GroupNode) return { session: node.session, source: { kind: 'pending', key: node.stream, group: node.group.name } };
  if (node instanceof ConsumerNode) return { session: node.session, source: { kind: 'pending', key: node.parent.stream, group: node.parent.group.name }, consumer: node.consumer.name };
  if (node instanceof StreamNode || node instanceof EntriesFolderNode || node instanceof EntryNode) {
    const key = node instanceof StreamNode ? node.key : node instanceof EntriesFolderNode ? node.streamKey : node.stream;
    return { session: node.session, source: { kind: 'stream', key } };
  }
  let session: Session | undefined = sessionOf(node);
  if (!session && args?.connection) {
    session = s.sessions.get(args.connection);
    if (!session) throw new BadInputError(`No connection named "${args.connection}"`);
  }
  let stream = args?.stream;
  if (!stream) {
    const picked = await resolveStream(s, session ? { session } : undefined, { typeName: true });
    session = picked.session;
    stream = picked.stream;
  }
  session ??= await resolveSession(s);
  const source: SearchSource = args?.group ? { kind: 'pending', key: stream, group: args.group } : { kind: 'stream', key: stream };
  return { session, source, consumer: args?.group ? args.consumer : undefined };
}

/** Parses the text for a target: pending-only terms are refused on a stream. Throws BadInputError. */
function queryFor(target: SearchTarget, text: string, nowMs = Date.now()): SearchQuery {
  const q = parseSearchQuery(text, nowMs);
  checkQueryFor(target.source.kind, q, 'search from a group or consumer row');
  if (target.consumer !== undefined && q.consumer === undefined) q.consumer = target.consumer;
  return q;
}

function whereOf(target: SearchTarget): string {
  const s = target.source;
  return s.kind === 'stream' ? `"${s.key}"` : `the pending entries of ${target.consumer !== undefined ? `"${target.consumer}" in ` : ''}group "${s.group}" on "${s.key}"`;
}

/**
 * Find Messages…: on a stream (or dead-letter stream) its entries, on a group its pending entries,
 * on a consumer that consumer's pending entries; from the palette, a picked connection and stream.
 * The search box offers the recent searches and explains a text it cannot search before anything
 * runs. The hits stream into the Search Results view; the command resolves with the search once
 * its first walk ended (cancelled included).
 */
export async function search(s: Services, node?: unknown, ...rest: unknown[]): Promise<SearchRun> {
  const args = [node, ...rest].find(isSearchArgs);
  const target = await resolveTarget(s, node === args ? undefined : node, args);
  const state = s.context.globalState;
  const name = target.session.name;
  const hint = args?.query === undefined ? ((await examplesFrom(target)) ?? QUERY_HINT) : QUERY_HINT;
  const text =
    args?.query ??
    required(
      s.ui.query
        ? await s.ui.query({
            title: `Find messages in ${whereOf(target)}`,
            placeholder: `${hint}  (? for the syntax)`,
            recent: recentSearches(state, name),
            validate: (v) => problem(() => queryFor(target, v)),
            help: () => void showSearchHelp(),
          })
        : await s.ui.input({ title: `Find messages in ${whereOf(target)}`, prompt: hint, validate: (v) => problem(() => queryFor(target, v)) }),
    );
  const query = queryFor(target, text);
  const settings = searchSettings();
  if (args?.order) query.order = args.order;
  const limit = args?.limit ?? query.limit ?? settings.limit;
  await rememberSearch(state, name, text);
  const node2 = s.search.add(target, query, text, { limit, maxPage: args?.maxPage ?? settings.maxPage });
  void s.search.reveal(node2.run);
  args?.token?.onCancellationRequested(() => node2.run.cancel());
  await walkWithProgress(node2.run);
  return node2.run;
}

/** Search examples that match the stream's own messages (built from its newest entry), or undefined. */
async function examplesFrom(target: SearchTarget): Promise<string | undefined> {
  try {
    const page = await target.session.run((insp) => insp.entriesPage(target.source.key, { count: 1 }));
    const raw = page.entries[0]?.raw;
    if (!raw) return undefined;
    const fields: [string, string][] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const [k, v] = [raw[i]!, raw[i + 1]!];
      const name = k.toString('utf8');
      const value = v.length <= 4096 ? v.toString('utf8') : '';
      if (Buffer.from(name, 'utf8').equals(k) && Buffer.from(value, 'utf8').equals(v)) fields.push([name, value]);
    }
    return exampleQueries(fields);
  } catch {
    return undefined; // the examples are a help: the box opens with the general ones
  }
}

function problem(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Runs a walk of the search with the view's progress bar and a cancellable notification. */
async function walkWithProgress(run: SearchRun): Promise<void> {
  await vscode.window.withProgress({ location: { viewId: SEARCH_VIEW } }, () =>
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Finding "${run.text.trim() || 'everything'}" in ${run.where}`, cancellable: true },
      async (progress, token) => {
        const sub = token.onCancellationRequested(() => run.cancel());
        let shown = 0;
        const report = () => {
          const pct = Math.floor((run.fraction ?? 0) * 100);
          progress.report({ message: `${formatCount(run.hits.length)} match${run.hits.length === 1 ? '' : 'es'} · ${formatCount(run.examined)} examined`, increment: pct > shown ? pct - shown : undefined });
          shown = Math.max(shown, pct);
        };
        let last = 0;
        const changes = run.onDidChange(() => {
          if (Date.now() - last < 250) return;
          last = Date.now();
          report();
        });
        try {
          await run.walk();
        } finally {
          sub.dispose();
          changes.dispose();
        }
      },
    ),
  );
}

function runOf(s: Services, node: unknown): SearchRun {
  if (node instanceof SearchNode) return node.run;
  const run = s.search.list().find((r) => r === node);
  if (run) return run;
  const first = s.search.list()[0];
  if (!first) throw new Error('No search yet: run "Find Messages…" first');
  return first;
}

/** Find More / Resume: walks on after where the search stopped, for as many matches again. */
export async function findMore(s: Services, node?: unknown): Promise<SearchRun> {
  const run = runOf(s, node);
  if (run.running) return run;
  if (!run.resumable) {
    s.ui.info(`The search "${run.text}" already reached the end of ${run.where}.`);
    return run;
  }
  await walkWithProgress(run);
  return run;
}

/** Stops a running search before its next call to Redis. */
export async function stopSearch(s: Services, node?: unknown): Promise<SearchRun> {
  const run = runOf(s, node);
  run.cancel();
  await run.settled();
  return run;
}

export function removeSearch(s: Services, node?: unknown): void {
  s.search.remove(runOf(s, node));
}

export function clearSearches(s: Services): void {
  s.search.clear();
}

export function searchHelp(): Promise<vscode.Uri> {
  return showSearchHelp();
}

// ---- go to time on a stream's Entries ----

function entriesFolderOf(node: unknown): EntriesFolderNode {
  if (node instanceof EntriesFolderNode) return node;
  if (node instanceof StreamNode) return new EntriesFolderNode(node);
  throw new Error('Run "Go to Time…" on the Entries of a stream in the Redis Queues tree');
}

/** Shows the folder (expanded) after its listing changed; with `toMoment`, scrolls to the moment's row and selects it. */
function redrawFolder(s: Services, folder: EntriesFolderNode, toMoment = false): void {
  // Not awaited: a folder not drawn yet shows the moment when it is expanded.
  void (async () => {
    await s.provider.refresh(folder);
    await s.view.reveal(folder, { expand: true, focus: false, select: false });
    if (!toMoment) return;
    const moment = ((await s.provider.getChildren(s.provider.current(folder) ?? folder)) ?? []).find((n) => n instanceof MomentNode);
    if (moment) await s.view.reveal(moment, { focus: false, select: true });
  })().catch(() => undefined);
}

/** Newer entries shown above the moment at first ("Newer…" adds a page). */
const NEWER_FIRST = 5;

/**
 * Go to Time…: the stream's Entries show the entries around a moment (a few newer ones above its
 * row, older below, newest first like the default; the moment's row scrolled to and selected), with "Newer…" and "Older…" to page either way and "Back
 * to Newest" to return to the default listing.
 */
export async function goToTime(s: Services, node?: unknown, args?: { at?: string }): Promise<EntriesWindow> {
  const folder = entriesFolderOf(node);
  const current = s.provider.entriesWindows.get(folder.id);
  const text =
    args?.at ??
    required(
      await s.ui.input({
        title: `Go to time in "${folder.streamKey}"`,
        prompt: `The entries around a moment: ${TIME_SPEC_HINT}`,
        value: current?.text,
        validate: (v) => problem(() => parseTimeSpec(v, Date.now())),
      }),
    );
  const atMs = parseTimeSpec(text, Date.now());
  const page = s.provider.settings().pageSize;
  // A few newer entries above the moment (its row stays near the top), a page of older ones below.
  const w: EntriesWindow = { atMs, text: text.trim(), older: page, newer: Math.min(page, NEWER_FIRST) };
  s.provider.entriesWindows.set(folder.id, w);
  redrawFolder(s, folder, true);
  return w;
}

function windowOf(s: Services, node: unknown): { folder: EntriesFolderNode; w: EntriesWindow } | undefined {
  const folder = node instanceof EntriesFolderNode ? node : undefined;
  const w = folder && s.provider.entriesWindows.get(folder.id);
  return folder && w ? { folder, w } : undefined;
}

/** "Newer…" / "Older…": one more page on that side of the moment. */
export async function pageEntries(s: Services, node: unknown, side: 'newer' | 'older'): Promise<EntriesWindow | undefined> {
  const x = windowOf(s, node);
  if (!x) return undefined;
  x.w[side] += s.provider.settings().pageSize;
  redrawFolder(s, x.folder);
  return x.w;
}

/** Back to Newest: the default listing (newest first, Load more). */
export async function backToNewest(s: Services, node: unknown): Promise<void> {
  const folder = node instanceof EntriesFolderNode ? node : undefined;
  if (!folder) return;
  s.provider.entriesWindows.delete(folder.id);
  redrawFolder(s, folder);
}
