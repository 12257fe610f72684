import { randomUUID } from 'node:crypto';
import { describeTarget, open, quit, type ConnectionOptions, type RedisClient } from '../../redis/connection';
import { BadInputError, QueueError, printable, toQueueError } from '../../redis/errors';
import { decodeName, decodeValue, setField, type Capabilities, type Fields } from '../../redis/replies';
import { serverCapabilities } from '../../redis/server';
import { backoffDelay, type BackoffOptions } from '../runtime/backoff';
import { EventRecorder, type EventsOption, resolveEventsOption } from '../runtime/events';
import { WorkerLifecycle } from '../runtime/lifecycle';
import { JOB_FIELDS, listQueueKeys, pickListQueueLayout, type ListQueueKeyOptions, type ListQueueKeys, type ListQueueLayout } from './keys';
import { checkListQueueLayout } from './layout';
import { LIST_ACK, LIST_ENQUEUE, LIST_REAP, LIST_RELEASE, LIST_RENEW, LIST_TAKE } from './scripts';
import { runScript } from '../lua';
import { pause } from '../runtime/pause';
import { checkBackoff, fieldArgs, nonEmpty, nonNegative, positiveInt, type MessageFields } from '../validate';

/** Payload fields may not start with this (bookkeeping fields do, see {@link JOB_FIELDS}). */
export const RESERVED_FIELD_PREFIX = '__';

/**
 * The key names of a list queue's client: the layout fields (`waiting`, `processing`, `dead`,
 * `started`, `jobPrefix`: see {@link ListQueueLayout}) given at the top level, or as `layout`
 * (e.g. what `detectListQueueLayout` returned). Top-level fields win over `layout`'s.
 */
export interface ListQueueClientKeyOptions extends ListQueueKeyOptions {
  /** The queue's layout when it is not this project's default one. */
  layout?: ListQueueLayout;
}

/** The layout of `o` (checked): `layout`, overridden by top-level layout fields. */
function layoutOf(queue: string, o: ListQueueClientKeyOptions): ListQueueLayout {
  return checkListQueueLayout(queue, { ...pickListQueueLayout(checkListQueueLayout(queue, o.layout)), ...pickListQueueLayout(o) }, 'options');
}

export interface ListQueueProducerOptions extends ListQueueClientKeyOptions {
  /** The queue name = the waiting list's key (unless the layout names another). Name it with a hash tag (`{emails}`) for a Cluster. */
  queue: string;
}

/**
 * Enqueues jobs on a list queue: the payload goes into a hash `<jobPrefix><id>` and the id is
 * LPUSHed on the waiting list, both in one atomic script (one round trip).
 */
export class ListQueueProducer {
  readonly keys: ListQueueKeys;
  private ownsClient = false;

  /** Uses `client` (closed by {@link close} only when opened by {@link ListQueueProducer.open}). */
  constructor(readonly client: RedisClient, options: ListQueueProducerOptions) {
    nonEmpty(options?.queue, 'queue');
    if (options.jobPrefix !== undefined) nonEmpty(options.jobPrefix, 'jobPrefix');
    this.keys = listQueueKeys(options.queue, layoutOf(options.queue, options));
  }

  /** Opens a `command` connection owned by the producer. */
  static async open(connection: ConnectionOptions, options: ListQueueProducerOptions): Promise<ListQueueProducer> {
    const client = await open(connection, 'command');
    const p = new ListQueueProducer(client, options);
    p.ownsClient = true;
    return p;
  }

  /**
   * Enqueues one job; resolves to its id (a random UUID unless `id` is given). An explicit id
   * that already has a job hash is refused (BadInputError) and nothing is written.
   */
  async enqueue(payload: MessageFields, options: { id?: string } = {}): Promise<string> {
    return (await this.enqueueMany([{ payload, id: options.id }]))[0]!;
  }

