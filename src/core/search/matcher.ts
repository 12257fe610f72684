/**
 * The compiled matcher of a search: a parsed {@link SearchQuery}'s conditions as one test of a
 * message's raw pairs (byte comparisons, decimal comparisons, regular expressions, JSON paths into
 * a field's value), and which pairs of a matching message the conditions are about. The query
 * model and its text form are query.ts.
 */
import type { RawFields } from '../messages/message';
import { type ConditionOp, type FieldCondition, type SearchQuery, decimalValue } from './query';
import { compileRegex } from './regex';

/** A compiled test of a message's pairs. `null` raw (a deleted entry still pending) matches only a query without conditions. */
export type Matcher = (raw: RawFields | null) => boolean;

/** Compiles the query's conditions into one function over raw pairs (no decoding unless a condition needs it). */
export function compileMatcher(q: SearchQuery): Matcher {
  const tests = (q.where ?? []).map(compileCondition);
  if (tests.length === 0) return () => true;
  if (tests.length === 1) {
    const test = tests[0]!;
    return (raw) => raw !== null && test(raw);
  }
  return (raw) => {
    if (!raw) return false;
    for (const t of tests) if (!t(raw)) return false;
    return true;
  };
}

/**
 * Which pairs of a matching message the query's conditions are about, as pair indexes in
 * message order: for a hit row to show first what it was found by ("status=failed" for
 * `status=failed` or `status!=ok`, the field holding the text for a bare word, the JSON field
 * for `payload.user=7`). Conditions that hold by an absence (`*!=x`, a missing field) name none.
 */
export function matchedPairs(q: SearchQuery, raw: RawFields | null): number[] {
  if (!raw) return [];
  const hit = new Set<number>();
  for (const c of q.where ?? []) {
    if (c.name === undefined) {
      if (c.op === 'not-equals') continue;
      const valueTest = compileValueTest(c);
      for (let i = 1; i < raw.length; i += 2) if (valueTest(raw[i]!)) hit.add((i - 1) / 2);
      continue;
    }
    const name = Buffer.from(c.name, 'utf8');
    let found = false;
    for (let i = 0; i < raw.length; i += 2) {
      if (same(raw[i]!, name)) {
        hit.add(i / 2);
        found = true;
      }
    }
    if (found || !c.path) continue;
    const base = Buffer.from(c.name.slice(0, c.name.length - pathText(c.path).length), 'utf8');
    for (let i = 0; i < raw.length; i += 2) if (same(raw[i]!, base)) hit.add(i / 2);
  }
  return [...hit].sort((a, b) => a - b);
}

type Test = (raw: RawFields) => boolean;

function compileCondition(c: FieldCondition): Test {
  const valueTest = compileValueTest(c);
  if (c.name === undefined) {
    // Any field's value; `*!=v`: no field's value is v (as `name!=v`: no field of that name is v).
    if (c.op === 'not-equals') {
      return (raw) => {
        for (let i = 1; i < raw.length; i += 2) if (valueTest(raw[i]!)) return false;
        return true;
      };
    }
    return (raw) => {
      for (let i = 1; i < raw.length; i += 2) if (valueTest(raw[i]!)) return true;
      return false;
    };
  }
  const name = Buffer.from(c.name, 'utf8');
  if (c.path) {
    // `a.b`: the field named `a.b` when the message has one, else the path `b` into the JSON of `a`.
    const base = Buffer.from(c.name.slice(0, c.name.length - pathText(c.path).length), 'utf8');
    const jsonTest = compileJsonTest(c);
    const whole = compileFieldTest(name, c, valueTest);
    return (raw) => {
      for (let i = 0; i < raw.length; i += 2) if (same(raw[i]!, name)) return whole(raw);
      if (c.op === 'not-equals') {
        for (let i = 0; i < raw.length; i += 2) if (same(raw[i]!, base) && jsonTest(raw[i + 1]!, true)) return false;
        return true;
      }
      for (let i = 0; i < raw.length; i += 2) if (same(raw[i]!, base) && jsonTest(raw[i + 1]!, false)) return true;
      return false;
    };
  }
  return compileFieldTest(name, c, valueTest);
}

/**
 * Values up to this many bytes are compared and scanned in JavaScript: for the short names and
 * values of most messages that is several times quicker than a native call (`equals`,
 * `indexOf`), whose fixed cost is paid per value; longer ones go to the native code.
 */
const SHORT = 64;

/** Byte equality, the length compared first (most names and values differ in length). */
function same(a: Buffer, b: Buffer): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  if (n > SHORT) return a.equals(b);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Does `hay` hold the bytes of `needle` (not empty) somewhere? */
function holds(hay: Buffer, needle: Buffer): boolean {
  const n = needle.length;
  const last = hay.length - n;
  if (last < 0) return false;
  if (hay.length > SHORT) return hay.indexOf(needle) >= 0;
  const first = needle[0];
  next: for (let i = 0; i <= last; i++) {
    if (hay[i] !== first) continue;
    for (let j = 1; j < n; j++) if (hay[i + j] !== needle[j]) continue next;
    return true;
  }
  return false;
}

/** Does `hay` hold the byte `b`? */
function holdsByte(hay: Buffer, b: number): boolean {
  if (hay.length > SHORT) return hay.indexOf(b) >= 0;
  for (let i = 0; i < hay.length; i++) if (hay[i] === b) return true;
  return false;
}

function pathText(path: (string | number)[]): string {
  return path.map((x) => (typeof x === 'number' ? `[${x}]` : `.${x}`)).join('');
}

