import { SHOWN_NAME_RULE } from '../core/internal';
// A small argument parser for the CLI (no dependencies): per-command specs of positionals and
// options, `--name value` / `--name=value`, `--` to end options, repeatable list options, numbers
// validated here so that a bad argument becomes a UsageError (exit 2) before anything connects.

/** A bad command line: printed as one line on stderr, exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(
    message: string,
    /** The command whose --help explains the fix (undefined: the global help). */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionType = 'string' | 'int' | 'boolean' | 'list';

export interface OptionSpec {
  /** Long name without dashes, e.g. `min-idle`. */
  name: string;
  type: OptionType;
  /** Placeholder in help, e.g. `MS`. */
  value?: string;
  description: string;
  /** For `int`: the smallest value accepted. Default 0. */
  min?: number;
  /** For `list`: also take the following arguments until the next option (`--id a b c`). */
  greedy?: boolean;
  /** Shown in help. */
  default?: string;
  /** Short alias, e.g. `h`. */
  short?: string;
}

export interface PositionalSpec {
  name: string;
  /** Default true. */
  required?: boolean;
  /** Takes all remaining positionals (last one only). */
  variadic?: boolean;
  description?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Extra help text (after the options). */
  details?: string;
  positionals: PositionalSpec[];
  options: OptionSpec[];
  examples?: string[];
}

export type OptionValue = string | number | boolean | string[];

export interface ParsedArgs {
  positionals: Record<string, string | string[] | undefined>;
  options: Record<string, OptionValue | undefined>;
  /** True when --help / -h was given (nothing else is validated then). */
  help: boolean;
}

const INT = /^-?\d+$/;

function parseInt10(spec: OptionSpec, text: string, command: string): number {
  const t = text.trim();
  const min = spec.min ?? 0;
  if (!INT.test(t) || !Number.isSafeInteger(Number(t))) {
    throw new UsageError(`--${spec.name} needs a whole number${spec.value ? ` (${spec.value})` : ''}, got "${printableArg(text)}"`, command);
  }
  const n = Number(t);
  if (n < min) throw new UsageError(`--${spec.name} must be at least ${min}, got ${n}`, command);
  return n;
}

/** Shows an argument in a message: control characters escaped, length capped. */
export function printableArg(s: string): string {
  const e = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return e.length > 60 ? `${e.slice(0, 60)}…` : e;
}

/** Edit distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate within a small edit distance, for a "did you mean" hint. */
export function suggest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * Parses the arguments after the command name against its spec. Throws {@link UsageError} for
 * unknown options, missing or malformed values, missing or extra positionals. Never echoes the
 * value of an unknown option (it may be a secret).
 */
