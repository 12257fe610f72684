-- Renews the leases of entries a worker holds (XCLAIM 0 JUSTID to the same consumer).
-- KEYS[1] stream.
-- ARGV[1] group, ARGV[2] consumer, ARGV[3..] ids.
-- Reply: the lost ids and their owner ('' when no longer pending), alternating.

local keep, lost = {}, {}
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if #p == 0 then
    lost[#lost + 1] = ARGV[i]
    lost[#lost + 1] = ''
  elseif p[1][2] ~= ARGV[2] then
    lost[#lost + 1] = ARGV[i]
    lost[#lost + 1] = p[1][2]
  else
    keep[#keep + 1] = ARGV[i]
  end
end
if #keep > 0 then
  keep[#keep + 1] = 'JUSTID'
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, unpack(keep))
end
return lost
