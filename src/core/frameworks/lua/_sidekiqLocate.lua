-- Fragment: goes on only when the exact member ARGV[1] is in KEYS[1] with score ARGV[2]; else returns
-- {0, where}: 'in:<i>' (in KEYS[i], i from LOOKUP_FROM), 'rescored:<score>' or 'gone'.
-- LOOKUP_FROM: the first of the other sets' KEYS (set by the include line).

local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not s or tonumber(s) ~= tonumber(ARGV[2]) then
  for i = LOOKUP_FROM, #KEYS do
    if redis.call('ZSCORE', KEYS[i], ARGV[1]) then return {0, 'in:' .. i} end
  end
  if s then return {0, 'rescored:' .. s} end
  return {0, 'gone'}
end
