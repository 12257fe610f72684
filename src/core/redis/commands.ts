/**
 * The typed seam for the stream commands whose replies need parsing: XPENDING (summary, a range,
 * one id) and XINFO (STREAM, GROUPS, CONSUMERS). Each sends one command with its arguments in
 * order and returns the model type of replies.ts, so callers never build untyped varargs nor
 * parse raw replies. Replies are read as Buffers (`callBuffer`): names that are not UTF-8 keep an
 * unambiguous text form (see `decodeName`). Errors are Redis's own; callers map them to their
 * context (`toQueueError`, a WRONGTYPE check).
 */
import type { RedisClient } from './connection';
import { type ConsumerInfo, type GroupInfo, type PendingEntry, type PendingSummary, type StreamInfo, parseConsumers, parseGroups, parsePendingEntries, parsePendingSummary, parseStreamInfo } from './replies';

/** A range of a group's PEL: ids from `start` to `end` (inclusive, `-` / `+` by default), at most `count`. */
export interface PendingRange {
  start?: string;
  end?: string;
  count: number;
  /** Only this consumer's entries. */
  consumer?: string;
  /** Only entries idle at least this long (Redis ≥ 6.2: check `pendingIdle` first; 0 or undefined sends no IDLE). */
  minIdleMs?: number;
}

/** `XPENDING key group`: count, id bounds and per-consumer counts. */
export async function xpendingSummary(client: RedisClient, key: string, group: string): Promise<PendingSummary> {
  return parsePendingSummary(await client.callBuffer('XPENDING', key, group));
}

/** `XPENDING key group [IDLE ms] start end count [consumer]`: a page of the PEL, oldest first. */
export async function xpendingRange(client: RedisClient, key: string, group: string, r: PendingRange): Promise<PendingEntry[]> {
  const args: (string | number)[] = [key, group];
  if (r.minIdleMs && r.minIdleMs > 0) args.push('IDLE', Math.floor(r.minIdleMs));
  args.push(r.start ?? '-', r.end ?? '+', r.count);
  if (r.consumer !== undefined) args.push(r.consumer);
  return parsePendingEntries(await client.callBuffer('XPENDING', args));
}

/** The PEL entry of one id in a group, or null when it is not pending there. */
export async function xpendingOne(client: RedisClient, key: string, group: string, id: string): Promise<PendingEntry | null> {
  return (await xpendingRange(client, key, group, { start: id, end: id, count: 1 }))[0] ?? null;
}

/** `XINFO STREAM key`. */
export async function xinfoStream(client: RedisClient, key: string): Promise<StreamInfo> {
  return parseStreamInfo(await client.callBuffer('XINFO', 'STREAM', key));
}

/** `XINFO GROUPS key`. */
export async function xinfoGroups(client: RedisClient, key: string): Promise<GroupInfo[]> {
  return parseGroups(await client.callBuffer('XINFO', 'GROUPS', key));
}

/** `XINFO CONSUMERS key group`. */
export async function xinfoConsumers(client: RedisClient, key: string, group: string): Promise<ConsumerInfo[]> {
  return parseConsumers(await client.callBuffer('XINFO', 'CONSUMERS', key, group));
}
