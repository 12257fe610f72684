import * as vscode from 'vscode';
import { JOB_FIELDS, type ListJobView, type ListQueueSummary, type ListSection, UNKNOWN_RUNNING_TIME, describeRunning, formatCount, formatDuration, isListJobStuck, listQueueKeys, oneLine, previewFields } from '../../core/internal';
import { timeTip } from '../times';
import { ScanMoreNode, knownKeys } from './discoveryNodes';
import { type ChildPage, ExplorerNode } from './explorerNode';
import { sessionHealth } from './health';
import { type Node, childId } from './node';
import { newBull3Candidates } from './bullmqNodes';
import { noteCeleryQueues } from './frameworkNodes';
import { waitingTrend, watchShownListQueues } from './trends';

/** The "List queues" folder of a connection (its parent, the connection row). */
export class ListQueuesFolderNode extends ExplorerNode {
  readonly id: string;
  constructor(readonly parent: ExplorerNode) {
    super();
    this.id = childId(parent, 'lists');
  }
  item(): vscode.TreeItem {
    const t = new vscode.TreeItem('List queues', vscode.TreeItemCollapsibleState.Collapsed);
    t.id = this.id;
    t.iconPath = new vscode.ThemeIcon('layers');
    t.contextValue = 'listQueues';
    t.tooltip = 'Queues in the embedded client\'s layout: <queue> (waiting), <queue>:processing, <queue>:dead, <queue>:job:<id>. Found by their processing and dead lists (one walk, remembered), or named in the redisQueues.listQueues settings.';
    return t;
  }
  protected async computeChildren(): Promise<ChildPage> {
    const ctx = this.ctx;
    const settings = ctx.settings();
    const limit = ctx.limit(this, settings.scanPageSize);
    return this.session.run(async (insp) => {
      // Queues with a layout in settings are read in it (by listQueue, listJobs and the commands).
      insp.setListQueueLayouts(settings.listQueueLayouts);
      const { keys, scan } = await knownKeys(
        this.session,
        ctx,
        'listQueues',
        settings.streamFilter,
        (state) => insp.discover('listQueues', state, { match: settings.streamFilter, maxMs: settings.discovery.budgetMs, maxCalls: settings.discovery.maxScanCalls }),
        () => insp.keyspaceSize(),
      );
      // Lists named like a Bull queue's met by this walk: the connection row looks for its Bull folder.
      // …and Celery queues whose waiting messages it sampled: the connection row looks for the Celery folder again.
      const celeryNew = noteCeleryQueues(this.session, scan.state.celeryQueues ?? []);
      if (newBull3Candidates(this.session, scan.state.queueLists ?? []) || celeryNew) void ctx.refresh(this.parent);
      // Named in settings: always shown. Found ones stay, also when their lists are empty now.
      const names = [...new Set([...ctx.listQueueNames(), ...keys])].sort();
      const shown = names.slice(0, limit);
      const queues = await Promise.all(shown.map((n) => insp.listQueue(n)));
      // Their figures over time: sampled in the background for the trend beside their waiting count.
      watchShownListQueues(this.session, queues.map((q) => ({ name: q.name, layout: q.layout })), { ...settings.trends, storageDir: ctx.storageDir });
      sessionHealth(this.session).listsDrawn(queues.map((q) => ({ name: q.name, stuck: isListJobStuck(q.oldestProcessingAgeMs, settings.thresholds) })));
      const hint = 'A list queue is found by its <queue>:processing or <queue>:dead list, or by name in the redisQueues.listQueues.names setting.';
      return {
        nodes: queues.map((q) => new ListQueueNode(this, q)),
        more: names.length > limit ? `Load more list queues… (${shown.length} of ${names.length} shown)` : undefined,
        empty: { label: scan.done ? 'No list queues found' : 'No list queues found yet', tooltip: hint },
        after: scan.done ? [] : [new ScanMoreNode(this, 'listQueues', await insp.discoveryProgress(scan.state))],
      };
    });
  }
}

