/**
 * Celery's one recovery on a Redis broker, done as kombu does it: an unacknowledged message whose
 * worker is gone goes back to its queue (kombu's QoS.restore_by_tag and
 * Channel._do_restore_message, which a worker runs when it starts or in its periodic restore).
 * One Lua script per task, atomically: HGET the entry from `unacked`, ZREM it from
 * `unacked_index`, HDEL it from `unacked`, and RPUSH the message to each queue the exchange routes
 * its routing key to (the right end: workers BRPOP it next; kombu pushes to the queue's own list,
 * not a priority list). Like kombu, the `redelivered` header and the
 * `properties.delivery_info.redelivered` flag are set to true, here by a textual edit of those
 * two members only, so that every other byte (the body above all) stays as stored; kombu
 * re-encodes the message with Python's json.dumps, whose output for the same change is the same
 * text (the tests compare the two byte for byte).
 */
import type { RedisClient } from '../connection';
import { runScript, define } from '../queue/lua';
import { celeryConfig, type CeleryOptions, deliveryTagOf, KOMBU_SEP, parseUnacked } from './celery';
import type { FwAction, FwActionResult, FwJob, FwRow } from './framework';

/** A JSON scanner in Lua (strings with escapes, nesting) to find an object's member by key. */
const LUA_JSON = `
local function ws(s, i) return string.find(s, '[^ \\t\\r\\n]', i) end
local function str_end(s, i)
  local j = i + 1
  while true do
    local c = string.find(s, '["\\\\]', j)
    if not c then return nil end
    if string.byte(s, c) == 92 then j = c + 2 else return c end
  end
end
local function val_end(s, i)
  local b = string.byte(s, i)
  if b == 34 then return str_end(s, i) end
  if b == 123 or b == 91 then
    local depth, j = 0, i
    while true do
      local c = string.find(s, '[%[%]{}"]', j)
      if not c then return nil end
      local cb = string.byte(s, c)
      if cb == 34 then
        c = str_end(s, c)
        if not c then return nil end
      elseif cb == 123 or cb == 91 then depth = depth + 1
      else
        depth = depth - 1
        if depth == 0 then return c end
      end
      j = c + 1
    end
  end
  local e = string.find(s, '[,}%] \\t\\r\\n]', i)
  if not e then return #s end
  return e - 1
end
-- The member key of the object starting at i: value start, value end; or nil, nil, closing brace.
local function member(s, i, key)
  local j = ws(s, i + 1)
  if string.byte(s, j) == 125 then return nil, nil, j end
  while true do
    local ke = str_end(s, j)
    local k = cjson.decode(string.sub(s, j, ke))
    local vs = ws(s, ws(s, ke + 1) + 1)
    local ve = val_end(s, vs)
    if k == key then return vs, ve end
    local n = ws(s, ve + 1)
    if string.byte(s, n) == 125 then return nil, nil, n end
    j = ws(s, n + 1)
  end
end
-- Sets key to true in the object starting at i, as Python's json.dumps writes a new last member.
local function set_true(s, i, key)
  local vs, ve, close = member(s, i, key)
  if vs then return string.sub(s, 1, vs - 1) .. 'true' .. string.sub(s, ve + 1) end
  local sep = ', '
  if ws(s, i + 1) == close then sep = '' end
  return string.sub(s, 1, close - 1) .. sep .. '"' .. key .. '": true' .. string.sub(s, close)
end`;

/**
 * Requeue one unacknowledged message (kombu's restore_by_tag). KEYS[1] unacked, KEYS[2]
 * unacked_index, KEYS[3] the exchange's binding set (unused for the anonymous exchange),
 * KEYS[4..] the queues it routes to. ARGV[1] the delivery tag, ARGV[2] the delivery-time ceiling
 * (seconds; 'force' for none), ARGV[3] exchange, ARGV[4] routing key.
 * Returns {1} requeued, {0} not in unacked, {2, score} delivered after the ceiling (or no
 * delivery time), {3} not a kombu message, {4} the queues bound changed.
 */
export const CELERY_REQUEUE = define(
  'celeryRequeue',
  `${LUA_JSON}
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return {0} end
if ARGV[2] ~= 'force' then
  local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
  if not score or tonumber(score) > tonumber(ARGV[2]) then return {2, score or ''} end
end
local ok, entry = pcall(cjson.decode, raw)
if not ok or type(entry) ~= 'table' or type(entry[1]) ~= 'table' or entry[2] ~= ARGV[3] or entry[3] ~= ARGV[4] then return {3} end
-- The queues kombu's _lookup gives: the routing key for the anonymous exchange, else the queues
-- bound to the exchange with that routing key (a direct exchange, Celery's default).
local want = {}
if ARGV[3] == '' then
  want[ARGV[4]] = true
else
  for _, b in ipairs(redis.call('SMEMBERS', KEYS[3])) do
    local s1 = string.find(b, '\\6\\22', 1, true)
    local s2 = s1 and string.find(b, '\\6\\22', s1 + 2, true)
    if s2 and string.sub(b, 1, s1 - 1) == ARGV[4] then want[string.sub(b, s2 + 2)] = true end
  end
end
local n = 0
for _ in pairs(want) do n = n + 1 end
if n ~= #KEYS - 3 then return {4} end
for i = 4, #KEYS do if not want[KEYS[i]] then return {4} end end
-- The message's text: the first element of the entry's array.
local ms = ws(raw, 2)
local me = val_end(raw, ms)
local m = string.sub(raw, ms, me)
local headers = entry[1]['headers']
if headers ~= nil then
  if type(headers) ~= 'table' then return {3} end
  local hs = member(m, 1, 'headers')
  m = set_true(m, hs, 'redelivered')
  local props = entry[1]['properties']
  if type(props) == 'table' and type(props['delivery_info']) == 'table' then
    local ps = member(m, 1, 'properties')
    local ds = member(m, ps, 'delivery_info')
    m = set_true(m, ds, 'redelivered')
  end
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
for i = 4, #KEYS do redis.call('RPUSH', KEYS[i], m) end
return {1}`,
);

