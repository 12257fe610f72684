/**
 * Operations on queues: ack, claim, auto-claim with a preview, dead-letter, replay from a DLQ,
 * group and consumer admin, trim with a preview of what pending entries it would cut, list-queue
 * repairs. Every write checks the connection's read-only flag before anything is sent, validates
 * ids first, and reports what was done (and what was skipped and why).
 */
import { type RedisClient } from './connection';
import { fromJsonPairs } from './message';
import { serverCapabilities } from './server';
import { xinfoGroups, xpendingOne, xpendingRange } from './commands';
import { BadInputError, NoGroupError, ReadOnlyError, WrongTypeError, toQueueError } from './errors';
import { compareIds, nextId, parseId, previousId } from './ids';
import { type PendingEntry, type StreamEntry, parseAutoClaim, parseEntries, parseRead } from './replies';
import { JOB_FIELDS, type ListQueueLayout, listQueueKeys } from './queue/list/keys';
import { checkListQueueLayout } from './queue/list/layout';
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
} from './queue/stream/deadLetter';
import { runScript } from './queue/lua';
import { LIST_DELETE_JOB, LIST_REQUEUE, LIST_RETRY_DEAD, LIST_SCRIPT_BATCH } from './queue/list/admin';

/** Where an operation runs. `readOnly` connections refuse writes before sending anything. */
export interface OpTarget {
  client: RedisClient;
  readOnly?: boolean;
  /** Connection name, for messages. */
  name?: string;
}

export function assertWritable(t: OpTarget, action: string): void {
  if (t.readOnly) throw new ReadOnlyError(t.name ?? 'this connection', action);
}

function checkIds(ids: string[]): void {
  if (!ids.length) throw new BadInputError('No entry ids given');
  for (const id of ids) parseId(id, { allowMsOnly: false });
}

function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

async function call<T>(_t: OpTarget, ctx: { key?: string; group?: string; command?: string }, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toQueueError(e, ctx);
  }
}

/** Pending records of specific ids (one XPENDING per id, pipelined). Missing ones are absent from the map. */
export async function pendingOf(t: OpTarget, stream: string, group: string, ids: string[]): Promise<Map<string, PendingEntry>> {
  const out = new Map<string, PendingEntry>();
  const found = await call(t, { key: stream, group, command: 'XPENDING' }, () => Promise.all(ids.map((id) => xpendingOne(t.client, stream, group, id))));
  for (const e of found) if (e) out.set(e.id, e);
  return out;
}

export interface AckResult {
  acked: number;
  /** Ids that were not pending in the group (already acked, or never delivered). */
  notPending: string[];
}

/** XACK the given ids (in chunks of 1000). */
export async function ack(t: OpTarget, stream: string, group: string, ids: string[]): Promise<AckResult> {
  assertWritable(t, 'XACK');
  checkIds(ids);
  const before = await pendingOf(t, stream, group, ids);
  let acked = 0;
  for (const c of chunks(ids, 1000)) acked += Number(await call(t, { key: stream, group, command: 'XACK' }, () => t.client.xack(stream, group, ...c)));
  return { acked, notPending: ids.filter((id) => !before.has(id)) };
}

/**
 * A group's PEL (or one consumer's part of it), oldest first, `pageSize` entries per XPENDING call,
 * up to id `end`, only entries idle at least `minIdleMs`. Each call is bounded; pages continue after
 * the last id seen (no "(" ranges, so it works before Redis 6.2).
 */
export async function* pendingPages(
  t: OpTarget,
  stream: string,
  group: string,
  { consumer, minIdleMs = 0, end = '+', pageSize = 1000 }: { consumer?: string; minIdleMs?: number; end?: string; pageSize?: number } = {},
): AsyncGenerator<PendingEntry[]> {
  let start = '-';
  for (;;) {
    const page = await call(t, { key: stream, group, command: 'XPENDING' }, () => xpendingRange(t.client, stream, group, { start, end, count: pageSize, consumer, minIdleMs }));
    if (page.length) yield page;
    if (page.length < pageSize) return;
    start = nextId(page[page.length - 1]!.id);
  }
}

/** How many entries of a group's PEL (or one consumer's) are idle at least `minIdleMs`, counting at most to `limit`. */
export async function countPending(
  t: OpTarget,
  stream: string,
  group: string,
  { consumer, minIdleMs = 0, limit = 100_000 }: { consumer?: string; minIdleMs?: number; limit?: number } = {},
): Promise<number> {
  let n = 0;
  for await (const page of pendingPages(t, stream, group, { consumer, minIdleMs, pageSize: 10_000 })) {
    n += page.length;
    if (n >= limit) break;
  }
  return n;
}

