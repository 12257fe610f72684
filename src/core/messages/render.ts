/** Safe renderings of stream entries for views: text only, bounded size, binary shown as hex. */
import { isUtf8 } from 'node:buffer';
import type { RawFields } from './message';
import { type FieldValue, type Fields, type StreamEntry, decodeName, decodeValue, setField } from '../redis/replies';

export interface RenderLimits {
  /** Longest value shown, in characters (a 1 MB value is cut). Default 64 KiB. */
  maxValueChars: number;
  /** Most fields shown per entry. Default 1000. */
  maxFields: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = { maxValueChars: 64 * 1024, maxFields: 1000 };

/** A value as JSON-safe text: strings as-is (cut), Buffers as `{ "$binary": hex, bytes }`. */
export function renderValue(v: FieldValue, limits: RenderLimits = DEFAULT_RENDER_LIMITS): unknown {
  if (Buffer.isBuffer(v)) {
    const maxBytes = Math.floor(limits.maxValueChars / 2);
    const hex = v.subarray(0, maxBytes).toString('hex');
    return { $binary: hex, bytes: v.length, ...(v.length > maxBytes ? { truncated: true } : {}) };
  }
  if (v.length > limits.maxValueChars) return `${v.slice(0, limits.maxValueChars)}… [truncated, ${v.length} characters]`;
  return v;
}

/** Fields as a plain object for JSON display, bounded in field count and value size. */
export function renderFields(fields: Fields | null, limits: RenderLimits = DEFAULT_RENDER_LIMITS): Record<string, unknown> | null {
  if (!fields) return null;
  const out: Record<string, unknown> = {};
  let n = 0;
  const names = Object.keys(fields);
  for (const k of names) {
    if (n++ >= limits.maxFields) {
      out['…'] = `${names.length - limits.maxFields} more fields not shown`;
      break;
    }
    setField(out, k, renderValue(fields[k]!, limits));
  }
  return out;
}

/** One-line preview of an entry's fields for tree descriptions: `a=1 b=hello`, control chars escaped. */
export function previewFields(fields: Fields | null, maxChars = 80): string {
  if (!fields) return '(deleted or trimmed)';
  const parts: string[] = [];
  let len = 0;
  for (const [k, v] of Object.entries(fields)) {
    const value = Buffer.isBuffer(v) ? `<${v.length} bytes>` : v;
    const p = `${oneLine(k)}=${oneLine(value)}`;
    parts.push(p);
    len += p.length + 1;
    if (len > maxChars) break;
  }
  const s = parts.join(' ');
  return s.length > maxChars ? `${s.slice(0, maxChars - 1)}…` : s;
}

/** One-line preview of a message from its pairs, in order, repeated names included: `a=1 a=2`. */
export function previewRaw(raw: RawFields | null, maxChars = 80, first: readonly number[] = []): string {
  if (!raw) return '(deleted or trimmed)';
  const parts: string[] = [];
  let len = 0;
  // The pairs asked for first (by pair index), then the others in message order.
  const lead = first.filter((p) => p >= 0 && 2 * p + 1 < raw.length);
  const shown = new Set(lead);
  const order = lead.map((p) => 2 * p);
  for (let i = 0; i + 1 < raw.length && order.length < lead.length + Math.ceil(maxChars / 2); i += 2) if (!shown.has(i / 2)) order.push(i);
  for (const i of order) {
    if (len > maxChars) break;
    const v = decodeValue(raw[i + 1]);
    const p = `${oneLine(decodeName(raw[i]!))}=${oneLine(Buffer.isBuffer(v) ? `<${v.length} bytes>` : v.slice(0, maxChars))}`;
    parts.push(p);
    len += p.length + 1;
  }
  const s = parts.join(' ');
  return s.length > maxChars ? `${s.slice(0, maxChars - 1)}…` : s;
}

/** Escapes control characters (incl. ANSI ESC, newlines) so text stays on one line and inert. */
export function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/**
 * An entry as pretty JSON text for a read-only document (a view: long values are cut). Its
 * fields as an object when that shows the message as it is (unique UTF-8 names in an order an
 * object keeps); else as `pairs`, `[name, value]` in order, so repeated names and the order show.
 */
export function entryToJson(entry: StreamEntry, extra: Record<string, unknown> = {}, limits: RenderLimits = DEFAULT_RENDER_LIMITS): string {
  const raw = entry.raw;
  if (!raw || !entry.fields) return JSON.stringify({ id: entry.id, ...extra, fields: null }, null, 2);
  const names = Object.keys(entry.fields);
  const asObject = names.length * 2 === raw.length && names.every((k, i) => raw[2 * i]!.equals(Buffer.from(k, 'utf8')));
  if (asObject) return JSON.stringify({ id: entry.id, ...extra, fields: renderFields(entry.fields, limits) }, null, 2);
  const pairs: unknown[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (i / 2 >= limits.maxFields) {
      pairs.push(['…', `${raw.length / 2 - limits.maxFields} more fields not shown`]);
      break;
    }
    const name = raw[i]!;
    pairs.push([isUtf8(name) ? name.toString('utf8') : renderValue(name, limits), renderValue(decodeValue(raw[i + 1]), limits)]);
  }
  return JSON.stringify({ id: entry.id, ...extra, pairs }, null, 2);
}
