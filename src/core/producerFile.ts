/**
 * Producer files (`*.redisq`): named test messages written by hand, with templated values.
 * A pure parser (never throws: every mistake is a {@link ProducerDiagnostic} with a position), a
 * template engine with a seedable random source (deterministic under a seed), and a formatter
 * whose output parses back to the same messages. No VS Code here.
 *
 * Format (one message per `### name` section; lines before the first section set defaults):
 * ```
 * # a comment (whole lines only; also //)
 * connection: local            # (not a comment: values run to the end of the line)
 * ### order-created
 * stream: orders               # or  list: emails   (a list queue)
 * maxlen: ~10000               # or  =10000 (exact), 10000 (= ~10000); or  minid: ~1700000000000-0
 * count: 1                     # messages per click of "Publish" (default 1)
 * seed: 42                     # random templates repeat the same values on every publish
 * orderId = ord-{{seq}}
 * payload = {"sku": "{{pick:kb|mouse}}", "qty": {{int:1:5}}}
 * note = """
 *   several lines,
 *   indentation removed
 *   """
 * ```
 * Values: the text after `=` (trimmed). A value that is one JSON string literal (`"  padded "`) is
 * decoded. An unquoted value starting with `{` or `[` must be JSON (checked with the templates in
 * place; template output inside a JSON string is escaped). `\{{` is a literal `{{`. A field name
 * with `=`, `:` or spaces at its ends is quoted: `"user:id" = 7`.
 */
import { randomInt } from 'node:crypto';
import { BadInputError, printable } from './errors';
import { isValidId } from './ids';
import type { TrimOptions } from './queue/validate';

// ---------------------------------------------------------------------------------------------
// Model

/** A position on one line: 0-based line, columns [start, end). */
export interface Span {
  line: number;
  start: number;
  end: number;
}

export type Severity = 'error' | 'warning';

export interface ProducerDiagnostic extends Span {
  severity: Severity;
  message: string;
  /** A stable code for quick fixes and tests: `unknown-template`, `bad-maxlen`, ... */
  code: string;
}

/** One `{{...}}` in a value, compiled at parse time. */
export interface TemplateCall {
  /** The generator's canonical name (`int`, `now`, ...). */
  name: string;
  /** The text after the first `:` (undefined when there is none). */
  arg: string | undefined;
  /** Inside a JSON string of a JSON value: its output is JSON-escaped. */
  inJsonString: boolean;
  span: Span;
  render: (state: RenderState) => string;
}

export type ValuePart = string | TemplateCall;

export interface FieldSpec {
  name: string;
  parts: ValuePart[];
  /** The value is JSON (unquoted and starting with `{` or `[`): every rendering is checked. */
  json: boolean;
  /** Where the field's line starts (the name), for messages. */
  span: Span;
}

export type TargetKind = 'stream' | 'list';

/** A message section, with the file's defaults applied. */
export interface MessageSpec {
  name: string;
  /** The `###` line. */
  line: number;
  /** The last line of the section (inclusive). */
  endLine: number;
  target?: { kind: TargetKind; key: string };
  trim?: TrimOptions;
  /** Messages per click of "Publish" (default 1). */
  count: number;
  connection?: string;
  seed?: number;
  jobPrefix?: string;
  fields: FieldSpec[];
  /** This section's problems (file-level problems are in {@link ProducerFile.diagnostics} only). */
  diagnostics: ProducerDiagnostic[];
}

export interface ProducerFile {
  messages: MessageSpec[];
  /** Every problem in the file, sections' included, in line order. */
  diagnostics: ProducerDiagnostic[];
}

export interface ParseOptions {
  /** Environment for `{{env:VAR}}` checks (an unset variable without a default is an error). Default: not checked. */
  env?: Record<string, string | undefined>;
  /** Known connection names: a `connection:` naming another is a warning. Default: not checked. */
  connections?: readonly string[];
}

/** Most messages one publish may render (×N is capped here). */
export const MAX_COUNT = 100_000;

/** Keys of a section (case-insensitive), with what they take. */
export const KEYS: Record<string, string> = {
  stream: 'the stream to XADD to',
  list: 'the list queue to enqueue on (payload in a hash, id pushed on the list)',
  maxlen: 'trim on every XADD: `~10000` (approximate, the default) or `=10000` (exact)',
  minid: 'trim entries below this id on every XADD: `~1700000000000-0` or `=...`',
  count: `messages per click of "Publish" (1–${MAX_COUNT}, default 1)`,
  connection: 'the connection to publish on (default: ask once per file when there are several)',
  seed: 'an integer: random templates produce the same values on every publish',
  jobprefix: 'list queues: prefix of the job hashes (default `<queue>:job:`)',
};

// ---------------------------------------------------------------------------------------------
// Templates

/** What a template sees while one message is rendered. */
export interface RenderState {
  /** Uniform in [0, 1). */
  rng: () => number;
  /** The message's sequence number (1, 2, ... continuing across publishes). */
  seq: number;
  /** 0-based position in the current batch. */
  index: number;
  /** Epoch ms for this message. */
  now: number;
  env: Record<string, string | undefined>;
  /** The message's name. */
  message: string;
}

type Kind = 'number' | 'boolean' | 'string' | 'any';
type Compiled = { error: string } | { warning?: string; render: (s: RenderState) => string };

interface Generator {
  name: string;
  /** Argument syntax shown in docs, e.g. `min:max`. Empty when none. */
  args: string;
  doc: string;
  example: string;
  /** What it renders, for JSON checks: numbers and booleans may stand outside JSON quotes. */
  kind: Kind;
  compile(arg: string | undefined, options: ParseOptions): Compiled;
}

