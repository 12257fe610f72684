-- Replays one dead letter: its message XADDed to the target and (unless kept) the record XDELed
-- from the dead-letter stream, atomically, only while the record is still there.
-- KEYS[1] dead-letter stream, KEYS[2] target.
-- ARGV[1] DLQ id, ARGV[2] '1' to keep the record, ARGV[3..] the message.
-- Reply: the new id, or false when the record is no longer in the dead-letter stream.
-- Refusal (nothing written): {'wrongtype', type} of KEYS[2].

if #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) == 0 then return false end
--#include _streamOrNone.lua TARGET_KEY=KEYS[2]
local id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 3))
if ARGV[2] ~= '1' then redis.call('XDEL', KEYS[1], ARGV[1]) end
return id
