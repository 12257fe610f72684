/**
 * Operations on queues: ack, claim, auto-claim with a preview, dead-letter, replay from a DLQ,
 * group and consumer admin, trim with a preview of what pending entries it would cut, list-queue
 * repairs. Every write checks the connection's read-only flag before anything is sent, validates
 * ids first, and reports what was done (and what was skipped and why).
 */
import { type RedisClient, isCluster } from './connection';
import { BadInputError, NoGroupError, ReadOnlyError, toQueueError } from './errors';
import { compareIds, nextId, parseId, previousId } from './ids';
import { type Fields, type PendingEntry, type StreamEntry, parseAutoClaim, parseEntries, parseGroups, parsePendingEntries, parseRead, setField } from './replies';
import { DLQ_FIELDS, JOB_FIELDS, listQueueKeys, sameSlot } from './queue/keys';
import { ACK_AND_MAYBE_DEL, DEAD_LETTER_ENTRY, runScript } from './queue/scripts';

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
  const replies = await call(t, { key: stream, group, command: 'XPENDING' }, () => Promise.all(ids.map((id) => t.client.call('XPENDING', stream, group, id, id, 1))));
  replies.forEach((r) => {
    const e = parsePendingEntries(r)[0];
    if (e) out.set(e.id, e);
  });
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
    const args: (string | number)[] = [stream, group];
    if (minIdleMs > 0) args.push('IDLE', Math.floor(minIdleMs));
    args.push(start, end, pageSize);
    if (consumer !== undefined) args.push(consumer);
    const page = parsePendingEntries(await call(t, { key: stream, group, command: 'XPENDING' }, () => t.client.call('XPENDING', ...(args as [string]))));
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
  const skipped = ids
    .filter((id) => !got.has(id))
    .map((id) => {
      const p = before.get(id);
      return { id, reason: !p ? 'not pending in the group' : p.idle < minIdleMs ? `active again (idle ${p.idle} ms < ${minIdleMs} ms)` : 'deleted or trimmed from the stream' };
    });
  return { claimed, skipped };
}

/** What an auto-claim sweep would move: pending entries idle at least `minIdleMs`, oldest first. */
export async function autoClaimPreview(t: OpTarget, stream: string, group: string, { minIdleMs, count = 100 }: { minIdleMs: number; count?: number }): Promise<PendingEntry[]> {
  const raw = await call(t, { key: stream, group, command: 'XPENDING' }, () => t.client.call('XPENDING', stream, group, 'IDLE', Math.max(0, Math.floor(minIdleMs)), '-', '+', count));
  return parsePendingEntries(raw);
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
  return { claimed, deleted };
}

export interface DeadLetterInput {
  stream: string;
  group: string;
  id: string;
  /** Dead-letter stream (default `<stream>:dlq`). */
  dlq?: string;
  deliveries?: number;
  error?: string;
  consumer?: string;
  /** XDEL from the source stream too. Default false. */
  deleteFromSource?: boolean;
}

/**
 * Moves one pending entry to its dead-letter stream and acks it, atomically (one Lua script) when
 * the two keys share a slot; on a Cluster with keys in different slots, copy-then-ack (a crash in
 * between duplicates into the DLQ, never loses). Returns the DLQ id, or null when the entry was no
 * longer pending (someone else acked or dead-lettered it).
 */
export async function deadLetterEntry(t: OpTarget, input: DeadLetterInput): Promise<string | null> {
  assertWritable(t, 'dead-letter');
  const dlq = input.dlq ?? `${input.stream}:dlq`;
  if (dlq === input.stream) throw new BadInputError('The dead-letter stream must differ from the stream');
  const meta: string[] = [
    DLQ_FIELDS.stream, input.stream,
    DLQ_FIELDS.group, input.group,
    DLQ_FIELDS.id, input.id,
    DLQ_FIELDS.deliveries, String(input.deliveries ?? 0),
    DLQ_FIELDS.error, (input.error ?? '').slice(0, 2000),
    DLQ_FIELDS.at, String(Date.now()),
    DLQ_FIELDS.consumer, input.consumer ?? '',
  ];
  const del = input.deleteFromSource ? '1' : '0';
  const ctx = { key: input.stream, group: input.group, command: 'dead-letter' };
  if (!isCluster(t.client) || sameSlot(input.stream, dlq)) {
    const r = await call(t, ctx, () => runScript(t.client, DEAD_LETTER_ENTRY, [input.stream, dlq], [input.group, input.id, del, ...meta]));
    return r === null || r === undefined ? null : String(r);
  }
  const pending = parsePendingEntries(await call(t, ctx, () => t.client.callBuffer('XPENDING', input.stream, input.group, input.id, input.id, 1)));
  if (!pending.length) return null;
  const entry = parseEntries(await call(t, ctx, () => t.client.callBuffer('XRANGE', input.stream, input.id, input.id)))[0];
  const fields = Object.entries(entry?.fields ?? {}).flat();
  const dlqId = String(await call(t, ctx, () => t.client.callBuffer('XADD', dlq, '*', ...fields, ...meta)));
  await call(t, ctx, () => runScript(t.client, ACK_AND_MAYBE_DEL, [input.stream], [input.group, input.id, del]));
  return dlqId;
}

