/** List-queue repairs (atomic scripts): requeue processing jobs, retry dead ones, delete a job. */
import { BadInputError } from '../redis/errors';
import { JOB_FIELDS, type ListQueueLayout, listQueueKeys } from '../queue/list/keys';
import { checkListQueueLayout } from '../queue/list/layout';
import { runScript } from '../queue/lua';
import { LIST_DELETE_JOB, LIST_REQUEUE, LIST_RETRY_DEAD, LIST_SCRIPT_BATCH } from '../queue/list/admin';
import { type OpTarget, assertWritable, call, chunks } from './target';

// ---- list queues ----

/**
 * Moves jobs from processing back to waiting (all of them, the given ids, or those running longer
 * than `olderThanMs` by their started-at stamp). Returns the ids moved.
 * Each id moves atomically (LIST_REQUEUE, up to LIST_SCRIPT_BATCH ids per call): a client that
 * dies midway leaves every id in processing or in waiting, never in neither. An id no longer in
 * processing (acked or requeued meanwhile) is skipped. The age check runs in the script, on the
 * server's clock, at the moment the id moves.
 * `layout`: where the queue keeps its keys (default: this project's layout; see
 * `detectListQueueLayout`). A layout without started-at stamps (`started: null`) knows no ages:
 * `olderThanMs` is then refused (BadInputError); requeue by id or all.
 */
export async function requeueProcessing(
  t: OpTarget,
  queue: string,
  { ids, olderThanMs, layout }: { ids?: string[]; olderThanMs?: number; layout?: ListQueueLayout } = {},
): Promise<string[]> {
  assertWritable(t, 'requeue');
  const k = listQueueKeys(queue, checkListQueueLayout(queue, layout));
  if (olderThanMs !== undefined && !k.stamps) {
    throw new BadInputError(`List queue "${queue}" keeps no started-at stamps (its layout has no started set), so how long its jobs have run is unknown: requeue chosen jobs, or all of them`);
  }
  // Whole ms (ages are whole ms, so `age > x` iff `age > floor(x)`), clamped so that Lua parses it;
  // NaN moves nothing, as `age > NaN` never holds.
  const limit = olderThanMs === undefined ? '' : String(Math.floor(Math.max(-1e15, Math.min(1e15, Number.isNaN(olderThanMs) ? Infinity : olderThanMs))));
  const targets = ids ?? (await call(t, { key: k.processing }, () => t.client.lrange(k.processing, 0, -1))).map(String);
  const keys = k.stamps ? [k.processing, k.waiting, k.started] : [k.processing, k.waiting];
  const moved: string[] = [];
  for (const batch of chunks(targets, LIST_SCRIPT_BATCH)) {
    const r = (await call(t, { key: k.processing }, () => runScript(t.client, LIST_REQUEUE, keys, [limit, ...batch]))) as number[];
    batch.forEach((id, i) => Number(r[i]) === 1 && moved.push(id));
  }
  return moved;
}

/**
 * Moves dead-letter jobs back to waiting (all or the given ids), resetting their attempts.
 * Each id moves atomically (LIST_RETRY_DEAD, up to LIST_SCRIPT_BATCH ids per call). An id not in
 * the dead list is skipped and nothing of it is touched: no job hash is created, a live job's
 * attempts stay as they are. `layout` as for {@link requeueProcessing}.
 */
export async function retryDead(t: OpTarget, queue: string, { ids, layout }: { ids?: string[]; layout?: ListQueueLayout } = {}): Promise<string[]> {
  assertWritable(t, 'retry dead jobs');
  const k = listQueueKeys(queue, checkListQueueLayout(queue, layout));
  const targets = ids ?? (await call(t, { key: k.dead }, () => t.client.lrange(k.dead, 0, -1))).map(String);
  const moved: string[] = [];
  for (const batch of chunks(targets, LIST_SCRIPT_BATCH)) {
    const r = (await call(t, { key: k.dead }, () =>
      runScript(t.client, LIST_RETRY_DEAD, [k.dead, k.waiting, ...batch.map((id) => k.job(id))], [JOB_FIELDS.attempts, JOB_FIELDS.deadAt, ...batch]),
    )) as number[];
    batch.forEach((id, i) => Number(r[i]) === 1 && moved.push(id));
  }
  return moved;
}

/**
 * Deletes a job atomically (LIST_DELETE_JOB): its id from every list of the queue, its started-at
 * stamp and its hash (`<jobPrefix><id>` of the queue's layout). `layout` as for {@link requeueProcessing}.
 */
export async function deleteJob(t: OpTarget, queue: string, id: string, { layout }: { layout?: ListQueueLayout } = {}): Promise<boolean> {
  assertWritable(t, 'delete job');
  const k = listQueueKeys(queue, checkListQueueLayout(queue, layout));
  const keys = [k.waiting, k.processing, k.dead, k.job(id)];
  if (k.stamps) keys.push(k.started);
  const n = await call(t, { key: queue }, () => runScript(t.client, LIST_DELETE_JOB, keys, [id]));
  return Number(n) > 0;
}

