import { close, createClient, describeTarget, type ConnectionOptions, type RedisClient } from '../../redis/connection';
import { BadInputError, isNoSuchKey, QueueError, toQueueError } from '../../redis/errors';
import { parseId } from '../../messages/ids';
import { parseEntries, parseEntry, parseRead, parseStreamInfo, toRecord, type StreamEntry, type StreamInfo } from '../../redis/replies';
import { nonEmpty, nonNegative, positiveInt } from '../validate';
import { pause } from '../runtime/pause';

export interface TailOptions {
  connection: ConnectionOptions;
  stream: string;
  /**
   * Where to start: `$` (default: entries added from now on) or a concrete id (entries after it).
   * `$` is resolved once, at start, to the stream's last-generated id, so that a reconnect
   * continues from a concrete id and never skips entries added meanwhile.
   */
  from?: string;
  /** Entries held for a slow reader. Default 1000: bounds memory, a few seconds of a busy stream. */
  bufferSize?: number;
  /**
   * What happens when the buffer is full. Default `'pause'`: stop reading until the reader
   * catches up (nothing is lost, the stream keeps the entries). `'dropOldest'`: keep reading and
   * drop the oldest buffered entries (a live view that must not lag; see {@link StreamTail.dropped}).
   */
  overflow?: 'pause' | 'dropOldest';
  /** COUNT per read. Default 100. */
  count?: number;
  /** BLOCK per read, ms. Default 5000 (close() breaks it at once anyway). */
  blockMs?: number;
}

/**
 * Follows a stream with XREAD BLOCK on its own blocking connection, as an `AsyncIterable` of
 * entries in id order, without gaps or repeats across dropped connections (it always reads after
 * the last id it has seen). A non-connection error (e.g. WRONGTYPE) ends the iteration by
 * throwing it. Iterate it once; `close()` ends it at any time (also in the middle of a BLOCK) and
 * may be called any number of times; breaking out of `for await` closes it too.
 */
export class StreamTail implements AsyncIterable<StreamEntry> {
  readonly stream: string;
  private readonly bufferSize: number;
  private readonly overflow: 'pause' | 'dropOldest';
  private readonly count: number;
  private readonly blockMs: number;
  private readonly target: string;
  private client: RedisClient | undefined;
  private readonly buffer: StreamEntry[] = [];
  private waiter: { resolve: (r: IteratorResult<StreamEntry>) => void; reject: (e: unknown) => void } | undefined;
  private roomWaiter: (() => void) | undefined;
  private closed = false;
  private failure: QueueError | undefined;
  private started = false;
  private readonly closeCtl = new AbortController();
  private lastId: string | undefined;
  private dropCount = 0;
  private readonly from: string;

  constructor(private readonly options: TailOptions) {
    ({ stream: this.stream, from: this.from, blockMs: this.blockMs, target: this.target } = checkTail(options));
    this.bufferSize = options.bufferSize === undefined ? 1000 : positiveInt(options.bufferSize, 'bufferSize');
    this.overflow = options.overflow ?? 'pause';
    if (this.overflow !== 'pause' && this.overflow !== 'dropOldest') throw new BadInputError('overflow must be "pause" or "dropOldest"');
    this.count = options.count === undefined ? 100 : positiveInt(options.count, 'count');
  }

  /** The id of the last entry read from Redis (not necessarily consumed yet). */
  get lastSeenId(): string | undefined {
    return this.lastId;
  }

  /** Entries dropped by `overflow: 'dropOldest'`. */
  get dropped(): number {
    return this.dropCount;
  }

  /** Entries read but not yet consumed. */
  get buffered(): number {
    return this.buffer.length;
  }

