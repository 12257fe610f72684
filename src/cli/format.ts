// Output formatting: aligned tables, one-line entries (control characters escaped, binary as hex)
// and their JSON-lines form. Everything from Redis passes through `oneLine` before it reaches a
// terminal, so a key or value cannot move the cursor or change colours.
import { type FieldValue, type RawFields, type StreamEntry, decodeName, decodeValue, idTime, messageObject, oneLine } from '../core/internal';

/** Text from Redis made safe for one terminal line. */
export function safe(s: string): string {
  return oneLine(s);
}

/** A value for `field=value` output: binary as `<hex:…>`, text quoted when it has spaces, quotes or is empty. */
export function formatValue(v: FieldValue, maxChars = 4096): string {
  if (Buffer.isBuffer(v)) {
    const max = Math.floor(maxChars / 2);
    return `<hex:${v.subarray(0, max).toString('hex')}${v.length > max ? `…(${v.length} bytes)` : ''}>`;
  }
  let s = oneLine(v);
  if (s.length > maxChars) s = `${s.slice(0, maxChars)}…(${v.length} chars)`;
  return s === '' || /[\s"=]/.test(s) ? `"${s.replace(/"/g, '\\"')}"` : s;
}

/** `a=1 b="two words" png=<hex:8950…>`, in order, repeated names repeated. A view: long values are cut. */
export function formatFields(raw: RawFields | null): string {
  if (!raw) return '(deleted or trimmed)';
  const parts: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) parts.push(`${formatValue(decodeName(raw[i]!))}=${formatValue(decodeValue(raw[i + 1]))}`);
  return parts.join(' ');
}

/** The time an id encodes, ISO 8601 in UTC (`?` when the id holds no usable time). */
export function idIsoTime(id: string): string {
  const t = idTime(id);
  if (!Number.isFinite(t) || t > 8.64e15) return '?';
  return new Date(t).toISOString();
}

/** `<id> <time> field=value ...` */
export function entryLine(e: Pick<StreamEntry, 'id' | 'raw'>): string {
  return `${e.id} ${idIsoTime(e.id)} ${formatFields(e.raw)}`;
}

/**
 * One JSON line for an entry, in the lossless form (message.ts): `{"stream","id","time",...,
 * "pairs","fields"}`, every byte of the message, never cut.
 */
export function entryJson(stream: string, e: Pick<StreamEntry, 'id' | 'raw'>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify(messageObject({ stream, id: e.id, time: idIsoTime(e.id), ...extra }, e.raw));
}

/** Cells of a table row; numbers are right-aligned. */
export type Cell = string | number;

/** Renders rows as aligned columns (header first), each line prefixed with `indent`. */
export function table(header: string[], rows: Cell[][], indent = ''): string[] {
  const all: Cell[][] = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => String(r[c] ?? '').length)));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number' || r[c] === '-' || r[c] === '?'));
  return all.map((r) =>
    `${indent}${r
      .map((cell, c) => {
        const s = String(cell ?? '');
        return numeric[c] ? s.padStart(widths[c]!) : s.padEnd(widths[c]!);
      })
      .join('  ')}`.trimEnd(),
  );
}
