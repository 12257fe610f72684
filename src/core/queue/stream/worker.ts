import { describeTarget, type RedisClient } from '../../redis/connection';
import { printable, QueueError, redisErrorCode, toQueueError } from '../../redis/errors';
import { compareIds, nextId } from '../../messages/ids';
import { parseEntries, parsePackedEntries, parseRead, type Capabilities, type StreamEntry } from '../../redis/replies';
import { serverCapabilities } from '../../redis/server';
import { xpendingRange } from '../../redis/commands';
import { isPermanentScriptRefusal, runScriptArgv } from '../lua';
import { READ_NEW } from './scripts';
import { pause } from '../runtime/pause';
import { defaultDeadLetterStream } from '../keys';
import { EventRecorder, resolveEventsOption } from '../runtime/events';
import { WorkerLifecycle } from '../runtime/lifecycle';
import { groupStartId } from '../validate';
import { AckBatcher, type AckHost } from './ackBatcher';
import { Reclaimer, type ReclaimHost } from './reclaim';
import { Failures, OVER_DELIVERED_REASON, beforeRun, type FailureHost } from './failure';
import { Leases, type LeaseHost } from './lease';
import { DEFAULTS, checkStreamWorkerOptions, defaultConsumerName, streamMessage, type StreamWorkerEvents, type StreamWorkerOptions, type StreamWorkerStats } from './options';

export { checkStreamWorkerOptions, defaultConsumerName, streamMessage, type StreamHandler, type StreamMessage, type StreamWorkerEvents, type StreamWorkerOptions, type StreamWorkerStats } from './options';

interface Task {
  entry: StreamEntry;
  deliveries: number;
  /** Runs with no other handler beside it (an entry whose earlier deliveries ended unknown, maybe in a crash). */
  alone: boolean;
  /** Date.now() when it was read or claimed (it has been idle in the PEL at least since). */
  readAt: number;
  /** For an `alone` entry: the acks before it were flushed (once). */
  acksFlushed?: boolean;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof (x as { then?: unknown } | null)?.then === 'function';
}

/**
 * A consumer-group member of one stream: reads with XREADGROUP on its own blocking connection,
 * runs `handler` per entry with bounded concurrency, acks successes in batches, retries failures
 * with backoff (XCLAIM to itself, which bumps the delivery count, only if the entry is still its
 * own and was not delivered since), reclaims entries idle in dead consumers (XAUTOCLAIM, or
 * XPENDING + XCLAIM on servers < 6.2) and dead-letters entries that reach `maxDeliveries` in one
 * atomic script (XADD to the DLQ + XACK [+ XDEL]).
 *
 * One run at a time: while the worker holds an entry (queued, running, waiting for its retry) it
 * renews its lease every `leaseIntervalMs` (lease.ts: the entry's idle time restarts, its delivery
 * count does not move), so no reclaim round, its own or another worker's, takes an entry from a
 * live worker, however long the handler runs. A delivery count therefore counts handler runs
 * (`maxDeliveries` runs fail before an entry is dead-lettered), except where a process died
 * holding it. If the worker cannot renew for about `claimMinIdleMs` (a partition, an event loop
 * blocked that long), another worker may take the entry over: the renewal reports it (`lost`) and
 * the worker neither acks nor retries it.
 *
 * Delivery is at-least-once: a handler may see an entry again after a crash (its worker's entries
 * are reclaimed after `claimMinIdleMs`).
 *
 * In a Cluster the stream and its DLQ should share a hash tag (`{orders}` and `{orders}:dlq`, the
 * default). If they do not, dead-lettering falls back to two steps (XADD to the DLQ, then XACK):
 * a crash between them can leave a copy in the DLQ while the entry is still pending (it is then
 * dead-lettered again on its next delivery, a duplicate in the DLQ, never a loss).
 *
 * Lifecycle: `start()` creates the group idempotently (`XGROUP CREATE ... MKSTREAM`; an existing
 * group is fine), re-reads this consumer's own pending entries (id `0`), then blocks on new ones
 * (`>`). `stop()` ends it gracefully: stops reading (disconnects the blocking connection, which
 * breaks a BLOCK), drops not-yet-started and backoff-waiting entries (they stay pending for the
 * next start or a reclaim; not-started ones are made reclaimable at once), waits for running
 * handlers up to `stopTimeoutMs`, renewing their leases meanwhile (then releases them: they stay
 * pending, reclaimable after `claimMinIdleMs`, and their late results are ignored), flushes acks
 * and closes the connections. Calling it again returns the same promise.
 *
 * Where things are: this file schedules (concurrency, prefetch, entries that must run alone) and
 * reads; `ackBatcher.ts` sends the acks; `lease.ts` renews what it holds; `reclaim.ts` takes over
 * idle entries; `failure.ts` retries and dead-letters; `runtime/lifecycle.ts` starts and stops.
 */
