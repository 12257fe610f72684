// BullMQ in the explorer, in BullMQ's own words: connection → BullMQ → queue (its counts, paused)
// → state (Waiting, Active, Delayed, Prioritized, Paused, Waiting children, Completed, Failed) →
// jobs (name and id, failed reason, when, attempts; data, options, stack trace in the tooltip);
// beside Delayed, Repeatable: its job schedulers (bullmqRepeatNodes.ts).
// Read from BullMQ's keys (core frameworks/bullmq.ts); queues are found among the streams
// discovery already found (a queue's events stream), never by a walk of their own.
// Legacy Bull 3/4 queues (npm `bull`, core frameworks/bull.ts) get a "Bull" folder of their own,
// drawn by the same nodes in Bull's words and states: a different library, with no prioritized
// or waiting-children state and no events stream, whose jobs BullMQ's actions must not touch
// (their context values are `bull3…`, which no BullMQ command's menu matches). They are found
// among the lists the list-queue walk met (its state's queueLists).
import * as vscode from 'vscode';
import { formatCount, formatDuration, oneLine } from '../../core/internal';
import type { RedisClient } from '../../core/redis/connection';
import { type BullJob, type BullQueueRef, type BullQueueSummary, type BullState, bullJobs, bullQueue, bullQueueOfEventsKey, bullStatesOf, findBullQueues } from '../../core/frameworks/bullmq';
import { bull3QueueOfListKey, findBull3Queues } from '../../core/frameworks/bull';
import type { Session } from '../connections/session';
import { BullRepeatNode } from './bullmqRepeatNodes';
import { timeTip } from '../times';
import { type ChildPage, ExplorerNode } from './explorerNode';
import { type Node, childId } from './node';

/** A state as BullMQ's dashboards title it. */
export const BULL_STATE_LABEL: Record<BullState, string> = {
  waiting: 'Waiting',
  active: 'Active',
  delayed: 'Delayed',
  prioritized: 'Prioritized',
  paused: 'Paused',
  'waiting-children': 'Waiting children',
  completed: 'Completed',
  failed: 'Failed',
};
const STATE_ICON: Record<BullState, string> = {
  waiting: 'watch',
  active: 'sync',
  delayed: 'clock',
  prioritized: 'arrow-up',
  paused: 'debug-pause',
  'waiting-children': 'type-hierarchy',
  completed: 'pass',
  failed: 'error',
};
const STATE_ORDER: Record<BullState, string> = {
  waiting: 'next job on top',
  active: 'oldest on top',
  delayed: 'soonest on top',
  prioritized: 'by priority',
  paused: 'next job on top',
  'waiting-children': 'by time',
  completed: 'newest on top',
  failed: 'newest on top',
};

/** The library's name, as the folder and tooltips say it. */
const libraryOf = (q: BullQueueRef) => (q.legacy ? 'Bull' : 'BullMQ');
/** Context values: `bull…` for BullMQ (its commands' menus), `bull3…` for legacy Bull (none yet). */
const ctxOf = (q: BullQueueRef, what: 'Queue' | 'State' | 'Job') => `bull${q.legacy ? '3' : ''}${what}`;

/** Per session: the stream keys looked at for BullMQ queues, and the queue each one is the events stream of (null: not a queue). */
const checked = new WeakMap<Session, Map<string, BullQueueRef | null>>();
/** Per session: the list keys looked at for Bull 3/4 queues, and the queue each one is a list of (null: not one). */
const checked3 = new WeakMap<Session, Map<string, BullQueueRef | null>>();

function checkedOf(session: Session, legacy = false): Map<string, BullQueueRef | null> {
  const maps = legacy ? checked3 : checked;
  let m = maps.get(session);
  if (!m) maps.set(session, (m = new Map()));
  return m;
}

/**
 * The BullMQ queues among the streams found so far, with their failed counts. Each candidate is
 * looked at once per session (a TYPE of its meta hash); later calls only count the failed jobs
 * (one ZCARD a queue), so refreshing the connection row stays cheap whatever the keyspace.
 */
