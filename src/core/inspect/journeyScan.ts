/**
 * The journey's forward scans: where they start, and pages sized by bytes. Dead-letter records
 * and events name the message they are about (x-dlq-id, the event's id field), so they are found
 * by reference, wherever their own ids fall: a message whose id is ahead of the clock (imported
 * ids, ids chosen by an application, clock skew) is dead-lettered and its events recorded at
 * the server's time, before its id's time. So the scans start at min(the id's time, now) minus
 * {@link JOURNEY_WINDOW_MS}, and a dead-letter or events stream of at most
 * {@link JOURNEY_SMALL_STREAM} entries is read whole.
 */
import { type RedisClient } from '../redis/connection';
import { idForTime } from '../messages/ids';
import { PagePolicy } from '../messages/pagePolicy';
import { StreamPages } from '../messages/streamPages';

/** How far before min(the id's time, now) the dead-letter and events scans start. */
export const JOURNEY_WINDOW_MS = 60 * 60 * 1000;
/** A dead-letter or events stream this small is read from its start. */
export const JOURNEY_SMALL_STREAM = 10_000;

/**
 * Where to start scanning `key` for records about a message of time `time` (epoch ms, NaN when
 * unknown): its start when the stream is small, missing or of another type (the scan says so),
 * else min(time, now) − {@link JOURNEY_WINDOW_MS}. One XLEN.
 */
export async function scanStart(client: RedisClient, key: string, time: number, now = Date.now()): Promise<string> {
  if (!Number.isFinite(time)) return '-';
  const len = await client.xlen(key).catch(() => 0);
  if (len <= JOURNEY_SMALL_STREAM) return '-';
  return idForTime(Math.min(time, now) - JOURNEY_WINDOW_MS);
}

/**
 * A forward scan of `key` from `start` for the journey: pages of at most `maxCount` entries and
 * about 1 MiB (the first small, later ones sized by the entries seen: a page of 3 MB records is one
 * record), through the one paged reader ({@link StreamPages}). A key that does not exist reads as
 * empty; a key of another type throws WrongTypeError.
 */
export function journeyScan(client: RedisClient, key: string, start: string, maxCount = 200): StreamPages {
  return new StreamPages(client, key, { start, policy: new PagePolicy({ first: Math.min(8, maxCount), max: maxCount }) });
}