/** How a requeue run behaves. */
export interface CeleryRequeueOptions extends CeleryOptions {
  /** Requeue also tasks delivered less than the visibility timeout ago (their worker may still hold them). */
  force?: boolean;
}

/** The queues kombu's restore would push an unacknowledged message to (undefined: none bound). */
async function destinations(client: RedisClient, exchange: string, routingKey: string): Promise<string[] | undefined> {
  if (!exchange) return routingKey ? [routingKey] : undefined;
  const key = `_kombu.binding.${exchange}`;
  if ((await client.scard(key)) > 1000) return undefined;
  const out = new Set<string>();
  for (const b of await client.smembers(key)) {
    const [rk, , queue] = b.split(KOMBU_SEP);
    if (rk === routingKey && queue !== undefined) out.add(queue);
  }
  return out.size ? [...out] : undefined;
}

/** Requeues unacknowledged tasks as kombu's restore does, one atomic script each; says per task what happened. */
export async function requeueCeleryTasks(client: RedisClient, jobs: readonly FwJob[], options: CeleryRequeueOptions = {}): Promise<FwActionResult> {
  const c = celeryConfig(options);
  const out: FwActionResult = { done: [], skipped: [] };
  for (const job of jobs) {
    const tag = deliveryTagOf(job);
    if (!tag) {
      out.skipped.push({ id: job.id, reason: 'no delivery tag (not a reserved task)' });
      continue;
    }
    const raw = await client.hget(c.unackedKey, tag);
    if (raw === null) {
      out.skipped.push({ id: job.id, reason: await goneReason(client, c.resultPrefix, job.id) });
      continue;
    }
    const u = parseUnacked(tag, raw);
    const dest = u.message ? await destinations(client, u.exchange, u.routingKey) : undefined;
    if (!u.message || !dest) {
      out.skipped.push({ id: job.id, reason: u.message ? `no queue bound to exchange "${u.exchange}" with routing key "${u.routingKey}"` : 'not a kombu message' });
      continue;
    }
    const ceiling = options.force ? 'force' : String(Date.now() / 1000 - c.visibilityTimeout);
    const binding = u.exchange ? `_kombu.binding.${u.exchange}` : `_kombu.binding.${u.routingKey}`;
    const r = (await runScript(client, CELERY_REQUEUE, [c.unackedKey, c.unackedIndexKey, binding, ...dest], [tag, ceiling, u.exchange, u.routingKey])) as [number, Buffer?];
    const code = Number(r[0]);
    if (code === 1) out.done.push(job.id);
    else if (code === 0) out.skipped.push({ id: job.id, reason: await goneReason(client, c.resultPrefix, job.id) });
    else if (code === 2) out.skipped.push({ id: job.id, reason: `not past the visibility timeout (${c.visibilityTimeout} s): its worker may still hold it` });
    else if (code === 3) out.skipped.push({ id: job.id, reason: 'not a kombu message' });
    else out.skipped.push({ id: job.id, reason: 'its exchange\'s bindings changed meanwhile' });
  }
  return out;
}

/** Why a task is no longer unacknowledged: acknowledged (its result says so) or gone. */
async function goneReason(client: RedisClient, resultPrefix: string, id: string): Promise<string> {
  const meta = await client.get(`${resultPrefix}${id}`).catch(() => null);
  try {
    const status = meta ? (JSON.parse(meta) as { status?: string }).status : undefined;
    if (status && status !== 'STARTED' && status !== 'PENDING') return `acknowledged (now ${status})`;
  } catch {
    /* not Celery's */
  }
  return 'gone (acknowledged, or restored to its queue by a worker)';
}

/** The Requeue action with options (visibility timeout, kombu's key names, force). */
export function celeryRequeueWith(options: CeleryRequeueOptions = {}): FwAction {
  return {
    name: 'requeue',
    title: 'Requeue',
    past: 'Requeued',
    detail: options.force
      ? 'Each task goes back to the head of its queue as kombu restores it (marked redelivered), even if its worker may still hold it: it may then run twice.'
      : 'Each task delivered longer ago than the visibility timeout goes back to the head of its queue as kombu restores it (marked redelivered); a worker runs it next.',
    states: ['reserved'],
    run: (client: RedisClient, _row: FwRow, _state: string, jobs: FwJob[]) => requeueCeleryTasks(client, jobs, options),
  };
}

/** Requeue (kombu's defaults: only tasks delivered over 3600 s ago). */
export const celeryRequeue: FwAction = celeryRequeueWith();

/** The actions to register for Celery. */
export const celeryActions: readonly FwAction[] = [celeryRequeue];