/**
 * Acks every pending entry of a group (or of one consumer) idle at least `minIdleMs`, walking the
 * PEL in pages. Bounded by `maxEntries` (default 100 000).
 */
export async function ackMatching(
  t: OpTarget,
  stream: string,
  group: string,
  { consumer, minIdleMs = 0, maxEntries = 100_000 }: { consumer?: string; minIdleMs?: number; maxEntries?: number } = {},
): Promise<{ acked: number }> {
  assertWritable(t, 'XACK');
  let acked = 0;
  let taken = 0;
  for await (const page of pendingPages(t, stream, group, { consumer, minIdleMs })) {
    const ids = page.slice(0, maxEntries - taken).map((e) => e.id);
    taken += ids.length;
    acked += Number(await call(t, { key: stream, group, command: 'XACK' }, () => t.client.xack(stream, group, ...ids)));
    if (taken >= maxEntries) break;
  }
  return { acked };
}

export interface ClaimResult {
  claimed: string[];
  /** Not claimed: active again (idle below min-idle), no longer pending, or deleted. */
  skipped: { id: string; reason: string }[];
}

/** XCLAIM ids to `consumer` if idle at least `minIdleMs`. Reports which were skipped and why. */
export async function claim(t: OpTarget, stream: string, group: string, consumer: string, ids: string[], { minIdleMs = 0 }: { minIdleMs?: number } = {}): Promise<ClaimResult> {
  assertWritable(t, 'XCLAIM');
  checkIds(ids);
  if (!consumer) throw new BadInputError('A consumer name is required');
  const before = await pendingOf(t, stream, group, ids);
  const claimed: string[] = [];
  for (const c of chunks(ids, 500)) {
    const raw = (await call(t, { key: stream, group, command: 'XCLAIM' }, () => t.client.call('XCLAIM', stream, group, consumer, Math.max(0, Math.floor(minIdleMs)), ...c, 'JUSTID'))) as unknown[];
    claimed.push(...raw.map(String));
  }
  const got = new Set(claimed);
  const missed = ids.filter((id) => !got.has(id));
  // Why each pending one was not claimed, from its PEL record now: another consumer may have
  // claimed it between the first read and the XCLAIM (a lost race), its owner may have read it
  // again, or it may be gone (acked meanwhile, or its entry deleted).
  const wasPending = missed.filter((id) => before.has(id));
  const now = wasPending.length ? await pendingOf(t, stream, group, wasPending) : new Map<string, PendingEntry>();
  const vanished = wasPending.filter((id) => !now.has(id));
  const gone = new Set(vanished.length ? await missingEntries(t, stream, vanished) : []);
  const skipped = missed.map((id) => {
    const p = before.get(id);
    if (!p) return { id, reason: 'not pending in the group' };
    const n = now.get(id);
    if (!n) return { id, reason: gone.has(id) ? 'deleted or trimmed from the stream' : 'no longer pending (acked meanwhile)' };
    if (n.consumer !== p.consumer && n.consumer !== consumer) return { id, reason: `claimed by another consumer (${n.consumer})` };
    if (n.consumer !== p.consumer) return { id, reason: `claimed meanwhile by another client for ${consumer}` };
    const idle = n.idle < minIdleMs ? n.idle : p.idle;
    if (idle < minIdleMs) return { id, reason: `active again (idle ${idle} ms < ${minIdleMs} ms)` };
    return { id, reason: 'deleted or trimmed from the stream' };
  });
  return { claimed, skipped };
}

/** What an auto-claim sweep would move: pending entries idle at least `minIdleMs`, oldest first. */
export async function autoClaimPreview(t: OpTarget, stream: string, group: string, { minIdleMs, count = 100 }: { minIdleMs: number; count?: number }): Promise<PendingEntry[]> {
  return call(t, { key: stream, group, command: 'XPENDING' }, () => xpendingRange(t.client, stream, group, { count, minIdleMs: Math.max(0, minIdleMs) }));
}

export interface AutoClaimSweep {
  claimed: string[];
  /** Ids that were pending but whose entries were deleted or trimmed (Redis ≥ 7 removes them from the PEL). */
  deleted: string[];
}

/**
 * Sweeps the PEL with XAUTOCLAIM (JUSTID), moving up to `maxEntries` entries idle at least
 * `minIdleMs` to `consumer`. On servers without XAUTOCLAIM (< 6.2), XPENDING IDLE + XCLAIM.
 */
