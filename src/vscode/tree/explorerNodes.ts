import * as vscode from 'vscode';
import {
  type ConsumerInfo,
  type DiscoveryProgress,
  type DiscoveryState,
  type HealthCounts,
  describeHealth,
  globMatch,
  type GroupSummary,
  type PendingEntry,
  type StreamEntry,
  type StreamSummary,
  formatCount,
  formatShort,
  formatDuration,
  idForTime,
  idTime,
  isLagging,
  isPoison,
  isStuck,
  oneLine,
  previewRaw,
  splitDeadLetter,
  sumHealth,
  toQueueError,
} from '../../core';
import type { Session } from '../connections/session';
import type { Settings } from '../settings';
import { type Node, ActionNode, ErrorNode, InfoNode, LoadMoreNode, childId } from './node';
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
  /** "Go to time": the Entries folders (by node id) that show the entries around a moment. */
  readonly entriesWindows: Map<string, EntriesWindow>;
}

/**
 * Where an entry row lives: an Entries folder, or anything else that lists entries of one stream
 * (a search's results). The entry commands read `session` and `stream` from the row, never its
 * parent's class.
 */
export interface EntryHost extends Node {
  readonly session: Session;
  /** The stream the entries below are in. */
  readonly streamKey: string;
  /** Whether that stream is a dead-letter stream (its records are drawn as such). */
  readonly dlq: boolean;
}

/** Where a pending-entry row lives: a consumer, or a search's results. */
export interface PendingHost extends Node {
  readonly session: Session;
  /** The stream and group of the pending entries below. */
  readonly pendingOf: { stream: string; group: string };
  settings(): Settings;
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

/** What to do about a failed connection, for the common causes; undefined when there is no advice. */
export interface ConnectionHint {
  /** Replaces the raw reason in the error row: "nothing listens at 127.0.0.1:6390". */
  what: string;
  /** What to do: "start Redis or the sandbox, or edit the connection". */
  todo: string;
  /** The raw code for the row's description: ECONNREFUSED, ETIMEDOUT, WRONGPASS… */
  code: string;
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

/** Advice for a connection failure from its (scrubbed) message; undefined for other errors. */
export function connectionHint(message: string, address: string): ConnectionHint | undefined {
  const refused = /ECONNREFUSED\s*([^\s,;)]*)/.exec(message);
  if (refused) return { what: `nothing listens at ${refused[1] || address}`, todo: 'start Redis or the sandbox, or edit the connection', code: 'ECONNREFUSED' };
  if (/ETIMEDOUT|did not answer within|timed out/i.test(message)) {
    return { what: `no answer from ${address}`, todo: 'check the host and port, a firewall or VPN in between, or edit the connection', code: /ETIMEDOUT/.test(message) ? 'ETIMEDOUT' : 'timeout' };
  }
  if (/ENOTFOUND|EAI_AGAIN|getaddrinfo/i.test(message)) return { what: `host name not found (${address})`, todo: 'check the host name or your DNS/VPN, or edit the connection', code: 'ENOTFOUND' };
  if (/EHOSTUNREACH|ENETUNREACH/.test(message)) return { what: `no route to ${address}`, todo: 'check the network or VPN, or edit the connection', code: /EHOSTUNREACH/.test(message) ? 'EHOSTUNREACH' : 'ENETUNREACH' };
  if (/WRONGPASS|invalid username-password|invalid password|AUTH failed/i.test(message)) {
    return { what: 'the server refused the user name or password', todo: 'edit the connection to correct them', code: 'WRONGPASS' };
  }
  if (/NOAUTH/.test(message)) return { what: 'the server needs a password', todo: 'edit the connection to give one', code: 'NOAUTH' };
  if (/certificate|self[- ]signed|Hostname\/IP does not match|ERR_TLS|SSL|TLS/i.test(message)) {
    return { what: 'the TLS handshake failed', todo: 'check rediss:// and the certificate settings, or edit the connection', code: 'TLS' };
  }
  return undefined;
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
  const hint = connection ? connectionHint(err.message, addressOf(session)) : undefined;
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

/** The mark that leads a row's description when something is wrong: "⚠ STUCK · …". */
const MARK = '\u26a0';
function marked(marks: string[], rest: string): string {
  const m = marks.filter(Boolean);
  return m.length ? `${MARK} ${m.join(' · ')}${rest ? ` · ${rest}` : ''}` : rest;
}

interface GroupHealth {
  lagging: boolean;
  /** Consumers seen STUCK when the group's consumers were last drawn. */
  stuck: Set<string>;
  /** POISON entries per consumer, seen when its pending page was last drawn. */
  poison: Map<string, number>;
}

/**
 * Health marks seen while drawing, per session: what rolls up into the group, stream and
 * connection rows. Filled only from replies read anyway to draw nodes (XINFO GROUPS, XINFO
 * CONSUMERS, the pending pages), never by reads of its own; so a row above shows what was seen
 * under it the last time those nodes were drawn, and nothing for parts never expanded.
 */
export class SessionHealth {
  private readonly streams = new Map<string, Map<string, GroupHealth>>();
  private readonly stuckLists = new Set<string>();
  private readonly listeners = new Set<() => void>();

