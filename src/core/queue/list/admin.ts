/**
 * Lua scripts of the list-queue repairs (requeue processing jobs, retry dead ones, delete a job),
 * run with {@link runScript}. Each call is one atomic step on the server: an id leaves one list
 * and enters the other in the same script, so a client that dies between two calls (or while a
 * call is in flight) leaves every id in exactly one list, never in none or in two.
 *
 * A call handles at most {@link LIST_SCRIPT_BATCH} ids, so that it stays short on the server
 * (each id costs an LREM, which scans the list from its head until it finds the id). The caller
 * sends bigger sets in several calls, one after the other.
 *
 * Keys come from `listQueueKeys` (with the queue's layout: see keys.ts and layout.ts); the job
 * hashes are computed by the caller and passed as KEYS. In a Cluster they all share a slot when
 * the queue name carries a hash tag (`{emails}`, with the default names and job prefix
 * `{emails}:job:`), as the queue client requires anyway; on a standalone server any names work.
 */
import { define } from '../lua';
import { LUA_LIST_DELETE_JOB, LUA_LIST_REQUEUE, LUA_LIST_RETRY_DEAD } from '../luaSources.generated';

/** Ids per call of {@link LIST_REQUEUE} and {@link LIST_RETRY_DEAD}. */
export const LIST_SCRIPT_BATCH = 100;

/**
 * Requeue: moves ids from processing back to waiting. For each id: LREM from processing (count 1,
 * from the head); only if that removed it, ZREM its started-at stamp and RPUSH it on waiting (the
 * right end, which workers take next). An id not in processing is left alone.
 * With a threshold, only ids whose started-at stamp (server time) is more than that many ms old
 * move; ids without a stamp stay (the reaper stamps them first). The script reads the server's
 * clock itself (one clock for every client, no race between reading the stamp and moving).
 * KEYS[1] processing, KEYS[2] waiting, KEYS[3] started (left out for a layout without started-at
 * stamps: then nothing is unstamped, and with a threshold nothing moves, as no age is known).
 * ARGV[1] threshold in ms, or '' for none, ARGV[2..] ids. Returns one integer per id, in order:
 * 1 moved, 0 not.
 */
export const LIST_REQUEUE = define('listRequeue', LUA_LIST_REQUEUE);

/**
 * Retry dead: moves ids from the dead list back to waiting. For each id: LREM from dead (count 1,
 * from the head); only if that removed it, reset the job's attempts to 0 and drop its dead-at
 * stamp (when the job hash exists: a missing hash is never created), then RPUSH the id on
 * waiting. An id not in the dead list is a no-op: no list, hash or field is created or changed
 * (a live job keeps its attempts).
 * KEYS[1] dead, KEYS[2] waiting, KEYS[3..] the job hash of each id (KEYS[i] belongs to ARGV[i]).
 * ARGV[1] attempts field, ARGV[2] dead-at field, ARGV[3..] ids.
 * Returns one integer per id, in order: 1 moved, 0 not.
 */
export const LIST_RETRY_DEAD = define('listRetryDead', LUA_LIST_RETRY_DEAD);

/**
 * Delete a job: every occurrence of its id in waiting, processing and dead, its started-at stamp
 * and its hash, in one step.
 * KEYS[1] waiting, KEYS[2] processing, KEYS[3] dead, KEYS[4] job hash, KEYS[5] started (left out
 * for a layout without started-at stamps). ARGV[1] id.
 * Returns how many things were removed (list elements + stamp + hash); 0 if the job was unknown.
 */
export const LIST_DELETE_JOB = define('listDeleteJob', LUA_LIST_DELETE_JOB);
