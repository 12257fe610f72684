/**
 * The template generators (`{{seq}}`, `{{int:1:5}}`, `{{name}}`, ...): each one compiles its
 * argument once at parse time (an error or warning becomes a diagnostic) into a render function
 * that draws from {@link RenderState}. To add a generator, add an entry to {@link GENERATORS};
 * documentation, completion and hovers are built from it.
 */
import { BadInputError, printable } from '../redis/errors';
import type { ParseOptions, RenderState } from './model';

/** What a generator renders (for JSON checks). */
type Kind = 'number' | 'boolean' | 'string' | 'any';
type Compiled = { error: string } | { warning?: string; render: (s: RenderState) => string };

export interface Generator {
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

/** Generators by lower-case name. */
export const BY_NAME = new Map(GENERATORS.map((g) => [g.name.toLowerCase(), g]));

/** Documentation of the template syntax, one line per generator (README, hovers, completion). */
export function templateReference(): { name: string; syntax: string; doc: string; example: string }[] {
  return GENERATORS.map((g) => ({ name: g.name, syntax: `{{${g.name}${g.args ? `:${g.args.replace(/^\[|\]$/g, '')}` : ''}}}`, doc: g.doc, example: g.example }));
}
