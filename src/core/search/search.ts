/**
 * Finds messages: walks a stream (XRANGE / XREVRANGE pages) or a group's pending entries
 * (XPENDING pages and the entries' bodies) and tests each message's raw pairs against a compiled
 * {@link SearchQuery}.
 *
 * **Server budget.** Every call is a small page: stream pages start at 100 entries (a match near
 * the start shows at once) and grow to at most 1,000, and shrink when a page carries more than
 * about 1 MB (big messages), so no single call costs the server more than a few milliseconds,
 * whatever the stream's size. One page is read ahead while the previous one is tested, so the
 * walk is about as fast as a bare XRANGE loop. Cancelling (the signal) stops before the next call.
 *
 * **Results** are yielded as they are found (hits carry the entry, lossless, and for pending
 * entries their owner, idle time and deliveries). A walk stopped by its limit, its budget or a
 * cancel says so, with the id to resume from.
 */
import type { RedisClient } from '../connection';
import { toQueueError, WrongTypeError } from '../errors';
import { idTime, nextId, parseId, previousId } from '../ids';
import { xpendingRange, xpendingSummary } from '../commands';
import { parseEntry, type PendingEntry, type StreamEntry } from '../replies';
import { serverCapabilities } from '../server';
import { compileMatcher, idBounds, type SearchQuery } from './query';

/** Where to search: a stream's entries (a dead-letter stream is a stream), or a group's pending entries. */
export type SearchSource = { kind: 'stream'; key: string } | { kind: 'pending'; key: string; group: string };

export interface SearchHit {
  /** The stream the entry is in. */
  key: string;
  /** The entry, lossless (`raw`). For a pending entry whose message was deleted, `raw` is null. */
  entry: StreamEntry;
  /** For pending-entry searches: owner, idle and deliveries. */
  pending?: PendingEntry;
}

export interface SearchProgress {
  examined: number;
  matched: number;
  /** Calls made to Redis so far. */
  calls: number;
  /** How far the walk is through the range, 0..1, by the time in the ids (about). */
  fraction?: number;
  /** The last id examined. */
  position?: string;
  /** Entries in the range, when known: the stream's length for a whole-stream search, the PEL's size for a pending search. */
  total?: number;
}

export interface SearchSummary extends SearchProgress {
  /** Why the walk ended. */
  stopped: 'end' | 'limit' | 'cancelled' | 'budget';
  /** When it did not reach the end: the last id examined; pass it as `resume` to go on after it. */
  resume?: string;
  elapsedMs: number;
  /** The largest page asked for, in entries. */
  largestPage: number;
}

export interface SearchOptions {
  signal?: AbortSignal;
  onProgress?: (p: SearchProgress) => void;
  /** Stop (with `stopped: 'budget'`) after examining this many entries. */
  maxExamined?: number;
  /** Stop (with `stopped: 'budget'`) after this long. */
  maxMs?: number;
  /** Go on after this id (a previous summary's `resume`). */
  resume?: string;
  /** Largest page of a stream walk (default 1,000). */
  maxPage?: number;
}

/** Stream pages: first size (fast first result), largest, and the bytes a page should stay under. */
const FIRST_PAGE = 100;
const MAX_PAGE = 1_000;
const PAGE_BYTES = 1 << 20;
/** Pending pages (each entry's body is then read: one small XRANGE each, sent together). */
const PENDING_PAGE = 200;

/**
 * A search in progress: iterate it for the hits (as they are found); `summary` holds the outcome
 * once the iteration ends (also when the consumer stops early).
 */
export class MessageSearch implements AsyncIterable<SearchHit> {
  readonly progress: SearchProgress = { examined: 0, matched: 0, calls: 0 };
  summary?: SearchSummary;
  private started = 0;
  private largestPage = 0;

