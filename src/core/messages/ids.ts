import { BadIdError } from '../redis/errors';

/** A stream entry id, `ms-seq`, as two unsigned 64-bit numbers. */
export interface StreamId {
  ms: bigint;
  seq: bigint;
}

const U64_MAX = (1n << 64n) - 1n;
const FULL = /^(\d+)-(\d+)$/;
const MS_ONLY = /^(\d+)$/;

export interface ParseIdOptions {
  /** Accept `ms` without `-seq` (as XRANGE, XPENDING and XCLAIM do). Default true. */
  allowMsOnly?: boolean;
  /** Accept `0-0` (XADD and XSETID refuse it). Default true. */
  allowZero?: boolean;
}

/** Parses and validates a concrete stream id; throws {@link BadIdError} with the reason. */
export function parseId(text: string, options: ParseIdOptions = {}): StreamId {
  const { allowMsOnly = true, allowZero = true } = options;
  const s = text.trim();
  let m = FULL.exec(s);
  let id: StreamId;
  if (m) {
    id = { ms: BigInt(m[1]!), seq: BigInt(m[2]!) };
  } else if (allowMsOnly && (m = MS_ONLY.exec(s))) {
    id = { ms: BigInt(m[1]!), seq: 0n };
  } else if (s === '') {
    throw new BadIdError(text, 'it is empty');
  } else if (/^\d+-$/.test(s)) {
    throw new BadIdError(text, 'the sequence part after "-" is missing');
  } else {
    throw new BadIdError(text, 'expected <milliseconds>-<sequence>, e.g. 1700000000000-0');
  }
  if (id.ms > U64_MAX || id.seq > U64_MAX) throw new BadIdError(text, 'a part is larger than 2^64-1');
  if (!allowZero && id.ms === 0n && id.seq === 0n) throw new BadIdError(text, '0-0 is not allowed here');
  return id;
}

/** True when `text` is a valid concrete id (no special ids like `$`, `>`, `-`, `+`). */
export function isValidId(text: string, options?: ParseIdOptions): boolean {
  try {
    parseId(text, options);
    return true;
  } catch {
    return false;
  }
}

export function formatId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** Orders two ids (-1, 0, 1). Both must be valid. */
export function compareIds(a: string, b: string): number {
  const x = parseId(a);
  const y = parseId(b);
  if (x.ms !== y.ms) return x.ms < y.ms ? -1 : 1;
  if (x.seq !== y.seq) return x.seq < y.seq ? -1 : 1;
  return 0;
}

/** The smallest id strictly after `id` (for exclusive paging on servers without `(`). */
export function nextId(id: string): string {
  const x = parseId(id);
  if (x.seq < U64_MAX) return formatId({ ms: x.ms, seq: x.seq + 1n });
  if (x.ms < U64_MAX) return formatId({ ms: x.ms + 1n, seq: 0n });
  throw new BadIdError(id, 'there is no id after the largest one');
}

/** The greatest id strictly before `id`. */
export function previousId(id: string): string {
  const x = parseId(id);
  if (x.seq > 0n) return formatId({ ms: x.ms, seq: x.seq - 1n });
  if (x.ms > 0n) return formatId({ ms: x.ms - 1n, seq: U64_MAX });
  throw new BadIdError(id, 'there is no id before 0-0');
}

/** Milliseconds since the Unix epoch encoded in an id (NaN if the id is invalid or beyond Number range). */
export function idTime(id: string): number {
  const m = FULL.exec(id) ?? MS_ONLY.exec(id);
  if (!m) return NaN;
  const ms = Number(m[1]);
  return Number.isSafeInteger(ms) ? ms : NaN;
}

/** Id for "entries older than `ageMs`" (MINID trimming, age filters). */
export function idForTime(epochMs: number): string {
  return `${Math.max(0, Math.floor(epochMs))}-0`;
}
