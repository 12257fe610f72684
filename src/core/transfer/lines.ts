/** Splitting an import's bytes into lines, with a cap on a line's length; JSON nesting depth. */
import { isUtf8 } from 'node:buffer';

/** Default longest line an import reads, in bytes (a message line, or a JSON value over several lines). */
export const IMPORT_MAX_LINE_BYTES = 256 * 2 ** 20;

/** Stands for a line longer than the cap, in place of its text (the line is dropped unread). */
export const OVERLONG: unique symbol = Symbol('overlong line');
export type Line = string | null | typeof OVERLONG;

/**
 * Splits a byte stream into lines: one array of lines per chunk that ends at least one line. A
 * line that is not valid UTF-8 comes as null; a line longer than `maxLineBytes` as
 * {@link OVERLONG}, and nothing is read after it (the caller refuses it with its number: no
 * line gets more than `maxLineBytes` of memory). `\r\n` ends are trimmed, a leading BOM removed.
 * A long line is held once as the chunks read, then once as one buffer while it is decoded.
 */
export async function* readLines(input: AsyncIterable<Buffer | string>, maxLineBytes = IMPORT_MAX_LINE_BYTES): AsyncGenerator<Line[]> {
  let carry: Buffer[] = [];
  let carried = 0;
  let first = true;
  const decode = (seg: Buffer): Line[] => {
    const out: Line[] = [];
    const trim = (l: string | null): string | null => {
      if (l && l.charCodeAt(l.length - 1) === 13) l = l.slice(0, -1);
      if (first) {
        first = false;
        if (l && l.charCodeAt(0) === 0xfeff) l = l.slice(1);
      }
      return l;
    };
    if (isUtf8(seg)) {
      // The common case: one decode and one split.
      for (const l of seg.toString('utf8').split('\n')) {
        if (l.length * 3 > maxLineBytes && Buffer.byteLength(l, 'utf8') > maxLineBytes) {
          out.push(OVERLONG);
          return out;
        }
        out.push(trim(l));
      }
      return out;
    }
    let at = 0;
    for (;;) {
      const nl = seg.indexOf(10, at);
      const end = nl < 0 ? seg.length : nl;
      if (end - at > maxLineBytes) {
        out.push(OVERLONG);
        return out;
      }
      const part = seg.subarray(at, end);
      out.push(trim(isUtf8(part) ? part.toString('utf8') : null));
      if (nl < 0) return out;
      at = nl + 1;
    }
  };
  for await (const c of input) {
    const chunk = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
    const nl = chunk.indexOf(10);
    if (nl < 0) {
      carried += chunk.length;
      if (carried > maxLineBytes) {
        yield [OVERLONG];
        return;
      }
      carry.push(chunk);
      continue;
    }
    const last = chunk.lastIndexOf(10);
    let head: Buffer;
    if (carry.length) {
      if (carried + nl > maxLineBytes) {
        yield [OVERLONG];
        return;
      }
      carry.push(chunk.subarray(0, last));
      head = Buffer.concat(carry);
      carry = [];
    } else {
      head = chunk.subarray(0, last);
    }
    const lines = decode(head);
    head = Buffer.alloc(0);
    const rest = last + 1 < chunk.length ? chunk.subarray(last + 1) : undefined;
    carry = rest ? [rest] : [];
    carried = rest ? rest.length : 0;
    yield lines;
    if (lines[lines.length - 1] === OVERLONG) return;
  }
  if (carry.length) {
    const rest = Buffer.concat(carry);
    carry = [];
    if (rest.length) yield decode(rest);
  }
}

/**
 * The nesting depth of JSON after `line`, starting at `depth`: +1 per `{` or `[`, −1 per `}` or
 * `]`, outside strings (a JSON string never spans lines).
 */
export function depthAfter(line: string, depth: number): number {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) depth--;
  }
  return depth;
}
