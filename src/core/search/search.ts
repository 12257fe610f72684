/**
 * Finds messages: walks a stream (XRANGE / XREVRANGE pages) or a group's pending entries
 * (XPENDING pages and the entries' bodies) and tests each message's raw pairs against a compiled
 * {@link SearchQuery}.
 *
 * **Server budget.** Every call is a small page sized by bytes ({@link PagePolicy}): one entry
 * first, then as many as fit in about 1 MB at the last page's bytes per entry, at most 1,000; the
 * bodies of pending entries likewise. No single call costs the server more than a few
 * milliseconds or moves more than about a megabyte (or one entry, when one is larger), whatever
 * the stream's size. One page is read ahead while the previous one is tested, so the walk is
 * about as fast as a bare XRANGE loop.
 *
 * **The process.** Matching is linear in the values' size (regular expressions run on RE2); the
 * walk lets the event loop run between pages and after every 10 ms of matching within one, and
 * checks its budget and the cancel signal there, so the editor or the MCP server answers while a
 * search runs. **Resume** goes on after an id within the query's bounds (it only moves the start).
 * A key that does not exist is a {@link NoStreamError}.
 *
 * **Results** are yielded as they are found (hits carry the entry, lossless, and for pending
 * entries their owner, idle time and deliveries). A walk stopped by its limit, its budget or a
 * cancel says so, with the id to resume from.
 */
import type { RedisClient } from '../redis/connection';
import { QueueError, redisErrorCode, toQueueError, WrongTypeError } from '../redis/errors';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { compareIds, idTime, nextId, parseId, previousId } from '../messages/ids';
import { PagePolicy, replyBytes } from '../messages/pagePolicy';
import { NoStreamError, streamType, streamTypeOf } from '../redis/missing';
import { StreamPages, xpendingPages } from '../messages/streamPages';
import { xpendingSummary } from '../redis/commands';
import { parseEntry, type PendingEntry, type StreamEntry } from '../redis/replies';
import { serverCapabilities } from '../redis/server';
import { compileMatcher } from './matcher';
import { checkBounds, checkQueryFor, idBounds, type SearchQuery } from './query';

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

