// The dashboard's data (src/vscode/dashboard/dashboardPanel.ts dashboardData) from a history
// written here: one time axis for every line, nulls where a line has no point, ages in seconds,
// only the markers of the stream (or group) shown.
import * as assert from 'node:assert/strict';
import { MetricsHistory } from '../../src/core/metrics/history';
import type { Round } from '../../src/core/metrics/sampler';
import { CONNECTION_LINES, connectionDashboardData, dashboardData, listDashboardData } from '../../src/vscode/dashboard/dashboardData';

const T0 = Date.UTC(2026, 11, 6, 12, 0, 0);

describe('(unit) dashboard data', () => {
  it('aligns every line on one axis, converts ages to seconds, and keeps the markers of what is shown', () => {
    const h = new MetricsHistory();
    const round = (i: number, read: number, withB: boolean): Round => ({
      at: T0 + i * 5000,
      missing: {},
      calls: 0,
      streams: [
        {
          key: 'orders',
          length: 100 + i * 10,
          entriesAdded: 100 + i * 10,
          lastGeneratedId: `${T0 + i}-0`,
          groups: [
            { name: 'billing', pending: 2, entriesRead: read, lag: 100 + i * 10 - read, lastDeliveredId: `${T0 + i}-${read}`, consumers: 1, oldestPendingAgeMs: 4000 + i * 5000 },
            ...(withB ? [{ name: 'audit', pending: 0, entriesRead: 100 + i * 10, lag: 0, lastDeliveredId: `${T0 + i}-9`, consumers: 1 }] : []),
          ],
        },
        { key: 'other', length: 1, entriesAdded: 1, lastGeneratedId: '1-0', groups: [] },
      ],
    });
    for (let i = 0; i < 4; i++) h.add(round(i, 50 + i * 5, i >= 2));
    // billing reset at round 4 (its cursor moves back): a marker for orders › billing.
    h.add(round(4, 0, true));
    const all = dashboardData(h, 'orders', undefined, '5m', T0 + 4 * 5000);
    assert.deepEqual(all.x, [0, 1, 2, 3, 4].map((i) => (T0 + i * 5000) / 1000));
    assert.deepEqual(all.charts.map((c) => c.lines.map((l) => l.name)), [['in (added)', 'out: audit', 'out: billing'], ['audit', 'billing'], ['audit', 'billing'], ['audit', 'billing']]);
    const lag = all.charts[1]!.lines;
    assert.deepEqual(lag[0]!.values, [null, null, 0, 0, 0], 'audit appeared at round 2: null before');
    assert.deepEqual(all.charts[3]!.lines[1]!.values, [4, 9, 14, 19, 24], 'ages in seconds');
    assert.deepEqual(all.charts[0]!.lines[0]!.values, [null, 2, 2, 2, 2], 'in: 10 per 5 s');
    assert.ok(all.markers.some((m) => m.kind === 'reset'), 'the reset is marked');
    const audit = dashboardData(h, 'orders', 'audit', '5m', T0 + 4 * 5000);
    assert.ok(!audit.markers.some((m) => m.kind === 'reset'), "billing's reset is not audit's");
    assert.deepEqual(audit.charts.map((c) => c.lines.length), [2, 1, 1, 1]);
    assert.match(dashboardData(new MetricsHistory(), 'orders', undefined, '1h').note!, /^Sampling…/);
  });

  it('draws the dead-lettered rate when the dead-letter stream is sampled, and marks STUCK consumers on their group only, bursts and failovers on every chart of the stream', () => {
    const h = new MetricsHistory();
    const sample = (i: number, dead: number, stuck: string[], runId: string): Round => ({
      at: T0 + i * 5000,
      missing: {},
      calls: 0,
      runId,
      streams: [
        {
          key: 'orders',
          length: 10 * i,
          entriesAdded: 10 * i,
          lastGeneratedId: `${T0 + i}-0`,
          deadLetters: dead,
          groups: [
            { name: 'billing', pending: 2, entriesRead: 10 * i, lag: 0, lastDeliveredId: `${T0 + i}-0`, consumers: 1, oldestPendingAgeMs: 1000, stuck },
            { name: 'audit', pending: 0, entriesRead: 10 * i, lag: 0, lastDeliveredId: `${T0 + i}-0`, consumers: 1 },
          ],
        },
      ],
    });
    h.add(sample(0, 0, [], 'r1'));
    h.add(sample(1, 10, ['w1'], 'r1'));
    h.add(sample(2, 10, ['w1'], 'r2'));
    const all = dashboardData(h, 'orders', undefined, '5m', T0 + 2 * 5000);
    assert.deepEqual(all.charts[0]!.lines.map((l) => l.name), ['in (added)', 'out: audit', 'out: billing', 'dead-lettered']);
    assert.deepEqual(all.charts[0]!.lines[3]!.values, [null, 2, 0], '10 dead letters in 5 s');
    assert.deepEqual(all.markers.map((m) => m.kind).sort(), ['deadLetters', 'failover', 'stuck']);
    const audit = dashboardData(h, 'orders', 'audit', '5m', T0 + 2 * 5000);
    assert.deepEqual(audit.markers.map((m) => m.kind).sort(), ['deadLetters', 'failover'], "billing's STUCK consumer is not audit's");
  });

  it("a list queue's dashboard: its lists' lengths, dead per second and the oldest running job's age in seconds", () => {
    const h = new MetricsHistory();
    for (let i = 0; i < 3; i++) h.add({ at: T0 + i * 5000, streams: [], missing: {}, calls: 0, listQueues: [{ name: 'emails', waiting: 10 - i, processing: 1, dead: i * 5, oldestRunningMs: 2000 + i * 5000 }] });
    const d = listDashboardData(h, 'emails', '5m', T0 + 2 * 5000);
    assert.equal(d.title, 'emails (list queue)');
    assert.deepEqual(d.charts.map((c) => c.lines.map((l) => l.name)), [['waiting', 'processing', 'dead'], ['dead'], ['oldest running']]);
    assert.deepEqual(d.charts[0]!.lines[0]!.values, [10, 9, 8]);
    assert.deepEqual(d.charts[1]!.lines[0]!.values, [null, 1, 1]);
    assert.deepEqual(d.charts[2]!.lines[0]!.values, [2, 7, 12]);
    assert.deepEqual(d.markers.map((m) => [m.kind, m.text]), [['deadLetters', "dead-letter burst: 10 to emails's dead list in 10 s"]], 'two rounds of 5: one burst');
  });

  it("a connection's dashboard: in each chart the lines with the largest latest values (the note says how many are left out), list queues' waiting jobs, every marker", () => {
    const h = new MetricsHistory();
    const streams = Array.from({ length: 10 }, (_, i) => `s${i}`);
    for (let r = 0; r < 3; r++) {
      h.add({
        at: T0 + r * 5000,
        missing: {},
        calls: 0,
        runId: r < 2 ? 'a' : 'b',
        streams: streams.map((key, i) => ({
          key,
          length: 10 * r * (i + 1),
          entriesAdded: 10 * r * (i + 1),
          lastGeneratedId: `${T0 + r}-${i}`,
          groups: [{ name: 'g', pending: i, entriesRead: 0, lag: 10 * r * (i + 1), lastDeliveredId: '0-0', consumers: 1 }],
        })),
        listQueues: [{ name: 'emails', waiting: 3 + r, processing: 0, dead: 0 }],
      });
    }
    const d = connectionDashboardData(h, 'prod', '5m', T0 + 2 * 5000);
    assert.equal(d.title, 'prod (connection)');
    const names = d.charts.map((c) => c.lines.map((l) => l.name));
    // The largest latest lag: s9 › g (lag 200), then s8 … s2.
    assert.deepEqual(names[1], streams.slice(10 - CONNECTION_LINES).reverse().map((s) => `${s} › g`));
    assert.deepEqual(names[0], streams.slice(10 - CONNECTION_LINES).reverse(), 'messages in: the busiest streams');
    assert.deepEqual(names[4], ['emails']);
    assert.deepEqual(d.charts[4]!.lines[0]!.values, [3, 4, 5]);
    assert.match(d.note!, /^Shown: Messages added per second: the 8 largest of 10 streams; Lag: the 8 largest of 10 groups; Pending: the 8 largest of 10 groups; Oldest pending entry: the 8 largest of 10 groups \(by their latest value\)/);
    assert.deepEqual(d.markers.map((m) => m.kind), ['failover']);
    // An events stream beside a queue is left out, and said; a stream merely named so is kept.
    h.add({ at: T0 + 3 * 5000, missing: {}, calls: 0, streams: [{ key: 's1:events', length: 5, entriesAdded: 5, lastGeneratedId: `${T0}-9`, groups: [] }, { key: 'user:events', length: 1, entriesAdded: 1, lastGeneratedId: `${T0}-9`, groups: [] }] });
    const e = connectionDashboardData(h, 'prod', '5m', T0 + 3 * 5000);
    assert.ok(!e.charts[0]!.lines.some((l) => l.name === 's1:events'));
    assert.match(e.note!, /Left out, the workers' events streams: s1:events\.$/);
    assert.ok(e.charts[0]!.lines.some((l) => l.name === 'user:events') || /the 8 largest of 11 streams/.test(e.note!), 'user:events is a stream like any other');
  });
});
