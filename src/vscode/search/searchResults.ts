import * as vscode from 'vscode';
import { type SearchHit, type SearchQuery, formatCount, formatDuration, isDeadLetterName, matchedPairs, oneLine } from '../../core/internal';
import type { Session, SessionManager } from '../connections/session';
import type { Settings } from '../settings';
import { type EntryHost, EntryNode, type PendingHost, PendingEntryNode } from '../tree/explorerNodes';
import { ActionNode, ErrorNode, InfoNode, type Node } from '../tree/node';
import { SearchRun, type SearchRunOptions, type SearchTarget } from './searchRun';

export const SEARCH_VIEW = 'redisQueues.searchResults';
/** Searches kept in the view (the oldest finished ones go first). */
export const KEEP_SEARCHES = 10;
/** The view is redrawn at most this often while a search runs (4 times a second). */
const REDRAW_MS = 250;

/** A hit that is a stream entry (also a dead-letter record): the explorer's entry row, under a search. */
export class EntryHitNode extends EntryNode {
  /** What was done to it from here ("replayed", "deleted"), shown first in its row. */
  note?: string;
  constructor(
    readonly search: SearchNode,
    readonly hit: SearchHit,
  ) {
    super(search, hit.entry);
  }
  protected leadPairs(): number[] {
    return matchedPairs(this.search.run.query, this.hit.entry.raw);
  }
  item(): vscode.TreeItem {
    const t = super.item();
    if (this.note) t.description = `[${this.note}] ${String(t.description ?? '')}`;
    return t;
  }
}

/** A hit that is a pending entry: the explorer's pending row (same actions), with its owner shown. */
export class PendingHitNode extends PendingEntryNode {
  /** What was done to it from here ("acknowledged", "claimed by w2"), shown first in its row. */
  note?: string;
  constructor(
    readonly search: SearchNode,
    readonly hit: SearchHit & { pending: NonNullable<SearchHit['pending']> },
  ) {
    super(search, hit.pending, hit.entry.raw ? hit.entry : null);
  }
  protected leadPairs(): number[] {
    return matchedPairs(this.search.run.query, this.hit.entry.raw);
  }
  item(): vscode.TreeItem {
    const t = super.item();
    t.description = `${this.note ? `[${this.note}] ` : ''}${oneLine(this.entry.consumer)} · ${String(t.description ?? '')}`;
    return t;
  }
}

export type HitNode = EntryHitNode | PendingHitNode;

/**
 * One search: its row says what and where ("status=failed in orders") and how far it got; its
 * children are the hits as they arrive (the explorer's own entry and pending-entry rows, so every
 * entry command applies), then "Find More" / "Resume" when it stopped early.
 */
export class SearchNode implements EntryHost, PendingHost {
  readonly id: string;
  readonly parent = undefined;
  /** Hit rows, built once each as hits arrive (stable objects: VS Code keeps them by identity). */
  private readonly hitNodes: HitNode[] = [];

  constructor(
    readonly run: SearchRun,
    private readonly settingsOf: () => Settings,
  ) {
    this.id = `rq-search/${run.id}`;
  }
  get session(): Session {
    return this.run.session;
  }
  get streamKey(): string {
    return this.run.key;
  }
  get dlq(): boolean {
    return isDeadLetterName(this.run.key);
  }
  get pendingOf(): { stream: string; group: string } {
    return { stream: this.run.key, group: this.run.group ?? '' };
  }
  settings(): Settings {
    return this.settingsOf();
  }

  /** The hit rows so far. */
  hits(): HitNode[] {
    const hits = this.run.hits;
    for (let i = this.hitNodes.length; i < hits.length; i++) {
      const h = hits[i]!;
      this.hitNodes.push(h.pending ? new PendingHitNode(this, h as SearchHit & { pending: NonNullable<SearchHit['pending']> }) : new EntryHitNode(this, h));
    }
    return this.hitNodes;
  }

