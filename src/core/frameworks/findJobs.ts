/**
 * Find a framework's jobs by a value: the jobs of one state of a row (RQ's failed jobs of
 * `emails`, Sidekiq's Retries), read page by page in the state's order through the framework's
 * reader, each matched on its id, title, arguments, error and details. Read-only and bounded: at
 * most `maxJobs` jobs examined, `pageSize` a page; it says how far it got.
 */
import type { RedisClient } from '../redis/connection';
import type { FrameworkReader, FwJob, FwRow } from './framework';

export interface FindJobsOptions {
  /** Jobs examined at most (default 10,000). */
  maxJobs?: number;
  /** Jobs read per round trip (default 200). */
  pageSize?: number;
  /** Matches returned at most (default 100). */
  limit?: number;
  signal?: AbortSignal;
}

export interface FindJobsResult {
  hits: FwJob[];
  /** Jobs looked at. */
  examined: number;
  /** Jobs in the state when the walk started (its first page's total). */
  total: number;
  /** Why it stopped: the end of the state, the limit of matches, the budget of jobs, or a cancel. */
  stopped: 'end' | 'limit' | 'budget' | 'cancelled';
}

/** The texts of a job that a search looks in. */
export function jobTexts(j: FwJob): string[] {
  return [j.id, j.title ?? '', j.args ?? '', j.error ?? '', j.queue ?? '', ...j.details.map(([, v]) => v)];
}

/** Whether a job holds `text` (case-insensitive) in its id, title, arguments, error, queue or details. */
export function jobMatches(j: FwJob, text: string): boolean {
  const t = text.toLowerCase();
  return jobTexts(j).some((x) => x.toLowerCase().includes(t));
}

/** How a walk over a state's jobs ended (see {@link walkJobs}). */
export interface JobWalk {
  /** Jobs looked at (those read twice included). */
  examined: number;
  /** Jobs in the state when the walk started (its first page's total). */
  total: number;
  /** Jobs read again on a later page (the state moved under the walk): handed over once. */
  repeated: number;
  stopped: 'end' | 'stop' | 'budget' | 'cancelled';
}

/** A page of a state's jobs in its order, from `start` (a framework's reader, BullMQ's). */
export type JobPage = (start: number, count: number) => Promise<{ jobs: FwJob[]; total: number }>;

/** The pages of `row`'s jobs in `state`, through the framework's reader. */
export function readerPages(reader: FrameworkReader, client: RedisClient, row: FwRow, state: string): JobPage {
  return (start, count) => reader.jobs(client, row, state, { start, count });
}

/**
 * Each job of a state, in the state's order, page by page (a framework's reader: {@link readerPages}),
 * handed to `onJob` once (by id) until it returns `'stop'`, at most `maxJobs` examined. Jobs that
 * move while the walk goes (a page boundary shifting as a queue is consumed) may be read twice
 * (handed over once, counted in `repeated`) or missed: the walk is what the pages held when read.
 */
export async function walkJobs(page: JobPage, o: { maxJobs?: number; pageSize?: number; signal?: AbortSignal }, onJob: (j: FwJob) => 'stop' | void | Promise<'stop' | void>): Promise<JobWalk> {
  const maxJobs = Math.max(1, o.maxJobs ?? 10_000);
  const pageSize = Math.max(1, Math.min(o.pageSize ?? 200, 1000));
  const seen = new Set<string>();
  const w: JobWalk = { examined: 0, total: -1, repeated: 0, stopped: 'end' };
  const done = (stopped: JobWalk['stopped']) => ({ ...w, total: Math.max(w.total, 0), stopped });
  for (let start = 0; ; start += pageSize) {
    if (o.signal?.aborted) return done('cancelled');
    const count = Math.min(pageSize, maxJobs - w.examined);
    const p = await page(start, count);
    if (w.total < 0) w.total = p.total;
    for (const j of p.jobs) {
      w.examined++;
      if (seen.has(j.id)) {
        w.repeated++;
        continue;
      }
      seen.add(j.id);
      if ((await onJob(j)) === 'stop') return done('stop');
    }
    if (p.jobs.length < count || start + p.jobs.length >= p.total) return done('end');
    if (w.examined >= maxJobs) return done('budget');
  }
}

/**
 * The jobs of `row` in `state` that hold `text`, in the state's order ({@link walkJobs}: read
 * twice, handed over once).
 */
export async function findJobs(reader: FrameworkReader, client: RedisClient, row: FwRow, state: string, text: string, o: FindJobsOptions = {}): Promise<FindJobsResult> {
  return findJobsIn(readerPages(reader, client, row, state), text, o);
}

/** As {@link findJobs}, over any state's pages (BullMQ's: `bullJobPages`). */
export async function findJobsIn(page: JobPage, text: string, o: FindJobsOptions = {}): Promise<FindJobsResult> {
  const limit = Math.max(1, o.limit ?? 100);
  const hits: FwJob[] = [];
  const w = await walkJobs(page, o, (j) => {
    if (!jobMatches(j, text)) return;
    hits.push(j);
    return hits.length >= limit ? 'stop' : undefined;
  });
  return { hits, examined: w.examined, total: w.total, stopped: w.stopped === 'stop' ? 'limit' : w.stopped };
}
