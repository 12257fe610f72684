-- A worker's read of new entries with the acks of its previous batch: XACK, then XREADGROUP.
-- KEYS[1] stream.
-- ARGV[1] group, ARGV[2] consumer, ARGV[3] COUNT, ARGV[4..] ids to XACK first.
-- Reply: {acked, cmsgpack-packed entries | false (none) | the XREADGROUP error}.

local acked = 0
if #ARGV > 3 then acked = redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 4)) end
local r = redis.pcall('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if type(r) == 'table' and r.err then return {acked, r} end
if not r then return {acked, false} end
return {acked, cmsgpack.pack(r[1][2])}
