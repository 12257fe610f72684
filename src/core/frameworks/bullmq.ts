/**
 * BullMQ queues as BullMQ sees them, read straight from its documented key layout (read-only: no
 * script of BullMQ's is run, nothing is written):
 *
 *     <prefix>:<queue>:meta          hash: paused, version, opts…
 *     <prefix>:<queue>:events        stream: the queue's events (added, active, completed, failed…)
 *     <prefix>:<queue>:wait          list: waiting jobs (LPUSH; workers take from the right)
 *     <prefix>:<queue>:paused        list: waiting jobs while the queue is paused
 *     <prefix>:<queue>:active        list: jobs a worker holds
 *     <prefix>:<queue>:prioritized   sorted set: waiting jobs with a priority
 *     <prefix>:<queue>:delayed       sorted set: jobs waiting for their time
 *     <prefix>:<queue>:waiting-children, :completed, :failed   sorted sets
 *     <prefix>:<queue>:<id>          hash: the job (name, data, opts, progress, attemptsMade, …)
 *     <prefix>:<queue>:repeat        sorted set: job schedulers (and legacy repeatable jobs) by next run (ms)
 *     <prefix>:<queue>:repeat:<key>  hash: a scheduler (name, pattern or every, tz, limit, ic, data, opts…)
 *
 * A queue is found by its events stream (which the streams discovery walk already finds, so no
 * walk of its own) whose `meta` hash exists beside it. Queue names cannot hold `:` in BullMQ, so
 * the name is the last segment before `:events` and the prefix is what comes before it (`bull`
 * by default).
 */
import type { RedisClient } from '../redis/connection';
import type { FwJob } from './framework';

/** BullMQ's job states, as its own API names them (`waiting` is the `wait` list). */
export const BULL_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children', 'completed', 'failed'] as const;
export type BullState = (typeof BULL_STATES)[number];

/** The key of a state's list or sorted set (`waiting` → `wait`). */
function stateKey(q: BullQueueRef, state: BullState): string {
  return `${q.base}${state === 'waiting' ? 'wait' : state}`;
}
const LISTS: ReadonlySet<BullState> = new Set(['waiting', 'active', 'paused']);

/** The states of a legacy Bull 3/4 queue (npm `bull`), those its Queue.getJobCounts() counts, in BullMQ's order: BullMQ's less prioritized (Bull keeps prioritized jobs in `wait`) and waiting-children. */
export const BULL3_STATES = ['waiting', 'active', 'delayed', 'paused', 'completed', 'failed'] as const satisfies readonly BullState[];

export interface BullQueueRef {
  name: string;
  prefix: string;
  /** `<prefix>:<name>:`: every key of the queue starts so. */
  base: string;
  /** A legacy Bull 3/4 queue (npm `bull`, read by bull.ts), not a BullMQ one: its states are {@link BULL3_STATES}, its lists hold no markers, `meta-paused` says it is paused. */
  legacy?: true;
}

/** The states a queue has: BullMQ's, or a legacy Bull queue's. */
export function bullStatesOf(q: BullQueueRef): readonly BullState[] {
  return q.legacy ? BULL3_STATES : BULL_STATES;
}

/** The queue a key names as its events stream (`<prefix>:<name>:events`), if it has that shape. */
export function bullQueueOfEventsKey(key: string): BullQueueRef | undefined {
  const m = /^(.+):([^:]+):events$/s.exec(key);
  if (!m) return undefined;
  return { prefix: m[1]!, name: m[2]!, base: `${m[1]}:${m[2]}:` };
}

/** The BullMQ queues among stream keys: those shaped as a queue's events stream with its `meta` hash beside it (one pipelined TYPE each). */
export async function findBullQueues(client: RedisClient, streamKeys: readonly string[]): Promise<BullQueueRef[]> {
  const candidates = streamKeys.map(bullQueueOfEventsKey).filter((q): q is BullQueueRef => q !== undefined);
  if (!candidates.length) return [];
  const types = await Promise.all(candidates.map((q) => client.type(`${q.base}meta`).catch(() => 'none')));
  return candidates.filter((_, i) => types[i] === 'hash').sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
}