  /** Enqueues several jobs, pipelined (each job atomic on its own). Validates all first. */
  async enqueueMany(jobs: { payload: MessageFields; id?: string }[]): Promise<string[]> {
    if (!Array.isArray(jobs) || jobs.length === 0) throw new BadInputError('enqueueMany needs a non-empty array of jobs');
    const prepared = jobs.map((j, i) => {
      const id = j.id ?? randomUUID();
      if (typeof id !== 'string' || id.length === 0) throw new BadInputError(`job #${i}: id must be a non-empty string`);
      return { id, args: fieldArgs(j?.payload, `job #${i} payload`, RESERVED_FIELD_PREFIX) };
    });
    const seen = new Set<string>();
    for (const p of prepared) {
      if (seen.has(p.id)) throw new BadInputError(`job id "${printable(p.id)}" appears twice in the batch`);
      seen.add(p.id);
    }
    const send = (p: { id: string; args: (string | Buffer)[] }) => [[this.keys.waiting, this.keys.job(p.id)], [p.id, JOB_FIELDS.createdAt, JOB_FIELDS.attempts, ...p.args]] as const;
    try {
      // The first call loads the script if needed; the rest are written back to back (pipelined).
      const [k0, a0] = send(prepared[0]!);
      const first = prepared.length ? await runScript(this.client, LIST_ENQUEUE, [...k0], [...a0]) : undefined;
      const rest = await Promise.all(prepared.slice(1).map((p) => {
        const [k, a] = send(p);
        return runScript(this.client, LIST_ENQUEUE, [...k], [...a]);
      }));
      const results = [first, ...rest];
      results.forEach((r, i) => {
        if (Number(r) === 0) throw new BadInputError(`job id "${printable(prepared[i]!.id)}" already exists in queue "${printable(this.keys.waiting)}"`);
      });
    } catch (e) {
      throw toQueueError(e, { key: this.keys.waiting, expected: 'list' });
    }
    return prepared.map((p) => p.id);
  }

  /** Closes the connection if the producer opened it. */
  async close(): Promise<void> {
    if (this.ownsClient) {
      this.ownsClient = false;
      await quit(this.client);
    }
  }
}

/** What a list-queue handler receives. */
export interface ListJob {
  id: string;
  /** Payload fields (bookkeeping fields removed). */
  payload: Fields;
  /** Attempts so far, this one included (1 on the first). */
  attempts: number;
}

export type ListJobHandler = (job: ListJob, context: { signal: AbortSignal }) => Promise<void> | void;

/**
 * Options of a {@link ListQueueWorker}. The layout may name every key, but it must keep a started-at
 * set (`started: null` is refused): the worker stamps each job it takes so that its reaper can
 * return jobs whose worker died.
 */
export interface ListQueueWorkerOptions extends ListQueueClientKeyOptions {
  connection: ConnectionOptions;
  queue: string;
  handler: ListJobHandler;
  /** Handlers at once. Default 10. */
  concurrency?: number;
  /** Attempts after which a failing job goes to `<queue>:dead`. Default 5. */
  maxAttempts?: number;
  /** Retry delays (defaults: 200 ms ×2 up to 30 s, 20 % jitter). The job stays in processing meanwhile, its lease renewed. */
  backoff?: BackoffOptions;
  /**
   * A job whose started-at stamp is older than this is returned to the waiting list by a reaper
   * (its worker is taken for dead). Default 60 000 ms. Handlers may run longer: a live worker
   * renews the stamps of the jobs it holds (see `leaseIntervalMs`).
   */
  visibilityTimeoutMs?: number;
  /**
   * How often the started-at stamps of the jobs this worker holds (running, or waiting for a
   * retry) are renewed, in one script per batch, each only while the job is still this worker's
   * (stamped, and not taken again since). Jobs held for less than this are not renewed. Default
   * `visibilityTimeoutMs / 3`; at most `visibilityTimeoutMs / 2`. Keep it well under the visibility
   * timeout of every worker that reaps the queue.
   */
  leaseIntervalMs?: number;
  /** Reaper period. Default `min(visibilityTimeoutMs / 2, 30 000)` ms. `0` disables this worker's reaper. */
  reapIntervalMs?: number;
  /** BLMOVE timeout, ms. Default 5000 (stop() breaks it anyway). */
  blockMs?: number;
  /** stop() waits this long for running handlers, then releases them (they stay in processing until the reaper returns them). Default 10 000 ms. */
  stopTimeoutMs?: number;
  /** Overrides of the capabilities derived from the server version (e.g. `{ blmove: false }` to test BRPOPLPUSH). Default: none. */
  capabilities?: Partial<Capabilities>;
  /**
   * Record what happens to each job (delivered with its attempt, failed, retried, acked,
   * dead-lettered) in a capped events stream (see queue/runtime/events.ts; `id` is the job id): `true` for
   * `<queue>:events` capped at about 10,000 events, or `{ key, maxLen }`. Written without waiting;
   * a failed write never delays or loses a job. Default false: no event, no extra command.
   */
  events?: EventsOption;
}

