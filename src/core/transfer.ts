/**
 * Export and import of stream messages as NDJSON: selected entries, a search's results, a time
 * range or a whole (dead-letter) stream to a file, and back into a stream, byte for byte.
 *
 * The format, one JSON document per line (UTF-8, `\n` between lines):
 *
 * - optionally first, a header: `{"redis-queues-export": 1, "stream": "orders", "exportedAt":
 *   "2024-05-01T10:00:00.000Z", "query": {...}}` (`query`: what was exported, free-form).
 *   Import recognises a line with the key `redis-queues-export` wherever it is and skips it
 *   (so exports can be concatenated); a version above 1 is refused.
 * - then one message per line: `{"id": "1700000000000-0", "pairs": [[name, value], ...]}`, the
 *   lossless JSON form of message.ts ({@link toJsonPairs}): pairs in order, repeated names kept,
 *   a name or value that is not valid UTF-8 as `{"base64": "..."}`.
 *
 * Import also takes lines with more keys (`fields`, `stream`, `time`, ...: ignored), so the output
 * of `redis-queues tail --json` and copy-as-JSON ({@link messageObject}) imports as it is, and a
 * bare `[[name, value], ...]` array (a message without an id). A JSON value may also span lines
 * (pretty-printed, as copy-as-JSON writes it): a line that opens a value and does not close it is
 * read on until the value closes (at most 64 MB). Blank lines are skipped; `\r\n` line ends and
 * a leading byte-order mark are accepted. `fields` is never read: it is a lossy view.
 *
 * Every Redis call is small: XRANGE pages sized to about 1 MB (at most 1,000 entries), XADDs
 * pipelined in batches bounded by count and bytes, each XADD a single atomic command. Single-key
 * commands only, so everything works on a Cluster.
 */
import { isUtf8 } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { type RedisClient } from './connection';
import { BadIdError, BadInputError, ReadOnlyError, WrongTypeError, printable, toQueueError } from './errors';
import { compareIds, nextId, parseId, previousId } from './ids';
import { type RawFields, fromJsonPairs, toJsonPairs } from './message';
import { type Fields, type StreamEntry, parseEntries, parseFields, parseRawFields } from './replies';
import { xinfoStream } from './commands';
import { XADD_BATCH } from './queue/stream/scripts';
import { evalScriptArgv, isPermanentScriptRefusal, withoutScriptNoise } from './queue/lua';

/** Field arguments (names and values) of one message that the batch script takes; larger messages go by plain XADD. */
const MAX_SCRIPT_FIELD_ARGS = 4000;

/** The key that marks an export's header line, and the format version written. */
export const EXPORT_HEADER_KEY = 'redis-queues-export';
export const EXPORT_FORMAT_VERSION = 1;

const U64_MAX = '18446744073709551615';

// ------------------------------------------------------------------------------------- export

/** What an export has written so far. */
export interface ExportProgress {
  /** Messages written. */
  written: number;
  /** Bytes written (UTF-8), header included. */
  bytes: number;
}

export interface ExportResult extends ExportProgress {
  /** Entries of the source without a message (deleted, still named by a pending list): not written. */
  skipped: number;
  /** `signal` stopped the export before the source ended (everything counted was written). */
  aborted: boolean;
}

export interface ExportOptions {
  /** Stops after the message being written (the result says `aborted`). */
  signal?: AbortSignal;
  /** Called as data is handed to `out` (about every 64 KB) and once at the end. */
  onProgress?(p: ExportProgress): void;
  /** Writes a header line first (see the module comment): the stream and what was exported. */
  header?: { stream: string; query?: unknown; exportedAt?: Date };
}

/** One message as an export line (without the newline): `{"id": ..., "pairs": [...]}`. */
export function exportLine(e: { id: string; raw: RawFields }): string {
  return JSON.stringify({ id: e.id, pairs: toJsonPairs(e.raw) });
}

/** The header line of an export (without the newline). */
export function exportHeaderLine(h: { stream: string; query?: unknown; exportedAt?: Date }): string {
  const o: Record<string, unknown> = { [EXPORT_HEADER_KEY]: EXPORT_FORMAT_VERSION, stream: h.stream, exportedAt: (h.exportedAt ?? new Date()).toISOString() };
  if (h.query !== undefined) o['query'] = h.query;
  return JSON.stringify(o);
}

/** Bytes gathered before one write to the output. */
const WRITE_CHUNK = 64 * 1024;

/**
 * Writes messages as NDJSON lines to `out`, in the order the source gives them, honouring `out`'s
 * backpressure (waits for `drain`): memory stays flat whatever the size, as long as the source
 * pages (as {@link rangeEntries} does). Entries without a message (`raw: null`) are counted as
 * skipped. Does not end `out`. If the source or `out` fails, the lines gathered so far are handed
 * to `out` first (when it still takes them), then the error is thrown.
 */
