-- List-queue repair, delete a job: its id from waiting, processing and dead, its stamp and its hash.
-- KEYS[1] waiting, KEYS[2] processing, KEYS[3] dead, KEYS[4] job hash, KEYS[5] started (optional).
-- ARGV[1] id.
-- Reply: how many things were removed (0: unknown job).

local id = ARGV[1]
local n = redis.call('LREM', KEYS[1], 0, id)
n = n + redis.call('LREM', KEYS[2], 0, id)
n = n + redis.call('LREM', KEYS[3], 0, id)
n = n + redis.call('DEL', KEYS[4])
if KEYS[5] then n = n + redis.call('ZREM', KEYS[5], id) end
return n