  constructor(
    private readonly client: RedisClient,
    readonly source: SearchSource,
    readonly query: SearchQuery,
    private readonly options: SearchOptions = {},
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<SearchHit> {
    this.started = Date.now();
    let stopped: SearchSummary['stopped'] | undefined;
    const limit = this.query.limit ?? Infinity;
    try {
      const walk = this.source.kind === 'stream' ? this.streamWalk(this.source.key) : this.pendingWalk(this.source.key, this.source.group);
      for await (const step of walk) {
        if (step === 'cancelled' || step === 'budget') {
          stopped = step;
          break;
        }
        this.progress.matched++;
        yield step;
        if (this.progress.matched >= limit) {
          stopped = 'limit';
          break;
        }
      }
      stopped ??= 'end';
    } finally {
      // Without a reason of its own, the walk was stopped by its consumer (a limit of the consumer's).
      const why = stopped ?? 'limit';
      const p = this.progress;
      this.summary = {
        ...p,
        fraction: why === 'end' ? 1 : p.fraction,
        stopped: why,
        resume: why === 'end' ? undefined : p.position,
        elapsedMs: Date.now() - this.started,
        largestPage: this.largestPage,
      };
      this.options.onProgress?.(this.summary);
    }
  }

  /** Runs the search to its end, calling `onHit` for each hit. */
  async run(onHit: (hit: SearchHit) => void | Promise<void>): Promise<SearchSummary> {
    for await (const hit of this) await onHit(hit);
    return this.summary!;
  }

  /** Why the walk should stop now (`ahead`: entries read but not yet examined). */
  private stopReason(ahead = 0): 'cancelled' | 'budget' | undefined {
    if (this.options.signal?.aborted) return 'cancelled';
    if (this.options.maxExamined !== undefined && this.progress.examined + ahead >= this.options.maxExamined) return 'budget';
    if (this.options.maxMs !== undefined && Date.now() - this.started >= this.options.maxMs) return 'budget';
    return undefined;
  }

  private fail(e: unknown, key: string, group?: string): never {
    if (/^WRONGTYPE/.test(String((e as Error)?.message))) throw new WrongTypeError(key, 'stream', undefined, { cause: e });
    throw toQueueError(e, { key, group });
  }

  private async *streamWalk(key: string): AsyncGenerator<SearchHit | 'cancelled' | 'budget'> {
    const bounds = idBounds(this.query);
    if (!bounds) return;
    const newest = (this.query.order ?? 'newest') === 'newest';
    let [start, end] = bounds;
    if (this.options.resume) {
      parseId(this.options.resume);
      if (newest) end = previousId(this.options.resume);
      else start = nextId(this.options.resume);
    }
    const c = this.client;
    const read = (from: string, to: string, count: number): Promise<unknown[]> => {
      this.progress.calls++;
      this.largestPage = Math.max(this.largestPage, count);
      return (newest ? c.xrevrangeBuffer(key, to, from, 'COUNT', count) : c.xrangeBuffer(key, from, to, 'COUNT', count)) as Promise<unknown[]>;
    };
    // The range's ends (for progress) and, for a whole stream, its length: three small calls together.
    let first: unknown[], last: unknown[], total: number | undefined;
    try {
      this.progress.calls += 3;
      [first, last, total] = await Promise.all([
        c.xrangeBuffer(key, start, end, 'COUNT', 1) as Promise<unknown[]>,
        c.xrevrangeBuffer(key, end, start, 'COUNT', 1) as Promise<unknown[]>,
        start === '-' && end === '+' ? c.xlen(key) : Promise.resolve(undefined),
      ]);
    } catch (e) {
      this.fail(e, key);
    }
    if (total !== undefined) this.progress.total = total;
    const idOf = (item: unknown) => String((item as unknown[])[0]);
    if (!first.length) return;
    const t0 = idTime(idOf(first[0]));
    const t1 = idTime(idOf(last[0]));
    const fraction = (id: string) => {
      if (!(t1 > t0)) return undefined;
      const f = (idTime(id) - t0) / (t1 - t0);
      return Math.min(1, Math.max(0, newest ? 1 - f : f));
    };
    const maxPage = this.options.maxPage ?? MAX_PAGE;
    let count = Math.min(FIRST_PAGE, maxPage);
    let next: Promise<unknown[]> | undefined = read(start, end, count);
    const matches = compileMatcher(this.query);
    while (next) {
      let page: unknown[];
      try {
        page = await next;
      } catch (e) {
        this.fail(e, key);
      }
      next = undefined;
      const full = page.length === count;
      if (full) {
        let bytes = 0;
        for (let i = 0; i < page.length; i++) {
          const r = (page[i] as unknown[])[1] as Buffer[] | null;
          if (r) for (let j = 1; j < r.length; j += 2) bytes += r[j]!.length;
        }
        count = bytes > PAGE_BYTES ? Math.max(10, count >> 1) : Math.min(maxPage, count * 2);
        const lastId = idOf(page[page.length - 1]);
        const stop = this.stopReason(page.length);
        if (!stop && !(this.query.limit !== undefined && this.progress.matched >= this.query.limit)) {
          if (newest) {
            if (lastId !== '0-0') next = read(start, previousId(lastId), count);
          } else next = read(nextId(lastId), end, count);
        }
        next?.catch(() => undefined); // (a read-ahead nobody waits for must not be an unhandled rejection)
      }
      for (const item of page) {
        const raw = (item as unknown[])[1] as Buffer[] | null;
        this.progress.examined++;
        if (matches(raw)) {
          const entry = parseEntry(item);
          this.progress.position = entry.id;
          yield { key, entry };
        }
      }
      if (page.length) {
        this.progress.position = idOf(page[page.length - 1]);
        this.progress.fraction = fraction(this.progress.position);
      }
      this.options.onProgress?.({ ...this.progress });
      if (full && !next) {
        const stop = this.stopReason();
        if (stop) {
          yield stop;
          return;
        }
        if (this.query.limit !== undefined && this.progress.matched >= this.query.limit) return;
      }
    }
  }

  private async *pendingWalk(key: string, group: string): AsyncGenerator<SearchHit | 'cancelled' | 'budget'> {
    const q = this.query;
    const bounds = idBounds(q);
    if (!bounds) return;
    let [start] = bounds;
    const end = bounds[1];
    if (this.options.resume) start = nextId(this.options.resume);
    const c = this.client;
    const caps = await serverCapabilities(c);
    const matches = compileMatcher(q);
    try {
      this.progress.calls++;
      this.progress.total = (await xpendingSummary(c, key, group)).count;
    } catch (e) {
      this.fail(e, key, group);
    }
    const [lo, hi] = [start === '-' ? undefined : idTime(start), end === '+' ? undefined : idTime(end)];
    for (;;) {
      const stop = this.stopReason();
      if (stop) {
        yield stop;
        return;
      }
      let all: PendingEntry[];
      let wanted: PendingEntry[];
      let bodies: (StreamEntry | undefined)[];
      try {
        this.progress.calls++;
        all = await xpendingRange(c, key, group, { start, end, count: PENDING_PAGE, consumer: q.consumer, minIdleMs: caps.pendingIdle ? q.minIdleMs : undefined });
        wanted = all.filter((e) => (!q.minIdleMs || e.idle >= q.minIdleMs) && (!q.minDeliveries || e.deliveries >= q.minDeliveries));
        this.progress.calls += wanted.length;
        const got = await Promise.all(wanted.map((e) => c.xrangeBuffer(key, e.id, e.id) as Promise<unknown[]>));
        bodies = got.map((r) => (r?.[0] ? parseEntry(r[0]) : undefined));
      } catch (e) {
        this.fail(e, key, group);
      }
      const noConditions = !(q.where && q.where.length);
      for (let i = 0; i < wanted.length; i++) {
        const p = wanted[i]!;
        const entry: StreamEntry = bodies[i] ?? { id: p.id, raw: null, fields: null };
        this.progress.examined++;
        if (entry.raw ? matches(entry.raw) : noConditions) {
          this.progress.position = p.id;
          yield { key, entry, pending: p };
        }
      }
      this.progress.examined += all.length - wanted.length;
      const lastId = all[all.length - 1]?.id;
      if (lastId) {
        this.progress.position = lastId;
        if (lo !== undefined && hi !== undefined && hi > lo) this.progress.fraction = Math.min(1, Math.max(0, (idTime(lastId) - lo) / (hi - lo)));
        else if (this.progress.total) this.progress.fraction = Math.min(1, this.progress.examined / this.progress.total);
      }
      this.options.onProgress?.({ ...this.progress });
      if (all.length < PENDING_PAGE || !lastId) return;
      start = nextId(lastId);
      if (q.limit !== undefined && this.progress.matched >= q.limit) return;
    }
  }
}

/** Runs a search and collects its hits (at most `limit`, default 100). */
export async function findMessages(
  client: RedisClient,
  source: SearchSource,
  query: SearchQuery,
  options: SearchOptions = {},
): Promise<{ hits: SearchHit[]; summary: SearchSummary }> {
  const search = new MessageSearch(client, source, { ...query, limit: query.limit ?? 100 }, options);
  const hits: SearchHit[] = [];
  for await (const h of search) hits.push(h);
  return { hits, summary: search.summary! };
}