  /** Resolves `$` and starts reading; called by the first `next()`, or call it to start early. */
  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    this.client = blockingClient(this.options.connection);
    try {
      this.lastId = (await resolveStart(this.client, this.stream, this.from)).lastId;
    } catch (e) {
      this.fail(startError(e, this.stream, this.target));
      return;
    }
    void this.loop();
  }

  private async loop(): Promise<void> {
    let errors = 0;
    while (!this.closed) {
      let count = this.count;
      if (this.overflow === 'pause') {
        while (!this.closed && this.buffer.length >= this.bufferSize) await new Promise<void>((r) => (this.roomWaiter = r));
        if (this.closed) break;
        count = Math.min(this.count, this.bufferSize - this.buffer.length);
      }
      try {
        const raw = await this.client!.xreadBuffer('COUNT', count, 'BLOCK', this.blockMs, 'STREAMS', this.stream, this.lastId!);
        if (this.closed) break;
        errors = 0;
        for (const { entries } of parseRead(raw)) {
          for (const e of entries) {
            this.lastId = e.id;
            this.push(e);
          }
        }
      } catch (e) {
        if (this.closed) break;
        const err = readError(e, this.stream, this.target);
        if (err) {
          this.fail(err);
          return;
        }
        await reconnectPause(errors++, this.closeCtl.signal);
      }
    }
  }

  private push(e: StreamEntry): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ value: e, done: false });
      return;
    }
    this.buffer.push(e);
    if (this.overflow === 'dropOldest') {
      while (this.buffer.length > this.bufferSize) {
        this.buffer.shift();
        this.dropCount++;
      }
    }
  }

  private fail(err: QueueError): void {
    this.failure = err;
    const w = this.waiter;
    this.waiter = undefined;
    this.shutdown();
    w?.reject(err);
  }

  private shutdown(): void {
    this.closed = true;
    this.closeCtl.abort();
    close(this.client);
    const r = this.roomWaiter;
    this.roomWaiter = undefined;
    r?.();
  }

  /** The next entry (waits for one); `done` after close(). */
  async next(): Promise<IteratorResult<StreamEntry>> {
    if (!this.started) await this.start();
    if (this.buffer.length > 0 && !this.closed) {
      const value = this.buffer.shift()!;
      const r = this.roomWaiter;
      this.roomWaiter = undefined;
      r?.();
      return { value, done: false };
    }
    if (this.failure) {
      const f = this.failure;
      this.failure = undefined;
      throw f;
    }
    if (this.closed) return { value: undefined, done: true };
    if (this.waiter) throw new BadInputError('a StreamTail supports one reader at a time');
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Ends the iteration now: breaks a BLOCK, discards buffered entries, closes the connection. Idempotent. */
  close(): void {
    if (this.closed && !this.waiter) return;
    const w = this.waiter;
    this.waiter = undefined;
    this.buffer.length = 0;
    this.shutdown();
    w?.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamEntry> {
    return {
      next: () => this.next(),
      return: async () => {
        this.close();
        return { value: undefined, done: true };
      },
    };
  }
}

/** The options both tails share, checked: stream, start (`$` or an id), BLOCK ms, and the target for errors. */
function checkTail(options: { connection: ConnectionOptions; stream: string; from?: string; blockMs?: number }) {
  if (!options || !options.connection) throw new BadInputError('tail needs connection options');
  const from = options.from ?? '$';
  if (from !== '$') parseId(from);
  return {
    stream: nonEmpty(options.stream, 'stream'),
    from,
    blockMs: options.blockMs === undefined ? 5000 : nonNegative(options.blockMs, 'blockMs'),
    target: describeTarget(options.connection),
  };
}

/** The blocking connection a tail reads on (its errors surface through the commands). */
function blockingClient(options: ConnectionOptions): RedisClient {
  const client = createClient(options, 'blocking');
  client.on('error', () => undefined);
  return client;
}

/** Resolving the start failed (WRONGTYPE, NOPERM, no connection...). */
function startError(e: unknown, stream: string, target: string): QueueError {
  return toQueueError(e, { key: stream, command: 'XINFO', expected: 'stream', target });
}

/** A read that failed: the error that ends the tail, or undefined for connection trouble (read again). */
function readError(e: unknown, stream: string, target: string): QueueError | undefined {
  const err = toQueueError(e, { key: stream, command: 'XREAD', expected: 'stream', target });
  // Lost connections, failovers (CLUSTERDOWN, MOVED to a dead node, READONLY), no answer: read
  // again after a pause, from the last id returned (no gap, no repeat).
  return err.code === 'CANNOT_CONNECT' || err.transient ? undefined : err;
}

/** The wait before reading again after connection trouble (the blocking client reconnects by itself). */
function reconnectPause(errors: number, signal: AbortSignal): Promise<void> {
  return pause(Math.min(2000, 50 * 2 ** Math.min(errors, 6)), signal);
}

/**
 * Where a tail starts: `$` resolved to the stream's last-generated id (`0-0` when there is no
 * stream yet), or the given id. Also returns, on Redis ≥ 7, how many entries the stream had ever
 * received by then that come at or before that point (`entriesAdded` minus the entries still after
 * it, known for `$` and for `0`), so that a reader can count what arrives after it; and the
 * stream's length that comes before that point, for servers before 7.0 (a count from lengths is
 * exact while nothing is trimmed or deleted, and too low otherwise, never too high).
 */
async function resolveStart(client: RedisClient, stream: string, from: string): Promise<{ lastId: string; addedBefore?: number; lengthBefore?: number; lastEntryBytes?: number }> {
  const whole = from === '0' || from === '0-0';
  if (from !== '$' && !whole) return { lastId: from };
  let raw: unknown;
  try {
    raw = await client.callBuffer('XINFO', 'STREAM', stream);
  } catch (e) {
    if (!isNoSuchKey(e)) throw e;
    return { lastId: whole ? from : '0-0', addedBefore: 0, lengthBefore: 0 }; // no stream yet: everything added later is new
  }
  const info = parseStreamInfo(raw);
  const added = info.entriesAdded;
  const last = toRecord(raw)['last-entry'];
  const lastEntryBytes = Array.isArray(last) && last.length ? entryBytes(parseEntry(last)) : undefined;
  if (whole) return { lastId: from, addedBefore: added === undefined ? undefined : added - info.length, lengthBefore: 0, lastEntryBytes };
  return { lastId: info.lastGeneratedId, addedBefore: added, lengthBefore: info.length, lastEntryBytes };
}

/** Bytes of an entry's id, field names and values, roughly what reading it costs. */
export function entryBytes(e: StreamEntry): number {
  let n = e.id.length;
  for (const b of e.raw ?? []) n += b.length;
  return n;
}

export interface LiveTailOptions {
  connection: ConnectionOptions;
  stream: string;
  /** `$` (default: from now) or an id (entries after it). */
  from?: string;
  /** BLOCK per read while nothing new has arrived, ms. Default 5000 (close() breaks it at once). */
  blockMs?: number;
}

/** One {@link LiveTail.read}: the entries (oldest first) and how many were passed over before them. */
export interface LiveTailRead {
  entries: StreamEntry[];
  /** Entries that arrived between the previous read's newest and this read's oldest, not returned. */
  skipped: number;
}

/**
 * Follows a stream for a live view that may fall behind: each `read(max)` returns the newest
 * entries (at most `max`, oldest first) after the last one it returned, and counts the entries it
 * passed over to get there. It reads nothing until asked, so a consumer that shows 1,000 rows a
 * second costs the same on a stream of 100 msg/s as on one of 100,000 msg/s: the reader's memory
 * and CPU follow what is shown, not what is published. When the reader keeps up it sees every
 * entry, in order, without gaps or repeats (also across dropped connections; like
 * {@link StreamTail} it always reads after the last id it returned).
 *
 * Under the hood: `XREVRANGE stream + <last> COUNT max+1` (the newest entries after the last one
 * returned; whether `<last>` itself comes back tells whether anything was passed over), and when
 * nothing is new, `XREAD BLOCK` from `<last>`. On Redis ≥ 7 `XINFO STREAM`'s `entries-added`
 * makes the count of passed-over entries exact (for a start at `$` or `0`). Before 7.0 the count
 * follows the stream's length (exact unless entries were trimmed or deleted meanwhile, then too
 * low); from another start each gap counts as at least the entries seen and dropped. In both
 * cases, once there was a gap, {@link skippedExact} is false ("at least N").
 */
export class LiveTail {
  readonly stream: string;
  private readonly from: string;
  private readonly blockMs: number;
  private readonly target: string;
  private client: RedisClient | undefined;
  private lastId: string | undefined;
  private addedBefore: number | undefined;
  private lengthBefore: number | undefined;
  private lastEntryBytes: number | undefined;
  private started = false;
  private closed = false;
  private reading = false;
  private readonly closeCtl = new AbortController();
  private returnedCount = 0;
  private skippedCount = 0;
  private exact = true;

  constructor(private readonly options: LiveTailOptions) {
    ({ stream: this.stream, from: this.from, blockMs: this.blockMs, target: this.target } = checkTail(options));
  }

  /**
   * Bytes of the stream's last entry when the tail started (a start at `$` or `0`), a hint for
   * how many entries a read can afford before the first one came back; undefined otherwise.
   */
  get sizeHint(): number | undefined {
    return this.lastEntryBytes;
  }

  /** Entries returned by read(). */
  get returned(): number {
    return this.returnedCount;
  }

  /** Entries passed over (arrived, never returned because newer ones were). */
  get skipped(): number {
    return this.skippedCount;
  }

  /** Entries that arrived since the start: returned + skipped. */
  get arrived(): number {
    return this.returnedCount + this.skippedCount;
  }

  /** False once a gap could not be counted exactly (Redis < 7: a lower bound from lengths; a start at an id other than `$`/`0`). */
  get skippedExact(): boolean {
    return this.exact;
  }

  /** The id of the last entry returned (or where reading starts). */
  get lastReturnedId(): string | undefined {
    return this.lastId;
  }

  /**
   * Entries that arrived after the last one returned and are not counted yet (what the next read
   * would return or pass over), without reading them: one XINFO STREAM. `undefined` when it cannot
   * be counted (Redis < 7, a start at an id other than `$`/`0`, or a read in progress).
   */
  async backlog(): Promise<number | undefined> {
    if (this.reading || this.closed || !this.started) return undefined;
    try {
      const passed = this.arrivedSinceStart(parseStreamInfo(await this.client!.callBuffer('XINFO', 'STREAM', this.stream)));
      return passed === undefined ? undefined : Math.max(0, passed.n - this.returnedCount - this.skippedCount);
    } catch {
      return undefined; // no stream (yet), or connection trouble: the next read says more
    }
  }

  /** Connects and resolves `$`; called by the first read(), or call it to fix "now" early. */
  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    this.client = blockingClient(this.options.connection);
    try {
      const s = await resolveStart(this.client, this.stream, this.from);
      this.lastId = s.lastId;
      this.addedBefore = s.addedBefore;
      this.lengthBefore = s.lengthBefore;
      this.lastEntryBytes = s.lastEntryBytes;
    } catch (e) {
      this.close();
      throw startError(e, this.stream, this.target);
    }
  }

  /**
   * The newest entries after the last one returned, at most `max`, oldest first; waits (BLOCK) while
   * there is none. `undefined` once closed. One read at a time.
   */
  async read(max: number): Promise<LiveTailRead | undefined> {
    positiveInt(max, 'max');
    if (this.reading) throw new BadInputError('a LiveTail supports one read at a time');
    if (!this.started) await this.start();
    this.reading = true;
    try {
      let errors = 0;
      while (!this.closed) {
        try {
          const r = (await this.newest(max)) ?? (await this.next(max));
          if (this.closed) break;
          if (!r) continue;
          errors = 0;
          if (r.entries.length) this.lastId = r.entries[r.entries.length - 1]!.id;
          this.returnedCount += r.entries.length;
          this.skippedCount += r.skipped;
          return r;
        } catch (e) {
          if (this.closed) break;
          const err = readError(e, this.stream, this.target);
          if (err) {
            this.close();
            throw err;
          }
          await reconnectPause(errors++, this.closeCtl.signal);
        }
      }
      return undefined;
    } finally {
      this.reading = false;
    }
  }

  /**
   * Entries that arrived since the start, from XINFO STREAM: `entries-added` (Redis ≥ 7, exact), or
   * before 7.0 the growth of the length (exact while nothing is trimmed or deleted, else too low).
   */
  private arrivedSinceStart(info: StreamInfo): { n: number; exact: boolean } | undefined {
    if (info.entriesAdded !== undefined && this.addedBefore !== undefined) return { n: info.entriesAdded - this.addedBefore, exact: true };
    if (this.lengthBefore !== undefined) return { n: info.length - this.lengthBefore, exact: false };
    return undefined;
  }

  /** What is already there after the last id (no wait): undefined when nothing is. */
  private async newest(max: number): Promise<LiveTailRead | undefined> {
    const last = this.lastId!;
    const counted = this.addedBefore !== undefined || this.lengthBefore !== undefined;
    const p = this.client!.pipeline();
    if (counted) p.callBuffer('XINFO', 'STREAM', this.stream);
    p.callBuffer('XREVRANGE', this.stream, '+', last, 'COUNT', max + 1);
    const res = (await p.exec()) ?? [];
    const [rangeErr, rangeRaw] = res[res.length - 1] ?? [new Error('no reply')];
    if (rangeErr) throw rangeErr;
    const newestFirst = parseEntries(rangeRaw);
    const touchesLast = newestFirst.length > 0 && newestFirst[newestFirst.length - 1]!.id === last;
    if (touchesLast) newestFirst.pop();
    if (!newestFirst.length) return undefined;
    const entries = newestFirst.slice(0, max).reverse();
    // A gap only when the range filled up without reaching the last id returned.
    const gap = !touchesLast && newestFirst.length > max;
    let skipped = gap ? newestFirst.length - entries.length : 0;
    const [infoErr, infoRaw] = counted ? res[0]! : [null, undefined];
    const arrived = counted && !infoErr ? this.arrivedSinceStart(parseStreamInfo(infoRaw)) : undefined;
    if (arrived) {
      // Everything that arrived since the start, less what was returned or counted before.
      skipped = Math.max(skipped, arrived.n - this.returnedCount - this.skippedCount - entries.length);
      if (gap && !arrived.exact) this.exact = false;
    } else if (gap) this.exact = false;
    return { entries, skipped };
  }

  /** Waits up to blockMs for entries after the last id; undefined on timeout. */
  private async next(max: number): Promise<LiveTailRead | undefined> {
    const raw = await this.client!.xreadBuffer('COUNT', max, 'BLOCK', this.blockMs, 'STREAMS', this.stream, this.lastId!);
    const entries = parseRead(raw).flatMap((s) => s.entries);
    return entries.length ? { entries, skipped: 0 } : undefined;
  }

  /** Ends it now: breaks a BLOCK (a pending read() resolves to undefined), closes the connection. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeCtl.abort();
    close(this.client);
  }
}

/** Creates a {@link StreamTail} (reading starts on the first `next()` or on `start()`). */
export function tailStream(options: TailOptions): StreamTail {
  return new StreamTail(options);
}
