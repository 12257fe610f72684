/** Lua scripts of the list-queue producer and worker (see ../lua.ts for how they run). */
import { define } from '../lua';
import { LUA_LIST_ACK, LUA_LIST_ENQUEUE, LUA_LIST_REAP, LUA_LIST_RELEASE, LUA_LIST_RENEW, LUA_LIST_TAKE } from '../luaSources.generated';

/**
 * List queue enqueue: HSET the job hash and LPUSH the id, atomically. Refuses an existing id.
 * KEYS[1] waiting, KEYS[2] job hash. ARGV[1] id, ARGV[2] createdAt field, ARGV[3] attempts field,
 * ARGV[4..] payload field/value pairs. Returns 1, or 0 if the job hash existed.
 */
export const LIST_ENQUEUE = define('listEnqueue', LUA_LIST_ENQUEUE);

/**
 * List queue take (right after BLMOVE): stamps started-at, counts the attempt, returns the hash.
 * KEYS[1] processing, KEYS[2] started, KEYS[3] job hash. ARGV[1] id, ARGV[2] attempts field.
 * Returns the HGETALL reply, or false (and drops the id) if the job hash is gone.
 */
export const LIST_TAKE = define('listTake', LUA_LIST_TAKE);

/**
 * List queue ack: drops the id from processing and started and deletes the job hash.
 * KEYS[1] processing, KEYS[2] started, KEYS[3] job hash. ARGV[1] id. Returns LREM's count.
 */
export const LIST_ACK = define('listAck', LUA_LIST_ACK);

/**
 * List queue release (retry or dead-letter): drops the id from processing/started, records the
 * error in the hash and pushes the id on the target list (waiting for a retry, dead for a DLQ).
 * KEYS[1] processing, KEYS[2] started, KEYS[3] job hash, KEYS[4] target list. ARGV[1] id,
 * ARGV[2] error field, ARGV[3] error text, ARGV[4] optional dead-at field, ARGV[5] attempts field,
 * ARGV[6] the attempt the caller ran (the job is the caller's only while its attempts are that).
 * Returns 1, or 0 if the id was no longer in processing or taken again since (someone else owns it now).
 */
export const LIST_RELEASE = define('listRelease', LUA_LIST_RELEASE);

/**
 * List queue reaper: returns ids in processing longer than the visibility timeout to the waiting
 * list (to the right end, so they are taken next), and stamps ids that have no started-at (a
 * worker crashed between BLMOVE and its stamp) so that they time out in turn.
 * KEYS[1] processing, KEYS[2] started, KEYS[3] waiting. ARGV[1] visibility ms, ARGV[2] max ids
 * looked at. Returns {returned, stamped}.
 */
export const LIST_REAP = define('listReap', LUA_LIST_REAP);

/**
 * List queue lease renewal: re-stamps started-at (server time) of the jobs a worker holds (running
 * or waiting for a retry), each only while it is still that worker's: stamped (in processing) and
 * its attempts still the ones the worker took it with (a job the reaper returned and another
 * worker took has more). So a reaper never returns a job whose worker is alive.
 * KEYS[1] started, KEYS[2..] job hashes. ARGV[1] attempts field, then per job (KEYS[i + 1]):
 * ARGV[2i] id, ARGV[2i + 1] attempts. Returns the ids no longer the worker's.
 */
export const LIST_RENEW = define('listRenew', LUA_LIST_RENEW);
