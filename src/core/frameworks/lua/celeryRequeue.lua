-- Celery requeue of one unacknowledged message, as kombu's restore_by_tag (see celeryActions.ts).
-- KEYS[1] unacked, KEYS[2] unacked_index, KEYS[3] the exchange's binding set, KEYS[4..] the queues it routes to.
-- ARGV[1] delivery tag, ARGV[2] delivery-time ceiling (s) or 'force', ARGV[3] exchange, ARGV[4] routing key.
-- Reply: {1} requeued, {0} not in unacked, {2, score} delivered after the ceiling, {3} not a kombu
-- message, {4} the queues bound changed.


--#include _celeryJson.lua
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return {0} end
if ARGV[2] ~= 'force' then
  local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
  if not score or tonumber(score) > tonumber(ARGV[2]) then return {2, score or ''} end
end
local ok, entry = pcall(cjson.decode, raw)
if not ok or type(entry) ~= 'table' or type(entry[1]) ~= 'table' or entry[2] ~= ARGV[3] or entry[3] ~= ARGV[4] then return {3} end
-- The queues kombu's _lookup gives: the routing key for the anonymous exchange, else the queues
-- bound to the exchange with that routing key (a direct exchange, Celery's default).
local want = {}
if ARGV[3] == '' then
  want[ARGV[4]] = true
else
  for _, b in ipairs(redis.call('SMEMBERS', KEYS[3])) do
    local s1 = string.find(b, '\6\22', 1, true)
    local s2 = s1 and string.find(b, '\6\22', s1 + 2, true)
    if s2 and string.sub(b, 1, s1 - 1) == ARGV[4] then want[string.sub(b, s2 + 2)] = true end
  end
end
local n = 0
for _ in pairs(want) do n = n + 1 end
if n ~= #KEYS - 3 then return {4} end
for i = 4, #KEYS do if not want[KEYS[i]] then return {4} end end
-- The message's text: the first element of the entry's array.
local ms = ws(raw, 2)
local me = val_end(raw, ms)
local m = string.sub(raw, ms, me)
local headers = entry[1]['headers']
if headers ~= nil then
  if type(headers) ~= 'table' then return {3} end
  local hs = member(m, 1, 'headers')
  m = set_true(m, hs, 'redelivered')
  local props = entry[1]['properties']
  if type(props) == 'table' and type(props['delivery_info']) == 'table' then
    local ps = member(m, 1, 'properties')
    local ds = member(m, ps, 'delivery_info')
    m = set_true(m, ds, 'redelivered')
  end
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
for i = 4, #KEYS do redis.call('RPUSH', KEYS[i], m) end
return {1}
