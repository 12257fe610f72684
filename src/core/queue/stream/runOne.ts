/**
 * One given message through a handler exactly as the stream worker would run it (issue 24: "debug
 * your own handler on a real message"): {@link runOneMessage}.
 *
 * The same code path as production: the message object is built by the worker's own
 * `streamMessage`, the entry is taken with XCLAIM as the worker re-takes its own pending entries
 * (the delivery count goes up by one), its lease is renewed while the handler runs by the worker's
 * `Leases`, a success is acked by the worker's `AckBatcher`, a failure goes through the worker's
 * rules (`beforeRun`, `afterFailure`) and its dead-lettering (`Failures.deadLetter`: the same
 * record), and the `events` option records the same events. What differs is what a worker does
 * over time: a failure below `maxDeliveries` is left pending (a worker with this consumer name
 * re-takes it on start; any worker reclaims it after `claimMinIdleMs`), not retried after a back-off.
 *
 * It never takes a message from another consumer silently: an entry pending at another consumer
 * is refused ({@link NotHeldError}) unless `claim` (taken over with XCLAIM, as a reclaim would) or
 * `dryRun`. A dry run writes nothing at all (no XCLAIM, XACK, XADD, event): the handler still runs
 * on the exact message, and the result says what the worker would have done.
 */
import { describeTarget, open, quit, type RedisClient } from '../../redis/connection';
import { xpendingOne } from '../../redis/commands';
import { BadInputError, QueueError, redisErrorCode, toQueueError } from '../../redis/errors';
import { parseId } from '../../messages/ids';
import { parseEntries, type PendingEntry, type StreamEntry } from '../../redis/replies';
import { defaultDeadLetterStream } from '../keys';
import { define, runScript } from '../lua';
import { LUA_DELIVER_NEXT } from '../luaSources.generated';
import { EventRecorder, resolveEventsOption } from '../runtime/events';
import { AckBatcher, type AckHost } from './ackBatcher';
import { Failures, OVER_DELIVERED_REASON, afterFailure, beforeRun, type FailureHost } from './failure';
import { Leases, type LeaseHost } from './lease';
import { DEFAULTS, checkStreamWorkerOptions, defaultConsumerName, streamMessage, type StreamMessage, type StreamWorkerOptions } from './options';

export interface RunOneOptions extends StreamWorkerOptions {
  /** The entry to run. */
  id: string;
  /** An entry pending at another consumer is taken over (XCLAIM, a delivery) instead of refused. Default false. */
  claim?: boolean;
  /** Writes nothing at all; the handler still runs on the exact message. Default false (forced on a `readOnly` connection). */
  dryRun?: boolean;
  /**
   * An entry not pending in the group is delivered to this consumer first (XREADGROUP, only when
   * it is the group's next undelivered entry) instead of run as a dry run. Default false.
   */
  deliver?: boolean;
  /** The handler is aborted (its context's signal) and counted as failed after this long, ms. Default: no limit. */
  timeoutMs?: number;
  /**
   * Asked after the handler ran (not on a dry run), while the entry is still held (its lease
   * renewed): what to do with it instead of the worker's rule. `ack`; `leave` it pending at this
   * consumer; `dead-letter` it (with the handler's error as the reason, or `reason`). Without it,
   * the worker's rule decides (ack on success; on failure left pending, or dead-lettered at
   * `maxDeliveries`). A rejection (a dismissed prompt) leaves the entry pending. With it, an entry
   * already delivered more than `maxDeliveries` times is run too (a worker dead-letters it unseen).
   */
  decide?: (ran: HandlerRun) => Promise<Decision>;
  /**
   * Aborts the handler (its context's signal) from outside. As when a worker's stop() gives up on
   * a handler, the entry is then left pending (outcome `left-pending`, never dead-lettered for it).
   */
  signal?: AbortSignal;
}

/** What one call of the handler did, for {@link RunOneOptions.decide}. */
export interface HandlerRun {
  id: string;
  deliveries: number;
  /** The handler's error (undefined: it succeeded), and its stack when it had one. */
  error?: string;
  stack?: string;
  durationMs: number;
  /** What the worker's rule would do now. */
  wouldBe: 'acked' | 'left-pending' | 'dead-lettered';
}

/** The choice {@link RunOneOptions.decide} returns. */
export type Decision = { action: 'ack' } | { action: 'leave' } | { action: 'dead-letter'; reason?: string };

