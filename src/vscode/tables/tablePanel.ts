// Tables to work in: a panel per stream (or group) showing its groups, one group's consumers and
// that group's pending entries side by side, as sortable, filterable tables (tableData.ts), the
// pending entries paged like the tree and multi-selectable, with the tree's own actions on them
// (Claim, Acknowledge, Dead-letter: the same commands, confirmations and read-only refusals;
// Journey). Figures are read again after each sampling round while the panel is visible, and
// after each action.
import * as vscode from 'vscode';
import type { ConsumerInfo, GroupSummary, PendingEntry, StreamEntry } from '../../core/internal';
import type { Session } from '../connections/session';
import type { Settings } from '../settings';
import { idLabel, localTime } from '../times';
import { type PendingHost, PendingEntryNode } from '../tree/explorerNodes';
import { onTrendRound, pinForTrends, sessionHistory } from '../tree/trends';
import { PanelRegistry, webviewPage } from '../webviewPage';
import { COLUMNS, DEFAULT_SORT, type Row, type Sort, type TableName, consumerRows, groupRows, pendingRows, tableView } from './tableData';

/** At most this many pending entries are loaded into one panel (Load more stops there). */
export const MAX_LOADED_PENDING = 5000;
/** After a sampling round, the pending entries are read again only when no more than this many are loaded (else on Refresh). */
export const AUTO_PENDING_MAX = 1000;

export type TableAction = 'ack' | 'claim' | 'deadLetter' | 'journey';
const ACTION_COMMANDS: Record<TableAction, string> = {
  ack: 'redisQueues.pending.ack',
  claim: 'redisQueues.pending.claim',
  deadLetter: 'redisQueues.pending.deadLetter',
  journey: 'redisQueues.journey',
};

/** Webview → extension. */
type FromView =
  | { type: 'ready' }
  | { type: 'refresh' }
  | { type: 'more' }
  | { type: 'group'; group: string }
  | { type: 'consumer'; consumer: string | null }
  | { type: 'sort'; table: TableName; key: string }
  | { type: 'filter'; table: TableName; text: string }
  | { type: 'select'; ids: string[]; on: boolean; only?: boolean }
  | { type: 'action'; action: TableAction; id?: string }
  | { type: 'rendered'; text: string; rows: Record<TableName, number> };

/** One table as the page draws it. */
export interface TableOut {
  columns: { key: string; label: string; numeric?: boolean; title?: string }[];
  rows: Row[];
  sort: Sort;
  filter: string;
  /** Rows loaded (before the filter). */
  loaded: number;
  /** What the table holds, in words ("200 of 1,341 pending loaded, oldest first"). */
  note: string;
}

/** What the page draws. */
export interface TableData {
  title: string;
  stream: string;
  group?: string;
  consumer?: string;
  readOnly: boolean;
  groups: TableOut;
  consumers: TableOut;
  pending: TableOut & { more?: string };
  selected: string[];
  /** "read 10:04:31". */
  readAt: string;
  error?: string;
}

export class TablePanels extends PanelRegistry<TablePanel> {
  constructor(
    readonly extensionUri: vscode.Uri,
    readonly settings: () => Settings,
    readonly storageDir?: string,
  ) {
    super();
  }

  /** Opens (or reveals) the panel of a stream, on `group` when given. */
  async show(session: Session, stream: string, group?: string): Promise<TablePanel> {
    const key = [session.name, stream].join('\u0000');
    const { panel: p, fresh } = this.open(key, () => new TablePanel(this, session, stream, group, key));
    if (fresh) await p.loaded();
    else if (group !== undefined && group !== p.group) await p.handle({ type: 'group', group });
    return p;
  }
}

/** The pending rows' host for the tree's commands: the panel's stream and group. */
class TableHost implements PendingHost {
  readonly parent = undefined;
  constructor(
    readonly id: string,
    readonly session: Session,
    readonly pendingOf: { stream: string; group: string },
    readonly settings: () => Settings,
  ) {}
  item(): vscode.TreeItem {
    return new vscode.TreeItem(this.pendingOf.group);
  }
}

