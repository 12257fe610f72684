/**
 * How tool results look to a language model: messages abbreviated (ids exact, values cut to a few
 * hundred characters, binary shown as a short hex prefix), durations in words beside the
 * figures, and every result bounded in size, saying what was cut. Secrets never pass: free text
 * that may echo one (error messages, log lines) goes through {@link scrub}, the one scrub rule of
 * the agent tools, the MCP server and the CLI. Data (key names, ids, fields, values) is never
 * scrubbed: a stream named `password:reset`, or named like the password, is shown and addressable
 * as it is.
 */
import { isUtf8 } from 'node:buffer';
import { type RawFields, decodeName, formatDuration, idTime, oneLine, printable, scrubSecrets, toQueueError } from '../core/internal';

/** Bounds of what one tool result carries. */
export const AGENT_LIMITS = {
  /** Characters of one value shown (the rest is cut, with its length said). */
  valueChars: 200,
  /** Characters of one field name shown. */
  nameChars: 100,
  /** Pairs of one message shown. */
  pairs: 30,
  /** Characters of a whole result (summary and data); larger data is cut, longest list first. */
  outputChars: 24_000,
} as const;

/** One value for the model: its text (cut), or `<N bytes, binary: hex…>`. */
export function abbreviateValue(b: Buffer, max: number = AGENT_LIMITS.valueChars): string {
  if (isUtf8(b)) {
    const s = b.toString('utf8');
    return s.length > max ? `${s.slice(0, max)}… [${s.length} characters]` : s;
  }
  const head = b.subarray(0, 16).toString('hex');
  return `<${b.length} bytes, binary: ${head}${b.length > 16 ? '…' : ''}>`;
}

/** A message as `[name, value]` pairs in order (repeated names kept), each abbreviated; null for a deleted entry. */
export function messagePairs(raw: RawFields | null): { pairs: [string, string][]; morePairs?: number } | null {
  if (!raw) return null;
  const pairs: [string, string][] = [];
  const n = raw.length >> 1;
  for (let i = 0; i < Math.min(n, AGENT_LIMITS.pairs); i++) {
    const name = decodeName(raw[2 * i]!);
    pairs.push([name.length > AGENT_LIMITS.nameChars ? `${name.slice(0, AGENT_LIMITS.nameChars)}…` : name, abbreviateValue(raw[2 * i + 1]!)]);
  }
  return n > AGENT_LIMITS.pairs ? { pairs, morePairs: n - AGENT_LIMITS.pairs } : { pairs };
}

/** An entry for the model: exact id, its time, its pairs (abbreviated). */
export function entryView(id: string, raw: RawFields | null): Record<string, unknown> {
  const m = messagePairs(raw);
  return { id, time: idIso(id), ...(m ? m : { pairs: null, note: 'the message was deleted or trimmed from the stream' }) };
}

/** The time an id encodes, ISO 8601 (undefined when it holds none). */
export function idIso(id: string): string | undefined {
  const t = idTime(id);
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}

/** A duration in words (`45m 0s`), or undefined. */
export function words(ms: number | null | undefined): string | undefined {
  return ms === null || ms === undefined || !Number.isFinite(ms) ? undefined : formatDuration(ms);
}

/** Text from Redis, safe for one line of a summary. */
export function t(s: string | undefined | null, max = 120): string {
  return oneLine(printable(String(s ?? ''), max));
}

/** `1 entry` / `3 entries`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The one scrub rule (the core's scrubSecrets): credentials in URLs, AUTH arguments, password=… pairs, and the connection's known secrets. */
export const scrub = scrubSecrets;

/** An error's message as a result may carry it: scrubbed by {@link scrub}. */
export function errorText(e: unknown, secrets: readonly string[] = []): string {
  return scrub(toQueueError(e).message, secrets);
}

/**
 * Cuts `data` until its JSON fits in `maxChars`: the longest list anywhere in it loses items from
 * its end, again and again. Returns the notes of what was cut (empty when nothing was).
 */
export function boundData(data: Record<string, unknown>, maxChars: number): string[] {
  const notes = new Map<string, { shown: number; total: number }>();
  for (let round = 0; round < 200 && JSON.stringify(data).length > maxChars; round++) {
    const longest = longestList(data, '');
    if (!longest || longest.list.length === 0) break;
    const { list, path } = longest;
    const note = notes.get(path) ?? { shown: list.length, total: list.length };
    const excess = JSON.stringify(data).length - maxChars;
    const per = JSON.stringify(list).length / list.length;
    const drop = Math.max(1, Math.min(list.length, Math.ceil(excess / Math.max(1, per))));
    list.splice(list.length - drop, drop);
    note.shown = list.length;
    notes.set(path, note);
  }
  return [...notes].map(([path, n]) => `${path || 'the list'}: ${n.shown} of ${n.total} shown (the result was cut to stay small; ask for less, e.g. a smaller count or a narrower match)`);
}

function longestList(v: unknown, path: string): { list: unknown[]; path: string; size: number } | undefined {
  let best: { list: unknown[]; path: string; size: number } | undefined;
  const consider = (c: { list: unknown[]; path: string; size: number } | undefined) => {
    if (c && (!best || c.size > best.size)) best = c;
  };
  if (Array.isArray(v)) {
    // A pair ([name, value]) is a leaf: lists of pairs are cut, never a pair itself.
    if (v.length && !(v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string')) consider({ list: v, path, size: JSON.stringify(v).length });
    v.forEach((x, i) => consider(longestList(x, `${path}[${i}]`)));
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) consider(longestList(x, path ? `${path}.${k}` : k));
  }
  return best;
}
