/** Input checks done before anything is sent to Redis. Every failure is a BadInputError/BadIdError. */
import { BadIdError, BadInputError, printable } from '../redis/errors';
import { compareIds, parseId } from '../messages/ids';
import type { FieldValue } from '../redis/replies';
import { BackoffOptions } from './runtime/backoff';

/**
 * A message: a record field → value, or `[name, value]` pairs (in order, names may repeat; what
 * a message with repeated or integer-like names needs, since a record cannot keep those). Names
 * and values are strings or Buffers (binary-safe).
 */
export type MessageFields = Record<string, FieldValue> | ReadonlyArray<readonly [string | Buffer, string | Buffer]>;

/**
 * Checks a flat field map: a plain object, at least one field, every value a string or a Buffer.
 * Returns the `[field, value, ...]` argument list in insertion order. `what` names the input in
 * error messages; a number n stands for "message #n" (built only when there is an error).
 */
export function fieldArgs(fields: unknown, what: string | number = 'message', reservedPrefix?: string): (string | Buffer)[] {
  if (Array.isArray(fields)) return pairArgs(fields, what, reservedPrefix);
  if (fields === null || typeof fields !== 'object' || Buffer.isBuffer(fields) || fields instanceof Map) {
    throw new BadInputError(`A ${whatOf(what)} must be a plain object of field → value or an array of [name, value] pairs (got ${describe(fields)})`);
  }
  const rec = fields as Record<string, unknown>;
  const keys = Object.keys(rec);
  const out = new Array<string | Buffer>(keys.length * 2);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = rec[k];
    if (typeof v !== 'string' && !Buffer.isBuffer(v)) {
      throw new BadInputError(`Field "${printable(k)}" of the ${whatOf(what)} must be a string or a Buffer (got ${describe(v)})`);
    }
    if (reservedPrefix && k.startsWith(reservedPrefix)) {
      throw new BadInputError(`Field "${printable(k)}" of the ${whatOf(what)} starts with "${reservedPrefix}", which is reserved for bookkeeping`);
    }
    out[2 * i] = k;
    out[2 * i + 1] = v;
  }
  if (out.length === 0) throw new BadInputError(`A ${whatOf(what)} needs at least one field (Redis has no empty entries)`);
  return out;
}

/** `[name, value]` pairs → arguments, in order, repeated names kept. */
function pairArgs(pairs: unknown[], what: string | number, reservedPrefix?: string): (string | Buffer)[] {
  const out = new Array<string | Buffer>(pairs.length * 2);
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i];
    if (!Array.isArray(p) || p.length !== 2) throw new BadInputError(`Pair #${i + 1} of the ${whatOf(what)} must be [name, value] (got ${describe(p)})`);
    const [k, v] = p as unknown[];
    for (const x of [k, v]) {
      if (typeof x !== 'string' && !Buffer.isBuffer(x)) throw new BadInputError(`Pair #${i + 1} of the ${whatOf(what)} must hold strings or Buffers (got ${describe(x)})`);
    }
    if (reservedPrefix && (Buffer.isBuffer(k) ? k.toString('latin1') : (k as string)).startsWith(reservedPrefix)) {
      throw new BadInputError(`Field "${printable(String(k))}" of the ${whatOf(what)} starts with "${reservedPrefix}", which is reserved for bookkeeping`);
    }
    out[2 * i] = k as string | Buffer;
    out[2 * i + 1] = v as string | Buffer;
  }
  if (out.length === 0) throw new BadInputError(`A ${whatOf(what)} needs at least one field (Redis has no empty entries)`);
  return out;
}

function whatOf(what: string | number): string {
  return typeof what === 'number' ? `message #${what}` : what;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (Buffer.isBuffer(v)) return 'a Buffer';
  if (v instanceof Map) return 'a Map';
  return typeof v;
}

/**
 * Checks an XADD id: `*`, `<ms>-*` or a concrete id greater than 0-0. Returns it trimmed.
 */
export function xaddId(id: string | undefined): string {
  if (id === undefined || id === '*') return '*';
  if (typeof id !== 'string') throw new BadIdError(String(id), 'an id must be a string');
  const s = id.trim();
  if (/^\d+-\*$/.test(s)) {
    parseId(s.slice(0, -2), { allowMsOnly: true });
    return s;
  }
  parseId(s, { allowMsOnly: false, allowZero: false });
  return s;
}

