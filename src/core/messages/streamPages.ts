/**
 * The one paged reader of a stream's range, and the one walk of a group's pending entries list:
 * search, export, the journey's scans and the events reader read through {@link StreamPages};
 * search and `ops.pendingPages` walk the PEL through {@link xpendingPages}.
 *
 * Pages are sized by one {@link PagePolicy} (by count and bytes): the first read is small, later
 * ones hold about the policy's bytes, so no reply is large whatever the messages' size. Each page
 * continues exclusively after the last id of the one before (XRANGE `(id` semantics through
 * nextId / previousId), so an entry is read once, in order, whatever is added meanwhile.
 */
import { xpendingRange } from '../redis/commands';
import { type RedisClient } from '../redis/connection';
import { BadIdError, WrongTypeError, redisErrorCode, toQueueError } from '../redis/errors';
import { compareIds, nextId, previousId } from './ids';
import { PagePolicy, replyBytes } from './pagePolicy';
import { type PendingEntry, type StreamEntry, parseEntries } from '../redis/replies';

export interface StreamPagesOptions {
  /** First id (inclusive), `-` by default. */
  start?: string;
  /** Last id (inclusive), `+` by default. */
  end?: string;
  /** Newest first (XREVRANGE) instead of oldest first. */
  newest?: boolean;
  /** How many entries a page asks for; a default {@link PagePolicy} when omitted. */
  policy?: PagePolicy;
  /** Told of every call as it is sent (with its count), read-aheads included. */
  onCall?: (count: number) => void;
}

/**
 * Pages of a stream's range, one XRANGE (or XREVRANGE) per page. A key that does not exist reads
 * as empty; a key of another type throws {@link WrongTypeError}; other failures are QueueErrors
 * naming the key. {@link prefetch} starts the next page's read while the caller works on the
 * last one (search's read-ahead); {@link next} then hands that page.
 */
export class StreamPages {
  /** The last page ended the range (or the caller's limit was not a page's end). */
  done = false;
  /** Calls sent. */
  calls = 0;
  /** Entries read. */
  read = 0;
  /** Id of the last entry read. */
  last: string | undefined;
  readonly policy: PagePolicy;
  private lo: string;
  private hi: string;
  private readonly newest: boolean;
  private ahead: { promise: Promise<unknown[]>; count: number } | undefined;

  constructor(
    private readonly client: Pick<RedisClient, 'xrangeBuffer' | 'xrevrangeBuffer'>,
    readonly key: string,
    private readonly options: StreamPagesOptions = {},
  ) {
    this.lo = options.start ?? '-';
    this.hi = options.end ?? '+';
    this.newest = options.newest ?? false;
    this.policy = options.policy ?? new PagePolicy();
    if (this.lo !== '-' && this.hi !== '+' && compareIds(this.lo, this.hi) > 0) this.done = true;
  }

  /** Starts reading the next page now (once; nothing when the range is done). */
  prefetch(): void {
    if (this.done || this.ahead) return;
    const count = this.policy.count;
    const promise = this.send(count);
    promise.catch(() => undefined); // (a read-ahead nobody waits for must not be an unhandled rejection)
    this.ahead = { promise, count };
  }

  /**
   * The next page as the server sent it (`[id, [name, value, …] | null]` items with Buffers); empty
   * once done. `limit` caps this page's count (an export's last page asks for what is left).
   */
  async next(limit?: number): Promise<unknown[]> {
    if (this.done) return [];
    let pending = this.ahead;
    this.ahead = undefined;
    if (!pending) {
      const count = Math.max(1, Math.min(this.policy.count, limit ?? Infinity));
      pending = { promise: this.send(count), count };
    }
    let page: unknown[];
    try {
      page = await pending.promise;
    } catch (e) {
      this.done = true;
      if (redisErrorCode(e) === 'WRONGTYPE') throw new WrongTypeError(this.key, 'stream', undefined, { cause: e });
      throw toQueueError(e, { key: this.key, command: this.newest ? 'XREVRANGE' : 'XRANGE', expected: 'stream' });
    }
    this.read += page.length;
    if (page.length < pending.count) this.done = true;
    if (page.length) {
      const item = page[page.length - 1] as unknown[];
      const id = item[0];
      this.last = Buffer.isBuffer(id) ? id.toString('latin1') : String(id);
      this.policy.next(page.length, replyBytes(page));
      if (!this.done) this.advance(this.last);
    }
    return page;
  }

  /** {@link next}, parsed into entries. */
  async nextEntries(limit?: number): Promise<StreamEntry[]> {
    return parseEntries(await this.next(limit));
  }

  private send(count: number): Promise<unknown[]> {
    this.calls++;
    this.options.onCall?.(count);
    const c = this.client;
    return (this.newest ? c.xrevrangeBuffer(this.key, this.hi, this.lo, 'COUNT', count) : c.xrangeBuffer(this.key, this.lo, this.hi, 'COUNT', count)) as Promise<unknown[]>;
  }

  /** Moves the range past `last` (exclusive continuation); done at the first or last id there can be. */
  private advance(last: string): void {
    try {
      if (this.newest) this.hi = previousId(last);
      else this.lo = nextId(last);
    } catch (e) {
      if (e instanceof BadIdError) {
        this.done = true;
        return;
      }
      throw e;
    }
    if (this.lo !== '-' && this.hi !== '+' && compareIds(this.lo, this.hi) > 0) this.done = true;
  }
}

export interface PendingPagesOptions {
  /** First id (inclusive), `-` by default. */
  start?: string;
  /** Last id (inclusive), `+` by default. */
  end?: string;
  /** Entries a call (XPENDING's COUNT). Default 1,000. */
  count?: number;
  /** Only this consumer's entries. */
  consumer?: string;
  /** Only entries idle at least this long (XPENDING IDLE, Redis 6.2+). */
  minIdleMs?: number;
  /** Told of every call as it is sent. */
  onCall?: () => void;
}

/**
 * The one walk of a group's pending entries list: XPENDING pages oldest first, each continuing
 * exclusively after the last id of the one before; empty pages are not yielded. Failures are
 * QueueErrors naming the stream and group. The caller stops the walk by leaving its loop.
 */
export async function* xpendingPages(client: RedisClient, key: string, group: string, options: PendingPagesOptions = {}): AsyncGenerator<PendingEntry[]> {
  const { end = '+', count = 1000, consumer, minIdleMs, onCall } = options;
  let start = options.start ?? '-';
  for (;;) {
    if (start !== '-' && end !== '+' && compareIds(start, end) > 0) return;
    let page: PendingEntry[];
    try {
      onCall?.();
      page = await xpendingRange(client, key, group, { start, end, count, consumer, minIdleMs });
    } catch (e) {
      throw toQueueError(e, { key, group, command: 'XPENDING' });
    }
    if (page.length) yield page;
    if (page.length < count) return;
    try {
      start = nextId(page[page.length - 1]!.id);
    } catch (e) {
      if (e instanceof BadIdError) return;
      throw e;
    }
  }
}