export async function exportEntries(
  source: AsyncIterable<StreamEntry> | Iterable<StreamEntry>,
  out: NodeJS.WritableStream,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const { signal, onProgress, header } = options;
  let written = 0;
  let bytes = 0;
  let skipped = 0;
  let aborted = false;
  let parts: string[] = [];
  let pending = 0;
  let outError: unknown;
  const onError = (e: unknown) => (outError ??= e);
  out.on('error', onError);

  const flush = async () => {
    if (outError) throw outError;
    if (!parts.length) return;
    const chunk = Buffer.from(parts.join(''), 'utf8');
    parts = [];
    pending = 0;
    bytes += chunk.length;
    if (!out.write(chunk)) await drained(out, () => outError);
    if (outError) throw outError;
    onProgress?.({ written, bytes });
  };

  try {
    if (header) {
      parts.push(`${exportHeaderLine(header)}\n`);
      pending += parts[0]!.length;
    }
    for await (const e of source as AsyncIterable<StreamEntry>) {
      if (signal?.aborted) {
        aborted = true;
        break;
      }
      if (!e.raw) {
        skipped++;
        continue;
      }
      const line = `${exportLine({ id: e.id, raw: e.raw })}\n`;
      parts.push(line);
      pending += line.length;
      written++;
      if (pending >= WRITE_CHUNK) await flush();
    }
    if (signal?.aborted) aborted = true;
    await flush();
    onProgress?.({ written, bytes });
    return { written, bytes, skipped, aborted };
  } catch (e) {
    // Keep what was gathered: the file then holds every line counted before the failure.
    if (!outError && parts.length) {
      try {
        await flush();
      } catch {
        /* the first error is the one to report */
      }
    }
    throw e;
  } finally {
    out.off('error', onError);
  }
}

/** Resolves when `out` drains; rejects when it fails or closes first. */
function drained(out: NodeJS.WritableStream, failed: () => unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (e?: unknown) => {
      out.off('drain', onDrain);
      out.off('error', onErr);
      out.off('close', onClose);
      if (e) reject(e);
      else resolve();
    };
    const onDrain = () => done();
    const onErr = (e: unknown) => done(e);
    const onClose = () => done(failed() ?? new Error('The output was closed before the export ended'));
    out.on('drain', onDrain);
    out.on('error', onErr);
    out.on('close', onClose);
  });
}

// ------------------------------------------------------------------------------------- reading

export interface RangeOptions {
  /** First id (inclusive; `-` or omitted: the start; `<ms>` alone means `<ms>-0`). */
  from?: string;
  /** Last id (inclusive; `+` or omitted: the end; `<ms>` alone means every entry of that ms). */
  to?: string;
  /** Only entries added at or after this time (epoch ms, from the id). */
  since?: number;
  /** Only entries added before this time (epoch ms, exclusive: `since`/`until` ranges tile). */
  until?: number;
  /** `oldest` first (XRANGE, the default) or `newest` first (XREVRANGE). */
  direction?: 'oldest' | 'newest';
  /** At most this many entries. */
  count?: number;
  /**
   * Entries per XRANGE call. Default adaptive: starts at 1 and grows (×8 per page) up to 1,000
   * while each page stays about {@link RANGE_PAGE_BYTES}; shrinks at once when entries are large
   * (a page of 3 MB entries is one entry), so that each call costs the server little.
   */
  pageSize?: number;
  /** Stops before the next page (and between entries). */
  signal?: AbortSignal;
}

/** Bytes (values, names and a per-item allowance) an adaptive page aims at. */
export const RANGE_PAGE_BYTES = 1024 * 1024;
/** Most entries of one adaptive page. */
export const RANGE_MAX_PAGE = 1000;
/** What an element of a reply costs beyond its bytes (parsing, the reply's framing), counted as bytes. */
const PER_ITEM = 32;

function checkBound(id: string, what: string): void {
  try {
    parseId(id, { allowMsOnly: true });
  } catch (e) {
    throw new BadInputError(`${what}: ${(e as Error).message}`);
  }
}

function positive(n: number | undefined, what: string, min = 1): void {
  if (n !== undefined && (!Number.isSafeInteger(n) || n < min)) throw new BadInputError(`${what} must be a whole number of at least ${min} (got ${n})`);
}

/**
 * Entries of a stream between two ids and/or two times, in pages (exclusive continuation after
 * the last id of a page), oldest or newest first. Memory holds one page. Use it for a time range
 * or a whole stream (a dead-letter stream is a stream). Throws {@link WrongTypeError} for a key
 * that is not a stream; a missing key has no entries.
 */
