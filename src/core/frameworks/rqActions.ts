/**
 * What rq-dashboard offers on RQ's jobs, each job's change one atomic Lua script on RQ's own key
 * layout (see rq.ts): Requeue a failed job (as RQ 1.13's FailedJobRegistry.requeue), Delete a job
 * (as Job.delete), and Requeue all failed (a bounded batch, one script per job). A job that moved
 * since it was listed is skipped and named ("now queued", "gone"). No confirmation or read-only
 * refusal here (the VS Code layer does those); called on no job, nothing is sent.
 */
import { deflateSync } from 'node:zlib';
import type { RedisClient } from '../redis/connection';
import { define, runScript } from '../queue/lua';
import { LUA_RQ_DELETE, LUA_RQ_REQUEUE_FAILED } from '../queue/luaSources.generated';
import { type FwAction, fwActionResult, type FwRow } from './framework';
import { rqJobs, rqKeys } from './rq';

/** What an action did to one job. */
export interface RqOutcome {
  id: string;
  outcome: 'requeued' | 'deleted' | 'skipped';
  /** Where a skipped job is now (its RQ status, or `gone`); for a delete, what else was found. */
  now?: string;
}

/**
 * Requeue failed, as FailedJobRegistry.requeue: only while the job is still in the failed
 * registry (ZREM succeeds) and its record exists; then started_at, ended_at and exc_info cleared
 * (RQ saves exc_info = zlib('')), status queued, enqueued_at now, timeout defaulted if unset
 * (Queue.enqueue_job), the queue's key added to `rq:queues` and the id RPUSHed (enqueue at the
 * back; workers pop from the front). The job hash's TTL is left as RQ leaves it (its worker
 * PERSISTs it when it runs the job).
 * KEYS[1] failed registry, KEYS[2] job hash, KEYS[3] queue list, KEYS[4] queues set.
 * ARGV[1] id, ARGV[2] queue key, ARGV[3] queue name, ARGV[4] enqueued_at, ARGV[5] zlib(''), ARGV[6] default timeout.
 * Returns {1, 'queued'} or {0, where it is now}.
 */
export const RQ_REQUEUE = define('rqRequeueFailed', LUA_RQ_REQUEUE_FAILED);

/**
 * Delete, as Job.delete: the id out of its queue list and every registry of its origin queue (RQ
 * removes it from the one its status names; every one is a superset that leaves no stray entry;
 * LREM of every occurrence, not just one, for the same reason), then the job hash and its
 * dependents and dependencies keys deleted, and its results stream too (RQ 1.13 leaves that to
 * expire; nothing reads it without the job).
 * KEYS[1] job hash, KEYS[2] queue list, KEYS[3..8] started, scheduled, deferred, finished, failed,
 * canceled registries, KEYS[9] dependents, KEYS[10] dependencies, KEYS[11] results. ARGV[1] id.
 * Returns {existed, entries removed}.
 */
export const RQ_DELETE = define('rqDelete', LUA_RQ_DELETE);

/** RQ's Queue.DEFAULT_TIMEOUT (s), which enqueue_job gives a job without one. */
const DEFAULT_TIMEOUT = 180;
/** zlib.compress(b''): what RQ saves as exc_info when requeueing (`_exc_info = ''`). */
const EMPTY_EXC = deflateSync(Buffer.alloc(0));

/** RQ's `utcformat`: `%Y-%m-%dT%H:%M:%S.%fZ` (microseconds). */
export function rqUtcFormat(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

type RowRef = Pick<FwRow, 'name' | 'key'>;
const keysOf = (row: RowRef) => rqKeys(row.key.slice(0, row.key.length - `queue:${row.name}`.length));
const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v));

/** Failed jobs back to their queue, one atomic script each (FailedJobRegistry.requeue); a job no longer failed is skipped and named. */
export async function requeueRqFailed(client: RedisClient, row: RowRef, ids: readonly string[]): Promise<RqOutcome[]> {
  const k = keysOf(row);
  const out: RqOutcome[] = [];
  for (const id of ids) {
    const [ok, now] = (await runScript(client, RQ_REQUEUE, [k.registry('failed', row.name), k.job(id), k.queue(row.name), k.queues], [id, k.queue(row.name), row.name, rqUtcFormat(Date.now()), EMPTY_EXC, DEFAULT_TIMEOUT])) as [number, Buffer];
    out.push(ok === 1 ? { id, outcome: 'requeued' } : { id, outcome: 'skipped', now: text(now) });
  }
  return out;
}

/** Jobs deleted with their records, one atomic script each (Job.delete); a job already gone is skipped as `gone`. */
export async function deleteRqJobs(client: RedisClient, row: RowRef, ids: readonly string[]): Promise<RqOutcome[]> {
  const k = keysOf(row);
  const q = row.name;
  const out: RqOutcome[] = [];
  for (const id of ids) {
    const keys = [k.job(id), k.queue(q), ...(['started', 'scheduled', 'deferred', 'finished', 'failed', 'canceled'] as const).map((s) => k.registry(s, q)), k.dependents(id), k.dependencies(id), k.results(id)];
    const [existed, entries] = (await runScript(client, RQ_DELETE, keys, [id])) as [number, number];
    if (existed === 1) out.push({ id, outcome: 'deleted' });
    else if (entries > 0) out.push({ id, outcome: 'deleted', now: 'its record was already gone; its stale entries were removed' });
    else out.push({ id, outcome: 'skipped', now: 'gone' });
  }
  return out;
}

/** Requeue all failed: the first `limit` failed jobs of the queue as RQ lists them (newest first), each moved by its own script. */
export async function requeueAllRqFailed(client: RedisClient, row: RowRef, limit = 500): Promise<RqOutcome[]> {
  const { jobs } = await rqJobs(client, row, 'failed', { count: limit });
  return requeueRqFailed(
    client,
    row,
    jobs.map((j) => j.id),
  );
}

/** An rq-dashboard action on the listed jobs: `act` on their ids, its outcomes as one result. */
function rqAction(a: Omit<FwAction, 'run'>, act: (client: RedisClient, row: RowRef, ids: readonly string[]) => Promise<RqOutcome[]>): FwAction {
  return { ...a, run: async (client, row, _state, jobs) => fwActionResult(await act(client, row, jobs.map((j) => j.id))) };
}

/** The actions to register for RQ: rq-dashboard's Requeue (failed jobs) and Delete. */
export const rqActions: readonly FwAction[] = [
  rqAction(
    {
      name: 'requeue',
      title: 'Requeue',
      past: 'Requeued',
      detail: "RQ's FailedJobRegistry.requeue: each job leaves the failed registry and goes to the back of its queue, status queued; a worker runs it again.",
      states: ['failed'],
    },
    requeueRqFailed,
  ),
  rqAction(
    {
      name: 'delete',
      title: 'Delete',
      past: 'Deleted',
      detail: "RQ's Job.delete: each job leaves its queue and every registry, and its record and results are deleted. This cannot be undone.",
      states: ['queued', 'scheduled', 'deferred', 'finished', 'failed', 'canceled', 'abandoned'],
    },
    deleteRqJobs,
  ),
];
