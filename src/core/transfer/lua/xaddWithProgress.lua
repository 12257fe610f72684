-- An import's batch with its progress: XADD * each message in order, stopping at the first refused,
-- then SET the run's progress key to the last line written.
-- KEYS[1] stream, KEYS[2] the run's progress key.
-- ARGV[1] the key's ttl (s), then per message: its line, its field-argument count, its field arguments.
-- Reply: the new ids, and the refusal last when there was one.

local key, pcall = KEYS[1], redis.pcall
local ids, k, line = {}, 0, nil
local i, n = 2, #ARGV
while i <= n do
  local l, c = ARGV[i], tonumber(ARGV[i + 1])
  i = i + 2
  local r = pcall('XADD', key, '*', unpack(ARGV, i, i + c - 1))
  k = k + 1
  ids[k] = r
  if type(r) == 'table' then break end
  line = l
  i = i + c
end
if line then redis.call('SET', KEYS[2], line, 'EX', ARGV[1]) end
return ids