export class ListQueueNode extends ExplorerNode {
  readonly id: string;
  constructor(
    readonly parent: ListQueuesFolderNode,
    readonly queue: ListQueueSummary,
  ) {
    super();
    this.id = childId(parent, queue.name);
  }
  item(): vscode.TreeItem {
    const q = this.queue;
    const t = new vscode.TreeItem(oneLine(q.name), vscode.TreeItemCollapsibleState.Collapsed);
    t.id = this.id;
    t.iconPath = new vscode.ThemeIcon(q.dead > 0 ? 'inbox' : 'layers', q.dead > 0 ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined);
    t.contextValue = `listQueue${q.dead > 0 ? ';hasDead' : ''}${q.processing > 0 ? ';hasProcessing' : ''}`;
    const oldest = q.oldestProcessingAgeMs !== undefined ? ` · oldest running ${formatDuration(q.oldestProcessingAgeMs)}` : '';
    const k = listQueueKeys(q.name, q.layout);
    // Without started-at stamps in the layout nobody can tell how long a job has run (never STUCK).
    const untimed = !k.stamps && q.processing > 0;
    const thresholds = this.ctx.settings().thresholds;
    const stuck = isListJobStuck(q.oldestProcessingAgeMs, thresholds);
    const trend = waitingTrend(this.session, q.name);
    const rest = `${formatCount(q.waiting)} waiting${trend?.arrow ? ` ${trend.arrow}` : ''} · ${formatCount(q.processing)} processing · ${formatCount(q.dead)} dead${oldest}`;
    t.description = stuck ? `\u26a0 STUCK · ${rest}` : rest;
    t.tooltip =
      `List queue ${oneLine(q.name)}\nwaiting: ${q.waiting}\nprocessing: ${q.processing}${oldest ? `\noldest processing job started ${formatDuration(q.oldestProcessingAgeMs)} ago` : ''}` +
      `${untimed ? `\nrunning for: ${UNKNOWN_RUNNING_TIME}` : ''}\ndead-letter: ${q.dead}` +
      (stuck ? `\nSTUCK: its oldest processing job has run for more than ${formatDuration(thresholds.stuckIdleMs)}` : '') +
      (q.layout && Object.keys(q.layout).length
        ? `\nlayout: waiting ${oneLine(k.waiting)}, processing ${oneLine(k.processing)}, dead ${oneLine(k.dead)}, ${k.stamps ? `started ${oneLine(k.started)}` : 'no started-at stamps'}, jobs ${oneLine(k.jobPrefix)}<id>`
        : '') +
      (trend ? `\n${trend.tooltip}` : '');
    return t;
  }
  protected async computeChildren(): Promise<Node[]> {
    const q = this.queue;
    return [new ListSectionNode(this, 'waiting', q.waiting), new ListSectionNode(this, 'processing', q.processing), new ListSectionNode(this, 'dead', q.dead)];
  }
}

const SECTION_LABEL: Record<ListSection, string> = { waiting: 'Waiting', processing: 'Processing', dead: 'Dead-letter' };
const SECTION_ICON: Record<ListSection, string> = { waiting: 'watch', processing: 'sync', dead: 'archive' };
const SECTION_TOOLTIP: Record<ListSection, string> = {
  waiting:
    'Jobs waiting for a worker, in the order workers will take them: the job a worker takes next is on top. ' +
    'Producers LPUSH onto the left end of the waiting list and workers take from the right end (BLMOVE / BRPOPLPUSH), so the top row is the oldest waiting job.',
  processing:
    'Jobs a worker has taken and not finished (the <queue>:processing list), the longest-running first. With started-at stamps, a job running longer than the STUCK threshold is marked STUCK.',
  dead: 'Jobs that failed for good (the <queue>:dead list), the most recently failed first. Retry moves one back to waiting.',
};

