/**
 * Worker events: what happened to each message, recorded by the embedded workers when asked to
 * (their `events` option, off by default) in a capped stream beside the queue, and read back by
 * the journey of a message (journey.ts).
 *
 * **Format.** Key {@link eventsKeyOf}(`S`) = `S:events` (so `{orders}` → `{orders}:events`, the
 * stream's hash tag and Cluster slot). Each event is one `XADD S:events MAXLEN ~ N * ...` (N
 * default {@link DEFAULT_EVENTS_MAXLEN}) of text pairs, in this order, the optional ones only when
 * they apply:
 *
 *     type T, id ID, [group G], [consumer C], [deliveries N], [error E], [from C0], [dlq-id D]
 *
 * - `type`: `delivered` (a handler was called; `deliveries` counts this one), `failed` (the
 *   handler failed; `error`), `retried` (taken back after a failure's backoff), `claimed` (taken
 *   over from consumer `from`, idle too long), `acked` (the ack was confirmed),
 *   `dead-lettered` (moved to the dead-letter stream as `dlq-id`, with `error` and `deliveries`).
 * - `id`: the message's id in the stream (for a list queue: the job id).
 * - The event's own stream id carries its time (server time of the write, within a few ms of the
 *   event: events are written in small batches).
 *
 * Recording never slows or endangers a message: events are buffered and written in pipelines
 * without being waited for; a failed write drops its events (counted), never a message. With the
 * option off nothing is buffered and no command is sent.
 */
import type { RedisClient } from '../../redis/connection';
import { BadInputError, toQueueError } from '../../redis/errors';
import { idForTime, idTime, isValidId } from '../../messages/ids';
import { PagePolicy } from '../../messages/pagePolicy';
import { type StreamEntry } from '../../redis/replies';
import { StreamPages } from '../../messages/streamPages';
import { nonEmpty } from '../validate';

/** What can happen to a message, as recorded in an events stream. */
export const EVENT_TYPES = ['delivered', 'failed', 'retried', 'claimed', 'acked', 'dead-lettered'] as const;
export type QueueEventType = (typeof EVENT_TYPES)[number];

/** Events kept per events stream by default (`MAXLEN ~`). */
export const DEFAULT_EVENTS_MAXLEN = 10_000;

/** Longest error text kept in an event, in characters. */
const MAX_ERROR_CHARS = 500;

/** Events waiting to be written at most; older ones are dropped (counted) beyond that. */
const MAX_BUFFERED = 10_000;

/** Events per pipeline at most. */
const MAX_BATCH = 500;

/** A buffered event is written within this many ms. */
const FLUSH_DELAY_MS = 10;

/** The events stream of stream (or list queue) `name`: `<name>:events` (shares its hash tag). */
export function eventsKeyOf(name: string): string {
  return `${name}:events`;
}

/**
 * The stream or list queue whose events stream `key` is, when it looks like one: named
 * `<name>:events`, with no consumer groups (nothing consumes an events stream), and `<name>` a
 * stream or list queue the caller knows (`known`). Else undefined: a stream named `user:events`
 * with no `user` queue beside it is somebody's own stream.
 */
export function eventsLogOwner(key: string, groups: number, known: (name: string) => boolean): string | undefined {
  if (groups > 0 || !key.endsWith(':events')) return undefined;
  const name = key.slice(0, -':events'.length);
  return name && known(name) ? name : undefined;
}

/** One event, as recorded. */
export interface QueueEvent {
  type: QueueEventType;
  /** The message id in its stream (a job id for a list queue). */
  id: string;
  group?: string;
  consumer?: string;
  /** Deliveries (attempts for a list queue) so far, the current one included. */
  deliveries?: number;
  error?: string;
  /** `claimed`: the consumer it was taken from. */
  from?: string;
  /** `dead-lettered`: the id of its record in the dead-letter stream. */
  dlqId?: string;
}

/** An event read back from an events stream. */
export interface RecordedEvent extends QueueEvent {
  /** The event's own id in the events stream. */
  eventId: string;
  /** When it was written (ms since the epoch, from `eventId`). */
  at: number;
}

