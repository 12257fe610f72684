/**
 * Key naming of the stream queues (the dead-letter stream and its bookkeeping fields), plus the
 * Cluster slot computation used to decide whether two keys may be touched by one script. List
 * queues name their keys in list/keys.ts. Names are in the shown form of `names.ts`; slots are
 * computed from the bytes they stand for.
 */
import { nameBuffer } from '../redis/names';

/** Default dead-letter stream of `stream`: `<stream>:dlq` (so `{orders}` → `{orders}:dlq`, same slot). */
export function defaultDeadLetterStream(stream: string): string {
  return `${stream}:dlq`;
}

/** Whether a key is named like a dead-letter stream (`orders:dlq`, `orders.dead-letters`, `dlq:orders`). */
export function isDeadLetterName(key: string): boolean {
  return /(^|[:._-])(dlq|dead[-_]?letters?)($|[:._-])/i.test(key);
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

/** The part of a key (bytes, or a shown name) Redis Cluster hashes: the first non-empty `{...}` section, else the whole key. */
export function hashTagOf(key: string | Buffer): Buffer {
  const b = nameBuffer(key);
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
