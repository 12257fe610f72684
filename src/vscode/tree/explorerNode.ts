import type * as vscode from 'vscode';
import { toQueueError } from '../../core/internal';
import { connectionHint } from '../connectionHints';
import type { Session } from '../connections/session';
import type { Settings } from '../settings';
import type { KnownKeys } from './knownKeys';
import { type Node, ActionNode, ErrorNode, InfoNode, LoadMoreNode } from './node';

/** What every explorer node can reach (through {@link ExplorerNode.ctx}): settings, paging state, discovery memory. */
export interface TreeContext {
  settings(): Settings;
  /** How many items a paged node shows (grows by a page with each "Load more"). */
  limit(node: Node, pageSize: number): number;
  /** The list queues named in the settings (listQueues.names and listQueues.layouts): always shown. */
  listQueueNames(): string[];
  /** Streams and list queues found so far, per connection (discovery memory). */
  readonly known: KnownKeys;
  /** "Go to time": the Entries folders (by node id) that show the entries around a moment. */
  readonly entriesWindows: Map<string, EntriesWindow>;
  /** Where the health histories are kept between sessions (the extension's global storage); none: not kept. */
  readonly storageDir?: string;
  /** Reads the open rows under `node` again (a folder that appeared after a discovery). */
  refresh(node?: Node): Promise<void>;
}

/** An Entries folder's "go to time" state: the moment, and how many entries it shows each way. */
export interface EntriesWindow {
  /** The moment, epoch ms. */
  atMs: number;
  /** As the user wrote it ("14:00", "15m"), for the folder's description. */
  text: string;
  /** Entries shown before the moment (grows with "Older…"). */
  older: number;
  /** Entries shown from the moment on (grows with "Newer…"). */
  newer: number;
}

/** A page of children as {@link ExplorerNode.computeChildren} returns it; the base adds the rows around it. */
export interface ChildPage {
  nodes: Node[];
  /** There is more than shown: a "Load more" row with this label follows the nodes. */
  more?: string;
  /** The row shown when there are no nodes (and nothing more): its label, or label and tooltip. */
  empty?: string | { label: string; tooltip?: string };
  /** Rows that always come last, also after the empty row ("Scan more"). */
  after?: Node[];
}

/**
 * The base of the explorer's expandable rows. A subclass says how it looks (`item()`) and reads
 * what is under it (`computeChildren()`); the base turns that into rows the same way everywhere:
 * a failure becomes the error row ({@link errorNode}: "Cannot connect: …" with Retry), no
 * children the node's empty row ("No consumers"), and more than a page a "Load more" row.
 * The session and the tree context are held by the connection row and reached from any node
 * below it (`this.session`, `this.ctx`).
 */
export abstract class ExplorerNode implements Node {
  abstract readonly id: string;
  abstract readonly parent: Node | undefined;

  /** The connection this node reads through (held by the connection row). */
  get session(): Session {
    return this.above().session;
  }

  /** Settings, paging and discovery memory (held by the connection row). */
  get ctx(): TreeContext {
    return this.above().ctx;
  }

  private above(): ExplorerNode {
    if (this.parent instanceof ExplorerNode) return this.parent;
    throw new Error(`${this.id} is not under a connection row`);
  }

  abstract item(): vscode.TreeItem;

  /** Reads what is under this node. Throwing is fine: the error becomes a row. */
  protected abstract computeChildren(): Promise<Node[] | ChildPage>;

  async children(): Promise<Node[]> {
    let result: Node[] | ChildPage;
    try {
      result = await this.computeChildren();
    } catch (e) {
      return [errorNode(this, this.session, e)];
    }
    if (Array.isArray(result)) return result;
    const nodes = [...result.nodes];
    if (result.more !== undefined) nodes.push(new LoadMoreNode(this, result.more));
    if (!nodes.length && result.empty !== undefined) {
      const empty = typeof result.empty === 'string' ? { label: result.empty } : result.empty;
      nodes.push(new InfoNode(this, empty.label, empty.tooltip));
    }
    if (result.after) nodes.push(...result.after);
    return nodes;
  }
}

/** Where a session connects to, as host:port (for hints), from its URL. */
function addressOf(session: Session): string {
  try {
    const u = new URL(session.entry.config.url);
    return u.host || session.entry.config.url;
  } catch {
    return session.entry.config.url;
  }
}

/**
 * Turns a failed read into an error node. A connection failure says what to do for the common
 * causes (refused, timed out, unknown host, wrong password…), retries on click, and is drawn
 * expanded with two rows under it: "Retry" and "Edit Connection…" (for a connection from the
 * user settings, the ones that command changes; others say where they are defined).
 */
export function errorNode(parent: Node, session: Session, e: unknown): ErrorNode {
  const err = toQueueError(e);
  const connection = err.code === 'CANNOT_CONNECT' || err.code === 'AUTH' || err.transient;
  const hint = connection ? connectionHint(err, addressOf(session)) : undefined;
  let message = err.code === 'CANNOT_CONNECT' ? err.message.replace(/^Cannot connect to [^:]+:\/\/[^:]+:\d+[^:]*:/, 'Cannot connect:') : err.message;
  let description: string | undefined;
  let tooltip: string | undefined;
  if (hint) {
    message = `${err.code === 'AUTH' ? 'Authentication failed' : 'Cannot connect'}: ${hint.what}`;
    description = `${hint.todo} · ${hint.code}`;
    tooltip = `${err.message}\n\nWhat to do: ${hint.todo}.`;
  }
  const retry: vscode.Command = { command: 'redisQueues.connection.retry', title: 'Retry', arguments: [session.name] };
  const actions = (self: ErrorNode): Node[] => [
    new ActionNode(self, 'retry', 'Retry', 'connect again now', 'refresh', retry),
    session.entry.origin === 'user'
      ? new ActionNode(self, 'edit', 'Edit Connection…', 'URL, user, password, TLS', 'edit', { command: 'redisQueues.connection.edit', title: 'Edit Connection…', arguments: [session.name] })
      : session.entry.origin === 'sandbox'
        ? new InfoNode(self, 'A sandbox connection: start the sandbox again', 'Sandbox connections are made by "Start Sandbox"; they cannot be edited.', 'beaker')
        : new InfoNode(self, 'Defined in the workspace settings: edit it there', `"${session.name}" comes from this workspace's settings (.vscode/settings.json), which Edit Connection does not change.`, 'settings-gear'),
  ];
  return new ErrorNode(parent, message, connection ? retry : undefined, { description, tooltip, actions: connection ? actions : undefined });
}