  item(): vscode.TreeItem {
    const r = this.run;
    const text = r.text.trim() || '(everything)';
    const t = new vscode.TreeItem(`${text} in ${r.where}`, vscode.TreeItemCollapsibleState.Expanded);
    t.id = this.id;
    t.description = r.describe();
    t.contextValue = `search;${r.running ? 'running' : r.resumable ? 'resumable' : r.state === 'error' ? 'error' : 'done'}`;
    t.iconPath =
      r.state === 'running'
        ? new vscode.ThemeIcon('loading~spin')
        : r.state === 'error'
          ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
          : r.state === 'cancelled' || r.state === 'budget'
            ? new vscode.ThemeIcon('debug-pause')
            : new vscode.ThemeIcon('search');
    t.tooltip = tooltip(r);
    return t;
  }

  async children(): Promise<Node[]> {
    const r = this.run;
    const nodes: Node[] = [...this.hits()];
    if (r.state === 'error' && r.error) nodes.push(new ErrorNode(this, r.error.message));
    else if (r.running && !nodes.length) nodes.push(new InfoNode(this, 'Searching…', undefined, 'loading~spin'));
    else if (r.state === 'end' && !nodes.length) nodes.push(new InfoNode(this, 'No matches', `Nothing in ${r.where} matches "${r.text}" (${formatCount(r.examined)} entries examined).`));
    if (r.resumable) {
      const after = r.summary?.resume ?? '';
      const cmd: vscode.Command = { command: 'redisQueues.search.findMore', title: 'Find More', arguments: [this] };
      nodes.push(
        r.state === 'limit'
          ? new ActionNode(this, 'more', 'Find More…', `the next ${formatCount(r.options.limit)} matches, after ${after}`, 'search', cmd)
          : new ActionNode(this, 'more', 'Resume', `go on after ${after}`, 'debug-continue', cmd),
      );
    }
    return nodes;
  }
}

function tooltip(r: SearchRun): string {
  const q: SearchQuery = r.query;
  const s = r.target.source;
  const order = s.kind === 'pending' ? 'in PEL order (oldest pending first)' : (q.order ?? 'newest') === 'newest' ? 'newest first' : 'oldest first';
  const pct = r.percent ? ` (${r.percent}${r.total ? '' : ', by the time in the ids'})` : '';
  const lines = [
    `Search: ${r.text.trim() || '(no conditions: every entry in the range)'}`,
    s.kind === 'stream' ? `in stream ${oneLine(s.key)}` : `in the pending entries of group ${oneLine(s.group)} on ${oneLine(s.key)}${(q.consumer ?? r.target.consumer) !== undefined ? `, consumer ${oneLine(q.consumer ?? r.target.consumer!)}` : ''}`,
    `connection: ${r.session.name}${r.session.readOnly ? ' (read-only)' : ''}`,
    `${order}, stopping at ${formatCount(r.stopsAt)} matches${r.stopsAt > r.options.limit ? ` (Find More adds ${formatCount(r.options.limit)} each time)` : ''}`,
    `${formatCount(r.hits.length)} matches · ${formatCount(r.examined)}${r.total !== undefined ? ` of ${formatCount(r.total)}` : ''} entries examined${pct} · ${formatCount(r.calls)} calls to Redis · ${formatDuration(r.elapsedMs)}`,
  ];
  if (r.state === 'limit') lines.push(`Stopped at the limit: "Find More" goes on after ${r.summary?.resume}.`);
  if (r.state === 'cancelled') lines.push(r.resumable ? `Stopped: "Resume" goes on after ${r.summary?.resume}.` : 'Stopped.');
  if (r.state === 'budget') lines.push(`Stopped by its budget: "Resume" goes on after ${r.summary?.resume}.`);
  if (r.state === 'error') lines.push(`Failed: ${r.error?.message}`);
  return lines.join('\n');
}

/**
 * The Search Results view: one row per search (newest first, the last {@link KEEP_SEARCHES}),
 * its hits below it as they are found. A running search redraws its row at most 4 times a second.
 */
