-- List queue ack: the id out of processing and started, the job hash deleted.
-- KEYS[1] processing, KEYS[2] started, KEYS[3] job hash.
-- ARGV[1] id.
-- Reply: LREM's count.

local n = redis.call('LREM', KEYS[1], -1, ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
return n
