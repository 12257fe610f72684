/** Dead-lettering pending entries and replaying dead letters (the atomic steps are in queue/stream/deadLetter.ts). */
import { BadInputError, QueueError, WrongTypeError, toQueueError } from '../redis/errors';
import { streamKey } from '../redis/missing';
import { type StreamEntry } from '../redis/replies';
import { entriesById, rangeEntries } from '../transfer/read';
import {
  BodyGoneError,
  type DeadLetter,
  type DeadLetterInput,
  REPLAY_COUNT_FIELD,
  REPLAY_OF_FIELD,
  type ReplayOutcome,
  deadLetterEntry as deadLetterOne,
  replayEntry,
  splitDeadLetter,
} from '../queue/stream/deadLetter';
import { type OpTarget, assertWritable, checkIds } from './target';
import { pendingOf } from './pending';

export type { DeadLetter, DeadLetterInput };
export { BodyGoneError, REPLAY_COUNT_FIELD, REPLAY_OF_FIELD, splitDeadLetter };

/**
 * Moves one pending entry to its dead-letter stream and acks it, atomically (queue/stream/deadLetter.ts).
 * Returns the DLQ id, or null when the entry was no longer pending (someone else acked or
 * dead-lettered it).
 */
export async function deadLetterEntry(t: OpTarget, input: DeadLetterInput): Promise<string | null> {
  assertWritable(t, 'dead-letter');
  return deadLetterOne(t.client, input);
}

/**
 * Dead-letters several pending entries (each atomically). Entries whose message was deleted from
 * the stream are refused (listed in `gone`) unless `force`.
 */
export async function deadLetter(
  t: OpTarget,
  stream: string,
  group: string,
  ids: string[],
  { dlq, reason = 'dead-lettered by hand', consumer, force = false }: { dlq?: string; reason?: string; consumer?: string; force?: boolean } = {},
): Promise<{ moved: { id: string; dlqId: string }[]; skipped: string[]; gone: string[] }> {
  assertWritable(t, 'dead-letter');
  checkIds(ids);
  const pending = await pendingOf(t, stream, group, ids);
  const moved: { id: string; dlqId: string }[] = [];
  const skipped: string[] = [];
  const gone: string[] = [];
  for (const id of ids) {
    const p = pending.get(id);
    let dlqId: string | null = null;
    try {
      dlqId = p ? await deadLetterOne(t.client, { stream, group, id, dlq, deliveries: p.deliveries, error: reason, consumer: consumer ?? p.consumer, force }) : null;
    } catch (e) {
      if (!(e instanceof BodyGoneError)) throw e;
      gone.push(id);
      continue;
    }
    if (dlqId) moved.push({ id, dlqId });
    else skipped.push(id);
  }
  return { moved, skipped, gone };
}

/** A dead letter as a replay plan lists it: its bookkeeping, without the message (a plan of 10,000 records of megabytes each must not hold them). */
export type PlannedDeadLetter = Omit<DeadLetter, 'raw' | 'body' | 'fields'>;

export interface ReplayPlan {
  entries: PlannedDeadLetter[];
  /** Entries per origin stream. */
  byOrigin: Record<string, number>;
  /** Entries without a recorded origin (cannot be replayed without `to`). */
  withoutOrigin: string[];
  /** Records without a message (their entry was gone when they were dead-lettered): never replayed. */
  withoutBody: string[];
}

/** Refuses a dead-letter stream that does not exist (`NoStreamError`) or is not a stream. */
async function dlqMustExist(t: OpTarget, dlq: string): Promise<void> {
  await streamKey(t.client, dlq, { what: 'dead-letter stream' });
}

/**
 * The DLQ records to replay, read as they are needed: the given ids one XRANGE each (a record
 * may be megabytes), or up to `limit` records in pages sized by bytes (rangeEntries: about 1 MB a
 * call, one record when records are larger), so that neither Redis nor the client ever holds
 * more than about a page whatever the records' size.
 */
function dlqRecords(t: OpTarget, dlq: string, o: { ids?: string[]; limit: number; signal?: AbortSignal; onMissing(id: string): void }): AsyncIterable<StreamEntry> {
  const typed = async function* (source: AsyncIterable<StreamEntry>): AsyncGenerator<StreamEntry> {
    try {
      yield* source;
    } catch (e) {
      throw toQueueError(e, { key: dlq, command: 'XRANGE', expected: 'stream' });
    }
  };
  if (o.ids?.length) return typed(entriesById(t.client, dlq, o.ids, { chunk: 1, signal: o.signal, onMissing: o.onMissing }));
  return typed(rangeEntries(t.client, dlq, { count: o.limit, signal: o.signal }));
}

/**
 * Reads up to `limit` DLQ entries (or the given ids) and groups them by origin: the dry run of a
 * replay. Reads in pages sized by bytes and keeps each record's bookkeeping, never its message, so
 * it holds about one page whatever the messages' size. A DLQ that does not exist is a
 * `NoStreamError`.
 */
