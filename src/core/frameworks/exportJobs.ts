/**
 * Export a framework's jobs: one state of a row (Sidekiq's Dead, RQ's failed jobs of `emails`) to
 * NDJSON, one job per line as the explorer reads it (id, what it runs, arguments, error and trace,
 * times in ms, failures, details in order) and, where the reader keeps it, the entry exactly as
 * stored (Sidekiq's JSON member byte for byte: text when it is UTF-8, else `{"base64"}`). A header
 * line first says what was exported. Read-only; page by page ({@link walkJobs}), a job read twice
 * as the state moves is written once; bounded by `maxJobs`; cancellable.
 *
 * The file is for reading and tools (jq, a notebook), not for import: a framework's job is not a
 * stream message, and its state changes are the framework's own actions.
 */
import type { Writable } from 'node:stream';
import type { RedisClient } from '../redis/connection';
import type { FrameworkReader, FwJob, FwRow } from './framework';
import { type JobPage, type JobWalk, readerPages, walkJobs } from './findJobs';

/** The header line's key: `{"redis-queues-jobs": {...}}`. */
export const JOBS_EXPORT_HEADER_KEY = 'redis-queues-jobs';

/** Bytes as JSON: the text when they are valid UTF-8, else `{ base64 }`. */
function bytesJson(b: Buffer): string | { base64: string } {
  const text = b.toString('utf8');
  return Buffer.from(text, 'utf8').equals(b) ? text : { base64: b.toString('base64') };
}

/** A job as one line of the export (plain JSON; fields the job does not have are left out). */
export function jobLine(j: FwJob): Record<string, unknown> {
  const { entry, details, ...rest } = j;
  return {
    ...rest,
    details: details.map(([k, v]) => [k, v]),
    ...(entry ? { entry: { member: bytesJson(entry.member), ...(entry.score !== undefined ? { score: entry.score } : {}) } } : {}),
  };
}

export interface ExportJobsOptions {
  /** Jobs read at most (default: all of them). */
  maxJobs?: number;
  /** Jobs read per round trip (default 500). */
  pageSize?: number;
  signal?: AbortSignal;
  /** After each page written. */
  onProgress?(p: { written: number; bytes: number }): void;
  /** Said in the header line besides the row and the state (the framework, the connection…). */
  header?: Record<string, unknown>;
}

export interface ExportJobsResult extends JobWalk {
  written: number;
  bytes: number;
}

/** What an export reads: the pages of one state's jobs, and what the header line says of them. */
export interface JobSource {
  page: JobPage;
  /** The framework, the queue or set, the state: said in the header line. */
  describe: Record<string, unknown>;
}

/** A framework row's state as an export's source (RQ, Sidekiq, Celery). */
export function frameworkJobSource(reader: FrameworkReader, client: RedisClient, row: FwRow, state: string): JobSource {
  return { page: readerPages(reader, client, row, state), describe: describeState(row, state) };
}

/** What an export's header says of a framework row's state. */
export function describeState(row: FwRow, state: string): Record<string, unknown> {
  return { framework: row.framework, [row.kind]: row.name, key: row.key, state, stateLabel: row.states.find((s) => s.state === state)?.label ?? state };
}

/** Writes the jobs of `source` to `out` (NDJSON: the header line, then a line per job). Does not end `out`. */
export async function exportJobs(source: JobSource, out: Writable, o: ExportJobsOptions = {}): Promise<ExportJobsResult> {
  let bytes = 0;
  let written = 0;
  const write = async (line: string) => {
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await new Promise<void>((resolve, reject) => {
      const done = (e?: Error) => {
        out.off('drain', done);
        out.off('error', done);
        if (e) reject(e);
        else resolve();
      };
      out.once('drain', done);
      out.once('error', done);
    });
  };
  await write(`${JSON.stringify({ [JOBS_EXPORT_HEADER_KEY]: { ...o.header, ...source.describe, exportedAt: new Date().toISOString() } })}\n`);
  const pageSize = o.pageSize ?? 500;
  const w = await walkJobs(source.page, { maxJobs: o.maxJobs ?? Number.MAX_SAFE_INTEGER, pageSize, signal: o.signal }, async (j) => {
    await write(`${JSON.stringify(jobLine(j))}\n`);
    written++;
    if (written % pageSize === 0) o.onProgress?.({ written, bytes });
  });
  o.onProgress?.({ written, bytes });
  return { ...w, written, bytes };
}