export interface ListQueueWorkerStats {
  processed: number;
  failed: number;
  retried: number;
  deadLettered: number;
  reaped: number;
  inFlight: number;
  maxInFlight: number;
}

export interface ListQueueWorkerEvents {
  error: [QueueError];
  acked: [number];
  failed: [{ id: string; attempts: number; error: Error }];
  deadLettered: [{ id: string; attempts: number; error: string }];
  /** A lease renewal found that a job this worker held is no longer its own (returned by a reaper, requeued, taken again); it is neither acked nor retried. Also reported as an `error`. */
  lost: [{ id: string; reason: string }];
  reaped: [{ returned: number; stamped: number }];
  ready: [];
  stopped: [];
}

const DEFAULT_VISIBILITY_MS = 60_000;

/** Jobs per renewal call (one ZSCORE, HGET and ZADD each). */
const RENEW_BATCH = 100;

/** Validates list worker options (pure). */
export function checkListWorkerOptions(o: ListQueueWorkerOptions): void {
  if (!o || typeof o !== 'object') throw new BadInputError('worker options are required');
  if (!o.connection) throw new BadInputError('connection is required');
  nonEmpty(o.queue, 'queue');
  if (o.jobPrefix !== undefined) nonEmpty(o.jobPrefix, 'jobPrefix');
  if (!listQueueKeys(o.queue, layoutOf(o.queue, o)).stamps) {
    throw new BadInputError(`A list queue worker needs a started-at set (its reaper returns jobs by their stamps): give the layout of "${printable(o.queue)}" a started key instead of null`);
  }
  if (typeof o.handler !== 'function') throw new BadInputError('handler must be a function');
  for (const k of ['concurrency', 'maxAttempts'] as const) if (o[k] !== undefined) positiveInt(o[k], k);
  for (const k of ['visibilityTimeoutMs', 'reapIntervalMs', 'blockMs', 'stopTimeoutMs'] as const) if (o[k] !== undefined) nonNegative(o[k], k);
  if (o.visibilityTimeoutMs === 0) throw new BadInputError('visibilityTimeoutMs must be > 0');
  if (o.leaseIntervalMs !== undefined) {
    if (nonNegative(o.leaseIntervalMs, 'leaseIntervalMs') === 0) throw new BadInputError('leaseIntervalMs must be > 0');
    const v = o.visibilityTimeoutMs ?? DEFAULT_VISIBILITY_MS;
    if (o.leaseIntervalMs > v / 2) throw new BadInputError(`leaseIntervalMs must be at most visibilityTimeoutMs / 2 (${v / 2} ms): a stamp must be renewed well before a reaper returns its job`);
  }
  checkBackoff(o.backoff);
  resolveEventsOption(o.events, o.queue);
}

/**
 * A worker of a list queue (the seeds' reliable pattern): BLMOVE (BRPOPLPUSH before 6.2) from the
 * waiting list into `<queue>:processing`, then one script stamps started-at (`<queue>:started`,
 * server time) and counts the attempt (key names of the default layout; options may name others). Success → one script removes the id from processing and
 * deletes the job hash. Failure → after a backoff the id goes back to the waiting list with the
 * error recorded, or, after `maxAttempts`, to `<queue>:dead` (hash kept, `__lastError` set).
 * Jobs taken more than `maxAttempts` times without completing (crashes) are dead-lettered on
 * receipt without calling the handler. A reaper script returns ids stuck in processing longer
 * than the visibility timeout (and stamps ids that have no started-at yet). While a worker holds a
 * job (running, or waiting for a retry) it renews the job's stamp every `leaseIntervalMs`, only
 * while the job is still its own, so no reaper returns a job whose worker is alive, however long
 * its handler runs; a job found no longer its own (`lost`) is neither acked nor retried by it.
 * At-least-once: a job whose worker died is returned after the visibility timeout.
 * All keys of a queue must share a Cluster slot: name the queue with a hash tag.
 *
 * Start and stop are those of every worker (runtime/lifecycle.ts). `stop()` stops taking jobs
 * (disconnects the blocking connection, breaking BLMOVE), returns jobs waiting for a retry to the
 * waiting list at once, waits for running handlers up to `stopTimeoutMs` (then releases them:
 * they stay in processing until a reaper returns them), and closes the connections. A second
 * call returns the same promise.
 */