/** The `events` option of a worker: `true` for the defaults, or where and how many. */
export type EventsOption = boolean | { key?: string; maxLen?: number };

/** Resolves (and checks) an `events` option for queue `name`: null when off. Throws BadInputError. */
export function resolveEventsOption(option: EventsOption | undefined, name: string): { key: string; maxLen: number } | null {
  if (option === undefined || option === false) return null;
  if (option === true) return { key: eventsKeyOf(name), maxLen: DEFAULT_EVENTS_MAXLEN };
  if (!option || typeof option !== 'object' || Array.isArray(option)) throw new BadInputError('events must be true, false or { key?, maxLen? }');
  if (option.key !== undefined) nonEmpty(option.key, 'events.key');
  const key = option.key ?? eventsKeyOf(name);
  if (key === name) throw new BadInputError('events.key must differ from the queue itself');
  const maxLen = option.maxLen ?? DEFAULT_EVENTS_MAXLEN;
  if (!Number.isSafeInteger(maxLen) || maxLen < 1) throw new BadInputError(`events.maxLen must be a whole number ≥ 1 (got ${String(option.maxLen)})`);
  return { key, maxLen };
}

/** The pairs of an event, in the format's order (text). */
export function eventPairs(e: QueueEvent): string[] {
  const out = ['type', e.type, 'id', e.id];
  if (e.group !== undefined) out.push('group', e.group);
  if (e.consumer !== undefined) out.push('consumer', e.consumer);
  if (e.deliveries !== undefined) out.push('deliveries', String(e.deliveries));
  if (e.error !== undefined) out.push('error', e.error.length > MAX_ERROR_CHARS ? `${e.error.slice(0, MAX_ERROR_CHARS)}…` : e.error);
  if (e.from !== undefined) out.push('from', e.from);
  if (e.dlqId !== undefined) out.push('dlq-id', e.dlqId);
  return out;
}

const TYPES = new Set<string>(EVENT_TYPES);

/** Reads one entry of an events stream; null when it is not an event (unknown type, no id). */
export function parseEvent(entry: StreamEntry): RecordedEvent | null {
  const raw = entry.raw;
  if (!raw) return null;
  const v: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i + 1 < raw.length; i += 2) v[raw[i]!.toString('utf8')] = raw[i + 1]!.toString('utf8');
  const type = v['type'];
  const id = v['id'];
  if (type === undefined || !TYPES.has(type) || !id) return null;
  const e: RecordedEvent = { eventId: entry.id, at: idTime(entry.id), type: type as QueueEventType, id };
  if (v['group'] !== undefined) e.group = v['group'];
  if (v['consumer'] !== undefined) e.consumer = v['consumer'];
  if (v['deliveries'] !== undefined && v['deliveries'] !== '' && Number.isFinite(Number(v['deliveries']))) e.deliveries = Number(v['deliveries']);
  if (v['error'] !== undefined) e.error = v['error'];
  if (v['from'] !== undefined) e.from = v['from'];
  if (v['dlq-id'] !== undefined) e.dlqId = v['dlq-id'];
  return e;
}

/**
 * Writes events to an events stream without holding anyone up: {@link record} only buffers;
 * buffered events go out in one pipeline of `XADD key MAXLEN ~ N * ...` within a few ms, one
 * pipeline at a time (what arrives meanwhile waits for the next). A failed write drops its events
 * (see {@link dropped}) and is reported through `onError` at most every 30 s; beyond
 * 10,000 buffered events (Redis unreachable) the oldest are dropped.
 */
export class EventRecorder {
  private buffer: string[][] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private lastErrorAt = -Infinity;
  private droppedCount = 0;
  private closed = false;