/** Dead-letters several pending entries (each atomically). */
export async function deadLetter(
  t: OpTarget,
  stream: string,
  group: string,
  ids: string[],
  { dlq, reason = 'dead-lettered by hand', consumer }: { dlq?: string; reason?: string; consumer?: string } = {},
): Promise<{ moved: { id: string; dlqId: string }[]; skipped: string[] }> {
  assertWritable(t, 'dead-letter');
  checkIds(ids);
  const pending = await pendingOf(t, stream, group, ids);
  const moved: { id: string; dlqId: string }[] = [];
  const skipped: string[] = [];
  for (const id of ids) {
    const p = pending.get(id);
    const dlqId = p ? await deadLetterEntry(t, { stream, group, id, dlq, deliveries: p.deliveries, error: reason, consumer: consumer ?? p.consumer }) : null;
    if (dlqId) moved.push({ id, dlqId });
    else skipped.push(id);
  }
  return { moved, skipped };
}

/** A dead-lettered entry, split into its original fields and its DLQ record. */
export interface DeadLetter {
  id: string;
  origin?: string;
  group?: string;
  originalId?: string;
  deliveries?: number;
  error?: string;
  at?: number;
  replayCount: number;
  fields: Fields;
}

export const REPLAY_COUNT_FIELD = 'x-replay-count';

export function splitDeadLetter(e: StreamEntry): DeadLetter {
  const fields: Fields = {};
  const meta: Record<string, string> = {};
  const metaNames = new Set<string>(Object.values(DLQ_FIELDS));
  for (const [k, v] of Object.entries(e.fields ?? {})) {
    if (metaNames.has(k)) meta[k] = String(v);
    else setField(fields, k, v);
  }
  const num = (s?: string) => (s === undefined || s === '' ? undefined : Number(s));
  return {
    id: e.id,
    origin: meta[DLQ_FIELDS.stream] || undefined,
    group: meta[DLQ_FIELDS.group] || undefined,
    originalId: meta[DLQ_FIELDS.id] || undefined,
    deliveries: num(meta[DLQ_FIELDS.deliveries]),
    error: meta[DLQ_FIELDS.error],
    at: num(meta[DLQ_FIELDS.at]),
    replayCount: Number(fields[REPLAY_COUNT_FIELD] ?? 0) || 0,
    fields,
  };
}

export interface ReplayPlan {
  entries: DeadLetter[];
  /** Entries per origin stream. */
  byOrigin: Record<string, number>;
  /** Entries without a recorded origin (cannot be replayed without `to`). */
  withoutOrigin: string[];
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
      start = `(${page[page.length - 1]!.id}`;
    }
  }
  const letters = entries.map(splitDeadLetter);
  const byOrigin: Record<string, number> = {};
  const withoutOrigin: string[] = [];
  for (const l of letters) {
    if (l.origin) byOrigin[l.origin] = (byOrigin[l.origin] ?? 0) + 1;
    else withoutOrigin.push(l.id);
  }
  return { entries: letters, byOrigin, withoutOrigin };
}

export interface ReplayResult {
  replayed: { id: string; origin: string; newId: string }[];
  skipped: { id: string; reason: string }[];
}

/**
 * Sends DLQ entries back to their recorded origin (or to `to`), with their original fields and an
 * incremented `x-replay-count`, at most `ratePerSecond` per second; each replayed entry is removed
 * from the DLQ (XADD and XDEL in one MULTI when the keys share a slot). `signal` stops early.
 */
export async function replay(
  t: OpTarget,
  dlq: string,
  { ids, to, ratePerSecond = 100, limit = 10_000, keepInDlq = false, signal }: { ids?: string[]; to?: string; ratePerSecond?: number; limit?: number; keepInDlq?: boolean; signal?: AbortSignal } = {},
): Promise<ReplayResult> {
  assertWritable(t, 'replay');
  if (!(ratePerSecond > 0)) throw new BadInputError('The replay rate must be a positive number per second');
  const plan = await planReplay(t, dlq, { ids, limit });
  const result: ReplayResult = { replayed: [], skipped: [] };
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
    const fields = { ...letter.fields, [REPLAY_COUNT_FIELD]: String(letter.replayCount + 1) };
    const flat = Object.entries(fields).flat();
    let newId: string;
    if (!keepInDlq && (!isCluster(t.client) || sameSlot(target, dlq))) {
      const r = (await call(t, { key: target, command: 'XADD' }, () => t.client.multi().xadd(target, '*', ...flat).xdel(dlq, letter.id).exec())) ?? [];
      const err = r.find(([e]) => e)?.[0];
      if (err) throw toQueueError(err, { key: target });
      newId = String(r[0]![1]);
    } else {
      newId = String(await call(t, { key: target, command: 'XADD' }, () => t.client.xadd(target, '*', ...flat)));
      if (!keepInDlq) await call(t, { key: dlq, command: 'XDEL' }, () => t.client.xdel(dlq, letter.id));
    }
    result.replayed.push({ id: letter.id, origin: target, newId });
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
  const groups = parseGroups(await call(t, { key: stream, command: 'XINFO' }, () => t.client.call('XINFO', 'GROUPS', stream)));
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
      const page = parsePendingEntries(await call(t, { key: stream, group }, () => t.client.call('XPENDING', stream, group, '-', '+', 500, consumer)));
      if (!page.length) break;
      const r = await claim(t, stream, group, claimTo, page.map((p) => p.id));
      claimed += r.claimed.length;
      if (!r.claimed.length) break;
    }
  }
  const holding = parsePendingEntries(await call(t, { key: stream, group }, () => t.client.call('XPENDING', stream, group, '-', '+', 1, consumer))).length;
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
  const groups = parseGroups(await call(t, { key: stream, command: 'XINFO' }, () => t.client.call('XINFO', 'GROUPS', stream)));
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
  return Number(await call(t, { key: stream, command: 'XTRIM' }, () => t.client.call('XTRIM', stream, ...(args as [string]))));
}

