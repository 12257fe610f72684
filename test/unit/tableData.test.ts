// The tables panel's rows (src/vscode/tables/tableData.ts), sorted and filtered, against a small
// reference written here, on random pending entries, consumers and groups.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_THRESHOLDS, formatDuration } from '../../src/core/internal';
import type { PendingEntry, StreamEntry } from '../../src/core/internal';
import { COLUMNS, consumerRows, groupRows, pendingRows, tableView } from '../../src/vscode/tables/tableData';

const idArb = fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 5n })).map(([ms, seq]) => `${ms}-${seq}`);
const consumerArb = fc.constantFrom('alice', 'bob', 'Bob', 'ünï', 'worker-10', 'worker-9', '');
const entryArb = fc.record({ id: idArb, consumer: consumerArb, idle: fc.integer({ min: 0, max: 10 * 86_400_000 }), deliveries: fc.integer({ min: 0, max: 12 }) });


function idCmp(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am !== bm ? (am < bm ? -1 : 1) : as !== bs ? (as < bs ? -1 : 1) : 0;
}
// Names as the tree orders them: natural (worker-9 before worker-10), case and accents second, then code points.
const natural = new Intl.Collator('en', { numeric: true });
const strCmp = (a: string, b: string) => natural.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);

describe('(unit) tables: sorting and filtering', () => {
  it('pending entries: any column, either direction, any filter, as the reference orders and keeps them', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(entryArb, { selector: (e) => e.id, maxLength: 40 }),
        fc.constantFrom(...COLUMNS.pending.map((c) => c.key)),
        fc.constantFrom<'asc' | 'desc'>('asc', 'desc'),
        fc.array(fc.constantFrom('ali', 'BOB', '×', 'x=', '1', 'deleted', 'worker-1', 'zzz', 'Poison', 'gone'), { maxLength: 2 }),
        (entries: PendingEntry[], key, dir, words) => {
          // Bodies: some read, one deleted, some not read.
          const bodies = new Map<string, StreamEntry | null>();
          entries.forEach((e, i) => {
            if (i % 3 === 0) bodies.set(e.id, { id: e.id, fields: { x: String(i) }, raw: [Buffer.from('x'), Buffer.from(String(i))] } as unknown as StreamEntry);
            else if (i % 3 === 1) bodies.set(e.id, null);
          });
          const rows = pendingRows(entries, bodies, DEFAULT_THRESHOLDS, (id) => `t${id.split('-')[0]}`);
          const got = tableView(rows, { key, dir }, words.join(' ')).map((r) => r.key);
          // The reference: each row's shown text, its sort value, then filter and sort.
          const ref = entries
            .map((e) => {
              const row = rows.find((r) => r.key === e.id)!;
              const text = [...Object.values(row.cells).map((c) => c.text), ...row.marks].join(' | ').toLowerCase();
              return { e, text, preview: row.cells.preview!.text };
            })
            .filter((x) => words.every((w) => x.text.includes(w.toLowerCase())))
            .sort((a, b) => {
              const s = dir === 'asc' ? 1 : -1;
              let c = 0;
              if (key === 'time') {
                const x = BigInt(a.e.id.split('-')[0]!);
                const y = BigInt(b.e.id.split('-')[0]!);
                c = x < y ? -1 : x > y ? 1 : 0;
              } else if (key === 'id') c = idCmp(a.e.id, b.e.id);
              else if (key === 'consumer') c = strCmp(a.e.consumer, b.e.consumer);
              else if (key === 'idle') c = a.e.idle - b.e.idle;
              else if (key === 'deliveries') c = a.e.deliveries - b.e.deliveries;
              else c = strCmp(a.preview, b.preview);
              return s * c || idCmp(a.e.id, b.e.id);
            })
            .map((x) => x.e.id);
          // Times beyond 2^53 ms are not numbers the table sorts by: they are unknown, and go last.
          const unknownTime = (id: string) => key === 'time' && !Number.isSafeInteger(Number(id.split('-')[0]));
          const known = ref.filter((id) => !unknownTime(id));
          const unknown = ref.filter(unknownTime).sort(idCmp);
          assert.deepEqual(got, [...known, ...unknown]);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('groups: lag and rates that Redis or the sampler cannot give are unknown and go last, whichever the direction', () => {
    const groups = [
      { name: 'a', consumers: 1, pending: 0, lastDeliveredId: '5-0', lag: 10 },
      { name: 'b', consumers: 2, pending: 3, lastDeliveredId: '10-0', lag: null, oldestPendingAgeMs: 65_000 },
      { name: 'c', consumers: 0, pending: 1, lastDeliveredId: '9-0', lag: 2 },
      { name: 'd', consumers: 0, pending: 0, lastDeliveredId: '0-0' },
    ];
    const rows = groupRows(groups, (g) => (g === 'a' ? { in: 12.34, out: 150.6 } : {}));
    assert.deepEqual(tableView(rows, { key: 'lag', dir: 'desc' }).map((r) => r.key), ['a', 'c', 'b', 'd']);
    assert.deepEqual(tableView(rows, { key: 'lag', dir: 'asc' }).map((r) => r.key), ['c', 'a', 'b', 'd']);
    assert.deepEqual(tableView(rows, { key: 'lastDelivered', dir: 'desc' }).map((r) => r.key), ['b', 'c', 'a', 'd'], 'ids by their order, not as text');
    const a = rows.find((r) => r.key === 'a')!.cells;
    assert.deepEqual([a.in!.text, a.out!.text], ['12.3', '151']);
    const b = rows.find((r) => r.key === 'b')!.cells;
    assert.deepEqual([b.lag!.text, b.oldest!.text, b.in!.text], ['?', formatDuration(65_000), '–']);
    assert.equal(rows.find((r) => r.key === 'd')!.cells.lag!.text, 'n/a', 'a server before 7.0 gives no lag');
    assert.deepEqual(tableView(rows, { key: 'pending', dir: 'desc' }, 'C').map((r) => r.key), ['c'], 'the filter matches the name (and any shown cell)');
  });

  it('consumers: STUCK marked, "never read" sorts as the longest inactive', () => {
    const rows = consumerRows(
      [
        { name: 'w1', pending: 2, idle: DEFAULT_THRESHOLDS.stuckIdleMs + 1, inactive: 5 },
        { name: 'w2', pending: 0, idle: DEFAULT_THRESHOLDS.stuckIdleMs + 1, inactive: -1 },
        { name: 'w3', pending: 1, idle: 10 },
      ],
      DEFAULT_THRESHOLDS,
    );
    assert.deepEqual(rows.map((r) => r.marks), [['stuck'], [], []], 'stuck: holds entries and idle past the threshold');
    assert.deepEqual(tableView(rows, { key: 'inactive', dir: 'desc' }).map((r) => r.key), ['w2', 'w1', 'w3']);
    assert.equal(rows[1]!.cells.inactive!.text, 'never read');
    assert.equal(rows[2]!.cells.inactive!.text, 'n/a');
  });
});
