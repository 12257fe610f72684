/**
 * Raw Redis replies → plain model types, in one place. Accepts both reply shapes ioredis can
 * produce: RESP2-style flat arrays `[k, v, k, v]` (ioredis 5, and ioredis 6's default "legacy"
 * mapping) and RESP3 maps (plain objects or `Map`s, ioredis 6 with `replyMapping: "resp3"`).
 * Values may be strings or Buffers (the `*Buffer` command variants): field values that are not
 * valid UTF-8 stay Buffers so that binary payloads round-trip byte-exact.
 */
import { isUtf8 } from 'node:buffer';
import { showName } from './names';

/** A message's fields as Redis sends them: names and values alternating, as Buffers (see message.ts). */
export type RawFields = Buffer[];

export type FieldValue = string | Buffer;
export type Fields = Record<string, FieldValue>;

export interface StreamEntry {
  id: string;
  /**
   * The message as Redis holds it: names and values alternating, in order, byte for byte
   * (duplicate names kept). `null` when the entry was deleted or trimmed but is still in a PEL.
   * This is what any path that passes a message on uses (see message.ts).
   */
  raw: RawFields | null;
  /**
   * A view of `raw` for reading and display: name → value (text when valid UTF-8, else a Buffer).
   * With duplicate names the last value wins; JavaScript lists integer-like names first.
   */
  fields: Fields | null;
}

export interface StreamInfo {
  length: number;
  firstEntryId?: string;
  lastEntryId?: string;
  lastGeneratedId: string;
  groups: number;
  /** Redis ≥ 7: the highest id deleted or trimmed away. */
  maxDeletedEntryId?: string;
  /** Redis ≥ 7: entries ever added. */
  entriesAdded?: number;
  radixTreeKeys?: number;
}

export interface GroupInfo {
  name: string;
  consumers: number;
  pending: number;
  lastDeliveredId: string;
  /** Redis ≥ 7 */
  entriesRead?: number | null;
  /** Redis ≥ 7; null when Redis cannot tell (after deletions or XSETID). */
  lag?: number | null;
}

export interface ConsumerInfo {
  name: string;
  pending: number;
  /** ms since the consumer's last attempted interaction. */
  idle: number;
  /** Redis ≥ 7.2: ms since the last successful interaction (-1 if never). */
  inactive?: number;
}

export interface PendingSummary {
  count: number;
  smallestId: string | null;
  greatestId: string | null;
  consumers: { name: string; pending: number }[];
}

export interface PendingEntry {
  id: string;
  consumer: string;
  idle: number;
  deliveries: number;
}

export interface AutoClaimResult {
  /** Where to continue the sweep; `0-0` when it went round the whole PEL. */
  nextId: string;
  entries: StreamEntry[];
  /** Redis ≥ 7: ids that were in the PEL but no longer in the stream (removed from the PEL). */
  deletedIds: string[];
}

/**
 * Sets a field on a record. A field may be named `__proto__` (stream fields and hash fields are
 * arbitrary): a plain assignment would change the object's prototype and lose it.
 */
export function setField<T>(record: Record<string, T>, name: string, value: T): void {
  if (name === '__proto__') Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
  else record[name] = value;
}

/** Up to this length, a Buffer is checked for ASCII in JS (cheaper than a native call for short values). */
const SHORT = 32;

/** Decodes a bulk reply: UTF-8 text as a string, anything else as the Buffer. */
export function decodeValue(v: unknown): FieldValue {
  if (Buffer.isBuffer(v)) {
    // Short ASCII (ids, numbers, names, small values: most of a queue's fields) decodes byte per
    // character; anything else is checked for UTF-8 as a whole.
    const n = v.length;
    if (n <= SHORT) {
      let i = 0;
      while (i < n && v[i]! < 0x80) i++;
      if (i === n) return v.toString('latin1');
    }
    return isUtf8(v) ? v.toString('utf8') : v;
  }
  if (v === null || v === undefined) return '';
  return String(v);
}

/** Decodes a name (key, field name, id): Buffers as UTF-8, invalid bytes escaped as \xNN. */
export function decodeName(v: unknown): string {
  if (Buffer.isBuffer(v)) {
    if (isUtf8(v)) return v.toString('utf8');
    let s = '';
    for (const b of v) s += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
    return s;
  }
  return String(v);
}

function str(v: unknown): string {
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return Number(str(v));
}

function optNum(v: unknown): number | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  return num(v);
}

/** Turns a RESP2 flat array or a RESP3 map into a plain object with string keys. */
export function toRecord(reply: unknown): Record<string, unknown> {
  if (reply instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, v] of reply) o[str(k)] = v;
    return o;
  }
  if (Array.isArray(reply)) {
    const o: Record<string, unknown> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) o[str(reply[i])] = reply[i + 1];
    return o;
  }
  if (reply && typeof reply === 'object' && !Buffer.isBuffer(reply)) return reply as Record<string, unknown>;
  return {};
}