export async function autoClaim(
  t: OpTarget,
  stream: string,
  group: string,
  consumer: string,
  { minIdleMs, maxEntries = 1000, supportsAutoClaim = true }: { minIdleMs: number; maxEntries?: number; supportsAutoClaim?: boolean },
): Promise<AutoClaimSweep> {
  assertWritable(t, 'XAUTOCLAIM');
  const claimed: string[] = [];
  const deleted: string[] = [];
  if (!supportsAutoClaim) {
    const preview = await autoClaimPreview(t, stream, group, { minIdleMs, count: maxEntries });
    if (preview.length) {
      const r = await claim(t, stream, group, consumer, preview.map((p) => p.id), { minIdleMs });
      claimed.push(...r.claimed);
      deleted.push(...r.skipped.filter((s) => s.reason.startsWith('deleted')).map((s) => s.id));
    }
    return { claimed, deleted };
  }
  let cursor = '0-0';
  let rounds = 0;
  do {
    const count = Math.min(100, maxEntries - claimed.length);
    if (count <= 0) break;
    const raw = await call(t, { key: stream, group, command: 'XAUTOCLAIM' }, () =>
      t.client.call('XAUTOCLAIM', stream, group, consumer, Math.max(0, Math.floor(minIdleMs)), cursor, 'COUNT', count, 'JUSTID'),
    );
    const r = parseAutoClaim(raw);
    claimed.push(...r.entries.map((e) => e.id));
    deleted.push(...r.deletedIds);
    cursor = r.nextId;
  } while (cursor !== '0-0' && ++rounds < 10_000);
  const caps = await call(t, { command: 'INFO' }, () => serverCapabilities(t.client));
  if (!caps.autoClaimDeleted && claimed.length) {
    // Before 7.0, XAUTOCLAIM … JUSTID hands over entries whose message was deleted as if they were
    // claimed, and leaves them in the PEL: find them, report them and ack them, as 7.0 drops them.
    const gone = await missingEntries(t, stream, claimed);
    if (gone.length) {
      for (const c of chunks(gone, 1000)) await call(t, { key: stream, group, command: 'XACK' }, () => t.client.xack(stream, group, ...c));
      const set = new Set(gone);
      return { claimed: claimed.filter((id) => !set.has(id)), deleted: [...deleted, ...gone] };
    }
  }
  return { claimed, deleted };
}

/**
 * Which of `ids` are no longer in the stream (one XRANGE per id, pipelined); throws a QueueError
 * if any read fails. The stream worker has its own copy (StreamWorker.ackMissing), which tolerates
 * a failed read per id and feeds its batched acks.
 */
async function missingEntries(t: OpTarget, stream: string, ids: string[]): Promise<string[]> {
  const replies = await call(t, { key: stream, command: 'XRANGE' }, () => Promise.all(ids.map((id) => t.client.xrangeBuffer(stream, id, id))));
  return ids.filter((_, i) => !(replies[i] as unknown[]).length);
}

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

// ---- groups and consumers ----

/** XGROUP CREATE (MKSTREAM by default). `from`: `$` (new entries only), `0` (everything) or an id. */
export async function createGroup(t: OpTarget, stream: string, group: string, { from = '$', mkstream = true }: { from?: string; mkstream?: boolean } = {}): Promise<void> {
  assertWritable(t, 'XGROUP CREATE');
  if (!group) throw new BadInputError('A group name is required');
  if (from !== '$') parseId(from);
  const args: string[] = ['CREATE', stream, group, from];
  if (mkstream) args.push('MKSTREAM');
  await call(t, { key: stream, group, command: 'XGROUP' }, () => t.client.call('XGROUP', ...args));
}

/** XGROUP SETID: where the group reads next (`$`, `0` or an id). */
export async function setGroupId(t: OpTarget, stream: string, group: string, id: string): Promise<void> {
  assertWritable(t, 'XGROUP SETID');
  if (id !== '$') parseId(id);
  await call(t, { key: stream, group, command: 'XGROUP' }, () => t.client.call('XGROUP', 'SETID', stream, group, id));
}

