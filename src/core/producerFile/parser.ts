/**
 * The parser: text → {@link ProducerFile}. Never throws: every mistake is a diagnostic with a
 * position. Lines are read one at a time (headers, comments, `key: value`, `field = value`,
 * `"""` blocks); each section is checked as a whole when the next one starts ({@link finish}).
 */
import { printable } from '../redis/errors';
import { isValidId } from '../messages/ids';
import { addDiag, suggest, type Sink } from './diagnostics';
import { KEYS, MAX_COUNT, type MessageSpec, type ParseOptions, type ProducerDiagnostic, type ProducerFile, type Span } from './model';
import { checkJson, scanTemplates, type Source } from './templates';

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

/** Keys set in one place (the defaults before the first section, or one section). */
interface Scope {
  values: Map<string, { value: string; span: Span }>;
}

/** A message section while its lines are read. */
interface Section {
  spec: MessageSpec;
  scope: Scope;
  /** Field names seen so far in the section (for duplicates). */
  names: Map<string, Span>;
}

/** What every step of one parse shares. */
interface ParseState {
  options: ParseOptions;
  lines: string[];
  /** Keys set before the first section. */
  defaults: Scope;
  /** Every problem of the file (sections' included). */
  fileSink: Sink;
}

/** A `key: value` line, as the line loop split it. */
interface KeyLine {
  /** The key as written (before the first `:`, trimmed). */
  keyText: string;
  /** Everything after the `:`, untrimmed. */
  valueRaw: string;
  line: number;
  /** The column of the key. */
  indent: number;
  /** The column where `valueRaw` starts. */
  valueStart: number;
  /** The whole line. */
  raw: string;
}

/** Parses a producer file. Never throws: every problem is a diagnostic. */
export function parseProducerFile(text: string, options: ParseOptions = {}): ProducerFile {
  const lines = String(text ?? '').split(/\r\n|\r|\n/);
  const all: ProducerDiagnostic[] = [];
  const st: ParseState = { options, lines, defaults: { values: new Map() }, fileSink: { diag: (d) => all.push(d) } };
  const messages: MessageSpec[] = [];
  let current: Section | undefined;

  const sink = (): Sink => (current ? { diag: (d) => (current!.spec.diagnostics.push(d), all.push(d)) } : st.fileSink);

  for (let ln = 0; ln < lines.length; ln++) {
    const raw = lines[ln]!;
    if (!raw.trim()) continue;
    const header = HEADER.exec(raw);
    if (!header && COMMENT.test(raw)) continue;
    if (header) {
      if (current) finish(st, current, ln - 1);
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
        handleKey(st, current, { keyText: body.slice(0, colon).trim(), valueRaw: body.slice(colon + 1), line: ln, indent, valueStart: indent + colon + 1, raw }, s);
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
  if (current) finish(st, current, lines.length - 1);
  all.sort((a, b) => a.line - b.line || a.start - b.start);
  return { messages, diagnostics: all };
}

/** Records a `key: value` line in the current section's keys (or the defaults before the first section). */
function handleKey(st: ParseState, current: Section | undefined, k: KeyLine, s: Sink): void {
  const { keyText, valueRaw, line: ln, indent, valueStart, raw } = k;
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
  const scope = current?.scope ?? st.defaults;
  if (scope.values.has(key)) {
    addDiag(s, 'error', 'duplicate-key', keySpan, `"${key}" is set twice${current ? ' in this message' : ' in the defaults'} (first on line ${scope.values.get(key)!.span.line + 1})`);
    return;
  }
  scope.values.set(key, { value: jsonString(text) ?? text, span });
}

/** Resolves a section's keys (its own over the file's defaults) and checks the whole message. */
function finish(st: ParseState, cur: Section, lastLine: number): void {
  const { options, lines, defaults, fileSink: file } = st;
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
