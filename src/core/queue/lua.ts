/**
 * Running the queue client's Lua scripts: {@link define} one, and a runner that sends EVALSHA and
 * falls back to EVAL once when the server does not know the script yet (after a restart or SCRIPT
 * FLUSH). The scripts themselves live with what they serve: `stream/scripts.ts`,
 * `list/scripts.ts`, `list/admin.ts`, `stream/deadLetter.ts`. Every script touches only the keys
 * it is given, so it works in a Cluster when those keys share a hash slot. Lua strings are byte
 * strings, so Buffer arguments pass through byte-exact.
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
