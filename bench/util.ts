/** Small helpers of the benchmark: clocks, statistics, sizes, memory snapshots. */

/** Milliseconds since an arbitrary origin, sub-microsecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Runs `fn` and returns its duration in ms with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = nowMs();
  const value = await fn();
  return { ms: nowMs() - t0, value };
}

export function median(xs: number[]): number {
  return percentile(xs, 50);
}

/** Nearest-rank percentile (p in 0..100) of a sample; NaN when empty. */
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank]!;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Like sleep, for guards raced against work: does not keep the process alive. */
export function timeout(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** Benchmark sizes. `BENCH_SCALE` multiplies every count; each one can also be set on its own. */
export interface Sizes {
  scale: number;
  rounds: number;
  producerMessages: number;
  producerBatch: number;
  workerMessages: number;
  workerConcurrency: number;
  bullmqJobs: number;
  tailRate: number;
  tailSeconds: number;
  keyspaceKeys: number;
  keyspaceStreams: number;
  firstPaintRepeats: number;
  pelLarge: number;
  pelSmall: number;
  pageRepeats: number;
  /** Discovery part: strings from DEBUG POPULATE, and the streams and list queues among them. */
  discoveryKeys: number;
  discoveryStreams: number;
  discoveryQueues: number;
}

function envNum(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got "${v}")`);
  return n;
}

export function sizesFromEnv(): Sizes {
  const scale = envNum('BENCH_SCALE', 1);
  const s = (name: string, full: number, min = 1) => Math.max(min, Math.round(envNum(name, full * scale)));
  return {
    scale,
    rounds: Math.round(envNum('BENCH_ROUNDS', 3)),
    producerMessages: s('BENCH_PRODUCER_N', 200_000, 1000),
    producerBatch: Math.round(envNum('BENCH_PRODUCER_BATCH', 1000)),
    workerMessages: s('BENCH_WORKER_N', 100_000, 1000),
    workerConcurrency: Math.round(envNum('BENCH_WORKER_CONCURRENCY', 50)),
    bullmqJobs: s('BENCH_BULLMQ_N', 50_000, 1000),
    tailRate: Math.round(envNum('BENCH_TAIL_RATE', 500)),
    tailSeconds: Math.max(1, envNum('BENCH_TAIL_SECONDS', 10 * Math.max(scale, 0.3))),
    keyspaceKeys: s('BENCH_KEYS', 100_000, 2000),
    keyspaceStreams: s('BENCH_STREAMS', 1000, 250),
    firstPaintRepeats: Math.round(envNum('BENCH_FIRST_PAINT_REPEATS', 15)),
    pelLarge: s('BENCH_PEL', 1_000_000, 20_000),
    pelSmall: Math.round(envNum('BENCH_PEL_SMALL', 10_000)),
    pageRepeats: Math.round(envNum('BENCH_PAGE_REPEATS', 200)),
    discoveryKeys: s('BENCH_DISCOVERY_KEYS', 10_000_000, 10_000),
    discoveryStreams: Math.round(envNum('BENCH_DISCOVERY_STREAMS', 1000)),
    discoveryQueues: Math.round(envNum('BENCH_DISCOVERY_QUEUES', 100)),
  };
}

export interface Mem {
  rssMiB: number;
  heapUsedMiB: number;
}

/** Memory of this process; with `gc` (node --expose-gc) a full collection runs first. */
export function mem(gc = false): Mem {
  const g = (globalThis as { gc?: () => void }).gc;
  if (gc && g) {
    g();
    g();
  }
  const m = process.memoryUsage();
  return { rssMiB: m.rss / 2 ** 20, heapUsedMiB: m.heapUsed / 2 ** 20 };
}

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function log(msg: string): void {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}
