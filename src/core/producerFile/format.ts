/**
 * Formatting: the inverse of the parser, for generated files and round-trip tests. What
 * {@link formatProducerFile} writes parses back to the same messages.
 */
import type { TrimOptions } from '../queue/validate';
import type { TargetKind } from './model';
import { escapeTemplates } from './templates';

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
