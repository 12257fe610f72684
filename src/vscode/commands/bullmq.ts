// BullMQ actions from the tree, done through BullMQ itself (core frameworks/bullmqActions.ts), with
// the confirmations, read-only refusals and production rules of the stream commands: retry failed
// jobs, promote delayed ones, remove jobs, clean completed or failed ones, pause and resume.
import * as vscode from 'vscode';
import { type BullJobHistory, bullJobHistory } from '../../core/frameworks/bullmqHistory';
import type { BullQueueRef } from '../../core/frameworks/bullmq';
import { type BullActionResult, cleanBullJobs, promoteBullJobs, removeBullJobs, retryBullJobs, setBullPaused } from '../../core/frameworks/bullmqActions';
import type { Services } from '../services';
import { BullJobNode, BullQueueNode, BullStateNode } from '../tree/bullmqNodes';
import { askDuration } from './pending';
import { confirmImpact, plural, refuseReadOnly, selection } from './target';

function say(s: Services, what: string, r: BullActionResult): void {
  const skipped = r.skipped.length ? `; left as they were: ${r.skipped.map((x) => `#${x.id} (${x.reason})`).join(', ')}` : '';
  s.ui.info(`${what} ${plural(r.done.length, 'job')}${skipped}.`);
}

type JobVerb = 'retry' | 'promote' | 'remove';
const VERB: Record<JobVerb, { title: string; past: string; detail: string; run: typeof retryBullJobs; state?: string }> = {
  retry: { title: 'Retry', past: 'Retried', detail: 'BullMQ moves them back to waiting (Job.retry); a worker runs them again. Their failed reason and stack trace stay in the job.', run: retryBullJobs, state: 'failed' },
  promote: { title: 'Promote', past: 'Promoted', detail: 'BullMQ moves them from delayed to waiting now (Job.promote); a worker runs them without waiting for their time.', run: promoteBullJobs, state: 'delayed' },
  remove: { title: 'Remove', past: 'Removed', detail: 'BullMQ deletes them with their data and logs (Job.remove). This cannot be undone. An active job (its worker holds it) is refused.', run: removeBullJobs },
};

async function jobAction(s: Services, verb: JobVerb, node: unknown, selected: unknown): Promise<BullActionResult> {
  // (Legacy Bull 3/4 jobs share the node classes; BullMQ's scripts must not touch them.)
  const jobs = selection(node, selected, BullJobNode).filter((j) => !j.parent.parent.queue.legacy);
  if (!jobs.length) throw new Error('Select one or more BullMQ jobs in the Redis Queues tree');
  const v = VERB[verb];
  const queue = jobs[0]!.parent.parent;
  const session = queue.session;
  refuseReadOnly(session, `${v.title.toLowerCase()} BullMQ jobs`);
  const ids = jobs.filter((j) => j.parent.parent.queue.base === queue.queue.base).map((j) => j.job.id);
  await confirmImpact(s, session, {
    message: `${v.title} ${plural(ids.length, 'job')} of BullMQ queue "${queue.queue.name}"?`,
    detail: `${v.detail} Jobs no longer ${v.state ?? 'there'} are skipped.`,
    button: v.title,
    typeName: queue.queue.name,
  });
  const r = await session.withOwnClient('bullmq', (c) => v.run(c, queue.queue, ids), 'command');
  say(s, v.past, r);
  void s.provider.refresh(s.provider.current(queue) ?? queue);
  return r;
}

export const retryJobs = (s: Services, node?: unknown, selected?: unknown[]) => jobAction(s, 'retry', node, selected);
export const promoteJobs = (s: Services, node?: unknown, selected?: unknown[]) => jobAction(s, 'promote', node, selected);
export const removeJobs = (s: Services, node?: unknown, selected?: unknown[]) => jobAction(s, 'remove', node, selected);

