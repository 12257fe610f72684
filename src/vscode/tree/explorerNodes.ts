import * as vscode from 'vscode';
import {
  type ConsumerInfo,
  type DiscoveryProgress,
  type DiscoveryState,
  globMatch,
  type GroupSummary,
  type PendingEntry,
  type StreamEntry,
  type StreamSummary,
  formatCount,
  formatShort,
  formatDuration,
  idTime,
  isLagging,
  isPoison,
  isStuck,
  oneLine,
  previewRaw,
  toQueueError,
} from '../../core';
import type { Session } from '../connections/session';
import type { Settings } from '../settings';
import { type Node, ErrorNode, InfoNode, LoadMoreNode, childId } from './node';
import type { ListQueuesFolderNode } from './listQueueNodes';
import type { KnownKeys, KnownKind } from './knownKeys';

/** What every explorer node can reach: settings, paging state, and the list-queue folder factory. */
export interface TreeContext {
  settings(): Settings;
  /** How many items a paged node shows (grows by a page with each "Load more"). */
  limit(node: Node, pageSize: number): number;
  listQueues(parent: ConnectionNode): ListQueuesFolderNode;
  /** Streams and list queues found so far, per connection (discovery memory). */
  readonly known: KnownKeys;
}

function item(node: Node, label: string, state: vscode.TreeItemCollapsibleState, icon: string | vscode.ThemeIcon, contextValue: string): vscode.TreeItem {
  const t = new vscode.TreeItem(label, state);
  t.id = node.id;
  t.iconPath = typeof icon === 'string' ? new vscode.ThemeIcon(icon) : icon;
  t.contextValue = contextValue;
  return t;
}

const Collapsed = vscode.TreeItemCollapsibleState.Collapsed;
const None = vscode.TreeItemCollapsibleState.None;
const warn = (icon: string) => new vscode.ThemeIcon(icon, new vscode.ThemeColor('problemsWarningIcon.foreground'));
const bad = (icon: string) => new vscode.ThemeIcon(icon, new vscode.ThemeColor('errorForeground'));

/** Turns a failed read into an error node (with a retry action for connection failures). */
export function errorNode(parent: Node, session: Session, e: unknown): ErrorNode {
  const err = toQueueError(e);
  const connection = err.code === 'CANNOT_CONNECT' || err.code === 'AUTH' || err.transient;
  return new ErrorNode(
    parent,
    err.code === 'CANNOT_CONNECT' ? err.message.replace(/^Cannot connect to [^:]+:\/\/[^:]+:\d+[^:]*:/, 'Cannot connect:') : err.message,
    connection ? { command: 'redisQueues.connection.retry', title: 'Retry', arguments: [session.name] } : undefined,
  );
}

export class ConnectionNode implements Node {
  readonly id: string;
  readonly parent = undefined;
  constructor(
    readonly session: Session,
    readonly ctx: TreeContext,
  ) {
    this.id = childId(undefined, 'conn', session.name);
  }

