/**
 * The lifecycle the queue workers share (`StreamWorker`, `ListQueueWorker`), in the manner of
 * BullMQ's `QueueBase`: one start, one graceful stop and one set of connections, the worker
 * filling in only its own steps ({@link WorkerLifecycle.prepare}, its loop, its maintenance
 * round, its {@link WorkerLifecycle.drain}).
 */
import { EventEmitter } from 'node:events';
import { close, createClient, open, quit, type ConnectionOptions, type RedisClient } from '../../redis/connection';
import { BadInputError, type QueueError } from '../../redis/errors';
import type { EventRecorder } from './events';

/** The events every worker emits (its own come on top). */
export interface LifecycleEvents {
  error: [QueueError];
  ready: [];
  stopped: [];
}

/**
 * A worker's start and stop.
 *
 * `start()`: refused a second time (and after stop()). Opens the `command` connection, lets the
 * worker check the server on it ({@link prepare}: capabilities, its group), then creates the
 * worker's own `blocking` connection for the reads of its loop. A failure closes what was opened
 * and rejects with a QueueError (start() may then be called again). Then: `ready`, the loop
 * starts, and the maintenance round (reclaim, reaper) runs every period.
 *
 * `stop()`: the same promise on every call. Marks `stopping` and aborts `stopCtl` (the loop's
 * pauses end at once), stops the maintenance timer, disconnects the blocking connection (that
 * breaks a blocking read), wakes a loop parked for a free slot, runs the worker's {@link drain}
 * (which waits for the loop, for running handlers up to `stopTimeoutMs`, see
 * {@link waitForRunning}, and settles what the worker holds), then closes the events recorder
 * and the command connection and emits `stopped`.
 */
export abstract class WorkerLifecycle<E extends LifecycleEvents & { [K in keyof E]: unknown[] }> extends EventEmitter<E> {
  /** The `command` connection (acks, claims, scripts): opened by start(), closed last by stop(). */
  protected cmd: RedisClient | undefined;
  /** The worker's own `blocking` connection, for the reads of its loop: closed first by stop(). */
  protected blocking: RedisClient | undefined;
  /** stop() was called. */
  protected stopping = false;
  /** Aborted by stop(): ends the loop's pauses. */
  protected readonly stopCtl = new AbortController();
  private started = false;
  private stopPromise: Promise<void> | undefined;
  private loopDone: Promise<void> | undefined;
  private maintenanceTimer: NodeJS.Timeout | undefined;
  /** Resolves the loop parked in {@link parkLoop}. */
  private wake: (() => void) | undefined;

  /** What the lifecycle needs of the worker's options. */
  protected abstract readonly o: { readonly connection: ConnectionOptions; readonly stopTimeoutMs: number };
  /** Writes the events of the `events` option (closed by stop()); undefined when it is off. */
  protected abstract readonly events: EventRecorder | undefined;

  /** An error as the QueueError users see (with the worker's key, group, command and target). */
  protected abstract err(e: unknown, command?: string): QueueError;
  /** Runs in start() on the command connection before the blocking one is made; throws to fail start(). */
  protected abstract prepare(cmd: RedisClient): Promise<void>;
  /** The loop of reads: runs from start() until `stopping`. */
  protected abstract loop(): Promise<void>;
  /** The periodic round (reclaim, reaper) and its period, or undefined for none. */
  protected abstract maintenance(): { everyMs: number; round: () => void } | undefined;
  /**
   * The worker's own steps of stop(), after the blocking connection is closed and before the
   * command connection is: what it holds but has not started, its running handlers (see
   * {@link waitForRunning}), its acks or retries. `loopEnded` resolves when the loop has returned.
   */
  protected abstract drain(loopEnded: Promise<void>): Promise<void>;

  /** Listeners on the blocking connection, added as soon as it exists (none by default). */
  protected watchBlocking(blocking: RedisClient): void {
    void blocking;
  }

  /** This emitter, untyped: a generic `E` does not tell the compiler that the lifecycle's events are among its own. */
  private get emitter(): EventEmitter {
    return this as unknown as EventEmitter;
  }

  /**
   * Connects (and prepares, e.g. creates the group if needed) and starts the loop. Resolves once
   * it has started; rejects (and cleans up) if the connection or the preparation fails.
   */
  async start(): Promise<void> {
    if (this.started || this.stopping) throw new BadInputError('start() was already called');
    this.started = true;
    try {
      this.cmd = await open(this.o.connection, 'command');
      await this.prepare(this.cmd);
      this.blocking = createClient(this.o.connection, 'blocking');
      this.blocking.on('error', () => undefined);
      this.watchBlocking(this.blocking);
    } catch (e) {
      this.started = false;
      close(this.cmd);
      throw this.err(e);
    }
    this.emitter.emit('ready');
    this.loopDone = this.loop();
    const m = this.maintenance();
    if (m) this.maintenanceTimer = setInterval(m.round, m.everyMs);
  }

  /**
   * Graceful stop (see the class: what each worker does with what it holds is its `drain`).
   * Calling it again returns the same promise.
   */
  stop(): Promise<void> {
    if (this.stopPromise) return this.stopPromise;
    this.stopping = true;
    this.stopCtl.abort();
    this.stopPromise = (async () => {
      if (this.maintenanceTimer) clearInterval(this.maintenanceTimer);
      close(this.blocking);
      this.wakeLoop();
      await this.drain(this.loopDone ? this.loopDone.catch(() => undefined) : Promise.resolve());
      await this.events?.close();
      await quit(this.cmd);
      this.emitter.emit('stopped');
    })();
    return this.stopPromise;
  }

  /** Emits `error` (only when someone listens: the worker carries on either way). */
  protected report(e: unknown, command?: string): void {
    if (this.emitter.listenerCount('error') > 0) this.emitter.emit('error', this.err(e, command));
  }

  /** Parks the loop until {@link wakeLoop} (a slot freed, or stop()). */
  protected parkLoop(): Promise<void> {
    return new Promise((r) => (this.wake = r));
  }

  /** Wakes the loop if it is parked. */
  protected wakeLoop(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /**
   * Waits for `running` handlers to settle, at most `stopTimeoutMs`. Resolves true when it gave up:
   * the worker then releases them (their late results are ignored).
   */
  protected async waitForRunning(running: Promise<unknown>[]): Promise<boolean> {
    if (running.length === 0) return false;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.allSettled(running).then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), this.o.stopTimeoutMs))),
    ]);
    clearTimeout(timer);
    return timedOut;
  }
}
