/** Adding NDJSON lines to a stream: batches, kept or new ids, resume, rate, read-only refusal. */
import { isUtf8 } from 'node:buffer';
import { type RedisClient } from '../connection';
import { BadInputError, ReadOnlyError, WrongTypeError, printable, toQueueError } from '../errors';
import { compareIds } from '../ids';
import { type RawFields } from '../message';
import { xinfoStream } from '../commands';
import { XADD_BATCH } from '../queue/stream/scripts';
import { evalScriptArgv, isPermanentScriptRefusal, withoutScriptNoise } from '../queue/lua';
import { type ImportLine, importMessageOf } from './format';
import { positive } from './read';
import { type RateAccounting, TokenBucket } from './rate';

/** Field arguments (names and values) of one message that the batch script takes; larger messages go by plain XADD. */
const MAX_SCRIPT_FIELD_ARGS = 4000;

/** Where an import stands. */
export interface ImportProgress {
  /** Lines read so far (blank and header lines and those before `fromLine` included). */
  read: number;
  /** Messages written. */
  imported: number;
  /** Lines skipped because their id is already in the stream (keeping ids; see {@link importEntries}). */
  skipped: number;
  /**
   * Every line up to this one is done (imported, skipped or not a message) and nothing after it
   * was written: to go on after a failure, import again from line `line + 1` (`fromLine`).
   */
  line: number;
}

export interface ImportOptions {
  /**
   * Write each message with the id it has in the input (default: new ids, `*`). Ids must increase
   * from line to line, and be greater than the stream's last id. Lines whose id is not greater
   * than the stream's last id (as it was when the import started) are skipped and counted as
   * `skipped`: re-running an interrupted keep-ids import writes only what is missing.
   */
  keepIds?: boolean;
  /** At most this many messages per second on average (a token bucket; never a busy wait). */
  ratePerSec?: number;
  /** The bucket to use instead of one made from `ratePerSec` (to share one limit, or to read its accounting). */
  limiter?: TokenBucket;
  /** XADDs pipelined per round trip (default 200); a batch also ends at {@link IMPORT_BATCH_BYTES}. */
  batch?: number;
  /** Bytes of messages per round trip (default {@link IMPORT_BATCH_BYTES}). */
  batchBytes?: number;
  /** Start at this line (1-based); earlier lines are read and ignored (to resume after a failure). */
  fromLine?: number;
  /** Stops after the batch in flight (the result says `aborted`). */
  signal?: AbortSignal;
  /** Called after each batch (and every 1,000 skipped lines) with where the import stands. */
  onProgress?(p: ImportProgress): void;
  /** The connection is read-only: refuse before reading or sending anything. */
  readOnly?: boolean;
  /** Connection name, for messages. */
  name?: string;
}

export interface ImportResult {
  imported: number;
  skipped: number;
  /** Lines read. */
  lines: number;
  /** Every line up to this one was handled (see {@link ImportProgress.line}). */
  lastLine: number;
  /** Id of the last message written. */
  lastId?: string;
  /** `signal` stopped the import. */
  aborted: boolean;
  /** The rate limiter's accounting, when there was one. */
  rate?: RateAccounting;
}

/** Default bytes of messages per pipelined round trip of an import. */
export const IMPORT_BATCH_BYTES = 1024 * 1024;
const DEFAULT_BATCH = 200;

/**
 * A line of an import that cannot be used. Nothing of the batch it was in was written; the
 * message says what was imported before it. `progress` is where the import stands.
 */
export class ImportLineError extends BadInputError {
  constructor(
    readonly lineNumber: number,
    reason: string,
    readonly progress: ImportProgress,
    keepIds: boolean,
  ) {
    super(ImportLineError.say(lineNumber, reason, progress, keepIds));
  }

  private static say(lineNumber: number, reason: string, p: ImportProgress, keepIds: boolean): string {
    if (!p.imported && !p.skipped) return `Line ${lineNumber}: ${reason}. Nothing was imported.`;
    const before = `${p.imported} ${p.imported === 1 ? 'message was' : 'messages were'} imported${p.skipped ? ` and ${p.skipped} skipped as already there` : ''}, through line ${p.line}`;
    const resume = keepIds ? 'importing the file again with kept ids skips what is there' : `to go on, import again from line ${p.line + 1}`;
    return `Line ${lineNumber}: ${reason}. Nothing after line ${p.line} was written; ${before} (${resume}).`;
  }
}

interface Pending {
  line: number;
  id: string;
  raw: RawFields;
}

