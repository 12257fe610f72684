-- List queue lease renewal: re-stamps started-at of each job still the worker's.
-- KEYS[1] started, KEYS[2..] job hashes.
-- ARGV[1] attempts field, then per job (KEYS[i + 1]) ARGV[2i] id, ARGV[2i + 1] attempts.
-- Reply: the ids no longer the worker's.

--#include _now.lua
local lost = {}
for i = 1, #KEYS - 1 do
  local id, attempts = ARGV[2 * i], ARGV[2 * i + 1]
  if redis.call('ZSCORE', KEYS[1], id) and redis.call('HGET', KEYS[i + 1], ARGV[1]) == attempts then
    redis.call('ZADD', KEYS[1], 'XX', now, id)
  else
    lost[#lost + 1] = id
  end
end
return lost
