// The explorer's stream rows: connection → Streams → stream → Groups → group → consumer → pending
// entries, and a stream's Entries; the pending-entry and entry rows themselves are messageNodes.ts
// (re-exported here for the commands). What every expandable row shares (errors, empty and "Load more"
// rows, reaching the session and settings) is ExplorerNode (explorerNode.ts); the STUCK / POISON /
// LAGGING roll-ups are health.ts; discovery and "Scan more" are discoveryNodes.ts; list queues
// are listQueueNodes.ts; the small rows (info, error, action, load more) are node.ts.
import * as vscode from 'vscode';
import {
  type ConsumerInfo,
  describeHealth,
  type GroupSummary,
  type StreamSummary,
  formatCount,
  formatDuration,
  idForTime,
  idTime,
  eventsLogOwner,
  isDeadLetterName,
  isLagging,
  isPoison,
  isStuck,
  oneLine,
} from '../../core/internal';
import type { Session } from '../connections/session';
import type { Settings } from '../settings';
import { ScanMoreNode, knownKeys } from './discoveryNodes';
import { type ChildPage, type EntriesWindow, ExplorerNode, type TreeContext } from './explorerNode';
import { marked, rollupTooltip, sessionHealth } from './health';
import { checkShownStreams } from './healthCheck';
import { presentFrameworks } from '../../core/frameworks/readers';
import { BullFolderNode, bull3QueuesOfSession, bullEventsStreams, bullQueuesOfSession, newBullCandidates } from './bullmqNodes';
import { FrameworkFolderNode, sessionPrefixes } from './frameworkNodes';
import { CELERY_DEFAULT_QUEUES } from '../../core/frameworks/celery';
import { lagTrend, watchShownStreams } from './trends';
import { ListQueuesFolderNode } from './listQueueNodes';
import { type EntryHost, EntryNode, type PendingHost, PendingEntryNode, None, bad, item, warn } from './messageNodes';
import { type Node, ActionNode, ErrorNode, InfoNode, childId } from './node';
import { localTime, timeTip } from '../times';
import { isNoSuchKey } from '../../core/redis/errors';

export { localTime };
export { type EntryHost, EntryNode, type PendingHost, PendingEntryNode } from './messageNodes';

const Collapsed = vscode.TreeItemCollapsibleState.Collapsed;