  /** Called when a roll-up changed (so the rows above can be drawn again). */
  onChange(fn: () => void): void {
    this.listeners.add(fn);
  }

  /** Runs `update`, then tells the listeners when the roll-ups differ from before. */
  private changing(update: () => void): void {
    const before = this.summary();
    update();
    if (this.summary() !== before) for (const fn of this.listeners) fn();
  }

  private summary(): string {
    return JSON.stringify([[...this.streams.keys()].map((k) => [k, this.stream(k)]), [...this.stuckLists]]);
  }

  private group(stream: string, group: string): GroupHealth {
    let groups = this.streams.get(stream);
    if (!groups) this.streams.set(stream, (groups = new Map()));
    let g = groups.get(group);
    if (!g) groups.set(group, (g = { lagging: false, stuck: new Set(), poison: new Map() }));
    return g;
  }
  /** A stream's groups were drawn: their LAGGING marks; groups no longer there are dropped. */
  groupsDrawn(stream: string, groups: { name: string; lagging: boolean }[]): void {
    this.changing(() => {
      const names = new Set(groups.map((g) => g.name));
      const known = this.streams.get(stream);
      for (const name of known?.keys() ?? []) if (!names.has(name)) known!.delete(name);
      for (const g of groups) this.group(stream, g.name).lagging = g.lagging;
    });
  }
  /** A group's consumers were drawn: which are STUCK; poison counts of consumers gone or empty are dropped. */
  consumersDrawn(stream: string, group: string, consumers: { name: string; pending: number; stuck: boolean }[]): void {
    this.changing(() => {
      const g = this.group(stream, group);
      g.stuck = new Set(consumers.filter((c) => c.stuck).map((c) => c.name));
      const holding = new Set(consumers.filter((c) => c.pending > 0).map((c) => c.name));
      for (const name of [...g.poison.keys()]) if (!holding.has(name)) g.poison.delete(name);
    });
  }
  /** A consumer's pending page was drawn: how many of its entries are POISON. */
  pendingDrawn(stream: string, group: string, consumer: string, poison: number): void {
    this.changing(() => {
      const g = this.group(stream, group);
      if (poison > 0) g.poison.set(consumer, poison);
      else g.poison.delete(consumer);
    });
  }
  /** A stream is gone (or has no groups): nothing of it rolls up any more. */
  streamGone(stream: string): void {
    this.changing(() => this.streams.delete(stream));
  }
  /** List queues were drawn: which are STUCK. */
  listsDrawn(queues: { name: string; stuck: boolean }[]): void {
    this.changing(() => {
      for (const q of queues) {
        if (q.stuck) this.stuckLists.add(q.name);
        else this.stuckLists.delete(q.name);
      }
    });
  }
  poisonOf(stream: string, group: string, consumer: string): number {
    return this.streams.get(stream)?.get(group)?.poison.get(consumer) ?? 0;
  }
  /** Stuck consumers and poison entries seen under a group (its own LAGGING is not counted). */
  underGroup(stream: string, group: string): HealthCounts | undefined {
    const g = this.streams.get(stream)?.get(group);
    if (!g) return undefined;
    return { stuck: g.stuck.size, poison: [...g.poison.values()].reduce((a, b) => a + b, 0), lagging: 0 };
  }
  /** The sum over a stream's groups as last drawn; undefined when they were never drawn. */
  stream(stream: string): HealthCounts | undefined {
    const groups = this.streams.get(stream);
    if (!groups) return undefined;
    return sumHealth([...groups.keys()].map((name) => ({ ...this.underGroup(stream, name)!, lagging: groups.get(name)!.lagging ? 1 : 0 })));
  }
  /** The sum over the streams (and STUCK list queues) seen; undefined when nothing was drawn yet. */
  connection(): HealthCounts | undefined {
    if (!this.streams.size && !this.stuckLists.size) return undefined;
    const sum = sumHealth([...this.streams.keys()].map((k) => this.stream(k)!));
    return { ...sum, stuck: sum.stuck + this.stuckLists.size };
  }
}

const healthCache = new WeakMap<Session, SessionHealth>();
/** The health marks seen while drawing this session's nodes. */
export function sessionHealth(session: Session): SessionHealth {
  let h = healthCache.get(session);
  if (!h) healthCache.set(session, (h = new SessionHealth()));
  return h;
}

const collator = new Intl.Collator('en', { numeric: true });
/** A stable order by name (natural: worker-2 before worker-10), the same on every refresh. */
export function byName(a: { name: string }, b: { name: string }): number {
  return collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** Epoch ms as local "YYYY-MM-DD HH:MM:SS". */
/** Whether a stream is named like a dead-letter stream (`orders:dlq`, `jobs.dead-letter`). */
export function isDeadLetterName(key: string): boolean {
  return /(^|[:._-])(dlq|dead[-_]?letters?)($|[:._-])/i.test(key);
}

/** "2024-05-01 14:00:05", local time. */
export function localTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function rollupTooltip(c: HealthCounts | undefined, where: string): string {
  if (!c) return `health: not known yet (${where} not drawn in this session; nothing is read just to roll up)`;
  const text = describeHealth(c);
  return `health (${where} as last drawn): ${text || 'no STUCK, POISON or LAGGING marks'}`;
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
        t.description = marked([describeHealth(sessionHealth(s).connection() ?? { stuck: 0, poison: 0, lagging: 0 })], `Redis ${srv.version} · ${srv.mode}${srv.mode === 'cluster' ? ` (${srv.masters} masters)` : ''}${lock}${prod}${tlsOff}`);
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
    if (s.state.kind === 'connected') md.appendText(`\nRedis ${s.state.server.version}, role ${s.state.server.role}\n${rollupTooltip(sessionHealth(s).connection(), 'streams, groups, consumers and list queues')}`);
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
          if (!(info instanceof Error)) {
            nodes.push(new StreamNode(this, info));
            if (info.groups === 0) sessionHealth(this.session).streamGone(k);
          } else if (/no such key/i.test(info.message) && !pinned.has(k)) gone.push(k);
          else nodes.push(new InfoNode(this, `${k}: ${/no such key/i.test(info.message) ? 'not there (pinned)' : info.message}`, undefined, 'warning'));
        });
        for (const k of gone) sessionHealth(this.session).streamGone(k);
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
    return isDeadLetterName(this.info.key);
  }
  item(): vscode.TreeItem {
    const i = this.info;
    const dlq = this.dlq;
    const t = item(this, oneLine(i.key), Collapsed, dlq ? 'archive' : 'symbol-event', `stream;${i.groups > 0 ? 'hasGroups' : 'noGroups'}${dlq ? ';dlq' : ''}`);
    const age = i.lastEntryAgeMs !== undefined ? ` · last ${formatDuration(i.lastEntryAgeMs)} ago` : '';
    const health = sessionHealth(this.session).stream(i.key);
    t.description = marked([health ? describeHealth(health) : ''], `${formatCount(i.length)} entries${age} · ${i.groups} group${i.groups === 1 ? '' : 's'}`);
    t.tooltip = [
      `Stream ${oneLine(i.key)}`,
      `length: ${formatCount(i.length)}`,
      `first id: ${i.firstEntryId ?? '—'}`,
      `last id: ${i.lastEntryId ?? '—'}${i.lastEntryAgeMs !== undefined ? ` (${formatDuration(i.lastEntryAgeMs)} ago)` : ''}`,
      `last generated id: ${i.lastGeneratedId}`,
      `consumer groups: ${i.groups}`,
      i.entriesAdded !== undefined ? `entries ever added: ${formatCount(i.entriesAdded)}` : '',
      i.groups > 0 ? rollupTooltip(health, 'its groups, consumers and pending pages') : '',
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
      const health = sessionHealth(this.session);
      const thresholds = this.parent.parent.parent.ctx.settings().thresholds;
      health.groupsDrawn(this.parent.key, groups.map((g) => ({ name: g.name, lagging: isLagging(g, thresholds) })));
      if (!groups.length) return [new InfoNode(this, 'No consumer groups')];
      const nodes: Node[] = [...groups].sort(byName).map((g) => new GroupNode(this, g, lagSupported));
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
    const lagUnknown = this.lagSupported && (g.lag === null || g.lag === undefined);
    const lag = !this.lagSupported ? '' : lagUnknown ? ' · lag unknown' : ` · lag ${formatCount(g.lag)}`;
    const oldest = g.oldestPendingAgeMs !== undefined ? ` · oldest ${formatDuration(g.oldestPendingAgeMs)}` : '';
    const under = sessionHealth(this.session).underGroup(this.stream, g.name);
    t.description = marked([under ? describeHealth(under) : '', lagging ? 'LAGGING' : ''], `${formatCount(g.pending)} pending${lag}${oldest} · ${g.consumers} consumer${g.consumers === 1 ? '' : 's'}`);
    t.tooltip = [
      `Group ${oneLine(g.name)} on ${oneLine(this.stream)}`,
      `pending: ${formatCount(g.pending)}`,
      this.lagSupported
        ? `lag: ${lagUnknown ? 'unknown: XINFO GROUPS reports lag as null when Redis cannot count the entries not yet delivered, after entries were deleted (XDEL) or trimmed inside the group\'s range, or after XGROUP SETID to an arbitrary id. It becomes known again once the group has read past them.' : `${formatCount(g.lag)} entries not yet delivered to the group (XINFO GROUPS lag)`}`
        : 'lag: unknown: XINFO GROUPS reports no lag before Redis 7.0',
      g.entriesRead !== undefined ? `entries read: ${g.entriesRead === null ? '?' : formatCount(g.entriesRead)}` : '',
      `last delivered id: ${g.lastDeliveredId}`,
      g.oldestPendingId ? `oldest pending: ${g.oldestPendingId} (age ${formatDuration(g.oldestPendingAgeMs)}, idle ${formatDuration(g.oldestPendingIdleMs)})` : 'no pending entries',
      `consumers: ${g.consumers}`,
      lagging ? `LAGGING: more than ${formatCount(this.parent.parent.parent.parent.ctx.settings().thresholds.lagWarning)} entries behind` : '',
      rollupTooltip(under, 'its consumers and their pending pages'),
    ].filter(Boolean).join('\n');
    return t;
  }
  async children(): Promise<Node[]> {
    try {
      const consumers = await this.session.run((insp) => insp.consumers(this.stream, this.group.name));
      const ctx = this.parent.parent.parent.parent.ctx;
      const thresholds = ctx.settings().thresholds;
      sessionHealth(this.session).consumersDrawn(this.stream, this.group.name, consumers.map((c) => ({ name: c.name, pending: c.pending, stuck: isStuck(c, thresholds) })));
      if (!consumers.length) return [new InfoNode(this, 'No consumers')];
      // XINFO CONSUMERS cannot be paged by the server; show them by name (an order that does not
      // change between refreshes), a page at a time. STUCK ones roll up into this group's row.
      const limit = ctx.limit(this, ctx.settings().pageSize);
      // Consumers holding entries first (among 10,000 idle ones they would hide on a later page),
      // each part by name: rows move only when a consumer starts or stops holding entries.
      const sorted = [...consumers].sort((a, b) => Number(b.pending > 0) - Number(a.pending > 0) || byName(a, b));
      const nodes: Node[] = sorted.slice(0, limit).map((c) => new ConsumerNode(this, c));
      if (sorted.length > limit) nodes.push(new LoadMoreNode(this, `Load more consumers… (${limit} of ${formatCount(sorted.length)} shown, holders first, by name)`));
      return nodes;
    } catch (e) {
      return [errorNode(this, this.session, e)];
    }
  }
}

export class ConsumerNode implements PendingHost {
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
  get pendingOf(): { stream: string; group: string } {
    return { stream: this.parent.stream, group: this.parent.group.name };
  }
  settings(): Settings {
    return this.ctx.settings();
  }
  item(): vscode.TreeItem {
    const c = this.consumer;
    const stuck = this.stuck;
    const t = item(this, oneLine(c.name), c.pending > 0 ? Collapsed : None, stuck ? bad('person') : 'person', `consumer;${c.pending > 0 ? 'hasPending' : 'noPending'}${stuck ? ';stuck' : ''}`);
    const poison = sessionHealth(this.session).poisonOf(this.parent.stream, this.parent.group.name, c.name);
    t.description = marked([stuck ? 'STUCK' : '', poison ? `${poison} poison` : ''], `${formatCount(c.pending)} pending · idle ${formatDuration(c.idle)}`);
    t.tooltip = [
      `Consumer ${oneLine(c.name)}`,
      `pending: ${formatCount(c.pending)}`,
      `idle: ${formatDuration(c.idle)} (since its last attempted read)`,
      c.inactive !== undefined ? `inactive: ${c.inactive < 0 ? 'never read successfully' : formatDuration(c.inactive)}` : '',
      stuck ? `STUCK: holds entries and idle for more than ${formatDuration(this.ctx.settings().thresholds.stuckIdleMs)}` : '',
      poison ? `POISON: ${poison} of its entries shown when its pending page was last drawn were delivered ${this.ctx.settings().thresholds.poisonDeliveries} times or more` : '',
    ].filter(Boolean).join('\n');
    return t;
  }
  async children(): Promise<Node[]> {
    const pageSize = this.ctx.settings().pageSize;
    const limit = this.ctx.limit(this, pageSize);
    try {
      const stream = this.parent.stream;
      const { page, bodies } = await this.session.run(async (insp) => {
        const page = await insp.pendingPage(stream, this.parent.group.name, { consumer: this.consumer.name, count: limit });
        // The bodies for the previews: the page's ids in one pipelined round trip.
        const bodies = page.entries.length ? await insp.entriesByIds(stream, page.entries.map((e) => e.id)).catch(() => undefined) : undefined;
        return { page, bodies };
      });
      const thresholds = this.ctx.settings().thresholds;
      sessionHealth(this.session).pendingDrawn(stream, this.parent.group.name, this.consumer.name, page.entries.filter((e) => isPoison(e, thresholds)).length);
      if (!page.entries.length) return [new InfoNode(this, 'No pending entries')];
      const nodes: Node[] = page.entries.map((e) => new PendingEntryNode(this, e, bodies ? (bodies.get(e.id) ?? null) : undefined));
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
    readonly parent: PendingHost,
    readonly entry: PendingEntry,
    /** The message (null: deleted or trimmed; undefined: not read). */
    readonly body?: StreamEntry | null,
  ) {
    this.id = childId(parent, entry.id);
  }
  get session(): Session {
    return this.parent.session;
  }
  get stream(): string {
    return this.parent.pendingOf.stream;
  }
  get group(): string {
    return this.parent.pendingOf.group;
  }
  item(): vscode.TreeItem {
    const e = this.entry;
    const poison = isPoison(e, this.parent.settings().thresholds);
    // The deepest row, under a long id: a POISON mark leads the label itself, or it would be cut.
    const t = item(this, poison ? `${MARK} POISON ${e.id}` : e.id, None, poison ? bad('flame') : 'mail', `pendingEntry${poison ? ';poison' : ''}`);
    const age = idTime(e.id);
    const preview = this.body === undefined ? '' : ` · ${previewRaw(this.body?.raw ?? null)}`;
    t.description = `idle ${formatDuration(e.idle)} · delivered ${e.deliveries}×${preview}`;
    t.tooltip = [
      `Pending entry ${e.id}`,
      `consumer: ${oneLine(e.consumer)}`,
      `idle: ${formatDuration(e.idle)}`,
      `deliveries: ${e.deliveries}`,
      Number.isNaN(age) ? '' : `created: ${new Date(age).toISOString()} (${formatDuration(Date.now() - age)} ago)`,
      poison ? `POISON: delivered ${e.deliveries} times (threshold ${this.parent.settings().thresholds.poisonDeliveries})` : '',
      this.body === undefined ? '' : `\n${previewRaw(this.body?.raw ?? null, 400)}`,
    ].filter(Boolean).join('\n');
    t.command = { command: 'redisQueues.entry.open', title: 'Open Entry', arguments: [this] };
    return t;
  }
}

export class EntriesFolderNode implements EntryHost {
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
  get streamKey(): string {
    return this.parent.key;
  }
  get dlq(): boolean {
    return this.parent.dlq;
  }
  /** The "go to time" state, when the folder shows the entries around a moment. */
  get window(): EntriesWindow | undefined {
    return this.ctx.entriesWindows.get(this.id);
  }
  item(): vscode.TreeItem {
    const w = this.window;
    const t = item(this, 'Entries', Collapsed, w ? 'history' : 'list-ordered', w ? 'entries;at' : 'entries');
    t.description = w ? `around ${localTime(w.atMs)} · newest first` : 'newest first';
    if (w) t.tooltip = `Entries around ${localTime(w.atMs)} (local; "${w.text}"), newest first: newer ones above the moment, older ones below. "Back to Newest" shows the newest entries again.`;
    return t;
  }
  async children(): Promise<Node[]> {
    const w = this.window;
    if (w) return this.around(w);
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
  /**
   * Go to time: newest first like the default listing, the moment in the middle. "Newer…" on top
   * pages towards now, "Older…" at the bottom pages back; each grows its side by a page (two
   * bounded reads: XRANGE from the moment, XREVRANGE before it).
   */
  private async around(w: EntriesWindow): Promise<Node[]> {
    const action = (name: string, label: string, description: string, icon: string, command: string) => new ActionNode(this, name, label, description, icon, { command, title: label, arguments: [this] });
    try {
      const at = idForTime(w.atMs);
      const [older, newer] = await this.session.run((insp) => Promise.all([insp.entriesPage(this.parent.key, { before: at, count: w.older }), insp.entriesAfter(this.parent.key, { from: at, count: w.newer })]));
      const nodes: Node[] = [action('newest', 'Back to Newest', 'the newest entries, as before', 'arrow-up', 'redisQueues.entries.backToNewest')];
      if (newer.next) nodes.push(action('newer', 'Newer…', `${formatCount(newer.entries.length)} shown after ${localTime(w.atMs)}; show more towards now`, 'chevron-up', 'redisQueues.entries.newer'));
      nodes.push(...[...newer.entries].reverse().map((e) => new EntryNode(this, e)));
      const none = !older.entries.length && !newer.entries.length;
      nodes.push(
        new InfoNode(
          this,
          `${none ? 'No entries around' : '\u2500\u2500'} ${localTime(w.atMs)}${none ? '' : ' \u2500\u2500'}`,
          `The moment you went to ("${w.text}", local time). Newer entries are above this row, older ones below.`,
          'history',
        ),
      );
      nodes.push(...older.entries.map((e) => new EntryNode(this, e)));
      if (older.next) nodes.push(action('older', 'Older…', `${formatCount(older.entries.length)} shown before ${localTime(w.atMs)}; show more, further back`, 'chevron-down', 'redisQueues.entries.older'));
      return nodes;
    } catch (e) {
      return [errorNode(this, this.session, e)];
    }
  }
}

export class EntryNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: EntryHost,
    readonly entry: StreamEntry,
  ) {
    this.id = childId(parent, entry.id);
  }
  get session(): Session {
    return this.parent.session;
  }
  get stream(): string {
    return this.parent.streamKey;
  }
  item(): vscode.TreeItem {
    const dlq = this.parent.dlq;
    const t = item(this, this.entry.id, None, 'mail-read', `streamEntry${dlq ? ';dlq' : ''}`);
    if (dlq && this.deadLetter(t)) return t;
    t.description = previewRaw(this.entry.raw);
    const age = idTime(this.entry.id);
    t.tooltip = `${this.entry.id}${Number.isNaN(age) ? '' : `\n${new Date(age).toISOString()}`}\n${previewRaw(this.entry.raw, 400)}`;
    t.command = { command: 'redisQueues.entry.open', title: 'Open Entry', arguments: [this] };
    return t;
  }
  /**
   * A dead-letter record (x-dlq header, or the older appended x-dlq-* fields) leads with why and
   * where from: "<error> · from <origin> (<id>) · 5× · <local time>". False when it is not one.
   */
  private deadLetter(t: vscode.TreeItem): boolean {
    const d = splitDeadLetter(this.entry);
    if (d.origin === undefined && d.error === undefined && d.at === undefined) return false;
    const at = d.at !== undefined && Number.isFinite(d.at) ? d.at : undefined;
    const error = d.error !== undefined && d.error !== '' ? oneLine(d.error) : 'no error recorded';
    t.iconPath = warn('mail-read');
    t.description = [
      error.length > 120 ? `${error.slice(0, 119)}…` : error,
      d.origin !== undefined ? `from ${oneLine(d.origin)}${d.originalId ? ` (${d.originalId})` : ''}` : '',
      d.deliveries !== undefined && Number.isFinite(d.deliveries) ? `${d.deliveries}×` : '',
      at !== undefined ? localTime(at) : '',
    ].filter(Boolean).join(' · ');
    t.tooltip = [
      `Dead letter ${this.entry.id} in ${oneLine(this.stream)}`,
      `error: ${error}`,
      d.origin !== undefined ? `from: stream ${oneLine(d.origin)}${d.group ? `, group ${oneLine(d.group)}` : ''}${d.consumer ? `, consumer ${oneLine(d.consumer)}` : ''}` : '',
      d.originalId ? `original id: ${d.originalId}` : '',
      d.deliveries !== undefined ? `deliveries before dead-lettering: ${d.deliveries}` : '',
      at !== undefined ? `dead-lettered: ${localTime(at)} local, ${new Date(at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')} UTC (${formatDuration(Date.now() - at)} ago)` : '',
      d.replayCount ? `replayed before: ${d.replayCount}×${d.replayOf ? ` (last as ${d.replayOf})` : ''}` : '',
    ]
      .filter(Boolean)
      .join('\n')
      .concat(`\n\n${d.hasBody ? `message: ${previewRaw(d.body, 400)}` : 'message: none (the entry was gone when it was dead-lettered)'}`);
    t.command = { command: 'redisQueues.entry.open', title: 'Open Entry', arguments: [this] };
    return true;
  }
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
