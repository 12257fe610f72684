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
export function formatCount(n: number | undefined | null): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return '?';
  return Math.round(n).toLocaleString('en-US');
}
