-- List-queue repair, retry dead: ids from dead back to waiting, attempts reset and dead-at dropped
-- (an existing job hash only).
-- KEYS[1] dead, KEYS[2] waiting, KEYS[3..] the job hash of each id (KEYS[i] for ARGV[i]).
-- ARGV[1] attempts field, ARGV[2] dead-at field, ARGV[3..] ids.
-- Reply: one integer per id, 1 moved, 0 not.

local out = {}
for i = 3, #ARGV do
  local id, job = ARGV[i], KEYS[i]
  local moved = 0
  if redis.call('LREM', KEYS[1], 1, id) > 0 then
    if redis.call('EXISTS', job) == 1 then
      redis.call('HSET', job, ARGV[1], 0)
      redis.call('HDEL', job, ARGV[2])
    end
    redis.call('RPUSH', KEYS[2], id)
    moved = 1
  end
  out[i - 2] = moved
end
return out