export async function bullQueuesOfSession(session: Session, client: RedisClient, streamKeys: readonly string[]): Promise<{ queues: BullQueueRef[]; failed: number }> {
  const seen = checkedOf(session);
  const fresh = streamKeys.filter((k) => !seen.has(k));
  const found = await findBullQueues(client, fresh);
  for (const k of fresh) seen.set(k, null);
  for (const q of found) seen.set(`${q.base}events`, q);
  const queues = [...seen.values()].filter((q): q is BullQueueRef => q !== null).sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
  for (const q of queues) bullEventsStreams(session).set(`${q.base}events`, `BullMQ queue ${q.name}`);
  const failed = await Promise.all(queues.map((q) => client.zcard(`${q.base}failed`)));
  return { queues, failed: failed.reduce((a, b) => a + b, 0) };
}

/**
 * The Bull 3/4 queues among the lists the list-queue walk met (its queueLists), with their failed
 * counts: as {@link bullQueuesOfSession}, each list looked at once per session (three TYPEs of
 * its queue's keys, all in one round trip), then one ZCARD a queue.
 */
export async function bull3QueuesOfSession(session: Session, client: RedisClient, listKeys: readonly string[]): Promise<{ queues: BullQueueRef[]; failed: number }> {
  const seen = checkedOf(session, true);
  const fresh = listKeys.filter((k) => !seen.has(k));
  const found = new Map((await findBull3Queues(client, fresh)).map((q) => [q.base, q]));
  for (const k of fresh) seen.set(k, found.get(bull3QueueOfListKey(k)?.base ?? '') ?? null);
  const queues = [...new Map([...seen.values()].filter((q): q is BullQueueRef => q !== null).map((q) => [q.base, q])).values()].sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
  const failed = await Promise.all(queues.map((q) => client.zcard(`${q.base}failed`)));
  return { queues, failed: failed.reduce((a, b) => a + b, 0) };
}

/** Whether `keys` (a list walk's queueLists) hold a list the connection row has not looked at for Bull 3/4 yet. */
export function newBull3Candidates(session: Session, keys: readonly string[]): boolean {
  const seen = checkedOf(session, true);
  return keys.some((k) => !seen.has(k));
}

const eventsKeys = new WeakMap<Session, Map<string, string>>();

/** The events streams of the BullMQ queues found (key → queue name), per session: the Streams folder says whose they are. */
export function bullEventsStreams(session: Session): Map<string, string> {
  let m = eventsKeys.get(session);
  if (!m) eventsKeys.set(session, (m = new Map()));
  return m;
}

/** Whether `keys` hold a possible BullMQ events stream the connection row has not looked at yet. */
export function newBullCandidates(session: Session, keys: readonly string[]): boolean {
  const seen = checkedOf(session);
  return keys.some((k) => !seen.has(k) && bullQueueOfEventsKey(k) !== undefined);
}

/** The "BullMQ" folder of a connection, or (`legacy`) the "Bull" one: the queues found (given by the connection row). */
export class BullFolderNode extends ExplorerNode {
  readonly id: string;
  constructor(
    readonly parent: ExplorerNode,
    readonly queues: BullQueueRef[],
    /** Failed jobs in all of them, as counted when the connection row was drawn. */
    readonly failed: number,
    /** Legacy Bull 3/4 queues (npm `bull`), not BullMQ ones. */
    readonly legacy = false,
  ) {
    super();
    this.id = childId(parent, legacy ? 'bull' : 'bullmq');
  }
  item(): vscode.TreeItem {
    const t = new vscode.TreeItem(this.legacy ? 'Bull' : 'BullMQ', vscode.TreeItemCollapsibleState.Collapsed);
    t.id = this.id;
    t.iconPath = new vscode.ThemeIcon('server-process');
    t.contextValue = this.legacy ? 'bull3Queues' : 'bullQueues';
    const failed = this.failed;
    t.description = `${this.queues.length} queue${this.queues.length === 1 ? '' : 's'}${failed ? ` · ${formatCount(failed)} failed` : ''}`;
    t.tooltip = this.legacy
      ? 'Bull 3/4 queues (npm bull, the library before BullMQ), found by their wait, active or paused list (<prefix>:<queue>:wait, with its id counter, and no BullMQ events stream) among the lists the list-queue walk met; read from their keys as Bull reports them.'
      : 'BullMQ queues, found by their events stream (<prefix>:<queue>:events, with its meta hash) among the streams discovery found; read from their keys as BullMQ reports them.';
    return t;
  }
  protected async computeChildren(): Promise<ChildPage> {
    // Read when expanded: a queue obliterated meanwhile (its meta hash, or Bull's id counter, gone) is left out.
    const summaries = await this.session.run(async (insp) => {
      const still = this.legacy ? await findBull3Queues(insp.client, this.queues.map((q) => `${q.base}wait`)) : await findBullQueues(insp.client, this.queues.map((q) => `${q.base}events`));
      return Promise.all(still.map((q) => bullQueue(insp.client, q)));
    });
    return { nodes: summaries.map((q) => new BullQueueNode(this, q)), empty: this.legacy ? 'No Bull queues' : 'No BullMQ queues' };
  }
}

