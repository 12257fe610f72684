-- Sidekiq kill: the entry as is to the dead set scored now, then the dead set trimmed as DeadSet#kill.
-- KEYS[1] the set, KEYS[2] dead, KEYS[3..] the other sets.
-- ARGV[1] member, ARGV[2] score, ARGV[3] dead_timeout_in_seconds, ARGV[4] dead_max_jobs.
-- Reply: {1, now, trimmed} or {0, where}.

--#include _sidekiqLocate.lua LOOKUP_FROM=2
--#include _sidekiqNow.lua
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], now, ARGV[1])
local cutoff = (tonumber(tm[1]) - tonumber(ARGV[3])) .. '.' .. string.format('%06d', tonumber(tm[2]))
local trimmed = redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', cutoff)
trimmed = trimmed + redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[4]))
return {1, now, trimmed}
