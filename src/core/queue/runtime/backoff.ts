/** Retry delays. */

export interface BackoffOptions {
  /** Delay before the first retry, ms. Default 200: long enough to ride out a blip, short enough not to stall a queue. */
  initialMs?: number;
  /** Growth per attempt. Default 2 (exponential). */
  factor?: number;
  /** Upper bound, ms. Default 30 000: keeps a retried entry well inside typical visibility/claim thresholds. */
  maxMs?: number;
  /**
   * Fraction of the delay that is randomised away (0..1). Default 0.2, so that many workers that
   * failed together do not retry in lock-step.
   */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 200, factor: 2, maxMs: 30_000, jitter: 0.2 };

/**
 * The delay before retry number `attempt` (1 = first retry): `min(maxMs, initialMs·factor^(attempt-1))`,
 * reduced by up to `jitter` of itself. `random` is injectable for tests.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const o = { ...DEFAULT_BACKOFF, ...options };
  const n = Math.max(1, Math.floor(attempt));
  const base = Math.min(o.maxMs, o.initialMs * Math.pow(o.factor, n - 1));
  const j = Math.min(1, Math.max(0, o.jitter));
  return Math.max(0, Math.round(base * (1 - j * random())));
}