export function parseArgs(spec: CommandSpec, argv: string[]): ParsedArgs {
  const end = argv.indexOf('--');
  const before = end < 0 ? argv : argv.slice(0, end);
  if (before.includes('--help') || before.includes('-h')) return { positionals: {}, options: {}, help: true };
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const byShort = new Map(spec.options.filter((o) => o.short).map((o) => [o.short!, o]));
  const options: Record<string, OptionValue | undefined> = {};
  const rest: string[] = [];
  let i = 0;
  const cmd = spec.name;

  const take = (o: OptionSpec, inline: string | undefined): string => {
    if (inline !== undefined) return inline;
    const next = argv[i + 1];
    // A value may start with "-" only when it is a number (e.g. never for names) or "-" itself.
    if (next === undefined || (next.startsWith('--') && next.length > 2)) {
      throw new UsageError(`--${o.name} needs a value${o.value ? ` (${o.value})` : ''}`, cmd);
    }
    i++;
    return next;
  };

  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    let o: OptionSpec | undefined;
    let inline: string | undefined;
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq >= 0 ? a.slice(eq + 1) : undefined;
      o = byName.get(name);
      if (!o) {
        const hint = suggest(name, [...byName.keys(), 'help']);
        throw new UsageError(`unknown option --${printableArg(name)} for "${cmd}"${hint ? ` (did you mean --${hint}?)` : ''}`, cmd);
      }
    } else if (/^-[A-Za-z]$/.test(a)) {
      o = byShort.get(a.slice(1));
      if (!o) throw new UsageError(`unknown option ${a} for "${cmd}"`, cmd);
    } else {
      rest.push(a);
      continue;
    }
    switch (o.type) {
      case 'boolean':
        if (inline !== undefined) {
          if (!/^(true|false|1|0|yes|no)$/i.test(inline)) throw new UsageError(`--${o.name} is a flag; it takes no value (got "${printableArg(inline)}")`, cmd);
          options[o.name] = /^(true|1|yes)$/i.test(inline);
        } else {
          options[o.name] = true;
        }
        break;
      case 'int': {
        if (options[o.name] !== undefined) throw new UsageError(`--${o.name} was given more than once`, cmd);
        options[o.name] = parseInt10(o, take(o, inline), cmd);
        break;
      }
      case 'string': {
        if (options[o.name] !== undefined) throw new UsageError(`--${o.name} was given more than once`, cmd);
        options[o.name] = take(o, inline);
        break;
      }
      case 'list': {
        const list = (options[o.name] as string[] | undefined) ?? [];
        list.push(take(o, inline));
        if (o.greedy && inline === undefined) {
          while (i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) list.push(argv[++i]!);
        }
        options[o.name] = list;
        break;
      }
    }
  }

  const positionals: Record<string, string | string[] | undefined> = {};
  let p = 0;
  for (const ps of spec.positionals) {
    const required = ps.required ?? true;
    if (ps.variadic) {
      const values = rest.slice(p);
      p = rest.length;
      if (required && values.length === 0) throw new UsageError(`missing ${ps.name} (one or more)`, cmd);
      positionals[ps.name] = values;
      continue;
    }
    const v = rest[p];
    if (v === undefined) {
      if (required) throw new UsageError(`missing ${ps.name}`, cmd);
      continue;
    }
    positionals[ps.name] = v;
    p++;
  }
  if (p < rest.length) {
    const extra = rest[p]!;
    const hint = extra.startsWith('-') ? ' (options start with --)' : '';
    throw new UsageError(`unexpected argument "${printableArg(extra)}"${hint}`, cmd);
  }
  return { positionals, options, help: false };
}

/** Renders a command's help text. */
export function commandHelp(spec: CommandSpec, globalOptions: OptionSpec[] = []): string {
  const usage = [
    'redis-queues',
    spec.name,
    ...spec.positionals.map((p) => {
      const n = `${p.name}${p.variadic ? '...' : ''}`;
      return (p.required ?? true) ? n : `[${n}]`;
    }),
    spec.options.length ? '[options]' : '',
  ].filter(Boolean).join(' ');
  const lines = [`Usage: ${usage}`, '', spec.summary];
  const described = spec.positionals.filter((p) => p.description);
  if (described.length) {
    lines.push('', 'Arguments:');
    const w = Math.max(...described.map((p) => p.name.length));
    for (const p of described) lines.push(`  ${p.name.padEnd(w)}  ${p.description}`);
  }
  const section = (title: string, list: OptionSpec[]) => {
    if (!list.length) return;
    lines.push('', `${title}:`);
    const label = (o: OptionSpec) => `${o.short ? `-${o.short}, ` : ''}--${o.name}${o.value ? ` ${o.value}` : ''}${o.type === 'list' ? (o.greedy ? '...' : ' (repeatable)') : ''}`;
    const w = Math.max(...list.map((o) => label(o).length));
    for (const o of list) lines.push(`  ${label(o).padEnd(w)}  ${o.description}${o.default ? ` (default: ${o.default})` : ''}`);
  };
  const own = spec.options.filter((o) => !globalOptions.includes(o));
  section('Options', own);
  const help: OptionSpec = { name: 'help', short: 'h', type: 'boolean', description: 'Show this help' };
  section(globalOptions.length ? 'Connection and output' : 'Other', [...spec.options.filter((o) => globalOptions.includes(o)), help]);
  if (globalOptions.length) lines.push('', SHOWN_NAME_RULE);
  if (spec.details) lines.push('', spec.details);
  if (spec.examples?.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}
