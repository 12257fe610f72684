/**
 * Template syntax inside a value: splitting it into literal text and compiled `{{...}}` calls
 * (with `\{{` escapes), the JSON check of a value with its templates in place, and the escaping
 * that makes a literal value render as written.
 */
import { printable } from '../redis/errors';
import { addDiag, suggest, type Sink } from './diagnostics';
import { BY_NAME, GENERATORS } from './generators';
import type { ParseOptions, RenderState, Span, ValuePart } from './model';

/** Where each character of a value came from (values may span lines). */
export interface Source {
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

/**
 * Splits a value into literal text and compiled templates. A run of k backslashes before `{{`
 * stands for ⌊k/2⌋ backslashes, and the `{{` is literal when k is odd.
 */
export function scanTemplates(src: Source, options: ParseOptions, sink: Sink): ValuePart[] {
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
export function checkJson(parts: ValuePart[], span: Span, sink: Sink): void {
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

/** Escapes `{{` (and the backslashes before it) so that a value renders literally. */
export function escapeTemplates(value: string): string {
  return value.replace(/(\\*)\{\{/g, (_m, bs: string) => `${bs}${bs}\\{{`);
}
