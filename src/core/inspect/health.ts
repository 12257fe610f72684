/** Health marks shared by the tree and the CLI: what counts as poison, stuck or lagging. */
import { xinfoConsumers, xinfoGroups, xpendingRange } from '../redis/commands';
import type { RedisClient } from '../redis/connection';
import { BadInputError } from '../redis/errors';
import type { ConsumerInfo, GroupInfo, PendingEntry } from '../redis/replies';

export interface HealthThresholds {
  /** A pending entry delivered this many times or more is poison. Default 5. */
  poisonDeliveries: number;
  /** A consumer idle this long that still holds entries is stuck. Default 5 minutes. */
  stuckIdleMs: number;
  /** A group lagging by more entries than this is marked. Default 1000. */
  lagWarning: number;
}

export const DEFAULT_THRESHOLDS: HealthThresholds = { poisonDeliveries: 5, stuckIdleMs: 5 * 60_000, lagWarning: 1000 };

export function isPoison(e: PendingEntry, t: HealthThresholds = DEFAULT_THRESHOLDS): boolean {
  return e.deliveries >= t.poisonDeliveries;
}

export function isStuck(c: ConsumerInfo, t: HealthThresholds = DEFAULT_THRESHOLDS): boolean {
  return c.pending > 0 && c.idle >= t.stuckIdleMs;
}

export function isLagging(g: Pick<GroupInfo, 'lag'>, t: HealthThresholds = DEFAULT_THRESHOLDS): boolean {
  return typeof g.lag === 'number' && g.lag > t.lagWarning;
}

/**
 * STUCK for a list queue's processing job (or queue, by its longest-running job): it has run at
 * least `stuckIdleMs` by its started-at stamp. Without a stamp nobody can tell, and nothing is
 * claimed: in a layout with a started set a job without a stamp was just taken (the reaper stamps
 * it); in a layout without one (`started: null`, like the seeds') the running time is unknown.
 * `runningForMs`: null or undefined when there is no stamp.
 */
export function isListJobStuck(runningForMs: number | null | undefined, t: HealthThresholds = DEFAULT_THRESHOLDS): boolean {
  return typeof runningForMs === 'number' && Number.isFinite(runningForMs) && runningForMs >= t.stuckIdleMs;
}

/** What is shown for a processing job's running time when its layout keeps no started-at stamps. */
export const UNKNOWN_RUNNING_TIME = 'unknown (no started-at stamps in this layout)';

/**
 * A processing job's running time in words: `running 3m 5s`, `not stamped yet` (a layout with a
 * started set, job just taken) or `running for: unknown (…)` (a layout without stamps).
 */
export function describeRunning(runningForMs: number | null | undefined, stamps = true): string {
  if (typeof runningForMs === 'number') return `running ${formatDuration(runningForMs)}`;
  return stamps ? 'not stamped yet' : `running for: ${UNKNOWN_RUNNING_TIME}`;
}

/** Compact human duration: 850ms, 12s, 3m 5s, 2h 10m, 4d 3h. */
export function formatDuration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '?';
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  const d = Math.floor(h / 24);
  return `${d}d ${h % 24}h`;
}

/** How a duration is written wherever one is entered; for prompts and error messages. */
export const DURATION_HINT = 'e.g. 90s, 5m, 1h 30m, 250ms or 2d; a plain number is seconds';

const DURATION_UNITS: Record<string, number> = {
  ms: 1, msec: 1, msecs: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

/**
 * A duration as a person types it, in ms: `90s`, `5m`, `1h 30m` (also `1h30m`), `250ms`, `2d`,
 * `1.5h`, or a plain number, which is seconds (`90` = 90 s). Units: ms, s, m, h, d (and their
 * long forms: sec, min, hour, day…), case-insensitive, each at most once; parts may be separated
 * by spaces or commas. Everything {@link formatDuration} prints parses back. The result
 * is rounded to whole ms. Throws a {@link BadInputError} that says what is wrong: empty, negative,
 * a number without a unit after one with a unit, an unknown or repeated unit, or too long.
 */
export function parseDuration(text: string): number {
  const t = String(text ?? '').trim();
  const hint = `write a duration, ${DURATION_HINT}`;
  if (!t) throw new BadInputError(`No duration given: ${hint}`);
  if (/^-/.test(t)) throw new BadInputError(`A duration cannot be negative ("${t}")`);
  const plain = /^\d+(?:\.\d+)?$|^\.\d+$/.exec(t);
  let ms: number;
  if (plain) {
    ms = Number(t) * 1000;
  } else {
    const part = /(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]+)\s*,?\s*/y;
    ms = 0;
    const seen: string[] = [];
    let at = 0;
    while (at < t.length) {
      part.lastIndex = at;
      const m = part.exec(t);
      if (!m) {
        const rest = t.slice(at);
        if (/^\d+(?:\.\d+)?\s*$/.test(rest)) throw new BadInputError(`"${rest.trim()}" in "${t}" has no unit: ${hint}`);
        throw new BadInputError(`Cannot read "${rest}" in "${t}" as a duration: ${hint}`);
      }
      const unit = m[2]!.toLowerCase();
      const size = Object.hasOwn(DURATION_UNITS, unit) ? DURATION_UNITS[unit] : undefined;
      if (size === undefined) throw new BadInputError(`Unknown unit "${m[2]}" in "${t}": use ms, s, m, h or d (${DURATION_HINT})`);
      const key = String(size);
      if (seen.includes(key)) throw new BadInputError(`"${t}" gives the ${unit} twice: ${hint}`);
      seen.push(key);
      ms += Number(m[1]) * size;
      at = part.lastIndex;
    }
  }
  ms = Math.round(ms);
  if (!Number.isSafeInteger(ms)) throw new BadInputError(`"${t}" is too long a duration`);
  return ms;
}

