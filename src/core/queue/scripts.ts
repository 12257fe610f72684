/**
 * The Lua scripts of the embedded queue client, and a runner that sends EVALSHA and falls back to
 * EVAL once when the server does not know the script yet (after a restart or SCRIPT FLUSH).
 * Every script touches only the keys it is given, so it works in a Cluster when those keys share
 * a hash slot. Lua strings are byte strings, so Buffer arguments pass through byte-exact.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../connection';

export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

export function define(name: string, lua: string): LuaScript {
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

type Arg = string | Buffer | number;

/** Runs a script: EVALSHA, then EVAL if the server answers NOSCRIPT. Raw (Buffer) reply. */
export async function runScript(client: RedisClient, script: LuaScript, keys: Arg[], args: Arg[]): Promise<unknown> {
  return runScriptArgv(client, script, [script.sha, keys.length, ...keys, ...args]);
}

/**
 * Like {@link runScript}, for callers that build the arguments themselves (no copies of long
 * argument lists): `argv` is `[<anything>, numkeys, ...keys, ...args]`; its first slot is
 * overwritten with the sha (or the script, for the EVAL fallback).
 */
export async function runScriptArgv(client: RedisClient, script: LuaScript, argv: Arg[]): Promise<unknown> {
  try {
    try {
      argv[0] = script.sha;
      return await client.callBuffer('EVALSHA', argv);
    } catch (e) {
      if (!/NOSCRIPT/.test((e as Error).message ?? '')) throw e;
      argv[0] = script.lua;
      return await client.callBuffer('EVAL', argv);
    }
  } catch (e) {
    throw withoutScriptNoise(e);
  }
}

/**
 * Runs a script with EVAL and its body (never NOSCRIPT), for callers that send several calls
 * back to back: with EVALSHA, a call answered NOSCRIPT would be re-sent as EVAL behind calls
 * sent after it, which may have run meanwhile (if another connection loaded the script), so the
 * calls would run out of order. The server caches the compiled script by its SHA1, so EVAL costs
 * it only hashing the body (about 1 KB) per call. `argv` as for {@link runScriptArgv}.
 */
export async function evalScriptArgv(client: RedisClient, script: LuaScript, argv: Arg[]): Promise<unknown> {
  try {
    argv[0] = script.lua;
    return await client.callBuffer('EVAL', argv);
  } catch (e) {
    throw withoutScriptNoise(e);
  }
}

/**
 * Whether an error from running a script means the server will not run it for this client as
 * long as nothing is reconfigured: the ACL user may not (NOPERM, or "The user executing the
 * script can't run this command", on 7.2+ "ACL failure in script", for a command inside it), EVAL/EVALSHA is renamed away or
 * disabled (unknown command, "not allowed"), a Lua library the script uses is missing (cmsgpack:
 * "nonexistent global variable", or "attempt to index ... a nil value" on older servers), or a
 * command the script runs may not run from scripts. Passing refusals (BUSY while another script
 * runs, LOADING, READONLY, MASTERDOWN, CLUSTERDOWN, TRYAGAIN, OOM, a lost connection) are not:
 * the same call can succeed a moment later.
 */
export function isPermanentScriptRefusal(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  if (/^NOPERM/.test(m)) return true;
  // "OOM command not allowed when used memory > 'maxmemory'" says "not allowed" but passes.
  if (/^(OOM|BUSY|LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|MISCONF|NOREPLICAS|MOVED|ASK)\b/.test(m)) return false;
  return /unknown (redis )?command|not allowed|can't run this command|ACL failure in script|nonexistent global variable|attempt to \w+ [^\n]*nil value/i.test(m);
}

/**
 * Drops what Redis adds around errors raised in scripts: the "script: <sha>, on @user_script:N."
 * suffix (7.0+), or the "Error running script (call to f_<sha>): @user_script:N: user_script:N:"
 * prefix (before 7.0), so that the same refusal reads the same on every version.
 */
export function withoutScriptNoise(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const m = e.message
    .replace(/\s*script: [0-9a-f]{40}, on @user_script:\d+\.?\s*$/, '')
    .replace(/^ERR Error running script \(call to f_[0-9a-f]{40}\): @user_script:\d+: (?:@?user_script: ?\d+: )?/, 'ERR ')
    // An error a script caught with pcall and returned, before 7.0: "@user_script: N: <text>".
    .replace(/^@user_script: ?\d+: /, 'ERR ');
  if (m === e.message) return e;
  const clean = new Error(m, { cause: e });
  (clean as Error & { code?: unknown }).code = (e as Error & { code?: unknown }).code;
  return clean;
}

