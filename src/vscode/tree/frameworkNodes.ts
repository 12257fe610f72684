// The queue frameworks read from their key layouts (RQ, Sidekiq: core frameworks/framework.ts),
// in one set of rows: connection → <framework> → row (a queue, or a set the framework keeps for
// all queues) → state → jobs; a row with one state lists its jobs directly. Words are the
// framework's own (RQ's `failed`, Sidekiq's `Retries`). Found by the connection row from the
// framework's registry keys (one EXISTS round trip, no walk); a folder reads its deployment only
// when expanded, so drawing or refreshing the connection row costs nothing more.
import * as vscode from 'vscode';
import { formatCount, formatDuration, oneLine } from '../../core/internal';
import type { FrameworkReader, FwDeployment, FwJob, FwRow, FwState, StateTone } from '../../core/frameworks/framework';
import type { Session } from '../connections/session';
import { timeTip } from '../times';
import { frameworkTrend, watchShownFramework } from './trends';
import { type ChildPage, ExplorerNode } from './explorerNode';
import { type Node, InfoNode, childId } from './node';

const TONE_ICON: Record<StateTone, string> = { waiting: 'watch', running: 'sync', later: 'clock', done: 'pass', failed: 'error', dead: 'circle-slash' };
/** The order a row's figures are read in at the side bar's width: trouble first. */
const TONE_RANK: Record<StateTone, number> = { dead: 0, failed: 1, waiting: 2, running: 3, later: 4, done: 5 };
const bad = (t: StateTone) => t === 'failed' || t === 'dead';
/** The states whose counts over time a row shows (an arrow beside the figure when they moved). */
const TRENDED: ReadonlySet<StateTone> = new Set(['failed', 'dead', 'waiting']);
const clip = (t: string, n: number) => (t.length > n ? `${t.slice(0, n - 1)}…` : t);
const plural = (n: number, one: string) => `${formatCount(n)} ${one}${n === 1 ? '' : 's'}`;

/**
 * Celery keeps no list of its queues that can be read without a walk: the reader finds the
 * configured ones and those named by unacknowledged tasks. The queues it found are remembered per
 * session, so that a queue stays shown once its tasks were requeued or acknowledged.
 */
const celeryQueuesSeen = new WeakMap<Session, Set<string>>();

/**
 * Celery queues the list walk found holding waiting messages (discovery's `celeryQueues`): seen
 * from now on. True when one of them is new (the connection row then looks for Celery again).
 */
export function noteCeleryQueues(session: Session, queues: readonly string[]): boolean {
  let seen = celeryQueuesSeen.get(session);
  if (!seen) celeryQueuesSeen.set(session, (seen = new Set()));
  const before = seen.size;
  for (const q of queues) seen.add(q);
  return seen.size > before;
}

/**
 * The prefixes to look under: the setting's (or each framework's default), Celery's with the
 * queues seen this session and those the list walk found (`walked`, remembered across restarts).
 */
export function sessionPrefixes(session: Session, configured: Partial<Record<'rq' | 'sidekiq' | 'celery', string[]>>, celeryDefault: string, walked: readonly string[] = []): Partial<Record<'rq' | 'sidekiq' | 'celery', string[]>> {
  if (walked.length) noteCeleryQueues(session, walked);
  const seen = celeryQueuesSeen.get(session);
  if (!seen?.size) return configured;
  const listed = (configured.celery ?? [celeryDefault]).flatMap((p) => p.split(','));
  return { ...configured, celery: [[...new Set([...listed, ...seen])].join(',')] };
}

