/** Adding NDJSON lines to a stream: batches, kept or new ids, resume, rate, read-only refusal. */
import { type RedisClient } from '../redis/connection';
import { BadInputError, ReadOnlyError, printable, redisErrorCode, toQueueError } from '../redis/errors';
import { streamType } from '../redis/missing';
import { compareIds } from '../messages/ids';
import { type RawFields, sameRaw } from '../messages/message';
import { xinfoStream } from '../redis/commands';
import { parseEntries } from '../redis/replies';
import { XADD_BATCH } from '../queue/stream/scripts';
import { evalScriptArgv, isPermanentScriptRefusal, withoutScriptNoise } from '../queue/lua';
import { type ImportLine, importMessageOf } from './format';
import { IMPORT_MAX_LINE_BYTES, OVERLONG, depthAfter, readLines } from './lines';
import { IMPORT_RUN_TTL_SECONDS, XADD_WITH_PROGRESS, newRunName, runKey, runLastLine, xaddOneWithProgress } from './resume';
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
  /**
   * Keeping ids: lines whose id the stream already has, with byte-equal pairs (written by an
   * earlier run of the same import): nothing to do.
   */
  skipped: number;
  /**
   * Keeping ids: lines that could not be written: their id is at or below the stream's last id
   * and the stream does not hold them (deleted, trimmed, emptied), or holds other pairs under it.
   * The import goes on past them; {@link ImportResult.notWrittenLines} names them.
   */
  notWritten: number;
  /**
   * Every line up to this one is done (imported, skipped or not a message) and nothing after it
   * was written: to go on after a failure, import again from line `line + 1` (`fromLine`).
   */
  line: number;
}

export interface ImportOptions {
  /**
   * Write each message with the id it has in the input (default: new ids, `*`). Ids must increase
   * from line to line. Lines whose id is not greater than the stream's last id (as it was when
   * the import started) are compared with the stream: held with byte-equal pairs → `skipped`;
   * absent or held with other pairs → `notWritten` (Redis cannot add an id below its last). So
   * re-running an interrupted keep-ids import writes only what is missing, and says what it could not.
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
  /**
   * New ids: the name of this run (default: a new one, in the result and the progress). Each
   * batch records in Redis, in the same step, the last line it wrote; importing again with the
   * same `run` starts after that line (or at `fromLine`, if later), so a run killed at any moment
   * is resumed without a duplicate. Ignored with `keepIds` (the ids say what is there).
   */
  run?: string;
  /** Longest line read, in bytes (default {@link IMPORT_MAX_LINE_BYTES}): a longer one is refused with its number. */
  maxLineBytes?: number;
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
  /** Lines already in the stream with the same id and pairs (see {@link ImportProgress.skipped}). */
  skipped: number;
  /** Lines that could not be written (see {@link ImportProgress.notWritten}). */
  notWritten: number;
  /** The first {@link NOT_WRITTEN_LISTED} of them: line number, id and why. */
  notWrittenLines: NotWrittenLine[];
  /** New ids: the run's name, to resume it (see {@link ImportOptions.run}); absent when progress cannot be kept in Redis. */
  run?: string;
  /** Resuming a run: the line it had written through, from Redis (the import started after it). */
  resumedAfter?: number;
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

/** A line that could not be written. */
export interface NotWrittenLine {
  line: number;
  id: string;
  reason: string;
}

/** Most lines an import names in {@link ImportResult.notWrittenLines} (all are counted). */
export const NOT_WRITTEN_LISTED = 1000;

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
 *   say through which line the import went (`line`), to resume with `fromLine`; each batch also
 *   records its last line in Redis in the same step (resume.ts), so a run killed at any moment is
 *   resumed with `run` without a duplicate. With `keepIds`, lines whose id is not greater than
 *   the stream's last id are compared with the stream (see {@link ImportOptions.keepIds}), so
 *   re-running an interrupted import duplicates nothing.
 * - A line longer than `maxLineBytes` is refused with its number before it is held whole.
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
  let fromLine = options.fromLine ?? 1;
  positive(fromLine, 'fromLine');
  const maxLineBytes = options.maxLineBytes ?? IMPORT_MAX_LINE_BYTES;
  positive(maxLineBytes, 'maxLineBytes');
  const limiter = options.limiter ?? (options.ratePerSec !== undefined ? new TokenBucket({ ratePerSec: options.ratePerSec }) : undefined);
  // A batch never asks for more than the bucket holds, so that sends spread over each second.
  const perBatch = limiter ? Math.min(batch, limiter.burst) : batch;

