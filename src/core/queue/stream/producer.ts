/**
 * Stream producer. Module notes on batching: one EVAL per chunk (a script that XADDs the
 * chunk's messages) costs the client far less than a pipeline of XADDs (one command and one reply
 * array per chunk instead of one per message: about 2.5 against 6–8 µs of Node CPU per message of
 * 3 small fields, local redis-server 7.0.15, ioredis 6, 2 shared cores), so it is the default.
 * Chunks of a batch with auto ids go out back to back, so the server runs one while the client
 * encodes the next: with both overlapping, 1,000-message batches measured about 2× the rate of a
 * raw ioredis pipeline of XADDs in interleaved runs (noisy machine; CPU figures were steadier).
 * A window of 4 chunks of 250 in flight gets that overlap: 1, 2, 3, 4, 8 and 16 chunks measured
 * about 270k, 470k, 500k, 530k, 500k and 560k msg/s (one process, interleaved, noisy), and the
 * window bounds what a lost connection leaves in doubt (see {@link StreamProducer}).
 */
import { ReplyError } from 'ioredis';
import { describeTarget, isCluster, masterSwitchedRecently, open, quit, type ConnectionOptions, type RedisClient } from '../../redis/connection';
import { clientOption } from '../../redis/client';
import { BadIdError, BadInputError, QueueError, UnavailableError, toQueueError } from '../../redis/errors';
import { serverCapabilities } from '../../redis/server';
import { checkIncreasing, fieldArgs, nonEmpty, positiveInt, trimArgs, xaddId, type MessageFields, type TrimOptions } from '../validate';
import { evalScriptArgv, withoutScriptNoise } from '../lua';
import { XADD_BATCH } from './scripts';
import { Durability, type DurabilityOptions, type Written } from './durability';

export { NotReplicatedError, REPUBLISHED_FROM_FIELD, type DurabilityOptions, type Republished } from './durability';

/** Field arguments (names and values) per message the batch script takes; more go by plain XADD. */
const MAX_SCRIPT_FIELD_ARGS = 4000;

/**
 * Messages of one batch sent and not yet answered, at most: 4 chunks of the default 250 (at
 * least 2 chunks, whatever their size). Also bounds what a lost connection leaves in doubt.
 */
const MAX_MESSAGES_IN_FLIGHT = 1000;

/**
 * Thrown by {@link StreamProducer.publishBatch} when some messages of the batch were not written,
 * or may not have been, or when trimming after a chunk failed. `written`, `failed` and `unknown`
 * partition the batch.
 */
export interface PartialBatchError extends QueueError {
  /** Messages written (Redis answered with their ids). */
  written: number;
  /**
   * Messages not written, as `[start, end)` index ranges of the batch: Redis refused them (an
   * error reply, or a script chunk that stopped before them), or they were not sent after a failure.
   */
  failed: [number, number][];
  /**
   * Messages that may have been written, as `[start, end)` ranges: sent, but the connection was
   * lost (or gave up reconnecting) before Redis answered. Look at the stream before sending them
   * again: re-sending one that was written duplicates it.
   */
  unknown: [number, number][];
  /** Per message of the batch: its id, or `undefined` if it was not written (or may have been). */
  ids: (string | undefined)[];
  /** Trimming after a chunk failed (its messages were written; the stream may be longer than the trim asks). */
  trimFailed: boolean;
}

/** What one chunk did: ids of the messages written (in order; see StreamProducer.chunk) and the first error. */
interface ChunkOutcome {
  ids: (string | undefined)[];
  error?: unknown;
  /** The error is the chunk's trim (every message of the chunk was written). */
  trimError?: boolean;
  /**
   * Messages without an id whose fate is unknown (the connection was lost before Redis answered):
   * `true` for all of them, or their offsets in the chunk.
   */
  unknown?: true | number[];
}

