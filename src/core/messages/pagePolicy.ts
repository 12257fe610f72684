/**
 * How many entries to ask for in the next read of a paged walk (XRANGE / XREVRANGE pages, the
 * bodies of pending entries), so that no reply is large whatever the messages' size: a server
 * spends its time on a read in proportion to the bytes it writes, and the client holds them.
 *
 * The first read asks for one entry (a 10 MB message costs one 10 MB reply, not a hundred); each
 * later read asks for as many entries as fit in `targetBytes` at the last reply's bytes per entry,
 * growing by at most `growth` times a read and never beyond `max`. A reply is at most about
 * `targetBytes`, or one entry when a single entry is larger, unless the sizes change sharply from
 * one page to the next (the estimate is the last page's).
 *
 * Use: `const pages = new PagePolicy(); read(pages.count); ...; pages.next(entries, replyBytes(reply))`.
 */

export interface PagePolicyOptions {
  /** The first read's count (default 1). */
  first?: number;
  /** The largest count (default 1,000). */
  max?: number;
  /** What a reply should stay under, in bytes (default 1 MiB). */
  targetBytes?: number;
  /** How many times larger one read may be than the last (default 8). */
  growth?: number;
}

export class PagePolicy {
  /** The count to ask for in the next read. */
  count: number;
  /** The largest count asked for so far. */
  largest: number;
  readonly max: number;
  private readonly targetBytes: number;
  private readonly growth: number;

  constructor(options: PagePolicyOptions = {}) {
    this.max = Math.max(1, Math.floor(options.max ?? 1_000));
    this.targetBytes = options.targetBytes ?? 1 << 20;
    this.growth = Math.max(1, options.growth ?? 8);
    this.count = Math.min(this.max, Math.max(1, Math.floor(options.first ?? 1)));
    this.largest = this.count;
  }

  /**
   * What the last read returned (entries and their bytes, e.g. {@link replyBytes}); returns the
   * count for the next read (also in `count`). An empty reply changes nothing.
   */
  next(entries: number, bytes: number): number {
    if (entries > 0) {
      const perEntry = Math.max(1, bytes / entries);
      const fit = Math.floor(this.targetBytes / perEntry);
      this.count = Math.max(1, Math.min(this.max, fit, Math.floor(this.count * this.growth)));
      this.largest = Math.max(this.largest, this.count);
    }
    return this.count;
  }
}

/** Bytes per entry besides its names and values: the id and the reply's framing, about. */
const ENTRY_OVERHEAD = 32;
const PAIR_OVERHEAD = 12;

/** The size of raw stream entries as read (`[id, [name, value, ...] | null]` with Buffers), about. */
export function replyBytes(entries: readonly unknown[]): number {
  let bytes = 0;
  for (const item of entries) {
    bytes += ENTRY_OVERHEAD;
    const raw = (item as unknown[] | null)?.[1] as Buffer[] | null | undefined;
    if (raw) for (let j = 0; j < raw.length; j++) bytes += raw[j]!.length + PAIR_OVERHEAD / 2;
  }
  return bytes;
}