/**
 * - `acked`: the handler succeeded and the entry was acked.
 * - `left-pending`: the handler failed below `maxDeliveries`: pending with this consumer, retried later.
 * - `dead-lettered`: moved to the dead-letter stream (failed at `maxDeliveries`, or delivered more
 *   than `maxDeliveries` times without completing: then not run).
 * - `dry-run`: nothing was written (see `dryRunReason`, `wouldBe`).
 * - `deleted`: pending, but its message was deleted from the stream: not run, nothing written.
 * - `lost`: taken over or acked by someone else while the handler ran: neither acked nor retried.
 */
export type RunOneOutcome = 'acked' | 'left-pending' | 'dead-lettered' | 'dry-run' | 'deleted' | 'lost';

export interface RunOneResult {
  outcome: RunOneOutcome;
  stream: string;
  group: string;
  consumer: string;
  id: string;
  /** The delivery count the handler saw (this delivery included); for `deleted`, the count in the PEL. */
  deliveries: number;
  /** The handler was called. */
  ran: boolean;
  /** The handler's error, or why it was dead-lettered unseen; its stack when the handler threw one. */
  error?: string;
  stack?: string;
  /** `decide` chose the outcome (not the worker's rule). */
  decided?: boolean;
  /** How long the handler ran, ms (0 when it did not run). */
  durationMs: number;
  /** `dead-lettered`: its id in the dead-letter stream. */
  dlqId?: string;
  deadLetterStream: string;
  /** Who held it before this run (null: not pending in the group). */
  heldBy: string | null;
  /**
   * How long it had been idle in the PEL before this run, ms (undefined: not pending). Short on an
   * entry of this consumer: a live worker running under the same consumer name may hold it (the
   * same name is the same consumer: nothing tells the two apart).
   */
  idleMs?: number;
  /** Taken over from this consumer (`claim`). */
  claimedFrom?: string;
  /** `dry-run`: why nothing was written. */
  dryRunReason?: string;
  /** `dry-run`: what the worker would have done with this result. */
  wouldBe?: 'acked' | 'left-pending' | 'dead-lettered';
  /** One sentence saying what happened. */
  summary: string;
}

/** The entry is pending at another consumer: not taken without `claim` (or `dryRun`). */
export class NotHeldError extends QueueError {
  constructor(readonly id: string, readonly owner: string, consumer: string) {
    super('REDIS', `Entry ${id} is pending at consumer "${owner}", not "${consumer}": refused (another worker may be running it). Take it over with claim (--claim), run it as that consumer, or run it as a dry run (--dry-run: nothing is written)`);
  }
}

/**
 * KEYS[1] stream. ARGV[1] group, ARGV[2] consumer, ARGV[3] id. Delivers the entry to the consumer
 * (XREADGROUP '>', COUNT 1) only when it is the group's next undelivered entry. Returns the
 * XREADGROUP reply. Its refusals (nothing written), a missing group and an entry that is not the
 * next, come out of runScript as NoGroupError and BadInputError (see ../lua.ts).
 */
const DELIVER_NEXT = define('deliverNext', LUA_DELIVER_NEXT, ['nogroup', 'not-next']);

/**
 * Runs the entry `id` through `options.handler` once, as {@link startStreamWorker} with the same
 * options would (see the file's comment), and says what happened. Rejects (nothing written) when
 * the entry is pending at another consumer without `claim` ({@link NotHeldError}), when it is not
 * in the stream, on bad options, and when Redis fails; a handler's failure is an outcome, not a
 * rejection. Every wait is bounded: commands by the connection's `commandTimeoutMs`, the handler
 * by `timeoutMs` when given.
 */