/** A validated batch: per message its XADD id and field arguments. */
interface Batch {
  ids: string[];
  args: (string | Buffer)[][];
  /** Every id is `*`. */
  auto: boolean;
  trim: string[];
}

export type { MessageFields, TrimOptions };

/** One message of a batch: its fields, and optionally an explicit id. */
export interface OutgoingMessage {
  fields: MessageFields;
  /** `*` (default: Redis assigns), `<ms>-*`, or a concrete id greater than the stream's last. */
  id?: string;
}

export interface StreamProducerOptions {
  /** The stream key. */
  stream: string;
  /** Trimming applied on every XADD unless a call overrides it. Default none (the stream grows). */
  trim?: TrimOptions;
  /**
   * How batches are sent. Default `'script'`: one EVAL XADDs a whole chunk, which measured
   * faster than a pipeline of XADDs (fewer replies to parse, one command per chunk; see the
   * module notes). `'pipeline'` sends one XADD per message in a pipeline. The script saves client
   * CPU but costs the server about 2× the CPU per message of plain XADD (redis-server process
   * CPU, BENCHMARKS.md: each XADD a script runs pays Lua's call overhead): with many producers
   * sharing one Redis, prefer `'pipeline'`, which leaves the server more headroom.
   */
  batchMode?: 'script' | 'pipeline';
  /**
   * Messages per script call / pipeline. Default 250: small enough that a batch splits into
   * chunks the server runs while the client encodes the next ones, and that one script call does
   * not block the server for long (well under 1 ms); large enough to amortise the per-call cost
   * (chunks of 100 to 1,000 measured within noise of each other for the server's CPU).
   */
  chunkSize?: number;
  /** Used in error messages (where the connection points, never credentials). */
  target?: string;
  /**
   * Resolve a publish only once `replicas` replicas have it (WAIT, at most `timeoutMs`).
   * Replication is asynchronous: without this, a message Redis acknowledged can be lost when its
   * master dies, or is demoted in a failover, before a replica copied it (see README, "Failover").
   * One WAIT covers every publish written before it on the connection (group commit: concurrent
   * publishes share it; a publish waits on the client while a WAIT is in flight, never behind it
   * on the server). When fewer replicas confirm, the unconfirmed messages are looked up on the
   * master the connection reaches now (after a failover, the new one) for up to `checkMs`, and
   * {@link NotReplicatedError} names each one written (in the stream, not yet replicated: do not
   * publish again), lost (not in the stream: publish again; `republishLost` does it) or unknown.
   *
   * With one replica, durable publishing stops after a failover: the promoted replica has no
   * replica of its own until the old master rejoins and resyncs (11–17 s measured with Sentinel
   * and Redis 7.0), and every publish meanwhile ends in NotReplicatedError ("written, not yet
   * replicated"). Run two replicas per master to keep one behind the promoted one. A planned
   * failover (SENTINEL FAILOVER) needs `replicas` equal to the number of replicas: the old master
   * keeps taking writes until it is demoted, and a replica that is not promoted confirms writes
   * the failover then throws away (README, "Failover"). Off by default (WAIT costs a round trip to the replicas).
   */
  durability?: DurabilityOptions;
}

export interface PublishOptions {
  /** Explicit id (`*` by default). */
  id?: string;
  /** Overrides the producer's trimming for this call; `null` turns it off. */
  trim?: TrimOptions | null;
}

/**
 * Publishes messages to one stream with XADD. Binary-safe: Buffer values are sent as bytes.
 * Every input is validated before anything is sent; a refused input writes nothing.
 *
 * Publishing is at-least-once when the caller retries what failed: a connection lost after a
 * command was sent and before its reply arrived leaves that command's fate unknown. The client
 * {@link StreamProducer.open} creates does not re-send such commands after reconnecting, so their
 * messages are reported as `unknown` ({@link PartialBatchError}), never written twice by the
 * producer itself. A client passed to the constructor keeps its own setting: with ioredis'
 * default (`autoResendUnfulfilledCommands: true`) it re-sends them, and those whose reply was
 * lost are written twice, silently; at most the messages in flight at that moment: one message
 * for {@link publish}, for {@link publishBatch} max(1,000, 2 × chunkSize) with auto ids (chunks
 * sent back to back) or one chunk with explicit ids (an explicit id is refused the second time,
 * so those are not duplicated). A Cluster client always re-sends.
 */