export interface BullQueueSummary extends BullQueueRef {
  /** Jobs per state, as BullMQ's (or Bull's) Queue.getJobCounts() counts them; 0 for a state the queue does not have. */
  counts: Record<BullState, number>;
  paused: boolean;
  /** The BullMQ version that last wrote the queue's meta (`bullmq:5.x`), when it says. */
  version?: string;
  /**
   * Active jobs whose lock is gone (`<base><id>:lock` expired: their worker stopped renewing it, it
   * is gone or stuck), among the {@link STALLED_CHECKED} oldest active ones. BullMQ's stalled
   * checker (in its workers) moves them back to waiting, or fails them after too many stalls.
   */
  stalled: string[];
  /** When the oldest active job started (processedOn, ms), if any. */
  oldestActiveAt?: number;
  /** When the job a worker takes next was added (timestamp, ms), if any waits. */
  oldestWaitingAt?: number;
  /** Job schedulers and legacy repeatable jobs (ZCARD of `repeat`), as Queue.getJobSchedulersCount() counts them. */
  schedulers: number;
}

/** How many of the oldest active jobs are checked for a lock. */
export const STALLED_CHECKED = 100;

/** A BullMQ waiting or paused list may end with a v4 marker (`0:<ms>`), which is not a job (Bull 3/4 writes none: there `0:x` is a custom job id). */
const isMarker = (q: BullQueueRef, v: string | null) => !q.legacy && typeof v === 'string' && v.startsWith('0:');

/**
 * A queue's counts per state, whether it is paused, its stalled active jobs and the times of its
 * oldest active and waiting jobs, its job schedulers: two round trips of small reads (LLEN, ZCARD,
 * LRANGE of the oldest active ids, EXISTS of their locks, HGET of two stamps), no script.
 */
export async function bullQueue(client: RedisClient, q: BullQueueRef): Promise<BullQueueSummary> {
  const states = bullStatesOf(q);
  const [counts, markers, meta, active, schedulers, metaPaused] = await Promise.all([
    Promise.all(states.map((s) => (LISTS.has(s) ? client.llen(stateKey(q, s)) : client.zcard(stateKey(q, s))))),
    Promise.all((['waiting', 'paused'] as const).map((s) => client.lindex(stateKey(q, s), -1))),
    client.hmget(`${q.base}meta`, 'paused', 'version'),
    // The oldest active jobs are at the right end (workers LMOVE from wait's right to active's left).
    client.lrange(stateKey(q, 'active'), -STALLED_CHECKED, -1),
    client.zcard(`${q.base}repeat`),
    q.legacy ? client.exists(`${q.base}meta-paused`) : Promise.resolve(0),
  ]);
  const out = Object.fromEntries(BULL_STATES.map((s) => [s, 0])) as Record<BullState, number>;
  states.forEach((s, i) => (out[s] = counts[i]!));
  // As BullMQ counts: a trailing marker is not a job.
  if (isMarker(q, markers[0]!)) out.waiting = Math.max(0, out.waiting - 1);
  if (isMarker(q, markers[1]!)) out.paused = Math.max(0, out.paused - 1);
  const next = [markers[0], markers[1]].find((x): x is string => typeof x === 'string' && !isMarker(q, x));
  const oldestActive = active.at(-1);
  const [locks, activeAt, waitingAt] = await Promise.all([
    Promise.all(active.map((id) => client.exists(`${q.base}${id}:lock`))),
    oldestActive ? client.hget(`${q.base}${oldestActive}`, 'processedOn') : Promise.resolve(null),
    next ? client.hget(`${q.base}${next}`, 'timestamp') : Promise.resolve(null),
  ]);
  const stalled = active.filter((_, i) => locks[i] === 0).reverse();
  return {
    ...q,
    counts: out,
    // Bull's isPaused(): its meta-paused key, or (forward compatibility) a paused field in meta.
    paused: q.legacy ? metaPaused > 0 || meta[0] !== null : meta[0] === '1',
    ...(meta[1] ? { version: meta[1] } : {}),
    stalled,
    schedulers,
    ...(int(activeAt ?? undefined) !== undefined ? { oldestActiveAt: int(activeAt!)! } : {}),
    ...(int(waitingAt ?? undefined) !== undefined ? { oldestWaitingAt: int(waitingAt!)! } : {}),
  };
}

/** One job, as its hash holds it (texts as stored: `data`, `opts` and `returnvalue` are JSON). */
export interface BullJob {
  id: string;
  /** Null when its hash is gone (removed while listed). */
  name: string | null;
  data?: string;
  opts?: string;
  progress?: string;
  attemptsMade: number;
  failedReason?: string;
  /** Stack traces of its failures, newest last. */
  stacktrace: string[];
  returnvalue?: string;
  /** When it was added, ms. */
  timestamp?: number;
  processedOn?: number;
  finishedOn?: number;
  delay?: number;
  priority?: number;
  /** An active job whose lock is gone: stalled (see {@link BullQueueSummary.stalled}). */
  stalled?: boolean;
}

function int(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : undefined;
}