export async function runOneMessage(options: RunOneOptions): Promise<RunOneResult> {
  checkStreamWorkerOptions(options);
  if (typeof options.id !== 'string') throw new BadInputError('id is required');
  parseId(options.id, { allowMsOnly: false });
  if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) throw new BadInputError('timeoutMs must be a positive number of ms');
  const { stream, group, id } = options;
  const consumer = options.consumer ?? defaultConsumerName();
  const maxDeliveries = options.maxDeliveries ?? DEFAULTS.maxDeliveries;
  const claimMinIdleMs = options.claimMinIdleMs ?? DEFAULTS.claimMinIdleMs;
  const deadLetterStream = options.deadLetterStream ?? defaultDeadLetterStream(stream);
  const target = describeTarget(options.connection);
  const err = (e: unknown, command?: string) => (e instanceof QueueError ? e : toQueueError(e, { key: stream, group, command, target, expected: 'stream' }));
  const base = { stream, group, consumer, id, deadLetterStream };

  let cmd: RedisClient | undefined;
  try {
    cmd = await open(options.connection, 'command');
  } catch (e) {
    throw err(e);
  }
  const c = cmd;
  /** Errors the worker's parts report (the worker emits them as `error`; here the first one fails the run where it matters). */
  const reported: QueueError[] = [];
  let lostReason: string | undefined;
  let dead: { dlqId: string } | undefined;
  const ev = resolveEventsOption(options.events, stream);
  const dry = options.dryRun === true || options.connection.readOnly === true;
  const events = ev && !dry ? new EventRecorder(() => c, ev.key, ev.maxLen, { group, consumer }, (e) => reported.push(err(e, 'events'))) : undefined;
  let confirmed = false;
  const host: AckHost & FailureHost & LeaseHost = {
    stream,
    group,
    consumer,
    command: () => c,
    // Nothing is retried in the background: a failed XACK is given up (reported), not put back.
    stopping: () => true,
    report: (e, command) => reported.push(err(e, command)),
    confirmed: (ids) => {
      confirmed = true;
      for (const x of ids) events?.record('acked', x);
    },
    abandoned: () => undefined,
    release: () => undefined,
    claimBack: () => Promise.resolve([]),
    retaken: () => Promise.resolve(),
    lost: () => undefined,
    ack: (x) => acks.add(x),
    deadLettered: (info) => {
      dead = { dlqId: info.dlqId };
      events?.record('dead-lettered', info.id, { deliveries: info.deliveries, error: info.error, dlqId: info.dlqId });
    },
    leaseLost: (_x, _owner, why) => {
      lostReason = why;
    },
  };
  const acks = new AckBatcher(host, 1, 0);
  const failures = new Failures(host, { maxDeliveries, backoff: options.backoff, deadLetterStream, deleteOnDeadLetter: options.deleteOnDeadLetter });
  const leases = new Leases(host, options.leaseIntervalMs ?? (claimMinIdleMs > 0 ? claimMinIdleMs / 3 : 20_000));

  try {
    // What the group holds now (read only).
    let pending: PendingEntry | null;
    let noGroup = false;
    try {
      pending = await xpendingOne(c, stream, group, id);
    } catch (e) {
      if (redisErrorCode(e) !== 'NOGROUP') throw err(e, 'XPENDING');
      pending = null;
      noGroup = true;
    }
    let entry: StreamEntry | undefined;
    try {
      entry = parseEntries(await c.callBuffer('XRANGE', stream, id, id))[0];
    } catch (e) {
      throw err(e, 'XRANGE');
    }
    const heldBy = pending?.consumer ?? null;
    const idleMs = pending?.idle;
    if (!entry || entry.fields === null) {
      if (!pending) throw new BadInputError(`No entry ${id} in stream "${stream}"`);
      const summary = `Entry ${id} is pending at "${pending.consumer}" (delivered ${pending.deliveries} times) but its message was deleted from the stream: not run, nothing written (a worker acks such entries)`;
      return { ...base, outcome: 'deleted', deliveries: pending.deliveries, ran: false, durationMs: 0, heldBy, idleMs: pending.idle, summary };
    }

    let dryRunReason: string | undefined;
    if (options.connection.readOnly) dryRunReason = 'the connection is read-only';
    else if (options.dryRun) dryRunReason = 'asked for a dry run';
    else if (!pending && !options.deliver) dryRunReason = noGroup ? `group "${group}" does not exist` : `not pending in group "${group}" (never delivered, or acked)`;
    if (dryRunReason === undefined && pending && pending.consumer !== consumer && !options.claim) throw new NotHeldError(id, pending.consumer, consumer);

    if (dryRunReason !== undefined) {
      const message = streamMessage(stream, entry, (pending?.deliveries ?? 0) + 1, group, consumer);
      return { ...(await runMessageDry(message, { ...options, reason: dryRunReason, deadLetterStream })), heldBy, idleMs };
    }

    // Take it: XCLAIM to this consumer as the worker re-takes its own PEL (a delivery: the count
    // goes up), skipping it if someone else claimed it since XPENDING; or deliver it first.
    let taken: StreamEntry | undefined;
    let deliveries: number;
    let claimedFrom: string | undefined;
    if (pending) {
      const minIdle = Math.max(0, pending.idle - 100);
      try {
        taken = parseEntries(await c.callBuffer('XCLAIM', stream, group, consumer, minIdle, id))[0];
      } catch (e) {
        throw err(e, 'XCLAIM');
      }
      if (!taken) throw new QueueError('REDIS', `Entry ${id} changed while it was being taken (claimed by someone else, acked or deleted meanwhile): nothing was run`);
      deliveries = pending.deliveries + 1;
      if (pending.consumer !== consumer) {
        claimedFrom = pending.consumer;
        events?.record('claimed', id, { from: pending.consumer });
      }
    } else {
      let r: unknown;
      try {
        r = await runScript(c, DELIVER_NEXT, [stream], [group, consumer, id], { stream, group, id });
      } catch (e) {
        throw err(e, 'XREADGROUP');
      }
      taken = parseEntries((r as unknown[][])[0]![1])[0];
      if (!taken) throw new QueueError('REDIS', `Entry ${id} could not be delivered`);
      deliveries = 1;
    }
    const held = { ...base, heldBy, idleMs, ...(claimedFrom !== undefined ? { claimedFrom } : {}) };
    // (With `decide` a person chose to run it: an entry delivered too often is run, not dead-lettered unseen.)
    if (!options.decide && beforeRun(deliveries, maxDeliveries) === 'dead-letter') {
      const step = await failures.deadLetter(id, deliveries, OVER_DELIVERED_REASON);
      return finishDeadLetter(step, { ...held, deliveries, ran: false, error: OVER_DELIVERED_REASON, durationMs: 0 });
    }
    leases.hold(id);
    leases.start();
    events?.record('delivered', id, { deliveries });
    let r: HandlerResult;
    let decision: Decision | undefined;
    try {
      r = await runHandler(options, streamMessage(stream, taken, deliveries, group, consumer));
      if (r.error !== undefined && !r.aborted) events?.record('failed', id, { deliveries, error: r.error });
      // Asked while the lease still holds the entry: nobody takes it while the user decides.
      if (options.decide && !r.aborted && lostReason === undefined) {
        const wouldBe = r.error === undefined ? 'acked' : afterFailure(deliveries, maxDeliveries) === 'dead-letter' ? 'dead-lettered' : 'left-pending';
        decision = await options.decide({ id, deliveries, error: r.error, stack: r.stack, durationMs: r.durationMs, wouldBe }).catch((): Decision => ({ action: 'leave' }));
      }
    } finally {
      leases.stop();
    }
    const ran = { ...held, deliveries, ran: true, error: r.error, stack: r.stack, durationMs: r.durationMs, ...(decision ? { decided: true } : {}) };
    if (r.aborted) return { ...ran, outcome: 'left-pending', summary: `Aborted ${id} on delivery ${deliveries} after ${r.durationMs} ms: left pending at "${consumer}", as a stopping worker leaves what it gives up on` };
    if (lostReason !== undefined) return { ...ran, outcome: 'lost', summary: `Entry ${id} was lost while the handler ran (${lostReason}): neither acked nor left for a retry by this run` };
    const how = r.error === undefined ? `the handler succeeded in ${r.durationMs} ms on delivery ${deliveries}` : `the handler failed on delivery ${deliveries} (${r.error})`;
    if (decision?.action === 'leave') return { ...ran, outcome: 'left-pending', summary: `Left ${id} pending at "${consumer}" as chosen: ${how}` };
    if (decision?.action === 'dead-letter') return finishDeadLetter(await failures.deadLetter(id, deliveries, decision.reason ?? r.error ?? 'dead-lettered by hand'), { ...ran, error: decision.reason ?? r.error ?? 'dead-lettered by hand' });
    if (decision?.action === 'ack' || r.error === undefined) {
      acks.add(id);
      await acks.flush();
      if (!confirmed) throw reported[0] ?? new QueueError('REDIS', `The XACK of ${id} was not confirmed`);
      return { ...ran, outcome: 'acked', summary: decision ? `Acked ${id} as chosen: ${how}` : `Acked ${id}: ${how}` };
    }
    if (afterFailure(deliveries, maxDeliveries) === 'retry') {
      return {
        ...ran,
        outcome: 'left-pending',
        summary: `Left ${id} pending at "${consumer}": the handler failed on delivery ${deliveries} of ${maxDeliveries} (${r.error}); a worker retries it (this consumer name re-takes it on start, others after ${claimMinIdleMs} ms idle)`,
      };
    }
    return finishDeadLetter(await failures.deadLetter(id, deliveries, r.error), ran);
  } finally {
    await events?.close();
    await quit(c);
  }

  function finishDeadLetter(step: Awaited<ReturnType<Failures['deadLetter']>>, r: Omit<RunOneResult, 'outcome' | 'summary'>): Promise<RunOneResult> | RunOneResult {
    if ('dlqId' in step) {
      return { ...r, outcome: 'dead-lettered', dlqId: dead?.dlqId ?? step.dlqId, summary: `Dead-lettered ${id} to "${deadLetterStream}" as ${step.dlqId} after ${r.deliveries} deliveries: ${r.error}` };
    }
    if ('notPending' in step) return { ...r, outcome: 'lost', summary: `Entry ${id} was no longer pending when it was to be dead-lettered (acked or moved by someone else): nothing written` };
    if ('gone' in step) {
      return acks.flush().then(() => ({ ...r, outcome: 'deleted' as const, summary: `Entry ${id}'s message was deleted from the stream before it could be dead-lettered: acked, as a worker does` }));
    }
    throw err(step.failed, 'dead-letter');
  }
}

