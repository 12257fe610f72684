import * as vscode from 'vscode';
import type { Session, SessionManager } from '../connections/session';
import { readSettings, type Settings } from '../settings';
import type { EntriesWindow, TreeContext } from './explorerNode';
import { ConnectionNode } from './explorerNodes';
import { sessionHealth } from './health';
import type { KnownKeys } from './knownKeys';
import type { Node } from './node';

/** How long children read for a redraw are given, unread, to VS Code's re-read that follows it. */
const PREPARED_MS = 2000;

/** What VS Code shows of a row: when it is the same, the row is not redrawn. */
function looks(t: vscode.TreeItem): string {
  const tip = t.tooltip instanceof vscode.MarkdownString ? t.tooltip.value : t.tooltip;
  const icon = t.iconPath instanceof vscode.ThemeIcon ? `${t.iconPath.id}:${t.iconPath.color?.id ?? ''}` : String(t.iconPath ?? '');
  const label = typeof t.label === 'string' ? t.label : t.label?.label;
  return JSON.stringify([label, t.description, tip, t.contextValue, icon, t.collapsibleState, t.command?.command]);
}

const idsOf = (nodes: readonly Node[]) => nodes.map((n) => n.id).join('\n');
/** `id` itself or a row below it (ids are paths: `parent/segment`). */
const within = (id: string, top: string) => id === top || id.startsWith(`${top}/`);

/**
 * The Redis Queues tree. One node object per row identity (its id), reused across refreshes and
 * updated in place (so handles, selections and a command's node stay valid). A refresh reads
 * the open rows first, then redraws only the rows whose figures or children changed; VS Code's
 * re-read of a redrawn row is answered from what was just read, so rows are never without their
 * element for longer than a message between the two processes.
 */