/**
 * XADD a chunk of messages in one round trip, then trim once.
 * KEYS[1] stream. ARGV[1] number of trim arguments t, ARGV[2..t+1] trim arguments (as for XTRIM),
 * ARGV[t+2] field arguments per message f (names and values; 0: each message carries its own
 * count), ARGV[t+3] `*` when every id is `*` (ids are then left out), else empty. Then per
 * message: [id] [count] field/value arguments.
 * Returns the new ids; if an XADD fails, the script stops there and returns the ids written so
 * far followed by that error (a script's writes stay done when it fails, so the caller must learn
 * which were).
 * XADD reads its arguments straight from ARGV (no table per message), and one XTRIM at the end
 * trims for the whole chunk: with exact MAXLEN or MINID that leaves the stream as per-message
 * trimming would, with `~` about the same (whole nodes either way), but with LIMIT n it evicts at
 * most n entries per chunk instead of per message, so the stream can stay longer than per-message
 * trimming would leave it (later chunks and XADDs catch up). If the trim fails after the last
 * XADD succeeded, its error follows the ids (the messages stay written). The common batch (auto ids, the same number of
 * fields in every message) sends only names and values: fewer arguments to encode, parse and
 * copy into Lua on both sides. A message may carry at most a few thousand fields (Lua's unpack
 * limit); callers send larger ones with plain XADD.
 */
export const XADD_BATCH = define(
  'xaddBatch',
  `local t = tonumber(ARGV[1])
local f = tonumber(ARGV[t + 2])
local auto = ARGV[t + 3] == '*'
local key, pcall = KEYS[1], redis.pcall
local ids, k = {}, 0
local i, n = t + 4, #ARGV
while i <= n do
  local id = '*'
  if not auto then
    id = ARGV[i]
    i = i + 1
  end
  local c = f
  if c == 0 then
    c = tonumber(ARGV[i])
    i = i + 1
  end
  local r = pcall('XADD', key, id, unpack(ARGV, i, i + c - 1))
  k = k + 1
  ids[k] = r
  if type(r) == 'table' then break end
  i = i + c
end
if t > 0 and (k > 1 or type(ids[1]) == 'string') then
  local r = pcall('XTRIM', key, unpack(ARGV, 2, t + 1))
  if type(r) == 'table' and type(ids[k]) ~= 'table' then ids[k + 1] = r end
end
return ids`,
);

/**
 * A worker's read of new entries, with the acks of its previous batch: XACK, then XREADGROUP
 * (never blocking inside a script), returning the entries packed by cmsgpack into one value.
 * The client then decodes one MessagePack buffer instead of ~7 protocol values per entry, which
 * costs it about half the CPU per message; the server pays the packing (see StreamWorkerOptions
 * scriptedReads).
 * KEYS[1] stream. ARGV[1] group, ARGV[2] consumer, ARGV[3] COUNT, ARGV[4..] ids to XACK first.
 * Returns {acked, packed entries | false (none) | the XREADGROUP error}. Entries are packed as the
 * reply's entry list: [[id, [field, value, ...]], ...].
 */
export const READ_NEW = define(
  'readNew',
  `local acked = 0
if #ARGV > 3 then acked = redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 4)) end
local r = redis.pcall('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if type(r) == 'table' and r.err then return {acked, r} end
if not r then return {acked, false} end
return {acked, cmsgpack.pack(r[1][2])}`,
);

/**
 * Dead-letters one stream entry atomically: copies its fields plus metadata to the DLQ, XACKs it,
 * and optionally XDELs it from the source. Does nothing (returns false) when the entry is no
 * longer pending in the group, so two workers racing on one entry dead-letter it once.
 * KEYS[1] stream, KEYS[2] dlq. ARGV[1] group, ARGV[2] id, ARGV[3] '1' to XDEL, ARGV[4..] metadata
 * field/value pairs. Returns the DLQ entry id.
 */
