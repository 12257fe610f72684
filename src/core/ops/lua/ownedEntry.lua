-- Acks an entry, or renews its lease (XCLAIM 0 JUSTID), only while the consumer holds it.
-- KEYS[1] stream.
-- ARGV[1] group, ARGV[2] id, ARGV[3] consumer, ARGV[4] 'ack' or 'renew'.
-- Reply: {1 done | 0, owner} (owner '' when pending nowhere).


local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #p == 0 then return {0, ''} end
local owner = p[1][2]
if owner ~= ARGV[3] then return {0, owner} end
if ARGV[4] == 'ack' then return {redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]), owner} end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'JUSTID')
return {1, owner}
