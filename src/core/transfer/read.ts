/** Reading a stream's entries for an export: a range (by id or time) in small pages, or chosen ids. */
import { type RedisClient } from '../redis/connection';
import { BadInputError, toQueueError } from '../redis/errors';
import { compareIds, parseId } from '../messages/ids';
import { PagePolicy } from '../messages/pagePolicy';
import { StreamPages } from '../messages/streamPages';
import { type RawFields } from '../messages/message';
import { type Fields, type StreamEntry, parseEntries, parseFields, parseRawFields } from '../redis/replies';

const U64_MAX = '18446744073709551615';


export interface RangeOptions {
  /** First id (inclusive; `-` or omitted: the start; `<ms>` alone means `<ms>-0`). */
  from?: string;
  /** Last id (inclusive; `+` or omitted: the end; `<ms>` alone means every entry of that ms). */
  to?: string;
  /** Only entries added at or after this time (epoch ms, from the id). */
  since?: number;
  /** Only entries added at or before this time (epoch ms, inclusive: every entry of that ms, as search's `until:`). */
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

function checkBound(id: string, what: string): void {
  try {
    parseId(id, { allowMsOnly: true });
  } catch (e) {
    throw new BadInputError(`${what}: ${(e as Error).message}`);
  }
}

/** Checks a count option (at least `min`). */
export function positive(n: number | undefined, what: string, min = 1): void {
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
    const u = `${Math.floor(until)}-${U64_MAX}`;
    if (hi === '+' || compareIds(u, hi) < 0) hi = u;
  }
  if (lo !== '-' && hi !== '+' && compareIds(lo, hi) > 0) return;
  if (count === 0) return;

  let left = count ?? Infinity;
  // One paged reader (pages sized by bytes, or `pageSize` entries each when given).
  const policy = pageSize ? new PagePolicy({ first: pageSize, max: pageSize, targetBytes: Infinity }) : new PagePolicy({ max: RANGE_MAX_PAGE, targetBytes: RANGE_PAGE_BYTES });
  const pages = new StreamPages(client, key, { start: lo, end: hi, newest: direction === 'newest', policy });
  while (!pages.done && left > 0) {
    if (signal?.aborted) return;
    const entries = pageEntries(await pages.next(Number.isFinite(left) ? left : undefined));
    for (const e of entries) {
      if (signal?.aborted) return;
      yield e;
    }
    left -= entries.length;
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