/**
 * Field names of the entry parsed before, raw and decoded: entries of one stream mostly repeat
 * them, and comparing a few bytes is cheaper than decoding them again (it also hands V8 the same
 * key strings each time, so the records share their shape).
 */
export interface NameCache {
  raw: unknown[];
  names: string[];
}

function sameBytes(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Buffer.isBuffer(a) || !Buffer.isBuffer(b)) return false;
  const n = a.length;
  if (n !== b.length) return false;
  if (n > SHORT) return a.equals(b);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Field list (flat array or map) → Fields. `cache` carries names from one entry to the next. */
export function parseFields(raw: unknown, cache?: NameCache): Fields | null {
  if (raw === null || raw === undefined) return null;
  const out: Fields = {};
  if (Array.isArray(raw)) {
    for (let i = 0, j = 0; i + 1 < raw.length; i += 2, j++) {
      const k = raw[i];
      let name: string;
      if (cache && j < cache.raw.length && sameBytes(cache.raw[j], k)) name = cache.names[j]!;
      else {
        name = decodeName(k);
        if (cache) {
          cache.raw[j] = k;
          cache.names[j] = name;
        }
      }
      setField(out, name, decodeValue(raw[i + 1]));
    }
    return out;
  }
  const rec = raw instanceof Map ? raw : new Map(Object.entries(raw as object));
  for (const [k, v] of rec) setField(out, decodeName(k), decodeValue(v));
  return out;
}

/**
 * A field list as bytes: the reply's own array when it holds Buffers (the `*Buffer` command
 * variants; no copy), else each element encoded as UTF-8. Maps (RESP3) are flattened in order.
 */
export function parseRawFields(raw: unknown): RawFields | null {
  if (raw === null || raw === undefined) return null;
  const list = Array.isArray(raw) ? raw : [...(raw instanceof Map ? raw : new Map(Object.entries(raw as object)))].flat();
  const n = list.length - (list.length % 2);
  let allBuffers = n === list.length;
  for (let i = 0; allBuffers && i < n; i++) if (!Buffer.isBuffer(list[i])) allBuffers = false;
  if (allBuffers) return list as Buffer[];
  const out: Buffer[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = list[i];
    out[i] = Buffer.isBuffer(v) ? v : Buffer.from(v === null || v === undefined ? '' : String(v), 'utf8');
  }
  return out;
}

/** `[id, [f, v, ...]]` → StreamEntry. */
export function parseEntry(raw: unknown, cache?: NameCache): StreamEntry {
  const e = raw as unknown[];
  const id = e[0];
  return { id: Buffer.isBuffer(id) ? id.toString('latin1') : String(id), raw: parseRawFields(e[1]), fields: parseFields(e[1], cache) };
}

/** XRANGE / XREVRANGE / XCLAIM reply → entries. Nil entries (deleted) keep their id with `fields: null`. */
export function parseEntries(raw: unknown): StreamEntry[] {
  if (!Array.isArray(raw)) return [];
  const out: StreamEntry[] = [];
  const cache: NameCache = { raw: [], names: [] };
  for (const e of raw) if (e !== null) out.push(parseEntry(e, cache));
  return out;
}

/**
 * XREAD / XREADGROUP reply → entries per stream. RESP2: `[[stream, entries], ...]`;
 * RESP3: a map stream → entries (a `Map`, an object, or flattened to `[stream, entries, ...]` by
 * ioredis 6's default legacy mapping for `call`/`callBuffer`). Nil (timeout) → empty.
 */
export function parseRead(raw: unknown): { stream: string; entries: StreamEntry[] }[] {
  if (raw === null || raw === undefined) return [];
  if (Array.isArray(raw)) {
    // RESP2: [[name, entries], ...]. RESP3 map flattened by ioredis' legacy mapping: [name, entries, ...].
    if (raw.length && !Array.isArray(raw[0])) {
      const out: { stream: string; entries: StreamEntry[] }[] = [];
      for (let i = 0; i + 1 < raw.length; i += 2) out.push({ stream: showName(raw[i] as Buffer | string), entries: parseEntries(raw[i + 1]) });
      return out;
    }
    return raw.map((s) => {
      const [name, entries] = s as [unknown, unknown];
      return { stream: showName(name as Buffer | string), entries: parseEntries(entries) };
    });
  }
  const rec = raw instanceof Map ? [...raw.entries()] : Object.entries(raw as object);
  return rec.map(([name, entries]) => ({ stream: showName(name as Buffer | string), entries: parseEntries(entries) }));
}