/** XGROUP DESTROY; returns how many pending entries the group held (now forgotten). */
export async function destroyGroup(t: OpTarget, stream: string, group: string): Promise<{ destroyed: boolean; pendingLost: number }> {
  assertWritable(t, 'XGROUP DESTROY');
  const groups = await call(t, { key: stream, command: 'XINFO' }, () => xinfoGroups(t.client, stream));
  const g = groups.find((x) => x.name === group);
  if (!g) throw new NoGroupError(stream, group);
  const n = Number(await call(t, { key: stream, group, command: 'XGROUP' }, () => t.client.call('XGROUP', 'DESTROY', stream, group)));
  return { destroyed: n === 1, pendingLost: g.pending };
}

/**
 * XGROUP DELCONSUMER. Refused while the consumer holds pending entries (they would be forgotten),
 * unless `force`, or `claimTo` names a consumer that takes them over first.
 */
export async function deleteConsumer(
  t: OpTarget,
  stream: string,
  group: string,
  consumer: string,
  { force = false, claimTo }: { force?: boolean; claimTo?: string } = {},
): Promise<{ deleted: boolean; pendingLost: number; claimed: number }> {
  assertWritable(t, 'XGROUP DELCONSUMER');
  let claimed = 0;
  if (claimTo) {
    if (claimTo === consumer) throw new BadInputError('Claim to another consumer than the one being deleted');
    for (;;) {
      const page = await call(t, { key: stream, group }, () => xpendingRange(t.client, stream, group, { count: 500, consumer }));
      if (!page.length) break;
      const r = await claim(t, stream, group, claimTo, page.map((p) => p.id));
      claimed += r.claimed.length;
      if (!r.claimed.length) break;
    }
  }
  const holding = (await call(t, { key: stream, group }, () => xpendingRange(t.client, stream, group, { count: 1, consumer }))).length;
  if (holding && !force) {
    throw new BadInputError(`Consumer "${consumer}" still holds pending entries: claim them to another consumer first, or force the deletion (they would be forgotten by the group)`);
  }
  const lost = Number(await call(t, { key: stream, group, command: 'XGROUP' }, () => t.client.call('XGROUP', 'DELCONSUMER', stream, group, consumer)));
  return { deleted: true, pendingLost: lost, claimed };
}

/** XDEL ids; returns how many existed. */
export async function deleteEntries(t: OpTarget, stream: string, ids: string[]): Promise<number> {
  assertWritable(t, 'XDEL');
  checkIds(ids);
  let n = 0;
  for (const c of chunks(ids, 1000)) n += Number(await call(t, { key: stream, command: 'XDEL' }, () => t.client.xdel(stream, ...c)));
  return n;
}

// ---- trimming ----

export type TrimSpec = { maxlen: number; minid?: undefined } | { minid: string; maxlen?: undefined };

export interface TrimPreview {
  /** Entries the trim removes (exact trimming; approximate `~` may remove fewer). */
  removed: number;
  /** First id kept after the trim (null when the stream would be empty). */
  firstKeptId: string | null;
  /** Per group: pending entries whose bodies would be trimmed away (they stay in the PEL with nil bodies). */
  pendingAffected: { group: string; count: number; capped: boolean }[];
}

/** What an exact trim would do, without doing it. Reads are bounded (at most ~`cap` ids walked). */
export async function trimPreview(t: OpTarget, stream: string, spec: TrimSpec, { cap = 100_000 }: { cap?: number } = {}): Promise<TrimPreview> {
  const len = Number(await call(t, { key: stream, command: 'XLEN' }, () => t.client.xlen(stream)));
  let cutoff: string | null; // first kept id
  let removed: number;
  if (spec.maxlen !== undefined) {
    if (!(spec.maxlen >= 0) || !Number.isInteger(spec.maxlen)) throw new BadInputError('MAXLEN must be a whole number ≥ 0');
    removed = Math.max(0, len - spec.maxlen);
    if (removed === 0) cutoff = null;
    else if (spec.maxlen === 0) cutoff = null;
    else {
      const kept = await call(t, { key: stream }, () => t.client.xrevrange(stream, '+', '-', 'COUNT', spec.maxlen));
      cutoff = kept[kept.length - 1]?.[0] ?? null;
    }
    if (removed === 0) return { removed: 0, firstKeptId: null, pendingAffected: [] };
  } else {
    parseId(spec.minid);
    cutoff = spec.minid;
    removed = 0;
    let start = '-';
    const end = previousIdOrNull(spec.minid);
    while (end && removed < cap) {
      const page = await call(t, { key: stream }, () => t.client.call('XRANGE', stream, start, end, 'COUNT', 1000)) as [string, unknown][];
      removed += page.length;
      if (page.length < 1000) break;
      start = `(${page[page.length - 1]![0]}`;
    }
  }
  const groups = await call(t, { key: stream, command: 'XINFO' }, () => xinfoGroups(t.client, stream));
  const end = cutoff ? previousIdOrNull(cutoff) : '+';
  const pendingAffected = await Promise.all(
    groups.filter((g) => g.pending > 0).map(async (g) => {
      let count = 0;
      let capped = false;
      if (end) {
        for await (const page of pendingPages(t, stream, g.name, { end })) {
          count += page.length;
          if (count >= cap && page.length === 1000) {
            capped = true;
            break;
          }
        }
      }
      return { group: g.name, count, capped };
    }),
  );
  return { removed, firstKeptId: cutoff, pendingAffected: pendingAffected.filter((p) => p.count > 0) };
}