export async function* rangeEntries(client: RedisClient, key: string, options: RangeOptions = {}): AsyncGenerator<StreamEntry> {
  const { from, to, since, until, direction = 'oldest', count, pageSize, signal } = options;
  if (direction !== 'oldest' && direction !== 'newest') throw new BadInputError('direction must be "oldest" or "newest"');
  positive(count, 'count', 0);
  positive(pageSize, 'pageSize');
  for (const [t, what] of [[since, 'since'], [until, 'until']] as const) {
    if (t !== undefined && (!Number.isFinite(t) || t < 0)) throw new BadInputError(`${what} must be a time in epoch milliseconds (got ${t})`);
  }
  let lo = '-';
  let hi = '+';
  if (from !== undefined && from !== '-') {
    checkBound(from, 'from');
    lo = from.trim();
  }
  if (to !== undefined && to !== '+') {
    checkBound(to, 'to');
    hi = /^\d+$/.test(to.trim()) ? `${to.trim()}-${U64_MAX}` : to.trim();
  }
  if (since !== undefined) {
    const s = `${Math.floor(since)}-0`;
    if (lo === '-' || compareIds(s, lo) > 0) lo = s;
  }
  if (until !== undefined) {
    if (Math.ceil(until) <= 0) return;
    const u = previousId(`${Math.ceil(until)}-0`);
    if (hi === '+' || compareIds(u, hi) < 0) hi = u;
  }
  if (lo !== '-' && hi !== '+' && compareIds(lo, hi) > 0) return;
  if (count === 0) return;

  let left = count ?? Infinity;
  let size = pageSize ?? 1;
  const newest = direction === 'newest';
  for (;;) {
    if (signal?.aborted) return;
    const n = Math.min(size, left);
    let reply: unknown;
    try {
      reply = newest ? await client.xrevrangeBuffer(key, hi, lo, 'COUNT', n) : await client.xrangeBuffer(key, lo, hi, 'COUNT', n);
    } catch (e) {
      throw typed(e, key, newest ? 'XREVRANGE' : 'XRANGE');
    }
    const entries = pageEntries(reply);
    let cost = 0;
    for (const e of entries) {
      if (signal?.aborted) return;
      if (!pageSize && e.raw) for (const b of e.raw) cost += b.length + PER_ITEM;
      yield e;
    }
    left -= entries.length;
    if (entries.length < n || left <= 0) return;
    const last = entries[entries.length - 1]!.id;
    try {
      if (newest) hi = previousId(last);
      else lo = nextId(last);
    } catch (e) {
      if (e instanceof BadIdError) return; // the first or the last id there can be
      throw e;
    }
    if (lo !== '-' && hi !== '+' && compareIds(lo, hi) > 0) return;
    if (!pageSize) {
      const perEntry = Math.max(1, cost / entries.length);
      size = Math.max(1, Math.min(RANGE_MAX_PAGE, size * 8, Math.floor(RANGE_PAGE_BYTES / perEntry)));
    }
  }
}

/**
 * An entry of a page whose `fields` view is built when first read (an export never reads it, and
 * building it costs about a fifth of an export's client CPU).
 */