export const DEAD_LETTER_ENTRY = define(
  'deadLetterEntry',
  `local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #p == 0 then return false end
local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
local args = {'XADD', KEYS[2], '*'}
if e[1] then
  local f = e[1][2]
  for j = 1, #f do args[#args + 1] = f[j] end
end
for j = 4, #ARGV do args[#args + 1] = ARGV[j] end
local id = redis.call(unpack(args))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '1' then redis.call('XDEL', KEYS[1], ARGV[2]) end
return id`,
);

/** ACK (+ optional XDEL) of the source entry; the second step of the cross-slot dead-letter fallback. */
export const ACK_AND_MAYBE_DEL = define(
  'ackAndMaybeDel',
  `local n = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '1' then redis.call('XDEL', KEYS[1], ARGV[2]) end
return n`,
);

/** Server time in ms, inside scripts (one clock for every worker). */
const NOW = `local tm = redis.call('TIME')
local now = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)`;

/**
 * List queue enqueue: HSET the job hash and LPUSH the id, atomically. Refuses an existing id.
 * KEYS[1] waiting, KEYS[2] job hash. ARGV[1] id, ARGV[2] createdAt field, ARGV[3] attempts field,
 * ARGV[4..] payload field/value pairs. Returns 1, or 0 if the job hash existed.
 */
export const LIST_ENQUEUE = define(
  'listEnqueue',
  `if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
${NOW}
local args = {'HSET', KEYS[2], ARGV[2], now, ARGV[3], 0}
for j = 4, #ARGV do args[#args + 1] = ARGV[j] end
redis.call(unpack(args))
redis.call('LPUSH', KEYS[1], ARGV[1])
return 1`,
);

/**
 * List queue take (right after BLMOVE): stamps started-at, counts the attempt, returns the hash.
 * KEYS[1] processing, KEYS[2] started, KEYS[3] job hash. ARGV[1] id, ARGV[2] attempts field.
 * Returns the HGETALL reply, or false (and drops the id) if the job hash is gone.
 */
export const LIST_TAKE = define(
  'listTake',
  `${NOW}
if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('LREM', KEYS[1], -1, ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return false
end
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
return redis.call('HGETALL', KEYS[3])`,
);

/**
 * List queue ack: drops the id from processing and started and deletes the job hash.
 * KEYS[1] processing, KEYS[2] started, KEYS[3] job hash. ARGV[1] id. Returns LREM's count.
 */
export const LIST_ACK = define(
  'listAck',
  `local n = redis.call('LREM', KEYS[1], -1, ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
return n`,
);

/**
 * List queue release (retry or dead-letter): drops the id from processing/started, records the
 * error in the hash and pushes the id on the target list (waiting for a retry, dead for a DLQ).
 * KEYS[1] processing, KEYS[2] started, KEYS[3] job hash, KEYS[4] target list. ARGV[1] id,
 * ARGV[2] error field, ARGV[3] error text, ARGV[4] optional dead-at field.
 * Returns 1, or 0 if the id was no longer in processing (someone else owns it now).
 */
export const LIST_RELEASE = define(
  'listRelease',
  `local n = redis.call('LREM', KEYS[1], -1, ARGV[1])
if n == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
if ARGV[4] and ARGV[4] ~= '' then
  ${NOW.replace(/\n/g, '\n  ')}
  redis.call('HSET', KEYS[3], ARGV[4], now)
end
redis.call('LPUSH', KEYS[4], ARGV[1])
return 1`,
);

/**
 * List queue reaper: returns ids in processing longer than the visibility timeout to the waiting
 * list (to the right end, so they are taken next), and stamps ids that have no started-at (a
 * worker crashed between BLMOVE and its stamp) so that they time out in turn.
 * KEYS[1] processing, KEYS[2] started, KEYS[3] waiting. ARGV[1] visibility ms, ARGV[2] max ids
 * looked at. Returns {returned, stamped}.
 */
export const LIST_REAP = define(
  'listReap',
  `${NOW}
local ids = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
local returned, stamped = 0, 0
for _, id in ipairs(ids) do
  local s = redis.call('ZSCORE', KEYS[2], id)
  if not s then
    redis.call('ZADD', KEYS[2], now, id)
    stamped = stamped + 1
  elseif now - tonumber(s) >= tonumber(ARGV[1]) then
    if redis.call('LREM', KEYS[1], -1, id) > 0 then
      redis.call('ZREM', KEYS[2], id)
      redis.call('RPUSH', KEYS[3], id)
      returned = returned + 1
    end
  end
end
return {returned, stamped}`,
);