/**
 * Stream entries packed by cmsgpack in a script (`[[id, [field, value, ...]], ...]`, see
 * queue/stream/scripts READ_NEW) → entries, decoded like {@link parseEntries}: values that are valid
 * UTF-8 as strings, others as Buffers (copies), names as by {@link decodeName}. Reads only the
 * MessagePack types cmsgpack produces for such a table: arrays, strings/binaries, and for a
 * deleted entry's fields Lua's false (0xc2, what cmsgpack writes for a nil reply) or nil (0xc0).
 * Anything else, or input cut short, throws an Error naming the offending byte's offset.
 */
export function parsePackedEntries(buf: Buffer): StreamEntry[] {
  let p = 0;
  const fail = (what: string, at = p): never => {
    throw new Error(`Unexpected packed stream entries: ${what} at byte ${at} of ${buf.length}`);
  };
  /** Checks that `n` more bytes follow the header that starts at `at`. */
  const need = (n: number, at: number): void => {
    if (p + n > buf.length) fail(`input ends inside the value starting`, at);
  };
  /** Length of the array at p (moves past its header), or -1 for nil/false. */
  const arrayLength = (): number => {
    const at = p;
    need(1, at);
    const b = buf[p++]!;
    if (b >= 0x90 && b <= 0x9f) return b & 0x0f;
    if (b === 0xdc) return need(2, at), (p += 2), buf.readUInt16BE(p - 2);
    if (b === 0xdd) return need(4, at), (p += 4), buf.readUInt32BE(p - 4);
    if (b === 0xc0 || b === 0xc2) return -1;
    return fail(`type 0x${b.toString(16)} where an array was expected`, at);
  };
  /** Length of the string at p (moves past its header; the bytes are checked to be there). */
  const stringLength = (): number => {
    const at = p;
    need(1, at);
    const b = buf[p++]!;
    let n: number;
    if (b >= 0xa0 && b <= 0xbf) n = b & 0x1f;
    else if (b === 0xd9 || b === 0xc4) n = (need(1, at), buf[p++]!);
    else if (b === 0xda || b === 0xc5) n = (need(2, at), (p += 2), buf.readUInt16BE(p - 2));
    else if (b === 0xdb || b === 0xc6) n = (need(4, at), (p += 4), buf.readUInt32BE(p - 4));
    else return fail(`type 0x${b.toString(16)} where a string was expected`, at);
    need(n, at);
    return n;
  };
  const isAscii = (start: number, end: number): boolean => {
    for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return false;
    return true;
  };
  const value = (start: number, end: number): FieldValue => {
    if (end - start <= SHORT && isAscii(start, end)) return buf.toString('latin1', start, end);
    const v = buf.subarray(start, end);
    return isUtf8(v) ? v.toString('utf8') : Buffer.from(v);
  };
  // Field names of the previous entry (byte range → name): entries of a stream mostly repeat them.
  const prevStart: number[] = [];
  const prevLen: number[] = [];
  const prevName: string[] = [];
  const sameAsPrev = (j: number, start: number, len: number): boolean => {
    if (j >= prevLen.length || prevLen[j] !== len) return false;
    const o = prevStart[j]!;
    for (let i = 0; i < len; i++) if (buf[o + i] !== buf[start + i]) return false;
    return true;
  };
  const n = arrayLength();
  const out: StreamEntry[] = [];
  for (let e = 0; e < n; e++) {
    const at = p;
    if (arrayLength() !== 2) fail('an entry that is not [id, fields]', at);
    const idLen = stringLength();
    const id = buf.toString('latin1', p, p + idLen);
    p += idLen;
    const m = arrayLength();
    if (m < 0) {
      out.push({ id, raw: null, fields: null });
      continue;
    }
    const fields: Fields = {};
    const body: Buffer[] = new Array(m - (m % 2));
    for (let i = 0, j = 0; i + 1 < m; i += 2, j++) {
      const kLen = stringLength();
      const kStart = p;
      p += kLen;
      let name: string;
      if (sameAsPrev(j, kStart, kLen)) name = prevName[j]!;
      else {
        name = decodeName(buf.subarray(kStart, kStart + kLen));
        prevStart[j] = kStart;
        prevLen[j] = kLen;
        prevName[j] = name;
      }
      const vLen = stringLength();
      setField(fields, name, value(p, p + vLen));
      body[i] = buf.subarray(kStart, kStart + kLen);
      body[i + 1] = buf.subarray(p, p + vLen);
      p += vLen;
    }
    if (m % 2 === 1) p += stringLength(); // an odd trailing element: skipped, as parseFields does
    out.push({ id, raw: body, fields });
  }
  if (p !== buf.length) fail('trailing bytes');
  return out;
}

function optId(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) return v.length ? str(v[0]) : undefined; // first-entry / last-entry are entries
  return str(v);
}