class PagedEntry implements StreamEntry {
  #view: Fields | null | undefined;
  constructor(
    readonly id: string,
    readonly raw: RawFields | null,
  ) {}
  get fields(): Fields | null {
    if (this.#view === undefined) this.#view = parseFields(this.raw);
    return this.#view;
  }
}

/** XRANGE / XREVRANGE reply → entries with a lazy `fields` view (see {@link PagedEntry}). */
function pageEntries(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  const out: StreamEntry[] = [];
  for (const e of reply as unknown[][]) {
    if (e === null) continue;
    const id = e[0];
    out.push(new PagedEntry(Buffer.isBuffer(id) ? id.toString('latin1') : String(id), parseRawFields(e[1])));
  }
  return out;
}

function typed(e: unknown, key: string, command: string) {
  return toQueueError(e, { key, command, expected: 'stream' });
}

/**
 * The entries with the given ids, in the order given (ids validated first, read by XRANGE id id
 * in pipelined rounds of `chunk`); ids not in the stream are passed to `onMissing` and left out.
 */
export async function* entriesById(
  client: RedisClient,
  key: string,
  ids: readonly string[],
  options: { chunk?: number; signal?: AbortSignal; onMissing?(id: string): void } = {},
): AsyncGenerator<StreamEntry> {
  const { chunk = 100, signal, onMissing } = options;
  positive(chunk, 'chunk');
  for (const id of ids) parseId(id, { allowMsOnly: false });
  for (let i = 0; i < ids.length; i += chunk) {
    if (signal?.aborted) return;
    const part = ids.slice(i, i + chunk);
    let replies: StreamEntry[][];
    try {
      replies = await Promise.all(part.map((id) => client.xrangeBuffer(key, id, id).then(parseEntries)));
    } catch (e) {
      throw typed(e, key, 'XRANGE');
    }
    for (let j = 0; j < part.length; j++) {
      const e = replies[j]![0];
      if (e) yield e;
      else onMissing?.(part[j]!);
    }
  }
}

// ------------------------------------------------------------------------------------- rate

/** What a {@link TokenBucket} has granted, by its own clock. */
export interface RateAccounting {
  ratePerSec: number;
  burst: number;
  /** Tokens granted. */
  granted: number;
  /** Times a take had to wait for tokens, and the total of those waits (ms). */
  waits: number;
  waitedMs: number;
  /**
   * The largest `granted − burst − ratePerSec × elapsed` seen at a grant (elapsed since the
   * bucket was made): at most 0 when the rate was never exceeded.
   */
  maxExcess: number;
}

/**
 * A token bucket: at most `ratePerSec` tokens per second on average, `burst` at once (the bucket
 * starts full). {@link take} sleeps until enough tokens have accrued (never a busy wait) and is
 * cut short by an abort signal. `now` is the clock (ms), replaceable in tests.
 */
export class TokenBucket {
  readonly ratePerSec: number;
  readonly burst: number;
  private tokens: number;
  private last: number;
  private readonly start: number;
  private readonly stats: RateAccounting;

  constructor(options: { ratePerSec: number; burst?: number; now?: () => number }) {
    const { ratePerSec } = options;
    if (!(typeof ratePerSec === 'number' && Number.isFinite(ratePerSec) && ratePerSec > 0)) throw new BadInputError(`The rate must be a positive number per second (got ${ratePerSec})`);
    this.ratePerSec = ratePerSec;
    this.burst = Math.max(1, Math.floor(options.burst ?? Math.ceil(ratePerSec / 10)));
    if (options.now) this.now = options.now;
    this.tokens = this.burst;
    this.start = this.last = this.now();
    this.stats = { ratePerSec, burst: this.burst, granted: 0, waits: 0, waitedMs: 0, maxExcess: -Infinity };
  }

  /** The clock, ms. */
  private now: () => number = () => performance.now();

  private refill(): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.ratePerSec) / 1000);
    this.last = t;
    return t;
  }

  /**
   * Waits until `n` tokens (at most `burst`; more are taken `burst` at a time) are there and takes
   * them. Resolves false, having taken nothing more, when `signal` aborts.
   */
  async take(n: number, signal?: AbortSignal): Promise<boolean> {
    let left = Math.max(0, n);
    while (left > 0) {
      const want = Math.min(left, this.burst);
      for (;;) {
        if (signal?.aborted) return false;
        const t = this.refill();
        if (this.tokens >= want) {
          this.tokens -= want;
          left -= want;
          this.stats.granted += want;
          const excess = this.stats.granted - this.burst - (this.ratePerSec * (t - this.start)) / 1000;
          if (excess > this.stats.maxExcess) this.stats.maxExcess = excess;
          break;
        }
        const wait = Math.max(1, Math.ceil(((want - this.tokens) * 1000) / this.ratePerSec));
        const t0 = this.now();
        this.stats.waits++;
        await sleep(wait, signal);
        this.stats.waitedMs += this.now() - t0;
      }
    }
    return true;
  }

  /** What was granted so far (a copy). */
  accounting(): RateAccounting {
    return { ...this.stats };
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

// ------------------------------------------------------------------------------------- import

/** One message line read for import. */
export interface ImportLine {
  /** The line's `id`, when it has one (a string; checked only when ids are kept). */
  id?: string;
  raw: RawFields;
}

/**
 * Reads one line of an import (see the module comment). Returns null for a header line or a
 * blank line. Throws {@link BadInputError} saying what is wrong (without the line number). With
 * `keepIds` the line must carry a valid id (greater than 0-0).
 */
export function parseImportLine(text: string, keepIds = false): ImportLine | null {
  if (!text.trim()) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new BadInputError(`not JSON (${printable((e as Error).message, 100)})`);
  }
  return importMessageOf(v, keepIds);
}

