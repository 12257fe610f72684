/** Trimming a stream, with a preview of the pending entries it would cut. */
import { xinfoGroups } from '../redis/commands';
import { BadInputError } from '../redis/errors';
import { parseId, previousId } from '../messages/ids';
import { type OpTarget, assertWritable, call } from './target';
import { pendingPages } from './pending';

// ---- trimming ----

export type TrimSpec = { maxlen: number; minid?: undefined } | { minid: string; maxlen?: undefined };

export interface TrimPreview {
  /** Entries the trim removes (exact trimming; approximate `~` may remove fewer). */
  removed: number;
  /** First id kept after the trim (null when the stream would be empty). */
  firstKeptId: string | null;
  /** Per group: pending entries whose bodies would be trimmed away (they stay in the PEL with nil bodies). */
  pendingAffected: { group: string; count: number; capped: boolean }[];
}

/** What an exact trim would do, without doing it. Reads are bounded (at most ~`cap` ids walked). */
export async function trimPreview(t: OpTarget, stream: string, spec: TrimSpec, { cap = 100_000 }: { cap?: number } = {}): Promise<TrimPreview> {
  const len = Number(await call(t, { key: stream, command: 'XLEN' }, () => t.client.xlen(stream)));
  let cutoff: string | null; // first kept id
  let removed: number;
  if (spec.maxlen !== undefined) {
    if (!(spec.maxlen >= 0) || !Number.isInteger(spec.maxlen)) throw new BadInputError('MAXLEN must be a whole number ≥ 0');
    removed = Math.max(0, len - spec.maxlen);
    if (removed === 0) cutoff = null;
    else if (spec.maxlen === 0) cutoff = null;
    else {
      const kept = await call(t, { key: stream }, () => t.client.xrevrange(stream, '+', '-', 'COUNT', spec.maxlen));
      cutoff = kept[kept.length - 1]?.[0] ?? null;
    }
    if (removed === 0) return { removed: 0, firstKeptId: null, pendingAffected: [] };
  } else {
    parseId(spec.minid);
    cutoff = spec.minid;
    removed = 0;
    let start = '-';
    const end = previousIdOrNull(spec.minid);
    while (end && removed < cap) {
      const page = await call(t, { key: stream }, () => t.client.call('XRANGE', stream, start, end, 'COUNT', 1000)) as [string, unknown][];
      removed += page.length;
      if (page.length < 1000) break;
      start = `(${page[page.length - 1]![0]}`;
    }
  }
  const groups = await call(t, { key: stream, command: 'XINFO' }, () => xinfoGroups(t.client, stream));
  const end = cutoff ? previousIdOrNull(cutoff) : '+';
  const pendingAffected = await Promise.all(
    groups.filter((g) => g.pending > 0).map(async (g) => {
      let count = 0;
      let capped = false;
      if (end) {
        for await (const page of pendingPages(t, stream, g.name, { end })) {
          count += page.length;
          if (count >= cap && page.length === 1000) {
            capped = true;
            break;
          }
        }
      }
      return { group: g.name, count, capped };
    }),
  );
  return { removed, firstKeptId: cutoff, pendingAffected: pendingAffected.filter((p) => p.count > 0) };
}

function previousIdOrNull(id: string): string | null {
  try {
    return previousId(id);
  } catch {
    return null;
  }
}

/** XTRIM by MAXLEN or MINID (`~` approximate unless `exact`). Returns entries removed. */
export async function trim(t: OpTarget, stream: string, spec: TrimSpec, { exact = true }: { exact?: boolean } = {}): Promise<number> {
  assertWritable(t, 'XTRIM');
  const args: (string | number)[] = spec.maxlen !== undefined ? ['MAXLEN', exact ? '=' : '~', spec.maxlen] : ['MINID', exact ? '=' : '~', spec.minid];
  if (spec.minid !== undefined) parseId(spec.minid);
  return Number(await call(t, { key: stream, command: 'XTRIM' }, () => t.client.call('XTRIM', [stream, ...args])));
}