export class SearchResults implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly started = new vscode.EventEmitter<SearchRun>();
  /** Fires when a search is added to the view (before its first walk). */
  readonly onDidStart = this.started.event;
  private readonly progressed = new vscode.EventEmitter<SearchRun>();
  /** Fires on every change of any search (each page, each hit, each end): not throttled. */
  readonly onDidChange = this.progressed.event;
  private nodes: SearchNode[] = [];
  private readonly dirty = new Set<SearchNode>();
  private timer?: NodeJS.Timeout;
  private readonly disposables: vscode.Disposable[] = [this.changed, this.started, this.progressed];
  readonly view: vscode.TreeView<Node>;

  constructor(
    sessions: SessionManager,
    private readonly settingsOf: () => Settings,
  ) {
    this.view = vscode.window.createTreeView<Node>(SEARCH_VIEW, { treeDataProvider: this, canSelectMany: true, showCollapseAll: true });
    this.disposables.push(
      this.view,
      // A connection removed or changed: its searches go (their rows would act on a stale session).
      sessions.onDidChange((s) => {
        if (s) return;
        for (const n of [...this.nodes]) if (sessions.get(n.run.session.name) !== n.run.session) this.remove(n.run);
      }),
    );
  }

  /** The searches in the view, newest first. */
  list(): SearchRun[] {
    return this.nodes.map((n) => n.run);
  }

  /** The row of a search. */
  nodeOf(run: SearchRun): SearchNode | undefined {
    return this.nodes.find((n) => n.run === run);
  }

  /** Adds a search (not yet walking) at the top of the view; older finished ones beyond the last few go. */
  add(target: SearchTarget, query: SearchQuery, text: string, options: SearchRunOptions): SearchNode {
    const run = new SearchRun(target, query, text, options);
    const node = new SearchNode(run, this.settingsOf);
    this.nodes.unshift(node);
    run.onDidChange(() => {
      this.progressed.fire(run);
      this.redraw(node, !run.running);
    });
    for (const old of this.nodes.slice(KEEP_SEARCHES).filter((n) => !n.run.running)) this.remove(old.run, false);
    void vscode.commands.executeCommand('setContext', 'redisQueues:searched', true);
    this.changed.fire(undefined);
    this.started.fire(run);
    return node;
  }

  /** Removes a search from the view (stopping it first). */
  remove(run: SearchRun, redraw = true): void {
    const i = this.nodes.findIndex((n) => n.run === run);
    if (i < 0) return;
    const [node] = this.nodes.splice(i, 1);
    this.dirty.delete(node!);
    run.dispose();
    if (redraw) this.changed.fire(undefined);
    if (!this.nodes.length) void vscode.commands.executeCommand('setContext', 'redisQueues:searched', false);
  }

  /** Removes every search (stopping those that run). */
  clear(): void {
    for (const n of [...this.nodes]) this.remove(n.run, false);
    this.changed.fire(undefined);
  }

  /** Notes on result rows what a command did to them ("acknowledged"); rows of the explorer are left alone. */
  noted(nodes: readonly unknown[], note: string): void {
    for (const n of nodes) {
      if (n instanceof EntryHitNode || n instanceof PendingHitNode) {
        n.note = note;
        this.changed.fire(n);
      }
    }
  }

  /** Shows a search's row (opening the view), without taking the focus. */
  async reveal(run: SearchRun): Promise<void> {
    const node = this.nodeOf(run);
    if (!node) return;
    try {
      await this.view.reveal(node, { select: false, focus: false, expand: true });
    } catch {
      /* the view may not be shown yet (its context key just changed): the row is there when it is */
    }
  }

  private redraw(node: SearchNode, now: boolean): void {
    this.dirty.add(node);
    if (now) {
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => this.flush(), REDRAW_MS);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const n of this.dirty) if (this.nodes.includes(n)) this.changed.fire(n);
    this.dirty.clear();
  }

  getTreeItem(node: Node): vscode.TreeItem {
    return node.item();
  }

  getParent(node: Node): Node | undefined {
    return node.parent;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) return [...this.nodes];
    return node.children ? node.children() : [];
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const n of this.nodes) n.run.dispose();
    this.nodes = [];
    for (const d of this.disposables) d.dispose();
  }
}

