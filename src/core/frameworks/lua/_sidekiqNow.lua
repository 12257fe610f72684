-- Fragment: the server's time as locals tm (TIME's reply) and now (Sidekiq's float seconds, as text).

local tm = redis.call('TIME')
local now = tm[1] .. '.' .. string.format('%06d', tonumber(tm[2]))
