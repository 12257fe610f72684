-- List queue release (retry or dead-letter): the id out of processing/started, the error recorded,
-- the id pushed on the target list; only while the job is still the caller's (its attempts).
-- KEYS[1] processing, KEYS[2] started, KEYS[3] job hash, KEYS[4] target list.
-- ARGV[1] id, ARGV[2] error field, ARGV[3] error text, ARGV[4] dead-at field or '',
-- ARGV[5] attempts field, ARGV[6] the attempt the caller ran.
-- Reply: 1, or 0 when the job is no longer the caller's.

if redis.call('HGET', KEYS[3], ARGV[5]) ~= ARGV[6] then return 0 end
local n = redis.call('LREM', KEYS[1], -1, ARGV[1])
if n == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
if ARGV[4] and ARGV[4] ~= '' then
  --#include _now.lua
  redis.call('HSET', KEYS[3], ARGV[4], now)
end
redis.call('LPUSH', KEYS[4], ARGV[1])
return 1