/** A parsed JSON value of an import → the message it holds, or null for a header (see {@link parseImportLine}). */
export function importMessageOf(v: unknown, keepIds = false): ImportLine | null {
  let pairs: unknown;
  let id: unknown;
  if (Array.isArray(v)) {
    pairs = v;
  } else if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Object.hasOwn(o, EXPORT_HEADER_KEY)) {
      const version = o[EXPORT_HEADER_KEY];
      if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new BadInputError(`a header line whose "${EXPORT_HEADER_KEY}" is not a format version (got ${printable(JSON.stringify(version) ?? 'nothing', 40)})`);
      if (version > EXPORT_FORMAT_VERSION) throw new BadInputError(`the export has format version ${version}; this version of redis-queues reads version ${EXPORT_FORMAT_VERSION} (update it)`);
      return null;
    }
    if (!Object.hasOwn(o, 'pairs')) {
      throw new BadInputError(`no "pairs": a message line is {"id": "...", "pairs": [[name, value], ...]}${Object.hasOwn(o, 'fields') ? ' ("fields" is a lossy view and is not imported)' : ''}`);
    }
    pairs = o['pairs'];
    if (pairs === null) throw new BadInputError('"pairs" is null: the entry had been deleted, there is no message to import');
    id = o['id'];
  } else {
    throw new BadInputError(`expected a JSON object {"id": "...", "pairs": [[name, value], ...]} (got ${v === null ? 'null' : typeof v})`);
  }
  const raw = fromJsonPairs(pairs, '"pairs"');
  if (raw.length === 0) throw new BadInputError('"pairs" is empty: a stream entry has at least one (name, value) pair');
  if (keepIds) {
    if (typeof id !== 'string') throw new BadInputError(`no "id" (a string like "1700000000000-0"), which keeping ids needs`);
    try {
      parseId(id, { allowMsOnly: false, allowZero: false });
    } catch (e) {
      throw new BadInputError(`"id": ${(e as Error).message}`);
    }
    return { id, raw };
  }
  return typeof id === 'string' ? { id, raw } : { raw };
}

/** Where an import stands. */
export interface ImportProgress {
  /** Lines read so far (blank and header lines and those before `fromLine` included). */
  read: number;
  /** Messages written. */
  imported: number;
  /** Lines skipped because their id is already in the stream (keeping ids; see {@link importEntries}). */
  skipped: number;
  /**
   * Every line up to this one is done (imported, skipped or not a message) and nothing after it
   * was written: to go on after a failure, import again from line `line + 1` (`fromLine`).
   */
  line: number;
}

export interface ImportOptions {
  /**
   * Write each message with the id it has in the input (default: new ids, `*`). Ids must increase
   * from line to line, and be greater than the stream's last id. Lines whose id is not greater
   * than the stream's last id (as it was when the import started) are skipped and counted as
   * `skipped`: re-running an interrupted keep-ids import writes only what is missing.
   */
  keepIds?: boolean;
  /** At most this many messages per second on average (a token bucket; never a busy wait). */
  ratePerSec?: number;
  /** The bucket to use instead of one made from `ratePerSec` (to share one limit, or to read its accounting). */
  limiter?: TokenBucket;
  /** XADDs pipelined per round trip (default 200); a batch also ends at {@link IMPORT_BATCH_BYTES}. */
  batch?: number;
  /** Bytes of messages per round trip (default {@link IMPORT_BATCH_BYTES}). */
  batchBytes?: number;
  /** Start at this line (1-based); earlier lines are read and ignored (to resume after a failure). */
  fromLine?: number;
  /** Stops after the batch in flight (the result says `aborted`). */
  signal?: AbortSignal;
  /** Called after each batch (and every 1,000 skipped lines) with where the import stands. */
  onProgress?(p: ImportProgress): void;
  /** The connection is read-only: refuse before reading or sending anything. */
  readOnly?: boolean;
  /** Connection name, for messages. */
  name?: string;
}

export interface ImportResult {
  imported: number;
  skipped: number;
  /** Lines read. */
  lines: number;
  /** Every line up to this one was handled (see {@link ImportProgress.line}). */
  lastLine: number;
  /** Id of the last message written. */
  lastId?: string;
  /** `signal` stopped the import. */
  aborted: boolean;
  /** The rate limiter's accounting, when there was one. */
  rate?: RateAccounting;
}

/** Default bytes of messages per pipelined round trip of an import. */
export const IMPORT_BATCH_BYTES = 1024 * 1024;
const DEFAULT_BATCH = 200;

/**
 * A line of an import that cannot be used. Nothing of the batch it was in was written; the
 * message says what was imported before it. `progress` is where the import stands.
 */
export class ImportLineError extends BadInputError {
  constructor(
    readonly lineNumber: number,
    reason: string,
    readonly progress: ImportProgress,
    keepIds: boolean,
  ) {
    super(ImportLineError.say(lineNumber, reason, progress, keepIds));
  }

