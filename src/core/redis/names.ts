/**
 * Key names are bytes. Redis keys may hold any bytes; this project carries them as strings in a
 * *shown form* that is lossless and that people can read and type:
 *
 * - a name that is valid UTF-8 and has no backslash is shown as it is (the common case: nothing
 *   to do, nothing to pay);
 * - otherwise every byte that is not part of a valid UTF-8 character is shown as `\xHH` (two
 *   lowercase hex digits) and a backslash as `\\`; valid characters stay as they are.
 *
 * So `Buffer.from([0x6f, 0xff, 0x72])` is shown `o\xffr`, and the UTF-8 key `a\b` is shown `a\\b`.
 * {@link nameBytes} reads the shown form back: `\xHH` (either case) is that byte, `\\` a
 * backslash, and a backslash followed by anything else stays a backslash (so a name typed with a
 * single backslash, e.g. `C:\data`, still means what it says).
 *
 * Every key name that comes from Redis (SCAN, XREAD replies, a dead-letter record's origin) is
 * turned into the shown form with {@link showName}; every key sent to Redis goes through
 * {@link nameBytes}: the connection layer does that for the key arguments of every command
 * (see `connection.ts`), so call sites pass shown names as they are. Names that travel inside
 * message values (a dead letter's origin stream) are written with their real bytes.
 */
import { isUtf8 } from 'node:buffer';

const BACKSLASH = 0x5c;

/** The shown form of a key name (see the module comment). */
export function showName(name: Buffer | string): string {
  if (typeof name === 'string') return name.includes('\\') ? name.replace(/\\/g, '\\\\') : name;
  if (name.indexOf(BACKSLASH) < 0 && isUtf8(name)) return name.toString('utf8');
  let out = '';
  let i = 0;
  const n = name.length;
  while (i < n) {
    const b = name[i]!;
    if (b === BACKSLASH) {
      out += '\\\\';
      i++;
      continue;
    }
    const len = utf8Length(name, i);
    if (len === 0) {
      out += `\\x${b.toString(16).padStart(2, '0')}`;
      i++;
    } else {
      out += len === 1 ? String.fromCharCode(b) : name.toString('utf8', i, i + len);
      i += len;
    }
  }
  return out;
}

/**
 * The bytes a shown name stands for: the string itself when it holds no backslash (no work on
 * the common path) or when the bytes are valid UTF-8, else a Buffer.
 */
export function nameBytes(shown: string): string | Buffer {
  if (!shown.includes('\\')) return shown;
  const bytes = decodeShown(shown);
  if (bytes === null) return shown;
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes;
}

/** {@link nameBytes} as a Buffer (for hashing, comparing, writing into message values). */
export function nameBuffer(shown: string | Buffer): Buffer {
  if (Buffer.isBuffer(shown)) return shown;
  const b = nameBytes(shown);
  return Buffer.isBuffer(b) ? b : Buffer.from(b, 'utf8');
}

/** Whether two names (shown form or bytes) are the same key. */
export function sameName(a: string | Buffer, b: string | Buffer): boolean {
  if (typeof a === 'string' && typeof b === 'string' && !a.includes('\\') && !b.includes('\\')) return a === b;
  return nameBuffer(a).equals(nameBuffer(b));
}

/** How the shown form is written, in a sentence (for help texts). */
export const SHOWN_NAME_RULE =
  'Key names are bytes: a name that is not valid UTF-8, or holds a backslash, is shown with \\xHH for each byte that is not part of a UTF-8 character and \\\\ for each backslash (the bytes 6f ff 72: o\\xffr); type it the same way. A single backslash before anything else stays a backslash.';

/** The bytes of a shown form with at least one backslash; null when nothing was escaped. */
function decodeShown(s: string): Buffer | null {
  const parts: Buffer[] = [];
  let from = 0;
  let changed = false;
  let i = s.indexOf('\\');
  while (i >= 0) {
    const next = s[i + 1];
    let byte = -1;
    let width = 0;
    if (next === '\\') {
      byte = BACKSLASH;
      width = 2;
    } else if ((next === 'x' || next === 'X') && isHex(s.charCodeAt(i + 2)) && isHex(s.charCodeAt(i + 3))) {
      byte = parseInt(s.slice(i + 2, i + 4), 16);
      width = 4;
    }
    if (width) {
      if (i > from) parts.push(Buffer.from(s.slice(from, i), 'utf8'));
      parts.push(Buffer.of(byte));
      from = i + width;
      changed = true;
      i = s.indexOf('\\', from);
    } else {
      i = s.indexOf('\\', i + 1);
    }
  }
  if (!changed) return null;
  if (from < s.length) parts.push(Buffer.from(s.slice(from), 'utf8'));
  return Buffer.concat(parts);
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Length of the valid UTF-8 character starting at `i` (1..4), or 0 when the byte there starts none. */
function utf8Length(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const v = b[i + k];
    return v !== undefined && v >= lo && v <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}
