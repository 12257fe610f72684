/**
 * What BullMQ's own dashboards offer, done through BullMQ itself (its `Queue` and `Job`, whose
 * every state change is one of its Lua scripts): retry failed jobs, promote delayed ones, remove
 * jobs, clean completed or failed ones, pause and resume a queue. Each job is checked for the state
 * the action is meant for first (a job that moved meanwhile is skipped and said so), and each
 * result says exactly what was done. Kept out of the core's index: it loads BullMQ, which library
 * users of the core may not have.
 */
import { Queue } from 'bullmq';
import type { IoRedisClient } from '../redis/connection';
import type { BullQueueRef } from './bullmq';

/** What an action did, job by job. */
export interface BullActionResult {
  /** The jobs the action was applied to. */
  done: string[];
  /** The jobs left as they were, and why ("now completed", "gone", BullMQ's refusal). */
  skipped: { id: string; reason: string }[];
}

/** Runs `fn` with BullMQ's Queue of `ref` on `client` (shared: BullMQ does not close it). */
export async function withBullQueue<T>(client: IoRedisClient, ref: BullQueueRef, fn: (q: Queue) => Promise<T>): Promise<T> {
  const q = new Queue(ref.name, { connection: client as never, prefix: ref.prefix });
  try {
    return await fn(q);
  } finally {
    await q.close();
  }
}

type JobAction = 'retry' | 'promote' | 'remove';
/** The state a job must be in for each action (remove: any but active, which its worker holds). */
const NEEDS: Record<JobAction, (state: string) => boolean> = {
  retry: (s) => s === 'failed',
  promote: (s) => s === 'delayed',
  remove: (s) => s !== 'active' && s !== 'unknown',
};

async function eachJob(client: IoRedisClient, ref: BullQueueRef, ids: readonly string[], action: JobAction): Promise<BullActionResult> {
  return withBullQueue(client, ref, async (q) => {
    const out: BullActionResult = { done: [], skipped: [] };
    for (const id of ids) {
      const job = await q.getJob(id);
      if (!job) {
        out.skipped.push({ id, reason: 'gone' });
        continue;
      }
      const state = await job.getState();
      if (!NEEDS[action](state)) {
        out.skipped.push({ id, reason: state === 'unknown' ? 'gone' : `now ${state}` });
        continue;
      }
      try {
        if (action === 'retry') await job.retry('failed');
        else if (action === 'promote') await job.promote();
        else await job.remove();
        out.done.push(id);
      } catch (e) {
        // BullMQ refused (the job moved between the check and its script, or is locked).
        out.skipped.push({ id, reason: (e as Error).message });
      }
    }
    return out;
  });
}

/** Failed jobs back to waiting (BullMQ's Job.retry): a worker runs them again. */
export function retryBullJobs(client: IoRedisClient, ref: BullQueueRef, ids: readonly string[]): Promise<BullActionResult> {
  return eachJob(client, ref, ids, 'retry');
}

/** Delayed jobs to waiting now (BullMQ's Job.promote). */
export function promoteBullJobs(client: IoRedisClient, ref: BullQueueRef, ids: readonly string[]): Promise<BullActionResult> {
  return eachJob(client, ref, ids, 'promote');
}

/** Jobs removed with their data (BullMQ's Job.remove); an active job (its worker holds it) is refused. */
export function removeBullJobs(client: IoRedisClient, ref: BullQueueRef, ids: readonly string[]): Promise<BullActionResult> {
  return eachJob(client, ref, ids, 'remove');
}

/** Completed or failed jobs older than `graceMs` removed, at most `limit` (BullMQ's Queue.clean); the ids removed. */
export function cleanBullJobs(client: IoRedisClient, ref: BullQueueRef, state: 'completed' | 'failed', graceMs: number, limit: number): Promise<string[]> {
  return withBullQueue(client, ref, (q) => q.clean(graceMs, limit, state));
}

/** Pauses (workers take no new job) or resumes the queue (BullMQ's Queue.pause / resume). */
export function setBullPaused(client: IoRedisClient, ref: BullQueueRef, paused: boolean): Promise<void> {
  return withBullQueue(client, ref, (q) => (paused ? q.pause() : q.resume()));
}
