-- List queue take (right after BLMOVE): stamps started-at, counts the attempt.
-- KEYS[1] processing, KEYS[2] started, KEYS[3] job hash.
-- ARGV[1] id, ARGV[2] attempts field.
-- Reply: the HGETALL of the job hash, or false (the id dropped) when the hash is gone.

--#include _now.lua
if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('LREM', KEYS[1], -1, ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return false
end
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
return redis.call('HGETALL', KEYS[3])
