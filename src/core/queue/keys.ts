/**
 * Key naming of the queues the embedded client writes, exported so that the inspector and the
 * extension find the same keys, plus the Cluster slot computation used to decide whether two
 * keys may be touched by one script.
 */

/** Keys of one list-based queue (the seeds' pattern: a waiting list of ids, one hash per job). */
export interface ListQueueKeys {
  /** The waiting list: the queue name itself (producers LPUSH, workers BLMOVE RIGHT → LEFT). */
  waiting: string;
  /** Ids taken by a worker and not yet acknowledged: `<queue>:processing`. */
  processing: string;
  /** Ids of dead-lettered jobs: `<queue>:dead` (their hashes are kept, with the last error). */
  dead: string;
  /** Sorted set id → started-at (server time, ms): `<queue>:started`; read by the reaper. */
  started: string;
  /** Prefix of the job hashes; `<queue>:job:` by default. */
  jobPrefix: string;
  /** The hash holding job `id`'s payload and bookkeeping fields. */
  job(id: string): string;
}

export interface ListQueueKeyOptions {
  /**
   * Prefix of the job hashes. Default `<queue>:job:` so that, when the queue name carries a
   * Cluster hash tag (`{emails}`), the job hashes share the slot of the lists and every script
   * stays single-slot. A custom prefix like the seeds' `job:` works on a standalone server only.
   */
  jobPrefix?: string;
}

/** The key names of list queue `queue`. */
export function listQueueKeys(queue: string, options: ListQueueKeyOptions = {}): ListQueueKeys {
  const jobPrefix = options.jobPrefix ?? `${queue}:job:`;
  return {
    waiting: queue,
    processing: `${queue}:processing`,
    dead: `${queue}:dead`,
    started: `${queue}:started`,
    jobPrefix,
    job: (id: string) => `${jobPrefix}${id}`,
  };
}

/** Default dead-letter stream of `stream`: `<stream>:dlq` (so `{orders}` → `{orders}:dlq`, same slot). */
export function defaultDeadLetterStream(stream: string): string {
  return `${stream}:dlq`;
}

/**
 * Bookkeeping fields that the stream worker adds to a dead-lettered entry, beside the original
 * fields. Read them to replay an entry to its origin.
 */
export const DLQ_FIELDS = {
  stream: 'x-dlq-stream',
  group: 'x-dlq-group',
  id: 'x-dlq-id',
  deliveries: 'x-dlq-deliveries',
  error: 'x-dlq-error',
  at: 'x-dlq-at',
  consumer: 'x-dlq-consumer',
} as const;

/** Bookkeeping fields the list queue keeps in each job hash; payload fields may not start with `__`. */
export const JOB_FIELDS = {
  attempts: '__attempts',
  createdAt: '__createdAt',
  lastError: '__lastError',
  deadAt: '__deadAt',
} as const;

/** The part of a key Redis Cluster hashes: the first non-empty `{...}` section, else the whole key. */
export function hashTagOf(key: string | Buffer): Buffer {
  const b = Buffer.isBuffer(key) ? key : Buffer.from(key, 'utf8');
  const open = b.indexOf(0x7b);
  if (open >= 0) {
    const close = b.indexOf(0x7d, open + 1);
    if (close > open + 1) return b.subarray(open + 1, close);
  }
  return b;
}

function crc16(buf: Buffer): number {
  let crc = 0;
  for (const byte of buf) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The Redis Cluster hash slot (0..16383) of a key. */
export function keySlot(key: string | Buffer): number {
  return crc16(hashTagOf(key)) % 16384;
}

/** True when all keys hash to one Cluster slot (so one script may touch them all). */
export function sameSlot(...keys: (string | Buffer)[]): boolean {
  return keys.every((k) => keySlot(k) === keySlot(keys[0]!));
}