export class ListQueueWorker extends WorkerLifecycle<ListQueueWorkerEvents> {
  readonly keys: ListQueueKeys;
  protected readonly o: Required<Omit<ListQueueWorkerOptions, keyof ListQueueClientKeyOptions | 'backoff' | 'capabilities' | 'events'>> & { backoff: BackoffOptions; capabilities: Partial<Capabilities> };
  /** Writes the events of the `events` option; undefined when it is off. */
  protected readonly events: EventRecorder | undefined;
  private readonly target: string;
  private useBlmove = true;
  private readonly inflight = new Map<string, { promise: Promise<void>; abort: AbortController }>();
  private readonly retryTimers = new Map<string, { timer: NodeJS.Timeout; fire: () => Promise<void> }>();
  /** Jobs held (running or waiting for a retry): the attempts they were taken with (their owner token) and when their stamp was last set. */
  private readonly held = new Map<string, { attempts: number; at: number }>();
  /** Held jobs found no longer this worker's: neither acked nor retried. */
  private readonly lostIds = new Set<string>();
  private leaseTimer: NodeJS.Timeout | undefined;
  private renewing = false;
  private reaping = false;
  private readonly s: ListQueueWorkerStats = { processed: 0, failed: 0, retried: 0, deadLettered: 0, reaped: 0, inFlight: 0, maxInFlight: 0 };

  constructor(options: ListQueueWorkerOptions) {
    super();
    checkListWorkerOptions(options);
    const visibilityTimeoutMs = options.visibilityTimeoutMs ?? DEFAULT_VISIBILITY_MS;
    this.o = {
      connection: options.connection,
      queue: options.queue,
      handler: options.handler,
      concurrency: options.concurrency ?? 10,
      maxAttempts: options.maxAttempts ?? 5,
      backoff: options.backoff ?? {},
      visibilityTimeoutMs,
      reapIntervalMs: options.reapIntervalMs ?? Math.max(10, Math.min(visibilityTimeoutMs / 2, 30_000)),
      leaseIntervalMs: options.leaseIntervalMs ?? visibilityTimeoutMs / 3,
      blockMs: options.blockMs ?? 5000,
      stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
      capabilities: options.capabilities ?? {},
    };
    this.keys = listQueueKeys(options.queue, layoutOf(options.queue, options));
    this.target = describeTarget(options.connection);
    const ev = resolveEventsOption(options.events, options.queue);
    if (ev) this.events = new EventRecorder(() => this.cmd, ev.key, ev.maxLen, {}, (e) => this.report(e, 'events'));
  }

  get stats(): ListQueueWorkerStats {
    return { ...this.s, inFlight: this.inflight.size };
  }

  /** start(): BLMOVE, or BRPOPLPUSH on servers without it. */
  protected async prepare(cmd: RedisClient): Promise<void> {
    this.useBlmove = { ...(await serverCapabilities(cmd)), ...this.o.capabilities }.blmove;
  }

  protected maintenance(): { everyMs: number; round: () => void } | undefined {
    return this.o.reapIntervalMs > 0 ? { everyMs: this.o.reapIntervalMs, round: () => void this.reap() } : undefined;
  }

  protected err(e: unknown, command?: string): QueueError {
    return toQueueError(e, { key: this.keys.waiting, command, target: this.target, expected: 'list' });
  }

  protected async loop(): Promise<void> {
    // Renews due stamps every half interval; stopped at the end of drain() (running handlers keep theirs while stop() waits).
    this.leaseTimer = setInterval(() => void this.renewLeases(), Math.max(5, this.o.leaseIntervalMs / 2));
    let errors = 0;
    while (!this.stopping) {
      if (this.inflight.size >= this.o.concurrency) {
        await this.parkLoop();
        continue;
      }
      try {
        const secs = this.o.blockMs / 1000;
        const raw = this.useBlmove
          ? await this.blocking!.blmoveBuffer(this.keys.waiting, this.keys.processing, 'RIGHT', 'LEFT', secs)
          : await this.blocking!.brpoplpushBuffer(this.keys.waiting, this.keys.processing, secs);
        errors = 0;
        if (raw === null || raw === undefined) continue;
        const id = decodeName(raw);
        if (this.stopping) break; // taken while stopping: stays in processing, the reaper returns it
        await this.take(id);
      } catch (e) {
        if (this.stopping) break;
        this.report(e, this.useBlmove ? 'BLMOVE' : 'BRPOPLPUSH');
        await pause(Math.min(5000, 100 * 2 ** Math.min(errors++, 6)), this.stopCtl.signal);
      }
    }
  }