/** A job's fields from its hash (HGETALL), BullMQ's names read as Job.fromJSON reads them. */
export function bullJobOf(id: string, h: Record<string, string>): BullJob {
  if (!Object.keys(h).length) return { id, name: null, attemptsMade: 0, stacktrace: [] };
  let stacktrace: string[] = [];
  try {
    const t = h['stacktrace'] ? (JSON.parse(h['stacktrace']) as unknown) : [];
    stacktrace = Array.isArray(t) ? t.map(String) : [];
  } catch {
    stacktrace = [h['stacktrace']!];
  }
  return {
    id,
    name: h['name'] ?? '',
    data: h['data'],
    opts: h['opts'],
    progress: h['progress'],
    attemptsMade: int(h['attemptsMade'] ?? h['atm']) ?? 0,
    failedReason: h['failedReason'] || undefined,
    stacktrace,
    returnvalue: h['returnvalue'],
    timestamp: int(h['timestamp']),
    processedOn: int(h['processedOn']),
    finishedOn: int(h['finishedOn']),
    delay: int(h['delay']),
    priority: int(h['priority']),
  };
}

/**
 * A page of a state's jobs, in the order that tells most: waiting and paused with the job a
 * worker takes next first, active oldest first, delayed and prioritized soonest first, completed
 * and failed newest first (for a legacy Bull queue, the order of Bull's own getWaiting,
 * getActive, getDelayed, getCompleted, getFailed). Their hashes are read in the same round trip.
 * Bounded by `count`.
 */
export async function bullJobs(client: RedisClient, q: BullQueueRef, state: BullState, { start = 0, count = 100 }: { start?: number; count?: number } = {}): Promise<{ jobs: BullJob[]; total: number }> {
  const key = stateKey(q, state);
  const end = start + count - 1;
  let ids: string[];
  let total: number;
  if (LISTS.has(state)) {
    // Workers take from the right end: read from there, next first.
    [ids, total] = await Promise.all([client.lrange(key, -(end + 1), -(start + 1)).then((x) => x.reverse()), client.llen(key)]);
    if (state !== 'active' && ids.length && isMarker(q, ids[0]!)) {
      ids = ids.slice(1);
      total = Math.max(0, total - 1);
    }
  } else {
    const newestFirst = state === 'completed' || state === 'failed';
    [ids, total] = await Promise.all([newestFirst ? client.zrevrange(key, String(start), String(end)) : client.zrange(key, String(start), String(end)), client.zcard(key)]);
  }
  const [hashes, locks] = await Promise.all([
    Promise.all(ids.map((id) => client.hgetall(`${q.base}${id}`))),
    state === 'active' ? Promise.all(ids.map((id) => client.exists(`${q.base}${id}:lock`))) : Promise.resolve([]),
  ]);
  return { jobs: ids.map((id, i) => ({ ...bullJobOf(id, hashes[i] ?? {}), ...(state === 'active' ? { stalled: locks[i] === 0 } : {}) })), total };
}

/**
 * A BullMQ (or Bull) job in the frameworks' one job shape (what Find Jobs and Export Jobs read):
 * its name, data as stored, failed reason and last stack trace, times, attempts, and the rest
 * (options, progress, return value, priority) as details.
 */
export function bullFwJob(j: BullJob, state: BullState): FwJob {
  const details: Array<[string, string]> = [];
  if (j.opts !== undefined) details.push(['options', j.opts]);
  if (j.progress !== undefined) details.push(['progress', j.progress]);
  if (j.returnvalue !== undefined) details.push(['returned', j.returnvalue]);
  if (j.priority) details.push(['priority', String(j.priority)]);
  if (j.stalled) details.push(['stalled', 'its lock is gone']);
  if (j.stacktrace.length > 1) details.push(['earlier stack traces', j.stacktrace.slice(0, -1).join('\n---\n')]);
  return {
    id: j.id,
    title: j.name,
    ...(j.data !== undefined ? { args: j.data } : {}),
    ...(j.failedReason !== undefined ? { error: j.failedReason } : {}),
    ...(j.stacktrace.length ? { trace: j.stacktrace.at(-1)! } : {}),
    ...(j.timestamp !== undefined ? { enqueuedAt: j.timestamp } : {}),
    ...(j.processedOn !== undefined ? { startedAt: j.processedOn } : {}),
    ...(j.finishedOn !== undefined ? { endedAt: j.finishedOn } : {}),
    ...(state === 'delayed' && j.timestamp !== undefined && j.delay !== undefined ? { dueAt: j.timestamp + j.delay } : {}),
    ...(j.attemptsMade ? { failures: j.attemptsMade } : {}),
    details,
  };
}