  private static say(lineNumber: number, reason: string, p: ImportProgress, keepIds: boolean): string {
    if (!p.imported && !p.skipped) return `Line ${lineNumber}: ${reason}. Nothing was imported.`;
    const before = `${p.imported} ${p.imported === 1 ? 'message was' : 'messages were'} imported${p.skipped ? ` and ${p.skipped} skipped as already there` : ''}, through line ${p.line}`;
    const resume = keepIds ? 'importing the file again with kept ids skips what is there' : `to go on, import again from line ${p.line + 1}`;
    return `Line ${lineNumber}: ${reason}. Nothing after line ${p.line} was written; ${before} (${resume}).`;
  }
}

interface Pending {
  line: number;
  id: string;
  raw: RawFields;
}

/**
 * Reads NDJSON lines (see the module comment) from `input` and adds each message to stream `key`,
 * in order, with new ids (default) or the ids of the input (`keepIds`), in pipelined batches.
 *
 * - Each batch is read and checked whole before any of it is sent: a bad line (not JSON, no
 *   pairs, bad base64, an odd shape, a missing or decreasing id with `keepIds`) throws
 *   {@link ImportLineError} (a BadInputError naming the line) and nothing of its batch is written;
 *   the message says what was imported before it.
 * - Each XADD is one atomic command (messages of thousands of fields too). A batch is sent only
 *   when the one before it was written; a failure reported by Redis stops the import after
 *   reporting (onProgress) the messages written before it.
 * - With new ids, importing the same lines again writes them again: the progress and the result
 *   say through which line the import went (`line`), to resume with `fromLine`. With `keepIds`,
 *   lines whose id is not greater than the stream's last id are skipped, so re-running an
 *   interrupted import duplicates nothing.
 * - `readOnly` refuses with {@link ReadOnlyError} before anything is read or sent.
 * - The stream is checked first: a key of another type is a {@link WrongTypeError}.
 */