  private scriptKeys(id: string): string[] {
    return [this.keys.processing, this.keys.started, this.keys.job(id)];
  }

  private async take(id: string): Promise<void> {
    const raw = await runScript(this.cmd!, LIST_TAKE, this.scriptKeys(id), [id, JOB_FIELDS.attempts]);
    if (!Array.isArray(raw)) {
      this.report(new QueueError('REDIS', `job "${printable(id)}" of queue "${printable(this.keys.waiting)}" has no hash (deleted or already acknowledged); dropped from processing`));
      return;
    }
    const payload: Fields = {};
    let attempts = 1;
    let lastError = '';
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const k = decodeName(raw[i]);
      if (k === JOB_FIELDS.attempts) attempts = Number(String(raw[i + 1]));
      else if (k === JOB_FIELDS.lastError) lastError = String(raw[i + 1]);
      else if (!k.startsWith(RESERVED_FIELD_PREFIX)) setField(payload, k, decodeValue(raw[i + 1]));
    }
    if (attempts > this.o.maxAttempts) {
      await this.release(id, this.keys.dead, lastError || 'taken more than maxAttempts times without completing', attempts);
      return;
    }
    this.held.set(id, { attempts, at: Date.now() });
    this.run({ id, payload, attempts });
  }

  /** Renews the stamps of held jobs not renewed for `leaseIntervalMs` (one pass at a time). */
  private async renewLeases(): Promise<void> {
    if (this.renewing || !this.cmd) return;
    this.renewing = true;
    try {
      const now = Date.now();
      const due = [...this.held].filter(([, h]) => now - h.at >= this.o.leaseIntervalMs);
      for (let i = 0; i < due.length; i += RENEW_BATCH) {
        const chunk = due.slice(i, i + RENEW_BATCH);
        const keys = [this.keys.started, ...chunk.map(([id]) => this.keys.job(id))];
        const r = (await runScript(this.cmd, LIST_RENEW, keys, [JOB_FIELDS.attempts, ...chunk.flatMap(([id, h]) => [id, h.attempts])])) as unknown[];
        const lost = new Set(r.map(decodeName));
        const answered = Date.now();
        for (const [id, h] of chunk) {
          if (this.held.get(id) !== h) continue; // let go meanwhile
          if (lost.has(id)) this.lostJob(id);
          else h.at = answered;
        }
      }
    } catch (e) {
      this.report(e, 'lease renewal');
    } finally {
      this.renewing = false;
    }
  }

  /** A held job is no longer this worker's (see the `lost` event). */
  private lostJob(id: string): void {
    this.held.delete(id);
    const retry = this.retryTimers.get(id);
    if (retry) {
      clearTimeout(retry.timer);
      this.retryTimers.delete(id);
    } else if (this.inflight.has(id)) {
      this.lostIds.add(id);
    }
    const reason = 'no longer in processing with the attempt this worker took (returned by a reaper, requeued or taken again)';
    this.report(new QueueError('REDIS', `Job "${printable(id)}" of queue "${printable(this.keys.waiting)}" was lost while this worker held it: ${reason}; its handler's result is ignored`), 'lease');
    this.emit('lost', { id, reason });
  }

  private run(job: ListJob): void {
    const abort = new AbortController();
    this.events?.record('delivered', job.id, { deliveries: job.attempts });
    const promise = (async () => {
      let error: Error | undefined;
      try {
        await this.o.handler(job, { signal: abort.signal });
      } catch (e) {
        error = e instanceof Error ? e : new Error(String(e));
      }
      if (abort.signal.aborted) return; // released by stop(): the reaper returns it later
      // Lost meanwhile (see the `lost` event): whoever holds it now acks or retries it.
      const lost = this.lostIds.delete(job.id);
      if (error) {
        this.s.failed++;
        this.emit('failed', { id: job.id, attempts: job.attempts, error });
        this.events?.record('failed', job.id, { deliveries: job.attempts, error: error.message });
        if (!lost) this.onFailure(job, error);
        return;
      }
      this.s.processed++;
      if (lost) return;
      this.held.delete(job.id);
      try {
        await runScript(this.cmd!, LIST_ACK, this.scriptKeys(job.id), [job.id]);
        this.events?.record('acked', job.id);
        this.emit('acked', 1);
      } catch (e) {
        // Not acked: the reaper returns it after the visibility timeout (at-least-once).
        this.report(e, 'ack');
      }
    })().finally(() => {
      this.inflight.delete(job.id);
      this.wakeLoop();
    });
    this.inflight.set(job.id, { promise, abort });
    this.s.maxInFlight = Math.max(this.s.maxInFlight, this.inflight.size);
  }

  private onFailure(job: ListJob, error: Error): void {
    if (job.attempts >= this.o.maxAttempts) {
      void this.release(job.id, this.keys.dead, error.message, job.attempts);
      return;
    }
    const delay = backoffDelay(job.attempts, this.o.backoff);
    const fire = async () => {
      this.retryTimers.delete(job.id);
      this.s.retried++;
      await this.release(job.id, this.keys.waiting, error.message, job.attempts);
    };
    this.retryTimers.set(job.id, { timer: setTimeout(() => void fire(), delay), fire });
  }

  /** Moves a job from processing to `target` (waiting = retry, dead = dead-letter) with its error. */
  private async release(id: string, target: string, error: string, attempts: number): Promise<void> {
    const dead = target === this.keys.dead;
    this.held.delete(id);
    try {
      const n = await runScript(this.cmd!, LIST_RELEASE, [...this.scriptKeys(id), target], [id, JOB_FIELDS.lastError, error.slice(0, 2000), dead ? JOB_FIELDS.deadAt : '', JOB_FIELDS.attempts, attempts]);
      if (Number(n) === 1) this.events?.record(dead ? 'dead-lettered' : 'retried', id, dead ? { deliveries: attempts, error } : { deliveries: attempts });
      if (dead && Number(n) === 1) {
        this.s.deadLettered++;
        this.emit('deadLettered', { id, attempts, error });
      }
    } catch (e) {
      this.report(e, dead ? 'dead-letter' : 'retry');
    }
  }

  /** One reaper round (also run by the timer): returns stuck ids, stamps unstamped ones. */
  async reap(): Promise<{ returned: number; stamped: number }> {
    if (this.reaping || !this.cmd) return { returned: 0, stamped: 0 };
    this.reaping = true;
    try {
      const [returned, stamped] = (await runScript(this.cmd, LIST_REAP, [this.keys.processing, this.keys.started, this.keys.waiting], [Math.round(this.o.visibilityTimeoutMs), 1000])) as [number, number];
      const r = { returned: Number(returned), stamped: Number(stamped) };
      this.s.reaped += r.returned;
      if (r.returned || r.stamped) this.emit('reaped', r);
      return r;
    } catch (e) {
      this.report(e, 'reaper');
      return { returned: 0, stamped: 0 };
    } finally {
      this.reaping = false;
    }
  }

  /**
   * stop()'s own steps: returns jobs waiting for a retry to the waiting list at once, waits for
   * running handlers up to `stopTimeoutMs` (then releases them: they stay in processing until a
   * reaper returns them), and returns the retries that handlers failing meanwhile scheduled.
   */
  protected async drain(loopEnded: Promise<void>): Promise<void> {
    await loopEnded;
    await this.fireRetries();
    if (await this.waitForRunning([...this.inflight.values()].map((r) => r.promise))) for (const r of this.inflight.values()) r.abort.abort(new Error('worker stopped'));
    // Retries scheduled by handlers that failed during the wait.
    await this.fireRetries();
    clearInterval(this.leaseTimer);
  }

  /** Returns the jobs waiting for a retry to the waiting list now (stop()). */
  private async fireRetries(): Promise<void> {
    const retries = [...this.retryTimers.values()];
    this.retryTimers.clear();
    for (const r of retries) clearTimeout(r.timer);
    await Promise.all(retries.map((r) => r.fire()));
  }
}

/** Creates and starts a {@link ListQueueWorker}. */
export async function startListQueueWorker(options: ListQueueWorkerOptions): Promise<ListQueueWorker> {
  const w = new ListQueueWorker(options);
  await w.start();
  return w;
}
