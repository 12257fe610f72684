-- Fragment: the server's time in ms, as locals tm (TIME's reply) and now (one clock for every worker).

local tm = redis.call('TIME')
local now = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)