/** XINFO STREAM (not FULL). */
export function parseStreamInfo(raw: unknown): StreamInfo {
  const r = toRecord(raw);
  return {
    length: num(r['length']),
    firstEntryId: optId(r['first-entry']),
    lastEntryId: optId(r['last-entry']),
    lastGeneratedId: str(r['last-generated-id'] ?? '0-0'),
    groups: num(r['groups'] ?? 0),
    maxDeletedEntryId: r['max-deleted-entry-id'] === undefined ? undefined : str(r['max-deleted-entry-id']),
    entriesAdded: r['entries-added'] === undefined ? undefined : num(r['entries-added']),
    radixTreeKeys: r['radix-tree-keys'] === undefined ? undefined : num(r['radix-tree-keys']),
  };
}

/** XINFO GROUPS. */
export function parseGroups(raw: unknown): GroupInfo[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((g) => {
    const r = toRecord(g);
    return {
      name: decodeName(r['name']),
      consumers: num(r['consumers']),
      pending: num(r['pending']),
      lastDeliveredId: str(r['last-delivered-id']),
      entriesRead: optNum(r['entries-read']),
      lag: optNum(r['lag']),
    };
  });
}

/** XINFO CONSUMERS. */
export function parseConsumers(raw: unknown): ConsumerInfo[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((c) => {
    const r = toRecord(c);
    const inactive = optNum(r['inactive']);
    return { name: decodeName(r['name']), pending: num(r['pending']), idle: num(r['idle']), inactive: inactive ?? undefined };
  });
}

/** XPENDING key group (summary form). */
export function parsePendingSummary(raw: unknown): PendingSummary {
  const [count, smallest, greatest, consumers] = (raw ?? [0, null, null, null]) as [unknown, unknown, unknown, unknown];
  const list: { name: string; pending: number }[] = [];
  if (Array.isArray(consumers)) {
    for (const c of consumers) {
      const [name, n] = c as [unknown, unknown];
      list.push({ name: decodeName(name), pending: num(n) });
    }
  } else if (consumers && typeof consumers === 'object') {
    for (const [name, n] of consumers instanceof Map ? consumers : Object.entries(consumers)) list.push({ name: decodeName(name), pending: num(n) });
  }
  return { count: num(count ?? 0), smallestId: smallest == null ? null : str(smallest), greatestId: greatest == null ? null : str(greatest), consumers: list };
}

/** XPENDING key group [IDLE n] start end count [consumer] (extended form). */
export function parsePendingEntries(raw: unknown): PendingEntry[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((e) => {
    const [id, consumer, idle, deliveries] = e as [unknown, unknown, unknown, unknown];
    return { id: str(id), consumer: decodeName(consumer), idle: num(idle), deliveries: num(deliveries) };
  });
}

/** XAUTOCLAIM: `[next, entries]` (6.2) or `[next, entries, deletedIds]` (≥ 7). With JUSTID, entries are ids. */
export function parseAutoClaim(raw: unknown): AutoClaimResult {
  const [next, entries, deleted] = raw as [unknown, unknown[], unknown[] | undefined];
  const list: StreamEntry[] = [];
  for (const e of entries ?? []) {
    if (e === null) continue;
    if (Array.isArray(e)) list.push(parseEntry(e));
    else list.push({ id: str(e), raw: null, fields: null });
  }
  return { nextId: str(next), entries: list, deletedIds: (deleted ?? []).map(str) };
}

/** INFO text → { section-less key: value }. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** Server features that depend on the version. */
export interface Capabilities {
  version: string;
  /** XAUTOCLAIM (6.2). */
  autoClaim: boolean;
  /** XINFO GROUPS lag and entries-read (7.0). */
  lag: boolean;
  /** XAUTOCLAIM reports deleted ids (7.0). */
  autoClaimDeleted: boolean;
  /** BLMOVE (6.2), else BRPOPLPUSH. */
  blmove: boolean;
  /** XPENDING IDLE filter (6.2). */
  pendingIdle: boolean;
  /** SCAN ... TYPE (6.0). */
  scanType: boolean;
  /** Exclusive ranges "(" in XRANGE (6.2). */
  exclusiveRange: boolean;
  /** XINFO CONSUMERS inactive (7.2). */
  consumerInactive: boolean;
  /** XADD ids of the form `<ms>-*` (7.0). */
  partialIds: boolean;
}

export function capabilities(version: string): Capabilities {
  const [maj = 0, min = 0] = version.split('.').map((x) => Number(x) || 0);
  const atLeast = (a: number, b: number) => maj > a || (maj === a && min >= b);
  return {
    version,
    autoClaim: atLeast(6, 2),
    lag: atLeast(7, 0),
    autoClaimDeleted: atLeast(7, 0),
    blmove: atLeast(6, 2),
    pendingIdle: atLeast(6, 2),
    scanType: atLeast(6, 0),
    exclusiveRange: atLeast(6, 2),
    consumerInactive: atLeast(7, 2),
    partialIds: atLeast(7, 0),
  };
}