export class BullQueueNode extends ExplorerNode {
  readonly id: string;
  constructor(
    readonly parent: BullFolderNode,
    readonly queue: BullQueueSummary,
  ) {
    super();
    this.id = childId(parent, queue.base);
  }
  item(): vscode.TreeItem {
    const q = this.queue;
    const c = q.counts;
    const t = new vscode.TreeItem(oneLine(q.name), vscode.TreeItemCollapsibleState.Collapsed);
    t.id = this.id;
    t.iconPath = new vscode.ThemeIcon(q.paused ? 'debug-pause' : 'layers', c.failed > 0 || q.stalled.length > 0 ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined);
    t.contextValue = `${ctxOf(q, 'Queue')}${q.paused ? ';paused' : ''}${c.failed ? ';hasFailed' : ''}`;
    const waiting = c.waiting + c.paused + c.prioritized;
    const lib = libraryOf(q);
    const now = Date.now();
    const thresholds = this.ctx.settings().thresholds;
    // STUCK as list jobs are: the oldest active job has run longer than the stuck threshold.
    const stuck = q.oldestActiveAt !== undefined && now - q.oldestActiveAt > thresholds.stuckIdleMs;
    const marks = [q.stalled.length ? `\u26a0 ${formatCount(q.stalled.length)} STALLED` : '', stuck ? '\u26a0 STUCK' : '', q.paused ? 'PAUSED' : ''].filter(Boolean);
    const waited = q.oldestWaitingAt !== undefined && waiting ? ` (oldest ${formatDuration(Math.max(0, now - q.oldestWaitingAt))})` : '';
    // At the side bar's width the first words are read: the marks, then failures, then the rest.
    const parts = [...marks, c.failed ? `${formatCount(c.failed)} failed` : '', `${formatCount(waiting)} waiting${waited}`, `${formatCount(c.active)} active`, c.delayed ? `${formatCount(c.delayed)} delayed` : '', `${formatCount(c.completed)} completed`];
    t.description = parts.filter(Boolean).join(' · ');
    t.tooltip = [
      `${q.legacy ? 'Bull 3/4' : 'BullMQ'} queue ${oneLine(q.name)} (prefix ${oneLine(q.prefix)})${q.paused ? ': PAUSED' : ''}`,
      ...bullStatesOf(q).map((s) => `${BULL_STATE_LABEL[s].toLowerCase()}: ${formatCount(c[s])}`),
      q.schedulers ? `repeatable (job schedulers): ${formatCount(q.schedulers)}` : '',
      q.stalled.length ? `STALLED: ${q.stalled.length} active job${q.stalled.length === 1 ? '' : 's'} whose lock is gone (their worker stopped renewing it: gone or stuck); ${lib}'s stalled checker moves them back to waiting, or fails them after too many stalls` : '',
      stuck ? `STUCK: the oldest active job has run for ${formatDuration(now - q.oldestActiveAt!)} (more than ${formatDuration(thresholds.stuckIdleMs)})` : '',
      q.oldestWaitingAt !== undefined && waiting ? `the job a worker takes next was added ${formatDuration(Math.max(0, now - q.oldestWaitingAt))} ago` : '',
      q.version ? `written by ${q.version}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    return t;
  }
  protected async computeChildren(): Promise<Node[]> {
    const states: Node[] = bullStatesOf(this.queue)
      .filter((s) => s !== 'paused' || this.queue.paused || this.queue.counts.paused > 0)
      .map((s) => new BullStateNode(this, s, this.queue.counts[s]));
    // Its schedulers beside Delayed, where the jobs they make wait for their time.
    if (this.queue.schedulers > 0) states.splice(states.findIndex((n) => (n as BullStateNode).state === 'delayed') + 1, 0, new BullRepeatNode(this, this.queue.schedulers));
    return states;
  }
}

export class BullStateNode extends ExplorerNode {
  readonly id: string;
  constructor(
    readonly parent: BullQueueNode,
    readonly state: BullState,
    readonly count: number,
  ) {
    super();
    this.id = childId(parent, state);
  }
  item(): vscode.TreeItem {
    const t = new vscode.TreeItem(BULL_STATE_LABEL[this.state], this.count > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.iconPath = new vscode.ThemeIcon(STATE_ICON[this.state], this.state === 'failed' && this.count ? new vscode.ThemeColor('errorForeground') : undefined);
    t.description = `${formatCount(this.count)}${this.count > 1 ? ` · ${STATE_ORDER[this.state]}` : ''}`;
    t.contextValue = `${ctxOf(this.parent.queue, 'State')};${this.state}`;
    return t;
  }
  protected async computeChildren(): Promise<ChildPage> {
    const limit = this.ctx.limit(this, this.ctx.settings().pageSize);
    const { jobs, total } = await this.session.run((insp) => bullJobs(insp.client, this.parent.queue, this.state, { count: limit }));
    return {
      nodes: jobs.map((j) => new BullJobNode(this, j)),
      more: jobs.length && total > jobs.length ? `Load more… (${jobs.length} of ${formatCount(total)} shown)` : undefined,
      empty: 'None',
    };
  }
}

const clip = (t: string, n: number) => (t.length > n ? `${t.slice(0, n - 1)}…` : t);

export class BullJobNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: BullStateNode,
    readonly job: BullJob,
  ) {
    this.id = childId(parent, job.id);
  }
  item(): vscode.TreeItem {
    const j = this.job;
    const state = this.parent.state;
    const q = this.parent.parent.queue;
    const now = Date.now();
    const t = new vscode.TreeItem(j.name === null ? `#${oneLine(j.id)}` : `${oneLine(j.name)} #${oneLine(j.id)}`, vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.contextValue = `${ctxOf(q, 'Job')};${state}`;
    t.iconPath = new vscode.ThemeIcon(state === 'failed' ? 'error' : 'symbol-field', state === 'failed' ? new vscode.ThemeColor('errorForeground') : undefined);
    const parts: string[] = [];
    if (j.stalled) parts.push('\u26a0 STALLED (lock gone)');
    if (j.name === null) parts.push('(job hash gone)');
    if (state === 'failed') parts.push(j.failedReason ? clip(oneLine(j.failedReason), 80) : 'no reason recorded');
    if ((state === 'failed' || state === 'completed') && j.finishedOn) parts.push(`${formatDuration(now - j.finishedOn)} ago`);
    if (state === 'active' && j.processedOn) parts.push(`running ${formatDuration(now - j.processedOn)}`);
    if (state === 'delayed' && j.timestamp !== undefined && j.delay !== undefined) {
      const at = j.timestamp + j.delay;
      parts.push(at > now ? `runs in ${formatDuration(at - now)}` : `due ${formatDuration(now - at)} ago`);
    }
    // (Bull 3/4 keeps prioritized jobs in waiting, in priority order.)
    if ((state === 'prioritized' || q.legacy) && j.priority) parts.push(`priority ${j.priority}`);
    if (j.attemptsMade) parts.push(`${j.attemptsMade} attempt${j.attemptsMade === 1 ? '' : 's'}`);
    if (j.data !== undefined) parts.push(clip(oneLine(j.data), 60));
    t.description = parts.join(' · ');
    t.tooltip = [
      `${libraryOf(q)} job ${oneLine(j.id)}${j.name ? ` (${oneLine(j.name)})` : ''}: ${BULL_STATE_LABEL[state].toLowerCase()}`,
      j.stalled ? `STALLED: its lock is gone (its worker stopped renewing it); ${libraryOf(q)}'s stalled checker will move it back to waiting, or fail it after too many stalls` : '',
      j.failedReason ? `failed: ${j.failedReason}` : '',
      `attempts made: ${j.attemptsMade}`,
      j.timestamp ? `added: ${timeTip(j.timestamp)}` : '',
      j.processedOn ? `processed: ${timeTip(j.processedOn)}` : '',
      j.finishedOn ? `finished: ${timeTip(j.finishedOn)}` : '',
      j.progress && j.progress !== '0' ? `progress: ${clip(j.progress, 200)}` : '',
      j.data !== undefined ? `data: ${clip(j.data, 600)}` : '',
      j.opts ? `options: ${clip(j.opts, 300)}` : '',
      j.returnvalue !== undefined && j.returnvalue !== 'null' ? `returned: ${clip(j.returnvalue, 300)}` : '',
      j.stacktrace.length ? `stack trace (last failure):\n${clip(j.stacktrace.at(-1)!, 1200)}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    return t;
  }
}