export class ListSectionNode extends ExplorerNode {
  readonly id: string;
  constructor(
    readonly parent: ListQueueNode,
    readonly section: ListSection,
    readonly count: number,
  ) {
    super();
    this.id = childId(parent, section);
  }
  item(): vscode.TreeItem {
    const t = new vscode.TreeItem(SECTION_LABEL[this.section], this.count > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.iconPath = new vscode.ThemeIcon(SECTION_ICON[this.section]);
    t.description = `${formatCount(this.count)}${this.section === 'processing' ? ' · longest-running on top' : this.section === 'waiting' ? ' · next job on top' : ''}`;
    t.tooltip = SECTION_TOOLTIP[this.section];
    t.contextValue = `listSection;${this.section}`;
    return t;
  }
  protected async computeChildren(): Promise<ChildPage> {
    const limit = this.ctx.limit(this, this.ctx.settings().pageSize);
    const { jobs, total } = await this.session.run((insp) => insp.listJobs(this.parent.queue.name, this.section, { count: limit, layout: this.parent.queue.layout }));
    return {
      nodes: jobs.map((j) => new JobNode(this, j)),
      more: jobs.length && total > jobs.length ? `Load more… (${jobs.length} of ${formatCount(total)} shown)` : undefined,
      empty: 'Empty',
    };
  }
}

const clip = (t: string, n: number) => (t.length > n ? `${t.slice(0, n - 1)}…` : t);

export class JobNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: ListSectionNode,
    readonly job: ListJobView,
  ) {
    this.id = childId(parent, job.id);
  }
  item(): vscode.TreeItem {
    const j = this.job;
    const stuck = isListJobStuck(j.runningForMs, this.parent.ctx.settings().thresholds);
    const t = new vscode.TreeItem(oneLine(j.id), vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.iconPath = new vscode.ThemeIcon(stuck ? 'warning' : 'symbol-field', stuck ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined);
    t.contextValue = `job;${this.parent.section}${stuck ? ';stuck' : ''}`;
    const dead = this.parent.section === 'dead';
    const stamp = (name: string) => {
      const v = j.fields?.[name];
      const ms = typeof v === 'string' && /^\d{10,16}$/.test(v) ? Number(v) : undefined;
      return ms;
    };
    const deadAt = stamp(JOB_FIELDS.deadAt);
    const createdAt = stamp(JOB_FIELDS.createdAt);
    const payload = j.fields ? Object.fromEntries(Object.entries(j.fields).filter(([k]) => !k.startsWith('__'))) : null;
    const parts: string[] = [];
    if (stuck) parts.push('\u26a0 STUCK');
    // A dead job leads with why it failed, then when (as dead letters of streams do).
    if (dead) parts.push(j.lastError ? clip(oneLine(j.lastError), 80) : 'no error recorded');
    if (dead && deadAt !== undefined) parts.push(`${formatDuration(Date.now() - deadAt)} ago`);
    if (j.runningForMs !== undefined) parts.push(describeRunning(j.runningForMs, !j.untimed));
    if (j.attempts !== undefined) parts.push(`attempt ${j.attempts}`);
    if (!payload) parts.push('(job hash missing)');
    else parts.push(previewFields(payload, 60));
    t.description = parts.join(' · ');
    if (dead && j.lastError) t.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    t.tooltip = [
      `Job ${oneLine(j.id)}`,
      j.lastError ? `last error: ${oneLine(j.lastError)}` : '',
      j.attempts !== undefined ? `attempts: ${j.attempts}` : '',
      createdAt !== undefined ? `created: ${timeTip(createdAt)}` : '',
      deadAt !== undefined ? `dead-lettered: ${timeTip(deadAt)}` : '',
      payload ? previewFields(payload, 400) : '(job hash missing)',
    ]
      .filter(Boolean)
      .join('\n');
    t.command = { command: 'redisQueues.entry.open', title: 'Open Job', arguments: [this] };
    return t;
  }
}
