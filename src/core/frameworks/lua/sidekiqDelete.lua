-- Sidekiq delete: ZREM of the entry.
-- KEYS[1] the set, KEYS[2..] the other sets.
-- ARGV[1] member, ARGV[2] score.
-- Reply: {1} or {0, where}.

--#include _sidekiqLocate.lua LOOKUP_FROM=2
redis.call('ZREM', KEYS[1], ARGV[1])
return {1}
