// A BullMQ queue's "Repeatable" row: its job schedulers (Queue.upsertJobScheduler) and legacy
// repeatable jobs (queue.add with `repeat`), next run first, each with its pattern or interval and
// when it runs next; everything its hash holds in the tooltip. Read from the queue's `repeat`
// sorted set and the hash beside each member (core frameworks/bullmq.ts), a page at a time.
import * as vscode from 'vscode';
import { formatCount, formatDuration, oneLine } from '../../core/internal';
import { type BullQueueRef, type BullScheduler, bullSchedulers } from '../../core/frameworks/bullmq';
import { timeTip } from '../times';
import { type ChildPage, ExplorerNode } from './explorerNode';
import { type Node, childId } from './node';

const clip = (t: string, n: number) => (t.length > n ? `${t.slice(0, n - 1)}…` : t);

/** An interval as it is said: "5m", "1h 30m", "90ms" (formatDuration without a trailing zero part). */
export function intervalText(ms: number): string {
  return formatDuration(ms).replace(/ 0[smh]$/, '');
}

/** The "Repeatable" row of a BullMQ queue: its job schedulers, next run first. */
export class BullRepeatNode extends ExplorerNode {
  readonly id: string;
  constructor(
    /** The queue's row (bullmqNodes.ts' BullQueueNode). */
    readonly parent: ExplorerNode & { readonly queue: BullQueueRef },
    readonly count: number,
  ) {
    super();
    this.id = childId(parent, 'repeat');
  }
  item(): vscode.TreeItem {
    const t = new vscode.TreeItem('Repeatable', vscode.TreeItemCollapsibleState.Collapsed);
    t.id = this.id;
    t.iconPath = new vscode.ThemeIcon('history');
    t.description = `${formatCount(this.count)}${this.count > 1 ? ' · next run on top' : ''}`;
    t.tooltip = `${formatCount(this.count)} job scheduler${this.count === 1 ? '' : 's'} (Queue.upsertJobScheduler, or legacy repeatable jobs added with \`repeat\`): each makes its next job, which waits in Delayed until its time`;
    t.contextValue = 'bullRepeat';
    return t;
  }
  protected async computeChildren(): Promise<ChildPage> {
    const limit = this.ctx.limit(this, this.ctx.settings().pageSize);
    const { schedulers, total } = await this.session.run((insp) => bullSchedulers(insp.client, this.parent.queue, { count: limit }));
    return {
      nodes: schedulers.map((s) => new BullSchedulerNode(this, s)),
      more: schedulers.length && total > schedulers.length ? `Load more… (${schedulers.length} of ${formatCount(total)} shown)` : undefined,
      empty: 'None',
    };
  }
}

/** One job scheduler: its id (or a legacy job's name), its pattern or interval, when it runs next. */
export class BullSchedulerNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: BullRepeatNode,
    readonly scheduler: BullScheduler,
  ) {
    this.id = childId(parent, scheduler.key);
  }
  item(): vscode.TreeItem {
    const s = this.scheduler;
    const now = Date.now();
    // A legacy key is an md5 hash of its options: its name says more.
    const label = s.legacy && s.name ? s.name : s.key;
    const t = new vscode.TreeItem(oneLine(clip(label, 60)), vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.contextValue = `bullScheduler${s.legacy ? ';legacy' : ''}`;
    t.iconPath = new vscode.ThemeIcon('watch');
    const parts = [
      s.name === null ? '(its hash is gone)' : '',
      s.pattern ? oneLine(s.pattern) : s.every !== undefined ? `every ${intervalText(s.every)}` : '',
      s.next > now ? `next in ${formatDuration(s.next - now)}` : `due ${formatDuration(now - s.next)} ago`,
      s.limit !== undefined ? `${formatCount(s.iterationCount ?? 0)} of ${formatCount(s.limit)} made` : '',
      !s.legacy && s.name && s.name !== s.key ? oneLine(clip(s.name, 40)) : '',
    ];
    t.description = parts.filter(Boolean).join(' · ');
    t.tooltip = [
      `BullMQ ${s.legacy ? 'repeatable job (legacy, added with `repeat`)' : 'job scheduler'} ${oneLine(s.key)}`,
      s.name !== null ? `jobs named: ${oneLine(s.name)}` : 'its hash is gone (removed while listed)',
      s.pattern ? `pattern: ${oneLine(s.pattern)}` : '',
      s.every !== undefined ? `every: ${intervalText(s.every)} (${s.every} ms)` : '',
      s.tz ? `time zone: ${oneLine(s.tz)}` : '',
      `next run: ${timeTip(s.next)}`,
      s.iterationCount !== undefined ? `jobs made: ${s.iterationCount}${s.limit !== undefined ? ` of ${s.limit}` : ''}` : s.limit !== undefined ? `limit: ${s.limit}` : '',
      s.startDate !== undefined ? `starts: ${timeTip(s.startDate)}` : '',
      s.endDate !== undefined ? `ends: ${timeTip(s.endDate)}` : '',
      s.offset ? `offset: ${s.offset} ms` : '',
      s.jobId ? `job id: ${oneLine(s.jobId)}` : '',
      s.data !== undefined ? `data: ${clip(s.data, 600)}` : '',
      s.opts !== undefined ? `options: ${clip(s.opts, 300)}` : '',
      // (A pre-3.0 key's jobs are named by a hash instead.)
      s.legacy && s.key.includes(':') ? '' : `its next job: repeat:${oneLine(s.key)}:${s.next} (in Delayed until its time)`,
    ]
      .filter(Boolean)
      .join('\n');
    return t;
  }
}
