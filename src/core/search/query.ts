/**
 * What a search looks for: the query model and its one text form (the compiled matcher that
 * tests a message's raw pairs is matcher.ts).
 *
 * **Text form** (the CLI's `search` argument, the search box of the extension, an AI tool's
 * `query`): terms separated by spaces, all of which must hold.
 *
 * | term | matches |
 * |---|---|
 * | `status=failed`, `status == failed` | a field `status` whose value is exactly `failed` |
 * | `status!=ok` | a message with no field `status` equal to `ok` (also one without the field) |
 * | `note~timeout` | a field `note` whose value contains `timeout` |
 * | `note=/time(d)? out/i` | a field `note` whose value matches the regular expression (RE2 syntax, linear time; flags i, m, s; no backreferences or lookaround) |
 * | `amount>100`, `>=`, `<`, `<=` | a field whose value is a decimal number ({@link DECIMAL}) compared to the number |
 * | `payload.sku == "kb"` | the JSON path `sku` in the field `payload`, holding JSON (also `items[0].sku`; own keys only) |
 * | `*~kb`, or a bare word `kb` | any field's value contains the text (`*=v`: some value is `v`; `*!=v`: no value is `v`) |
 * | `has:trace-id` | the message has a field `trace-id` |
 * | `since:14:00 until:14:05` | ids between those times, both included (today, local time; also ISO `2026-12-01 14:00`, epoch ms, `15m ago`) |
 * | `from:ID to:ID` | ids in that range (inclusive) |
 * | `consumer:w1 idle:5m deliveries:3` | pending entries only: owner, idle at least, delivered at least |
 * | `order:oldest`, `limit:20` | oldest first (default newest first), stop after 20 matches |
 *
 * Names and values with spaces or operator characters are quoted: `"order id"="A 1"`; so may a
 * time be (`since:"1h 30m"`). A name holding a dot is looked up as a whole first (`a.b` the field
 * named `a.b`), then as a JSON path. Values compare as bytes (the text's UTF-8); a regular
 * expression sees the value decoded as UTF-8. Bounds given twice both hold; bounds that leave no
 * id (`from:` after `to:`, `since:` after `until:`) are refused, not searched.
 */
import { BadInputError } from '../redis/errors';
import { parseDuration } from '../inspect/health';
import { parseId } from '../messages/ids';
import { parseTimeSpec, timeRangeIds } from './timeSpec';
import { compileRegex } from './regex';

export type ConditionOp = 'equals' | 'not-equals' | 'contains' | 'regex' | 'exists' | 'gt' | 'gte' | 'lt' | 'lte';

/** One test of a message's pairs. */
export interface FieldCondition {
  /** The field's name; undefined: any field. */
  name?: string;
  /** A JSON path into the field's value (`['items', 0, 'sku']`), when the name is `field.path`. */
  path?: (string | number)[];
  op: ConditionOp;
  /** The value compared to (text; for `regex` the pattern's source). */
  value?: string;
  /** Flags of a regular expression. */
  flags?: string;
}

/** A search: bounds, conditions (all must hold), order and a stop. */
export interface SearchQuery {
  /** Inclusive id bounds (`-` / `+` for none). */
  from?: string;
  to?: string;
  /** Inclusive time bounds, epoch ms (stream ids carry their time). */
  since?: number;
  until?: number;
  where?: FieldCondition[];
  /** Pending entries only: owner, minimum idle, minimum deliveries. */
  consumer?: string;
  minIdleMs?: number;
  minDeliveries?: number;
  /** Newest first (default) or oldest first. */
  order?: 'newest' | 'oldest';
  /** Stop after this many matches. */
  limit?: number;
  /** The text the query was parsed from, if any (kept for recent searches). */
  text?: string;
}