/** A framework's folder on a connection row (one per prefix found): reads the deployment when expanded. */
export class FrameworkFolderNode extends ExplorerNode {
  readonly id: string;
  constructor(
    readonly parent: ExplorerNode,
    readonly reader: FrameworkReader,
    readonly prefix: string,
    /** The prefix the framework uses by default: others are named on the folder. */
    readonly defaultPrefix: string,
  ) {
    super();
    // Celery has one folder whose queue list grows with the queues seen (see sessionPrefixes): its id stays.
    this.id = reader.framework === 'celery' ? childId(parent, 'fw:celery') : childId(parent, `fw:${reader.framework}`, prefix);
  }
  item(): vscode.TreeItem {
    const t = new vscode.TreeItem(this.reader.label, vscode.TreeItemCollapsibleState.Collapsed);
    t.id = this.id;
    t.iconPath = new vscode.ThemeIcon('server-process');
    t.contextValue = `fwFolder;${this.reader.framework}`;
    if (this.reader.framework === 'celery') {
      t.tooltip = `Celery queues (Redis broker): ${oneLine(this.prefix.split(',').join(', '))}, and those named by unacknowledged tasks; read from kombu's keys as Celery reports them. Other queues: the setting redisQueues.frameworks.prefixes.celery. Expand to read them.`;
    } else {
      if (this.prefix !== this.defaultPrefix) t.description = `prefix ${oneLine(this.prefix) || '(none)'}`;
      t.tooltip = `${this.reader.label} queues${this.prefix !== this.defaultPrefix ? ` under the prefix "${oneLine(this.prefix)}"` : ''}, found by the keys ${this.reader.label} keeps of its queues; read from its keys as ${this.reader.label} reports them. Expand to read them.`;
    }
    return t;
  }
  protected async computeChildren(): Promise<ChildPage> {
    const d = await this.session.run((insp) => this.reader.read(insp.client, this.prefix));
    if (!d) return { nodes: [], empty: `No ${this.reader.label} queues any more` };
    // Their counts over time: sampled in the background for the trends beside the figures (a growing Retries set).
    watchShownFramework(this.session, { framework: d.framework, prefix: this.prefix }, { ...this.ctx.settings().trends, storageDir: this.ctx.storageDir });
    if (d.framework === 'celery') {
      let seen = celeryQueuesSeen.get(this.session);
      if (!seen) celeryQueuesSeen.set(this.session, (seen = new Set()));
      for (const r of d.rows) if (r.kind === 'queue') seen.add(r.name);
    }
    const text = d.figures.map(([k, v]) => `${k} ${v}`);
    const figures = d.figures.length ? [new InfoNode(this, text.join(' · '), `${d.label}, as it counts itself:\n${text.join('\n')}`, 'graph')] : [];
    return { nodes: [...figures, ...d.rows.map((r) => new FrameworkRowNode(this, d, r))], empty: `No ${d.label} queues` };
  }
}

