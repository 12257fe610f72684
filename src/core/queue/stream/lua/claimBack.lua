-- Takes back an entry for a retry, only while it is still this consumer's and not delivered since.
-- KEYS[1] stream.
-- ARGV[1] group, ARGV[2] consumer, ARGV[3] id, ARGV[4] expected delivery count.
-- Reply: {'claimed', XCLAIM reply} | {'gone', ''} | {'taken', owner} | {'delivered', count}.

local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 then return {'gone', ''} end
if p[1][2] ~= ARGV[2] then return {'taken', p[1][2]} end
if tostring(p[1][4]) ~= ARGV[4] then return {'delivered', tostring(p[1][4])} end
return {'claimed', redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3])}