const OPERATORS: [string, ConditionOp][] = [
  ['==', 'equals'],
  ['!=', 'not-equals'],
  ['=~', 'regex'],
  ['>=', 'gte'],
  ['<=', 'lte'],
  ['=', 'equals'],
  ['~', 'contains'],
  ['>', 'gt'],
  ['<', 'lt'],
];
const OP_START = /[=!~<>]/;
const META = /^(from|to|since|until|consumer|idle|deliveries|limit|order|has):/;

/** A grammar summary for inputs and help texts. */
export const QUERY_HINT =
  'e.g. status=failed  payload.sku == "kb"  note~timeout  note=/time.?out/i  amount>100  since:14:00 until:14:05  limit:20  order:oldest';

/**
 * Example searches built from a message of the stream itself (its newest entry), so the examples
 * in the search box match something: a short text field (`product=keyboard`), a number
 * (`total>100`), a JSON path when a field holds a JSON object (`payload.sku == "kb"`), then a time.
 * Undefined when the message offers none (binary or long values only).
 */
export function exampleQueries(fields: readonly (readonly [string, string])[]): string | undefined {
  const plain = (t: string) => /^[A-Za-z_][\w-]{0,30}$/.test(t); // (a dot would read as a JSON path)
  const terms: string[] = [];
  const text = fields.find(([k, v]) => plain(k) && /^[\w@.-]{1,24}$/.test(v) && !DECIMAL.test(v));
  if (text) terms.push(`${text[0]}=${text[1]}`);
  const num = fields.find(([k, v]) => plain(k) && DECIMAL.test(v) && Math.abs(Number(v)) < 1e15);
  if (num) {
    const n = Number(num[1]);
    terms.push(`${num[0]}>${Number.isInteger(n) ? n - 1 : Math.floor(n)}`);
  }
  for (const [k, v] of fields) {
    if (!plain(k) || !v.startsWith('{') || v.length > 4096) continue;
    try {
      const obj = JSON.parse(v) as Record<string, unknown>;
      const hit = Object.entries(obj).find(([jk, jv]) => plain(jk) && typeof jv === 'string' && jv.length <= 24 && !/["\\]/.test(jv));
      if (hit) {
        terms.push(`${k}.${hit[0]} == "${hit[1] as string}"`);
        break;
      }
    } catch {
      // not JSON: no path example from it
    }
  }
  if (!terms.length) return undefined;
  return `e.g. ${terms.join('  ')}  since:15m`;
}

/**
 * Text → query. Throws {@link BadInputError} naming the term that is not understood.
 * `nowMs` anchors times such as `14:00` (today) and `15m` (ago).
 */
export function parseSearchQuery(text: string, nowMs = Date.now()): SearchQuery {
  const q: SearchQuery = { text: text.trim() };
  const where: FieldCondition[] = [];
  const s = text;
  let p = 0;
  const skip = () => {
    while (p < s.length && /\s/.test(s[p]!)) p++;
  };
  /** A quoted string (JSON escapes) or a bare run up to a space (and up to an operator when `stopAtOp`). */
  const word = (stopAtOp: boolean): { text: string; quoted: boolean } => {
    if (s[p] === '"') {
      let q2 = p + 1;
      while (q2 < s.length && s[q2] !== '"') q2 += s[q2] === '\\' ? 2 : 1;
      if (q2 >= s.length) throw new BadInputError(`A quote opened at character ${p + 1} of the search is not closed`);
      const raw = s.slice(p, q2 + 1);
      p = q2 + 1;
      try {
        return { text: JSON.parse(raw) as string, quoted: true };
      } catch {
        throw new BadInputError(`The quoted text ${raw} of the search is not valid (use \\" and \\\\ inside quotes)`);
      }
    }
    const start = p;
    while (p < s.length && !/\s/.test(s[p]!) && !(stopAtOp && OP_START.test(s[p]!))) p++;
    return { text: s.slice(start, p), quoted: false };
  };
  for (skip(); p < s.length; skip()) {
    const at = p;
    const left = word(true);
    const afterLeft = p;
    skip();
    const op = OPERATORS.find(([o]) => s.startsWith(o, p));
    if (!op || (left.text === '' && !left.quoted)) {
      if (left.text === '' && !left.quoted) {
        throw new BadInputError(`The search term at character ${at + 1} ("${s.slice(at).split(/\s/)[0]}") has no field name before its operator (use *~text for any field)`);
      }
      p = afterLeft;
      // A bare term: a setting (`since:…`) or free text. Settings may hold operator-free colons.
      if (!left.quoted && META.test(left.text)) {
        // The value of a setting runs to the next space (it may contain ':'), or is quoted.
        const key = META.exec(left.text)![1]!;
        p = at + key.length + 1;
        const value = word(false);
        let v = value.text;
        if ((key === 'since' || key === 'until') && !value.quoted) {
          // A time may go on over spaces: `since:1h ago`, `since:1h 30m ago`, `until:2026-12-01 14:00`.
          for (let more = timeGoesOn(v, s, p); more; more = timeGoesOn(v, s, p)) {
            v = `${v} ${more.word}`;
            p = more.end;
          }
        }
        if (v === '' && !value.quoted) throw new BadInputError(`"${key}:" needs a value after the colon`);
        meta(q, where, key, v, nowMs);
      } else {
        where.push({ op: 'contains', value: left.text });
      }
      continue;
    }
    p += op[0].length;
    skip();
    let value: string;
    let flags: string | undefined;
    let kind = op[1];
    if (s[p] === '/' && (kind === 'equals' || kind === 'regex')) {
      const end = findRegexEnd(s, p);
      value = s.slice(p + 1, end);
      const fm = /^[a-z]*/.exec(s.slice(end + 1))![0];
      flags = fm;
      p = end + 1 + fm.length;
      kind = 'regex';
    } else {
      if (p >= s.length) throw new BadInputError(`The search term "${s.slice(at).trim()}" has no value after ${op[0]}`);
      value = word(false).text;
    }
    const cond = condition(left.text, left.quoted, kind, value, flags);
    where.push(cond);
  }
  if (where.length) q.where = where;
  checkBounds(q);
  return q;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const CLOCK_PART = /^\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const DURATION_PART = /^-?(?:\d+(?:\.\d+)?|\.\d+)[a-zA-Z]+$/;

/**
 * The next word of a time written over spaces, when `value` so far is one: a clock after a date
 * (`2026-12-01 14:00`), `ago` after a duration, or a further duration part when the parts that
 * follow end with `ago` (`1h 30m ago`; without `ago`, `since:1h 30m` is 1h ago and the text 30m).
 */
function timeGoesOn(value: string, s: string, p: number): { word: string; end: number } | undefined {
  const words: { word: string; end: number }[] = [];
  const re = /\s+(\S+)/y;
  re.lastIndex = p;
  for (let m = re.exec(s); m && words.length < 8; m = re.exec(s)) words.push({ word: m[1]!, end: re.lastIndex });
  const next = words[0];
  if (!next) return undefined;
  if (DATE_ONLY.test(value)) return CLOCK_PART.test(next.word) ? next : undefined;
  const parts = value.split(' ');
  if (parts[parts.length - 1]!.toLowerCase() === 'ago' || !parts.every((x) => DURATION_PART.test(x))) return undefined;
  if (next.word.toLowerCase() === 'ago') return next;
  if (!DURATION_PART.test(next.word)) return undefined;
  const firstOther = words.find((w) => !DURATION_PART.test(w.word));
  return firstOther?.word.toLowerCase() === 'ago' ? next : undefined;
}

/**
 * Refuses bounds that leave no id: `from:` after `to:`, `since:` after `until:`, or id and time
 * bounds that do not overlap (a search that could only ever say "0 matches").
 */
/**
 * Refuses terms that only pending entries have (consumer:, idle:, deliveries:) in a search of a
 * stream's entries, instead of ignoring them: a search that silently drops a term answers a
 * different question. `how` says what to do instead, in the caller's words ("give \"group\" too").
 */
export function checkQueryFor(kind: 'stream' | 'pending', q: SearchQuery, how = 'search the pending entries of a group'): void {
  if (kind === 'stream' && (q.consumer !== undefined || q.minIdleMs !== undefined || q.minDeliveries !== undefined)) {
    throw new BadInputError(`consumer:, idle: and deliveries: apply to pending entries: ${how}`);
  }
}

export function checkBounds(q: SearchQuery): void {
  const { from, to, since, until } = q;
  for (const v of [from, to]) if (v !== undefined && v !== '-' && v !== '+') parseId(v);
  if (from && to && from !== '-' && to !== '+' && from !== '+' && to !== '-' && cmp(from, to) > 0) {
    throw new BadInputError(`"from:${from}" is after "to:${to}": no id is in that range (the smaller id goes in from:)`);
  }
  if (since !== undefined && until !== undefined && since > until) {
    throw new BadInputError(`"since" (${new Date(since).toISOString()}) is after "until" (${new Date(until).toISOString()}): no time is in that range`);
  }
  if (from === '+' || to === '-' || !idBounds(q)) {
    throw new BadInputError('The id bounds (from:, to:) and the time bounds (since:, until:) leave no id between them: nothing can match');
  }
}

function findRegexEnd(s: string, start: number): number {
  let i = start + 1;
  while (i < s.length && s[i] !== '/') i += s[i] === '\\' ? 2 : 1;
  if (i >= s.length) throw new BadInputError(`The regular expression starting at character ${start + 1} of the search has no closing /`);
  return i;
}

function condition(name: string, quoted: boolean, op: ConditionOp, value: string, flags?: string): FieldCondition {
  const c: FieldCondition = { op, value };
  if (flags) c.flags = flags;
  if (!(name === '*' && !quoted)) {
    c.name = name;
    if (!quoted) {
      const path = jsonPath(name);
      if (path) c.path = path;
    }
  }
  if (op === 'regex') compileRegex(value, flags); // refuse a bad pattern now
  if (['gt', 'gte', 'lt', 'lte'].includes(op) && decimalValue(value) === undefined) {
    throw new BadInputError(`"${name} ${value}": a comparison needs a decimal number such as 100, -2.5 or 1e3 (got "${value}")`);
  }
  return c;
}

/**
 * The numbers comparisons (`>`, `>=`, `<`, `<=`) read, on both sides: an optional sign, digits
 * with an optional fraction (`12`, `-3.5`, `.5`, `2.`), an optional exponent (`1e3`, `4E-2`).
 * Nothing else is a number: not a blank value, not hex (`0x10`), not `Infinity` or `NaN`, not
 * spaces around the digits. A value that is not a number never matches a comparison.
 */
export const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The text's value when it is a {@link DECIMAL} number, else undefined. */
export function decimalValue(text: string): number | undefined {
  return DECIMAL.test(text) ? Number(text) : undefined;
}

/** `payload.items[0].sku` → ['items', 0, 'sku'] after the field name, or undefined when there is no path. */
function jsonPath(name: string): (string | number)[] | undefined {
  const m = /^([^.[]+)((?:\.[^.[\]]+|\[\d+\])+)$/.exec(name);
  if (!m) return undefined;
  const out: (string | number)[] = [];
  for (const part of m[2]!.match(/\.[^.[\]]+|\[\d+\]/g)!) out.push(part[0] === '[' ? Number(part.slice(1, -1)) : part.slice(1));
  return out;
}

function meta(q: SearchQuery, where: FieldCondition[], key: string, v: string, nowMs: number): void {
  switch (key) {
    // Bounds given twice both hold: the range is their overlap.
    case 'from':
    case 'to': {
      if (v !== '-' && v !== '+') parseId(v);
      const had = q[key];
      const open = (x: string) => x === '-' || x === '+';
      q[key] = had === undefined || open(had) ? v : open(v) ? had : (cmp(v, had) > 0) === (key === 'from') ? v : had;
      return;
    }
    case 'since':
    case 'until': {
      const t = parseTimeSpec(v, nowMs);
      const had = q[key];
      q[key] = had === undefined ? t : key === 'since' ? Math.max(had, t) : Math.min(had, t);
      return;
    }
    case 'consumer':
      if (q.consumer !== undefined && q.consumer !== v) throw new BadInputError(`"consumer:${q.consumer}" and "consumer:${v}": a pending entry has one owner, so nothing could match`);
      q.consumer = v;
      return;
    case 'idle':
      q.minIdleMs = Math.max(q.minIdleMs ?? 0, parseDuration(v));
      return;
    case 'deliveries': {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new BadInputError(`"deliveries:${v}": expected a whole number of deliveries, at least 1`);
      q.minDeliveries = Math.max(q.minDeliveries ?? 0, n);
      return;
    }
    case 'limit': {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new BadInputError(`"limit:${v}": expected a whole number of matches, at least 1`);
      q.limit = n;
      return;
    }
    case 'order':
      if (v !== 'newest' && v !== 'oldest') throw new BadInputError(`"order:${v}": expected order:newest or order:oldest`);
      q.order = v;
      return;
    case 'has':
      where.push(condition(v, false, 'exists', ''));
      return;
  }
}

/** The query as text (for titles and recent searches): its own text when it has one. */
export function describeQuery(q: SearchQuery): string {
  if (q.text) return q.text;
  const parts: string[] = [];
  if (q.from) parts.push(`from:${q.from}`);
  if (q.to) parts.push(`to:${q.to}`);
  if (q.since !== undefined) parts.push(`since:${new Date(q.since).toISOString()}`);
  if (q.until !== undefined) parts.push(`until:${new Date(q.until).toISOString()}`);
  for (const c of q.where ?? []) {
    const name = c.name === undefined ? '*' : /[\s=!~<>"]/.test(c.name) ? JSON.stringify(c.name) : c.name;
    const sym: Record<ConditionOp, string> = { equals: '=', 'not-equals': '!=', contains: '~', regex: '=', exists: '', gt: '>', gte: '>=', lt: '<', lte: '<=' };
    if (c.op === 'exists') parts.push(`has:${name}`);
    else if (c.op === 'regex') parts.push(`${name}=/${c.value}/${c.flags ?? ''}`);
    else parts.push(`${name}${sym[c.op]}${/[\s"]/.test(c.value ?? '') ? JSON.stringify(c.value) : c.value}`);
  }
  if (q.consumer) parts.push(`consumer:${q.consumer}`);
  if (q.minIdleMs) parts.push(`idle:${q.minIdleMs}ms`);
  if (q.minDeliveries) parts.push(`deliveries:${q.minDeliveries}`);
  if (q.order) parts.push(`order:${q.order}`);
  if (q.limit) parts.push(`limit:${q.limit}`);
  return parts.join(' ');
}

/** Id bounds of a query for XRANGE: [start, end], inclusive; null when nothing can match. */
export function idBounds(q: SearchQuery): [string, string] | null {
  let start = q.from && q.from !== '-' ? q.from : '-';
  let end = q.to && q.to !== '+' ? q.to : '+';
  const [t0, t1] = timeRangeIds(q.since, q.until);
  if (t0 !== '-' && (start === '-' || cmp(t0, start) > 0)) start = t0;
  if (t1 !== '+' && (end === '+' || cmp(t1, end) < 0)) end = t1;
  if (start !== '-' && end !== '+' && cmp(start, end) > 0) return null;
  return [start, end];
}

function cmp(a: string, b: string): number {
  const x = parseId(a);
  const y = parseId(b);
  return x.ms !== y.ms ? (x.ms < y.ms ? -1 : 1) : x.seq !== y.seq ? (x.seq < y.seq ? -1 : 1) : 0;
}