export class StreamWorker extends WorkerLifecycle<StreamWorkerEvents> {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly deadLetterStream: string;
  protected readonly o: StreamWorkerOptions & typeof DEFAULTS & { batchSize: number; prefetch: number; claimIntervalMs: number; leaseIntervalMs: number };
  private readonly target: string;
  private caps: Capabilities | undefined;
  /** Ids this worker currently owns locally (queued, running, or waiting for a retry; and acked, until the XACK is confirmed). */
  private readonly local = new Set<string>();
  /** Ids held but found lost (see the `lost` event): not run, acked nor retried. */
  private readonly lostIds = new Set<string>();
  private readonly queue: Task[] = [];
  /** Entries read or claimed but never started because the worker stopped (released by stop()). */
  private readonly unstarted: Task[] = [];
  private readonly running_ = new Map<string, Promise<void>>();
  /** A task that must run alone is running. */
  private aloneRunning = false;
  /** One signal for every handler: aborted when stop() gives up waiting (all are released at once). A controller per message cost ~7% of a no-op drain's CPU. */
  private readonly handlerAbort = new AbortController();
  /** New entries are read with the READ_NEW script (see {@link StreamWorkerOptions.scriptedReads}). */
  private scripted: boolean;
  /** The last scripted read found nothing: the next read blocks (a plain XREADGROUP). */
  private lastReadEmpty = false;
  private rereadPending = true;
  private pendingCursor = '0';
  /** Writes the events of the `events` option; undefined when it is off. */
  protected readonly events: EventRecorder | undefined;
  private readonly s: StreamWorkerStats = { processed: 0, failed: 0, acked: 0, deadLettered: 0, claimed: 0, retried: 0, inFlight: 0, maxInFlight: 0, pendingAcks: 0 };
  private readonly acks: AckBatcher;
  private readonly reclaimer: Reclaimer;
  private readonly failures: Failures;
  /** The leases of the entries held (queued, running, waiting for a retry). */
  private readonly leases: Leases;