export interface DryRunOptions {
  handler: StreamWorkerOptions['handler'];
  /** Why this is a dry run (said in the summary). */
  reason: string;
  /** How the summary names the message (default its id). */
  name?: string;
  /** As {@link RunOneOptions}: the handler's time bound, an outside abort, the worker's rule for `wouldBe`. */
  timeoutMs?: number;
  signal?: AbortSignal;
  maxDeliveries?: number;
  deadLetterStream?: string;
}

/**
 * A dry run of one message, already read (a dead letter's original, a producer file's next
 * message, an entry outside any group): the handler runs on it as a worker would call it, and
 * nothing is sent to Redis by this run. What the handler itself does (its own writes and calls)
 * happens. The result says what a worker would have done (`wouldBe`). Bounded by `timeoutMs`.
 */
export async function runMessageDry(message: StreamMessage, o: DryRunOptions): Promise<RunOneResult> {
  const r = await runHandler(o, message);
  const deliveries = message.deliveries;
  const wouldBe = r.error === undefined ? 'acked' : afterFailure(deliveries, o.maxDeliveries ?? DEFAULTS.maxDeliveries) === 'dead-letter' ? 'dead-lettered' : 'left-pending';
  const what = r.error === undefined ? 'succeeded' : r.aborted ? `was stopped (${r.error})` : `failed (${r.error})`;
  const would = wouldBe === 'left-pending' ? 'left it pending for a retry' : wouldBe === 'acked' ? 'acked it' : 'dead-lettered it';
  return {
    outcome: 'dry-run',
    stream: message.stream,
    group: message.group,
    consumer: message.consumer,
    id: message.id,
    deliveries,
    ran: true,
    error: r.error,
    stack: r.stack,
    durationMs: r.durationMs,
    deadLetterStream: o.deadLetterStream ?? defaultDeadLetterStream(message.stream),
    heldBy: null,
    dryRunReason: o.reason,
    wouldBe,
    summary: `Dry run of ${o.name ?? message.id} (${o.reason}): the handler ${what} in ${r.durationMs} ms on delivery ${deliveries}; this run wrote nothing to Redis, the handler's own side effects happened (a worker would have ${would})`,
  };
}