// ---- list queues ----

/**
 * Moves jobs from processing back to waiting (all of them, the given ids, or those running longer
 * than `olderThanMs` by their started-at stamp). Returns the ids moved.
 */
export async function requeueProcessing(
  t: OpTarget,
  queue: string,
  { ids, olderThanMs }: { ids?: string[]; olderThanMs?: number } = {},
): Promise<string[]> {
  assertWritable(t, 'requeue');
  const k = listQueueKeys(queue);
  let targets = ids ?? (await t.client.lrange(k.processing, 0, -1)).map(String);
  if (olderThanMs !== undefined) {
    const [s, us] = (await t.client.time()) as [string | number, string | number];
    const now = Number(s) * 1000 + Math.floor(Number(us) / 1000);
    const stamps = await Promise.all(targets.map((id) => t.client.zscore(k.started, id)));
    targets = targets.filter((_, i) => stamps[i] !== null && now - Number(stamps[i]) > olderThanMs);
  }
  const moved: string[] = [];
  for (const id of targets) {
    const r = await call(t, { key: k.processing }, () => t.client.multi().lrem(k.processing, 1, id).zrem(k.started, id).exec());
    if (Number(r?.[0]?.[1]) > 0) {
      await t.client.rpush(k.waiting, id);
      moved.push(id);
    }
  }
  return moved;
}

/** Moves dead-letter jobs back to waiting (all or the given ids), resetting their attempts. */
export async function retryDead(t: OpTarget, queue: string, { ids }: { ids?: string[] } = {}): Promise<string[]> {
  assertWritable(t, 'retry dead jobs');
  const k = listQueueKeys(queue);
  const targets = ids ?? (await t.client.lrange(k.dead, 0, -1)).map(String);
  const moved: string[] = [];
  for (const id of targets) {
    const r = await call(t, { key: k.dead }, () =>
      t.client.multi().lrem(k.dead, 1, id).hset(k.job(id), JOB_FIELDS.attempts, '0').hdel(k.job(id), JOB_FIELDS.deadAt).exec(),
    );
    if (Number(r?.[0]?.[1]) > 0) {
      await t.client.rpush(k.waiting, id);
      moved.push(id);
    }
  }
  return moved;
}

/** Deletes a job: its id from every list of the queue, its started-at stamp and its hash. */
export async function deleteJob(t: OpTarget, queue: string, id: string): Promise<boolean> {
  assertWritable(t, 'delete job');
  const k = listQueueKeys(queue);
  const r = await call(t, { key: queue }, () =>
    t.client.multi().lrem(k.waiting, 0, id).lrem(k.processing, 0, id).lrem(k.dead, 0, id).zrem(k.started, id).del(k.job(id)).exec(),
  );
  return (r ?? []).some(([, v]) => Number(v) > 0);
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
  const raw = await call(t, { key: stream, group, command: 'XREADGROUP' }, () => t.client.callBuffer('XREADGROUP', ...(args as [string])));
  const entry = parseRead(raw)[0]?.entries[0];
  if (!entry) return null;
  const p = (await pendingOf(t, stream, group, [entry.id])).get(entry.id);
  return { ...entry, deliveries: p?.deliveries ?? 1 };
}

/** Parses message fields typed by a person: a JSON object, or `field=value` lines. */
export function fieldsFromText(text: string): Record<string, string> {
  const s = text.trim();
  if (!s) throw new BadInputError('No fields: give a JSON object like {"orderId": "42"} or field=value lines');
  if (s.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(s);
    } catch (e) {
      throw new BadInputError(`Not valid JSON: ${(e as Error).message}`);
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new BadInputError('The JSON must be an object of field → value');
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) setField(out, k, typeof v === 'string' ? v : JSON.stringify(v));
    if (!Object.keys(out).length) throw new BadInputError('The JSON object has no fields');
    return out;
  }
  const out: Record<string, string> = {};
  for (const [i, line] of s.split(/\r?\n|;(?=\s*[^=;\s]+\s*=)/).entries()) {
    if (!line.trim()) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new BadInputError(`Line ${i + 1} is not field=value: "${line.trim().slice(0, 60)}"`);
    setField(out, line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}
