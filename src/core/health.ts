/** Health marks shared by the tree and the CLI: what counts as poison, stuck or lagging. */
import type { ConsumerInfo, PendingEntry } from './replies';
import type { GroupSummary } from './inspect';

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

export function isLagging(g: GroupSummary, t: HealthThresholds = DEFAULT_THRESHOLDS): boolean {
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