const WORDS = (
  'apple breeze candle dawn ember falcon garden harbor island jasmine kernel lantern meadow nectar orbit pepper quartz ' +
  'river saddle timber umber velvet willow xenon yonder zephyr anchor basil cobalt delta echo fable glacier hollow ivory ' +
  'juniper kite lotus maple nimbus opal prism quill rustic sierra tundra unity vortex walnut yarrow zinc amber bramble ' +
  'cinder drift ferry granite heron indigo jet koala lilac mango nova onyx pebble quasar raven spruce tulip'
).split(' ');
const FIRST = 'Ada Alan Grace Linus Margaret Dennis Barbara Ken Radia Tim Frances Edsger Hedy Donald Katherine Guido Sophie John Yukihiro Annie Bjarne Shafi Leslie Joan Niklaus Carol Brian Lynn Ward Mary'.split(' ');
const LAST = 'Lovelace Turing Hopper Torvalds Hamilton Ritchie Liskov Thompson Perlman Berners-Lee Allen Dijkstra Lamarr Knuth Johnson Rossum Wilson McCarthy Matsumoto Easley Stroustrup Goldwasser Lamport Clarke Wirth Shaw Kernighan Conway Cunningham Keller'.split(' ');
const CITIES = 'Amsterdam Berlin Cairo Denver Edinburgh Florence Geneva Helsinki Istanbul Jakarta Kyoto Lisbon Madrid Nairobi Oslo Porto Quito Reykjavik Seoul Toronto Utrecht Valencia Warsaw Zurich'.split(' ');
const COUNTRIES = 'Argentina Brazil Canada Denmark Egypt France Germany Hungary India Japan Kenya Mexico Norway Portugal Spain Sweden Thailand Uruguay Vietnam Zambia'.split(' ');
const DOMAINS = ['example.com', 'example.org', 'example.net', 'test.dev'];