export class TablePanel implements vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  /** The selected group (the consumers and pending tables are its own). */
  group: string | undefined;
  /** Pending entries of this consumer only (read so by Redis: XPENDING … consumer). */
  consumer: string | undefined;
  /** The last data posted, and the page's report after it drew. */
  readonly state: { data?: TableData; shown?: { text: string; rows: Record<TableName, number> }; posts: number; reads: number } = { posts: 0, reads: 0 };
  private groups: GroupSummary[] = [];
  private consumers: ConsumerInfo[] = [];
  private pending: PendingEntry[] = [];
  private pendingNext: string | null = null;
  private readonly bodies = new Map<string, StreamEntry | null>();
  private readonly selected = new Set<string>();
  private readonly sorts: Record<TableName, Sort> = { ...DEFAULT_SORT };
  private readonly filters: Record<TableName, string> = { groups: '', consumers: '', pending: '' };
  private readAt = 0;
  /** When the pending entries were last read (they are not read again after each round when many are loaded). */
  private pendingReadAt = 0;
  private pendingStale = false;
  private error: string | undefined;
  private chain: Promise<void> = Promise.resolve();
  private busy = false;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  constructor(
    private readonly owner: TablePanels,
    readonly session: Session,
    readonly stream: string,
    group: string | undefined,
    readonly key: string,
  ) {
    this.group = group;
    const media = vscode.Uri.joinPath(owner.extensionUri, 'media');
    const title = `Table: ${stream}`;
    this.panel = vscode.window.createWebviewPanel('redisQueues.table', title, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [media] });
    this.panel.webview.html = webviewPage(this.panel.webview, media, {
      name: 'table',
      title,
      body: [
        '<header><h1 id="title"></h1><span id="readAt"></span><button id="refresh" title="Read the figures again">Refresh</button></header>',
        '<p id="error" role="alert"></p>',
        '<section id="groups" class="table"></section>',
        '<div id="lower"><section id="consumers" class="table"></section><section id="pending" class="table"></section></div>',
      ].join('\n'),
    });
    const s = owner.settings();
    this.disposables.push(
      pinForTrends(session, stream, { ...s.trends, storageDir: owner.storageDir }),
      onTrendRound((x) => {
        if (x === session && this.panel.visible && !this.busy) void this.read('round');
      }),
      this.panel.onDidDispose(() => this.dispose()),
      this.panel.webview.onDidReceiveMessage((m: unknown) => void this.handle(m)),
    );
    void this.read('reload');
  }

  /** Resolves when the reads asked for so far are done. */
  loaded(): Promise<void> {
    return this.chain;
  }

  /** Handles a message of the page (tests send the same ones); resolves when it is done. */
  async handle(message: unknown): Promise<void> {
    const m = message as FromView | null;
    if (!m || typeof m !== 'object') return;
    switch (m.type) {
      case 'ready':
        return this.post();
      case 'refresh':
        return this.read('reload');
      case 'more':
        return this.read('more');
      case 'group':
        if (typeof m.group !== 'string' || m.group === this.group) return;
        this.group = m.group;
        this.consumer = undefined;
        this.resetPending();
        return this.read('reload');
      case 'consumer':
        if (m.consumer === (this.consumer ?? null)) return;
        this.consumer = typeof m.consumer === 'string' ? m.consumer : undefined;
        this.resetPending();
        return this.read('reload');
      case 'sort':
        if (!(m.table in COLUMNS) || !COLUMNS[m.table].some((c) => c.key === m.key)) return;
        this.sorts[m.table] = this.sorts[m.table].key === m.key ? { key: m.key, dir: this.sorts[m.table].dir === 'asc' ? 'desc' : 'asc' } : { key: m.key, dir: COLUMNS[m.table].find((c) => c.key === m.key)!.numeric ? 'desc' : 'asc' };
        return this.post();
      case 'filter':
        if (!(m.table in COLUMNS)) return;
        this.filters[m.table] = String(m.text ?? '');
        return this.post();
      case 'select': {
        if (m.only) this.selected.clear();
        const loaded = new Set(this.pending.map((e) => e.id));
        for (const id of Array.isArray(m.ids) ? m.ids : []) {
          if (!loaded.has(id)) continue;
          if (m.on) this.selected.add(id);
          else this.selected.delete(id);
        }
        return this.post();
      }
      case 'action':
        await this.act(m.action, m.id);
        return;
      case 'rendered':
        if (typeof m.text === 'string') this.state.shown = { text: m.text, rows: m.rows };
        return;
    }
  }

  /**
   * Runs one of the tree's commands on the selected pending entries (or on `id`): the same
   * confirmations, refusals and reports as from the tree. Then reads the figures again.
   */
  async act(action: TableAction, id?: string): Promise<unknown> {
    const group = this.group;
    if (!(action in ACTION_COMMANDS) || group === undefined) return undefined;
    const ids = id !== undefined ? [id] : [...this.selected];
    const byId = new Map(this.pending.map((e) => [e.id, e]));
    const host = new TableHost(`rq-table/${encodeURIComponent(this.session.name)}/${encodeURIComponent(this.stream)}/${encodeURIComponent(group)}`, this.session, { stream: this.stream, group }, this.owner.settings);
    const nodes = ids.filter((x) => byId.has(x)).map((x) => new PendingEntryNode(host, byId.get(x)!, this.bodies.get(x)));
    if (!nodes.length) {
      void vscode.window.showInformationMessage('Select one or more pending entries first (tick their boxes).');
      return undefined;
    }
    const result = action === 'journey' ? await vscode.commands.executeCommand(ACTION_COMMANDS[action], nodes[0]) : await vscode.commands.executeCommand(ACTION_COMMANDS[action], nodes[0], nodes);
    if (action !== 'journey' && result !== undefined) {
      for (const n of nodes) this.selected.delete(n.entry.id);
      await this.read('reload');
    }
    return result;
  }

  private resetPending(): void {
    this.pending = [];
    this.pendingNext = null;
    this.selected.clear();
  }

  /** Reads the figures (serialised: one read at a time, in the order asked). */
  read(pending: 'reload' | 'more' | 'round'): Promise<void> {
    const next = this.chain.then(() => this.readNow(pending));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async readNow(mode: 'reload' | 'more' | 'round'): Promise<void> {
    if (this.disposed) return;
    this.busy = true;
    const pageSize = this.owner.settings().pageSize;
    try {
      await this.session.run(async (insp) => {
        this.groups = await insp.groups(this.stream);
        if (this.group === undefined || !this.groups.some((g) => g.name === this.group)) {
          // The group asked for is gone (or none was): the one with the most pending.
          this.group = [...this.groups].sort((a, b) => b.pending - a.pending || (a.name < b.name ? -1 : 1))[0]?.name;
          this.consumer = undefined;
          this.resetPending();
          mode = 'reload';
        }
        const group = this.group;
        if (group === undefined) {
          this.consumers = [];
          this.resetPending();
          return;
        }
        this.consumers = await insp.consumers(this.stream, group);
        if (this.consumer !== undefined && !this.consumers.some((c) => c.name === this.consumer)) {
          this.consumer = undefined;
          this.resetPending();
          mode = 'reload';
        }
        // Many entries loaded: a round reads the figures above, the entries only on Refresh.
        if (mode === 'round' && this.pending.length > AUTO_PENDING_MAX) {
          this.pendingStale = true;
          return;
        }
        this.pendingStale = false;
        this.pendingReadAt = Date.now();
        if (mode === 'more' && this.pendingNext && this.pending.length < MAX_LOADED_PENDING) {
          const page = await insp.pendingPage(this.stream, group, { after: this.pendingNext, count: Math.min(pageSize, MAX_LOADED_PENDING - this.pending.length), consumer: this.consumer });
          this.pending = [...this.pending, ...page.entries];
          this.pendingNext = page.next;
        } else {
          // Read again as many as were loaded (a page at least), from the oldest.
          const count = Math.min(MAX_LOADED_PENDING, Math.max(pageSize, this.pending.length));
          const page = await insp.pendingPage(this.stream, group, { count, consumer: this.consumer });
          this.pending = page.entries;
          this.pendingNext = page.next;
        }
        const ids = new Set(this.pending.map((e) => e.id));
        for (const id of [...this.selected]) if (!ids.has(id)) this.selected.delete(id);
        for (const id of [...this.bodies.keys()]) if (!ids.has(id)) this.bodies.delete(id);
        // Bodies do not change (a deleted one stays deleted): read only those not read yet.
        const unread = this.pending.map((e) => e.id).filter((id) => !this.bodies.has(id));
        for (let i = 0; i < unread.length; i += 200) {
          const got = await insp.entriesByIds(this.stream, unread.slice(i, i + 200));
          for (const [id, body] of got) this.bodies.set(id, body);
        }
      });
      this.error = undefined;
      this.readAt = Date.now();
      this.state.reads++;
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.busy = false;
    }
    this.post();
  }

  private table(name: TableName, rows: Row[], note: string): TableOut {
    // A column the server cannot fill for any row (lag before Redis 7.0, inactive before 7.2) is left out.
    const unknown = (key: string) => rows.length > 0 && rows.every((r) => r.cells[key]?.text === 'n/a');
    const columns = COLUMNS[name].filter((c) => !unknown(c.key));
    return { columns, rows: tableView(rows, this.sorts[name], this.filters[name]), sort: this.sorts[name], filter: this.filters[name], loaded: rows.length, note };
  }

  /** The data the page draws now. */
  data(): TableData {
    const settings = this.owner.settings();
    const h = sessionHistory(this.session);
    const groupInfo = this.groups.find((g) => g.name === this.group);
    const consumerInfo = this.consumers.find((c) => c.name === this.consumer);
    const total = this.consumer !== undefined ? consumerInfo?.pending : groupInfo?.pending;
    const n = this.pending.length;
    const whose = this.consumer !== undefined ? ` of consumer "${this.consumer}"` : '';
    // XPENDING says "maybe more" after a full page: the count read with it says whether there are.
    const complete = !this.pendingNext || (total !== undefined && n >= total);
    const pendingNote =
      this.group === undefined
        ? 'No consumer groups on this stream.'
        : !n
          ? `No pending entries${whose}.`
          : `${complete ? `All ${n.toLocaleString('en-US')}` : `${n.toLocaleString('en-US')} of ${total === undefined ? 'more' : total.toLocaleString('en-US')}`} pending entries${whose} loaded, oldest first${complete ? '' : '; sorting and filtering apply to those loaded'}.`;
    const stale = n > 0 && this.pendingStale ? ` Entries as read at ${localTime(this.pendingReadAt).slice(11)} (over ${AUTO_PENDING_MAX.toLocaleString('en-US')} loaded: Refresh reads them again).` : '';
    const more = !complete && n < MAX_LOADED_PENDING ? `Load ${Math.min(settings.pageSize, MAX_LOADED_PENDING - n).toLocaleString('en-US')} more` : undefined;
    return {
      title: this.stream,
      stream: this.stream,
      group: this.group,
      consumer: this.consumer,
      readOnly: this.session.readOnly,
      groups: this.table('groups', groupRows(this.groups, (g) => ({ in: h.latest(this.stream, undefined, 'in'), out: h.latest(this.stream, g, 'out') })), `${this.groups.length.toLocaleString('en-US')} consumer group${this.groups.length === 1 ? '' : 's'}; rates from the last sampling round.`),
      consumers: this.table('consumers', consumerRows(this.consumers, settings.thresholds), this.group === undefined ? '' : `Consumers of "${this.group}" (click one to show its pending entries only).`),
      pending: { ...this.table('pending', pendingRows(this.pending, this.bodies, settings.thresholds, (id) => idLabel(id)), pendingNote + stale), more },
      selected: this.pending.filter((e) => this.selected.has(e.id)).map((e) => e.id),
      readAt: this.readAt ? `read ${localTime(this.readAt).slice(11)}` : 'reading…',
      error: this.error,
    };
  }

  private post(): void {
    if (this.disposed) return;
    const data = this.data();
    this.state.data = data;
    this.state.posts++;
    void this.panel.webview.postMessage({ type: 'data', data });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.owner.forget(this);
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}
