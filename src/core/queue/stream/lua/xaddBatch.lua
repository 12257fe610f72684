-- XADD a chunk of messages in one round trip, then trim once (see XADD_BATCH in ../scripts.ts).
-- KEYS[1] stream.
-- ARGV[1] trim argument count t, ARGV[2..t+1] trim arguments, ARGV[t+2] field arguments per message
-- (0: each message carries its count), ARGV[t+3] '*' when every id is '*'; then per message
-- [id] [count] field/value arguments.
-- Reply: the new ids; the first XADD's error (then nothing after it) or the trim's error last.

local t = tonumber(ARGV[1])
local f = tonumber(ARGV[t + 2])
local auto = ARGV[t + 3] == '*'
local key, pcall = KEYS[1], redis.pcall
local ids, k = {}, 0
local i, n = t + 4, #ARGV
while i <= n do
  local id = '*'
  if not auto then
    id = ARGV[i]
    i = i + 1
  end
  local c = f
  if c == 0 then
    c = tonumber(ARGV[i])
    i = i + 1
  end
  local r = pcall('XADD', key, id, unpack(ARGV, i, i + c - 1))
  k = k + 1
  ids[k] = r
  if type(r) == 'table' then break end
  i = i + c
end
if t > 0 and (k > 1 or type(ids[1]) == 'string') then
  local r = pcall('XTRIM', key, unpack(ARGV, 2, t + 1))
  if type(r) == 'table' and type(ids[k]) ~= 'table' then ids[k + 1] = r end
end
return ids
