-- List queue reaper: ids in processing longer than the visibility timeout back to waiting (right
-- end), ids without started-at stamped.
-- KEYS[1] processing, KEYS[2] started, KEYS[3] waiting.
-- ARGV[1] visibility ms, ARGV[2] max ids looked at.
-- Reply: {returned, stamped}.

--#include _now.lua
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
return {returned, stamped}
