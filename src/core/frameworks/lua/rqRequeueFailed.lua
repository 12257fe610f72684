-- RQ requeue failed, as FailedJobRegistry.requeue (see rqActions.ts).
-- KEYS[1] failed registry, KEYS[2] job hash, KEYS[3] queue list, KEYS[4] queues set.
-- ARGV[1] id, ARGV[2] queue key, ARGV[3] queue name, ARGV[4] enqueued_at, ARGV[5] zlib(''), ARGV[6] default timeout.
-- Reply: {1, 'queued'} or {0, where it is now}.

if redis.call('EXISTS', KEYS[2]) == 0 then return {0, 'gone'} end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  local st = redis.call('HGET', KEYS[2], 'status')
  return {0, st and ('now ' .. st) or 'not failed'}
end
local origin = redis.call('HGET', KEYS[2], 'origin')
if origin ~= ARGV[3] then return {0, 'its origin is ' .. tostring(origin)} end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'started_at', '', 'ended_at', '', 'exc_info', ARGV[5], 'status', 'queued', 'enqueued_at', ARGV[4])
if redis.call('HEXISTS', KEYS[2], 'timeout') == 0 then redis.call('HSET', KEYS[2], 'timeout', ARGV[6]) end
redis.call('SADD', KEYS[4], ARGV[2])
redis.call('RPUSH', KEYS[3], ARGV[1])
return {1, 'queued'}
