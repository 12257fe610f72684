/**
 * Where the values of a JSON text are, without parsing it into JS values: Sidekiq's payloads hold
 * arguments JS numbers cannot hold (big integers, `1.10` as written), so their text is taken as a
 * substring and an edit replaces only the bytes of the values it changes. Works on a JS string or
 * on a Buffer read as `latin1` (one char per byte: JSON's structural characters are ASCII and
 * every byte of a multi-byte UTF-8 character is ≥ 0x80, so the offsets are byte offsets).
 */

/** One member of a JSON object: its key (decoded) and where its value's text starts and ends. */
export interface JsonMember {
  key: string;
  start: number;
  end: number;
}

const WS = new Set([' ', '\t', '\n', '\r']);

function skipWs(s: string, i: number): number {
  while (i < s.length && WS.has(s[i]!)) i++;
  return i;
}

/** The end (exclusive) of the string starting at `i` (at its opening quote). */
function stringEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j];
    if (c === '\\') j++;
    else if (c === '"') return j + 1;
  }
  throw new SyntaxError('unterminated string');
}

/** The end (exclusive) of the JSON value starting at `i` (after any whitespace). */
export function valueEnd(s: string, i: number): number {
  i = skipWs(s, i);
  const c = s[i];
  if (c === '"') return stringEnd(s, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s[j];
      if (d === '"') j = stringEnd(s, j) - 1;
      else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    throw new SyntaxError('unterminated value');
  }
  let j = i;
  while (j < s.length && !WS.has(s[j]!) && s[j] !== ',' && s[j] !== '}' && s[j] !== ']') j++;
  if (j === i) throw new SyntaxError(`unexpected ${c ?? 'end'} at ${i}`);
  return j;
}

/** The members of the object starting at `i`, in their order (keys decoded; `latin1` keys stay byte text). */
export function objectMembers(s: string, i = 0): JsonMember[] {
  i = skipWs(s, i);
  if (s[i] !== '{') throw new SyntaxError('not an object');
  const out: JsonMember[] = [];
  i = skipWs(s, i + 1);
  if (s[i] === '}') return out;
  for (;;) {
    const ke = stringEnd(s, i);
    const key = JSON.parse(s.slice(i, ke)) as string;
    i = skipWs(s, ke);
    if (s[i] !== ':') throw new SyntaxError(`expected : at ${i}`);
    const start = skipWs(s, i + 1);
    const end = valueEnd(s, start);
    out.push({ key, start, end });
    i = skipWs(s, end);
    if (s[i] === '}') return out;
    if (s[i] !== ',') throw new SyntaxError(`expected , at ${i}`);
    i = skipWs(s, i + 1);
  }
}

/** The elements of the array starting at `i`: where each one's text starts and ends. */
export function arrayItems(s: string, i = 0): Array<{ start: number; end: number }> {
  i = skipWs(s, i);
  if (s[i] !== '[') throw new SyntaxError('not an array');
  const out: Array<{ start: number; end: number }> = [];
  i = skipWs(s, i + 1);
  if (s[i] === ']') return out;
  for (;;) {
    const end = valueEnd(s, i);
    out.push({ start: i, end });
    i = skipWs(s, end);
    if (s[i] === ']') return out;
    if (s[i] !== ',') throw new SyntaxError(`expected , at ${i}`);
    i = skipWs(s, i + 1);
  }
}

/** The member `key` of the object at `i`, if there. */
export function member(s: string, key: string, i = 0): JsonMember | undefined {
  return objectMembers(s, i).find((m) => m.key === key);
}

/** The text of the value at the end of `path` (object keys and array indexes) from the value at `i`. */
export function textAt(s: string, path: Array<string | number>, i = 0): string | undefined {
  let start = skipWs(s, i);
  for (const p of path) {
    if (typeof p === 'number') {
      if (s[start] !== '[') return undefined;
      const it = arrayItems(s, start)[p];
      if (!it) return undefined;
      start = it.start;
    } else {
      if (s[start] !== '{') return undefined;
      const m = member(s, p, start);
      if (!m) return undefined;
      start = m.start;
    }
  }
  return s.slice(start, valueEnd(s, start));
}
