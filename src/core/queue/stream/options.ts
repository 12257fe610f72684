/**
 * A stream worker's options, events and stats, their defaults and checks (the worker is in
 * worker.ts; what a handler receives is {@link StreamMessage}).
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { ConnectionOptions } from '../../redis/connection';
import { BadInputError, type QueueError } from '../../redis/errors';
import type { Capabilities, Fields, StreamEntry } from '../../redis/replies';
import type { RawFields } from '../../messages/message';
import type { BackoffOptions } from '../runtime/backoff';
import { type EventsOption, resolveEventsOption } from '../runtime/events';
import { checkBackoff, groupStartId, nonEmpty, nonNegative, positiveInt } from '../validate';
/** What a handler receives. */
export interface StreamMessage {
  stream: string;
  id: string;
  /** The message as Redis holds it: names and values alternating, in order, byte for byte (see message.ts). */
  raw: RawFields;
  /** A view of `raw`: name → value (text when valid UTF-8); with duplicate names the last value wins. */
  fields: Fields;
  /** Times this entry was delivered in the group, this delivery included (1 on first delivery). */
  deliveries: number;
  /** The consumer group it was delivered in, and the consumer it was delivered to. */
  group: string;
  consumer: string;
}

/** The message a handler receives for `entry` (read with its body) on delivery number `deliveries`: the one shape the worker and {@link runOneMessage} give. */
export function streamMessage(stream: string, entry: StreamEntry, deliveries: number, group: string, consumer: string): StreamMessage {
  return { stream, id: entry.id, raw: entry.raw!, fields: entry.fields!, deliveries, group, consumer };
}

/**
 * Processes one message. Resolve = success (the entry is acked); throw/reject = failure (retried).
 * `context` is a fresh object per call (the handler may add to it); its `signal` is shared by
 * every call and aborts when stop() gives up waiting for running handlers.
 */
export type StreamHandler = (message: StreamMessage, context: { signal: AbortSignal }) => Promise<void> | void;

export interface StreamWorkerOptions {
  /** Where Redis is. The worker opens two connections: `command` and its own `blocking` one. */
  connection: ConnectionOptions;
  stream: string;
  group: string;
  /** This member's name in the group. Default `<host>-<pid>-<random>`: unique per process. Reuse a fixed name to re-read your own pending entries after a restart. */
  consumer?: string;
  handler: StreamHandler;
  /** Where a newly created group starts: `$` (default: only new entries, as a queue usually wants), `0` or an id. Ignored when the group exists. */
  startId?: string;
  /** Handlers running at once. Default 10. */
  concurrency?: number;
  /** COUNT per read. Default: `concurrency` (never reads more than it can start, with the default `prefetch` 0). */
  batchSize?: number;
  /**
   * Entries read ahead beyond `concurrency`, so the next read overlaps running handlers. Default 0:
   * prefetched entries sit in this consumer's PEL. A graceful stop releases the ones not started
   * (their idle time is set to `claimMinIdleMs`, so another worker's next reclaim round takes them,
   * or a worker with the same consumer name re-reads them); after a crash they wait
   * `claimMinIdleMs`. Raise it (e.g. 100, with `batchSize` 100) for throughput with fast handlers.
   */
  prefetch?: number;
  /** BLOCK of a read, ms. Default 5000: bounds how long a stuck read goes unnoticed; stop() breaks it anyway. */
  blockMs?: number;
  /**
   * Acks sent in one XACK when this many are collected. Default 100. Acks collected while a read's
   * entries are handed to handlers go with the next read instead, in the same round trip.
   */
  ackBatchSize?: number;
  /** ...or after this many ms. Default 5: keeps ack latency invisible while still batching under load. */
  ackDelayMs?: number;
  /**
   * Read new entries with a Lua script (XACK of the previous acks + XREADGROUP without BLOCK,
   * entries packed with cmsgpack into one value) while entries keep coming; a plain blocking
   * XREADGROUP when the stream runs dry. Default false: plain XREADGROUP + XACK, the cheaper
   * choice for Redis, which all workers share. `true` saves this process about a third of its CPU
   * per message (one value to decode per read instead of ~7 per entry, one command instead of a
   * read and an XACK) for 1.5–2.5× the server CPU per message; with fast handlers it drained
   * 0.8–1.45× as fast as plain reads across six runs (faster in four; BENCHMARKS.md). Worth it when the
   * worker's CPU, not Redis, is the limit. Large entries pass through Lua strings (more server
   * memory during a read).
   * Falls back to plain reads by itself if the server refuses the script (ACL, no cmsgpack).
   * Delivery is the same either way (the script's XREADGROUP fills the PEL like a plain one).
   */
  scriptedReads?: boolean;
  /** Deliveries after which a failing entry is dead-lettered. Default 5. */
  maxDeliveries?: number;
  /** Retry delays after a failure (see {@link BackoffOptions}; defaults 200 ms ×2 up to 30 s, 20 % jitter). */
  backoff?: BackoffOptions;
  /**
   * Entries idle longer than this in a consumer's PEL are reclaimed (their consumer is taken for
   * dead). Default 60 000 ms. Handlers may run longer: the entries a live worker holds are renewed
   * (see `leaseIntervalMs`), so they never get this idle. `0` disables this worker's reclaiming.
   */
  claimMinIdleMs?: number;
  /**
   * How often the entries this worker holds (queued, running, waiting for a retry) are renewed:
   * re-claimed to this consumer with JUSTID (their idle time restarts, their delivery count does
   * not move), in one script per batch, only those still pending with this consumer. Entries held
   * for less than this are not renewed (a fast handler costs nothing). Default `claimMinIdleMs / 3`
   * (20 000 ms when this worker's reclaiming is off: other workers may still reclaim). Keep it well
   * under the smallest claim idle of anything that reclaims from the group (other workers, the
   * editor's Claim); at most `claimMinIdleMs / 2`.
   */
  leaseIntervalMs?: number;
  /** How often to look for reclaimable entries. Default `min(claimMinIdleMs, 30 000)` ms. */
  claimIntervalMs?: number;
  /** Dead-letter stream. Default `<stream>:dlq` (shares the stream's hash tag). */
  deadLetterStream?: string;
  /** XDEL an entry from the source stream when dead-lettering it. Default false (keeps the source intact for inspection). */
  deleteOnDeadLetter?: boolean;
  /** stop() waits this long for running handlers, then releases them (they stay pending). Default 10 000 ms. */
  stopTimeoutMs?: number;
  /** Overrides of the capabilities derived from the server version (tests of the fallbacks, servers that misreport). Default: none. */
  capabilities?: Partial<Capabilities>;
  /**
   * Record what happens to each message (delivered, failed, retried, claimed from whom, acked,
   * dead-lettered) in a capped events stream, shown by the journey of a message (see
   * queue/runtime/events.ts): `true` for `<stream>:events` capped at about 10,000 events, or
   * `{ key, maxLen }`. Written in pipelines without waiting; a failed write never delays or loses
   * a message. Default false: no event, no extra command.
   */
  events?: EventsOption;
}

