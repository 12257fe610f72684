/** Lua scripts of the list-queue producer and worker (see ../lua.ts for how they run). */
import { define } from '../lua';

/** Server time in ms, inside scripts (one clock for every worker). */
const NOW = `local tm = redis.call('TIME')
local now = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)`;

/**
 * List queue enqueue: HSET the job hash and LPUSH the id, atomically. Refuses an existing id.
 * KEYS[1] waiting, KEYS[2] job hash. ARGV[1] id, ARGV[2] createdAt field, ARGV[3] attempts field,
 * ARGV[4..] payload field/value pairs. Returns 1, or 0 if the job hash existed.
 */
export const LIST_ENQUEUE = define(
  'listEnqueue',
  `if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
${NOW}
local args = {'HSET', KEYS[2], ARGV[2], now, ARGV[3], 0}
for j = 4, #ARGV do args[#args + 1] = ARGV[j] end
redis.call(unpack(args))
redis.call('LPUSH', KEYS[1], ARGV[1])
return 1`,
);

/**
 * List queue take (right after BLMOVE): stamps started-at, counts the attempt, returns the hash.
 * KEYS[1] processing, KEYS[2] started, KEYS[3] job hash. ARGV[1] id, ARGV[2] attempts field.
 * Returns the HGETALL reply, or false (and drops the id) if the job hash is gone.
 */
export const LIST_TAKE = define(
  'listTake',
  `${NOW}
if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('LREM', KEYS[1], -1, ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return false
end
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
return redis.call('HGETALL', KEYS[3])`,
);

/**
 * List queue ack: drops the id from processing and started and deletes the job hash.
 * KEYS[1] processing, KEYS[2] started, KEYS[3] job hash. ARGV[1] id. Returns LREM's count.
 */
export const LIST_ACK = define(
  'listAck',
  `local n = redis.call('LREM', KEYS[1], -1, ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
return n`,
);

/**
 * List queue release (retry or dead-letter): drops the id from processing/started, records the
 * error in the hash and pushes the id on the target list (waiting for a retry, dead for a DLQ).
 * KEYS[1] processing, KEYS[2] started, KEYS[3] job hash, KEYS[4] target list. ARGV[1] id,
 * ARGV[2] error field, ARGV[3] error text, ARGV[4] optional dead-at field, ARGV[5] attempts field,
 * ARGV[6] the attempt the caller ran (the job is the caller's only while its attempts are that).
 * Returns 1, or 0 if the id was no longer in processing or taken again since (someone else owns it now).
 */
export const LIST_RELEASE = define(
  'listRelease',
  `if redis.call('HGET', KEYS[3], ARGV[5]) ~= ARGV[6] then return 0 end
local n = redis.call('LREM', KEYS[1], -1, ARGV[1])
if n == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
if ARGV[4] and ARGV[4] ~= '' then
  ${NOW.replace(/\n/g, '\n  ')}
  redis.call('HSET', KEYS[3], ARGV[4], now)
end
redis.call('LPUSH', KEYS[4], ARGV[1])
return 1`,
);

/**
 * List queue reaper: returns ids in processing longer than the visibility timeout to the waiting
 * list (to the right end, so they are taken next), and stamps ids that have no started-at (a
 * worker crashed between BLMOVE and its stamp) so that they time out in turn.
 * KEYS[1] processing, KEYS[2] started, KEYS[3] waiting. ARGV[1] visibility ms, ARGV[2] max ids
 * looked at. Returns {returned, stamped}.
 */
export const LIST_REAP = define(
  'listReap',
  `${NOW}
local ids = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
local returned, stamped = 0, 0
for _, id in ipairs(ids) do
  local s = redis.call('ZSCORE', KEYS[2], id)
  if not s then
    redis.call('ZADD', KEYS[2], now, id)
    stamped = stamped + 1
  elseif now - tonumber(s) >= tonumber(ARGV[1]) then
    if redis.call('LREM', KEYS[1], -1, id) > 0 then
      redis.call('ZREM', KEYS[2], id)
      redis.call('RPUSH', KEYS[3], id)
      returned = returned + 1
    end
  end
end
return {returned, stamped}`,
);

/**
 * List queue lease renewal: re-stamps started-at (server time) of the jobs a worker holds (running
 * or waiting for a retry), each only while it is still that worker's: stamped (in processing) and
 * its attempts still the ones the worker took it with (a job the reaper returned and another
 * worker took has more). So a reaper never returns a job whose worker is alive.
 * KEYS[1] started, KEYS[2..] job hashes. ARGV[1] attempts field, then per job (KEYS[i + 1]):
 * ARGV[2i] id, ARGV[2i + 1] attempts. Returns the ids no longer the worker's.
 */
export const LIST_RENEW = define(
  'listRenew',
  `${NOW}
local lost = {}
for i = 1, #KEYS - 1 do
  local id, attempts = ARGV[2 * i], ARGV[2 * i + 1]
  if redis.call('ZSCORE', KEYS[1], id) and redis.call('HGET', KEYS[i + 1], ARGV[1]) == attempts then
    redis.call('ZADD', KEYS[1], 'XX', now, id)
  else
    lost[#lost + 1] = id
  end
end
return lost`,
);