export async function importEntries(client: RedisClient, key: string, input: NodeJS.ReadableStream | AsyncIterable<Buffer | string>, options: ImportOptions = {}): Promise<ImportResult> {
  const { keepIds = false, signal, onProgress, name } = options;
  if (options.readOnly) throw new ReadOnlyError(name ?? 'this connection', 'import');
  const batch = options.batch ?? DEFAULT_BATCH;
  positive(batch, 'batch');
  const batchBytes = options.batchBytes ?? IMPORT_BATCH_BYTES;
  positive(batchBytes, 'batchBytes');
  const fromLine = options.fromLine ?? 1;
  positive(fromLine, 'fromLine');
  const limiter = options.limiter ?? (options.ratePerSec !== undefined ? new TokenBucket({ ratePerSec: options.ratePerSec }) : undefined);
  // A batch never asks for more than the bucket holds, so that sends spread over each second.
  const perBatch = limiter ? Math.min(batch, limiter.burst) : batch;

  let type: string;
  try {
    type = String(await client.type(key));
  } catch (e) {
    throw toQueueError(e, { key, command: 'TYPE' });
  }
  if (type !== 'stream' && type !== 'none') throw new WrongTypeError(key, 'stream', type);
  let top = '0-0';
  if (keepIds && type === 'stream') {
    try {
      top = (await xinfoStream(client, key)).lastGeneratedId;
    } catch (e) {
      throw toQueueError(e, { key, command: 'XINFO', expected: 'stream' });
    }
  }

  const state = { read: 0, imported: 0, skipped: 0, line: 0 };
  let lastId: string | undefined;
  /** With kept ids: the last id queued for writing, and its line. */
  let lastQueued: { id: string; line: number } | undefined;
  let pending: Pending[] = [];
  let pendingBytes = 0;
  let aborted = false;
  let inFlight: Promise<void> | undefined;
  let failure: { error: unknown } | undefined;
  let skippedSinceReport = 0;
  /** A JSON value over several lines, being gathered. */
  let multi: { start: number; parts: string[]; bytes: number; depth: number } | undefined;

  const progress = (): ImportProgress => ({ ...state });
  const report = () => onProgress?.(progress());

  /** Waits for the batch in flight; throws its failure. */
  const settle = async () => {
    if (inFlight) {
      const p = inFlight;
      inFlight = undefined;
      await p;
    }
    if (failure) throw failure.error;
  };

  /**
   * With kept ids, a batch must never leave a refused line behind written ones: a re-run skips
   * every id up to the stream's last, so it would skip the refused line for good. The batch
   * script stops at its first refused XADD (nothing after it runs); where scripts are refused
   * (ACL), or a message is too large for a script's arguments, XADDs go one round trip each.
   */
  let scripted = keepIds;
  const sendBatch = async (items: Pending[]): Promise<[Error | null, unknown][]> => {
    if (scripted && items.every((it) => it.raw.length <= MAX_SCRIPT_FIELD_ARGS)) {
      const argv: (string | Buffer)[] = ['', '1', key, '0', '0', 'ids'];
      for (const it of items) argv.push(it.id, String(it.raw.length), ...it.raw);
      try {
        const r = (await evalScriptArgv(client, XADD_BATCH, argv)) as unknown[];
        const out: [Error | null, unknown][] = [];
        for (const x of r) {
          if (x instanceof Error) {
            out.push([withoutScriptNoise(x) as Error, null]);
            break;
          }
          out.push([null, x]);
        }
        return out;
      } catch (e) {
        if (!isPermanentScriptRefusal(e)) throw e;
        scripted = false;
      }
    }
    if (keepIds) {
      const out: [Error | null, unknown][] = [];
      for (const it of items) {
        try {
          out.push([null, await client.callBuffer('XADD', [key, it.id, ...it.raw])]);
        } catch (e) {
          if (!(e instanceof Error) || /Connection|closed|ECONN|timed? ?out/i.test(e.message)) throw e;
          out.push([e, null]);
          break;
        }
      }
      return out;
    }
    const p = client.pipeline();
    for (const it of items) p.callBuffer('XADD', [key, it.id, ...it.raw]);
    return (await p.exec()) ?? [];
  };

  const write = async (items: Pending[], doneLine: number): Promise<void> => {
    let res: [Error | null, unknown][] | null;
    try {
      res = await sendBatch(items);
    } catch (e) {
      throw toQueueError(e, { key, command: 'XADD', expected: 'stream' });
    }
    let written = 0;
    for (const [err, id] of res ?? []) {
      if (err) break;
      written++;
      lastId = Buffer.isBuffer(id) ? id.toString('latin1') : String(id);
    }
    state.imported += written;
    if (written === items.length) {
      state.line = doneLine;
      report();
      return;
    }
    // Redis refused one (the ones after it in the pipeline are not counted: they may have run).
    const firstBad = (res ?? [])[written]?.[0] ?? new Error('Redis did not answer every XADD of the batch');
    const later = (res ?? []).slice(written + 1).filter(([err]) => !err).length;
    state.line = written > 0 ? items[written - 1]!.line : items[0]!.line - 1;
    report();
    const err = toQueueError(firstBad, { key, command: 'XADD', expected: 'stream' });
    err.message = `${err.message} (line ${items[written]!.line}; ${state.imported} messages imported through line ${state.line}${later ? `; ${later} later lines of the same batch were written too` : ''})`;
    throw err;
  };

  /** Sends what is pending (after the batch in flight was written). */
  const send = async () => {
    if (!pending.length) return;
    const items = pending;
    const doneLine = state.read;
    pending = [];
    pendingBytes = 0;
    await settle();
    if (limiter && !(await limiter.take(items.length, signal))) {
      aborted = true;
      return;
    }
    inFlight = write(items, doneLine).then(
      () => undefined,
      (error: unknown) => {
        failure = { error };
      },
    );
  };

  const bad = async (lineNo: number, reason: string): Promise<never> => {
    // What was sent before this batch counts: wait for it, then report.
    await settle();
    throw new ImportLineError(lineNo, reason, progress(), keepIds);
  };

  try {
    for await (const lines of readLines(input as AsyncIterable<Buffer | string>)) {
      for (const text of lines) {
        const lineNo = ++state.read;
        if (lineNo < fromLine) {
          if (!pending.length && !inFlight) state.line = lineNo;
          continue;
        }
        if (signal?.aborted) {
          aborted = true;
          break;
        }
        if (text === null) await bad(multi?.start ?? lineNo, `${multi ? `line ${lineNo} of the JSON value that starts here` : 'the line'} is not valid UTF-8 text`);
        let start = lineNo;
        let json = text!;
        if (multi) {
          // A JSON value over several lines (pretty-printed, as copy-as-JSON gives): gathered until it closes.
          // A new value at the start of a line (pretty-printing indents what is inside one): the
          // one gathered was cut off (a truncated line).
          const c = json.charCodeAt(0);
          if (c === 123 || c === 91) await bad(multi.start, `a JSON value starts here and is not closed before line ${lineNo} starts another`);
          multi.parts.push(json);
          multi.bytes += json.length;
          multi.depth = depthAfter(json, multi.depth);
          if (multi.bytes > MAX_MULTILINE_CHARS) await bad(multi.start, `a JSON value over several lines is limited to ${MAX_MULTILINE_CHARS / 2 ** 20} MB; write one message per line`);
          if (multi.depth > 0) continue;
          start = multi.start;
          json = multi.parts.join('\n');
          multi = undefined;
        } else if (!json.trim()) {
          if (!pending.length && !inFlight) state.line = lineNo;
          continue;
        }
        let value: unknown;
        try {
          value = JSON.parse(json);
        } catch (e) {
          const depth = start === lineNo && /^\s*[[{]/.test(json) ? depthAfter(json, 0) : 0;
          if (depth > 0) {
            multi = { start: lineNo, parts: [json], bytes: json.length, depth };
            continue;
          }
          await bad(start, `not JSON (${printable((e as Error).message, 100)})`);
        }
        let parsed: ImportLine | null;
        try {
          parsed = importMessageOf(value, keepIds);
        } catch (e) {
          if (!(e instanceof BadInputError)) throw e;
          parsed = await bad(start, e.message.replace(/\.$/, ''));
        }
        if (parsed === null) {
          if (!pending.length && !inFlight) state.line = lineNo;
          continue;
        }
        if (keepIds) {
          const id = parsed.id!;
          if (lastQueued === undefined && compareIds(id, top) <= 0) {
            // Already in the stream (an earlier run of the same import): the stream's last id is
            // at least this one, and nothing of this run was written yet.
            state.skipped++;
            if (!pending.length && !inFlight) state.line = lineNo;
            if (++skippedSinceReport >= 1000) {
              skippedSinceReport = 0;
              report();
            }
            continue;
          }
          if (lastQueued !== undefined && compareIds(id, lastQueued.id) <= 0) {
            await bad(start, `id ${id} is not greater than ${lastQueued.id} of line ${lastQueued.line}: with kept ids, ids must increase from line to line`);
          }
          lastQueued = { id, line: start };
        }
        pending.push({ line: start, id: keepIds ? parsed.id! : '*', raw: parsed.raw });
        for (const b of parsed.raw) pendingBytes += b.length;
        if (pending.length >= perBatch || pendingBytes >= batchBytes) await send();
        if (aborted) break;
      }
      if (aborted) break;
    }
    if (signal?.aborted) aborted = true;
    if (multi && !aborted) await bad(multi.start, 'a JSON value starts here and is not closed by the end of the input');
    if (!aborted) await send();
    await settle();
    if (!aborted && !pending.length) state.line = state.read;
    report();
    return { imported: state.imported, skipped: state.skipped, lines: state.read, lastLine: state.line, lastId, aborted, ...(limiter ? { rate: limiter.accounting() } : {}) };
  } finally {
    // A failure while a batch is in flight: let it land (its outcome is reported by then).
    if (inFlight) await (inFlight as Promise<void>).catch(() => undefined);
  }
}

/** Longest JSON value over several lines an import gathers, in characters. */
const MAX_MULTILINE_CHARS = 64 * 2 ** 20;

/**
 * The nesting depth of JSON after `line`, starting at `depth`: +1 per `{` or `[`, −1 per `}` or
 * `]`, outside strings (a JSON string never spans lines).
 */
function depthAfter(line: string, depth: number): number {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) depth--;
  }
  return depth;
}

