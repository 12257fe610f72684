// The tables of a stream's panel, without VS Code: its groups, one group's consumers and one
// group's pending entries as rows of cells (text to show, a value to sort by), sorted and filtered
// the one way the page shows them. Sorting and filtering apply to the rows loaded (all groups,
// all consumers, the pending pages read so far, oldest first); the panel says so.
import { type ConsumerInfo, type GroupSummary, type HealthThresholds, type PendingEntry, type StreamEntry, compareIds, formatCount, formatDuration, isPoison, isStuck, oneLine, previewRaw } from '../../core/internal';

export type TableName = 'groups' | 'consumers' | 'pending';

/** A cell: what is shown, and what it sorts by (numbers sort as numbers, unknowns last). */
export interface Cell {
  text: string;
  sort: number | string | null;
  /** A longer text for the cell's tooltip. */
  title?: string;
}

export interface Row {
  /** Unique in its table: the group's or consumer's name, the entry's id. */
  key: string;
  cells: Record<string, Cell>;
  /** Marks for the row's look ("poison", "stuck", "gone"). */
  marks: string[];
}

export interface Column {
  key: string;
  label: string;
  numeric?: boolean;
  /** A short explanation for the header's tooltip. */
  title?: string;
}

export interface Sort {
  key: string;
  dir: 'asc' | 'desc';
}

export const COLUMNS: Record<TableName, Column[]> = {
  groups: [
    { key: 'name', label: 'Group' },
    { key: 'pending', label: 'Pending', numeric: true, title: 'Read by a consumer, not acknowledged (XPENDING)' },
    { key: 'lag', label: 'Lag', numeric: true, title: 'Entries not yet read by the group (Redis 7+; "?" when Redis cannot tell)' },
    { key: 'oldest', label: 'Oldest pending', numeric: true, title: 'Age of the oldest pending entry, from its id' },
    { key: 'consumers', label: 'Consumers', numeric: true },
    { key: 'in', label: 'In /s', numeric: true, title: 'Entries added to the stream per second, last sampling interval' },
    { key: 'out', label: 'Out /s', numeric: true, title: 'Entries read by the group per second, last sampling interval (Redis 7+)' },
    { key: 'lastDelivered', label: 'Last delivered', title: "The group's cursor: the last id delivered to one of its consumers" },
  ],
  consumers: [
    { key: 'name', label: 'Consumer' },
    { key: 'pending', label: 'Pending', numeric: true },
    { key: 'idle', label: 'Idle', numeric: true, title: 'Since its last attempted read' },
    { key: 'inactive', label: 'Inactive', numeric: true, title: 'Since its last successful read (Redis 7.2+)' },
  ],
  pending: [
    { key: 'time', label: 'Time', numeric: true, title: "The entry's id as a local time" },
    { key: 'id', label: 'Id' },
    { key: 'consumer', label: 'Consumer' },
    { key: 'idle', label: 'Idle', numeric: true, title: 'Since its last delivery' },
    { key: 'deliveries', label: 'Deliveries', numeric: true },
    { key: 'preview', label: 'Message' },
  ],
};

/** The default order of each table: what needs attention first. */
export const DEFAULT_SORT: Record<TableName, Sort> = {
  groups: { key: 'name', dir: 'asc' },
  consumers: { key: 'name', dir: 'asc' },
  pending: { key: 'id', dir: 'asc' },
};

const num = (n: number | null | undefined, text: (n: number) => string, unknown = '?'): Cell => (n === null || n === undefined || !Number.isFinite(n) ? { text: unknown, sort: null } : { text: text(n), sort: n });
const rate = (v: number | undefined): Cell => num(v, (n) => (n >= 100 ? formatCount(Math.round(n)) : n.toFixed(1)), '–');