export class StreamProducer {
  readonly stream: string;
  private readonly trim: string[];
  private readonly batchMode: 'script' | 'pipeline';
  private readonly chunkSize: number;
  private readonly target: string | undefined;
  private readonly durability: Durability | undefined;
  private ownsClient = false;
  /** Settles commands the client leaves unanswered after a lost connection (when it does not re-send them). */
  private readonly guard: LossGuard | undefined;

  /** Uses `client` (not closed by {@link close} unless created by {@link StreamProducer.open}). */
  constructor(readonly client: RedisClient, options: StreamProducerOptions) {
    this.stream = nonEmpty(options?.stream, 'stream');
    this.trim = trimArgs(options.trim);
    this.batchMode = options.batchMode ?? 'script';
    if (this.batchMode !== 'script' && this.batchMode !== 'pipeline') throw new BadInputError('batchMode must be "script" or "pipeline"');
    this.chunkSize = options.chunkSize === undefined ? 250 : positiveInt(options.chunkSize, 'chunkSize');
    this.target = options.target;
    if (options.durability !== undefined) {
      if (typeof options.durability !== 'object' || options.durability === null) throw new BadInputError('durability must be { replicas, timeoutMs }');
      // A lost message written again: auto id, the producer's trimming.
      const rewrite = async (args: (string | Buffer)[]) => String(await this.send(() => this.client.callBuffer('XADD', this.stream, ...this.trim, '*', ...args)));
      this.durability = new Durability(client, this.stream, options.durability, rewrite, (f) => this.send(f));
    }
    if (!isCluster(client) && clientOption(client, 'autoResendUnfulfilledCommands') === false) this.guard = new LossGuard(client, this.target);
  }

  /**
   * Opens a `command` connection and a producer that owns it ({@link close} closes it). The
   * connection does not re-send commands left unanswered by a dropped connection (so a lost reply
   * becomes an `unknown` message of a {@link PartialBatchError}, not a silent duplicate), except
   * in a Cluster.
   */
  static async open(connection: ConnectionOptions, options: StreamProducerOptions): Promise<StreamProducer> {
    const client = await open(connection, 'command', { resendUnanswered: false });
    try {
      const p = new StreamProducer(client, { target: describeTarget(connection), ...options });
      p.ownsClient = true;
      return p;
    } catch (e) {
      await quit(client);
      throw e;
    }
  }

  /**
   * Refuses, before anything is sent, ids the server would refuse by their form: `<ms>-*` needs
   * Redis 7.0 (older servers answer "Invalid stream ID" at that message, after the ones before it
   * were written).
   */
  private async checkIdForms(ids: string[]): Promise<void> {
    const partial = ids.find((id) => id.endsWith('-*'));
    if (partial === undefined) return;
    let caps;
    try {
      caps = await serverCapabilities(this.client);
    } catch (e) {
      throw this.error(e);
    }
    if (!caps.partialIds) throw new BadIdError(partial, `an id of the form <ms>-* needs Redis 7.0 or later (this server is ${caps.version}); nothing was written`);
  }

  /** Publishes one message; resolves to its id. */
  async publish(fields: MessageFields, options: PublishOptions = {}): Promise<string> {
    const args = fieldArgs(fields);
    const id = xaddId(options.id);
    const trim = options.trim === undefined ? this.trim : trimArgs(options.trim ?? undefined);
    await this.checkIdForms([id]);
    const d = this.durability;
    await d?.hold();
    let seq = 0;
    let written: string;
    try {
      written = String(
        await this.send(() => {
          if (d) seq = d.wrote(); // counted as it is sent: a WAIT sent after it covers it
          return this.client.callBuffer('XADD', this.stream, ...trim, id, ...args);
        }),
      );
    } catch (e) {
      throw this.error(e);
    }
    await d?.confirm(seq, [{ id: written, args }]);
    return written;
  }