  constructor(options: StreamWorkerOptions) {
    super();
    checkStreamWorkerOptions(options);
    const concurrency = options.concurrency ?? DEFAULTS.concurrency;
    const claimMinIdleMs = options.claimMinIdleMs ?? DEFAULTS.claimMinIdleMs;
    this.o = {
      ...DEFAULTS,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
      concurrency,
      batchSize: options.batchSize ?? concurrency,
      prefetch: options.prefetch ?? 0,
      claimIntervalMs: options.claimIntervalMs ?? Math.max(10, Math.min(claimMinIdleMs, 30_000)),
      leaseIntervalMs: options.leaseIntervalMs ?? (claimMinIdleMs > 0 ? claimMinIdleMs / 3 : 20_000),
    } as StreamWorker['o'];
    this.stream = options.stream;
    this.group = options.group;
    this.consumer = options.consumer ?? defaultConsumerName();
    this.deadLetterStream = options.deadLetterStream ?? defaultDeadLetterStream(options.stream);
    this.target = describeTarget(options.connection);
    this.scripted = options.scriptedReads ?? false;
    const ev = resolveEventsOption(options.events, options.stream);
    if (ev) this.events = new EventRecorder(() => this.cmd, ev.key, ev.maxLen, { group: this.group, consumer: this.consumer }, (e) => this.report(e, 'events'));
    // The one host of the parts: each sees only its own interface.
    const host: AckHost & ReclaimHost & FailureHost & LeaseHost = {
      stream: this.stream,
      group: this.group,
      consumer: this.consumer,
      command: () => this.cmd,
      stopping: () => this.stopping,
      report: (e, command) => this.report(e, command),
      capabilities: () => this.caps,
      rereading: () => this.rereadPending,
      room: () => this.o.concurrency * 2 - this.running_.size - this.queue.length,
      owns: (id) => this.local.has(id),
      ack: (id) => this.acks.add(id),
      release: (id) => this.letGo(id),
      lost: () => this.markReread(),
      confirmed: (ids) => this.acked(ids),
      abandoned: (ids) => {
        for (const id of ids) this.local.delete(id);
      },
      claimed: (entries, owners) => this.claimed(entries, owners),
      renewLeases: () => this.leases.renewDue(),
      claimBack: (id, deliveries) => this.leases.claimBack(id, deliveries),
      leaseLost: (id, owner, reason) => this.lostLease(id, owner, reason),
      retaken: (entries) => this.retaken(entries),
      deadLettered: (info) => {
        this.s.deadLettered++;
        this.events?.record('dead-lettered', info.id, { deliveries: info.deliveries, error: info.error, dlqId: info.dlqId });
        this.emit('deadLettered', info);
      },
    };
    this.acks = new AckBatcher(host, this.o.ackBatchSize, this.o.ackDelayMs);
    this.leases = new Leases(host, this.o.leaseIntervalMs);
    this.reclaimer = new Reclaimer(host, { claimMinIdleMs: this.o.claimMinIdleMs, withOwners: this.events !== undefined });
    this.failures = new Failures(host, { maxDeliveries: this.o.maxDeliveries, backoff: this.o.backoff, deadLetterStream: this.deadLetterStream, deleteOnDeadLetter: this.o.deleteOnDeadLetter });
  }

  /** Counters (a snapshot). */
  get stats(): StreamWorkerStats {
    return { ...this.s, inFlight: this.running_.size, pendingAcks: this.acks.pending };
  }

  /** start(): the server's capabilities, and the group, created if needed (`XGROUP CREATE ... MKSTREAM`). */
  protected async prepare(cmd: RedisClient): Promise<void> {
    this.caps = { ...(await serverCapabilities(cmd)), ...this.o.capabilities };
    try {
      await cmd.xgroup('CREATE', this.stream, this.group, groupStartId(this.o.startId), 'MKSTREAM');
    } catch (e) {
      if (redisErrorCode(e) !== 'BUSYGROUP') throw e;
    }
  }

  protected override watchBlocking(blocking: RedisClient): void {
    // After a reconnect, a read answered on the lost connection may have put entries in our PEL
    // that we never saw: re-read the PEL before blocking again.
    blocking.on('ready', () => this.markReread());
  }

  protected maintenance(): { everyMs: number; round: () => void } | undefined {
    return this.o.claimMinIdleMs > 0 ? { everyMs: this.o.claimIntervalMs, round: () => void this.reclaimer.round() } : undefined;
  }

  protected err(e: unknown, command?: string): QueueError {
    return toQueueError(e, { key: this.stream, group: this.group, command, target: this.target, expected: 'stream' });
  }

  /** Room for more entries: at most `concurrency` handlers run, plus `prefetch` entries queued. */
  private free(): number {
    return this.o.concurrency + this.o.prefetch - this.running_.size - this.queue.length;
  }

  private waitForSlot(): Promise<void> {
    if (this.free() > 0 || this.stopping) return Promise.resolve();
    return this.parkLoop();
  }

  /** Resolves when no handler runs and nothing is queued (or the worker stops). */
  private async waitIdle(): Promise<void> {
    while (!this.stopping && (this.running_.size > 0 || this.queue.length > 0)) await pause(5, this.stopCtl.signal);
  }