/** A queue (or a framework-wide set: Retries, Dead, Busy) with its counts and marks. */
export class FrameworkRowNode extends ExplorerNode {
  readonly id: string;
  constructor(
    readonly parent: FrameworkFolderNode,
    readonly deployment: FwDeployment,
    readonly row: FwRow,
  ) {
    super();
    this.id = childId(parent, row.kind, row.key);
  }
  /** Marks the explorer adds: the longest-running job past the stuck threshold. */
  private stuck(now: number): number | undefined {
    const at = this.row.oldestRunningAt;
    return at !== undefined && now - at > this.ctx.settings().thresholds.stuckIdleMs ? now - at : undefined;
  }
  item(): vscode.TreeItem {
    const r = this.row;
    const now = Date.now();
    const stuck = this.stuck(now);
    const marks = [...r.marks.map((m) => `\u26a0 ${m}`), stuck !== undefined ? '\u26a0 STUCK' : ''].filter(Boolean);
    // A failed job anywhere (a queue's failed registry, Sidekiq's Retries or Dead) colours the row.
    const troubled = marks.length > 0 || r.states.some((s) => bad(s.tone) && s.count > 0);
    const t = new vscode.TreeItem(oneLine(r.name), vscode.TreeItemCollapsibleState.Collapsed);
    t.id = this.id;
    t.iconPath = new vscode.ThemeIcon(r.kind === 'queue' ? 'layers' : TONE_ICON[r.states[0]?.tone ?? 'waiting'], troubled ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined);
    t.contextValue = `fwRow;${r.framework};${r.kind};${r.states.map((s) => s.state).join(',')}`;
    // Over time (once the background sampler read the row three times): where failed, dead or waiting jobs pile up, or drain.
    const trends = new Map(r.states.filter((s) => TRENDED.has(s.tone)).map((s) => [s.state, frameworkTrend(this.session, r.framework, r.key, s)]));
    const figures = [...r.states]
      .sort((a, b) => TONE_RANK[a.tone] - TONE_RANK[b.tone])
      // A state a mark already names (RQ's ABANDONED) is not said twice.
      .filter((s) => (s.count > 0 || s.tone === 'waiting' || r.states.length === 1) && !r.marks.some((m) => m.endsWith(` ${s.label.toUpperCase()}`)))
      .map((s) => {
        const arrow = trends.get(s.state)?.arrow;
        return `${formatCount(s.count)} ${r.states.length === 1 && r.kind === 'set' ? (s.count === 1 ? 'job' : 'jobs') : s.label.toLowerCase()}${arrow ? ` ${arrow}` : ''}${s.tone === 'waiting' && s.count && r.oldestWaitingAt !== undefined ? ` (oldest ${formatDuration(Math.max(0, now - r.oldestWaitingAt))})` : ''}`;
      });
    t.description = [...marks, ...figures].join(' · ');
    t.tooltip = [
      `${this.deployment.label} ${r.kind === 'queue' ? `queue ${oneLine(r.name)}` : oneLine(r.name)} (${oneLine(r.key)})`,
      ...r.states.map((s) => `${s.label}: ${formatCount(s.count)}`),
      stuck !== undefined ? `STUCK: the longest-running job has run for ${formatDuration(stuck)} (more than ${formatDuration(this.ctx.settings().thresholds.stuckIdleMs)})` : '',
      r.oldestWaitingAt !== undefined ? `the job that runs next was enqueued ${formatDuration(Math.max(0, now - r.oldestWaitingAt))} ago` : '',
      ...[...trends.values()].map((x) => x?.tooltip ?? ''),
      ...r.notes,
    ]
      .filter(Boolean)
      .join('\n');
    return t;
  }
  protected async computeChildren(): Promise<Node[] | ChildPage> {
    if (this.row.states.length === 1) return jobPage(this, this.row, this.row.states[0]!);
    return this.row.states.map((s) => new FrameworkStateNode(this, s));
  }
}

