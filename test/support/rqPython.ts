// RQ driven through its own Python API for the tests (test/fixtures/frameworks/rq/*.py run with
// Debian's /usr/bin/python3, which has python3-rq): its report of a queue, failed jobs made by its
// worker, a burst worker run.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);
export const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'frameworks', 'rq');
export const PY = '/usr/bin/python3';

export interface Report {
  counts: Record<string, number>;
  ids: Record<string, string[]>;
  jobs: Record<string, null | { description: string; func_name: string; status: string; origin: string; created_at: number; enqueued_at: number | null; started_at: number | null; ended_at: number | null; exc_info: string | null }>;
  workers: string[];
}
/** What RQ's own API reports (report.py): counts, ids per state, jobs. */
export async function rqReport(url: string, queue: string, ids: string[] = []): Promise<Report> {
  const { stdout } = await run(PY, [join(FIXTURES, 'report.py'), url, queue, ...ids], { maxBuffer: 16 << 20 });
  return JSON.parse(stdout) as Report;
}
/** `n` jobs failed by RQ's own worker (failed.py); they succeed when run again. */
export async function rqFailed(url: string, queue: string, n: number): Promise<string[]> {
  const { stdout } = await run(PY, [join(FIXTURES, 'failed.py'), url, queue, String(n)], { maxBuffer: 16 << 20 });
  return (JSON.parse(stdout) as { ids: string[] }).ids;
}
/** A real RQ SimpleWorker in burst mode on `queue`: runs what is queued, then exits. */
export async function rqBurst(url: string, queue: string): Promise<void> {
  await run(PY, [join(FIXTURES, 'worker.py'), url, queue, 'burst'], { maxBuffer: 16 << 20 });
}

