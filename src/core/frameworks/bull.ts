/**
 * Legacy Bull 3/4 queues (npm `bull`), read straight from their keys (read-only: no script of
 * Bull's is run, nothing is written). Bull's layout is BullMQ's for what is read here
 * (bullmq.ts reads both, told apart by {@link BullQueueRef.legacy}):
 *
 *     <prefix>:<queue>:wait, :active, :paused   lists (LPUSH; workers RPOPLPUSH from the right)
 *     <prefix>:<queue>:delayed, :completed, :failed   sorted sets
 *     <prefix>:<queue>:priority      sorted set: the priorities of the jobs in wait (an index;
 *                                    prioritized jobs wait in `wait`, inserted by priority)
 *     <prefix>:<queue>:meta-paused   string, while the queue is paused (jobs then wait in `paused`)
 *     <prefix>:<queue>:id            string: the job id counter
 *     <prefix>:<queue>:<id>          hash: the job (name, data, opts, timestamp, delay, priority, …)
 *     <prefix>:<queue>:<id>:lock     string, while a worker holds the job
 *
 * but Bull writes no events stream (its events go through pub/sub), so it cannot be found the way
 * BullMQ is. A queue is found among the lists the list-queue walk met (no walk of its own): one
 * named `<prefix>:<queue>:wait`, `:active` or `:paused` whose `<prefix>:<queue>:id` counter is a
 * string, and which is not a BullMQ queue (no `events` stream with a `meta` hash beside it; Bull
 * 4 writes `meta` too, only a paused field, "for forward compatibility").
 */
import type { RedisClient } from '../redis/connection';
import { BULL3_STATES, type BullQueueRef, type BullQueueSummary, bullQueue } from './bullmq';

export { BULL3_STATES };

/** The queue a list key names as its wait, active or paused list (`<prefix>:<name>:wait`), if it has that shape: a Bull candidate. */
export function bull3QueueOfListKey(key: string): BullQueueRef | undefined {
  const m = /^(.+):([^:]+):(?:wait|active|paused)$/s.exec(key);
  if (!m) return undefined;
  return { prefix: m[1]!, name: m[2]!, base: `${m[1]}:${m[2]}:`, legacy: true };
}

/**
 * The Bull 3/4 queues among list keys: those shaped as a queue's wait, active or paused list whose
 * `id` counter is a string and which are not BullMQ queues. One round trip of three TYPEs per
 * distinct queue, sent back to back; sorted by key.
 */
export async function findBull3Queues(client: RedisClient, listKeys: readonly string[]): Promise<BullQueueRef[]> {
  const byBase = new Map<string, BullQueueRef>();
  for (const k of listKeys) {
    const q = bull3QueueOfListKey(k);
    if (q && !byBase.has(q.base)) byBase.set(q.base, q);
  }
  const candidates = [...byBase.values()];
  if (!candidates.length) return [];
  const type = (k: string) => client.type(k).catch(() => 'none');
  const types = await Promise.all(candidates.map((q) => Promise.all([type(`${q.base}id`), type(`${q.base}events`), type(`${q.base}meta`)])));
  return candidates
    .filter((_, i) => {
      const [id, events, meta] = types[i]!;
      return id === 'string' && !(events === 'stream' && meta === 'hash');
    })
    .sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
}

/** The Bull 3/4 queues among list keys ({@link findBull3Queues}), each with its counts as Bull's Queue.getJobCounts() reports them ({@link bullQueue}). */
export async function bull3QueuesAmong(client: RedisClient, listKeys: readonly string[]): Promise<BullQueueSummary[]> {
  const found = await findBull3Queues(client, listKeys);
  return Promise.all(found.map((q) => bullQueue(client, q)));
}
