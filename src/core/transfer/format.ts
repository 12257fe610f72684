/** The NDJSON line format of export and import, both ways (see index.ts for the format). */
import { BadInputError, printable } from '../redis/errors';
import { parseId } from '../messages/ids';
import { type RawFields, fromJsonPairs, toJsonPairs } from '../messages/message';

/** The key that marks an export's header line, and the format version written. */
export const EXPORT_HEADER_KEY = 'redis-queues-export';
export const EXPORT_FORMAT_VERSION = 1;

/** One message as an export line (without the newline): `{"id": ..., "pairs": [...]}`. */
export function exportLine(e: { id: string; raw: RawFields }): string {
  return JSON.stringify({ id: e.id, pairs: toJsonPairs(e.raw) });
}

/** The header line of an export (without the newline). */
export function exportHeaderLine(h: { stream: string; query?: unknown; exportedAt?: Date }): string {
  const o: Record<string, unknown> = { [EXPORT_HEADER_KEY]: EXPORT_FORMAT_VERSION, stream: h.stream, exportedAt: (h.exportedAt ?? new Date()).toISOString() };
  if (h.query !== undefined) o['query'] = h.query;
  return JSON.stringify(o);
}

/** One message line read for import. */
export interface ImportLine {
  /** The line's `id`, when it has one (a string; checked only when ids are kept). */
  id?: string;
  raw: RawFields;
}

/**
 * Reads one line of an import (see the module comment). Returns null for a header line or a
 * blank line. Throws {@link BadInputError} saying what is wrong (without the line number). With
 * `keepIds` the line must carry a valid id (greater than 0-0).
 */
export function parseImportLine(text: string, keepIds = false): ImportLine | null {
  if (!text.trim()) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new BadInputError(`not JSON (${printable((e as Error).message, 100)})`);
  }
  return importMessageOf(v, keepIds);
}

/** A parsed JSON value of an import → the message it holds, or null for a header (see {@link parseImportLine}). */
export function importMessageOf(v: unknown, keepIds = false): ImportLine | null {
  let pairs: unknown;
  let id: unknown;
  if (Array.isArray(v)) {
    pairs = v;
  } else if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Object.hasOwn(o, EXPORT_HEADER_KEY)) {
      const version = o[EXPORT_HEADER_KEY];
      if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new BadInputError(`a header line whose "${EXPORT_HEADER_KEY}" is not a format version (got ${printable(JSON.stringify(version) ?? 'nothing', 40)})`);
      if (version > EXPORT_FORMAT_VERSION) throw new BadInputError(`the export has format version ${version}; this version of redis-queues reads version ${EXPORT_FORMAT_VERSION} (update it)`);
      return null;
    }
    if (!Object.hasOwn(o, 'pairs')) {
      throw new BadInputError(`no "pairs": a message line is {"id": "...", "pairs": [[name, value], ...]}${Object.hasOwn(o, 'fields') ? ' ("fields" is a lossy view and is not imported)' : ''}`);
    }
    pairs = o['pairs'];
    if (pairs === null) throw new BadInputError('"pairs" is null: the entry had been deleted, there is no message to import');
    id = o['id'];
  } else {
    throw new BadInputError(`expected a JSON object {"id": "...", "pairs": [[name, value], ...]} (got ${v === null ? 'null' : typeof v})`);
  }
  const raw = fromJsonPairs(pairs, '"pairs"');
  if (raw.length === 0) throw new BadInputError('"pairs" is empty: a stream entry has at least one (name, value) pair');
  if (keepIds) {
    if (typeof id !== 'string') throw new BadInputError(`no "id" (a string like "1700000000000-0"), which keeping ids needs`);
    try {
      parseId(id, { allowMsOnly: false, allowZero: false });
    } catch (e) {
      throw new BadInputError(`"id": ${(e as Error).message}`);
    }
    return { id, raw };
  }
  return typeof id === 'string' ? { id, raw } : { raw };
}