/** The groups table's rows; `rates` gives the sampled rates (undefined until two rounds saw them). */
export function groupRows(groups: GroupSummary[], rates: (group: string) => { in?: number; out?: number }): Row[] {
  return groups.map((g) => {
    const r = rates(g.name);
    return {
      key: g.name,
      cells: {
        name: { text: oneLine(g.name), sort: g.name },
        pending: num(g.pending, formatCount),
        lag: num(g.lag, formatCount, g.lag === undefined ? 'n/a' : '?'),
        oldest: g.pending ? num(g.oldestPendingAgeMs, formatDuration) : { text: '–', sort: null },
        consumers: num(g.consumers, formatCount),
        in: rate(r.in),
        out: rate(r.out),
        lastDelivered: { text: g.lastDeliveredId, sort: g.lastDeliveredId },
      },
      marks: [],
    };
  });
}

export function consumerRows(consumers: ConsumerInfo[], thresholds: HealthThresholds): Row[] {
  return consumers.map((c) => ({
    key: c.name,
    cells: {
      name: { text: oneLine(c.name), sort: c.name },
      pending: num(c.pending, formatCount),
      idle: num(c.idle, (n) => `${formatDuration(n)}${isStuck(c, thresholds) ? ' STUCK' : ''}`),
      inactive: c.inactive === undefined ? { text: 'n/a', sort: null } : c.inactive < 0 ? { text: 'never read', sort: Number.MAX_SAFE_INTEGER } : num(c.inactive, formatDuration),
    },
    marks: isStuck(c, thresholds) ? ['stuck'] : [],
  }));
}

/**
 * The pending table's rows. `bodies`: the entries' messages (null: deleted or trimmed from the
 * stream; absent: not read). `timeText` writes an id's time as the tree's rows do.
 */
export function pendingRows(entries: PendingEntry[], bodies: Map<string, StreamEntry | null>, thresholds: HealthThresholds, timeText: (id: string) => string): Row[] {
  return entries.map((e) => {
    const body = bodies.get(e.id);
    const ms = Number(e.id.slice(0, e.id.indexOf('-')));
    const poison = isPoison(e, thresholds);
    return {
      key: e.id,
      cells: {
        time: { text: timeText(e.id), sort: Number.isSafeInteger(ms) ? ms : null },
        id: { text: e.id, sort: e.id },
        consumer: { text: oneLine(e.consumer), sort: e.consumer },
        idle: num(e.idle, formatDuration),
        deliveries: num(e.deliveries, (n) => `${formatCount(n)}×${poison ? ' POISON' : ''}`),
        preview: body === undefined ? { text: '', sort: '' } : body === null ? { text: '(deleted from the stream)', sort: '(deleted from the stream)' } : { text: previewRaw(body.raw, 120), sort: previewRaw(body.raw, 120), title: previewRaw(body.raw, 1000) },
      },
      marks: [...(poison ? ['poison'] : []), ...(body === null ? ['gone'] : [])],
    };
  });
}

const ID = /^\d+-\d+$/;

const collator = new Intl.Collator('en', { numeric: true });

/** Ids by their order, other text as the tree orders names (worker-2 before worker-10), then by code points. */
function compareText(a: string, b: string): number {
  if (ID.test(a) && ID.test(b)) return compareIds(a, b);
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

function compareCells(a: Cell, b: Cell): number {
  if (typeof a.sort === 'number' && typeof b.sort === 'number') return a.sort - b.sort;
  return compareText(String(a.sort), String(b.sort));
}

/**
 * The rows a table shows: those whose shown text contains every word of `filter` (any cell, or a
 * mark such as "poison" or "stuck"; case-insensitive), sorted by `sort` (unknowns last in both directions, ties in key order).
 */
export function tableView(rows: readonly Row[], sort: Sort, filter = ''): Row[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = words.length
    ? rows.filter((r) => {
        const text = [...Object.values(r.cells).map((c) => c.text), ...r.marks]
          .join('\u0000')
          .toLowerCase();
        return words.every((w) => text.includes(w));
      })
    : [...rows];
  const dir = sort.dir === 'desc' ? -1 : 1;
  const byKey = (a: Row, b: Row) => compareText(a.key, b.key);
  return shown.sort((a, b) => {
    const x = a.cells[sort.key];
    const y = b.cells[sort.key];
    const xu = !x || x.sort === null;
    const yu = !y || y.sort === null;
    if (xu || yu) return xu && yu ? byKey(a, b) : xu ? 1 : -1;
    return dir * compareCells(x, y) || byKey(a, b);
  });
}