  /**
   * Publishes a batch in order; resolves to the ids in the same order. Sent in chunks of
   * `chunkSize`, each one script call (or one pipeline). Validation covers the whole batch before
   * the first chunk is sent.
   *
   * When every id is `*` (the usual case), the chunks are sent back to back without waiting for
   * each reply (one connection keeps their order; at most max(1,000, 2 × chunkSize) messages in
   * flight), so the server writes a chunk while the next one is encoded. With explicit ids the
   * chunks go one at a time. Either way a failure to write stops sending further chunks, but
   * chunks already sent still run. A failed trim does not stop the batch (the messages were written).
   *
   * If some messages are not written (out of memory, an explicit id not above the stream's last,
   * ...) or may not have been (connection lost before Redis answered), or a trim failed, the
   * error ({@link PartialBatchError}) says how many messages were written, which failed and which
   * may have been written, wherever they are in the batch; a script chunk stops at its first
   * failing message and reports the ones it wrote.
   */
  async publishBatch(messages: (MessageFields | OutgoingMessage)[], options: { trim?: TrimOptions | null } = {}): Promise<string[]> {
    if (!Array.isArray(messages)) throw new BadInputError('publishBatch needs an array of messages');
    const trim = options.trim === undefined ? this.trim : trimArgs(options.trim ?? undefined);
    const n = messages.length;
    const ids = new Array<string>(n);
    const args = new Array<(string | Buffer)[]>(n);
    let auto = true;
    for (let i = 0; i < n; i++) {
      const m = messages[i];
      if (isOutgoing(m)) {
        const id = xaddId(m.id);
        if (id !== '*') auto = false;
        ids[i] = id;
        args[i] = fieldArgs(m.fields, i);
      } else {
        ids[i] = '*';
        args[i] = fieldArgs(m, i);
      }
    }
    if (!auto) {
      checkIncreasing(ids);
      await this.checkIdForms(ids);
    }
    const batch: Batch = { ids, args, auto, trim };
    await this.durability?.hold();
    const size = this.chunkSize;
    // Auto ids: up to `window` chunks unanswered (MAX_MESSAGES_IN_FLIGHT messages); explicit ids: one.
    const window = auto ? Math.max(2, Math.ceil(MAX_MESSAGES_IN_FLIGHT / size)) : 1;
    const out = new Array<string | undefined>(n);
    /** Messages whose fate is unknown (set only after a lost connection). */
    let unsure: Set<number> | undefined;
    const inFlight: Promise<void>[] = [];
    const errors: { start: number; error: unknown }[] = [];
    let trimError: unknown;
    let written = 0;
    let sentEnd = 0;
    for (let start = 0; start < n && errors.length === 0; start += size) {
      const end = Math.min(n, start + size);
      inFlight.push(
        this.chunk(batch, start, end).then((r) => {
          for (let j = 0; j < r.ids.length; j++) {
            const id = r.ids[j];
            if (id !== undefined) {
              out[start + j] = id;
              written++;
            }
          }
          if (r.error === undefined) return;
          if (r.trimError) {
            trimError ??= r.error;
            return;
          }
          errors.push({ start, error: r.error });
          if (r.unknown === true) for (let i = start; i < end; i++) if (out[i] === undefined) (unsure ??= new Set()).add(i);
          if (Array.isArray(r.unknown)) for (const j of r.unknown) (unsure ??= new Set()).add(start + j);
        }),
      );
      sentEnd = end;
      if (inFlight.length >= window) await inFlight.shift();
    }
    await Promise.all(inFlight);
    if (written === n && trimError === undefined) {
      // One WAIT for the batch: it covers every chunk (sent before it on the connection).
      const d = this.durability;
      if (d) await d.confirm(d.wrote(), (out as string[]).map((id, i): Written => ({ id, args: args[i]! })));
      return out as string[];
    }
    // Runs of messages without an id, as [start, end) index ranges (the unsent rest in `failed`).
    const failed: [number, number][] = [];
    const unknown: [number, number][] = [];
    for (let i = 0; i < n; i++) {
      if (out[i] !== undefined) continue;
      const list = unsure?.has(i) ? unknown : failed;
      const last = list[list.length - 1];
      if (last && last[1] === i) last[1] = i + 1;
      else list.push([i, i + 1]);
    }
    errors.sort((a, b) => a.start - b.start);
    const first = errors[0]?.error ?? trimError ?? new Error('Redis answered without ids for some messages');
    const err = this.error(first) as PartialBatchError;
    const show = (rs: [number, number][]) => rs.map(([a, z]) => (z - a === 1 ? `#${a}` : `#${a}–#${z - 1}`)).join(', ');
    const parts = [`${written} of ${n} messages were written`];
    if (failed.length) parts.push(`failed: ${show(failed)}`);
    if (unknown.length) parts.push(`may have been written (the connection was lost before Redis answered; check the stream before sending them again): ${show(unknown)}`);
    if (sentEnd < n) parts.push(`#${sentEnd}–#${n - 1} were not sent after the failure`);
    if (trimError !== undefined) parts.push(first === trimError ? 'trimming failed, the stream was not trimmed as asked' : `trimming also failed: ${this.error(trimError).message}`);
    err.message = `${err.message} (${parts.join('; ')})`;
    err.written = written;
    err.failed = failed;
    err.unknown = unknown;
    err.ids = out;
    err.trimFailed = trimError !== undefined;
    throw err;
  }