function previousIdOrNull(id: string): string | null {
  try {
    return previousId(id);
  } catch {
    return null;
  }
}

/** XTRIM by MAXLEN or MINID (`~` approximate unless `exact`). Returns entries removed. */
export async function trim(t: OpTarget, stream: string, spec: TrimSpec, { exact = true }: { exact?: boolean } = {}): Promise<number> {
  assertWritable(t, 'XTRIM');
  const args: (string | number)[] = spec.maxlen !== undefined ? ['MAXLEN', exact ? '=' : '~', spec.maxlen] : ['MINID', exact ? '=' : '~', spec.minid];
  if (spec.minid !== undefined) parseId(spec.minid);
  return Number(await call(t, { key: stream, command: 'XTRIM' }, () => t.client.call('XTRIM', [stream, ...args])));
}

// ---- list queues ----

/**
 * Moves jobs from processing back to waiting (all of them, the given ids, or those running longer
 * than `olderThanMs` by their started-at stamp). Returns the ids moved.
 * Each id moves atomically (LIST_REQUEUE, up to LIST_SCRIPT_BATCH ids per call): a client that
 * dies midway leaves every id in processing or in waiting, never in neither. An id no longer in
 * processing (acked or requeued meanwhile) is skipped. The age check runs in the script, on the
 * server's clock, at the moment the id moves.
 * `layout`: where the queue keeps its keys (default: this project's layout; see
 * `detectListQueueLayout`). A layout without started-at stamps (`started: null`) knows no ages:
 * `olderThanMs` is then refused (BadInputError); requeue by id or all.
 */
export async function requeueProcessing(
  t: OpTarget,
  queue: string,
  { ids, olderThanMs, layout }: { ids?: string[]; olderThanMs?: number; layout?: ListQueueLayout } = {},
): Promise<string[]> {
  assertWritable(t, 'requeue');
  const k = listQueueKeys(queue, checkListQueueLayout(queue, layout));
  if (olderThanMs !== undefined && !k.stamps) {
    throw new BadInputError(`List queue "${queue}" keeps no started-at stamps (its layout has no started set), so how long its jobs have run is unknown: requeue chosen jobs, or all of them`);
  }
  // Whole ms (ages are whole ms, so `age > x` iff `age > floor(x)`), clamped so that Lua parses it;
  // NaN moves nothing, as `age > NaN` never holds.
  const limit = olderThanMs === undefined ? '' : String(Math.floor(Math.max(-1e15, Math.min(1e15, Number.isNaN(olderThanMs) ? Infinity : olderThanMs))));
  const targets = ids ?? (await call(t, { key: k.processing }, () => t.client.lrange(k.processing, 0, -1))).map(String);
  const keys = k.stamps ? [k.processing, k.waiting, k.started] : [k.processing, k.waiting];
  const moved: string[] = [];
  for (const batch of chunks(targets, LIST_SCRIPT_BATCH)) {
    const r = (await call(t, { key: k.processing }, () => runScript(t.client, LIST_REQUEUE, keys, [limit, ...batch]))) as number[];
    batch.forEach((id, i) => Number(r[i]) === 1 && moved.push(id));
  }
  return moved;
}

/**
 * Moves dead-letter jobs back to waiting (all or the given ids), resetting their attempts.
 * Each id moves atomically (LIST_RETRY_DEAD, up to LIST_SCRIPT_BATCH ids per call). An id not in
 * the dead list is skipped and nothing of it is touched: no job hash is created, a live job's
 * attempts stay as they are. `layout` as for {@link requeueProcessing}.
 */
