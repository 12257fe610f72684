/** Dead-lettering pending entries and replaying dead letters (the atomic steps are in queue/stream/deadLetter.ts). */
import { BadInputError, WrongTypeError } from '../errors';
import { nextId } from '../ids';
import { type StreamEntry, parseEntries } from '../replies';
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
import { type OpTarget, assertWritable, call, checkIds } from './target';
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

export interface ReplayPlan {
  entries: DeadLetter[];
  /** Entries per origin stream. */
  byOrigin: Record<string, number>;
  /** Entries without a recorded origin (cannot be replayed without `to`). */
  withoutOrigin: string[];
  /** Records without a message (their entry was gone when they were dead-lettered): never replayed. */
  withoutBody: string[];
}

/** Reads up to `limit` DLQ entries (or the given ids) and groups them by origin: the dry run of a replay. */
export async function planReplay(t: OpTarget, dlq: string, { ids, limit = 10_000 }: { ids?: string[]; limit?: number } = {}): Promise<ReplayPlan> {
  let entries: StreamEntry[] = [];
  if (ids?.length) {
    checkIds(ids);
    const replies = await call(t, { key: dlq }, () => Promise.all(ids.map((id) => t.client.xrangeBuffer(dlq, id, id))));
    entries = replies.flatMap((r) => parseEntries(r));
  } else {
    let start = '-';
    while (entries.length < limit) {
      const page = parseEntries(await call(t, { key: dlq }, () => t.client.xrangeBuffer(dlq, start, '+', 'COUNT', Math.min(1000, limit - entries.length))));
      entries.push(...page);
      if (page.length < 1000) break;
      start = nextId(page[page.length - 1]!.id);
    }
  }
  const letters = entries.map(splitDeadLetter);
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
  /** Not replayed, nothing changed: not in the DLQ (any more), no origin, no message, stopped. */
  skipped: { id: string; reason: string }[];
  /** Not replayed because the target refused it (not a stream); nothing of these changed. */
  failed: { id: string; reason: string }[];
}

/**
 * Sends DLQ entries back to their recorded origin (or to `to`), each as its original message
 * followed by `x-replay-count` and `x-replay-of`, at most `ratePerSecond` per second. Each entry
 * moves atomically (queue/stream/deadLetter.ts replayEntry): written once and removed from the DLQ, even
 * with several replays at once; a target that is not a stream is reported per entry and nothing of
 * that entry changes. `signal` stops early.
 */
export async function replay(
  t: OpTarget,
  dlq: string,
  { ids, to, ratePerSecond = 100, limit = 10_000, keepInDlq = false, signal }: { ids?: string[]; to?: string; ratePerSecond?: number; limit?: number; keepInDlq?: boolean; signal?: AbortSignal } = {},
): Promise<ReplayResult> {
  assertWritable(t, 'replay');
  if (!(ratePerSecond > 0)) throw new BadInputError('The replay rate must be a positive number per second');
  if (to !== undefined && to === dlq) throw new BadInputError('Replay into the dead-letter stream itself is not possible');
  const plan = await planReplay(t, dlq, { ids, limit });
  const result: ReplayResult = { replayed: [], skipped: [], failed: [] };
  const found = new Set(plan.entries.map((e) => e.id));
  for (const id of ids ?? []) if (!found.has(id)) result.skipped.push({ id, reason: 'not in the dead-letter stream' });
  const gap = 1000 / ratePerSecond;
  const started = Date.now();
  for (const [i, letter] of plan.entries.entries()) {
    if (signal?.aborted) {
      result.skipped.push({ id: letter.id, reason: 'stopped' });
      continue;
    }
    const target = to ?? letter.origin;
    if (!target) {
      result.skipped.push({ id: letter.id, reason: 'no recorded origin stream' });
      continue;
    }
    const wait = started + i * gap - Date.now();
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
  return result;
}