  /** Re-read the own PEL from the start before the next blocking read. */
  private markReread(): void {
    this.rereadPending = true;
    this.pendingCursor = '0';
  }

  protected async loop(): Promise<void> {
    this.leases.start(); // stopped at the end of drain(): running handlers keep their leases while stop() waits
    let errors = 0;
    /** A '>' read sent while the previous batch was being queued (prefetch > 0). */
    let ahead: Promise<StreamEntry[]> | undefined;
    while (!this.stopping) {
      try {
        let entries: StreamEntry[];
        if (ahead) {
          const a = ahead;
          ahead = undefined;
          entries = await a;
        } else {
          await this.waitForSlot();
          if (this.stopping) break;
          const count = Math.max(1, Math.min(this.o.batchSize, this.free()));
          if (this.rereadPending) {
            await this.retakeOwnPending(count);
            errors = 0;
            continue;
          }
          entries = await this.readNew(count);
        }
        // Read ahead: the server prepares the next batch while this one is queued and run. Only
        // into room left by this batch (so at most concurrency + prefetch entries are held).
        if (entries.length > 0 && this.o.prefetch > 0 && !this.rereadPending && !this.stopping) {
          // Full batches only: smaller reads cost more per entry than the overlap saves (measured).
          if (this.free() - entries.length >= this.o.batchSize) {
            ahead = this.readNew(this.o.batchSize);
            ahead.catch(() => undefined); // awaited (and its error handled) in the next turn
          }
        }
        this.enqueueNew(entries);
        errors = 0;
      } catch (e) {
        ahead = undefined;
        if (this.stopping) break;
        this.report(e, 'XREADGROUP');
        // A read may have been delivered and lost with the connection: those entries sit in our
        // PEL, so re-read it before blocking again.
        this.markReread();
        await pause(Math.min(5000, 100 * 2 ** Math.min(errors++, 6)), this.stopCtl.signal);
      }
    }
    // A read sent ahead may carry acks: let it settle (answered, or failed and its acks put back
    // for stop()'s last flush). Its entries are not run: stop() releases them.
    const rest = await ahead?.catch(() => undefined);
    if (rest) {
      const readAt = Date.now();
      for (const entry of rest) this.unstarted.push({ entry, deliveries: 1, alone: false, readAt });
    }
  }

  /**
   * Reads new entries ('>') on the blocking connection; acks waiting to be sent go with it (one
   * round trip for both). With scripted reads, one script call XACKs them and reads without
   * blocking (entries packed into one value); when it finds nothing, the next read is a plain
   * XREADGROUP … BLOCK (the acks then go just before it, on the same connection: the XACK runs at
   * once, before the read blocks).
   */
  private async readNew(count: number): Promise<StreamEntry[]> {
    // Acks ride only on a connection that is up; otherwise the ack timer flushes them on `cmd`.
    const acks = this.acks.pending > 0 && this.blocking!.status === 'ready' ? this.acks.take() : undefined;
    if (this.scripted && !this.lastReadEmpty) {
      const argv: (string | number)[] = ['', 1, this.stream, this.group, this.consumer, count];
      if (acks) for (const id of acks) argv.push(id);
      const ride = acks ? this.acks.ride(acks) : undefined;
      let r: unknown[];
      try {
        r = (await runScriptArgv(this.blocking!, READ_NEW, argv)) as unknown[];
      } catch (e) {
        if (ride) this.acks.rideFailed(ride); // (the read's error is reported by the read loop)
        // A server that will not run the script (no EVAL for this ACL user, no cmsgpack, ...):
        // plain reads from now on. A passing refusal (BUSY, LOADING, READONLY, a failover, a lost
        // connection) leaves scripted reads on: the read loop retries after a pause.
        if (isPermanentScriptRefusal(e)) this.scripted = false;
        throw e;
      }
      if (ride) this.acks.rideConfirmed(ride);
      const packed = r[1];
      if (packed instanceof Error) throw packed;
      let entries: StreamEntry[] = [];
      try {
        if (Buffer.isBuffer(packed)) entries = parsePackedEntries(packed);
      } catch (e) {
        this.scripted = false; // a packing this client does not read: plain reads from now on
        throw e; // (the entries read sit in our PEL and are re-taken from there)
      }
      this.lastReadEmpty = entries.length === 0;
      return entries;
    }
    if (acks) this.acks.send(this.blocking!, acks);
    const raw = await this.blocking!.xreadgroupBuffer('GROUP', this.group, this.consumer, 'COUNT', count, 'BLOCK', this.o.blockMs, 'STREAMS', this.stream, '>');
    this.lastReadEmpty = false;
    const read = parseRead(raw);
    return read.length === 1 ? read[0]!.entries : read.flatMap((x) => x.entries);
  }

