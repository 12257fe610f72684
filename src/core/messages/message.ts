/**
 * The message model. A stream entry's body is an ordered list of (name, value) byte pairs: Redis
 * keeps their order, duplicate names and any bytes, and so does every path of this project.
 *
 * - {@link RawFields} is that list as Redis sends it: names and values alternating, as Buffers.
 *   It is what handlers, scripts, dead-letter, replay, export and the CLI carry.
 * - `Fields` (a record name → value, text where the bytes are UTF-8) is a convenience view built
 *   from it: with duplicate names the last value wins there, and integer-like names are ordered
 *   first by JavaScript. Never send a message on from that view.
 * - The lossless JSON form ({@link toJsonPairs}, {@link fromJsonPairs}) is the one text form of a
 *   message, for the CLI's `--json` and `--exec` stdin, copy-as-JSON and NDJSON export:
 *   `[[name, value], ...]` in order, each name or value a JSON string when its bytes are valid
 *   UTF-8, else `{"base64": "..."}`.
 */
import { isUtf8 } from 'node:buffer';
import { BadInputError } from '../redis/errors';
import { type RawFields, decodeName } from '../redis/replies';

/** A message body as Redis holds it: `[name0, value0, name1, value1, ...]`, byte for byte. */
export type { RawFields } from '../redis/replies';

/** One name or value in the lossless JSON form. */
export type JsonBytes = string | { base64: string };

/** A message body in the lossless JSON form. */
export type JsonPairs = [JsonBytes, JsonBytes][];

/** Bytes → JSON: the text when it is valid UTF-8 (then `Buffer.from(text)` gives the same bytes back), else base64. */
export function toJsonBytes(b: Buffer | string): JsonBytes {
  if (typeof b === 'string') return b;
  return isUtf8(b) ? b.toString('utf8') : { base64: b.toString('base64') };
}

/** JSON → bytes; throws BadInputError naming `what` when the value is neither form. */
export function fromJsonBytes(v: unknown, what: string): Buffer {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v);
    const b64 = (v as { base64?: unknown }).base64;
    if (keys.length === 1 && typeof b64 === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(b64) && b64.length % 4 === 0) return Buffer.from(b64, 'base64');
  }
  throw new BadInputError(`${what} must be a string or {"base64": "..."} (got ${JSON.stringify(v)?.slice(0, 60) ?? typeof v})`);
}

/** A body in the lossless JSON form. */
export function toJsonPairs(raw: RawFields): JsonPairs {
  const out: JsonPairs = new Array(raw.length >> 1);
  for (let i = 0; i + 1 < raw.length; i += 2) out[i >> 1] = [toJsonBytes(raw[i]!), toJsonBytes(raw[i + 1]!)];
  return out;
}

/** The lossless JSON form → a body. Throws BadInputError on anything else. */
export function fromJsonPairs(v: unknown, what = 'the message'): RawFields {
  if (!Array.isArray(v)) throw new BadInputError(`${what} must be an array of [name, value] pairs`);
  const out: RawFields = [];
  v.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2) throw new BadInputError(`Pair #${i + 1} of ${what} must be [name, value]`);
    out.push(fromJsonBytes(p[0], `The name of pair #${i + 1}`), fromJsonBytes(p[1], `The value of pair #${i + 1}`));
  });
  return out;
}

/** Number of (name, value) pairs. */
export function pairCount(raw: RawFields): number {
  return raw.length >> 1;
}

/** Whether two bodies hold the same bytes in the same order. */
export function sameRaw(a: RawFields | null, b: RawFields | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!a[i]!.equals(b[i]!)) return false;
  return true;
}

/** Anything a caller may give as a message body: a record, `[name, value]` pairs, or a raw body. */
export type MessageInput = Record<string, string | Buffer> | ReadonlyArray<readonly [string | Buffer, string | Buffer]>;

/** A caller's body → Redis arguments `[name, value, ...]` in order (strings kept, encoded as UTF-8 by the client). */
export function pairsOf(input: ReadonlyArray<readonly [string | Buffer, string | Buffer]>): (string | Buffer)[] {
  const out: (string | Buffer)[] = new Array(input.length * 2);
  for (let i = 0; i < input.length; i++) {
    const p = input[i]!;
    out[2 * i] = p[0];
    out[2 * i + 1] = p[1];
  }
  return out;
}

/** Names and values of a body as `[name, value]` Buffer pairs. */
export function pairList(raw: RawFields): [Buffer, Buffer][] {
  const out: [Buffer, Buffer][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

/** The body's name `i` equals `name` (ASCII). */
export function nameIs(raw: RawFields, i: number, name: string): boolean {
  const b = raw[2 * i];
  return b !== undefined && b.length === name.length && b.toString('latin1') === name;
}

/** Text of a value (UTF-8; for bookkeeping values, which this project writes as ASCII). */
export function text(b: Buffer | undefined): string | undefined {
  return b === undefined ? undefined : b.toString('utf8');
}

/** A body from names and values given as text (bookkeeping). */
export function rawOf(...nv: (string | Buffer)[]): RawFields {
  return nv.map((x) => (Buffer.isBuffer(x) ? x : Buffer.from(x, 'utf8')));
}

/**
 * The body as a record name → value in the lossless byte encoding (the last value of a repeated
 * name): a convenience beside {@link toJsonPairs}, full values, never cut.
 */
export function toJsonRecord(raw: RawFields): Record<string, JsonBytes> {
  const out = Object.create(null) as Record<string, JsonBytes>; // a name `__proto__` is an ordinary key here
  for (let i = 0; i + 1 < raw.length; i += 2) out[decodeName(raw[i]!)] = toJsonBytes(raw[i + 1]!);
  return out;
}


/**
 * The lossless JSON object of one message: `{ ...head, pairs, fields }`. `pairs` is the message;
 * `fields` is the convenience record. A deleted entry has `pairs: null, fields: null`.
 */
export function messageObject(head: Record<string, unknown>, raw: RawFields | null): Record<string, unknown> {
  return { ...head, pairs: raw ? toJsonPairs(raw) : null, fields: raw ? toJsonRecord(raw) : null };
}