interface HandlerResult {
  error?: string;
  stack?: string;
  durationMs: number;
  aborted?: boolean;
}

/** Calls the handler as the worker does (a sync throw is a failure), bounded by `timeoutMs`; the error text (and stack), if it failed. */
async function runHandler(o: Pick<RunOneOptions, 'handler' | 'timeoutMs' | 'signal'>, message: StreamMessage): Promise<HandlerResult> {
  const abort = new AbortController();
  const onOuter = () => abort.abort(o.signal?.reason ?? new Error('aborted'));
  if (o.signal?.aborted) onOuter();
  else o.signal?.addEventListener('abort', onOuter, { once: true });
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = Promise.resolve().then(() => o.handler(message, { signal: abort.signal }));
    const bounds: Promise<unknown>[] = [result];
    if (o.timeoutMs !== undefined) {
      bounds.push(
        new Promise((_, reject) => {
          timer = setTimeout(() => {
            const e = new Error(`timed out after ${o.timeoutMs} ms`);
            abort.abort(e);
            reject(e);
          }, o.timeoutMs);
        }),
      );
    }
    bounds.push(new Promise((_, reject) => abort.signal.addEventListener('abort', () => reject(abort.signal.reason instanceof Error ? abort.signal.reason : new Error('aborted')), { once: true })));
    await Promise.race(bounds);
    return { durationMs: Math.round(performance.now() - started) };
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    return { error: error.message, ...(error.stack ? { stack: error.stack } : {}), durationMs: Math.round(performance.now() - started), ...(o.signal?.aborted ? { aborted: true } : {}) };
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onOuter);
  }
}