/** One state of a queue (RQ's failed registry of `default`), its jobs as children. */
export class FrameworkStateNode extends ExplorerNode {
  readonly id: string;
  constructor(
    readonly parent: FrameworkRowNode,
    readonly state: FwState,
  ) {
    super();
    this.id = childId(parent, state.state);
  }
  item(): vscode.TreeItem {
    const s = this.state;
    const t = new vscode.TreeItem(s.label, s.count > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.iconPath = new vscode.ThemeIcon(TONE_ICON[s.tone], bad(s.tone) && s.count ? new vscode.ThemeColor('errorForeground') : undefined);
    const trend = TRENDED.has(s.tone) ? frameworkTrend(this.parent.session, this.parent.row.framework, this.parent.row.key, s) : undefined;
    t.description = `${formatCount(s.count)}${trend?.arrow ? ` ${trend.arrow}` : ''}${s.count > 1 ? ` · ${s.order}` : ''}`;
    if (trend) t.tooltip = trend.tooltip;
    t.contextValue = `fwState;${this.parent.row.framework};${s.state}`;
    return t;
  }
  protected async computeChildren(): Promise<ChildPage> {
    return jobPage(this, this.parent.row, this.state);
  }
}

/** A page of a state's jobs under `node` (the state row, or a one-state row itself). */
async function jobPage(node: FrameworkRowNode | FrameworkStateNode, row: FwRow, state: FwState): Promise<ChildPage> {
  const limit = node.ctx.limit(node, node.ctx.settings().pageSize);
  const reader = (node instanceof FrameworkStateNode ? node.parent.parent : node.parent).reader;
  const { jobs, total } = await node.session.run((insp) => reader.jobs(insp.client, row, state.state, { count: limit }));
  return {
    nodes: jobs.map((j) => new FrameworkJobNode(node, row, state, j)),
    more: jobs.length && total > jobs.length ? `Load more… (${jobs.length} of ${formatCount(total)} shown)` : undefined,
    empty: 'None',
  };
}

/** One job: what it runs and its id, the error first for failed ones, when, failures, arguments. */
export class FrameworkJobNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: FrameworkRowNode | FrameworkStateNode,
    readonly row: FwRow,
    readonly state: FwState,
    readonly job: FwJob,
  ) {
    this.id = childId(parent, job.id);
  }
  item(): vscode.TreeItem {
    const j = this.job;
    const s = this.state;
    const now = Date.now();
    // Ids are long (UUIDs, 24-hex jids): their first 8 characters tell jobs apart in a list; the tooltip has the whole.
    const t = new vscode.TreeItem(j.title === null ? `#${oneLine(clip(j.id, 9))}` : `${oneLine(j.title)} #${oneLine(clip(j.id, 9))}`, vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.contextValue = `fwJob;${this.row.framework};${this.row.kind};${s.state}`;
    t.iconPath = new vscode.ThemeIcon(bad(s.tone) ? 'error' : 'symbol-field', bad(s.tone) ? new vscode.ThemeColor('errorForeground') : undefined);
    const parts: string[] = [];
    if (j.title === null) parts.push('(job record gone)');
    if (bad(s.tone)) parts.push(j.error ? clip(oneLine(j.error), 80) : 'no error recorded');
    if (j.queue !== undefined && this.row.kind === 'set') parts.push(`queue ${oneLine(j.queue)}`);
    if (j.dueAt !== undefined) parts.push(j.dueAt > now ? `${s.tone === 'failed' ? 'retries' : 'runs'} in ${formatDuration(j.dueAt - now)}` : `due ${formatDuration(now - j.dueAt)} ago`);
    else if (s.tone === 'running' && j.startedAt !== undefined) parts.push(`running ${formatDuration(Math.max(0, now - j.startedAt))}`);
    else if ((s.tone === 'done' || bad(s.tone)) && j.endedAt !== undefined) parts.push(`${formatDuration(Math.max(0, now - j.endedAt))} ago`);
    else if (s.tone === 'waiting' && j.enqueuedAt !== undefined) parts.push(`waiting ${formatDuration(Math.max(0, now - j.enqueuedAt))}`);
    if (j.failures) parts.push(plural(j.failures, 'failure'));
    if (j.args !== undefined) parts.push(clip(oneLine(j.args), 60));
    t.description = parts.join(' · ');
    t.tooltip = [
      `${j.title === null ? 'job' : oneLine(j.title)} ${oneLine(j.id)}: ${s.label.toLowerCase()}${j.queue !== undefined ? ` (queue ${oneLine(j.queue)})` : ''}`,
      j.error ? `error: ${j.error}` : '',
      j.failures ? `failures: ${j.failures}` : '',
      j.enqueuedAt !== undefined ? `enqueued: ${timeTip(j.enqueuedAt)}` : '',
      j.startedAt !== undefined ? `started: ${timeTip(j.startedAt)}` : '',
      j.endedAt !== undefined ? `ended: ${timeTip(j.endedAt)}` : '',
      j.dueAt !== undefined ? `due: ${timeTip(j.dueAt)}` : '',
      j.args !== undefined ? `arguments: ${clip(j.args, 600)}` : '',
      ...j.details.map(([k, v]) => `${k}: ${clip(v, 300)}`),
      j.trace ? `trace:\n${clip(j.trace, 1200)}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    return t;
  }
}