const INT = /^[+-]?\d+$/;
const NUM = /^[+-]?(\d+\.?\d*|\.\d+)$/;
const OFFSET = /^([+-])(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function pick<T>(list: readonly T[], rng: () => number): T {
  return list[Math.floor(rng() * list.length)]!;
}

function randInt(min: number, max: number, rng: () => number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

function lengthArg(arg: string | undefined, fallback: number, max: number, what: string): { n: number } | { error: string } {
  if (arg === undefined || arg === '') return { n: fallback };
  if (!/^\d+$/.test(arg) || Number(arg) < 1 || Number(arg) > max) return { error: `${what} takes a length from 1 to ${max} (got "${printable(arg)}")` };
  return { n: Number(arg) };
}

function chars(alphabet: string, arg: string | undefined, fallback: number, name: string): Compiled {
  const n = lengthArg(arg, fallback, 4096, `{{${name}}}`);
  if ('error' in n) return n;
  return { render: (s) => Array.from({ length: n.n }, () => alphabet[Math.floor(s.rng() * alphabet.length)]).join('') };
}

function noArg(name: string, arg: string | undefined, render: (s: RenderState) => string): Compiled {
  return arg === undefined ? { render } : { error: `{{${name}}} takes no argument (got "${printable(arg)}")` };
}

function personFrom(s: RenderState): { first: string; last: string } {
  return { first: pick(FIRST, s.rng), last: pick(LAST, s.rng) };
}

/** Every template generator, in documentation order. */
export const GENERATORS: readonly Generator[] = [
  {
    name: 'seq', args: '[start]', kind: 'number', example: 'ord-{{seq}} → ord-1, ord-2, …',
    doc: 'A sequence number per message, continuing across publishes (while VS Code runs). `{{seq:1000}}` starts at 1000.',
    compile(arg) {
      if (arg === undefined) return { render: (s) => String(s.seq) };
      if (!INT.test(arg)) return { error: `{{seq:start}} needs an integer start (got "${printable(arg)}")` };
      const start = Number(arg);
      return { render: (s) => String(start + s.seq - 1) };
    },
  },
  {
    name: 'index', args: '', kind: 'number', example: '{{index}} → 0, 1, … within one ×N batch',
    doc: 'The 0-based position of the message in the current batch.',
    compile: (arg) => noArg('index', arg, (s) => String(s.index)),
  },
  {
    name: 'uuid', args: '', kind: 'string', example: '{{uuid}} → 3f2b…-4…',
    doc: 'A random version-4 UUID.',
    compile: (arg) =>
      noArg('uuid', arg, (s) => {
        const b = Array.from({ length: 16 }, () => Math.floor(s.rng() * 256));
        b[6] = (b[6]! & 0x0f) | 0x40;
        b[8] = (b[8]! & 0x3f) | 0x80;
        const h = b.map((x) => x.toString(16).padStart(2, '0')).join('');
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      }),
  },
  {
    name: 'now', args: '[ms|s|iso|date][:±N(ms|s|m|h|d)]', kind: 'any', example: '{{now}} → 1700000000000, {{now:iso:-1h}} → 2023-11-14T21:13:20.000Z',
    doc: 'The current time: epoch milliseconds (default), `s` epoch seconds, `iso` ISO-8601, `date` YYYY-MM-DD (UTC); an optional offset such as `+5m` or `-1d`.',
    compile(arg) {
      let format = 'ms';
      let offset = 0;
      for (const part of arg === undefined ? [] : arg.split(':')) {
        const m = OFFSET.exec(part);
        if (m) offset = (m[1] === '-' ? -1 : 1) * Number(m[2]) * UNIT_MS[m[3]!]!;
        else if (['ms', 's', 'iso', 'date'].includes(part)) format = part;
        else return { error: `{{now}} takes ms, s, iso or date and an offset like +5m (got "${printable(part)}")` };
      }
      return {
        render: (s) => {
          const t = s.now + offset;
          if (format === 's') return String(Math.floor(t / 1000));
          if (format === 'iso') return new Date(t).toISOString();
          if (format === 'date') return new Date(t).toISOString().slice(0, 10);
          return String(t);
        },
      };
    },
  },
  {
    name: 'int', args: '[min:max]', kind: 'number', example: '{{int:1:100}} → 42',
    doc: 'A random integer from min to max inclusive (default 0:100).',
    compile(arg) {
      const [a, b, extra] = arg === undefined ? ['0', '100'] : arg.split(':');
      if (extra !== undefined || a === undefined || b === undefined || !INT.test(a) || !INT.test(b)) return { error: `{{int:min:max}} needs two integers (got "${printable(arg ?? '')}")` };
      const min = Number(a);
      const max = Number(b);
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max)) return { error: '{{int}} bounds must be safe integers (|n| < 2^53)' };
      if (min > max) return { error: `{{int:${min}:${max}}}: min is greater than max` };
      return { render: (s) => String(randInt(min, max, s.rng)) };
    },
  },
  {
    name: 'float', args: '[min:max[:decimals]]', kind: 'number', example: '{{float:5:500:2}} → 123.45',
    doc: 'A random decimal number from min to max with a fixed number of decimals (default 0:1:2).',
    compile(arg) {
      const [a = '0', b = '1', d = '2', extra] = arg === undefined ? [] : arg.split(':');
      if (extra !== undefined || (arg !== undefined && arg.split(':').length < 2) || !NUM.test(a) || !NUM.test(b) || !/^\d+$/.test(d)) {
        return { error: `{{float:min:max[:decimals]}} needs two numbers and optionally a number of decimals (got "${printable(arg ?? '')}")` };
      }
      const min = Number(a);
      const max = Number(b);
      const dec = Number(d);
      if (min > max) return { error: `{{float:${a}:${b}}}: min is greater than max` };
      if (dec > 15) return { error: '{{float}} takes at most 15 decimals' };
      return { render: (s) => (min + s.rng() * (max - min)).toFixed(dec) };
    },
  },
  {
    name: 'bool', args: '', kind: 'boolean', example: '{{bool}} → true',
    doc: '`true` or `false`.',
    compile: (arg) => noArg('bool', arg, (s) => String(s.rng() < 0.5)),
  },
  {
    name: 'pick', args: 'a|b|c', kind: 'any', example: '{{pick:kb|mouse|screen}} → mouse',
    doc: 'One of the options, separated by `|`, at random.',
    compile(arg) {
      if (arg === undefined || arg === '') return { error: '{{pick:a|b|c}} needs options separated by |' };
      const options = arg.split('|');
      return { render: (s) => pick(options, s.rng) };
    },
  },
  {
    name: 'word', args: '', kind: 'string', example: '{{word}} → lantern',
    doc: 'A random lower-case word.',
    compile: (arg) => noArg('word', arg, (s) => pick(WORDS, s.rng)),
  },
  {
    name: 'words', args: '[n]', kind: 'string', example: '{{words:3}} → river opal kite',
    doc: 'n random words separated by spaces (default 3).',
    compile(arg) {
      const n = lengthArg(arg, 3, 1000, '{{words}}');
      if ('error' in n) return n;
      return { render: (s) => Array.from({ length: n.n }, () => pick(WORDS, s.rng)).join(' ') };
    },
  },
  {
    name: 'name', args: '', kind: 'string', example: '{{name}} → Grace Hopper',
    doc: 'A random full name.',
    compile: (arg) => noArg('name', arg, (s) => {
      const p = personFrom(s);
      return `${p.first} ${p.last}`;
    }),
  },
  {
    name: 'firstName', args: '', kind: 'string', example: '{{firstName}} → Ada',
    doc: 'A random first name.',
    compile: (arg) => noArg('firstName', arg, (s) => pick(FIRST, s.rng)),
  },
  {
    name: 'lastName', args: '', kind: 'string', example: '{{lastName}} → Lovelace',
    doc: 'A random last name.',
    compile: (arg) => noArg('lastName', arg, (s) => pick(LAST, s.rng)),
  },
  {
    name: 'email', args: '', kind: 'string', example: '{{email}} → ada.lovelace42@example.com',
    doc: 'A random e-mail address on a reserved example domain.',
    compile: (arg) => noArg('email', arg, (s) => {
      const p = personFrom(s);
      const local = `${p.first}.${p.last}`.toLowerCase().replace(/[^a-z.]/g, '');
      return `${local}${randInt(1, 99, s.rng)}@${pick(DOMAINS, s.rng)}`;
    }),
  },
  {
    name: 'city', args: '', kind: 'string', example: '{{city}} → Lisbon',
    doc: 'A random city.',
    compile: (arg) => noArg('city', arg, (s) => pick(CITIES, s.rng)),
  },
  {
    name: 'country', args: '', kind: 'string', example: '{{country}} → Kenya',
    doc: 'A random country.',
    compile: (arg) => noArg('country', arg, (s) => pick(COUNTRIES, s.rng)),
  },
  {
    name: 'ip', args: '', kind: 'string', example: '{{ip}} → 10.23.4.200',
    doc: 'A random private IPv4 address (10.0.0.0/8).',
    compile: (arg) => noArg('ip', arg, (s) => `10.${randInt(0, 255, s.rng)}.${randInt(0, 255, s.rng)}.${randInt(1, 254, s.rng)}`),
  },
  {
    name: 'hex', args: '[n]', kind: 'string', example: '{{hex:8}} → 9f03a1c2',
    doc: 'n random hex digits (default 16).',
    compile: (arg) => chars('0123456789abcdef', arg, 16, 'hex'),
  },
  {
    name: 'alnum', args: '[n]', kind: 'string', example: '{{alnum:6}} → aZ3k9Q',
    doc: 'n random letters and digits (default 12).',
    compile: (arg) => chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', arg, 12, 'alnum'),
  },
  {
    name: 'env', args: 'VAR[:default]', kind: 'any', example: '{{env:USER}} → ada',
    doc: 'An environment variable of the VS Code process, or the default after `:` when it is unset.',
    compile(arg, options) {
      if (!arg) return { error: '{{env:VAR}} needs a variable name' };
      const i = arg.indexOf(':');
      const name = i < 0 ? arg : arg.slice(0, i);
      const fallback = i < 0 ? undefined : arg.slice(i + 1);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return { error: `{{env:${printable(name)}}}: not a variable name` };
      if (options.env && fallback === undefined && options.env[name] === undefined) return { error: `Environment variable ${name} is not set (give a default: {{env:${name}:default}})` };
      return {
        render: (s) => {
          const v = s.env[name] ?? fallback;
          if (v === undefined) throw new BadInputError(`Environment variable ${name} is not set`);
          return v;
        },
      };
    },
  },
  {
    name: 'message', args: '', kind: 'string', example: '{{message}} → order-created',
    doc: 'The message\'s name (its `###` title).',
    compile: (arg) => noArg('message', arg, (s) => s.message),
  },
];