  /**
   * One step of re-taking this consumer's own pending entries (after a restart or a dropped
   * connection). They are taken with XCLAIM to ourselves, not XREADGROUP <id>: both bump the
   * delivery count, but only XCLAIM's bump reaches the AOF and replicas, so counts (and
   * maxDeliveries) survive a server restart.
   */
  private async retakeOwnPending(count: number): Promise<void> {
    const start = this.pendingCursor === '0' ? '-' : nextId(this.pendingCursor);
    const pend = await xpendingRange(this.cmd!, this.stream, this.group, { start, count: Math.max(count, 100), consumer: this.consumer });
    if (pend.length === 0) {
      this.rereadPending = false;
      this.pendingCursor = '0';
      return;
    }
    // They were in flight when something failed (maybe a crash caused by one of them): re-take
    // them one at a time, alone, and claim each only when it is about to run (a claim counts
    // as a delivery), so that a message that kills the process does not drag its batch-mates
    // to the dead-letter stream. The cost is bounded by what was in flight.
    const next = pend.find((p) => !this.local.has(p.id));
    if (!next) {
      this.pendingCursor = pend[pend.length - 1]!.id;
      return;
    }
    await this.waitIdle();
    if (this.stopping) return;
    // What ran before is acked before the next one is claimed: it may be the one that ends the
    // process, and acks still waiting for their timer would die with it (re-deliveries that could
    // carry a batch-mate past maxDeliveries).
    await this.acks.flush();
    if (this.stopping) return;
    this.pendingCursor = next.id;
    const mine = [next];
    // Skip entries another consumer claimed since XPENDING (their idle time restarted).
    const minIdle = Math.max(0, Math.min(...mine.map((p) => p.idle)) - 100);
    const entries = parseEntries(await this.cmd!.callBuffer('XCLAIM', this.stream, this.group, this.consumer, minIdle, ...mine.map((p) => p.id)));
    const returned = new Set(entries.map((e) => e.id));
    // Not returned: deleted from the stream (Redis < 7 keeps such ids in the PEL) or acked meanwhile.
    for (const p of mine) if (!returned.has(p.id) && p.idle >= minIdle) this.acks.add(p.id);
    await this.enqueue(entries, new Map(mine.map((p) => [p.id, p.deliveries + 1])), { suspect: true });
  }

