/** Pending entries: ack, claim, auto-claim with a preview, pages of a PEL. */
import { serverCapabilities } from '../redis/server';
import { xpendingOne, xpendingRange } from '../redis/commands';
import { xpendingPages } from '../messages/streamPages';
import { BadInputError } from '../redis/errors';
import { type PendingEntry, parseAutoClaim } from '../redis/replies';
import { type OpTarget, assertWritable, call, checkIds, chunks } from './target';

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
  yield* xpendingPages(t.client, stream, group, { end, count: pageSize, consumer, minIdleMs });
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
export async function missingEntries(t: OpTarget, stream: string, ids: string[]): Promise<string[]> {
  const replies = await call(t, { key: stream, command: 'XRANGE' }, () => Promise.all(ids.map((id) => t.client.xrangeBuffer(stream, id, id))));
  return ids.filter((_, i) => !(replies[i] as unknown[]).length);
}