export async function retryDead(t: OpTarget, queue: string, { ids, layout }: { ids?: string[]; layout?: ListQueueLayout } = {}): Promise<string[]> {
  assertWritable(t, 'retry dead jobs');
  const k = listQueueKeys(queue, checkListQueueLayout(queue, layout));
  const targets = ids ?? (await call(t, { key: k.dead }, () => t.client.lrange(k.dead, 0, -1))).map(String);
  const moved: string[] = [];
  for (const batch of chunks(targets, LIST_SCRIPT_BATCH)) {
    const r = (await call(t, { key: k.dead }, () =>
      runScript(t.client, LIST_RETRY_DEAD, [k.dead, k.waiting, ...batch.map((id) => k.job(id))], [JOB_FIELDS.attempts, JOB_FIELDS.deadAt, ...batch]),
    )) as number[];
    batch.forEach((id, i) => Number(r[i]) === 1 && moved.push(id));
  }
  return moved;
}

/**
 * Deletes a job atomically (LIST_DELETE_JOB): its id from every list of the queue, its started-at
 * stamp and its hash (`<jobPrefix><id>` of the queue's layout). `layout` as for {@link requeueProcessing}.
 */
export async function deleteJob(t: OpTarget, queue: string, id: string, { layout }: { layout?: ListQueueLayout } = {}): Promise<boolean> {
  assertWritable(t, 'delete job');
  const k = listQueueKeys(queue, checkListQueueLayout(queue, layout));
  const keys = [k.waiting, k.processing, k.dead, k.job(id)];
  if (k.stamps) keys.push(k.started);
  const n = await call(t, { key: queue }, () => runScript(t.client, LIST_DELETE_JOB, keys, [id]));
  return Number(n) > 0;
}

/** Orders ids (for stable reports). */
export function sortIds(ids: string[]): string[] {
  return [...ids].sort(compareIds);
}

// ---- stepping through a queue ----

/**
 * Reads one entry for `consumer` in `group`: its own oldest pending entry when `ownPending`
 * (ID 0, no new delivery), else the next new one (`>`), waiting up to `blockMs`. Null when none.
 * Creates the consumer on first read, like any XREADGROUP.
 */
export async function readOne(
  t: OpTarget,
  stream: string,
  group: string,
  consumer: string,
  { ownPending = false, blockMs = 0, after = '0' }: { ownPending?: boolean; blockMs?: number; after?: string } = {},
): Promise<(StreamEntry & { deliveries: number }) | null> {
  assertWritable(t, 'XREADGROUP');
  const args: (string | number)[] = ['GROUP', group, consumer, 'COUNT', 1];
  if (!ownPending && blockMs > 0) args.push('BLOCK', blockMs);
  args.push('STREAMS', stream, ownPending ? after : '>');
  const raw = await call(t, { key: stream, group, command: 'XREADGROUP' }, () => t.client.callBuffer('XREADGROUP', args));
  const entry = parseRead(raw)[0]?.entries[0];
  if (!entry) return null;
  const p = (await pendingOf(t, stream, group, [entry.id])).get(entry.id);
  return { ...entry, deliveries: p?.deliveries ?? 1 };
}

/**
 * Parses message fields typed by a person: a JSON object, `[[name, value], ...]` pairs (the
 * lossless form: order, repeated names and `{"base64"}` bytes kept), or `field=value` lines. A
 * line is one field: everything after its first `=` is the value, `;` included.
 */
export function fieldsFromText(text: string): [string | Buffer, string | Buffer][] {
  const s = text.trim();
  if (!s) throw new BadInputError('No fields: give a JSON object like {"orderId": "42"} or field=value lines');
  if (s.startsWith('{') || s.startsWith('[')) {
    let obj: unknown;
    try {
      obj = JSON.parse(s);
    } catch (e) {
      throw new BadInputError(`Not valid JSON: ${(e as Error).message}`);
    }
    const out: [string | Buffer, string | Buffer][] = [];
    if (Array.isArray(obj)) {
      const raw = fromJsonPairs(obj, 'The JSON');
      for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
    } else if (obj && typeof obj === 'object') {
      for (const [k, v] of Object.entries(obj as Record<string, unknown>)) out.push([k, typeof v === 'string' ? v : JSON.stringify(v)]);
    } else throw new BadInputError('The JSON must be an object of field → value, or [[name, value], ...] pairs');
    if (!out.length) throw new BadInputError('The JSON has no fields');
    return out;
  }
  const out: [string, string][] = [];
  for (const [i, line] of s.split(/\r?\n/).entries()) {
    if (!line.trim()) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new BadInputError(`Line ${i + 1} is not field=value: "${line.trim().slice(0, 60)}"`);
    out.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return out;
}