  const type = await streamType(client, key);
  let top = '0-0';
  if (keepIds && type === 'stream') {
    try {
      top = (await xinfoStream(client, key)).lastGeneratedId;
    } catch (e) {
      throw toQueueError(e, { key, command: 'XINFO', expected: 'stream' });
    }
  }

  // New ids: the run's progress key (see resume.ts), and the line an earlier try of the run wrote through.
  const run = keepIds ? undefined : (options.run ?? newRunName());
  const progressKey = run === undefined ? undefined : runKey(key, run);
  let resumedAfter: number | undefined;
  if (progressKey && options.run !== undefined) {
    try {
      resumedAfter = await runLastLine(client, progressKey);
    } catch (e) {
      throw toQueueError(e, { key: progressKey, command: 'GET' });
    }
    if (resumedAfter !== undefined && resumedAfter + 1 > fromLine) fromLine = resumedAfter + 1;
  }
  /** The last line the progress key holds (to take back a refused single XADD's SET). */
  let keyLine = resumedAfter;

  const state = { read: 0, imported: 0, skipped: 0, notWritten: 0, line: 0 };
  const notWrittenLines: NotWrittenLine[] = [];
  /** Keeping ids: lines whose id is not above the stream's last id, waiting to be compared with what the stream holds. */
  let checks: Pending[] = [];
  let checkBytes = 0;
  let lastId: string | undefined;
  /** With kept ids: the last id queued for writing, and its line. */
  let lastQueued: { id: string; line: number } | undefined;
  let pending: Pending[] = [];
  let pendingBytes = 0;
  let aborted = false;
  let inFlight: Promise<void> | undefined;
  let failure: { error: unknown } | undefined;
  /** With kept ids: the last id compared with the stream, and its line. */
  let lastChecked: { id: string; line: number } | undefined;
  /** A JSON value over several lines, being gathered. */
  let multi: { start: number; parts: string[]; bytes: number; depth: number } | undefined;