  /** Delivery counts of own pending entries (extended XPENDING over their id range). */
  private async deliveryCounts(entries: StreamEntry[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (entries.length === 0) return out;
    const ids = entries.map((e) => e.id).sort(compareIds);
    const pending = await xpendingRange(this.cmd!, this.stream, this.group, { start: ids[0]!, end: ids[ids.length - 1]!, count: ids.length + this.local.size + 100, consumer: this.consumer });
    for (const p of pending) out.set(p.id, p.deliveries);
    return out;
  }

  /**
   * Queues entries for handlers. With `suspect` (entries re-taken from a PEL: our own after a
   * restart or reconnect, or a dead consumer's), an entry delivered more than twice (so at least
   * twice before without an ack, fate unknown: maybe it crashed the process) runs alone, so that
   * a message that kills the process does not drag its batch-mates to the dead-letter stream.
   */
  private async enqueue(entries: StreamEntry[], counts: Map<string, number>, { suspect = false }: { suspect?: boolean } = {}): Promise<void> {
    const readAt = Date.now();
    for (const entry of entries) {
      const deliveries = counts.get(entry.id);
      if (deliveries === undefined) continue; // no longer ours (acked or claimed away meanwhile)
      if (entry.fields === null) {
        // Deleted from the stream while pending: nothing to process.
        this.acks.add(entry.id);
        continue;
      }
      if (beforeRun(deliveries, this.o.maxDeliveries) === 'dead-letter') {
        // Delivered more often than allowed without completing (crashes): dead-letter unseen.
        await this.failures.deadLetter(entry.id, deliveries, OVER_DELIVERED_REASON);
        continue;
      }
      this.local.add(entry.id);
      this.leases.hold(entry.id, readAt);
      this.queue.push({ entry, deliveries, alone: suspect && deliveries >= 3, readAt });
    }
    this.pump();
  }

  /**
   * Queues entries of a '>' read (first delivery, nothing to check but deletion). While they are
   * queued and run, acks are not flushed on their own at `ackBatchSize`: the next read, sent right
   * after, carries them.
   */
  private enqueueNew(entries: StreamEntry[]): void {
    this.acks.hold = true;
    const readAt = Date.now();
    try {
      for (const entry of entries) {
        if (entry.fields === null) {
          this.acks.add(entry.id);
          continue;
        }
        this.local.add(entry.id);
        this.leases.hold(entry.id, readAt);
        // Straight to a handler when nothing waits before it (no task object, no queue round trip).
        if (this.queue.length === 0 && !this.stopping && !this.aloneRunning && this.running_.size < this.o.concurrency) this.run(entry, 1, false);
        else this.queue.push({ entry, deliveries: 1, alone: false, readAt });
      }
      this.pump();
    } finally {
      this.acks.hold = false;
    }
    if (this.acks.pending >= this.o.ackBatchSize && this.free() <= 0) void this.acks.flush(); // no read follows soon
  }

  private pump(): void {
    while (!this.stopping && this.queue.length > 0 && this.running_.size < this.o.concurrency && !this.aloneRunning) {
      const head = this.queue[0]!;
      if (head.alone && this.running_.size > 0) break;
      if (head.alone && this.acks.pending > 0 && !head.acksFlushed) {
        // A suspect entry (it may end the process) runs after the acks of what ran before it are sent.
        head.acksFlushed = true;
        void this.acks.flush().then(() => this.pump());
        break;
      }
      const task = this.queue.shift()!;
      if (this.lostIds.has(task.entry.id)) {
        this.letGo(task.entry.id);
        continue;
      }
      this.run(task.entry, task.deliveries, task.alone);
    }
    if (this.free() > 0) this.wakeLoop();
  }

  private run(entry: StreamEntry, deliveries: number, alone: boolean): void {
    const abort = this.handlerAbort;
    this.events?.record('delivered', entry.id, { deliveries });
    let result: unknown;
    try {
      result = this.o.handler(streamMessage(this.stream, entry, deliveries, this.group, this.consumer), { signal: abort.signal });
    } catch (e) {
      result = Promise.reject(e);
    }
    if (!isThenable(result)) {
      // A handler that returned synchronously succeeded: no promise, no running-handler bookkeeping.
      this.s.processed++;
      if (this.running_.size >= this.s.maxInFlight) this.s.maxInFlight = this.running_.size + 1;
      this.leases.drop(entry.id);
      this.acks.add(entry.id);
      return;
    }
    if (alone) this.aloneRunning = true;
    const promise = (async () => {
      try {
        await result;
        if (abort.signal.aborted) return; // released by stop(): left pending
        this.s.processed++;
        // Lost meanwhile (see the `lost` event): its new owner acks it.
        if (this.lostIds.has(entry.id)) return this.letGo(entry.id);
        this.leases.drop(entry.id);
        // Stays in `local` until its XACK is confirmed, so a re-read of our own PEL after a
        // reconnect does not hand a finished entry to the handler again.
        this.acks.add(entry.id);
      } catch (e) {
        if (abort.signal.aborted) return;
        this.s.failed++;
        const error = e instanceof Error ? e : new Error(String(e));
        this.emit('failed', { id: entry.id, deliveries, error });
        this.events?.record('failed', entry.id, { deliveries, error: error.message });
        if (this.lostIds.has(entry.id)) return this.letGo(entry.id); // its new owner retries it
        await this.failures.onFailure(entry.id, deliveries, error);
      }
    })().finally(() => {
      if (alone) this.aloneRunning = false;
      this.running_.delete(entry.id);
      this.pump();
    });
    this.running_.set(entry.id, promise);
    this.s.maxInFlight = Math.max(this.s.maxInFlight, this.running_.size);
  }

  /** The worker lets go of `id` locally (it may stay pending in Redis). */
  private letGo(id: string): void {
    this.local.delete(id);
    this.leases.drop(id);
    this.lostIds.delete(id);
  }

  /** An entry held is no longer this worker's (see the `lost` event). */
  private lostLease(id: string, owner: string | null, reason: string): void {
    if (!this.local.has(id)) return;
    this.lostIds.add(id);
    if (owner !== null) this.report(new QueueError('REDIS', `Entry ${id} of stream "${printable(this.stream)}" (group "${printable(this.group)}") was lost by consumer "${printable(this.consumer)}" while it held it: ${printable(reason)}; its handler's result is ignored`), 'lease');
    this.emit('lost', { id, owner, reason });
  }

  /** Confirmed acks (counted per id: see stats.acked). */
  private acked(ids: string[]): void {
    for (const id of ids) this.local.delete(id);
    if (this.events) for (const id of ids) this.events.record('acked', id);
    this.s.acked += ids.length;
    this.emit('acked', ids.length);
  }

  /** Entries a reclaim round took over: queued as suspects (see enqueue). */
  private async claimed(entries: StreamEntry[], owners: Map<string, string> | undefined): Promise<void> {
    this.s.claimed += entries.length;
    if (owners) for (const e of entries) this.events!.record('claimed', e.id, { from: owners.get(e.id) });
    this.emit('claimed', entries.length);
    await this.enqueue(entries, await this.deliveryCounts(entries), { suspect: true });
  }

  /** Entries re-taken for a retry after their back-off. */
  private async retaken(entries: StreamEntry[]): Promise<void> {
    const counts = await this.deliveryCounts(entries);
    this.s.retried++;
    if (this.events) for (const e of entries) this.events.record('retried', e.id, { deliveries: counts.get(e.id) });
    await this.enqueue(entries, counts);
  }

  /**
   * stop()'s own steps (see the class): drops the retries waiting for their back-off and the
   * entries not started (made reclaimable at once, see Reclaimer.releaseUnstarted), waits for
   * running handlers up to `stopTimeoutMs` (then releases them all with one abort), and sends the
   * last acks.
   */
  protected async drain(loopEnded: Promise<void>): Promise<void> {
    this.failures.cancelRetries();
    const drop = () => {
      for (const t of this.queue.splice(0)) {
        // Its idle time last restarted at its last renewal (releaseUnstarted's min-idle goes by it).
        t.readAt = this.leases.since(t.entry.id) ?? t.readAt;
        this.letGo(t.entry.id);
        this.unstarted.push(t);
      }
    };
    drop();
    await loopEnded;
    drop(); // what a read that answered during the stop queued
    await this.reclaimer.releaseUnstarted(this.unstarted.splice(0));
    if (await this.waitForRunning([...this.running_.values()])) this.handlerAbort.abort(new Error('worker stopped'));
    // Acks that rode with a read on the (now closed) blocking connection: answered, or put back.
    await this.acks.finish();
    this.leases.stop();
  }
}

/** Creates and starts a {@link StreamWorker}. */
export async function startStreamWorker(options: StreamWorkerOptions): Promise<StreamWorker> {
  const w = new StreamWorker(options);
  await w.start();
  return w;
}