const BY_NAME = new Map(GENERATORS.map((g) => [g.name.toLowerCase(), g]));

/** Documentation of the template syntax, one line per generator (README, hovers, completion). */
export function templateReference(): { name: string; syntax: string; doc: string; example: string }[] {
  return GENERATORS.map((g) => ({ name: g.name, syntax: `{{${g.name}${g.args ? `:${g.args.replace(/^\[|\]$/g, '')}` : ''}}}`, doc: g.doc, example: g.example }));
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

function suggest(word: string, names: readonly string[]): string {
  const w = word.toLowerCase();
  const best = names.map((n) => ({ n, d: editDistance(w, n.toLowerCase()) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(1, Math.floor(w.length / 3)) ? ` Did you mean "${best.n}"?` : '';
}

// ---------------------------------------------------------------------------------------------
// Random source

/** A small fast PRNG (sfc32) seeded through splitmix32; uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// Values: template scanning

/** Where each character of a value came from (values may span lines). */
interface Source {
  text: string;
  /** For each line of `text` (split on \n): its document line and the column of its first character. */
  lines: { line: number; col: number }[];
}

function spanOf(src: Source, from: number, to: number): Span {
  let line = 0;
  let offset = 0;
  const rows = src.text.split('\n');
  while (line < rows.length - 1 && from > offset + rows[line]!.length) {
    offset += rows[line]!.length + 1;
    line++;
  }
  const at = src.lines[line] ?? src.lines[0]!;
  const start = at.col + (from - offset);
  const end = at.col + Math.min(to - offset, rows[line]!.length);
  return { line: at.line, start, end: Math.max(end, start + 1) };
}

interface Sink {
  diag(d: ProducerDiagnostic): void;
}

function addDiag(sink: Sink, severity: Severity, code: string, span: Span, message: string): void {
  sink.diag({ severity, code, message, ...span });
}

/**
 * Splits a value into literal text and compiled templates. A run of k backslashes before `{{`
 * stands for ⌊k/2⌋ backslashes, and the `{{` is literal when k is odd.
 */
function scanTemplates(src: Source, options: ParseOptions, sink: Sink): ValuePart[] {
  const text = src.text;
  const parts: ValuePart[] = [];
  let lit = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) {
      lit += text.slice(i);
      break;
    }
    let bs = 0;
    while (open - bs - 1 >= i && text[open - bs - 1] === '\\') bs++;
    lit += text.slice(i, open - bs) + '\\'.repeat(Math.floor(bs / 2));
    if (bs % 2 === 1) {
      lit += '{{';
      i = open + 2;
      continue;
    }
    const close = text.indexOf('}}', open + 2);
    if (close < 0) {
      addDiag(sink, 'error', 'unclosed-template', spanOf(src, open, text.length), 'Unclosed template: "{{" without "}}" (write \\{{ for a literal "{{")');
      lit += text.slice(open);
      break;
    }
    if (lit) parts.push(lit);
    lit = '';
    const inner = text.slice(open + 2, close).trim();
    const span = spanOf(src, open, close + 2);
    const colon = inner.indexOf(':');
    const name = colon < 0 ? inner : inner.slice(0, colon).trim();
    const gen = BY_NAME.get(name.toLowerCase());
    const rawArg = colon < 0 ? undefined : inner.slice(colon + 1);
    // Spaces around ":" do not matter, except in pick options and env defaults, where they are text.
    const arg = rawArg === undefined || gen?.name === 'pick' || gen?.name === 'env' ? rawArg : rawArg.split(':').map((x) => x.trim()).join(':');
    let render: (s: RenderState) => string = () => '';
    if (!gen) {
      addDiag(sink, 'error', 'unknown-template', span, `Unknown template "{{${printable(name, 40)}}}".${suggest(name, GENERATORS.map((g) => g.name))} Templates: ${GENERATORS.map((g) => g.name).join(', ')}`);
    } else {
      const c = gen.compile(arg, options);
      if ('error' in c) addDiag(sink, 'error', 'bad-template', span, c.error);
      else {
        if (c.warning) addDiag(sink, 'warning', 'template', span, c.warning);
        render = c.render;
      }
    }
    parts.push({ name: gen?.name ?? name, arg, inJsonString: false, span, render });
    i = close + 2;
  }
  if (lit) parts.push(lit);
  return parts;
}

/**
 * Checks a JSON value with its templates in place: templates outside JSON strings stand for
 * numbers/booleans (text-valued ones there are errors), templates inside strings get escaped.
 * Marks each template's `inJsonString`.
 */
function checkJson(parts: ValuePart[], span: Span, sink: Sink): void {
  let inString = false;
  let escape = false;
  let skeleton = '';
  for (const p of parts) {
    if (typeof p === 'string') {
      for (const ch of p) {
        if (escape) escape = false;
        else if (inString && ch === '\\') escape = true;
        else if (ch === '"') inString = !inString;
      }
      skeleton += p;
      continue;
    }
    p.inJsonString = inString;
    if (inString) {
      skeleton += 'x';
      continue;
    }
    const kind = BY_NAME.get(p.name.toLowerCase())?.kind ?? 'any';
    if (kind === 'string') {
      addDiag(sink, 'error', 'json-template', p.span, `{{${p.name}}} renders text: inside JSON put it in quotes ("{{${p.name}${p.arg === undefined ? '' : `:${p.arg}`}}}")`);
      skeleton += '"x"';
    } else skeleton += kind === 'boolean' ? 'true' : kind === 'number' ? '0' : 'null';
  }
  try {
    JSON.parse(skeleton);
  } catch (e) {
    addDiag(sink, 'error', 'bad-json', span, `Invalid JSON: ${e instanceof Error ? e.message : String(e)} (a value starting with { or [ is JSON; quote the whole value to send it as text)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Parser

const HEADER = /^###(?!#)\s*(.*?)\s*$/;
const COMMENT = /^\s*(#|\/\/)/;
const BLOCK = '"""';

/** An unquoted value starting with `[` or `{` (not a `{{` template) is JSON. */
function looksLikeJson(text: string): boolean {
  return text.startsWith('[') || (text.startsWith('{') && !text.startsWith('{{'));
}

/** Decodes a JSON string literal when the whole text is one; otherwise undefined. */
function jsonString(text: string): string | undefined {
  if (text.length < 2 || !text.startsWith('"') || !text.endsWith('"')) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

interface Scope {
  values: Map<string, { value: string; span: Span }>;
}

/** Parses a producer file. Never throws: every problem is a diagnostic. */
export function parseProducerFile(text: string, options: ParseOptions = {}): ProducerFile {
  const lines = String(text ?? '').split(/\r\n|\r|\n/);
  const all: ProducerDiagnostic[] = [];
  const fileSink: Sink = { diag: (d) => all.push(d) };
  const defaults: Scope = { values: new Map() };
  const messages: MessageSpec[] = [];
  let current: { spec: MessageSpec; scope: Scope; names: Map<string, Span> } | undefined;

  const sink = (): Sink => (current ? { diag: (d) => (current!.spec.diagnostics.push(d), all.push(d)) } : fileSink);

  for (let ln = 0; ln < lines.length; ln++) {
    const raw = lines[ln]!;
    if (!raw.trim()) continue;
    const header = HEADER.exec(raw);
    if (!header && COMMENT.test(raw)) continue;
    if (header) {
      if (current) finish(current, defaults, options, lines, ln - 1, fileSink);
      const spec: MessageSpec = { name: header[1]!, line: ln, endLine: ln, count: 1, fields: [], diagnostics: [] };
      current = { spec, scope: { values: new Map() }, names: new Map() };
      messages.push(spec);
      if (!spec.name) addDiag(sink(), 'error', 'no-name', { line: ln, start: 0, end: raw.length }, 'A message needs a name after ###');
      else if (messages.some((m) => m !== spec && m.name === spec.name)) addDiag(sink(), 'warning', 'duplicate-message', { line: ln, start: 0, end: raw.length }, `Another message is also named "${printable(spec.name)}"`);
      continue;
    }
    const indent = raw.length - raw.trimStart().length;
    const body = raw.trim();
    const s = sink();
    const lineSpan: Span = { line: ln, start: indent, end: raw.trimEnd().length };

    // Field name: quoted, or the text before "=" when "=" comes before any ":".
    let fieldName: string | undefined;
    let nameSpan: Span = lineSpan;
    let rest: string | undefined;
    let restCol = 0;
    if (body.startsWith('"')) {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(body);
      const decoded = m ? jsonString(m[0]) : undefined;
      const after = m ? body.slice(m[0].length) : '';
      const eq = /^\s*=/.exec(after);
      if (decoded === undefined || !eq) {
        addDiag(s, 'error', 'syntax', lineSpan, 'Expected "field name" = value');
        continue;
      }
      fieldName = decoded;
      nameSpan = { line: ln, start: indent, end: indent + m![0].length };
      rest = after.slice(eq[0].length);
      restCol = indent + m![0].length + eq[0].length;
    } else {
      const eq = body.indexOf('=');
      const colon = body.indexOf(':');
      if (colon >= 0 && (eq < 0 || colon < eq)) {
        handleKey(body.slice(0, colon).trim(), body.slice(colon + 1), ln, indent, indent + colon + 1, raw, current, defaults, s, options);
        continue;
      }
      if (eq < 0) {
        addDiag(s, 'error', 'syntax', lineSpan, 'Expected "key: value" (stream, list, maxlen, count, …) or "field = value"');
        continue;
      }
      fieldName = body.slice(0, eq).trim();
      nameSpan = { line: ln, start: indent, end: indent + Math.max(eq, 1) };
      rest = body.slice(eq + 1);
      restCol = indent + eq + 1;
    }
    if (!current) {
      addDiag(s, 'error', 'field-outside', nameSpan, 'Fields belong to a message: start one with "### name" above');
      continue;
    }
    if (!fieldName) {
      addDiag(s, 'error', 'empty-field', nameSpan, 'The field name is empty');
    }
    // Value: a """ block, a quoted string, or the rest of the line.
    const lead = rest.length - rest.trimStart().length;
    const valueText = rest.trim();
    const valueCol = restCol + lead;
    let src: Source;
    let json = false;
    let quoted = false;
    if (valueText === BLOCK) {
      const start = ln;
      const block: { text: string; line: number }[] = [];
      let closed = false;
      for (ln = ln + 1; ln < lines.length; ln++) {
        if (lines[ln]!.trim() === BLOCK) {
          closed = true;
          break;
        }
        block.push({ text: lines[ln]!, line: ln });
      }
      if (!closed) {
        addDiag(s, 'error', 'unclosed-block', { line: start, start: valueCol, end: valueCol + 3 }, 'Unclosed """ block: end it with a line holding only """');
        ln = lines.length - 1;
      }
      // Common indentation is removed (blank lines do not count).
      const indentOf = (t: string) => t.length - t.trimStart().length;
      const cut = Math.min(...block.filter((b) => b.text.trim()).map((b) => indentOf(b.text)), 1e9) % 1e9;
      const cols = block.map((b) => Math.min(cut, indentOf(b.text)));
      src = block.length
        ? { text: block.map((b, i) => b.text.slice(cols[i])).join('\n'), lines: block.map((b, i) => ({ line: b.line, col: cols[i]! })) }
        : { text: '', lines: [{ line: start, col: valueCol }] };
      json = looksLikeJson(src.text.trim());
    } else {
      const decoded = jsonString(valueText);
      quoted = decoded !== undefined;
      // Positions inside a decoded string are approximate (escapes shift them); they stay on the line.
      src = { text: decoded ?? valueText, lines: [{ line: ln, col: valueCol + (quoted ? 1 : 0) }] };
      json = !quoted && looksLikeJson(valueText);
    }
    const parts = scanTemplates(src, options, s);
    const valueSpan: Span = valueText === BLOCK ? { line: nameSpan.line, start: valueCol, end: valueCol + 3 } : { line: ln, start: valueCol, end: Math.max(valueCol + valueText.length, valueCol + 1) };
    if (json) checkJson(parts, valueSpan, s);
    if (fieldName) {
      const prior = current.names.get(fieldName);
      if (prior) addDiag(s, 'error', 'duplicate-field', nameSpan, `Field "${printable(fieldName)}" is set twice in this message (first on line ${prior.line + 1})`);
      else current.names.set(fieldName, nameSpan);
    }
    current.spec.fields.push({ name: fieldName ?? '', parts, json, span: nameSpan });
  }
  if (current) finish(current, defaults, options, lines, lines.length - 1, fileSink);
  all.sort((a, b) => a.line - b.line || a.start - b.start);
  return { messages, diagnostics: all };
}

function handleKey(
  keyText: string,
  valueRaw: string,
  ln: number,
  indent: number,
  valueStart: number,
  raw: string,
  current: { spec: MessageSpec; scope: Scope } | undefined,
  defaults: Scope,
  s: Sink,
  _options: ParseOptions,
): void {
  const key = keyText.toLowerCase();
  const keySpan: Span = { line: ln, start: indent, end: indent + Math.max(keyText.length, 1) };
  if (!(key in KEYS)) {
    const eq = raw.indexOf('=');
    const hint = eq < 0 ? '' : ` A field name with ":" is quoted: "${printable(raw.slice(0, eq).trim())}" = …`;
    addDiag(s, 'error', 'unknown-key', keySpan, `Unknown key "${printable(keyText, 40)}".${suggest(keyText, Object.keys(KEYS))} Keys: ${Object.keys(KEYS).join(', ')}. Fields are written "name = value".${hint}`);
    return;
  }
  const lead = valueRaw.length - valueRaw.trimStart().length;
  const text = valueRaw.trim();
  const span: Span = { line: ln, start: valueStart + lead, end: Math.max(valueStart + lead + text.length, valueStart + lead + 1) };
  const scope = current?.scope ?? defaults;
  if (scope.values.has(key)) {
    addDiag(s, 'error', 'duplicate-key', keySpan, `"${key}" is set twice${current ? ' in this message' : ' in the defaults'} (first on line ${scope.values.get(key)!.span.line + 1})`);
    return;
  }
  scope.values.set(key, { value: jsonString(text) ?? text, span });
}

/** Resolves a section's keys (its own over the file's defaults) and checks the whole message. */
function finish(cur: { spec: MessageSpec; scope: Scope }, defaults: Scope, options: ParseOptions, lines: string[], lastLine: number, file: Sink): void {
  const m = cur.spec;
  m.endLine = lastLine;
  while (m.endLine > m.line && !lines[m.endLine]!.trim()) m.endLine--;
  const all = m.diagnostics;
  const s: Sink = { diag: (d) => (all.push(d), file.diag(d)) };
  const own = cur.scope.values;
  const get = (k: string) => own.get(k) ?? defaults.values.get(k);
  const header: Span = { line: m.line, start: 0, end: 3 + m.name.length + 1 };
  const stream = own.get('stream');
  const list = own.get('list');
  if (stream && list) addDiag(s, 'error', 'two-targets', list.span, 'A message goes to a stream or a list, not both');
  const target = stream ? { kind: 'stream' as const, v: stream } : list ? { kind: 'list' as const, v: list } : defaults.values.get('stream') ? { kind: 'stream' as const, v: defaults.values.get('stream')! } : defaults.values.get('list') ? { kind: 'list' as const, v: defaults.values.get('list')! } : undefined;
  if (!target) addDiag(s, 'error', 'missing-target', header, 'No target: add "stream: <key>" or "list: <queue>"');
  else if (!target.v.value) addDiag(s, 'error', 'missing-target', target.v.span, `The ${target.kind} name is empty`);
  else m.target = { kind: target.kind, key: target.v.value };

  // Trimming: the message's own maxlen/minid replace the defaults'; "maxlen: none" turns a default off.
  const level = own.has('maxlen') || own.has('minid') ? own : defaults.values;
  if (level.has('maxlen') && level.has('minid')) addDiag(s, 'error', 'bad-trim', level.get('minid')!.span, 'Use maxlen or minid, not both');
  const trimKey = level.has('maxlen') ? 'maxlen' : level.has('minid') ? 'minid' : undefined;
  const t = trimKey ? level.get(trimKey)! : undefined;
  if (trimKey && t && !/^(none|off)$/i.test(t.value)) {
    const mm = /^([~=])?\s*(.*)$/.exec(t.value)!;
    const exact = mm[1] === '=';
    const rest = mm[2]!.trim();
    if (trimKey === 'maxlen') {
      const n = Number(rest.replace(/_/g, ''));
      if (!/^\d+(_\d+)*$/.test(rest) || !Number.isSafeInteger(n)) addDiag(s, 'error', 'bad-maxlen', t.span, `maxlen needs a non-negative integer, optionally after ~ (approximate, the default) or = (exact), e.g. ~10000: got "${printable(t.value, 60)}"`);
      else m.trim = { strategy: 'MAXLEN', threshold: n, exact };
    } else if (!isValidId(rest)) addDiag(s, 'error', 'bad-minid', t.span, `minid needs a stream id such as ~1700000000000-0: got "${printable(t.value, 60)}"`);
    else m.trim = { strategy: 'MINID', threshold: rest, exact };
    if (m.trim && m.target?.kind === 'list') {
      if (level === own) addDiag(s, 'error', 'trim-on-list', t.span, `${trimKey} applies to streams only (this message goes to a list queue)`);
      m.trim = undefined;
    }
  }

  const count = get('count');
  if (count) {
    const c = count.value;
    const n = Number(c.replace(/_/g, ''));
    if (!/^\d+(_\d+)*$/.test(c) || n < 1 || n > MAX_COUNT) addDiag(s, 'error', 'bad-count', count.span, `count needs an integer from 1 to ${MAX_COUNT}: got "${printable(count.value, 60)}"`);
    else m.count = n;
  }
  const seed = get('seed');
  if (seed) {
    if (!/^[+-]?\d{1,15}$/.test(seed.value)) addDiag(s, 'error', 'bad-seed', seed.span, `seed needs an integer: got "${printable(seed.value, 60)}"`);
    else m.seed = Number(seed.value);
  }
  const conn = get('connection');
  if (conn) {
    if (!conn.value) addDiag(s, 'error', 'bad-connection', conn.span, 'The connection name is empty');
    else {
      m.connection = conn.value;
      if (options.connections && !options.connections.includes(conn.value)) {
        addDiag(s, 'warning', 'unknown-connection', conn.span, `No connection named "${printable(conn.value, 60)}"${options.connections.length ? ` (connections: ${options.connections.join(', ')})` : ' (none is configured)'}`);
      }
    }
  }
  const prefix = get('jobprefix');
  if (prefix) {
    if (m.target?.kind === 'stream' && own.has('jobprefix')) addDiag(s, 'error', 'prefix-on-stream', prefix.span, 'jobprefix applies to list queues only');
    else if (!prefix.value) addDiag(s, 'error', 'bad-prefix', prefix.span, 'jobprefix is empty');
    else if (m.target?.kind === 'list') m.jobPrefix = prefix.value;
  }

  if (!m.fields.length) addDiag(s, 'error', 'no-fields', header, 'No fields: add at least one "field = value" line (Redis has no empty entries)');
  if (m.target?.kind === 'list') {
    for (const f of m.fields) if (f.name.startsWith('__')) addDiag(s, 'error', 'reserved-field', f.span, `Field "${printable(f.name)}" starts with "__", which list queues reserve for bookkeeping`);
  }
  all.sort((a, b) => a.line - b.line || a.start - b.start);
}

/** Whether a message may be published (no error-level diagnostics). */
export function isPublishable(m: MessageSpec): boolean {
  return !m.diagnostics.some((d) => d.severity === 'error');
}

/** The message whose section contains `line`, if any. */
export function messageAt(file: ProducerFile, line: number): MessageSpec | undefined {
  let found: MessageSpec | undefined;
  for (const m of file.messages) if (m.line <= line) found = m;
  return found;
}

// ---------------------------------------------------------------------------------------------
// Rendering

export interface RenderOptions {
  /** Seeds the random source (overrides the message's `seed:`). Default: the message's seed, else random. */
  seed?: number;
  /** The first message's `{{seq}}`. Default 1. */
  seqStart?: number;
  /** The clock: a fixed epoch ms or a function. Default Date.now. */
  now?: number | (() => number);
  /** For `{{env:VAR}}`. Default process.env. */
  env?: Record<string, string | undefined>;
}

function stateFor(o: RenderOptions, seed: number | undefined, message: string): RenderState {
  return {
    rng: seededRandom(seed ?? randomInt(0, 2 ** 32 - 1)),
    seq: o.seqStart ?? 1,
    index: 0,
    now: 0,
    env: o.env ?? process.env,
    message,
  };
}

function renderParts(parts: readonly ValuePart[], state: RenderState): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else {
      const v = p.render(state);
      out += p.inJsonString ? JSON.stringify(v).slice(1, -1) : v;
    }
  }
  return out;
}

/**
 * Renders `n` messages of a section (fields → strings), with `{{seq}}` running from `seqStart`.
 * Throws BadInputError when the message has errors or a JSON value renders to invalid JSON;
 * nothing should be sent then.
 */
export function renderMessages(m: MessageSpec, n: number, o: RenderOptions = {}): [string, string][][] {
  if (!isPublishable(m)) {
    const first = m.diagnostics.find((d) => d.severity === 'error')!;
    throw new BadInputError(`Message "${printable(m.name)}" has errors (line ${first.line + 1}: ${first.message})`);
  }
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_COUNT) throw new BadInputError(`The number of messages must be from 1 to ${MAX_COUNT} (got ${printable(String(n))})`);
  const state = stateFor(o, o.seed ?? m.seed, m.name);
  const seq0 = state.seq;
  const clock = typeof o.now === 'function' ? o.now : o.now === undefined ? Date.now : () => o.now as number;
  const out: [string, string][][] = [];
  for (let i = 0; i < n; i++) {
    state.seq = seq0 + i;
    state.index = i;
    state.now = clock();
    // Pairs in the file's order; a name written twice is sent twice (Redis keeps both).
    const fields: [string, string][] = [];
    for (const f of m.fields) {
      const v = renderParts(f.parts, state);
      if (f.json) {
        try {
          JSON.parse(v);
        } catch (e) {
          throw new BadInputError(`Field "${printable(f.name)}" of "${printable(m.name)}" rendered invalid JSON (${e instanceof Error ? e.message : String(e)}): ${printable(v, 120)}`);
        }
      }
      fields.push([f.name, v]);
    }
    out.push(fields);
  }
  return out;
}

/**
 * Renders the templates of one value (as written after `=`), e.g. for a preview. Unknown or bad
 * templates render as written. Never throws except for an unset `{{env:VAR}}` without default.
 */
export function renderTemplate(value: string, o: RenderOptions = {}): string {
  const problems: ProducerDiagnostic[] = [];
  const parts = scanTemplates({ text: String(value), lines: [{ line: 0, col: 0 }] }, {}, { diag: (d) => problems.push(d) });
  const state = stateFor(o, o.seed, '');
  state.now = typeof o.now === 'function' ? o.now() : o.now ?? Date.now();
  const bad = new Set(problems.map((p) => `${p.start}:${p.end}`));
  return parts
    .map((p) => {
      if (typeof p === 'string') return p;
      const written = String(value).slice(p.span.start, p.span.end);
      if (bad.has(`${p.span.start}:${p.span.end}`)) return written;
      try {
        return p.render(state);
      } catch {
        return written;
      }
    })
    .join('');
}

// ---------------------------------------------------------------------------------------------
// Formatting (the inverse of the parser, for generated files and round-trip tests)

/** A message to write out; field values are literal (their `{{` are escaped). */
export interface MessageModel {
  name: string;
  target: { kind: TargetKind; key: string };
  trim?: TrimOptions;
  count?: number;
  connection?: string;
  seed?: number;
  jobPrefix?: string;
  fields: [string, string][];
  /** Values written as templates (not escaped), by field name. */
  templated?: Record<string, string>;
}

/** Escapes `{{` (and the backslashes before it) so that a value renders literally. */
export function escapeTemplates(value: string): string {
  return value.replace(/(\\*)\{\{/g, (_m, bs: string) => `${bs}${bs}\\{{`);
}

function needsQuotes(text: string, forName: boolean): boolean {
  if (text === '') return forName;
  if (text !== text.trim() || /[\u0000-\u001f\u007f\u2028\u2029\u0085]/.test(text) || text.startsWith('"')) return true;
  if (forName) return /[=:]/.test(text) || text.startsWith('#') || text.startsWith('//');
  return /^[{[]/.test(text);
}

function quote(text: string, forName: boolean): string {
  return needsQuotes(text, forName) ? JSON.stringify(text) : text;
}

/** Writes one message section. */
export function formatMessage(m: MessageModel): string {
  const lines = [`### ${m.name}`, `${m.target.kind}: ${quote(m.target.key, false)}`];
  if (m.trim) lines.push(`${m.trim.strategy === 'MAXLEN' ? 'maxlen' : 'minid'}: ${m.trim.exact ? '=' : '~'}${m.trim.threshold}`);
  if (m.count !== undefined) lines.push(`count: ${m.count}`);
  if (m.connection !== undefined) lines.push(`connection: ${quote(m.connection, false)}`);
  if (m.seed !== undefined) lines.push(`seed: ${m.seed}`);
  if (m.jobPrefix !== undefined) lines.push(`jobprefix: ${quote(m.jobPrefix, false)}`);
  for (const [k, v] of m.fields) {
    const t = m.templated?.[k];
    lines.push(`${quote(k, true)} = ${t ?? quote(escapeTemplates(v), false)}`);
  }
  return lines.join('\n');
}

/** Writes a whole file: optional defaults, then the messages, separated by blank lines. */
export function formatProducerFile(messages: MessageModel[], defaults: { connection?: string } = {}): string {
  const head = defaults.connection !== undefined ? [`connection: ${quote(defaults.connection, false)}`, ''] : [];
  return [...head, messages.map(formatMessage).join('\n\n'), ''].join('\n');
}
