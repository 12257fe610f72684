/**
 * Stream producer. Module notes on batching: a quick check (20,000 messages of ~110 bytes, local
 * redis-server 7.0.15, ioredis 6, 2 shared cores, chunks of 500, after warm-up) gave roughly
 * 85k–185k msg/s with one EVALSHA per chunk against 65k–120k msg/s with a pipeline of XADDs; the
 * script won in every warm round (fewer replies to parse, one command per chunk), so it is the
 * default. The figures are noisy; the ratio (~1.3–1.5×) was stable.
 */
import { describeTarget, open, quit, type ConnectionOptions, type RedisClient } from '../connection';
import { BadInputError, toQueueError } from '../errors';
import { checkIncreasing, fieldArgs, nonEmpty, positiveInt, trimArgs, xaddId, type MessageFields, type TrimOptions } from './validate';
import { runScript, XADD_BATCH } from './scripts';

/** Field arguments (names and values) per message the batch script takes; more go by plain XADD. */
const MAX_SCRIPT_FIELD_ARGS = 4000;

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
   * How batches are sent. Default `'script'`: one EVALSHA XADDs a whole chunk, which measured
   * faster than a pipeline of XADDs (fewer replies to parse, one command per chunk; see the
   * module notes). `'pipeline'` sends one XADD per message in a pipeline. The script saves client
   * CPU but costs the server about 3.5× the CPU per message of plain XADD (BENCHMARKS.md): with
   * many producers sharing one Redis, prefer `'pipeline'`, which leaves the server more headroom.
   */
  batchMode?: 'script' | 'pipeline';
  /**
   * Messages per script call / pipeline. Default 500: large enough to amortise round trips,
   * small enough that one script call does not block the server for long (~1 ms).
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
    this.chunkSize = options.chunkSize === undefined ? 500 : positiveInt(options.chunkSize, 'chunkSize');
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
   * the first chunk is sent; if a chunk then fails on the server (connection lost, ...), earlier
   * chunks stay written and the error says how many were.
   */
  async publishBatch(messages: (MessageFields | OutgoingMessage)[], options: { trim?: TrimOptions | null } = {}): Promise<string[]> {
    if (!Array.isArray(messages)) throw new BadInputError('publishBatch needs an array of messages');
    const trim = options.trim === undefined ? this.trim : trimArgs(options.trim ?? undefined);
    const prepared = messages.map((m, i) => {
      const explicit = isOutgoing(m);
      const fields = explicit ? m.fields : m;
      return { id: xaddId(explicit ? m.id : undefined), args: fieldArgs(fields, `message #${i}`) };
    });
    checkIncreasing(prepared.map((p) => p.id));
    const ids: string[] = [];
    for (let i = 0; i < prepared.length; i += this.chunkSize) {
      const chunk = prepared.slice(i, i + this.chunkSize);
      try {
        // Lua's unpack takes a few thousand values: messages with huge field counts go by plain XADD.
        const script = this.batchMode === 'script' && chunk.every((m) => m.args.length <= MAX_SCRIPT_FIELD_ARGS);
        ids.push(...(script ? await this.scriptChunk(chunk, trim) : await this.pipelineChunk(chunk, trim)));
      } catch (e) {
        const err = this.error(e);
        if (ids.length) err.message = `${err.message} (${ids.length} of ${prepared.length} messages were written before the failure)`;
        throw err;
      }
    }
    return ids;
  }

  private async scriptChunk(chunk: { id: string; args: (string | Buffer)[] }[], trim: string[]): Promise<string[]> {
    const argv: (string | Buffer | number)[] = [trim.length, ...trim];
    for (const m of chunk) argv.push(m.id, m.args.length / 2, ...m.args);
    const r = (await runScript(this.client, XADD_BATCH, [this.stream], argv)) as unknown[];
    return r.map((x) => String(x));
  }

  private async pipelineChunk(chunk: { id: string; args: (string | Buffer)[] }[], trim: string[]): Promise<string[]> {
    const p = this.client.pipeline();
    for (const m of chunk) p.callBuffer('XADD', this.stream, ...trim, m.id, ...m.args);
    const res = (await p.exec()) ?? [];
    return res.map(([err, id]) => {
      if (err) throw err;
      return String(id);
    });
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
  if (!m || typeof m !== 'object') return false;
  const o = m as Record<string, unknown>;
  const keys = Object.keys(o);
  return 'fields' in o && typeof o['fields'] === 'object' && o['fields'] !== null && !Buffer.isBuffer(o['fields']) && keys.every((k) => k === 'fields' || k === 'id');
}