/** Checks that explicit concrete ids of a batch strictly increase (Redis would refuse the rest otherwise). */
export function checkIncreasing(ids: string[]): void {
  let prev: string | undefined;
  for (const id of ids) {
    if (id === '*' || id.endsWith('-*')) continue;
    if (prev !== undefined && compareIds(id, prev) <= 0) throw new BadIdError(id, `ids of a batch must increase; it is not greater than the earlier "${prev}"`);
    prev = id;
  }
}

/** Trimming of a stream on XADD. */
export interface TrimOptions {
  /** `MAXLEN`: keep at most `threshold` entries; `MINID`: drop entries with ids below `threshold`. */
  strategy: 'MAXLEN' | 'MINID';
  /** A non-negative integer for MAXLEN, a stream id for MINID. */
  threshold: number | string;
  /**
   * Exact trimming (`=`). Default false (`~`): Redis trims whole radix-tree nodes only, which is
   * far cheaper and is what a queue needs (a bound, not an exact length).
   */
  exact?: boolean;
  /** `LIMIT n`: at most n entries evicted per call (approximate trimming only). Default: Redis' own (100·node size). */
  limit?: number;
}

/** Validates trim options and returns the XADD arguments (`MAXLEN ~ 1000 [LIMIT n]`). */
export function trimArgs(trim: TrimOptions | undefined): string[] {
  if (!trim) return [];
  if (typeof trim !== 'object') throw new BadInputError('trim must be an object { strategy, threshold, exact?, limit? }');
  const out: string[] = [];
  if (trim.strategy === 'MAXLEN') {
    const n = Number(trim.threshold);
    if (!Number.isSafeInteger(n) || n < 0 || (typeof trim.threshold === 'string' && !/^\d+$/.test(trim.threshold))) {
      throw new BadInputError(`MAXLEN needs a non-negative integer (got "${printable(String(trim.threshold))}")`);
    }
    out.push('MAXLEN', trim.exact ? '=' : '~', String(n));
  } else if (trim.strategy === 'MINID') {
    const t = String(trim.threshold).trim();
    parseId(t);
    out.push('MINID', trim.exact ? '=' : '~', t);
  } else {
    throw new BadInputError(`trim.strategy must be "MAXLEN" or "MINID" (got "${printable(String((trim as { strategy: unknown }).strategy))}")`);
  }
  if (trim.limit !== undefined) {
    if (trim.exact) throw new BadInputError('trim.limit only works with approximate trimming (Redis refuses LIMIT with "=")');
    positiveInt(trim.limit, 'trim.limit');
    out.push('LIMIT', String(trim.limit));
  }
  return out;
}

/** Throws unless `v` is an integer ≥ 1. */
export function positiveInt(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new BadInputError(`${name} must be an integer ≥ 1 (got ${printable(String(v))})`);
  return v;
}

/** Throws unless `v` is a finite number ≥ 0. */
export function nonNegative(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new BadInputError(`${name} must be a number ≥ 0 (got ${printable(String(v))})`);
  return v;
}

/** Throws unless `v` is a non-empty string. */
export function nonEmpty(v: unknown, name: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new BadInputError(`${name} must be a non-empty string`);
  return v;
}

/** Validates backoff options (all optional). */
export function checkBackoff(b: BackoffOptions | undefined): void {
  if (!b) return;
  if (b.initialMs !== undefined) nonNegative(b.initialMs, 'backoff.initialMs');
  if (b.maxMs !== undefined) nonNegative(b.maxMs, 'backoff.maxMs');
  if (b.factor !== undefined && (nonNegative(b.factor, 'backoff.factor') < 1)) throw new BadInputError('backoff.factor must be ≥ 1');
  if (b.jitter !== undefined && (nonNegative(b.jitter, 'backoff.jitter') > 1)) throw new BadInputError('backoff.jitter must be between 0 and 1');
}

/** Checks a group start id: `$`, `0` or a concrete id. */
export function groupStartId(id: string | undefined): string {
  if (id === undefined || id === '$') return '$';
  if (id === '0') return '0';
  parseId(id);
  return id.trim();
}