/**
 * Splits a byte stream into lines: one array of lines per chunk that ends at least one line. A
 * line that is not valid UTF-8 comes as null. `\r\n` ends are trimmed, a leading BOM removed.
 */
async function* readLines(input: AsyncIterable<Buffer | string>): AsyncGenerator<(string | null)[]> {
  let carry: Buffer[] = [];
  let first = true;
  const decode = (seg: Buffer): (string | null)[] => {
    let out: (string | null)[];
    if (isUtf8(seg)) {
      out = seg.toString('utf8').split('\n');
    } else {
      out = [];
      let at = 0;
      for (;;) {
        const nl = seg.indexOf(10, at);
        const part = seg.subarray(at, nl < 0 ? seg.length : nl);
        out.push(isUtf8(part) ? part.toString('utf8') : null);
        if (nl < 0) break;
        at = nl + 1;
      }
    }
    for (let i = 0; i < out.length; i++) {
      const l = out[i];
      if (l && l.charCodeAt(l.length - 1) === 13) out[i] = l.slice(0, -1);
    }
    if (first) {
      first = false;
      const l = out[0];
      if (l && l.charCodeAt(0) === 0xfeff) out[0] = l.slice(1);
    }
    return out;
  };
  for await (const c of input) {
    const chunk = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
    const nl = chunk.lastIndexOf(10);
    if (nl < 0) {
      carry.push(chunk);
      continue;
    }
    const head = carry.length ? Buffer.concat([...carry, chunk.subarray(0, nl)]) : chunk.subarray(0, nl);
    carry = nl + 1 < chunk.length ? [chunk.subarray(nl + 1)] : [];
    yield decode(head);
  }
  if (carry.length) {
    const rest = Buffer.concat(carry);
    if (rest.length) yield decode(rest);
  }
}
