/**
 * The journey's forward scans: where they start, and pages sized by bytes. Dead-letter records
 * and events name the message they are about (x-dlq-id, the event's id field), so they are found
 * by reference, wherever their own ids fall: a message whose id is ahead of the clock (imported
 * ids, ids chosen by an application, clock skew) is dead-lettered and its events recorded at
 * the server's time, before its id's time. So the scans start at min(the id's time, now) minus
 * {@link JOURNEY_WINDOW_MS}, and a dead-letter or events stream of at most
 * {@link JOURNEY_SMALL_STREAM} entries is read whole.
 */
import { type RedisClient } from './connection';
import { redisErrorCode, toQueueError, WrongTypeError } from './errors';
import { idForTime, nextId } from './ids';
import { type StreamEntry, parseEntries } from './replies';

/** How far before min(the id's time, now) the dead-letter and events scans start. */
export const JOURNEY_WINDOW_MS = 60 * 60 * 1000;
/** A dead-letter or events stream this small is read from its start. */
export const JOURNEY_SMALL_STREAM = 10_000;
/** Bytes a page of a scan aims at (values and names). */
const PAGE_BYTES = 1024 * 1024;

/**
 * Where to start scanning `key` for records about a message of time `time` (epoch ms, NaN when
 * unknown): its start when the stream is small, missing or of another type (the scan says so),
 * else min(time, now) − {@link JOURNEY_WINDOW_MS}. One XLEN.
 */
export async function scanStart(client: RedisClient, key: string, time: number, now = Date.now()): Promise<string> {
  if (!Number.isFinite(time)) return '-';
  const len = await client.xlen(key).catch(() => 0);
  if (len <= JOURNEY_SMALL_STREAM) return '-';
  return idForTime(Math.min(time, now) - JOURNEY_WINDOW_MS);
}

/**
 * Forward pages of a stream, one XRANGE per {@link next}, of at most `maxCount` entries and about
 * {@link PAGE_BYTES}: the first page is small, later ones sized by the entries seen (a page of
 * 3 MB records is one record). A key that does not exist reads as empty; a key of another type
 * throws WrongTypeError.
 */
export class ByteScan {
  /** The last page ended the range. */
  done = false;
  calls = 0;
  /** Entries read. */
  read = 0;
  /** Id of the last entry read. */
  last: string | undefined;
  private start: string;
  private count: number;

  constructor(
    private readonly client: RedisClient,
    readonly key: string,
    start: string,
    private readonly maxCount = 200,
  ) {
    this.start = start;
    this.count = Math.min(8, maxCount);
  }

  async next(): Promise<StreamEntry[]> {
    if (this.done) return [];
    this.calls++;
    let raw: unknown;
    try {
      raw = await this.client.xrangeBuffer(this.key, this.start, '+', 'COUNT', this.count);
    } catch (e) {
      if (redisErrorCode(e) === 'WRONGTYPE') throw new WrongTypeError(this.key, 'stream');
      throw toQueueError(e, { key: this.key, command: 'XRANGE' });
    }
    const page = parseEntries(raw);
    this.read += page.length;
    if (page.length < this.count) this.done = true;
    if (page.length) {
      let bytes = 0;
      for (const e of page) for (const b of e.raw ?? []) bytes += b.length + 32;
      this.last = page[page.length - 1]!.id;
      this.count = Math.max(1, Math.min(this.maxCount, this.count * 8, Math.floor(PAGE_BYTES / Math.max(1, bytes / page.length))));
      if (!this.done) {
        try {
          this.start = nextId(this.last);
        } catch {
          this.done = true;
        }
      }
    }
    return page;
  }
}
