/**
 * The journey of one message: where a stream entry is now and what happened to it. In the stream
 * or gone (trimmed, deleted); for every consumer group, not yet delivered, pending (where, how
 * often, how long) or acknowledged; its copies in the dead-letter stream (with their error and
 * deliveries); its replays (original id → new id, following a chain of replays); and, when the
 * workers record events (their `events` option, queue/runtime/events.ts), the timeline of what happened to
 * it. For a list-queue job: which list holds it, its attempts and last error, and its events.
 *
 * Budget: a few point reads (XRANGE id id, XINFO STREAM, XINFO GROUPS, one XPENDING id id per
 * group), then bounded forward scans, one XRANGE page of at most a few hundred entries per call,
 * `maxCalls` calls in all, shared by the dead-letter, replay and events lookups. A lookup stopped
 * by the bound is reported (`complete: false` and a note), never walked further unasked.
 */
import type { RedisClient } from '../redis/connection';
import { BadInputError, isNoSuchKey, printable, redisErrorCode, toQueueError, WrongTypeError } from '../redis/errors';
import { compareIds, idForTime, idTime, nextId, parseId } from '../messages/ids';
import { type RawFields, nameIs, pairCount, text } from '../messages/message';
import { type GroupInfo, type StreamEntry, type StreamInfo, parseEntries } from '../redis/replies';
import { xinfoGroups, xinfoStream, xpendingOne } from '../redis/commands';
import { REPLAY_COUNT_FIELD, REPLAY_OF_FIELD, splitDeadLetter } from '../queue/stream/deadLetter';
import { type RecordedEvent, eventsKeyOf, parseEvent, readEvents } from '../queue/runtime/events';
import { journeyScan, scanStart } from './journeyScan';
import type { StreamPages } from '../messages/streamPages';
import { JOB_FIELDS, type ListQueueLayout, listQueueKeys } from '../queue/list/keys';
import { defaultDeadLetterStream } from '../queue/keys';
import { checkListQueueLayout, detectListQueueLayout } from '../queue/list/layout';

/** Where a message is: in the stream, trimmed away, deleted (XDEL), or gone in a way nobody can tell. */
export type MessageState = 'present' | 'trimmed' | 'deleted' | 'gone';

/** What one consumer group did with the message. */
export interface GroupStep {
  group: string;
  /**
   * `not-delivered`: after the group's last-delivered id. `pending`: delivered, not acknowledged.
   * `acknowledged`: at or before the last-delivered id and not pending (see `note`: Redis keeps no
   * record telling an acknowledged message from one the group started after).
   */
  state: 'not-delivered' | 'pending' | 'acknowledged';
  /** `pending`: the consumer holding it. */
  consumer?: string;
  /** `pending`: times delivered. */
  deliveries?: number;
  /** `pending`: ms since its last delivery. */
  idleMs?: number;
  lastDeliveredId: string;
  note?: string;
}

/** A copy of the message (or of one of its replays) in the dead-letter stream. */
export interface JourneyDeadLetter {
  dlq: string;
  /** The record's id in the dead-letter stream. */
  id: string;
  /** The id the dead-lettered message had in the stream (the message itself, or one of its replays). */
  originalId: string;
  error?: string;
  deliveries?: number;
  /** When it was dead-lettered (ms since the epoch). */
  at?: number;
  consumer?: string;
  group?: string;
  /** Times the message had been replayed before this dead-lettering. */
  replayCount: number;
}

/** One replay: the message (or a replay of it) written again to the stream. */
export interface JourneyReplay {
  /** The id replayed (the recorded `x-replay-of`). */
  from: string;
  /** The replay's id in the stream. */
  to: string;
  /** Its `x-replay-count`. */
  count?: number;
  /** Found in the stream (false: known only from a dead-letter record of it; it is gone from the stream). */
  present: boolean;
}

/** A recorded worker event (see queue/runtime/events.ts); `id` is the message (or replay, or job) it is about. */
export type JourneyEvent = RecordedEvent;

