-- RQ delete, as Job.delete: the id out of its queue and every registry, the job's keys deleted.
-- KEYS[1] job hash, KEYS[2] queue list, KEYS[3..8] registries, KEYS[9] dependents, KEYS[10] dependencies, KEYS[11] results.
-- ARGV[1] id.
-- Reply: {existed, entries removed}.

local existed = redis.call('EXISTS', KEYS[1])
local n = redis.call('LREM', KEYS[2], 0, ARGV[1])
for i = 3, 8 do n = n + redis.call('ZREM', KEYS[i], ARGV[1]) end
redis.call('DEL', KEYS[1], KEYS[9], KEYS[10], KEYS[11])
return {existed, n}