/** For an input box's validation: undefined when `text` is a duration, else what is wrong. */
export function durationProblem(text: string, o: { min?: number } = {}): string | undefined {
  try {
    const ms = parseDuration(text);
    if (o.min !== undefined && ms < o.min) return `At least ${formatDuration(o.min)}`;
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** 1234567 → "1,234,567". */
/** A large count in short form, for figures that are about anyway: 950, 12 k, 1.2 M, 10 M. */
export function formatShort(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const a = Math.abs(n);
  const f = (x: number, unit: string) => `${x < 10 ? Math.round(x * 10) / 10 : Math.round(x)} ${unit}`;
  if (a >= 1e9) return f(n / 1e9, 'G');
  if (a >= 1e6) return f(n / 1e6, 'M');
  if (a >= 1e4) return f(n / 1e3, 'k');
  return String(Math.round(n));
}

export function formatCount(n: number | undefined | null): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return '?';
  return Math.round(n).toLocaleString('en-US');
}

/** Health marks counted over a part of the tree (a group, a stream, a connection). */
export interface HealthCounts {
  /** Consumers (or list queues) marked STUCK. */
  stuck: number;
  /** Pending entries marked POISON. */
  poison: number;
  /** Groups marked LAGGING. */
  lagging: number;
}

/** The sum of several counts (a stream's groups, a connection's streams). */
export function sumHealth(counts: Iterable<HealthCounts>): HealthCounts {
  const out = { stuck: 0, poison: 0, lagging: 0 };
  for (const c of counts) {
    out.stuck += c.stuck;
    out.poison += c.poison;
    out.lagging += c.lagging;
  }
  return out;
}

/** "2 stuck · 1 poison · 1 lagging" (only what is there; '' when healthy), for row descriptions. */
export function describeHealth(c: HealthCounts): string {
  return [c.stuck ? `${c.stuck} stuck` : '', c.poison ? `${c.poison} poison` : '', c.lagging ? `${c.lagging} lagging` : ''].filter(Boolean).join(' · ');
}

/** What {@link checkStreamHealth} found for one consumer group. */
export interface GroupHealthCheck {
  name: string;
  lagging: boolean;
  /** Consumers holding entries and idle at least the stuck threshold (XINFO CONSUMERS). */
  stuck: string[];
  /** Consumers holding pending entries. */
  holders: string[];
  /**
   * POISON entries per consumer among the group's oldest pending entries (XPENDING - + COUNT n):
   * a lower bound when the group holds more than `sampled` entries.
   */
  poison: Record<string, number>;
  /** The same POISON entries by id, per consumer (so a reader can tell one entry seen twice). */
  poisonIds: Record<string, string[]>;
  /** How many pending entries were looked at for POISON (the group holds `pending`). */
  sampled: number;
  /** The last (newest) id looked at: every pending entry up to it was seen. */
  sampledThrough?: string;
  pending: number;
}

/** One stream's health marks, as {@link checkStreamHealth} read them within its call budget. */
export interface StreamHealthCheck {
  stream: string;
  /** The groups checked (by name); a group left out by the budget is not here. */
  groups: GroupHealthCheck[];
  /** Groups of the stream not checked because the call budget ran out. */
  unchecked: string[];
  /** Redis calls sent (each a small one: XINFO GROUPS, XINFO CONSUMERS, XPENDING with a small COUNT). */
  calls: number;
}

export interface StreamHealthOptions {
  thresholds?: HealthThresholds;
  /** At most this many calls for the stream (≥ 1: XINFO GROUPS). Default 9 (4 groups with pending entries). */
  maxCalls?: number;
  /** The oldest pending entries of each group looked at for POISON. Default 10. */
  sample?: number;
}

/**
 * The health marks of one stream within a call budget, from small calls only: XINFO GROUPS
 * (LAGGING), then per group holding pending entries XINFO CONSUMERS (STUCK) and XPENDING - + COUNT
 * `sample` (POISON among its oldest entries). Groups without pending entries cost nothing more.
 * Never walks the keyspace nor a whole PEL; the same thresholds as the tree and the CLI.
 */
export async function checkStreamHealth(client: RedisClient, stream: string, o: StreamHealthOptions = {}): Promise<StreamHealthCheck> {
  const t = o.thresholds ?? DEFAULT_THRESHOLDS;
  const sample = Math.max(1, Math.floor(o.sample ?? 10));
  let left = Math.max(1, Math.floor(o.maxCalls ?? 9));
  const groups = await xinfoGroups(client, stream);
  left--;
  const out: StreamHealthCheck = { stream, groups: [], unchecked: [], calls: 1 };
  for (const g of groups) {
    const check: GroupHealthCheck = { name: g.name, lagging: isLagging(g, t), stuck: [], holders: [], poison: {}, poisonIds: {}, sampled: 0, pending: g.pending };
    if (g.pending > 0) {
      if (left < 2) {
        out.unchecked.push(g.name);
        continue;
      }
      left -= 2;
      out.calls += 2;
      const [consumers, oldest] = await Promise.all([xinfoConsumers(client, stream, g.name), xpendingRange(client, stream, g.name, { count: sample })]);
      check.stuck = consumers.filter((c) => isStuck(c, t)).map((c) => c.name);
      check.holders = consumers.filter((c) => c.pending > 0).map((c) => c.name);
      check.sampled = oldest.length;
      check.sampledThrough = oldest.at(-1)?.id;
      for (const e of oldest) {
        if (!isPoison(e, t)) continue;
        check.poison[e.consumer] = (check.poison[e.consumer] ?? 0) + 1;
        (check.poisonIds[e.consumer] ??= []).push(e.id);
      }
    }
    out.groups.push(check);
  }
  return out;
}