export class ExplorerProvider implements vscode.TreeDataProvider<Node>, TreeContext, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | Node[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly limits = new Map<string, number>();
  readonly entriesWindows = new Map<string, EntriesWindow>();
  private cachedSettings?: Settings;
  private roots = new Map<string, ConnectionNode>();
  /** The node of each row, by id. */
  private readonly nodes = new Map<string, Node>();
  /** The children last given to VS Code, per open row. */
  private readonly kids = new Map<string, Node[]>();
  /** How each row was last drawn ({@link looks}): rows VS Code has drawn. */
  private readonly drawn = new Map<string, string>();
  /** How each row looks in what VS Code was last told (drawn, or fired since): what a refresh compares with. */
  private readonly told = new Map<string, string>();
  /** Rows whose children were read for a redraw just fired (when): VS Code's re-read gets them. */
  private readonly prepared = new Map<string, number>();
  /** Sessions whose connection row's children are being read (the read that connects them). */
  private readonly expanding = new Set<Session>();
  /** Reads of rows' children under way, by row id. */
  private readonly reading = new Map<string, Promise<Node[]>>();
  private readonly watched = new WeakSet<object>();
  private marksTimer?: NodeJS.Timeout;
  /** When rows were last redrawn (a command handed no row in the next moments lost it to that). */
  private firedAt = 0;
  private rereading?: Promise<void>;
  private rereadAgain?: Node | 'all';
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly sessions: SessionManager,
    readonly known: KnownKeys,
    readonly storageDir?: string,
  ) {
    this.disposables.push(
      sessions.onDidChange((s) => {
        // Expanding a connection row is what connects it: no extra redraw for "connecting…" then
        // (VS Code shows the expansion's progress); the outcome redraws the row, once.
        if (s?.state.kind === 'connecting' && this.expanding.has(s)) return;
        // A session's state changed: its subtree is read again. A set change: everything.
        const node = s ? this.roots.get(s.name) : undefined;
        this.forget(node?.id ?? 'rq', !!node);
        this.firedAt = Date.now();
        this.changed.fire(node);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('redisQueues')) {
          this.cachedSettings = undefined;
          this.refresh();
        }
      }),
    );
  }

  settings(): Settings {
    return (this.cachedSettings ??= readSettings());
  }

  limit(node: Node, pageSize: number): number {
    return this.limits.get(node.id) ?? pageSize;
  }

  /** Shows one more page under `node` (the parent of a "Load more" node). */
  loadMore(node: Node, pageSize: number): void {
    this.limits.set(node.id, this.limit(node, pageSize) + pageSize);
    this.refresh(node);
  }

  listQueueNames(): string[] {
    // Queues named in listQueues.layouts are shown like those in listQueues.names.
    return [...new Set([...vscode.workspace.getConfiguration('redisQueues').get<string[]>('listQueues.names', []), ...Object.keys(this.settings().listQueueLayouts)])];
  }

  /** The node drawn for `node`'s row now (a command may hold one from before a refresh), or undefined when the row is gone. */
  current<T extends Node>(node: T): T | undefined {
    const n = this.nodes.get(node.id);
    return n && n.constructor === node.constructor ? (n as T) : undefined;
  }

  /**
   * Reads the open rows under `node` (everything without one) again, then redraws only the rows
   * that changed. Resolves when the redraw was fired.
   */
  refresh(node?: Node): Promise<void> {
    const from = node && (this.current(node) ?? node);
    if (this.rereading) {
      // One read at a time; a request during one runs once after it (everything if any asked so).
      this.rereadAgain = !from || this.rereadAgain === 'all' || (this.rereadAgain && this.rereadAgain !== from) ? 'all' : from;
      return this.rereading;
    }
    const run = this.reread(from).finally(() => {
      this.rereading = undefined;
      const again = this.rereadAgain;
      this.rereadAgain = undefined;
      if (again) void this.refresh(again === 'all' ? undefined : again);
    });
    this.rereading = run;
    return run;
  }

  private async reread(from?: Node): Promise<void> {
    const parents: Node[] = [];
    const walk = async (n: Node): Promise<void> => {
      const before = this.kids.get(n.id);
      if (!before) return; // not open: nothing under it is read
      const after = await this.read(n);
      if (idsOf(before) !== idsOf(after)) parents.push(n);
      await Promise.all(after.map(walk));
    };
    try {
      if (from) await walk(from);
      else await Promise.all([...this.roots.values()].map(walk));
    } catch (e) {
      console.error(`[redis-queues] refresh: ${(e as Error).message}`);
    }
    this.redraw(parents);
  }

  /**
   * Whether rows were redrawn in the last `ms`: VS Code hands a command no row when its menu was
   * opened on a row it was reading again then (the row's element is gone for that moment).
   */
  redrawnWithin(ms = 2000): boolean {
    return Date.now() - this.firedAt < ms;
  }

  /** Redraws the rows whose marks or figures changed since they were drawn (after a health check). */
  marksChanged(): void {
    if (this.marksTimer) return;
    this.marksTimer = setTimeout(() => {
      this.marksTimer = undefined;
      this.redraw([]);
    }, 50);
  }

  /** Fires `parents` (their children changed) and every drawn row that looks different now. */
  private redraw(parents: Node[]): void {
    const fire = new Map<string, Node>(parents.map((p) => [p.id, p]));
    for (const [id, look] of this.drawn) {
      const n = this.nodes.get(id);
      if (!n) {
        this.drawn.delete(id);
        this.told.delete(id);
      } else if (!fire.has(id) && looks(n.item()) !== (this.told.get(id) ?? look)) fire.set(id, n);
    }
    // A row redrawn redraws what is under it: leave those out; what VS Code reads again under
    // them is answered from the children just read.
    const top = [...fire.values()].filter((n) => ![...fire.keys()].some((id) => id !== n.id && within(n.id, id)));
    if (!top.length) return;
    // What is fired is what VS Code will draw: its look is what the next refresh compares with.
    // (VS Code re-reads a row only while its view is visible; comparing with the look it last read
    // would leave a row of a hidden view "changed" at every later refresh, and each would redraw it
    // and everything below it again.)
    for (const [id, n] of fire) this.told.set(id, looks(n.item()));
    const now = (this.firedAt = Date.now());
    // (Only rows VS Code has drawn: it reads those again. Any other reader reads Redis.)
    for (const n of top) for (const id of this.kids.keys()) if (within(id, n.id) && this.drawn.has(id)) this.prepared.set(id, now);
    this.changed.fire(top);
  }

  /** Drops what is kept of the rows under `top` (and `top` itself unless `keepTop`). */
  private forget(top: string, keepTop = false): void {
    const all = top === 'rq';
    for (const map of [this.nodes, this.kids, this.drawn, this.told, this.prepared] as Map<string, unknown>[]) {
      for (const id of [...map.keys()]) if (all || (within(id, top) && !(keepTop && id === top && map === this.nodes))) map.delete(id);
    }
  }

  /** A row was collapsed: what is under it is read again when it is expanded. */
  collapsed(node: Node): void {
    this.forget(node.id, true);
  }

  /** The node of `fresh`'s row: the one drawn before, taking `fresh`'s figures, or `fresh`. */
  private keep<T extends Node>(fresh: T): T {
    const old = this.nodes.get(fresh.id);
    if (old === fresh) return fresh;
    if (old && old.constructor === fresh.constructor && old.parent === fresh.parent && !Object.hasOwn(fresh, 'children')) {
      Object.assign(old, fresh);
      return old as T;
    }
    if (old) this.forget(fresh.id);
    this.nodes.set(fresh.id, fresh);
    return fresh;
  }

  /**
   * Reads `node`'s children from Redis, keeping one node per row. One read per row at a time: a
   * second reader (VS Code while a refresh reads) shares the one under way.
   */
  private read(node: Node): Promise<Node[]> {
    const under = this.reading.get(node.id);
    if (under) return under;
    const p = this.readNow(node).finally(() => this.reading.delete(node.id));
    this.reading.set(node.id, p);
    return p;
  }

  private async readNow(node: Node): Promise<Node[]> {
    const conn = node instanceof ConnectionNode ? node.session : undefined;
    if (conn) this.expanding.add(conn);
    let fresh: Node[];
    try {
      fresh = node.children ? await node.children() : [];
    } finally {
      if (conn) this.expanding.delete(conn);
    }
    const kept = fresh.map((n) => this.keep(n));
    const now = new Set(kept.map((n) => n.id));
    for (const old of this.kids.get(node.id) ?? []) if (!now.has(old.id)) this.forget(old.id);
    this.kids.set(node.id, kept);
    return kept;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const t = node.item();
    this.drawn.set(node.id, looks(t));
    this.told.delete(node.id);
    return t;
  }

  getParent(node: Node): Node | undefined {
    return node.parent;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) {
      const next = new Map<string, ConnectionNode>();
      for (const s of this.sessions.list()) {
        const old = this.roots.get(s.name);
        const n = old && old.session === s ? old : new ConnectionNode(s, this);
        if (n !== old) this.forget(n.id);
        this.nodes.set(n.id, n);
        next.set(s.name, n);
        // Health marks (from the background check and the rows drawn) redraw the rows they change.
        if (!this.watched.has(s)) {
          this.watched.add(s);
          sessionHealth(s).onChange(() => this.marksChanged());
        }
      }
      for (const [name, old] of this.roots) if (next.get(name) !== old) this.forget(old.id);
      this.roots = next;
      return [...next.values()];
    }
    const at = this.prepared.get(node.id);
    const kids = this.kids.get(node.id);
    this.prepared.delete(node.id);
    if (kids && at !== undefined && Date.now() - at < PREPARED_MS) return kids;
    return this.read(node);
  }

  dispose(): void {
    if (this.marksTimer) clearTimeout(this.marksTimer);
    for (const d of this.disposables) d.dispose();
  }
}