/** The journey of one stream message: a plain object, JSON-serialisable except `entry` (Buffers). */
export interface MessageJourney {
  kind: 'message';
  stream: string;
  id: string;
  /** The time the id encodes (ms since the epoch; NaN when it holds none). */
  time: number;
  state: MessageState;
  /** Why the state was told so, or what cannot be told. */
  stateNote?: string;
  /** The entry when present. */
  entry?: StreamEntry | null;
  groups: GroupStep[];
  /** The dead-letter stream looked in (null: none). */
  dlq: string | null;
  deadLetters: JourneyDeadLetter[];
  /** Replays of the message, and of its replays, in chain order (A → B, B → C). */
  replays: JourneyReplay[];
  /** When the message is itself a replay: the id it replays. */
  replayOf?: string;
  /** The events stream looked in (null: none). */
  eventsKey: string | null;
  /** Recorded events of the message and its replays, oldest first. */
  events: JourneyEvent[];
  /** False when a bound (or the signal) stopped a lookup; `notes` says which. */
  complete: boolean;
  notes: string[];
}

/** Options of {@link messageJourney}. */
export interface MessageJourneyOptions {
  /** Dead-letter stream. Default `<stream>:dlq`; null: none. */
  dlq?: string | null;
  /** Events stream. Default `<stream>:events`; null: none. */
  events?: string | null;
  signal?: AbortSignal;
  /** XRANGE pages spent looking for dead-letter copies, replays and events, in all. Default 50. */
  maxCalls?: number;
}

/** Default bound of the scans' XRANGE calls. */
export const DEFAULT_JOURNEY_CALLS = 50;
/** Entries per page of the stream and dead-letter scans (their entries carry messages). */
const MESSAGE_PAGE = 200;
/** Entries per page of the events scan (small entries). */
const EVENT_PAGE = 500;
/** Groups looked at, at most. */
const MAX_GROUPS = 200;

function checkCalls(n: number | undefined, fallback: number): number {
  const v = n ?? fallback;
  if (!Number.isSafeInteger(v) || v < 0) throw new BadInputError(`maxCalls must be a whole number ≥ 0 (got ${String(n)})`);
  return v;
}

/**
 * What a missing id's place in the stream tells (pure; exported for tests). `info` null: the
 * stream does not exist. Trimming only ever removes the oldest entries; XDEL any, and on Redis ≥
 * 7.0 `max-deleted-entry-id` records the highest id it removed (trimming does not move it).
 */
export function classifyMissing(id: string, info: StreamInfo | null): { state: Exclude<MessageState, 'present'>; note: string } {
  if (!info) return { state: 'gone', note: 'the stream does not exist (deleted, expired, or never created)' };
  if (compareIds(id, info.lastGeneratedId) > 0) return { state: 'gone', note: `no entry with this id was ever added: it is after the stream's last id ${info.lastGeneratedId}` };
  const maxDel = info.maxDeletedEntryId;
  const deletedUpTo = maxDel !== undefined && maxDel !== '0-0' && compareIds(maxDel, id) >= 0;
  if (info.firstEntryId && compareIds(id, info.firstEntryId) < 0) {
    return {
      state: 'trimmed',
      note: `older than the stream's first entry ${info.firstEntryId}${deletedUpTo ? ` (it may also have been deleted with XDEL before that: Redis recorded deletions up to ${maxDel})` : ''}`,
    };
  }
  if (!info.firstEntryId) {
    if (maxDel === undefined) return { state: 'gone', note: 'the stream is empty: trimmed or deleted (this server, before Redis 7.0, keeps no record of deletions)' };
    if (!deletedUpTo) return { state: 'trimmed', note: 'the stream is empty and nothing at or after this id was deleted with XDEL' };
    return { state: 'gone', note: `the stream is empty: trimmed or deleted (Redis recorded deletions up to ${maxDel})` };
  }
  // Within [first, last]: trimming never removes from the middle.
  if (maxDel === undefined) return { state: 'gone', note: 'within the stream\'s range but missing: deleted with XDEL, or never added (this server, before Redis 7.0, keeps no record of deletions)' };
  if (deletedUpTo) return { state: 'deleted', note: `within the stream's range but missing, and Redis recorded deletions up to ${maxDel}: deleted with XDEL (unless it was never added)` };
  return { state: 'gone', note: `no entry with this id was added: it is within the stream's range and nothing at or after it was deleted (deletions recorded up to ${maxDel ?? '0-0'})` };
}

