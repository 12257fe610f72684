/** Stepping through a queue one message at a time (the debug consumer), and fields typed as text. */
import { fromJsonPairs } from '../messages/message';
import { BadInputError } from '../redis/errors';
import { type StreamEntry, parseRead } from '../redis/replies';
import { type OpTarget, assertWritable, call } from './target';
import { pendingOf } from './pending';

// ---- stepping through a queue ----

/**
 * Reads one entry for `consumer` in `group`: its own oldest pending entry when `ownPending`
 * (ID 0, no new delivery), else the next new one (`>`), waiting up to `blockMs`. Null when none.
 * Creates the consumer on first read, like any XREADGROUP.
 */
export async function readOne(
  t: OpTarget,
  stream: string,
  group: string,
  consumer: string,
  { ownPending = false, blockMs = 0, after = '0' }: { ownPending?: boolean; blockMs?: number; after?: string } = {},
): Promise<(StreamEntry & { deliveries: number }) | null> {
  assertWritable(t, 'XREADGROUP');
  const args: (string | number)[] = ['GROUP', group, consumer, 'COUNT', 1];
  if (!ownPending && blockMs > 0) args.push('BLOCK', blockMs);
  args.push('STREAMS', stream, ownPending ? after : '>');
  const raw = await call(t, { key: stream, group, command: 'XREADGROUP' }, () => t.client.callBuffer('XREADGROUP', args));
  const entry = parseRead(raw)[0]?.entries[0];
  if (!entry) return null;
  const p = (await pendingOf(t, stream, group, [entry.id])).get(entry.id);
  return { ...entry, deliveries: p?.deliveries ?? 1 };
}

/**
 * Parses message fields typed by a person: a JSON object, `[[name, value], ...]` pairs (the
 * lossless form: order, repeated names and `{"base64"}` bytes kept), or `field=value` lines. A
 * line is one field: everything after its first `=` is the value, `;` included.
 */
export function fieldsFromText(text: string): [string | Buffer, string | Buffer][] {
  const s = text.trim();
  if (!s) throw new BadInputError('No fields: give a JSON object like {"orderId": "42"} or field=value lines');
  if (s.startsWith('{') || s.startsWith('[')) {
    let obj: unknown;
    try {
      obj = JSON.parse(s);
    } catch (e) {
      throw new BadInputError(`Not valid JSON: ${(e as Error).message}`);
    }
    const out: [string | Buffer, string | Buffer][] = [];
    if (Array.isArray(obj)) {
      const raw = fromJsonPairs(obj, 'The JSON');
      for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
    } else if (obj && typeof obj === 'object') {
      for (const [k, v] of Object.entries(obj as Record<string, unknown>)) out.push([k, typeof v === 'string' ? v : JSON.stringify(v)]);
    } else throw new BadInputError('The JSON must be an object of field → value, or [[name, value], ...] pairs');
    if (!out.length) throw new BadInputError('The JSON has no fields');
    return out;
  }
  const out: [string, string][] = [];
  for (const [i, line] of s.split(/\r?\n/).entries()) {
    if (!line.trim()) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new BadInputError(`Line ${i + 1} is not field=value: "${line.trim().slice(0, 60)}"`);
    out.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return out;
}
