-- Delivers one entry to a consumer (XREADGROUP '>', COUNT 1) only when it is the group's next
-- undelivered entry.
-- KEYS[1] stream.
-- ARGV[1] group, ARGV[2] consumer, ARGV[3] id.
-- Reply: the XREADGROUP reply.
-- Refusals (nothing written): {'nogroup'} when the group does not exist; {'not-next', the next
-- undelivered id or ''} when the entry is not the next one.

local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
local last
for _, g in ipairs(groups) do
  local name, lid
  for j = 1, #g, 2 do
    if g[j] == 'name' then name = g[j + 1] end
    if g[j] == 'last-delivered-id' then lid = g[j + 1] end
  end
  if name == ARGV[1] then last = lid end
end
if not last then return {'nogroup'} end
local r = redis.call('XRANGE', KEYS[1], last, '+', 'COUNT', 2)
local nxt = ''
for _, e in ipairs(r) do
  if e[1] ~= last then nxt = e[1]; break end
end
if nxt ~= ARGV[3] then return {'not-next', nxt} end
return redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', 1, 'STREAMS', KEYS[1], '>')