function compileFieldTest(name: Buffer, c: FieldCondition, valueTest: (v: Buffer) => boolean): Test {
  if (c.op === 'exists') {
    return (raw) => {
      for (let i = 0; i < raw.length; i += 2) if (same(raw[i]!, name)) return true;
      return false;
    };
  }
  if (c.op === 'not-equals') {
    // No field of that name holds the value (a message without the field matches).
    return (raw) => {
      for (let i = 0; i < raw.length; i += 2) if (same(raw[i]!, name) && valueTest(raw[i + 1]!)) return false;
      return true;
    };
  }
  return (raw) => {
    for (let i = 0; i < raw.length; i += 2) if (same(raw[i]!, name) && valueTest(raw[i + 1]!)) return true;
    return false;
  };
}

/** The test of one value's bytes (for `not-equals`: the value *equals*, negated by the caller). */
function compileValueTest(c: FieldCondition): (v: Buffer) => boolean {
  const text = c.value ?? '';
  const bytes = Buffer.from(text, 'utf8');
  switch (c.op) {
    case 'equals':
    case 'not-equals':
      return (v) => same(v, bytes);
    case 'contains':
      return bytes.length === 0 ? () => true : (v) => holds(v, bytes);
    case 'regex': {
      const re = compileRegex(text, c.flags);
      return (v) => re.test(v.toString('utf8'));
    }
    case 'exists':
      return () => true;
    default: {
      const compare = comparison(c.op, decimalValue(text)!);
      return (v) => {
        // A number starts with a sign, a digit or a dot: anything else is refused without decoding.
        const b = v[0];
        if (b === undefined || !((b >= 0x30 && b <= 0x39) || b === 0x2b || b === 0x2d || b === 0x2e)) return false;
        const x = decimalValue(v.toString('latin1'));
        return x !== undefined && compare(x);
      };
    }
  }
}

function comparison(op: ConditionOp, n: number): (x: number) => boolean {
  return op === 'gt' ? (x) => x > n : op === 'gte' ? (x) => x >= n : op === 'lt' ? (x) => x < n : (x) => x <= n;
}

/**
 * The value at a JSON path: own properties of objects only (never `constructor` or `__proto__`
 * from the prototype chain), arrays by index only. `undefined` when there is nothing there.
 */
export function jsonAt(doc: unknown, path: (string | number)[]): unknown {
  let at: unknown = doc;
  for (const k of path) {
    if (at === null || typeof at !== 'object') return undefined;
    if (Array.isArray(at)) {
      if (typeof k !== 'number' || k >= at.length) return undefined;
      at = at[k];
    } else {
      if (typeof k !== 'string' || !Object.hasOwn(at, k)) return undefined;
      at = (at as Record<string, unknown>)[k];
    }
  }
  return at;
}

const BACKSLASH = 0x5c;

/**
 * Would the text, found at a JSON path (a string as itself, anything else as `JSON.stringify`
 * writes it), always be in the value's own bytes, when those hold no backslash? Then a value
 * without the text's bytes and without a backslash (the start of every escape) cannot match, and
 * is not parsed. So it is for a text that lies within one string (or `true`, `false`): not for a
 * text that may span tokens which the value writes with spaces between them (`1,2` of
 * `[1, 2]`: it holds `{}[],:"`), nor for one that may be a number written another way (`100` of
 * `1e2`, `null` of `1e400`), nor for one with U+FFFD (which bytes that are not UTF-8 read as).
 */
function readVerbatim(want: string): boolean {
  if (want === '' || /[{}[\],:"]/.test(want)) return false;
  if (/^[0-9.eE+-]+$/.test(want) || 'null'.includes(want)) return false;
  return !want.includes('\uFFFD') && Buffer.from(want, 'utf8').toString('utf8') === want;
}

/**
 * The test of a JSON path in a value. A value that is not JSON, or has nothing at the path, does
 * not match (and for `not-equals` counts as "not equal"). Before parsing, a value that cannot
 * hold the wanted text is skipped cheaply, when the text is one the bytes can rule out
 * ({@link readVerbatim}): a value holding neither the text's bytes nor a backslash cannot match.
 */
function compileJsonTest(c: FieldCondition): (v: Buffer, negated: boolean) => boolean {
  const path = c.path!;
  const want = c.value ?? '';
  const needle = Buffer.from(want, 'utf8');
  const prefilter = (c.op === 'equals' || c.op === 'contains') && readVerbatim(want);
  const re = c.op === 'regex' ? compileRegex(want, c.flags) : undefined;
  const compare = ['gt', 'gte', 'lt', 'lte'].includes(c.op) ? comparison(c.op, decimalValue(want)!) : undefined;
  return (v, negated) => {
    if (prefilter && !negated && !holds(v, needle) && !holdsByte(v, BACKSLASH)) return false;
    let doc: unknown;
    try {
      doc = JSON.parse(v.toString('utf8'));
    } catch {
      return false;
    }
    const at = jsonAt(doc, path);
    if (at === undefined) return false;
    const asText = typeof at === 'string' ? at : JSON.stringify(at);
    switch (c.op) {
      case 'exists':
        return true;
      case 'equals':
      case 'not-equals':
        return asText === want;
      case 'contains':
        return asText.includes(want);
      case 'regex':
        return re!.test(asText);
      default: {
        const x = typeof at === 'number' ? at : typeof at === 'string' ? decimalValue(at) : undefined;
        return x !== undefined && compare!(x);
      }
    }
  };
}
