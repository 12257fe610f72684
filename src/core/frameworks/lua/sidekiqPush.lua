-- Sidekiq push (Retry Now, Add to Queue): ZREM the entry, SADD the queue name, LPUSH the payload.
-- KEYS[1] the set, KEYS[2] queue:<name>, KEYS[3] queues, KEYS[4..] the other sets.
-- ARGV[1] member, ARGV[2] score, ARGV[3] queue name, ARGV[4..] payload pieces (joined with the time).
-- Reply: {1, now} or {0, where}.

--#include _sidekiqLocate.lua LOOKUP_FROM=4
--#include _sidekiqNow.lua
local parts = {}
for i = 4, #ARGV do parts[#parts + 1] = ARGV[i] end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('LPUSH', KEYS[2], table.concat(parts, now))
return {1, now}
