/**
 * Stream producer. Module notes on batching: one EVAL per chunk (a script that XADDs the
 * chunk's messages) costs the client far less than a pipeline of XADDs (one command and one reply
 * array per chunk instead of one per message: about 2.5 against 6–8 µs of Node CPU per message of
 * 3 small fields, local redis-server 7.0.15, ioredis 6, 2 shared cores), so it is the default.
 * Chunks of a batch with auto ids go out back to back, so the server runs one while the client
 * encodes the next: with both overlapping, 1,000-message batches measured about 2× the rate of a
 * raw ioredis pipeline of XADDs in interleaved runs (noisy machine; CPU figures were steadier).
 */
import { describeTarget, open, quit, type ConnectionOptions, type RedisClient } from '../connection';
import { BadInputError, toQueueError, type QueueError } from '../errors';
import { checkIncreasing, fieldArgs, nonEmpty, positiveInt, trimArgs, xaddId, type MessageFields, type TrimOptions } from './validate';
import { evalScriptArgv, XADD_BATCH } from './scripts';

/** Field arguments (names and values) per message the batch script takes; more go by plain XADD. */
const MAX_SCRIPT_FIELD_ARGS = 4000;

/** Messages of one batch sent and not yet answered, at most (bounds what sits in buffers). */
const MAX_MESSAGES_IN_FLIGHT = 4000;

/** Thrown by {@link StreamProducer.publishBatch} when some messages of the batch were not written. */
export interface PartialBatchError extends QueueError {
  /** Messages written. */
  written: number;
  /** Messages not written, as `[start, end)` index ranges of the batch. */
  failed: [number, number][];
  /** Per message of the batch: its id, or `undefined` if it was not written. */
  ids: (string | undefined)[];
}

/** What one chunk did: ids of the messages written (in order; see StreamProducer.chunk) and the first error. */
interface ChunkOutcome {
  ids: (string | undefined)[];
  error?: unknown;
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
 */
export class StreamProducer {
  readonly stream: string;
  private readonly trim: string[];
  private readonly batchMode: 'script' | 'pipeline';
  private readonly chunkSize: number;
  private readonly target: string | undefined;
  private ownsClient = false;

  /** Uses `client` (not closed by {@link close} unless created by {@link StreamProducer.open}). */
  constructor(readonly client: RedisClient, options: StreamProducerOptions) {
    this.stream = nonEmpty(options?.stream, 'stream');
    this.trim = trimArgs(options.trim);
    this.batchMode = options.batchMode ?? 'script';
    if (this.batchMode !== 'script' && this.batchMode !== 'pipeline') throw new BadInputError('batchMode must be "script" or "pipeline"');
    this.chunkSize = options.chunkSize === undefined ? 250 : positiveInt(options.chunkSize, 'chunkSize');
    this.target = options.target;
  }

  /** Opens a `command` connection and a producer that owns it ({@link close} closes it). */
  static async open(connection: ConnectionOptions, options: StreamProducerOptions): Promise<StreamProducer> {
    const client = await open(connection, 'command');
    try {
      const p = new StreamProducer(client, { target: describeTarget(connection), ...options });
      p.ownsClient = true;
      return p;
    } catch (e) {
      await quit(client);
      throw e;
    }
  }

  /** Publishes one message; resolves to its id. */
  async publish(fields: MessageFields, options: PublishOptions = {}): Promise<string> {
    const args = fieldArgs(fields);
    const id = xaddId(options.id);
    const trim = options.trim === undefined ? this.trim : trimArgs(options.trim ?? undefined);
    try {
      const r = await this.client.callBuffer('XADD', this.stream, ...trim, id, ...args);
      return String(r);
    } catch (e) {
      throw this.error(e);
    }
  }

  /**
   * Publishes a batch in order; resolves to the ids in the same order. Sent in chunks of
   * `chunkSize`, each one script call (or one pipeline). Validation covers the whole batch before
   * the first chunk is sent.
   *
   * When every id is `*` (the usual case), the chunks are sent back to back without waiting for
   * each reply (one connection keeps their order), so the server writes a chunk while the next
   * one is encoded. With explicit ids the chunks go one at a time. Either way a failure stops
   * sending further chunks, but chunks already sent still run.
   *
   * If some messages are not written (out of memory, an explicit id not above the stream's last,
   * connection lost, ...) the error ({@link PartialBatchError}) says how many messages were
   * written and which failed, wherever they are in the batch; a script chunk stops at its first
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
    if (!auto) checkIncreasing(ids);
    const batch: Batch = { ids, args, auto, trim };
    const size = this.chunkSize;
    // Auto ids: up to `window` chunks unanswered (MAX_MESSAGES_IN_FLIGHT messages); explicit ids: one.
    const window = auto ? Math.max(2, Math.ceil(MAX_MESSAGES_IN_FLIGHT / size)) : 1;
    const out = new Array<string | undefined>(n);
    const inFlight: Promise<void>[] = [];
    const errors: { start: number; error: unknown }[] = [];
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
          if (r.error !== undefined) errors.push({ start, error: r.error });
        }),
      );
      sentEnd = end;
      if (inFlight.length >= window) await inFlight.shift();
    }
    await Promise.all(inFlight);
    if (written === n) return out as string[];
    // Runs of messages without an id, as [start, end) index ranges (the unsent rest included).
    const failed: [number, number][] = [];
    for (let i = 0; i < n; i++) {
      if (out[i] !== undefined) continue;
      const last = failed[failed.length - 1];
      if (last && last[1] === i) last[1] = i + 1;
      else failed.push([i, i + 1]);
    }
    errors.sort((a, b) => a.start - b.start);
    const err = this.error(errors[0]?.error ?? new Error('Redis answered without ids for some messages')) as PartialBatchError;
    const ranges = failed.map(([a, z]) => (z - a === 1 ? `#${a}` : `#${a}–#${z - 1}`)).join(', ');
    const notSent = sentEnd < n ? `; #${sentEnd}–#${n - 1} were not sent after the failure` : '';
    err.message = `${err.message} (${written} of ${n} messages were written; failed: ${ranges}${notSent})`;
    err.written = written;
    err.failed = failed;
    err.ids = out;
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
      return { ids: [], error };
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
    const r = (await evalScriptArgv(this.client, XADD_BATCH, argv)) as unknown[];
    // The ids written, then the error that stopped the script, if any.
    const ids: string[] = [];
    for (const x of r) {
      if (x instanceof Error) return { ids, error: x };
      ids.push(String(x));
    }
    return { ids };
  }

  private async pipelineChunk(b: Batch, start: number, end: number): Promise<ChunkOutcome> {
    const p = this.client.pipeline();
    for (let i = start; i < end; i++) p.callBuffer('XADD', [this.stream, ...b.trim, b.ids[i]!, ...b.args[i]!]);
    const res = (await p.exec()) ?? [];
    const ids: (string | undefined)[] = [];
    let error: unknown;
    for (const [err, id] of res) {
      if (err) error ??= err;
      ids.push(err ? undefined : String(id));
    }
    return { ids, error };
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

function isOutgoing(m: unknown): m is OutgoingMessage {
  if (!m || typeof m !== 'object' || !('fields' in m)) return false;
  const o = m as Record<string, unknown>;
  const f = o['fields'];
  if (typeof f !== 'object' || f === null || Buffer.isBuffer(f)) return false;
  for (const k of Object.keys(o)) if (k !== 'fields' && k !== 'id') return false;
  return true;
}