  /**
   * @param client the connection to write on (a getter: the worker opens it later), undefined = not yet
   * @param defaults fields added to every event (the worker's group and consumer)
   */
  constructor(
    private readonly client: () => RedisClient | undefined,
    readonly key: string,
    readonly maxLen: number,
    private readonly defaults: Pick<QueueEvent, 'group' | 'consumer'> = {},
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {}

  /** Events dropped so far (failed writes, overflow). */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Buffers one event (its `group` and `consumer` default to the recorder's). Never throws. */
  record(type: QueueEventType, id: string, more: Omit<QueueEvent, 'type' | 'id'> = {}): void {
    if (this.closed) return;
    this.buffer.push(eventPairs({ type, id, ...this.defaults, ...more }));
    if (this.buffer.length > MAX_BUFFERED) {
      this.droppedCount += this.buffer.length - MAX_BUFFERED;
      this.buffer.splice(0, this.buffer.length - MAX_BUFFERED);
    }
    if (!this.timer && !this.writing) {
      this.timer = setTimeout(this.flushLater, FLUSH_DELAY_MS);
      this.timer.unref?.();
    }
  }

  private readonly flushLater = (): void => {
    this.timer = undefined;
    void this.flush();
  };

  /** Writes what is buffered now (and whatever arrives while it writes); resolves when done. Never rejects. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing) await this.writing;
    if (this.buffer.length === 0) return;
    this.writing = this.write();
    try {
      await this.writing;
    } finally {
      this.writing = undefined;
    }
    if (this.buffer.length > 0) await this.flush();
  }

  private async write(): Promise<void> {
    const client = this.client();
    const batch = this.buffer.splice(0, MAX_BATCH);
    if (!client) {
      this.droppedCount += batch.length;
      return;
    }
    try {
      const p = client.pipeline();
      for (const pairs of batch) p.xadd(this.key, 'MAXLEN', '~', this.maxLen, '*', ...pairs);
      const replies = (await p.exec()) ?? [];
      const failed = replies.filter(([err]) => err);
      if (failed.length) {
        this.droppedCount += failed.length;
        this.report(failed[0]![0]);
      }
    } catch (e) {
      this.droppedCount += batch.length;
      this.report(e);
    }
  }

  private report(e: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorAt < 30_000) return;
    this.lastErrorAt = now;
    try {
      this.onError(toQueueError(e, { key: this.key, command: 'XADD', expected: 'stream' }));
    } catch {
      /* a listener's failure is not ours */
    }
  }

  /** Writes what is buffered and records nothing more. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }
}

/** Bounds of {@link readEvents}. */
export interface ReadEventsBounds {
  /** First event id looked at. Default: the time of `messageId` when it is a stream id, else the start. */
  from?: string;
  /** Most XRANGE calls. Default 20. */
  maxCalls?: number;
  /** Events per call. Default 500. */
  count?: number;
  signal?: AbortSignal;
}

/**
 * The recorded events of one message (or job) `messageId`, oldest first: events stream `key` read
 * forward from `from` in pages, at most `maxCalls` of them. `complete` is false when the bound (or
 * the signal) stopped the read before the end of the events stream.
 */
export async function readEvents(
  client: RedisClient,
  key: string,
  messageId: string,
  bounds: ReadEventsBounds = {},
): Promise<{ events: RecordedEvent[]; complete: boolean; calls: number; read: number }> {
  nonEmpty(key, 'events key');
  nonEmpty(messageId, 'message id');
  const maxCalls = bounds.maxCalls ?? 20;
  if (!Number.isSafeInteger(maxCalls) || maxCalls < 1) throw new BadInputError('maxCalls must be a whole number ≥ 1');
  const from = bounds.from ?? (isValidId(messageId, { allowMsOnly: false }) ? idForTime(idTime(messageId)) : '-');
  const count = bounds.count ?? 500;
  const scan = new StreamPages(client, key, { start: from, policy: new PagePolicy({ first: count, max: count, targetBytes: Infinity }) });
  const events: RecordedEvent[] = [];
  while (!scan.done && scan.calls < maxCalls && !bounds.signal?.aborted) {
    for (const entry of await scan.nextEntries()) {
      const e = parseEvent(entry);
      if (e && e.id === messageId) events.push(e);
    }
  }
  return { events, complete: scan.done, calls: scan.calls, read: scan.read };
}