/** The trailing `x-replay-count N, x-replay-of ID` of a replayed message, if it ends so. */
function replayTail(raw: RawFields | null): { count: number; of: string } | undefined {
  if (!raw) return undefined;
  const n = pairCount(raw);
  if (n < 2 || !nameIs(raw, n - 2, REPLAY_COUNT_FIELD) || !nameIs(raw, n - 1, REPLAY_OF_FIELD)) return undefined;
  const count = Number(text(raw[2 * (n - 2) + 1]));
  const of = text(raw[2 * (n - 1) + 1]);
  return Number.isInteger(count) && count > 0 && of ? { count, of } : undefined;
}


function streamError(e: unknown, key: string, group?: string): Error {
  if (redisErrorCode(e) === 'WRONGTYPE') return new WrongTypeError(key, 'stream');
  return toQueueError(e, { key, group, expected: 'stream' });
}

/**
 * The journey of message `id` of `stream` (see the module's description). Throws BadIdError for an
 * id that is not `<ms>-<seq>`, BadInputError for an empty stream name, WrongTypeError when
 * `stream` is not a stream; a dead-letter or events key of another type is noted, not thrown.
 * Works on a Cluster (each key on its node).
 */
export async function messageJourney(client: RedisClient, stream: string, id: string, options: MessageJourneyOptions = {}): Promise<MessageJourney> {
  if (typeof stream !== 'string' || stream.length === 0) throw new BadInputError('A stream name is required');
  parseId(id, { allowMsOnly: false });
  id = id.trim();
  const dlq = options.dlq === undefined ? defaultDeadLetterStream(stream) : options.dlq;
  const eventsKey = options.events === undefined ? eventsKeyOf(stream) : options.events;
  if (dlq === stream) throw new BadInputError('The dead-letter stream must differ from the stream');
  let budget = checkCalls(options.maxCalls, DEFAULT_JOURNEY_CALLS);
  const signal = options.signal;
  const time = idTime(id);
  const notes: string[] = [];

  // 1. The entry, the stream and its groups (one round trip).
  const [entryReply, infoReply, groupsReply] = await Promise.all([
    client.xrangeBuffer(stream, id, id).catch((e: unknown) => Promise.reject(streamError(e, stream))),
    xinfoStream(client, stream).catch((e: unknown) => (isNoSuchKey(e) ? null : Promise.reject(streamError(e, stream)))),
    xinfoGroups(client, stream).catch((e: unknown) => (isNoSuchKey(e) ? null : Promise.reject(streamError(e, stream)))),
  ]);
  const entry = parseEntries(entryReply)[0] ?? null;
  const info = infoReply;
  let state: MessageState;
  let stateNote: string | undefined;
  if (entry) state = 'present';
  else ({ state, note: stateNote } = classifyMissing(id, info));
  const ownTail = replayTail(entry?.raw ?? null);
  let replayOf = ownTail?.of;

  // 2. Per group: one XPENDING <id> <id> 1 each (sent together).
  let groupInfos: GroupInfo[] = groupsReply ?? [];
  const groupsCut = groupInfos.length > MAX_GROUPS;
  if (groupsCut) {
    notes.push(`groups: only the first ${MAX_GROUPS} of ${groupInfos.length} groups were looked at`);
    groupInfos = groupInfos.slice(0, MAX_GROUPS);
  }
  const pendings = await Promise.all(
    groupInfos.map((g) =>
      xpendingOne(client, stream, g.name, id).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))),
    ),
  );

  // 3. Bounded forward scans, one page each per round, sharing the budget.
  interface Lookup {
    what: string;
    scan: StreamPages;
    from: string;
    take(page: StreamEntry[]): void;
  }
  // Dead letters and events are found by reference, from before min(id time, now) (journeyScan.ts).
  const [dlqStart, eventsStart] = await Promise.all([dlq ? scanStart(client, dlq, time) : '-', eventsKey ? scanStart(client, eventsKey, time) : '-']);
  /** Replay links: replayed id → its replays. */
  const links = new Map<string, JourneyReplay[]>();
  const link = (r: JourneyReplay) => {
    const list = links.get(r.from) ?? [];
    const same = list.find((x) => x.to === r.to);
    if (same) {
      same.present ||= r.present;
      same.count ??= r.count;
    } else list.push(r);
    links.set(r.from, list);
  };
  const letters: JourneyDeadLetter[] = [];
  /** Replays known from dead-letter records: the id (a replay) → the id it replays. */
  const recordedReplayOf = new Map<string, string>();
  const events: RecordedEvent[] = [];
  const lookups: Lookup[] = [];
  if (info) {
    let after: string | undefined;
    try {
      after = nextId(id);
    } catch {
      after = undefined;
    }
    // Replays get ids of the server's time: for an id ahead of the clock, they come before it.
    if (after && Number.isFinite(time) && time > Date.now()) after = await scanStart(client, stream, time);
    if (after) {
      lookups.push({
        what: 'replays',
        from: after,
        scan: journeyScan(client, stream, after, MESSAGE_PAGE),
        take(page) {
          for (const e of page) {
            const t = replayTail(e.raw);
            if (t) link({ from: t.of, to: e.id, count: t.count, present: true });
          }
        },
      });
    }
  }
  if (dlq) {
    lookups.push({
      what: `dead letters in ${dlq}`,
      from: dlqStart,
      scan: journeyScan(client, dlq, dlqStart, MESSAGE_PAGE),
      take(page) {
        for (const e of page) {
          const l = splitDeadLetter(e);
          if (!l.originalId || (l.origin !== undefined && l.origin !== stream)) continue;
          letters.push({ dlq, id: l.id, originalId: l.originalId, error: l.error, deliveries: l.deliveries, at: l.at, consumer: l.consumer, group: l.group, replayCount: l.replayCount });
          if (l.replayOf) {
            link({ from: l.replayOf, to: l.originalId, count: l.replayCount, present: false });
            recordedReplayOf.set(l.originalId, l.replayOf);
          }
        }
      },
    });
  }
  if (eventsKey) {
    lookups.push({
      what: `events in ${eventsKey}`,
      from: eventsStart,
      scan: journeyScan(client, eventsKey, eventsStart, EVENT_PAGE),
      take(page) {
        for (const e of page) {
          const ev = parseEvent(e);
          if (ev) events.push(ev);
        }
      },
    });
  }
  let stopped = false;
  let active = lookups.slice();
  while (active.length && budget > 0) {
    if (signal?.aborted) {
      stopped = true;
      break;
    }
    const round = active.slice(0, budget);
    budget -= round.length;
    const pages = await Promise.all(
      round.map((l) =>
        l.scan.nextEntries().catch((e: unknown) => {
          if (!(e instanceof WrongTypeError) || l.what === 'replays') throw e;
          notes.push(`${l.what.split(' in ')[0]}: not looked for, ${printable(l.scan.key)} is not a stream`);
          l.scan.done = true;
          return [] as StreamEntry[];
        }),
      ),
    );
    round.forEach((l, i) => l.take(pages[i]!));
    active = lookups.filter((l) => !l.scan.done);
  }
  for (const l of active) {
    notes.push(
      `${l.what}: ${stopped ? 'stopped' : 'the call bound was reached'}: searched ${l.scan.read} records from ${l.from === '-' ? 'the start' : l.from}${l.scan.last ? ` up to ${l.scan.last}` : ''}; later ones were not searched, so what is not listed may still be there${stopped ? '' : ' (raise maxCalls)'}`,
    );
  }

  // 4. The chain of replays from the message, and what belongs to it.
  const chain = new Set<string>([id]);
  const replays: JourneyReplay[] = [];
  for (const queue = [id]; queue.length; ) {
    const from = queue.shift()!;
    for (const r of (links.get(from) ?? []).sort((a, b) => compareIds(a.to, b.to))) {
      if (chain.has(r.to)) continue;
      chain.add(r.to);
      replays.push(r);
      queue.push(r.to);
    }
  }
  if (!replayOf && !entry) replayOf = recordedReplayOf.get(id);
  const deadLetters = letters.filter((l) => chain.has(l.originalId)).sort((a, b) => compareIds(a.id, b.id));
  const timeline = events.filter((e) => chain.has(e.id)).sort((a, b) => compareIds(a.eventId, b.eventId));

  const groups: GroupStep[] = groupInfos.map((g, i) => {
    const p = pendings[i];
    const step: GroupStep = { group: g.name, state: 'acknowledged', lastDeliveredId: g.lastDeliveredId };
    if (p instanceof Error) {
      step.state = compareIds(id, g.lastDeliveredId) > 0 ? 'not-delivered' : 'acknowledged';
      step.note = `its pending entries could not be read (${printable(p.message, 120)})`;
      return step;
    }
    if (p) {
      Object.assign(step, { state: 'pending', consumer: p.consumer, deliveries: p.deliveries, idleMs: p.idle });
      if (state !== 'present') step.note = 'its message is gone from the stream: a worker can only acknowledge it';
      return step;
    }
    if (compareIds(id, g.lastDeliveredId) > 0) {
      step.state = 'not-delivered';
      if (state !== 'present') step.note = 'never to be delivered: its message is gone';
      return step;
    }
    const letter = deadLetters.find((l) => l.originalId === id && l.group === g.name);
    const acked = timeline.find((e) => e.id === id && e.type === 'acked' && e.group === g.name);
    if (letter) step.note = `acknowledged when dead-lettered to ${letter.dlq} as ${letter.id}`;
    else if (!acked) {
      step.note =
        state === 'present'
          ? 'acknowledged, or the group started after it (Redis keeps no record of which)'
          : 'acknowledged, or passed over (the group started after it, or it was gone before the group read it)';
    }
    return step;
  });

  return {
    kind: 'message',
    stream,
    id,
    time,
    state,
    ...(stateNote ? { stateNote } : {}),
    entry,
    groups,
    dlq,
    deadLetters,
    replays,
    ...(replayOf ? { replayOf } : {}),
    eventsKey,
    events: timeline,
    complete: active.length === 0 && !groupsCut,
    notes,
  };
}

