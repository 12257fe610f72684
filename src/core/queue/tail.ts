import { close, createClient, describeTarget, type ConnectionOptions, type RedisClient } from '../connection';
import { BadInputError, QueueError, toQueueError } from '../errors';
import { parseId } from '../ids';
import { parseRead, parseStreamInfo, type StreamEntry } from '../replies';
import { nonEmpty, nonNegative, positiveInt } from './validate';
import { pause } from './streamWorker';

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
    if (!options || !options.connection) throw new BadInputError('tail needs connection options');
    this.stream = nonEmpty(options.stream, 'stream');
    this.from = options.from ?? '$';
    if (this.from !== '$') parseId(this.from);
    this.bufferSize = options.bufferSize === undefined ? 1000 : positiveInt(options.bufferSize, 'bufferSize');
    this.overflow = options.overflow ?? 'pause';
    if (this.overflow !== 'pause' && this.overflow !== 'dropOldest') throw new BadInputError('overflow must be "pause" or "dropOldest"');
    this.count = options.count === undefined ? 100 : positiveInt(options.count, 'count');
    this.blockMs = options.blockMs === undefined ? 5000 : nonNegative(options.blockMs, 'blockMs');
    this.target = describeTarget(options.connection);
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
    this.client = createClient(this.options.connection, 'blocking');
    this.client.on('error', () => undefined);
    try {
      if (this.from === '$') {
        try {
          this.lastId = parseStreamInfo(await this.client.callBuffer('XINFO', 'STREAM', this.stream)).lastGeneratedId;
        } catch (e) {
          if (!/no such key/i.test((e as Error).message)) throw e;
          this.lastId = '0-0'; // no stream yet: everything added later is new
        }
      } else {
        this.lastId = this.from;
      }
    } catch (e) {
      this.fail(toQueueError(e, { key: this.stream, command: 'XINFO', expected: 'stream', target: this.target }));
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
        const err = toQueueError(e, { key: this.stream, command: 'XREAD', expected: 'stream', target: this.target });
        if (err.code !== 'CANNOT_CONNECT') {
          this.fail(err);
          return;
        }
        // Connection trouble: the blocking client reconnects by itself; read again from lastId.
        await pause(Math.min(2000, 50 * 2 ** Math.min(errors++, 6)), this.closeCtl.signal);
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

/** Creates a {@link StreamTail} (reading starts on the first `next()` or on `start()`). */
export function tailStream(options: TailOptions): StreamTail {
  return new StreamTail(options);
}