  const progress = (): ImportProgress => ({ ...state });
  /** Nothing read is waiting: every line read so far is done. */
  const idle = () => !pending.length && !inFlight && !checks.length;
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
  /** New ids: batches go by {@link XADD_WITH_PROGRESS} until scripts are refused (ACL); then without a progress key. */
  let scriptedProgress = true;
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
          // Only the server's refusal of this entry is the entry's; a lost connection or no answer stops the import.
          if (!(e instanceof Error) || redisErrorCode(e) === undefined) throw e;
          out.push([e, null]);
          break;
        }
      }
      return out;
    }
    if (progressKey && scriptedProgress) {
      // New ids with the progress in the same step: scripts of messages small enough, in order.
      const out: [Error | null, unknown][] = [];
      let at = 0;
      while (at < items.length) {
        if (items[at]!.raw.length > MAX_SCRIPT_FIELD_ARGS) {
          const it = items[at++]!;
          const r = await xaddOneWithProgress(client, key, progressKey, it.line, it.raw, keyLine);
          out.push(r);
          if (r[0]) return out;
          keyLine = it.line;
          continue;
        }
        const argv: (string | Buffer)[] = ['', '2', key, progressKey, String(IMPORT_RUN_TTL_SECONDS)];
        let end = at;
        while (end < items.length && items[end]!.raw.length <= MAX_SCRIPT_FIELD_ARGS) {
          const it = items[end++]!;
          argv.push(String(it.line), String(it.raw.length), ...it.raw);
        }
        let r: unknown[];
        try {
          r = (await evalScriptArgv(client, XADD_WITH_PROGRESS, argv)) as unknown[];
        } catch (e) {
          if (!isPermanentScriptRefusal(e) || out.length) throw e;
          scriptedProgress = false;
          return sendBatch(items);
        }
        for (const x of r) {
          if (x instanceof Error) {
            out.push([withoutScriptNoise(x) as Error, null]);
            return out;
          }
          out.push([null, x]);
          keyLine = items[at]!.line;
          at++;
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
    if (signal?.aborted || (limiter && !(await limiter.take(items.length, signal)))) {
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

  /**
   * Keeping ids: compares the lines waiting in `checks` with what the stream holds under their
   * ids (XRANGE id id, pipelined): the same pairs byte for byte → skipped (already there); none,
   * or other pairs → not written, named with the reason.
   */
  const check = async () => {
    if (!checks.length) return;
    const items = checks;
    checks = [];
    checkBytes = 0;
    let res: [Error | null, unknown][];
    try {
      const p = client.pipeline();
      for (const it of items) p.xrangeBuffer(key, it.id, it.id);
      res = (await p.exec()) ?? [];
    } catch (e) {
      throw toQueueError(e, { key, command: 'XRANGE', expected: 'stream' });
    }
    for (const [i, it] of items.entries()) {
      const [err, reply] = res[i] ?? [new Error('Redis did not answer every XRANGE'), null];
      if (err) throw toQueueError(err, { key, command: 'XRANGE', expected: 'stream' });
      const held = parseEntries(reply)[0];
      if (held && sameRaw(held.raw, it.raw)) {
        state.skipped++;
      } else {
        state.notWritten++;
        const reason = held
          ? `the stream holds other pairs under id ${it.id}`
          : `id ${it.id} is not above the stream's last id (${top}) and the stream does not hold it (deleted or trimmed): Redis cannot add it back with this id`;
        if (notWrittenLines.length < NOT_WRITTEN_LISTED) notWrittenLines.push({ line: it.line, id: it.id, reason });
      }
      state.line = it.line;
    }
    report();
  };

  const bad = async (lineNo: number, reason: string): Promise<never> => {
    // What was sent before this batch counts: wait for it, then report.
    await settle();
    await check();
    throw new ImportLineError(lineNo, reason, progress(), keepIds);
  };

  try {
    for await (const lines of readLines(input as AsyncIterable<Buffer | string>, maxLineBytes)) {
      for (const line of lines) {
        const lineNo = ++state.read;
        if (line === OVERLONG) await bad(multi?.start ?? lineNo, `the line is longer than ${sizeText(maxLineBytes)} (the most an import reads; raise it with maxLineBytes, --max-line-mb in the CLI)`);
        const text = line as string | null;
        if (lineNo < fromLine) {
          if (idle()) state.line = lineNo;
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
          if (multi.bytes > Math.min(MAX_MULTILINE_CHARS, maxLineBytes)) await bad(multi.start, `a JSON value over several lines is limited to ${sizeText(Math.min(MAX_MULTILINE_CHARS, maxLineBytes))}; write one message per line`);
          if (multi.depth > 0) continue;
          start = multi.start;
          json = multi.parts.join('\n');
          multi = undefined;
        } else if (!json.trim()) {
          if (idle()) state.line = lineNo;
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
          if (idle()) state.line = lineNo;
          continue;
        }
        if (keepIds) {
          const id = parsed.id!;
          if (lastQueued === undefined && compareIds(id, top) <= 0) {
            // Not above the stream's last id (and nothing of this run written yet): Redis cannot
            // add it; the stream may hold it already (an earlier run), to be compared.
            if (lastChecked !== undefined && compareIds(id, lastChecked.id) <= 0) {
              await bad(start, `id ${id} is not greater than ${lastChecked.id} of line ${lastChecked.line}: with kept ids, ids must increase from line to line`);
            }
            lastChecked = { id, line: start };
            checks.push({ line: start, id, raw: parsed.raw });
            for (const b of parsed.raw) checkBytes += b.length;
            if (checks.length >= batch || checkBytes >= batchBytes) await check();
            continue;
          }
          await check();
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
    if (!aborted) await check();
    if (!aborted && !pending.length) state.line = state.read;
    report();
    // A finished run needs no resuming: its key goes (a key left by a kill expires).
    if (!aborted && progressKey && scriptedProgress) await client.del(progressKey).catch(() => undefined);
    return {
      imported: state.imported,
      skipped: state.skipped,
      notWritten: state.notWritten,
      notWrittenLines,
      lines: state.read,
      lastLine: state.line,
      lastId,
      aborted,
      ...(progressKey && scriptedProgress ? { run } : {}),
      ...(resumedAfter !== undefined ? { resumedAfter } : {}),
      ...(limiter ? { rate: limiter.accounting() } : {}),
    };
  } finally {
    // A failure while a batch is in flight: let it land (its outcome is reported by then).
    if (inFlight) await (inFlight as Promise<void>).catch(() => undefined);
  }
}

/** Longest JSON value over several lines an import gathers, in characters. */
const MAX_MULTILINE_CHARS = 64 * 2 ** 20;

function sizeText(bytes: number): string {
  return bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20} MB` : `${bytes} bytes`;
}
