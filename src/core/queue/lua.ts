/**
 * Running the queue client's Lua scripts: {@link define} one, and a runner that sends EVALSHA and
 * falls back to EVAL once when the server does not know the script yet (after a restart or SCRIPT
 * FLUSH), and the one place where a script's declared refusal becomes the typed error it stands
 * for ({@link refusalError}). The scripts themselves are `.lua` files in a `lua/` folder beside
 * what they serve (`stream/lua/`, `list/lua/`, `../frameworks/lua/`, `../transfer/lua/`,
 * `../ops/lua/`), compiled into `luaSources.generated.ts` by `npm run gen:lua`. Every script
 * touches only the keys it is given, so it works in a Cluster when those keys share a hash slot.
 * Lua strings are byte strings, so Buffer arguments pass through byte-exact.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../redis/connection';
import { BadInputError, NoGroupError, QueueError, WrongTypeError } from '../redis/errors';

/**
 * What a script may answer instead of doing its step (it wrote nothing): a reply `{code, ...}`
 * whose first element is one of the codes the script declares. `wrongtype`: `{'wrongtype', type}`,
 * a key that must be a stream (or absent) holds another type; `gone`: the pending entry's message
 * was deleted or trimmed; `nogroup`: the consumer group does not exist; `not-next`:
 * `{'not-next', next id or ''}`, the entry is not the group's next undelivered one.
 */
export type RefusalCode = 'wrongtype' | 'gone' | 'nogroup' | 'not-next';

export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
  /** The refusals its replies may be (see {@link RefusalCode}). */
  readonly refuses: readonly RefusalCode[];
}

export function define(name: string, lua: string, refuses: readonly RefusalCode[] = []): LuaScript {
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex'), refuses };
}

/** What the caller knows that a refusal's error names (the stream, group and entry; the key a `wrongtype` is about, and its role). */
export interface RefusalContext {
  stream?: string;
  group?: string;
  id?: string;
  /** `wrongtype`: the key that is not a stream, and what it is for (`dead-letter stream`, `replay target`). */
  key?: string;
  what?: string;
}

/** The entry's message was deleted or trimmed from the stream while it was pending. */
export class BodyGoneError extends QueueError {
  constructor(readonly stream: string, readonly id: string) {
    super('BAD_INPUT', `Entry ${id} of "${stream}" is pending but its message was deleted or trimmed: nothing to dead-letter (ack it, or force to record it without a body)`);
  }
}

/** The refusal `reply` is, when it is one `script` declares; else undefined (an ordinary reply). */
export function refusalOf(script: LuaScript, reply: unknown): { code: RefusalCode; detail?: string } | undefined {
  if (!script.refuses.length || !Array.isArray(reply) || !(typeof reply[0] === 'string' || Buffer.isBuffer(reply[0]))) return undefined;
  const code = String(reply[0]) as RefusalCode;
  if (!script.refuses.includes(code)) return undefined;
  return { code, detail: reply[1] === undefined || reply[1] === null ? undefined : String(reply[1]) };
}

/** The typed error a script's refusal stands for: the one mapping of refusals to errors. */
export function refusalError(refusal: { code: RefusalCode; detail?: string }, on: RefusalContext): QueueError {
  const { stream = '?', group = '?', id = '?' } = on;
  switch (refusal.code) {
    case 'wrongtype':
      return new WrongTypeError(on.key ?? stream, `stream (the ${on.what ?? 'target'}); nothing was changed`, refusal.detail);
    case 'gone':
      return new BodyGoneError(stream, id);
    case 'nogroup':
      return new NoGroupError(stream, group);
    case 'not-next':
      return new BadInputError(`Entry ${id} is not the next undelivered entry of group "${group}" (${refusal.detail ? `that is ${refusal.detail}` : 'none is left'}): it cannot be delivered alone; run it as a dry run`);
  }
}

type Arg = string | Buffer | number;

/**
 * Runs a script: EVALSHA, then EVAL if the server answers NOSCRIPT. Raw (Buffer) reply; a refusal
 * the script declares is thrown as its typed error ({@link refusalError}, with `on`).
 */
export async function runScript(client: RedisClient, script: LuaScript, keys: Arg[], args: Arg[], on: RefusalContext = {}): Promise<unknown> {
  const reply = await runScriptArgv(client, script, [script.sha, keys.length, ...keys, ...args]);
  const refusal = refusalOf(script, reply);
  if (refusal) throw refusalError(refusal, on);
  return reply;
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
