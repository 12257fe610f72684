/**
 * Find a framework's jobs by a value: the jobs of one state of a row (RQ's failed jobs of
 * `emails`, Sidekiq's Retries), read page by page in the state's order through the framework's
 * reader, each matched on its id, title, arguments, error and details. Read-only and bounded: at
 * most `maxJobs` jobs examined, `pageSize` a page; it says how far it got.
 */
import type { RedisClient } from '../connection';
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

/**
 * The jobs of `row` in `state` that hold `text`, in the state's order. Jobs that move while the
 * walk goes (a page boundary shifting as a queue is consumed) may be seen twice or missed: the
 * result is what the pages held when read, deduplicated by id.
 */
export async function findJobs(reader: FrameworkReader, client: RedisClient, row: FwRow, state: string, text: string, o: FindJobsOptions = {}): Promise<FindJobsResult> {
  const maxJobs = Math.max(1, o.maxJobs ?? 10_000);
  const pageSize = Math.max(1, Math.min(o.pageSize ?? 200, 1000));
  const limit = Math.max(1, o.limit ?? 100);
  const seen = new Set<string>();
  const hits: FwJob[] = [];
  let examined = 0;
  let total = -1;
  for (let start = 0; ; start += pageSize) {
    if (o.signal?.aborted) return { hits, examined, total: Math.max(total, 0), stopped: 'cancelled' };
    const count = Math.min(pageSize, maxJobs - examined);
    const page = await reader.jobs(client, row, state, { start, count });
    if (total < 0) total = page.total;
    for (const j of page.jobs) {
      examined++;
      if (seen.has(j.id)) continue;
      seen.add(j.id);
      if (jobMatches(j, text)) {
        hits.push(j);
        if (hits.length >= limit) return { hits, examined, total, stopped: 'limit' };
      }
    }
    if (page.jobs.length < count || start + page.jobs.length >= page.total) return { hits, examined, total, stopped: 'end' };
    if (examined >= maxJobs) return { hits, examined, total, stopped: 'budget' };
  }
}
