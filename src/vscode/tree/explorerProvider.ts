import * as vscode from 'vscode';
import type { Session, SessionManager } from '../connections/session';
import { readSettings, type Settings } from '../settings';
import type { EntriesWindow, TreeContext } from './explorerNode';
import { ConnectionNode } from './explorerNodes';
import { sessionHealth } from './health';
import type { KnownKeys } from './knownKeys';
import type { Node } from './node';

/**
 * The Redis Queues tree. Nodes are rebuilt on every refresh; what must survive a refresh (how
 * many items a paged node shows) is kept here by node id.
 */
export class ExplorerProvider implements vscode.TreeDataProvider<Node>, TreeContext, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly limits = new Map<string, number>();
  readonly entriesWindows = new Map<string, EntriesWindow>();
  private cachedSettings?: Settings;
  private roots = new Map<string, ConnectionNode>();
  /** Sessions whose connection row's children are being read (the read that connects them). */
  private readonly expanding = new Set<Session>();
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly sessions: SessionManager,
    readonly known: KnownKeys,
  ) {
    this.disposables.push(
      sessions.onDidChange((s) => {
        // Expanding a connection row is what connects it: no extra redraw for "connecting…" then
        // (VS Code shows the expansion's progress); the outcome redraws the row, once.
        if (s?.state.kind === 'connecting' && this.expanding.has(s)) return;
        // A session's state changed: redraw its node (and children). A set change: redraw all.
        const node = s ? this.roots.get(s.name) : undefined;
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
    this.changed.fire(node);
  }

  listQueueNames(): string[] {
    // Queues named in listQueues.layouts are shown like those in listQueues.names.
    return [...new Set([...vscode.workspace.getConfiguration('redisQueues').get<string[]>('listQueues.names', []), ...Object.keys(this.settings().listQueueLayouts)])];
  }

  refresh(node?: Node): void {
    this.changed.fire(node);
  }

  getTreeItem(node: Node): vscode.TreeItem {
    return node.item();
  }

  getParent(node: Node): Node | undefined {
    return node.parent;
  }

  /** Sessions whose health roll-ups redraw their connection row when they change. */
  private readonly watched = new WeakSet<object>();
  private readonly pendingRedraw = new Map<string, NodeJS.Timeout>();

  /** Draws a connection's row (and what is open under it) again soon, once, after its marks changed. */
  private redrawConnection(name: string): void {
    if (this.pendingRedraw.has(name)) return;
    this.pendingRedraw.set(
      name,
      setTimeout(() => {
        this.pendingRedraw.delete(name);
        const node = this.roots.get(name);
        if (node) this.changed.fire(node);
      }, 100),
    );
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) {
      const next = new Map<string, ConnectionNode>();
      for (const s of this.sessions.list()) {
        next.set(s.name, new ConnectionNode(s, this));
        // Marks seen deeper down roll up into the stream and connection rows at once.
        if (!this.watched.has(s)) {
          this.watched.add(s);
          sessionHealth(s).onChange(() => this.redrawConnection(s.name));
        }
      }
      this.roots = next;
      return [...next.values()];
    }
    if (node instanceof ConnectionNode) {
      this.expanding.add(node.session);
      try {
        return await node.children();
      } finally {
        this.expanding.delete(node.session);
      }
    }
    return node.children ? node.children() : [];
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