/** The pages of a BullMQ (or Bull) queue's jobs in `state`, in the frameworks' job shape. */
export function bullJobPages(client: RedisClient, q: BullQueueRef, state: BullState): (start: number, count: number) => Promise<{ jobs: FwJob[]; total: number }> {
  return async (start, count) => {
    const { jobs, total } = await bullJobs(client, q, state, { start, count });
    return { jobs: jobs.map((j) => bullFwJob(j, state)), total };
  };
}

/** The BullMQ queues among stream keys ({@link findBullQueues}), each with its counts ({@link bullQueue}). */
export async function bullQueuesAmong(client: RedisClient, streamKeys: readonly string[]): Promise<BullQueueSummary[]> {
  const found = await findBullQueues(client, streamKeys);
  return Promise.all(found.map((q) => bullQueue(client, q)));
}

/**
 * A job scheduler (Queue.upsertJobScheduler) or a legacy repeatable job (queue.add with `repeat`),
 * as its `repeat:<key>` hash holds it; the names are those of BullMQ's getJobSchedulers().
 */
export interface BullScheduler {
  /** Its member of the `repeat` set: the scheduler id, or a legacy repeatable job's key (an md5 hash; before BullMQ 3, `name:jobId:endDate:tz:pattern-or-every`). */
  key: string;
  /** The name of the jobs it makes; null when its hash is gone (removed while listed). */
  name: string | null;
  /** When it runs next (ms): its score in the `repeat` set. */
  next: number;
  /** Made by queue.add(…, { repeat }) (deprecated): its hash has no iteration count, BullMQ's own test (isJobScheduler). */
  legacy: boolean;
  /** A cron expression. */
  pattern?: string;
  /** An interval, ms. */
  every?: number;
  tz?: string;
  /** How many jobs it has made (`ic`). */
  iterationCount?: number;
  limit?: number;
  startDate?: number;
  endDate?: number;
  offset?: number;
  /** The template's data and options, as stored (JSON; options under BullMQ's short names). */
  data?: string;
  opts?: string;
  /** A pre-3.0 key's custom job id. */
  jobId?: string;
}

/** The `repeat` member and hash of a scheduler read as BullMQ's transformSchedulerData reads them. */
export function bullSchedulerOf(key: string, next: number, h: Record<string, string>): BullScheduler {
  if (!Object.keys(h).length) {
    if (!key.includes(':')) return { key, name: null, next, legacy: false };
    // A pre-3.0 repeatable job keeps everything in its key (BullMQ's keyToData); its last part is
    // a cron pattern, or an interval when only digits (a cron expression never is).
    const p = key.split(':');
    const last = p.slice(4).join(':');
    return {
      key,
      name: p[0]!,
      next,
      legacy: true,
      ...(p[1] ? { jobId: p[1] } : {}),
      ...(int(p[2]) ? { endDate: int(p[2])! } : {}),
      ...(p[3] ? { tz: p[3] } : {}),
      ...(/^\d+$/.test(last) ? { every: int(last)! } : last ? { pattern: last } : {}),
    };
  }
  const num = (f: string) => (h[f] ? int(h[f]) : undefined);
  const s: BullScheduler = { key, name: h['name'] ?? '', next, legacy: h['ic'] === undefined };
  const fields: [keyof BullScheduler, number | string | undefined][] = [
    ['pattern', h['pattern'] || undefined],
    ['every', num('every')],
    ['tz', h['tz'] || undefined],
    ['iterationCount', num('ic')],
    ['limit', num('limit')],
    ['startDate', num('startDate')],
    ['endDate', num('endDate')],
    ['offset', num('offset')],
    ['data', h['data']],
    ['opts', h['opts']],
  ];
  for (const [f, v] of fields) if (v !== undefined) (s as unknown as Record<string, unknown>)[f] = v;
  return s;
}

/**
 * A page of a queue's job schedulers, the next to run first (Queue.getJobSchedulers(start, end,
 * true); BullMQ's default order is the reverse): one ZRANGE WITHSCORES, then their hashes in one
 * round trip. Bounded by `count`.
 */
export async function bullSchedulers(client: RedisClient, q: BullQueueRef, { start = 0, count = 100 }: { start?: number; count?: number } = {}): Promise<{ schedulers: BullScheduler[]; total: number }> {
  const key = `${q.base}repeat`;
  const [flat, total] = await Promise.all([client.zrange(key, String(start), String(start + count - 1), 'WITHSCORES'), client.zcard(key)]);
  const members: [string, number][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) members.push([flat[i]!, Number(flat[i + 1])]);
  const hashes = await Promise.all(members.map(([m]) => client.hgetall(`${key}:${m}`)));
  return { schedulers: members.map(([m, next], i) => bullSchedulerOf(m, next, hashes[i] ?? {})), total };
}
