-- Writes a message into a stream at most once, across Cluster slots: XADD and a marker key set to
-- the new id, unless the marker says it was written already.
-- KEYS[1] the stream, KEYS[2] the marker key (in its slot).
-- ARGV[1..] the message.
-- Reply: the new id, or {marker's value} when it was written already.
-- Refusal (nothing written): {'wrongtype', type} of KEYS[1].

local done = redis.call('GET', KEYS[2])
if done then return {done} end
--#include _streamOrNone.lua TARGET_KEY=KEYS[1]
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV))
redis.call('SET', KEYS[2], id)
return id
