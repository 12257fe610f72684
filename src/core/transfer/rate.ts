/** The rate limit of imports: a token bucket that never busy-waits. */
import { performance } from 'node:perf_hooks';
import { BadInputError } from '../redis/errors';
import { pause } from '../queue/runtime/pause';


/** What a {@link TokenBucket} has granted, by its own clock. */
export interface RateAccounting {
  ratePerSec: number;
  burst: number;
  /** Tokens granted. */
  granted: number;
  /** Times a take had to wait for tokens, and the total of those waits (ms). */
  waits: number;
  waitedMs: number;
  /**
   * The largest `granted − burst − ratePerSec × elapsed` seen at a grant (elapsed since the
   * bucket was made): at most 0 when the rate was never exceeded.
   */
  maxExcess: number;
}

/**
 * A token bucket: at most `ratePerSec` tokens per second on average, `burst` at once (the bucket
 * starts full). {@link take} sleeps until enough tokens have accrued (never a busy wait) and is
 * cut short by an abort signal. `now` is the clock (ms), replaceable in tests.
 */
export class TokenBucket {
  readonly ratePerSec: number;
  readonly burst: number;
  private tokens: number;
  private last: number;
  private readonly start: number;
  private readonly stats: RateAccounting;

  constructor(options: { ratePerSec: number; burst?: number; now?: () => number }) {
    const { ratePerSec } = options;
    if (!(typeof ratePerSec === 'number' && Number.isFinite(ratePerSec) && ratePerSec > 0)) throw new BadInputError(`The rate must be a positive number per second (got ${ratePerSec})`);
    this.ratePerSec = ratePerSec;
    this.burst = Math.max(1, Math.floor(options.burst ?? Math.ceil(ratePerSec / 10)));
    if (options.now) this.now = options.now;
    this.tokens = this.burst;
    this.start = this.last = this.now();
    this.stats = { ratePerSec, burst: this.burst, granted: 0, waits: 0, waitedMs: 0, maxExcess: -Infinity };
  }

  /** The clock, ms. */
  private now: () => number = () => performance.now();

  private refill(): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.ratePerSec) / 1000);
    this.last = t;
    return t;
  }

  /**
   * Waits until `n` tokens (at most `burst`; more are taken `burst` at a time) are there and takes
   * them. Resolves false, having taken nothing more, when `signal` aborts.
   */
  async take(n: number, signal?: AbortSignal): Promise<boolean> {
    let left = Math.max(0, n);
    while (left > 0) {
      const want = Math.min(left, this.burst);
      for (;;) {
        if (signal?.aborted) return false;
        const t = this.refill();
        if (this.tokens >= want) {
          this.tokens -= want;
          left -= want;
          this.stats.granted += want;
          const excess = this.stats.granted - this.burst - (this.ratePerSec * (t - this.start)) / 1000;
          if (excess > this.stats.maxExcess) this.stats.maxExcess = excess;
          break;
        }
        const wait = Math.max(1, Math.ceil(((want - this.tokens) * 1000) / this.ratePerSec));
        const t0 = this.now();
        this.stats.waits++;
        await pause(wait, signal);
        this.stats.waitedMs += this.now() - t0;
      }
    }
    return true;
  }

  /** What was granted so far (a copy). */
  accounting(): RateAccounting {
    return { ...this.stats };
  }
}