export async function planReplay(t: OpTarget, dlq: string, { ids, limit = 10_000 }: { ids?: string[]; limit?: number } = {}): Promise<ReplayPlan> {
  if (ids?.length) checkIds(ids);
  await dlqMustExist(t, dlq);
  const letters: PlannedDeadLetter[] = [];
  for await (const e of dlqRecords(t, dlq, { ids, limit, onMissing: () => undefined })) {
    const l = splitDeadLetter(e);
    letters.push({ id: l.id, origin: l.origin, group: l.group, originalId: l.originalId, deliveries: l.deliveries, error: l.error, at: l.at, consumer: l.consumer, replayCount: l.replayCount, replayOf: l.replayOf, hasBody: l.hasBody });
  }
  const byOrigin: Record<string, number> = {};
  const withoutOrigin: string[] = [];
  const withoutBody: string[] = [];
  for (const l of letters) {
    if (!l.hasBody) withoutBody.push(l.id);
    else if (l.origin) byOrigin[l.origin] = (byOrigin[l.origin] ?? 0) + 1;
    else withoutOrigin.push(l.id);
  }
  return { entries: letters, byOrigin, withoutOrigin, withoutBody };
}

export interface ReplayResult {
  replayed: { id: string; origin: string; newId: string }[];
  /** Not replayed, nothing changed: not in the DLQ (any more), no origin, no message. */
  skipped: { id: string; reason: string }[];
  /** Not replayed because the target refused it (not a stream); nothing of these changed. */
  failed: { id: string; reason: string }[];
  /** `signal` stopped the replay (what is not listed was not touched). */
  stopped: boolean;
}

/**
 * A replay cut off by a failure (a server that stopped, a connection lost): `done` is what it had
 * done before, each entry listed (old id → new id); the rest is untouched in the dead-letter
 * stream. The entry being moved when it failed moved whole or not at all (replayEntry): run the
 * replay again to go on (a record already written is only removed).
 */
export class ReplayInterruptedError extends QueueError {
  constructor(
    readonly done: ReplayResult,
    cause: QueueError,
  ) {
    const n = done.replayed.length;
    const list = done.replayed.slice(0, 20).map((x) => `${x.id} -> ${x.newId}`).join(', ');
    super(cause.code, `${cause.message} (replay cut off after ${n} replayed${n ? `: ${list}${n > 20 ? ', …' : ''}` : ''}; the rest is still in the dead-letter stream: replay again to go on)`, { cause });
  }
}

/**
 * Sends DLQ entries back to their recorded origin (or to `to`), each as its original message
 * followed by `x-replay-count` and `x-replay-of`, at most `ratePerSecond` per second. Each entry
 * moves atomically (queue/stream/deadLetter.ts replayEntry): written once and removed from the DLQ, even
 * with several replays at once; a target that is not a stream is reported per entry and nothing of
 * that entry changes. `signal` stops early. Reads and replays page by page (pages sized by bytes),
 * holding about one page. A DLQ that does not exist is a `NoStreamError`; a failure midway
 * is a {@link ReplayInterruptedError} listing what was replayed.
 */
export async function replay(
  t: OpTarget,
  dlq: string,
  { ids, to, ratePerSecond = 100, limit = 10_000, keepInDlq = false, signal }: { ids?: string[]; to?: string; ratePerSecond?: number; limit?: number; keepInDlq?: boolean; signal?: AbortSignal } = {},
): Promise<ReplayResult> {
  assertWritable(t, 'replay');
  if (!(ratePerSecond > 0)) throw new BadInputError('The replay rate must be a positive number per second');
  if (to !== undefined && to === dlq) throw new BadInputError('Replay into the dead-letter stream itself is not possible');
  if (ids?.length) checkIds(ids);
  await dlqMustExist(t, dlq);
  const result: ReplayResult = { replayed: [], skipped: [], failed: [], stopped: false };
  const gap = 1000 / ratePerSecond;
  const started = Date.now();
  let i = 0;
  try {
    for await (const entry of dlqRecords(t, dlq, { ids, limit, signal, onMissing: (id) => result.skipped.push({ id, reason: 'not in the dead-letter stream' }) })) {
      if (signal?.aborted) break;
      const letter = splitDeadLetter(entry);
      if (!letter.hasBody) {
        result.skipped.push({ id: letter.id, reason: 'no message: it was deleted from its stream before it was dead-lettered' });
        continue;
      }
      const target = to ?? letter.origin;
      if (!target) {
        result.skipped.push({ id: letter.id, reason: 'no recorded origin stream' });
        continue;
      }
      const wait = started + i++ * gap - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      let outcome: ReplayOutcome;
      try {
        outcome = await replayEntry(t.client, dlq, letter, target, { keep: keepInDlq });
      } catch (e) {
        if (!(e instanceof WrongTypeError)) throw e;
        result.failed.push({ id: letter.id, reason: `${e.message}; left in the dead-letter stream` });
        continue;
      }
      if ('newId' in outcome) result.replayed.push({ id: letter.id, origin: target, newId: outcome.newId });
      else result.skipped.push({ id: letter.id, reason: outcome.skipped });
    }
  } catch (e) {
    throw new ReplayInterruptedError(result, e instanceof QueueError ? e : toQueueError(e, { key: dlq, command: 'replay' }));
  }
  result.stopped = signal?.aborted === true;
  return result;
}