// ---- list-queue jobs ----

/** Which list holds a job. */
export type JobState = 'waiting' | 'processing' | 'dead' | 'none';

/** The journey of one list-queue job: a plain, JSON-serialisable object. */
export interface JobJourney {
  kind: 'job';
  queue: string;
  id: string;
  /** The layout used (given, or detected). */
  layout: ListQueueLayout;
  keys: { waiting: string; processing: string; dead: string; job: string };
  state: JobState;
  /** The key of the list holding it (state ≠ none). */
  list?: string;
  /** Its index in that list from the head (LPOS). */
  index?: number;
  /** Length of that list. */
  listLength?: number;
  /** `waiting`: jobs that will be taken before it (workers take from the tail). */
  ahead?: number;
  /** Its hash exists (deleted when the job is acknowledged). */
  hash: boolean;
  attempts?: number;
  lastError?: string;
  /** ms since the epoch (server time). */
  createdAt?: number;
  deadAt?: number;
  /** `processing`: when the worker took it (its started-at stamp). */
  startedAt?: number;
  /** The events stream looked in (null: none). */
  eventsKey: string | null;
  events: JourneyEvent[];
  complete: boolean;
  notes: string[];
}

/** Options of {@link jobJourney}. */
export interface JobJourneyOptions {
  /** Ids compared per LPOS, from each end of each list. Default 10,000. */
  maxScan?: number;
  /** Events stream. Default `<queue>:events`; null: none. */
  events?: string | null;
  /** XRANGE pages of the events stream read at most. Default 20. */
  maxCalls?: number;
  signal?: AbortSignal;
}