  /**
   * Sends messages [start, end) of a batch: one script call, or a pipeline of XADDs. Never
   * rejects: `ids` has an id per message written (`undefined` for one that failed; shorter than
   * the chunk when the rest was not written), `error` the first failure.
   */
  private async chunk(b: Batch, start: number, end: number): Promise<ChunkOutcome> {
    try {
      if (this.batchMode === 'script') {
        // Lua's unpack takes a few thousand values: messages with huge field counts go by plain XADD.
        let f = b.args[start]!.length;
        let fits = true;
        for (let i = start; i < end; i++) {
          const len = b.args[i]!.length;
          if (len > MAX_SCRIPT_FIELD_ARGS) fits = false;
          if (len !== f) f = 0;
        }
        if (fits) return await this.scriptChunk(b, start, end, f);
      }
      return await this.pipelineChunk(b, start, end);
    } catch (error) {
      return { ids: [], error, unknown: answeredByRedis(error) ? undefined : true };
    }
  }

  private async scriptChunk(b: Batch, start: number, end: number, f: number): Promise<ChunkOutcome> {
    // [script slot, numkeys, key, t, ...trim, f, auto, then per message: [id] [count] fields...]
    const argv: (string | Buffer | number)[] = ['', 1, this.stream, b.trim.length];
    for (const t of b.trim) argv.push(t);
    argv.push(f, b.auto ? '*' : '');
    for (let i = start; i < end; i++) {
      const a = b.args[i]!;
      if (!b.auto) argv.push(b.ids[i]!);
      if (f === 0) argv.push(a.length);
      for (let j = 0; j < a.length; j++) argv.push(a[j]!);
    }
    // EVAL, not EVALSHA: chunks sent back to back keep their order (see evalScriptArgv).
    const r = (await this.send(() => evalScriptArgv(this.client, XADD_BATCH, argv))) as unknown[];
    // The ids written, then the error that stopped the script (an XADD's, or the trim's after
    // the last XADD), if any.
    const ids: string[] = [];
    for (const x of r) {
      if (x instanceof Error) return { ids, error: withoutScriptNoise(x) as Error, trimError: ids.length === end - start };
      ids.push(String(x));
    }
    return { ids };
  }