/**
 * Reads NDJSON lines (see the module comment) from `input` and adds each message to stream `key`,
 * in order, with new ids (default) or the ids of the input (`keepIds`), in pipelined batches.
 *
 * - Each batch is read and checked whole before any of it is sent: a bad line (not JSON, no
 *   pairs, bad base64, an odd shape, a missing or decreasing id with `keepIds`) throws
 *   {@link ImportLineError} (a BadInputError naming the line) and nothing of its batch is written;
 *   the message says what was imported before it.
 * - Each XADD is one atomic command (messages of thousands of fields too). A batch is sent only
 *   when the one before it was written; a failure reported by Redis stops the import after
 *   reporting (onProgress) the messages written before it.
 * - With new ids, importing the same lines again writes them again: the progress and the result
 *   say through which line the import went (`line`), to resume with `fromLine`. With `keepIds`,
 *   lines whose id is not greater than the stream's last id are skipped, so re-running an
 *   interrupted import duplicates nothing.
 * - `readOnly` refuses with {@link ReadOnlyError} before anything is read or sent.
 * - The stream is checked first: a key of another type is a {@link WrongTypeError}.
 */
export async function importEntries(client: RedisClient, key: string, input: NodeJS.ReadableStream | AsyncIterable<Buffer | string>, options: ImportOptions = {}): Promise<ImportResult> {
  const { keepIds = false, signal, onProgress, name } = options;
  if (options.readOnly) throw new ReadOnlyError(name ?? 'this connection', 'import');
  const batch = options.batch ?? DEFAULT_BATCH;
  positive(batch, 'batch');
  const batchBytes = options.batchBytes ?? IMPORT_BATCH_BYTES;
  positive(batchBytes, 'batchBytes');
  const fromLine = options.fromLine ?? 1;
  positive(fromLine, 'fromLine');
  const limiter = options.limiter ?? (options.ratePerSec !== undefined ? new TokenBucket({ ratePerSec: options.ratePerSec }) : undefined);
  // A batch never asks for more than the bucket holds, so that sends spread over each second.
  const perBatch = limiter ? Math.min(batch, limiter.burst) : batch;

  let type: string;
  try {
    type = String(await client.type(key));
  } catch (e) {
    throw toQueueError(e, { key, command: 'TYPE' });
  }
  if (type !== 'stream' && type !== 'none') throw new WrongTypeError(key, 'stream', type);
  let top = '0-0';
  if (keepIds && type === 'stream') {
    try {
      top = (await xinfoStream(client, key)).lastGeneratedId;
    } catch (e) {
      throw toQueueError(e, { key, command: 'XINFO', expected: 'stream' });
    }
  }

  const state = { read: 0, imported: 0, skipped: 0, line: 0 };
  let lastId: string | undefined;
  /** With kept ids: the last id queued for writing, and its line. */
  let lastQueued: { id: string; line: number } | undefined;
  let pending: Pending[] = [];
  let pendingBytes = 0;
  let aborted = false;
  let inFlight: Promise<void> | undefined;
  let failure: { error: unknown } | undefined;
  let skippedSinceReport = 0;
  /** A JSON value over several lines, being gathered. */
  let multi: { start: number; parts: string[]; bytes: number; depth: number } | undefined;

  const progress = (): ImportProgress => ({ ...state });
  const report = () => onProgress?.(progress());

  /** Waits for the batch in flight; throws its failure. */
  const settle = async () => {
    if (inFlight) {
      const p = inFlight;
      inFlight = undefined;
      await p;
    }
    if (failure) throw failure.error;
  };

  /**
   * With kept ids, a batch must never leave a refused line behind written ones: a re-run skips
   * every id up to the stream's last, so it would skip the refused line for good. The batch
   * script stops at its first refused XADD (nothing after it runs); where scripts are refused
   * (ACL), or a message is too large for a script's arguments, XADDs go one round trip each.
   */
  let scripted = keepIds;
  const sendBatch = async (items: Pending[]): Promise<[Error | null, unknown][]> => {
    if (scripted && items.every((it) => it.raw.length <= MAX_SCRIPT_FIELD_ARGS)) {
      const argv: (string | Buffer)[] = ['', '1', key, '0', '0', 'ids'];
      for (const it of items) argv.push(it.id, String(it.raw.length), ...it.raw);
      try {
        const r = (await evalScriptArgv(client, XADD_BATCH, argv)) as unknown[];
        const out: [Error | null, unknown][] = [];
        for (const x of r) {
          if (x instanceof Error) {
            out.push([withoutScriptNoise(x) as Error, null]);
            break;
          }
          out.push([null, x]);
        }
        return out;
      } catch (e) {
        if (!isPermanentScriptRefusal(e)) throw e;
        scripted = false;
      }
    }
    if (keepIds) {
      const out: [Error | null, unknown][] = [];
      for (const it of items) {
        try {
          out.push([null, await client.callBuffer('XADD', [key, it.id, ...it.raw])]);
        } catch (e) {
          if (!(e instanceof Error) || /Connection|closed|ECONN|timed? ?out/i.test(e.message)) throw e;
          out.push([e, null]);
          break;
        }
      }
      return out;
    }
    const p = client.pipeline();
    for (const it of items) p.callBuffer('XADD', [key, it.id, ...it.raw]);
    return (await p.exec()) ?? [];
  };

  const write = async (items: Pending[], doneLine: number): Promise<void> => {
    let res: [Error | null, unknown][] | null;
    try {
      res = await sendBatch(items);
    } catch (e) {
      throw toQueueError(e, { key, command: 'XADD', expected: 'stream' });
    }
    let written = 0;
    for (const [err, id] of res ?? []) {
      if (err) break;
      written++;
      lastId = Buffer.isBuffer(id) ? id.toString('latin1') : String(id);
    }
    state.imported += written;
    if (written === items.length) {
      state.line = doneLine;
      report();
      return;
    }
    // Redis refused one (the ones after it in the pipeline are not counted: they may have run).
    const firstBad = (res ?? [])[written]?.[0] ?? new Error('Redis did not answer every XADD of the batch');
    const later = (res ?? []).slice(written + 1).filter(([err]) => !err).length;
    state.line = written > 0 ? items[written - 1]!.line : items[0]!.line - 1;
    report();
    const err = toQueueError(firstBad, { key, command: 'XADD', expected: 'stream' });
    err.message = `${err.message} (line ${items[written]!.line}; ${state.imported} messages imported through line ${state.line}${later ? `; ${later} later lines of the same batch were written too` : ''})`;
    throw err;
  };

  /** Sends what is pending (after the batch in flight was written). */
  const send = async () => {
    if (!pending.length) return;
    const items = pending;
    const doneLine = state.read;
    pending = [];
    pendingBytes = 0;
    await settle();
    if (limiter && !(await limiter.take(items.length, signal))) {
      aborted = true;
      return;
    }
    inFlight = write(items, doneLine).then(
      () => undefined,
      (error: unknown) => {
        failure = { error };
      },
    );
  };

  const bad = async (lineNo: number, reason: string): Promise<never> => {
    // What was sent before this batch counts: wait for it, then report.
    await settle();
    throw new ImportLineError(lineNo, reason, progress(), keepIds);
  };

  try {
    for await (const lines of readLines(input as AsyncIterable<Buffer | string>)) {
      for (const text of lines) {
        const lineNo = ++state.read;
        if (lineNo < fromLine) {
          if (!pending.length && !inFlight) state.line = lineNo;
          continue;
        }
        if (signal?.aborted) {
          aborted = true;
          break;
        }
        if (text === null) await bad(multi?.start ?? lineNo, `${multi ? `line ${lineNo} of the JSON value that starts here` : 'the line'} is not valid UTF-8 text`);
        let start = lineNo;
        let json = text!;
        if (multi) {
          // A JSON value over several lines (pretty-printed, as copy-as-JSON gives): gathered until it closes.
          // A new value at the start of a line (pretty-printing indents what is inside one): the
          // one gathered was cut off (a truncated line).
          const c = json.charCodeAt(0);
          if (c === 123 || c === 91) await bad(multi.start, `a JSON value starts here and is not closed before line ${lineNo} starts another`);
          multi.parts.push(json);
          multi.bytes += json.length;
          multi.depth = depthAfter(json, multi.depth);
          if (multi.bytes > MAX_MULTILINE_CHARS) await bad(multi.start, `a JSON value over several lines is limited to ${MAX_MULTILINE_CHARS / 2 ** 20} MB; write one message per line`);
          if (multi.depth > 0) continue;
          start = multi.start;
          json = multi.parts.join('\n');
          multi = undefined;
        } else if (!json.trim()) {
          if (!pending.length && !inFlight) state.line = lineNo;
          continue;
        }
        let value: unknown;
        try {
          value = JSON.parse(json);
        } catch (e) {
          const depth = start === lineNo && /^\s*[[{]/.test(json) ? depthAfter(json, 0) : 0;
          if (depth > 0) {
            multi = { start: lineNo, parts: [json], bytes: json.length, depth };
            continue;
          }
          await bad(start, `not JSON (${printable((e as Error).message, 100)})`);
        }
        let parsed: ImportLine | null;
        try {
          parsed = importMessageOf(value, keepIds);
        } catch (e) {
          if (!(e instanceof BadInputError)) throw e;
          parsed = await bad(start, e.message.replace(/\.$/, ''));
        }
        if (parsed === null) {
          if (!pending.length && !inFlight) state.line = lineNo;
          continue;
        }
        if (keepIds) {
          const id = parsed.id!;
          if (lastQueued === undefined && compareIds(id, top) <= 0) {
            // Already in the stream (an earlier run of the same import): the stream's last id is
            // at least this one, and nothing of this run was written yet.
            state.skipped++;
            if (!pending.length && !inFlight) state.line = lineNo;
            if (++skippedSinceReport >= 1000) {
              skippedSinceReport = 0;
              report();
            }
            continue;
          }
          if (lastQueued !== undefined && compareIds(id, lastQueued.id) <= 0) {
            await bad(start, `id ${id} is not greater than ${lastQueued.id} of line ${lastQueued.line}: with kept ids, ids must increase from line to line`);
          }
          lastQueued = { id, line: start };
        }
        pending.push({ line: start, id: keepIds ? parsed.id! : '*', raw: parsed.raw });
        for (const b of parsed.raw) pendingBytes += b.length;
        if (pending.length >= perBatch || pendingBytes >= batchBytes) await send();
        if (aborted) break;
      }
      if (aborted) break;
    }
    if (signal?.aborted) aborted = true;
    if (multi && !aborted) await bad(multi.start, 'a JSON value starts here and is not closed by the end of the input');
    if (!aborted) await send();
    await settle();
    if (!aborted && !pending.length) state.line = state.read;
    report();
    return { imported: state.imported, skipped: state.skipped, lines: state.read, lastLine: state.line, lastId, aborted, ...(limiter ? { rate: limiter.accounting() } : {}) };
  } finally {
    // A failure while a batch is in flight: let it land (its outcome is reported by then).
    if (inFlight) await (inFlight as Promise<void>).catch(() => undefined);
  }
}

/** Longest JSON value over several lines an import gathers, in characters. */
const MAX_MULTILINE_CHARS = 64 * 2 ** 20;

/**
 * The nesting depth of JSON after `line`, starting at `depth`: +1 per `{` or `[`, −1 per `}` or
 * `]`, outside strings (a JSON string never spans lines).
 */
function depthAfter(line: string, depth: number): number {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) depth--;
  }
  return depth;
}

