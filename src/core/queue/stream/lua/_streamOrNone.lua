-- Fragment: refuses (before anything is written) a key that holds another type than a stream; an
-- absent key is fine. TARGET_KEY: the key (set by the include line).
-- Refusal: {'wrongtype', its type}.

local t = redis.call('TYPE', TARGET_KEY).ok
if t ~= 'none' and t ~= 'stream' then return {'wrongtype', t} end