const collator = new Intl.Collator('en', { numeric: true });
/** A stable order by name (natural: worker-2 before worker-10), the same on every refresh. */
export function byName(a: { name: string }, b: { name: string }): number {
  return collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** "2024-05-01 14:00:05", local time. */
/**
 * A connection: the root of its subtree, holding the session and the tree context every node
 * below reaches. Drawing the row never connects; expanding it (or a command on it) does.
 */
export class ConnectionNode extends ExplorerNode {
  readonly id: string;
  readonly parent = undefined;
  constructor(
    private readonly connection: Session,
    private readonly context: TreeContext,
  ) {
    super();
    this.id = childId(undefined, 'conn', connection.name);
  }
  override get session(): Session {
    return this.connection;
  }
  override get ctx(): TreeContext {
    return this.context;
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
          t.description = !s.everConnected ? 'cannot connect… retrying' : code === 'UNAVAILABLE' ? 'failing over… reconnecting' : 'connection lost… reconnecting';
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
    if (s.state.kind === 'idle') md.appendText('\nnot connected yet: expand the row to connect');
    if (s.state.kind === 'error') md.appendText(`\n${s.state.error.message}`);
    if (s.state.kind === 'connected') md.appendText(`\nRedis ${s.state.server.version}, role ${s.state.server.role}\n${rollupTooltip(sessionHealth(s).connection(), `${sessionHealth(s).checked.size} stream(s) checked in the background, list queues as drawn`)}`);
    t.tooltip = md;
    return t;
  }

  protected async computeChildren(): Promise<Node[]> {
    const s = this.session;
    if (s.state.kind === 'restricted') {
      return [new ErrorNode(this, 'Workspace not trusted: not connected automatically', { command: 'redisQueues.connection.connectAnyway', title: 'Connect anyway', arguments: [s.name] })];
    }
    // Expanding the row is what connects (drawing it does not).
    const insp = await s.inspector();
    // The frameworks, each in its own folder, found without a walk: BullMQ among the streams
    // discovery found so far, Bull 3/4 among the lists the list-queue walk met (each looked at
    // once per session), the others by their registry keys.
    const none = { queues: [], failed: 0 };
    const [bull, bull3, frameworks] = await Promise.all([
      bullQueuesOfSession(s, insp.client, this.ctx.known.get(s.name).streams.keys).catch(() => none),
      bull3QueuesOfSession(s, insp.client, this.ctx.known.get(s.name).listQueues.scan?.queueLists ?? []).catch(() => none),
      presentFrameworks(insp.client, sessionPrefixes(s, this.ctx.settings().frameworkPrefixes, CELERY_DEFAULT_QUEUES, this.ctx.known.get(s.name).listQueues.scan?.celeryQueues)).catch(() => []),
    ]);
    return [
      new StreamsFolderNode(this),
      new ListQueuesFolderNode(this),
      ...(bull.queues.length ? [new BullFolderNode(this, bull.queues, bull.failed)] : []),
      ...(bull3.queues.length ? [new BullFolderNode(this, bull3.queues, bull3.failed, true)] : []),
      ...frameworks.map((f) => new FrameworkFolderNode(this, f.entry.reader, f.prefix, f.entry.defaultPrefix)),
    ];
  }
}

export class StreamsFolderNode extends ExplorerNode {
  readonly id: string;
  constructor(readonly parent: ConnectionNode) {
    super();
    this.id = childId(parent, 'streams');
  }
  item(): vscode.TreeItem {
    const t = item(this, 'Streams', Collapsed, 'list-flat', 'streams');
    const filter = this.ctx.settings().streamFilter;
    if (filter !== '*') t.description = `filter: ${filter}`;
    return t;
  }
  protected async computeChildren(): Promise<ChildPage> {
    const ctx = this.ctx;
    const settings = ctx.settings();
    const limit = ctx.limit(this, settings.scanPageSize);
    return this.session.run(async (insp) => {
      const { keys, scan, pinned } = await knownKeys(
        this.session,
        ctx,
        'streams',
        settings.streamFilter,
        // A small keyspace is walked whole; a large one until a page of streams is found.
        (state, small) => insp.discover('streams', state, { match: settings.streamFilter, maxMs: settings.discovery.budgetMs, maxCalls: settings.discovery.maxScanCalls, maxFound: small ? Infinity : limit }),
        () => insp.keyspaceSize(),
      );
      // A BullMQ queue's events stream found by this walk: the connection row gets its BullMQ folder.
      if (newBullCandidates(this.session, keys)) void ctx.refresh(this.parent);
      const shown = keys.slice(0, limit);
      const infos = shown.length ? await insp.streams(shown) : [];
      const nodes: Node[] = [];
      const gone: string[] = [];
      // The workers' events streams (`<queue>:events`, beside a queue shown or known) are marked as such.
      const known = new Set([...keys, ...ctx.known.get(this.session.name).listQueues.keys, ...ctx.listQueueNames()]);
      shown.forEach((k, i) => {
        const info = infos[i]!;
        if (!(info instanceof Error)) nodes.push(new StreamNode(this, info, bullEventsStreams(this.session).get(info.key) ?? eventsLogOwner(info.key, info.groups, (n) => known.has(n))));
        else if (isNoSuchKey(info) && !pinned.has(k)) gone.push(k);
        else nodes.push(new InfoNode(this, `${k}: ${isNoSuchKey(info) ? 'not there (pinned)' : info.message}`, undefined, 'warning'));
      });
      for (const k of gone) sessionHealth(this.session).streamGone(k);
      // The marks of the streams shown come from a budgeted check in the background, not from
      // what happens to be expanded.
      void checkShownStreams(this.session, settings.thresholds, nodes.filter((n) => n instanceof StreamNode).map((n) => n.key));
      // Their figures over time: sampled in the background for the trends beside their groups' lag.
      watchShownStreams(this.session, nodes.filter((n) => n instanceof StreamNode).map((n) => n.key), { ...settings.trends, storageDir: ctx.storageDir });
      if (gone.length) {
        ctx.known.remove(this.session.name, 'streams', gone);
        void ctx.known.save(this.session.name);
      }
      return {
        nodes,
        more: keys.length > limit ? `Load more streams… (${shown.length} of ${keys.length} shown)` : undefined,
        empty: scan.done ? (settings.streamFilter === '*' ? 'No streams' : `No streams match "${settings.streamFilter}"`) : 'No streams found yet',
        after: scan.done ? [] : [new ScanMoreNode(this, 'streams', await insp.discoveryProgress(scan.state))],
      };
    });
  }
}

export class StreamNode extends ExplorerNode {
  readonly id: string;
  constructor(
    readonly parent: StreamsFolderNode,
    readonly info: StreamSummary,
    /** The queue whose workers' events this stream holds (`<queue>:events`), if it is one. */
    readonly eventsOf?: string,
  ) {
    super();
    this.id = childId(parent, info.key);
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
    // The event icon in the plain icon colour: its theme colour (orange) read as a warning on every stream.
    const events = this.eventsOf;
    const icon = dlq ? 'archive' : new vscode.ThemeIcon(events !== undefined ? 'history' : 'symbol-event', new vscode.ThemeColor('icon.foreground'));
    const t = item(this, oneLine(i.key), Collapsed, icon, `stream;${i.groups > 0 ? 'hasGroups' : 'noGroups'}${dlq ? ';dlq' : ''}${events !== undefined ? ';events' : ''}`);
    const age = i.lastEntryAgeMs !== undefined ? ` · last ${formatDuration(i.lastEntryAgeMs)} ago` : '';
    const health = sessionHealth(this.session).stream(i.key);
    const figures = `${formatCount(i.length)} ${i.length === 1 ? 'entry' : 'entries'}${age}`;
    t.description = events !== undefined ? `events of ${oneLine(events)} · ${figures}` : marked([health ? describeHealth(health) : ''], `${figures} · ${i.groups} group${i.groups === 1 ? '' : 's'}`);
    t.tooltip = [
      events === undefined
        ? ''
        : events.startsWith('BullMQ queue ')
          ? `Events of ${oneLine(events)}: what BullMQ recorded for its jobs (added, waiting, active, progress, completed, failed, delayed…). Not a queue: nothing consumes it.`
          : `Events of ${oneLine(events)}: what its workers did to each message (delivered, failed, retried, claimed, acked, dead-lettered), written by their events option and read by Show Journey. Not a queue: nothing consumes it.`,
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
  protected async computeChildren(): Promise<Node[]> {
    return [new GroupsFolderNode(this), new EntriesFolderNode(this)];
  }
}

export class GroupsFolderNode extends ExplorerNode {
  readonly id: string;
  constructor(readonly parent: StreamNode) {
    super();
    this.id = childId(parent, 'groups');
  }
  item(): vscode.TreeItem {
    // (No count: the stream's row above says how many groups.)
    return item(this, 'Groups', Collapsed, 'organization', 'groups');
  }
  protected async computeChildren(): Promise<ChildPage> {
    const { groups, lagSupported } = await this.session.run(async (insp) => ({ groups: await insp.groups(this.parent.key), lagSupported: (await insp.caps()).lag }));
    const thresholds = this.ctx.settings().thresholds;
    sessionHealth(this.session).groupsDrawn(this.parent.key, groups.map((g) => ({ name: g.name, lagging: isLagging(g, thresholds) })));
    return {
      nodes: [...groups].sort(byName).map((g) => new GroupNode(this, g, lagSupported)),
      empty: 'No consumer groups',
      after: groups.length && !lagSupported ? [new InfoNode(this, 'Lag needs Redis 7.0 or later', 'XINFO GROUPS reports lag and entries-read from Redis 7.0.')] : [],
    };
  }
}

export class GroupNode extends ExplorerNode {
  readonly id: string;
  constructor(
    readonly parent: GroupsFolderNode,
    readonly group: GroupSummary,
    private readonly lagSupported: boolean,
  ) {
    super();
    this.id = childId(parent, group.name);
  }
  get stream(): string {
    return this.parent.parent.key;
  }
  get lagging(): boolean {
    return isLagging(this.group, this.ctx.settings().thresholds);
  }
  item(): vscode.TreeItem {
    const g = this.group;
    const lagging = this.lagging;
    const t = item(this, oneLine(g.name), Collapsed, lagging ? warn('warning') : 'organization', `group;${g.pending > 0 ? 'hasPending' : 'noPending'}${lagging ? ';lagging' : ''}`);
    const lagUnknown = this.lagSupported && (g.lag === null || g.lag === undefined);
    const trend = lagUnknown || !this.lagSupported ? undefined : lagTrend(this.session, this.stream, g.name);
    const lag = !this.lagSupported ? '' : lagUnknown ? ' · lag unknown' : ` · lag ${formatCount(g.lag)}${trend?.arrow ? ` ${trend.arrow}` : ''}`;
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
      lagging ? `LAGGING: more than ${formatCount(this.ctx.settings().thresholds.lagWarning)} entries behind` : '',
      trend?.tooltip ?? '',
      rollupTooltip(under, 'its consumers and their pending pages'),
    ].filter(Boolean).join('\n');
    return t;
  }
  protected async computeChildren(): Promise<ChildPage> {
    const consumers = await this.session.run((insp) => insp.consumers(this.stream, this.group.name));
    const settings = this.ctx.settings();
    sessionHealth(this.session).consumersDrawn(this.stream, this.group.name, consumers.map((c) => ({ name: c.name, pending: c.pending, stuck: isStuck(c, settings.thresholds) })));
    // XINFO CONSUMERS cannot be paged by the server; show them by name (an order that does not
    // change between refreshes, so rows never move under the pointer), a page at a time. STUCK
    // ones roll up into this group's row.
    const limit = this.ctx.limit(this, settings.pageSize);
    const sorted = [...consumers].sort(byName);
    return {
      nodes: sorted.slice(0, limit).map((c) => new ConsumerNode(this, c)),
      more: sorted.length > limit ? `Load more consumers… (${limit} of ${formatCount(sorted.length)} shown, by name)` : undefined,
      empty: 'No consumers',
    };
  }
}

export class ConsumerNode extends ExplorerNode implements PendingHost {
  readonly id: string;
  constructor(
    readonly parent: GroupNode,
    readonly consumer: ConsumerInfo,
  ) {
    super();
    this.id = childId(parent, consumer.name);
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
      poison ? `POISON: at least ${poison} of its entries were delivered ${this.ctx.settings().thresholds.poisonDeliveries} times or more (among the group's oldest pending entries and its page as drawn)` : '',
    ].filter(Boolean).join('\n');
    return t;
  }
  protected async computeChildren(): Promise<ChildPage> {
    const settings = this.ctx.settings();
    const limit = this.ctx.limit(this, settings.pageSize);
    const stream = this.parent.stream;
    const { page, bodies } = await this.session.run(async (insp) => {
      const page = await insp.pendingPage(stream, this.parent.group.name, { consumer: this.consumer.name, count: limit });
      // The bodies for the previews: the page's ids in one pipelined round trip.
      const bodies = page.entries.length ? await insp.entriesByIds(stream, page.entries.map((e) => e.id)).catch(() => undefined) : undefined;
      return { page, bodies };
    });
    sessionHealth(this.session).pendingDrawn(
      stream,
      this.parent.group.name,
      this.consumer.name,
      page.entries.filter((e) => isPoison(e, settings.thresholds)).map((e) => e.id),
      page.next && page.entries.length ? page.entries.at(-1)!.id : undefined,
    );
    return {
      nodes: page.entries.map((e) => new PendingEntryNode(this, e, bodies ? (bodies.get(e.id) ?? null) : undefined)),
      more: page.next && page.entries.length ? `Load more pending… (${page.entries.length} shown)` : undefined,
      empty: 'No pending entries',
    };
  }
}

export class EntriesFolderNode extends ExplorerNode implements EntryHost {
  readonly id: string;
  constructor(readonly parent: StreamNode) {
    super();
    this.id = childId(parent, 'entries');
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
  protected async computeChildren(): Promise<Node[] | ChildPage> {
    const w = this.window;
    if (w) return this.around(w);
    const limit = this.ctx.limit(this, this.ctx.settings().pageSize);
    const page = await this.session.run((insp) => insp.entriesPage(this.parent.key, { count: limit }));
    return {
      nodes: page.entries.map((e) => new EntryNode(this, e)),
      more: page.next && page.entries.length ? `Load more entries… (${page.entries.length} shown)` : undefined,
      empty: 'No entries',
    };
  }
  /**
   * Go to time: newest first like the default listing, the moment's row near the top (a few newer
   * entries above it, a page of older ones below), saying how far the nearest entries on either
   * side are from it. "Newer…" on top pages towards now, "Older…" at the bottom pages back; each
   * grows its side by a page (two bounded reads: XRANGE from the moment, XREVRANGE before it).
   */
  private async around(w: EntriesWindow): Promise<Node[]> {
    const action = (name: string, label: string, description: string, icon: string, command: string) => new ActionNode(this, name, label, description, icon, { command, title: label, arguments: [this] });
    const at = idForTime(w.atMs);
    // One entry more than shown on each side: "Newer…" / "Older…" only when there is more.
    const [olderPage, newerPage] = await this.session.run((insp) => Promise.all([insp.entriesPage(this.parent.key, { before: at, count: w.older + 1 }), insp.entriesAfter(this.parent.key, { from: at, count: w.newer + 1 })]));
    const older = { entries: olderPage.entries.slice(0, w.older), next: olderPage.entries.length > w.older };
    const newer = { entries: newerPage.entries.slice(0, w.newer), next: newerPage.entries.length > w.newer };
    const nodes: Node[] = [action('newest', 'Back to Newest', 'the newest entries, as before', 'arrow-up', 'redisQueues.entries.backToNewest')];
    if (newer.next) nodes.push(action('newer', 'Newer…', `${formatCount(newer.entries.length)} shown after ${localTime(w.atMs)}; show more towards now`, 'chevron-up', 'redisQueues.entries.newer'));
    nodes.push(...[...newer.entries].reverse().map((e) => new EntryNode(this, e)));
    nodes.push(new MomentNode(this, w, newer.entries[0]?.id, older.entries[0]?.id));
    nodes.push(...older.entries.map((e) => new EntryNode(this, e)));
    if (older.next) nodes.push(action('older', 'Older…', `${formatCount(older.entries.length)} shown before ${localTime(w.atMs)}; show more, further back`, 'chevron-down', 'redisQueues.entries.older'));
    return nodes;
  }
}

/**
 * The moment Go to Time went to, between the newer entries (above) and the older ones (below):
 * "── 01:08:00 ──", with how far the nearest entry on each side is ("next 43m 51s later ·
 * previous 2s earlier"), so a gap in the stream is said, not left to be noticed.
 */
export class MomentNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: EntriesFolderNode,
    private readonly w: EntriesWindow,
    /** The nearest entry at or after the moment, and the nearest before it. */
    private readonly next: string | undefined,
    private readonly previous: string | undefined,
  ) {
    this.id = childId(parent, '~moment');
  }
  item(): vscode.TreeItem {
    const at = this.w.atMs;
    const none = this.next === undefined && this.previous === undefined;
    const t = new vscode.TreeItem(`${none ? 'No entries around' : '\u2500\u2500'} ${localTime(at)}${none ? '' : ' \u2500\u2500'}`, vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.iconPath = new vscode.ThemeIcon('history');
    t.contextValue = 'info';
    const nextMs = this.next !== undefined ? idTime(this.next) : undefined;
    const prevMs = this.previous !== undefined ? idTime(this.previous) : undefined;
    if (!none) t.description = [nextMs !== undefined ? `next ${formatDuration(nextMs - at)} later` : 'nothing later', prevMs !== undefined ? `previous ${formatDuration(at - prevMs)} earlier` : 'nothing earlier'].join(' · ');
    t.tooltip = [
      `The moment you went to ("${this.w.text}"): ${timeTip(at)}.`,
      nextMs !== undefined ? `Nearest entry at or after it: ${this.next}, ${timeTip(nextMs)}${nextMs > at ? `: no entries in the ${formatDuration(nextMs - at)} between` : ''}.` : 'No entry at or after it.',
      prevMs !== undefined ? `Nearest entry before it: ${this.previous}, ${timeTip(prevMs)}.` : 'No entry before it.',
      'Newer entries are above this row, older ones below (newest first, as everywhere in the tree).',
    ].join('\n');
    return t;
  }
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