/**
 * Splits a byte stream into lines: one array of lines per chunk that ends at least one line. A
 * line that is not valid UTF-8 comes as null. `\r\n` ends are trimmed, a leading BOM removed.
 */
async function* readLines(input: AsyncIterable<Buffer | string>): AsyncGenerator<(string | null)[]> {
  let carry: Buffer[] = [];
  let first = true;
  const decode = (seg: Buffer): (string | null)[] => {
    let out: (string | null)[];
    if (isUtf8(seg)) {
      out = seg.toString('utf8').split('\n');
    } else {
      out = [];
      let at = 0;
      for (;;) {
        const nl = seg.indexOf(10, at);
        const part = seg.subarray(at, nl < 0 ? seg.length : nl);
        out.push(isUtf8(part) ? part.toString('utf8') : null);
        if (nl < 0) break;
        at = nl + 1;
      }
    }
    for (let i = 0; i < out.length; i++) {
      const l = out[i];
      if (l && l.charCodeAt(l.length - 1) === 13) out[i] = l.slice(0, -1);
    }
    if (first) {
      first = false;
      const l = out[0];
      if (l && l.charCodeAt(0) === 0xfeff) out[0] = l.slice(1);
    }
    return out;
  };
  for await (const c of input) {
    const chunk = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
    const nl = chunk.lastIndexOf(10);
    if (nl < 0) {
      carry.push(chunk);
      continue;
    }
    const head = carry.length ? Buffer.concat([...carry, chunk.subarray(0, nl)]) : chunk.subarray(0, nl);
    carry = nl + 1 < chunk.length ? [chunk.subarray(nl + 1)] : [];
    yield decode(head);
  }
  if (carry.length) {
    const rest = Buffer.concat(carry);
    if (rest.length) yield decode(rest);
  }
}