  private async pipelineChunk(b: Batch, start: number, end: number): Promise<ChunkOutcome> {
    const p = this.client.pipeline();
    for (let i = start; i < end; i++) p.callBuffer('XADD', [this.stream, ...b.trim, b.ids[i]!, ...b.args[i]!]);
    const res = (await this.send(() => p.exec())) ?? [];
    const ids: (string | undefined)[] = [];
    let error: unknown;
    let unknown: number[] | undefined;
    for (let j = 0; j < res.length; j++) {
      const [err, id] = res[j]!;
      if (err) {
        error ??= err;
        if (!answeredByRedis(err)) (unknown ??= []).push(j);
      }
      ids.push(err ? undefined : String(id));
    }
    return { ids, error, unknown };
  }

  /** Sends one command (or pipeline), settled by the guard if the connection is lost before it is answered. */
  private send<T>(sendNow: () => Promise<T>): Promise<T> {
    return this.guard ? this.guard.run(sendNow) : sendNow();
  }

  private error(e: unknown) {
    return toQueueError(e, { key: this.stream, command: 'XADD', expected: 'stream', target: this.target });
  }

  /** Closes the connection if this producer opened it; otherwise does nothing. Safe to call twice. */
  async close(): Promise<void> {
    if (this.ownsClient) {
      this.ownsClient = false;
      await quit(this.client);
    }
  }
}

/** Whether Redis itself answered this error (an error reply), rather than the connection failing. */
function answeredByRedis(e: unknown): boolean {
  for (let x = e, depth = 0; x instanceof Error && depth < 5; x = x.cause, depth++) if (x instanceof ReplyError) return true;
  return false;
}

/**
 * For a client that does not re-send commands left unanswered by a dropped connection, which
 * ioredis 6.0.0 then never settles: when the client emits `close`, every command written to the
 * connection before (status `ready` when sent) is rejected as lost, fate unknown. A command sent
 * while the client was not ready waits in ioredis' offline queue, is sent after the reconnect and
 * settles normally.
 */
class LossGuard {
  private users = 0;
  private lost!: Promise<never>;
  private lose!: (e: Error) => void;

  constructor(
    private readonly client: RedisClient,
    /** Where the connection points, for messages. */
    private readonly target: string | undefined,
  ) {
    this.arm();
  }

  private arm(): void {
    this.lost = new Promise<never>((_, reject) => (this.lose = reject));
    this.lost.catch(() => undefined);
  }

  private readonly onClose = () => {
    // A Sentinel switch closes a working connection: a failover (transient), not "cannot connect".
    const e = masterSwitchedRecently(this.client)
      ? new UnavailableError(this.target ?? 'Redis', 'the sentinels switched the master while the connection was open (a failover); the command was sent to the old master before it answered and may have run there')
      : Object.assign(new Error('Connection is closed before Redis answered: the command may have run'), { code: 'ECONNRESET' });
    this.lose(e);
    this.arm();
  };

  async run<T>(sendNow: () => Promise<T>): Promise<T> {
    if (this.users++ === 0) this.client.on('close', this.onClose);
    try {
      const written = this.client.status === 'ready';
      const lost = this.lost;
      const p = sendNow();
      if (!written) return await p;
      p.catch(() => undefined);
      return await Promise.race([p, lost]);
    } finally {
      if (--this.users === 0) this.client.off('close', this.onClose);
    }
  }
}

function isOutgoing(m: unknown): m is OutgoingMessage {
  if (!m || typeof m !== 'object' || !('fields' in m)) return false;
  const o = m as Record<string, unknown>;
  const f = o['fields'];
  if (typeof f !== 'object' || f === null || Buffer.isBuffer(f)) return false;
  for (const k of Object.keys(o)) if (k !== 'fields' && k !== 'id') return false;
  return true;
}
