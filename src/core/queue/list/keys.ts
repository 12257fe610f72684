/** Key naming of a list queue: its waiting, processing and dead lists, job hashes and stamps, and the job hash's bookkeeping fields. */
import { showName } from '../../redis/names';

/** Keys of one list-based queue (the seeds' pattern: a waiting list of ids, one hash per job). */
export interface ListQueueKeys {
  /** The waiting list: the queue name itself by default (producers LPUSH, workers BLMOVE RIGHT → LEFT). */
  waiting: string;
  /** Ids taken by a worker and not yet acknowledged: `<queue>:processing` by default. */
  processing: string;
  /** Ids of dead-lettered jobs: `<queue>:dead` by default (their hashes are kept, with the last error). */
  dead: string;
  /**
   * Sorted set id → started-at (server time, ms): `<queue>:started` by default; read by the
   * reaper. When {@link stamps} is false the layout keeps no such set and nothing reads or writes
   * this name (it is still filled in, with the default, so that it is always a string).
   */
  started: string;
  /** False when the layout keeps no started-at stamps (`started: null`): how long a job has run is then unknown. */
  stamps: boolean;
  /** Prefix of the job hashes; `<queue>:job:` by default. */
  jobPrefix: string;
  /**
   * The hash holding job `id`'s payload and bookkeeping fields. Names are in the shown form of
   * `names.ts` and `id` is a plain value: a backslash in it is escaped, so it reaches `<prefix><id>`.
   */
  job(id: string): string;
}

/**
 * Where a list queue keeps its keys, for queues brought in their own layout (e.g. the seeds'
 * `email_queue` + `email_queue:processing` + `job:<id>`, without started-at stamps). Every field
 * is optional and overrides one default name; `{}` is this project's own layout.
 */
export interface ListQueueLayout {
  /** The waiting list. Default: the queue name. */
  waiting?: string;
  /** The processing list. Default `<queue>:processing`. */
  processing?: string;
  /** The dead-letter list. Default `<queue>:dead`. */
  dead?: string;
  /**
   * The started-at sorted set (id → ms). Default `<queue>:started`. `null`: the layout keeps no
   * stamps (its workers do not write them), so nobody can tell how long a job has been running.
   */
  started?: string | null;
  /**
   * Prefix of the job hashes (`<prefix><id>`). Default `<queue>:job:` so that, when the queue name
   * carries a Cluster hash tag (`{emails}`), the job hashes share the slot of the lists and every
   * script stays single-slot. A custom prefix like the seeds' `job:` (or custom list names) works
   * on a standalone server only, unless every name carries the same hash tag.
   */
  jobPrefix?: string;
}

/** Options naming a list queue's keys: the layout's fields (kept as a name of its own for compatibility). */
export type ListQueueKeyOptions = ListQueueLayout;

/** The key names of list queue `queue` in `layout` (default: this project's own layout). */
export function listQueueKeys(queue: string, layout: ListQueueLayout = {}): ListQueueKeys {
  const jobPrefix = layout.jobPrefix ?? `${queue}:job:`;
  return {
    waiting: layout.waiting ?? queue,
    processing: layout.processing ?? `${queue}:processing`,
    dead: layout.dead ?? `${queue}:dead`,
    started: layout.started ?? `${queue}:started`,
    stamps: layout.started !== null,
    jobPrefix,
    job: (id: string) => `${jobPrefix}${showName(id)}`,
  };
}

/**
 * Only the layout fields of `o` (which may be, e.g., producer or worker options), dropping
 * undefined ones: a plain object fit for caching, comparing and JSON.
 */
export function pickListQueueLayout(o: ListQueueLayout | undefined | null): ListQueueLayout {
  const out: ListQueueLayout = {};
  if (!o) return out;
  for (const f of ['waiting', 'processing', 'dead', 'jobPrefix'] as const) if (typeof o[f] === 'string') out[f] = o[f];
  if (o.started === null || typeof o.started === 'string') out.started = o.started;
  return out;
}

/** Bookkeeping fields the list queue keeps in each job hash; payload fields may not start with `__`. */
export const JOB_FIELDS = {
  attempts: '__attempts',
  createdAt: '__createdAt',
  lastError: '__lastError',
  deadAt: '__deadAt',
} as const;