/** Clean: the completed or failed jobs of a queue older than a duration, through BullMQ's Queue.clean. */
export async function cleanJobs(s: Services, node?: unknown, args?: { olderThanMs?: number; limit?: number }): Promise<string[]> {
  if (!(node instanceof BullStateNode) || node.parent.queue.legacy || (node.state !== 'completed' && node.state !== 'failed')) throw new Error('Clean applies to the Completed or Failed row of a BullMQ queue');
  const queue = node.parent;
  const state = node.state;
  refuseReadOnly(queue.session, `clean BullMQ ${state} jobs`);
  const olderThanMs =
    args?.olderThanMs ??
    (await askDuration(s, { title: `Clean ${state} jobs of "${queue.queue.name}" older than`, prompt: 'Jobs that finished at least this long ago are removed; 0 removes them all', defaultMs: 60 * 60_000 }));
  const limit = args?.limit ?? 10_000;
  await confirmImpact(s, queue.session, {
    message: `Remove the ${state} jobs of BullMQ queue "${queue.queue.name}" that finished over ${olderThanMs ? `${Math.round(olderThanMs / 1000)} s` : '0 s'} ago (of ${plural(node.count, `${state} job`)}; at most ${plural(limit, 'job')})?`,
    detail: 'BullMQ deletes them with their data (Queue.clean). This cannot be undone.',
    button: 'Clean',
    typeName: queue.queue.name,
  });
  const removed = await queue.session.withOwnClient('bullmq', (c) => cleanBullJobs(c, queue.queue, state, olderThanMs, limit), 'command');
  s.ui.info(`Removed ${plural(removed.length, `${state} job`)} of ${queue.queue.name}.`);
  void s.provider.refresh(s.provider.current(queue) ?? queue);
  return removed;
}

async function pauseOrResume(s: Services, node: unknown, paused: boolean): Promise<BullQueueRef> {
  if (!(node instanceof BullQueueNode) || node.queue.legacy) throw new Error('Select a BullMQ queue in the Redis Queues tree');
  const q = node.queue;
  refuseReadOnly(node.session, `${paused ? 'pause' : 'resume'} a BullMQ queue`);
  await confirmImpact(s, node.session, {
    message: `${paused ? 'Pause' : 'Resume'} BullMQ queue "${q.name}"?`,
    detail: paused ? 'Its workers take no new job until it is resumed (Queue.pause); jobs running now finish. Waiting jobs move to its paused list.' : 'Its workers take jobs again (Queue.resume).',
    button: paused ? 'Pause' : 'Resume',
    typeName: q.name,
  });
  await node.session.withOwnClient('bullmq', (c) => setBullPaused(c, q, paused), 'command');
  s.ui.info(`${paused ? 'Paused' : 'Resumed'} BullMQ queue ${q.name}.`);
  void s.provider.refresh(s.provider.current(node) ?? node);
  return q;
}

export const pauseQueue = (s: Services, node?: unknown) => pauseOrResume(s, node, true);
export const resumeQueue = (s: Services, node?: unknown) => pauseOrResume(s, node, false);

/**
 * Show Job History: what BullMQ recorded for a job in its queue's events stream (added, waiting,
 * active, progress, failed with its reason, retried, completed with its return value…), oldest
 * first, in a document beside the tree. Read-only; at most 20,000 events read, and said so.
 */
export async function showJobHistory(_s: Services, node?: unknown): Promise<BullJobHistory> {
  if (!(node instanceof BullJobNode) || node.parent.parent.queue.legacy) throw new Error('Select a BullMQ job in the Redis Queues tree');
  const queue = node.parent.parent.queue;
  const job = node.job;
  const h = await node.parent.session.run((insp) => bullJobHistory(insp.client, queue, job.id, { addedAt: job.timestamp }));
  const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');
  const lines = [
    `BullMQ job ${job.id}${job.name ? ` (${job.name})` : ''} of queue ${queue.name}: ${h.events.length} event${h.events.length === 1 ? '' : 's'} in ${queue.base}events`,
    h.complete ? `(the whole events stream read: ${h.examined} entries)` : `(the newest ${h.examined} entries of the events stream read; older events of this job may be beyond them)`,
    h.trimmed ? 'BullMQ trimmed the stream (it keeps about 10,000 events): its first events are gone.' : '',
    '',
    ...h.events.map((e) => `${when(e.at)}  ${e.event.padEnd(18)} ${e.fields.map(([k, v]) => `${k}=${v.length > 300 ? `${v.slice(0, 299)}…` : v}`).join('  ')}`.trimEnd()),
    h.events.length ? '' : 'No event of this job is in the stream.',
  ].filter((l, i, all) => l !== '' || (i > 0 && all[i - 1] !== ''));
  const doc = await vscode.workspace.openTextDocument({ language: 'log', content: `${lines.join('\n')}\n` });
  await vscode.window.showTextDocument(doc, { preview: true });
  return h;
}
