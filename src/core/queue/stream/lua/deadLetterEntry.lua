-- Dead-letters one pending entry: its record (the header, x-dlq-fields, its message) XADDed to the
-- dead-letter stream, the entry XACKed (and XDELed), atomically.
-- KEYS[1] stream, KEYS[2] dead-letter stream.
-- ARGV[1] group, ARGV[2] id, ARGV[3] '1' to XDEL from the stream, ARGV[4] '1' to dead-letter an
-- entry whose body is gone, ARGV[5..] the header pairs up to (not including) x-dlq-fields.
-- Reply: the DLQ id; false when the entry is not pending in the group; {'big', n} when its n field
-- arguments are more than one call may pass on (7900: MAX_SCRIPT_ARGS in ../deadLetter.ts).
-- Refusals (nothing written): {'wrongtype', type} of KEYS[2]; {'gone'} when its body is gone (not forced).

local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #p == 0 then return false end
--#include _streamOrNone.lua TARGET_KEY=KEYS[2]
local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
local f = e[1] and e[1][2] or {}
if not e[1] and ARGV[4] ~= '1' then return {'gone'} end
if #f + #ARGV > 7900 then return {'big', #f} end
local args = {}
for j = 5, #ARGV do args[#args + 1] = ARGV[j] end
args[#args + 1] = 'x-dlq-fields'
args[#args + 1] = tostring(#f / 2)
for j = 1, #f do args[#args + 1] = f[j] end
local id = redis.call('XADD', KEYS[2], '*', unpack(args))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '1' then redis.call('XDEL', KEYS[1], ARGV[2]) end
return id
