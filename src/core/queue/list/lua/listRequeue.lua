-- List-queue repair, requeue: ids from processing back to waiting (right end), with a threshold only
-- those stamped more than that many ms ago.
-- KEYS[1] processing, KEYS[2] waiting, KEYS[3] started (absent for a layout without stamps).
-- ARGV[1] threshold ms or '', ARGV[2..] ids.
-- Reply: one integer per id, 1 moved, 0 not.

local limit = tonumber(ARGV[1])
local started = KEYS[3]
local now
if limit then
  local tm = redis.call('TIME')
  now = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)
end
local out = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  local moved = 0
  local due = true
  if limit then
    local s = started and redis.call('ZSCORE', started, id)
    due = s and now - tonumber(s) > limit
  end
  if due and redis.call('LREM', KEYS[1], 1, id) > 0 then
    if started then redis.call('ZREM', started, id) end
    redis.call('RPUSH', KEYS[2], id)
    moved = 1
  end
  out[i - 1] = moved
end
return out