function num(v: unknown): number | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  const n = Number(Buffer.isBuffer(v) ? v.toString() : String(v));
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The journey of job `jobId` of list queue `queue`: which list holds it (LPOS from both ends of
 * each list, at most `maxScan` ids compared per end: a job further inside a longer list is
 * reported as not found there, with a note), its hash's bookkeeping (attempts, last error, times)
 * and its recorded events. `layout` default: detected (a few ids and EXISTS).
 */
export async function jobJourney(client: RedisClient, queue: string, jobId: string, layout?: ListQueueLayout, options: JobJourneyOptions = {}): Promise<JobJourney> {
  if (typeof queue !== 'string' || queue.length === 0) throw new BadInputError('A queue name is required');
  if (typeof jobId !== 'string' || jobId.length === 0) throw new BadInputError('A job id is required');
  const maxScan = options.maxScan ?? 10_000;
  if (!Number.isSafeInteger(maxScan) || maxScan < 1) throw new BadInputError(`maxScan must be a whole number ≥ 1 (got ${String(options.maxScan)})`);
  const l = layout ? checkListQueueLayout(queue, layout) : await detectListQueueLayout(client, queue);
  const k = listQueueKeys(queue, l);
  const jobKey = k.job(jobId);
  const eventsKey = options.events === undefined ? eventsKeyOf(queue) : options.events;
  const notes: string[] = [];
  const listErr = (key: string) => (e: unknown) => Promise.reject(toQueueError(e, { key, expected: 'list' }));
  const lpos = (key: string, rank: number) => (client.call('LPOS', key, jobId, 'RANK', rank, 'MAXLEN', maxScan) as Promise<unknown>).then(num, listErr(key));
  const lists = [
    ['processing', k.processing],
    ['waiting', k.waiting],
    ['dead', k.dead],
  ] as const;
  const [found, lengths, fields, exists, started] = await Promise.all([
    Promise.all(lists.map(([, key]) => Promise.all([lpos(key, 1), lpos(key, -1)]))),
    Promise.all(lists.map(([, key]) => client.llen(key).catch(listErr(key)))),
    client.hmget(jobKey, JOB_FIELDS.attempts, JOB_FIELDS.createdAt, JOB_FIELDS.lastError, JOB_FIELDS.deadAt).catch((e: unknown) => Promise.reject(toQueueError(e, { key: jobKey, expected: 'hash' }))),
    client.exists(jobKey),
    k.stamps ? client.zscore(k.started, jobId).catch(() => null) : Promise.resolve(null),
  ]);
  const holders: { state: Exclude<JobState, 'none'>; key: string; index: number; length: number }[] = [];
  lists.forEach(([name, key], i) => {
    const [head, tail] = found[i]!;
    const length = Number(lengths[i]);
    const index = head ?? tail;
    if (index !== undefined) holders.push({ state: name, key, index, length });
    else if (length > 2 * maxScan) notes.push(`${name}: not found among the first and the last ${maxScan} of the ${length} ids of ${printable(key)}`);
  });
  const j: JobJourney = {
    kind: 'job',
    queue,
    id: jobId,
    layout: l,
    keys: { waiting: k.waiting, processing: k.processing, dead: k.dead, job: jobKey },
    state: 'none',
    hash: Number(exists) > 0,
    eventsKey,
    events: [],
    complete: true,
    notes,
  };
  const h = holders[0];
  if (h) {
    Object.assign(j, { state: h.state, list: h.key, index: h.index, listLength: h.length });
    if (h.state === 'waiting') j.ahead = Math.max(0, h.length - 1 - h.index);
    if (holders.length > 1) notes.push(`it is in more than one list: ${holders.map((x) => x.state).join(', ')}`);
  }
  const [attempts, createdAt, lastError, deadAt] = fields as (string | null)[];
  if (num(attempts) !== undefined) j.attempts = num(attempts);
  if (num(createdAt) !== undefined) j.createdAt = num(createdAt);
  if (lastError !== null && lastError !== undefined && lastError !== '') j.lastError = lastError;
  if (num(deadAt) !== undefined) j.deadAt = num(deadAt);
  if (h?.state === 'processing' && num(started) !== undefined) j.startedAt = num(started);
  if (eventsKey) {
    try {
      const r = await readEvents(client, eventsKey, jobId, { from: j.createdAt !== undefined ? idForTime(j.createdAt) : '-', maxCalls: checkCalls(options.maxCalls, 20) || 1, signal: options.signal });
      j.events = r.events;
      if (!r.complete) {
        j.complete = false;
        notes.push(`events: ${options.signal?.aborted ? 'stopped' : 'the call bound was reached'} after ${r.read} events of ${printable(eventsKey)}; later ones were not searched`);
      }
    } catch (e) {
      if (!(e instanceof WrongTypeError)) throw e;
      notes.push(`events: not looked for, ${printable(eventsKey)} is not a stream`);
    }
  }
  if (notes.some((n) => /^(processing|waiting|dead): not found among/.test(n))) j.complete = false;
  return j;
}