export interface StreamWorkerStats {
  /** Handler calls that succeeded. */
  processed: number;
  /** Handler calls that failed. */
  failed: number;
  /**
   * Entries this worker acked: ids in its XACKs that Redis confirmed, each counted once (even when
   * an earlier XACK of it, whose reply was lost, had already acked it and Redis now counts 0).
   */
  acked: number;
  deadLettered: number;
  claimed: number;
  retried: number;
  inFlight: number;
  maxInFlight: number;
  pendingAcks: number;
}

/**
 * Events:
 * - `error` (QueueError): a read, ack, claim or dead-letter failed; the worker carries on (reads are
 *   retried with backoff). A vanished group (NOGROUP) is reported, never re-created.
 * - `acked` (count): an XACK batch was confirmed (count: its ids, as in stats.acked).
 * - `deadLettered` ({ id, deliveries, error, dlqId })
 * - `claimed` (count): entries reclaimed from idle consumers.
 * - `failed` ({ id, deliveries, error }): a handler failed (a retry or a dead-letter follows).
 * - `lost` ({ id, owner, reason }): a lease renewal or a retry found that an entry this worker held
 *   is no longer its own (`owner` took it over, also reported as an `error`; owner null: it is no
 *   longer pending). The worker neither acks nor retries it; a handler running it runs on.
 * - `ready`: the group exists and reading starts.
 * - `stopped`.
 */
export interface StreamWorkerEvents {
  error: [QueueError];
  acked: [number];
  deadLettered: [{ id: string; deliveries: number; error: string; dlqId: string | null }];
  claimed: [number];
  failed: [{ id: string; deliveries: number; error: Error }];
  lost: [{ id: string; owner: string | null; reason: string }];
  ready: [];
  stopped: [];
}

export const DEFAULTS = {
  concurrency: 10,
  blockMs: 5000,
  ackBatchSize: 100,
  ackDelayMs: 5,
  maxDeliveries: 5,
  claimMinIdleMs: 60_000,
  stopTimeoutMs: 10_000,
};

/** Validates worker options (pure; exported for tests). Throws BadInputError. */
export function checkStreamWorkerOptions(o: StreamWorkerOptions): void {
  if (!o || typeof o !== 'object') throw new BadInputError('worker options are required');
  if (!o.connection) throw new BadInputError('connection is required');
  nonEmpty(o.stream, 'stream');
  nonEmpty(o.group, 'group');
  if (o.consumer !== undefined) nonEmpty(o.consumer, 'consumer');
  if (typeof o.handler !== 'function') throw new BadInputError('handler must be a function');
  groupStartId(o.startId);
  for (const k of ['concurrency', 'batchSize', 'ackBatchSize', 'maxDeliveries'] as const) if (o[k] !== undefined) positiveInt(o[k], k);
  if (o.prefetch !== undefined) nonNegative(o.prefetch, 'prefetch');
  for (const k of ['blockMs', 'ackDelayMs', 'claimMinIdleMs', 'claimIntervalMs', 'stopTimeoutMs'] as const) if (o[k] !== undefined) nonNegative(o[k], k);
  if (o.claimIntervalMs === 0) throw new BadInputError('claimIntervalMs must be > 0 (set claimMinIdleMs to 0 to disable reclaiming)');
  if (o.leaseIntervalMs !== undefined) {
    if (nonNegative(o.leaseIntervalMs, 'leaseIntervalMs') === 0) throw new BadInputError('leaseIntervalMs must be > 0');
    const idle = o.claimMinIdleMs ?? DEFAULTS.claimMinIdleMs;
    if (idle > 0 && o.leaseIntervalMs > idle / 2) throw new BadInputError(`leaseIntervalMs must be at most claimMinIdleMs / 2 (${idle / 2} ms): a lease must be renewed well before the entry can be reclaimed`);
  }
  if (o.scriptedReads !== undefined && typeof o.scriptedReads !== 'boolean') throw new BadInputError('scriptedReads must be true or false');
  if (o.deadLetterStream !== undefined) nonEmpty(o.deadLetterStream, 'deadLetterStream');
  if (o.deadLetterStream === o.stream) throw new BadInputError('deadLetterStream must differ from stream');
  checkBackoff(o.backoff);
  resolveEventsOption(o.events, o.stream);
}

/** A default consumer name unique to this process. */
export function defaultConsumerName(): string {
  return `${hostname()}-${process.pid}-${randomUUID().slice(0, 6)}`;
}
