-- List queue enqueue: HSET the job hash and LPUSH the id, atomically; an existing id is left alone.
-- KEYS[1] waiting, KEYS[2] job hash.
-- ARGV[1] id, ARGV[2] createdAt field, ARGV[3] attempts field, ARGV[4..] payload field/value pairs.
-- Reply: 1, or 0 when the job hash existed.

if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
--#include _now.lua
local args = {'HSET', KEYS[2], ARGV[2], now, ARGV[3], 0}
for j = 4, #ARGV do args[#args + 1] = ARGV[j] end
redis.call(unpack(args))
redis.call('LPUSH', KEYS[1], ARGV[1])
return 1