  item(): vscode.TreeItem {
    const s = this.session;
    const c = s.entry.config;
    const flags = [s.readOnly ? 'readOnly' : '', s.production ? 'production' : '', s.entry.origin === 'sandbox' ? 'sandbox' : '', s.entry.origin].filter(Boolean);
    const t = item(this, c.name, Collapsed, 'database', `connection;${s.state.kind};${flags.join(';')}`);
    const lock = s.readOnly ? ' · read-only' : '';
    const prod = s.production ? ' · production' : '';
    const tlsOff = c.tls?.rejectUnauthorized === false ? ' · TLS unverified' : '';
    switch (s.state.kind) {
      case 'idle':
        t.description = `${c.mode ?? 'standalone'}${lock}${prod}`;
        s.connectInBackground();
        break;
      case 'connecting':
        t.description = 'connecting…';
        t.iconPath = new vscode.ThemeIcon('loading~spin');
        break;
      case 'connected': {
        const srv = s.state.server;
        t.description = `Redis ${srv.version} · ${srv.mode}${srv.mode === 'cluster' ? ` (${srv.masters} masters)` : ''}${lock}${prod}${tlsOff}`;
        t.iconPath = s.production ? warn('database') : new vscode.ThemeIcon('database', new vscode.ThemeColor('testing.iconPassed'));
        break;
      }
      case 'error': {
        const code = s.state.error.code;
        if (s.recovering) {
          // A failover or restart: the session reconnects by itself (no Retry needed).
          t.description = code === 'UNAVAILABLE' ? 'failing over… reconnecting' : 'connection lost… reconnecting';
          t.iconPath = new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('problemsWarningIcon.foreground'));
          break;
        }
        t.description = code === 'AUTH' ? 'auth failed' : code === 'NOPERM' ? 'no permission' : 'unreachable';
        t.iconPath = bad('debug-disconnect');
        break;
      }
      case 'restricted':
        t.description = 'not connected (Restricted Mode)';
        t.iconPath = new vscode.ThemeIcon('workspace-untrusted');
        break;
    }
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${escapeMd(c.name)}**\n\n`);
    md.appendText(`${c.url}${c.username ? ` as ${c.username}` : ''}\nmode: ${c.mode ?? 'standalone'}${c.readOnly ? '\nread-only: writes are refused' : ''}${c.production ? '\nproduction: destructive actions ask you to type the name' : ''}${tlsOff ? '\nTLS certificate verification is OFF for this connection' : ''}\n`);
    if (s.state.kind === 'error') md.appendText(`\n${s.state.error.message}`);
    if (s.state.kind === 'connected') md.appendText(`\nRedis ${s.state.server.version}, role ${s.state.server.role}`);
    t.tooltip = md;
    return t;
  }

  async children(): Promise<Node[]> {
    const s = this.session;
    if (s.state.kind === 'restricted') {
      return [new ErrorNode(this, 'Workspace not trusted: not connected automatically', { command: 'redisQueues.connection.connectAnyway', title: 'Connect anyway', arguments: [s.name] })];
    }
    try {
      await s.inspector();
    } catch (e) {
      return [errorNode(this, s, e)];
    }
    return [new StreamsFolderNode(this), this.ctx.listQueues(this)];
  }
}

export class StreamsFolderNode implements Node {
  readonly id: string;
  constructor(readonly parent: ConnectionNode) {
    this.id = childId(parent, 'streams');
  }
  get session(): Session {
    return this.parent.session;
  }
  item(): vscode.TreeItem {
    const t = item(this, 'Streams', Collapsed, 'list-flat', 'streams');
    const filter = this.parent.ctx.settings().streamFilter;
    if (filter !== '*') t.description = `filter: ${filter}`;
    return t;
  }
  async children(): Promise<Node[]> {
    const ctx = this.parent.ctx;
    const settings = ctx.settings();
    const limit = ctx.limit(this, settings.scanPageSize);
    try {
      return await this.session.run(async (insp) => {
        const { keys, scan, pinned } = await knownKeys(
          this.session,
          ctx,
          'streams',
          settings.streamFilter,
          // A small keyspace is walked whole; a large one until a page of streams is found.
          (state, small) => insp.discover('streams', state, { match: settings.streamFilter, maxMs: settings.discovery.budgetMs, maxCalls: settings.discovery.maxScanCalls, maxFound: small ? Infinity : limit }),
          () => insp.keyspaceSize(),
        );
        const shown = keys.slice(0, limit);
        const infos = shown.length ? await insp.streams(shown) : [];
        const nodes: Node[] = [];
        const gone: string[] = [];
        shown.forEach((k, i) => {
          const info = infos[i]!;
          if (!(info instanceof Error)) nodes.push(new StreamNode(this, info));
          else if (/no such key/i.test(info.message) && !pinned.has(k)) gone.push(k);
          else nodes.push(new InfoNode(this, `${k}: ${/no such key/i.test(info.message) ? 'not there (pinned)' : info.message}`, undefined, 'warning'));
        });
        if (gone.length) {
          ctx.known.remove(this.session.name, 'streams', gone);
          void ctx.known.save(this.session.name);
        }
        if (keys.length > limit) nodes.push(new LoadMoreNode(this, `Load more streams… (${shown.length} of ${keys.length} shown)`));
        if (!nodes.length) nodes.push(new InfoNode(this, scan.done ? (settings.streamFilter === '*' ? 'No streams' : `No streams match "${settings.streamFilter}"`) : 'No streams found yet'));
        if (!scan.done) nodes.push(new ScanMoreNode(this, 'streams', await insp.discoveryProgress(scan.state)));
        return nodes;
      });
    } catch (e) {
      return [errorNode(this, this.session, e)];
    }
  }
}

/**
 * The keys of one discovery for a folder: what is remembered (matching the filter, pinned ones
 * always), after a first budgeted walk when none ran yet for this filter. On a large keyspace
 * (more than redisQueues.discovery.smallKeyspace keys, by DBSIZE) drawing again never scans: new
 * keys come from "Scan more" / "Rescan". On a small one, a complete walk costs a few SCAN calls,
 * so each drawing walks it again and the folder stays as live as the keyspace.
 */
export async function knownKeys(
  session: Session,
  ctx: TreeContext,
  kind: KnownKind,
  match: string,
  walk: (state: DiscoveryState, small: boolean) => Promise<{ keys: string[] }>,
  keyspaceSize: () => Promise<number>,
): Promise<{ keys: string[]; pinned: Set<string>; scan: { state: DiscoveryState; done: boolean } }> {
  const set = ctx.known.set(session.name, kind, match);
  const small = (!set.scan || set.scan.position === null) && (await keyspaceSize()) <= ctx.settings().discovery.smallKeyspace;
  const again = set.scan?.position === null && small;
  if (!set.scan || again) {
    const state = ctx.known.startScan(session.name, kind);
    const r = await walk(state, small);
    // Discovery only adds: streams that are gone drop out when drawn (XINFO); list queues stay
    // (with zeros) until forgotten, also when all their lists are empty.
    ctx.known.add(session.name, kind, r.keys);
    await ctx.known.save(session.name);
  }
  const pinned = new Set(set.pinned);
  const keys = [...new Set([...set.pinned, ...set.keys.filter((k) => globMatch(match, k))])].sort();
  return { keys, pinned, scan: { state: set.scan!, done: set.scan!.position === null } };
}

/** "Scan more — about 1.2 M of 10 M keys": where a folder's discovery stands; click to go on. */
export class ScanMoreNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: Node & { readonly session: Session },
    readonly kind: KnownKind,
    private readonly progress: DiscoveryProgress,
  ) {
    this.id = childId(parent, '~scan');
  }
  item(): vscode.TreeItem {
    const p = this.progress;
    const t = new vscode.TreeItem('Scan more', None);
    t.id = this.id;
    t.description = `about ${formatShort(p.scanned)} of ${formatShort(p.total)} keys`;
    t.iconPath = new vscode.ThemeIcon('search');
    t.tooltip =
      `Discovery walks the keyspace with SCAN … TYPE ${this.kind === 'streams' ? 'stream' : 'list'} a budget at a time (redisQueues.discovery.budgetMs, maxScanCalls), ` +
      `each call sized to about 2 ms of server time, and remembers what it found. Refreshes never scan. ${formatCount(p.calls)} SCAN calls so far.\n\n` +
      'Click to scan the next part; right-click to scan to the end (with progress, cancellable).';
    t.command = { command: 'redisQueues.discovery.scanMore', title: 'Scan more', arguments: [this] };
    t.contextValue = 'scanMore';
    return t;
  }
}

export class StreamNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: StreamsFolderNode,
    readonly info: StreamSummary,
  ) {
    this.id = childId(parent, info.key);
  }
  get session(): Session {
    return this.parent.session;
  }
  get key(): string {
    return this.info.key;
  }
  /** Named like a dead-letter stream (`orders:dlq`, `jobs.dead-letter`): offers Replay. */
  get dlq(): boolean {
    return /(^|[:._-])(dlq|dead[-_]?letters?)($|[:._-])/i.test(this.info.key);
  }
  item(): vscode.TreeItem {
    const i = this.info;
    const dlq = this.dlq;
    const t = item(this, oneLine(i.key), Collapsed, dlq ? 'archive' : 'symbol-event', `stream;${i.groups > 0 ? 'hasGroups' : 'noGroups'}${dlq ? ';dlq' : ''}`);
    const age = i.lastEntryAgeMs !== undefined ? ` · last ${formatDuration(i.lastEntryAgeMs)} ago` : '';
    t.description = `${formatCount(i.length)} entries${age} · ${i.groups} group${i.groups === 1 ? '' : 's'}`;
    t.tooltip = [
      `Stream ${oneLine(i.key)}`,
      `length: ${formatCount(i.length)}`,
      `first id: ${i.firstEntryId ?? '—'}`,
      `last id: ${i.lastEntryId ?? '—'}${i.lastEntryAgeMs !== undefined ? ` (${formatDuration(i.lastEntryAgeMs)} ago)` : ''}`,
      `last generated id: ${i.lastGeneratedId}`,
      `consumer groups: ${i.groups}`,
      i.entriesAdded !== undefined ? `entries ever added: ${formatCount(i.entriesAdded)}` : '',
    ].filter(Boolean).join('\n');
    return t;
  }
  async children(): Promise<Node[]> {
    return [new GroupsFolderNode(this), new EntriesFolderNode(this)];
  }
}

export class GroupsFolderNode implements Node {
  readonly id: string;
  constructor(readonly parent: StreamNode) {
    this.id = childId(parent, 'groups');
  }
  get session(): Session {
    return this.parent.session;
  }
  item(): vscode.TreeItem {
    const t = item(this, 'Groups', Collapsed, 'organization', 'groups');
    t.description = String(this.parent.info.groups);
    return t;
  }
  async children(): Promise<Node[]> {
    try {
      const { groups, lagSupported } = await this.session.run(async (insp) => ({ groups: await insp.groups(this.parent.key), lagSupported: (await insp.caps()).lag }));
      if (!groups.length) return [new InfoNode(this, 'No consumer groups')];
      const nodes: Node[] = groups.map((g) => new GroupNode(this, g, lagSupported));
      if (!lagSupported) nodes.push(new InfoNode(this, 'Lag needs Redis 7.0 or later', 'XINFO GROUPS reports lag and entries-read from Redis 7.0.'));
      return nodes;
    } catch (e) {
      return [errorNode(this, this.session, e)];
    }
  }
}

export class GroupNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: GroupsFolderNode,
    readonly group: GroupSummary,
    private readonly lagSupported: boolean,
  ) {
    this.id = childId(parent, group.name);
  }
  get session(): Session {
    return this.parent.session;
  }
  get stream(): string {
    return this.parent.parent.key;
  }
  get lagging(): boolean {
    return isLagging(this.group, this.parent.parent.parent.parent.ctx.settings().thresholds);
  }
  item(): vscode.TreeItem {
    const g = this.group;
    const lagging = this.lagging;
    const t = item(this, oneLine(g.name), Collapsed, lagging ? warn('warning') : 'organization', `group;${g.pending > 0 ? 'hasPending' : 'noPending'}${lagging ? ';lagging' : ''}`);
    const lag = !this.lagSupported ? '' : g.lag === null || g.lag === undefined ? ' · lag ?' : ` · lag ${formatCount(g.lag)}`;
    const oldest = g.oldestPendingAgeMs !== undefined ? ` · oldest ${formatDuration(g.oldestPendingAgeMs)}` : '';
    t.description = `${formatCount(g.pending)} pending${lag}${oldest} · ${g.consumers} consumer${g.consumers === 1 ? '' : 's'}${lagging ? ' · LAGGING' : ''}`;
    t.tooltip = [
      `Group ${oneLine(g.name)} on ${oneLine(this.stream)}`,
      `pending: ${formatCount(g.pending)}`,
      this.lagSupported ? `lag: ${g.lag === null || g.lag === undefined ? 'unknown (after deletions or SETID Redis cannot tell)' : formatCount(g.lag)}` : 'lag: needs Redis 7.0',
      g.entriesRead !== undefined ? `entries read: ${g.entriesRead === null ? '?' : formatCount(g.entriesRead)}` : '',
      `last delivered id: ${g.lastDeliveredId}`,
      g.oldestPendingId ? `oldest pending: ${g.oldestPendingId} (age ${formatDuration(g.oldestPendingAgeMs)}, idle ${formatDuration(g.oldestPendingIdleMs)})` : 'no pending entries',
      `consumers: ${g.consumers}`,
      lagging ? `LAGGING: more than ${formatCount(this.parent.parent.parent.parent.ctx.settings().thresholds.lagWarning)} entries behind` : '',
    ].filter(Boolean).join('\n');
    return t;
  }
  async children(): Promise<Node[]> {
    try {
      const consumers = await this.session.run((insp) => insp.consumers(this.stream, this.group.name));
      if (!consumers.length) return [new InfoNode(this, 'No consumers')];
      // XINFO CONSUMERS cannot be paged by the server; show the busiest first, a page at a time.
      const ctx = this.parent.parent.parent.parent.ctx;
      const limit = ctx.limit(this, ctx.settings().pageSize);
      const sorted = [...consumers].sort((a, b) => b.pending - a.pending || a.name.localeCompare(b.name));
      const nodes: Node[] = sorted.slice(0, limit).map((c) => new ConsumerNode(this, c));
      if (sorted.length > limit) nodes.push(new LoadMoreNode(this, `Load more consumers… (${limit} of ${formatCount(sorted.length)} shown, busiest first)`));
      return nodes;
    } catch (e) {
      return [errorNode(this, this.session, e)];
    }
  }
}

export class ConsumerNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: GroupNode,
    readonly consumer: ConsumerInfo,
  ) {
    this.id = childId(parent, consumer.name);
  }
  get session(): Session {
    return this.parent.session;
  }
  get ctx(): TreeContext {
    return this.parent.parent.parent.parent.parent.ctx;
  }
  get stuck(): boolean {
    return isStuck(this.consumer, this.ctx.settings().thresholds);
  }
  item(): vscode.TreeItem {
    const c = this.consumer;
    const stuck = this.stuck;
    const t = item(this, oneLine(c.name), c.pending > 0 ? Collapsed : None, stuck ? bad('person') : 'person', `consumer;${c.pending > 0 ? 'hasPending' : 'noPending'}${stuck ? ';stuck' : ''}`);
    t.description = `${formatCount(c.pending)} pending · idle ${formatDuration(c.idle)}${stuck ? ' · STUCK' : ''}`;
    t.tooltip = [
      `Consumer ${oneLine(c.name)}`,
      `pending: ${formatCount(c.pending)}`,
      `idle: ${formatDuration(c.idle)} (since its last attempted read)`,
      c.inactive !== undefined ? `inactive: ${c.inactive < 0 ? 'never read successfully' : formatDuration(c.inactive)}` : '',
      stuck ? `STUCK: holds entries and idle for more than ${formatDuration(this.ctx.settings().thresholds.stuckIdleMs)}` : '',
    ].filter(Boolean).join('\n');
    return t;
  }
  async children(): Promise<Node[]> {
    const pageSize = this.ctx.settings().pageSize;
    const limit = this.ctx.limit(this, pageSize);
    try {
      const page = await this.session.run((insp) => insp.pendingPage(this.parent.stream, this.parent.group.name, { consumer: this.consumer.name, count: limit }));
      if (!page.entries.length) return [new InfoNode(this, 'No pending entries')];
      const nodes: Node[] = page.entries.map((e) => new PendingEntryNode(this, e));
      if (page.next) nodes.push(new LoadMoreNode(this, `Load more pending… (${page.entries.length} shown)`));
      return nodes;
    } catch (e) {
      return [errorNode(this, this.session, e)];
    }
  }
}

export class PendingEntryNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: ConsumerNode,
    readonly entry: PendingEntry,
  ) {
    this.id = childId(parent, entry.id);
  }
  get session(): Session {
    return this.parent.session;
  }
  get stream(): string {
    return this.parent.parent.stream;
  }
  get group(): string {
    return this.parent.parent.group.name;
  }
  item(): vscode.TreeItem {
    const e = this.entry;
    const poison = isPoison(e, this.parent.ctx.settings().thresholds);
    const t = item(this, e.id, None, poison ? bad('flame') : 'mail', `pendingEntry${poison ? ';poison' : ''}`);
    const age = idTime(e.id);
    t.description = `idle ${formatDuration(e.idle)} · delivered ${e.deliveries}×${poison ? ' · POISON' : ''}`;
    t.tooltip = [
      `Pending entry ${e.id}`,
      `consumer: ${oneLine(e.consumer)}`,
      `idle: ${formatDuration(e.idle)}`,
      `deliveries: ${e.deliveries}`,
      Number.isNaN(age) ? '' : `created: ${new Date(age).toISOString()} (${formatDuration(Date.now() - age)} ago)`,
      poison ? `POISON: delivered ${e.deliveries} times (threshold ${this.parent.ctx.settings().thresholds.poisonDeliveries})` : '',
    ].filter(Boolean).join('\n');
    t.command = { command: 'redisQueues.entry.open', title: 'Open Entry', arguments: [this] };
    return t;
  }
}

export class EntriesFolderNode implements Node {
  readonly id: string;
  constructor(readonly parent: StreamNode) {
    this.id = childId(parent, 'entries');
  }
  get session(): Session {
    return this.parent.session;
  }
  get ctx(): TreeContext {
    return this.parent.parent.parent.ctx;
  }
  item(): vscode.TreeItem {
    const t = item(this, 'Entries', Collapsed, 'list-ordered', 'entries');
    t.description = 'newest first';
    return t;
  }
  async children(): Promise<Node[]> {
    const limit = this.ctx.limit(this, this.ctx.settings().pageSize);
    try {
      const page = await this.session.run((insp) => insp.entriesPage(this.parent.key, { count: limit }));
      if (!page.entries.length) return [new InfoNode(this, 'No entries')];
      const nodes: Node[] = page.entries.map((e) => new EntryNode(this, e));
      if (page.next) nodes.push(new LoadMoreNode(this, `Load more entries… (${page.entries.length} shown)`));
      return nodes;
    } catch (e) {
      return [errorNode(this, this.session, e)];
    }
  }
}

export class EntryNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: EntriesFolderNode,
    readonly entry: StreamEntry,
  ) {
    this.id = childId(parent, entry.id);
  }
  get session(): Session {
    return this.parent.session;
  }
  get stream(): string {
    return this.parent.parent.key;
  }
  item(): vscode.TreeItem {
    const t = item(this, this.entry.id, None, 'mail-read', `streamEntry${this.parent.parent.dlq ? ';dlq' : ''}`);
    t.description = previewRaw(this.entry.raw);
    const age = idTime(this.entry.id);
    t.tooltip = `${this.entry.id}${Number.isNaN(age) ? '' : `\n${new Date(age).toISOString()}`}\n${previewRaw(this.entry.raw, 400)}`;
    t.command = { command: 'redisQueues.entry.open', title: 'Open Entry', arguments: [this] };
    return t;
  }
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