/** The largest stream page (the page policy sizes each page by the bytes of the last). */
const MAX_PAGE = 1_000;
/** Pending pages (XPENDING: small rows; each entry's body is then read, one XRANGE each, in batches sized by bytes). */
const PENDING_PAGE = 200;
/** How long matching may hold the event loop before it lets other work run (ms). */
const SLICE_MS = 10;

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
  ) {
    checkQueryFor(source.kind, query);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SearchHit> {
    this.started = Date.now();
    this.sliceStart = this.started;
    let stopped: SearchSummary['stopped'] | undefined;
    const limit = this.query.limit ?? Infinity;
    try {
      checkBounds(this.query);
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
    if (redisErrorCode(e) === 'WRONGTYPE') throw new WrongTypeError(key, 'stream', undefined, { cause: e });
    throw toQueueError(e, { key, group });
  }

  /**
   * Within a page (every 32 entries, and at the entry budget): has matching held the event loop
   * for a slice? Then the walk lets it run ({@link yieldToLoop}) before it checks its budget and
   * the cancel signal, so the editor or the MCP server answers meanwhile. (A plain test, not an
   * async step: awaiting at every check would cost a turn of the microtask queue each time.)
   */
  private sliceUsed(): boolean {
    return Date.now() - this.sliceStart >= SLICE_MS;
  }

  private async yieldToLoop(): Promise<void> {
    await nextTurn();
    this.sliceStart = Date.now();
  }

  private sliceStart = 0;

  private async *streamWalk(key: string): AsyncGenerator<SearchHit | 'cancelled' | 'budget'> {
    const bounds = idBounds(this.query);
    if (!bounds) return;
    const newest = (this.query.order ?? 'newest') === 'newest';
    let [start, end] = bounds;
    if (this.options.resume !== undefined) {
      // Resume keeps every bound and only moves the start of the walk, in its direction.
      const r = this.options.resume;
      parseId(r);
      if (newest) {
        if (r === '0-0') return;
        end = minId(end, previousId(r));
      } else start = maxId(start, nextId(r));
      if (start !== '-' && end !== '+' && compareIds(start, end) > 0) return;
    }
    const c = this.client;
    // Does the key exist, the range's ends (for progress) and, for a whole stream, its length: small calls together.
    let type: string, first: unknown[], last: unknown[], total: number | undefined;
    try {
      this.progress.calls += 4;
      // (The reads' failures wait for the TYPE: a key of another type is said with its type.)
      const failed: unknown[] = [];
      const kept = <T>(p: Promise<T>) => p.catch((e: unknown) => (failed.push(e), undefined as T));
      [type, first, last, total] = await Promise.all([
        c.type(key),
        kept(c.xrangeBuffer(key, start, end, 'COUNT', 1) as Promise<unknown[]>),
        kept(c.xrevrangeBuffer(key, end, start, 'COUNT', 1) as Promise<unknown[]>),
        start === '-' && end === '+' ? kept(c.xlen(key)) : Promise.resolve(undefined),
      ]);
      if (streamTypeOf(key, String(type)) === 'none') throw new NoStreamError(key);
      if (failed.length) throw failed[0];
    } catch (e) {
      if (e instanceof QueueError) throw e;
      this.fail(e, key);
    }
    if (total !== undefined) this.progress.total = total;
    const idOf = (item: unknown) => String((item as unknown[])[0]);
    if (!first.length) return;
    const t0 = idTime(idOf(first[0]));
    const t1 = idTime(idOf(last[0]));
    first = last = []; // (their bodies may be large: not held for the walk)
    const fraction = (id: string) => {
      if (!(t1 > t0)) return undefined;
      const f = (idTime(id) - t0) / (t1 - t0);
      return Math.min(1, Math.max(0, newest ? 1 - f : f));
    };
    const pages = new StreamPages(c, key, {
      start,
      end,
      newest,
      policy: new PagePolicy({ max: this.options.maxPage ?? MAX_PAGE }),
      onCall: (count) => {
        this.progress.calls++;
        this.largestPage = Math.max(this.largestPage, count);
      },
    });
    const matches = compileMatcher(this.query);
    const maxExamined = this.options.maxExamined ?? Infinity;
    while (!pages.done) {
      const page = await pages.next();
      const full = !pages.done;
      let readingAhead = false;
      if (full) {
        // One page read ahead while this one is tested, unless the walk stops after it.
        const stop = this.stopReason(page.length);
        if (!stop && !(this.query.limit !== undefined && this.progress.matched >= this.query.limit)) {
          pages.prefetch();
          readingAhead = true;
        }
      }
      for (let i = 0; i < page.length; i++) {
        if (this.progress.examined >= maxExamined || (i & 31) === 31) {
          if (this.sliceUsed()) await this.yieldToLoop();
          const stop = this.stopReason();
          if (stop) {
            if (i > 0) this.progress.position = idOf(page[i - 1]);
            yield stop;
            return;
          }
        }
        const item = page[i];
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
      if (full && !readingAhead) {
        const stop = this.stopReason();
        if (stop) {
          yield stop;
          return;
        }
        if (this.query.limit !== undefined && this.progress.matched >= this.query.limit) return;
      }
      await this.yieldToLoop();
    }
  }

  private async *pendingWalk(key: string, group: string): AsyncGenerator<SearchHit | 'cancelled' | 'budget'> {
    const q = this.query;
    const bounds = idBounds(q);
    if (!bounds) return;
    let [start] = bounds;
    const end = bounds[1];
    if (this.options.resume !== undefined) {
      // Resume keeps every bound and only moves the start (a pending walk goes oldest first).
      parseId(this.options.resume);
      start = maxId(start, nextId(this.options.resume));
      if (end !== '+' && compareIds(start, end) > 0) return;
    }
    const c = this.client;
    const caps = await serverCapabilities(c);
    const matches = compileMatcher(q);
    try {
      this.progress.calls++;
      this.progress.total = (await xpendingSummary(c, key, group)).count;
    } catch (e) {
      if (redisErrorCode(e) === 'NOGROUP' && !(await c.exists(key).catch(() => 1))) throw new NoStreamError(key);
      // A key of another type is said with its type (one TYPE, on this failure only).
      if (redisErrorCode(e) === 'WRONGTYPE') await streamType(c, key);
      this.fail(e, key, group);
    }
    const [lo, hi] = [start === '-' ? undefined : idTime(start), end === '+' ? undefined : idTime(end)];
    // The bodies are read one XRANGE each, sent together in batches sized by their bytes.
    const bodies = new PagePolicy({ max: PENDING_PAGE });
    const noConditions = !(q.where && q.where.length);
    const first = this.stopReason();
    if (first) {
      yield first;
      return;
    }
    const walk = xpendingPages(c, key, group, {
      start,
      end,
      count: PENDING_PAGE,
      consumer: q.consumer,
      minIdleMs: caps.pendingIdle ? q.minIdleMs : undefined,
      onCall: () => this.progress.calls++,
    });
    for await (const all of walk) {
      for (let at = 0; at < all.length; ) {
        // The next batch: pending entries up to `bodies.count` that pass the idle and delivery filters.
        const batch: PendingEntry[] = [];
        let upTo = at;
        while (upTo < all.length && batch.length < bodies.count) {
          const e = all[upTo++]!;
          if ((!q.minIdleMs || e.idle >= q.minIdleMs) && (!q.minDeliveries || e.deliveries >= q.minDeliveries)) batch.push(e);
        }
        let got: unknown[][];
        try {
          this.progress.calls += batch.length;
          this.largestPage = Math.max(this.largestPage, batch.length);
          got = await Promise.all(batch.map((e) => c.xrangeBuffer(key, e.id, e.id) as Promise<unknown[]>));
        } catch (e) {
          this.fail(e, key, group);
        }
        if (batch.length) bodies.next(batch.length, got.reduce((n, r) => n + replyBytes(r ?? []), 0));
        let b = 0;
        for (let i = at; i < upTo; i++) {
          const p = all[i]!;
          if (this.progress.examined >= (this.options.maxExamined ?? Infinity) || (i & 31) === 31) {
            if (this.sliceUsed()) await this.yieldToLoop();
            const stop = this.stopReason();
            if (stop) {
              if (i > 0) this.progress.position = all[i - 1]!.id;
              yield stop;
              return;
            }
          }
          this.progress.examined++;
          if (batch[b] !== p) continue;
          const r = got[b++];
          const entry: StreamEntry = r?.[0] ? parseEntry(r[0]) : { id: p.id, raw: null, fields: null };
          if (entry.raw ? matches(entry.raw) : noConditions) {
            this.progress.position = p.id;
            yield { key, entry, pending: p };
          }
        }
        at = upTo;
        this.progress.position = all[upTo - 1]!.id;
        await this.yieldToLoop();
      }
      const lastId = all[all.length - 1]?.id;
      if (lastId) {
        if (lo !== undefined && hi !== undefined && hi > lo) this.progress.fraction = Math.min(1, Math.max(0, (idTime(lastId) - lo) / (hi - lo)));
        else if (this.progress.total) this.progress.fraction = Math.min(1, this.progress.examined / this.progress.total);
      }
      this.options.onProgress?.({ ...this.progress });
      if (all.length < PENDING_PAGE || !lastId) return;
      if (q.limit !== undefined && this.progress.matched >= q.limit) return;
      const stop = this.stopReason();
      if (stop) {
        yield stop;
        return;
      }
    }
  }
}

function minId(a: string, b: string): string {
  return a === '+' ? b : b === '+' ? a : compareIds(a, b) <= 0 ? a : b;
}

function maxId(a: string, b: string): string {
  return a === '-' ? b : b === '-' ? a : compareIds(a, b) >= 0 ? a : b;
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
