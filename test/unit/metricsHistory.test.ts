// The health history (core/metrics/history.ts) on rounds written here with a fake clock: rates
// from Redis' counters, resets and gaps never drawn as spikes, the persisted form with its gap,
// trends against a reference computed in the test, and memory flat over simulated days.
import * as assert from 'node:assert/strict';
import { MetricsHistory, keepsGrowing, sparkline, trendOf, type Point } from '../../src/core/metrics/history';
import type { FrameworkSample, GroupSample, Round, StreamSample } from '../../src/core/metrics/sampler';
import type { StateTone } from '../../src/core/frameworks/framework';

const T0 = Date.UTC(2026, 11, 6, 12, 0, 0);

/** A small model of a stream with groups, advanced by producing and consuming, sampled as rounds. */
class Model {
  added = 0;
  seq = 0;
  length = 0;
  readonly groups = new Map<string, { read: number; pending: number; cursor: string }>();
  constructor(readonly key: string, groups: string[]) {
    for (const g of groups) this.groups.set(g, { read: 0, pending: 0, cursor: '0-0' });
  }
  produce(n: number, at: number): void {
    this.added += n;
    this.length += n;
    this.seq = at;
  }
  consume(group: string, n: number): void {
    const g = this.groups.get(group)!;
    const take = Math.min(n, this.added - g.read);
    g.read += take;
    g.cursor = `${this.seq}-${g.read}`;
  }
  sample(): StreamSample {
    const groups: GroupSample[] = [...this.groups].map(([name, g]) => ({ name, pending: g.pending, entriesRead: g.read, lag: this.added - g.read, lastDeliveredId: g.cursor, consumers: 1 }));
    return { key: this.key, length: this.length, entriesAdded: this.added, lastGeneratedId: `${this.seq}-${this.added}`, groups };
  }
}

const round = (at: number, ...streams: StreamSample[]): Round => ({ at, streams, missing: {}, calls: streams.length * 2 });
const values = (ps: Point[]) => ps.map((p) => p.v);

describe('(unit) health history: rates, resets, gaps, persistence, trends, memory', () => {
  it('derives the in and out rates from the counters, and the lag grows when production outruns consumption', () => {
    const h = new MetricsHistory();
    const m = new Model('orders', ['billing']);
    let t = T0;
    for (let i = 0; i < 60; i++, t += 5000) {
      m.produce(1000, t); // 200/s
      m.consume('billing', 500); // 100/s
      h.add(round(t, m.sample()));
    }
    const last = t - 5000;
    const rin = values(h.points('orders', undefined, 'in', 5 * 60_000, last));
    assert.equal(rin[0], null, 'no rate without a previous round');
    assert.ok(rin.slice(1).every((v) => v === 200), `in: ${rin.join(',')}`);
    assert.ok(values(h.points('orders', 'billing', 'out', 5 * 60_000, last)).slice(1).every((v) => v === 100));
    const lag = h.points('orders', 'billing', 'lag', 5 * 60_000, last);
    const tr = trendOf(lag);
    assert.equal(tr.arrow, '↑');
    // The reference: the lag grows by 500 per round, so by 500 × (rounds - 1) over the window.
    assert.ok(Math.abs(tr.change - 500 * (lag.length - 1)) < 1e-6, `change ${tr.change}`);
    assert.ok(keepsGrowing(lag));
  });

  it('a stream deleted and recreated, and a group reset, are resets: no rate for that interval, no spike, an event each', () => {
    const h = new MetricsHistory();
    let m = new Model('orders', ['billing']);
    let t = T0;
    const step = () => {
      m.produce(100, t);
      m.consume('billing', 100);
      h.add(round(t, m.sample()));
      t += 5000;
    };
    for (let i = 0; i < 5; i++) step();
    // Recreated: its counters and ids start again from nothing.
    m = new Model('orders', ['billing']);
    t += 0;
    step();
    for (let i = 0; i < 3; i++) step();
    // The group is reset to the start (XGROUP SETID 0): its cursor and entries-read move back.
    const g = m.groups.get('billing')!;
    g.read = 0;
    g.cursor = '0-0';
    m.produce(100, t);
    h.add(round(t, m.sample()));
    t += 5000;
    step();
    const rin = values(h.points('orders', undefined, 'in', 60 * 60_000, t));
    const out = values(h.points('orders', 'billing', 'out', 60 * 60_000, t));
    assert.ok(rin.every((v) => v === null || v === 20), `in: ${rin.join(',')}`);
    assert.ok(out.every((v) => v === null || (v >= 0 && v <= 20)), `out: ${out.join(',')}`);
    assert.equal(rin[5], null, 'the recreation interval has no rate');
    assert.equal(out[9], null, 'the reset interval has no rate');
    assert.deepEqual(h.events().map((e) => [e.kind, e.where]), [['reset', 'orders'], ['reset', 'orders › billing']]);
  });

  it('a pause is a gap (the series break, the first rates after it are not averaged over it); the persisted form keeps the past and the next round after a restart marks the gap', () => {
    const h = new MetricsHistory();
    const m = new Model('s', ['g']);
    let t = T0;
    for (let i = 0; i < 10; i++, t += 5000) {
      m.produce(50, t);
      m.consume('g', 50);
      h.add(round(t, m.sample()));
    }
    // VS Code closed for 10 minutes: 60,000 entries arrive meanwhile.
    const saved = JSON.parse(JSON.stringify(h.toJSON()));
    const back = MetricsHistory.fromJSON(saved);
    assert.deepEqual(back.points('s', undefined, 'in', 60 * 60_000, t), h.points('s', undefined, 'in', 60 * 60_000, t), 'the past survives');
    t += 10 * 60_000;
    m.produce(60_000, t);
    back.add(round(t, m.sample()));
    t += 5000;
    m.produce(50, t);
    back.add(round(t, m.sample()));
    const pts = back.points('s', undefined, 'in', 60 * 60_000, t);
    const rin = values(pts);
    assert.deepEqual(rin.slice(-3), [null, null, 10], 'a break at the gap, no rate across it, then the rate again');
    assert.ok(!rin.some((v) => v !== null && v > 10), 'no spike from the 60,000 added during the gap');
    const gap = back.events().find((e) => e.kind === 'gap')!;
    assert.match(gap.text, /^no samples for 605 s$/);
  });

  it('marks what happened: a consumer turning STUCK (once), a dead-letter burst (successive rounds one burst, a trickle none), another server answering (also across a restart); dead-lettered per second from the dead-letter stream', () => {
    const h = new MetricsHistory();
    const m = new Model('s', ['g']);
    let dead = 0;
    let stuck: string[] = [];
    let runId = 'a'.repeat(40);
    let t = T0;
    const step = (deadAdded: number) => {
      m.produce(10, t);
      m.consume('g', 10);
      dead += deadAdded;
      const sample = m.sample();
      sample.deadLetters = dead;
      sample.groups[0]!.pending = 3;
      sample.groups[0]!.stuck = stuck;
      h.add({ ...round(t, sample), runId });
      t += 5000;
    };
    step(0);
    step(1); // a trickle: no burst
    step(2);
    stuck = ['w1'];
    step(0);
    step(0); // still STUCK: no second marker
    stuck = ['w1', 'w2'];
    step(6); // a burst begins...
    step(5); // ...and goes on: the same burst
    step(0);
    stuck = [];
    step(7); // another burst
    runId = 'b'.repeat(40);
    step(0);
    const events = h.events().map((e) => [e.kind, e.where, e.text]);
    assert.deepEqual(
      events.filter(([k]) => k === 'stuck'),
      [
        ['stuck', 's › g', 'consumer w1 of g is STUCK (holds entries, idle past the threshold)'],
        ['stuck', 's › g', 'consumer w2 of g is STUCK (holds entries, idle past the threshold)'],
      ],
    );
    assert.deepEqual(
      events.filter(([k]) => k === 'deadLetters'),
      [
        ['deadLetters', 's', 'dead-letter burst: 11 to s:dlq in 10 s'],
        ['deadLetters', 's', 'dead-letter burst: 7 to s:dlq in 5 s'],
      ],
    );
    const burst = h.events().find((e) => e.kind === 'deadLetters')!;
    assert.equal(burst.t, T0 + 4 * 5000, 'the burst is marked where it began');
    assert.deepEqual(events.filter(([k]) => k === 'failover'), [['failover', '', `another server answers now (run id aaaaaaaa… → bbbbbbbb…): a failover or a restart`]]);
    assert.deepEqual(values(h.points('s', undefined, 'dead', 60 * 60_000, t)), [null, 0.2, 0.4, 0, 0, 1.2, 1, 0, 1.4, 0]);
    // The dead-letter stream shrank (a replay took entries out): no rate for that interval, no marker.
    dead -= 5;
    step(0);
    assert.equal(values(h.points('s', undefined, 'dead', 60 * 60_000, t)).at(-1), null);
    // The run id survives a restart: a server restarted meanwhile is marked at the first round after it.
    const back = MetricsHistory.fromJSON(JSON.parse(JSON.stringify(h.toJSON())));
    t += 60_000;
    runId = 'c'.repeat(40);
    const sample = m.sample();
    back.add({ ...round(t, sample), runId });
    assert.equal(back.events().filter((e) => e.kind === 'failover').length, 2);
  });

  it('list queues: their lists\' lengths as gauges, jobs moved to the dead list per second (unknown where it shrank), a burst marked; kept apart from the streams', () => {
    const h = new MetricsHistory();
    const lens = [
      [10, 2, 0, 1000],
      [14, 2, 1, 6000],
      [20, 3, 8, 11000],
      [5, 0, 2, undefined],
    ] as const;
    lens.forEach(([waiting, processing, dead, oldest], i) => {
      h.add({ at: T0 + i * 5000, streams: [new Model('s', ['g']).sample()], missing: {}, calls: 0, listQueues: [{ name: 'emails', waiting, processing, dead, ...(oldest !== undefined ? { oldestRunningMs: oldest } : {}) }] });
    });
    const at = T0 + 3 * 5000;
    assert.deepEqual(values(h.points('emails', undefined, 'waiting', 60_000, at)), [10, 14, 20, 5]);
    assert.deepEqual(values(h.points('emails', undefined, 'processing', 60_000, at)), [2, 2, 3, 0]);
    assert.deepEqual(values(h.points('emails', undefined, 'deadJobs', 60_000, at)), [0, 1, 8, 2]);
    assert.deepEqual(values(h.points('emails', undefined, 'oldestRunning', 60_000, at)), [1000, 6000, 11000, 0], 'nothing running: 0');
    assert.deepEqual(values(h.points('emails', undefined, 'dead', 60_000, at)), [null, 0.2, 1.4, null], 'the dead list emptied (a requeue): no rate');
    assert.deepEqual(h.events().filter((e) => e.kind === 'deadLetters').map((e) => e.text), ["dead-letter burst: 7 to emails's dead list in 5 s"]);
    assert.deepEqual([...h.listQueues()], ['emails']);
    assert.deepEqual([...h.streams().keys()], ['s'], 'a list queue is not a stream');
  });

  it('trendOf agrees with a reference fit on random noisy lines; sparkline scales to its range', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let k = 0; k < 200; k++) {
      const slope = (rnd() - 0.5) * 20; // per point
      const base = rnd() * 1000;
      const pts: Point[] = Array.from({ length: 20 }, (_, i) => ({ t: T0 + i * 5000, v: base + slope * i + (rnd() - 0.5) * 2 }));
      // Reference: least squares on the point index (equal spacing), change over 19 steps.
      const n = pts.length;
      const mi = (n - 1) / 2;
      const mv = pts.reduce((a, p) => a + p.v!, 0) / n;
      let num = 0;
      let den = 0;
      pts.forEach((p, i) => {
        num += (i - mi) * (p.v! - mv);
        den += (i - mi) ** 2;
      });
      const want = (num / den) * (n - 1);
      const got = trendOf(pts);
      assert.ok(Math.abs(got.change - want) < 1e-6 * Math.max(1, Math.abs(want)), `change ${got.change} vs ${want}`);
      const expected = Math.abs(want) < Math.max(1, 0.05 * Math.abs(mv)) ? '→' : want > 0 ? '↑' : '↓';
      assert.equal(got.arrow, expected);
    }
    assert.equal(trendOf([{ t: 1, v: 5 }, { t: 2, v: 9 }]).arrow, '→', 'too few points to tell');
    assert.equal(sparkline([{ t: 1, v: 0 }, { t: 2, v: null }, { t: 3, v: 7 }, { t: 4, v: 3.5 }]), '▁·█▅');
  });

  it('memory stays flat over simulated days (fine points for an hour, minutes for a day), and the day view has a point a minute', function () {
    this.timeout(30_000); // 155,520 rounds
    const h = new MetricsHistory();
    const models = [new Model('a', ['g1', 'g2']), new Model('b', ['g1']), new Model('c', [])];
    let t = T0;
    const sizes: number[] = [];
    for (let day = 0; day < 3; day++) {
      for (let i = 0; i < 17_280; i++, t += 5000) {
        for (const m of models) {
          m.produce(10, t);
          for (const g of m.groups.keys()) m.consume(g, 9);
        }
        h.add(round(t, ...models.map((m) => m.sample())));
      }
      sizes.push(h.size());
    }
    // Full after a day (a coarse point a minute, one more than a day's worth), then flat.
    assert.equal(sizes[2], sizes[1], `held ${sizes.join(' then ')} points`);
    // 3 streams × 2 metrics + 3 groups × 4 metrics = 18 series, each at most 721 + 1,441 points.
    assert.ok(sizes.every((n) => n <= 18 * (721 + 1441)), `${sizes.join(', ')} points`);
    const day = h.points('a', 'g1', 'out', 24 * 60 * 60_000, t - 5000);
    assert.ok(day.length >= 1439 && day.length <= 1441, `${day.length} points in the day view`);
    assert.ok(day.every((p) => p.v === null || Math.abs(p.v - 1.8) < 1e-9), 'a minute\'s rate is the mean of its rounds');
    // A stream no longer sampled is dropped after a day.
    for (let i = 0; i < 17_300; i++, t += 5000) h.add(round(t, models[1]!.sample()));
    assert.deepEqual([...h.streams().keys()], ['b']);
  });

  describe('framework rows (RQ, Sidekiq, Celery counts per state)', () => {
    /** A tiny PRNG, so a failure can be replayed from its seed. */
    const prng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const STATES: Array<[string, string, StateTone]> = [['retry', 'Retries', 'failed'], ['dead', 'Dead', 'dead'], ['enqueued', 'Enqueued', 'waiting']];

    it('each row state keeps the counts as sampled, nulls at gaps, apart from streams of the same name, across a persist and reload (random rounds against a reference)', () => {
      for (let seed = 1; seed <= 40; seed++) {
        const rnd = prng(seed);
        const h = new MetricsHistory({ intervalMs: 1000 });
        // Reference: per (framework, row, state) the points expected, written plainly.
        const ref = new Map<string, Array<{ t: number; v: number | null }>>();
        const rows = ['retry', 'dead', 'queue:mail', 'rq:queue:default'];
        let t = T0;
        let last: number | undefined;
        for (let i = 0; i < 60; i++) {
          t += rnd() < 0.1 ? 5000 : 1000; // now and then a pause longer than 3 intervals: a gap
          if (last !== undefined && t - last > 3000) for (const pts of ref.values()) pts.push({ t: last + 1000, v: null });
          const frameworks: FrameworkSample[] = [];
          for (const fw of ['sidekiq', 'rq'] as const) {
            if (rnd() < 0.15) continue; // a deployment that did not answer this round
            const fwRows = rows.filter(() => rnd() < 0.8).map((key) => ({ key, name: key, states: STATES.filter(() => rnd() < 0.7).map(([state, label, tone]) => ({ state, label, tone, count: Math.floor(rnd() * 50) })) }));
            frameworks.push({ framework: fw, prefix: '', rows: fwRows });
            for (const r of fwRows) for (const x of r.states) {
              const k = `${fw}|${r.key}|${x.state}`;
              if (!ref.has(k)) ref.set(k, []);
              ref.get(k)!.push({ t, v: x.count });
            }
          }
          // A stream named like a row, sampled in the same rounds: its series stay its own.
          h.add({ ...round(t, { key: 'retry', length: i, lastGeneratedId: `${i + 1}-0`, groups: [] }), frameworks });
          last = t;
        }
        const check = (x: MetricsHistory, where: string) => {
          for (const [k, pts] of ref) {
            const [fw, row, state] = k.split('|') as ['sidekiq' | 'rq', string, string];
            assert.deepEqual(x.frameworkPoints(fw, row, state, 60 * 60_000, t), pts, `${where}, seed ${seed}: ${k}`);
          }
          assert.deepEqual(x.frameworkStates().map((r) => `${r.framework}|${r.row}|${r.state}`).sort(), [...ref.keys()].sort(), `${where}, seed ${seed}: the states kept`);
          assert.deepEqual([...x.streams().keys()], ['retry'], `${where}, seed ${seed}: the stream alone among streams`);
          assert.deepEqual(x.points('retry', undefined, 'length', 60 * 60_000, t).filter((p) => p.v !== null).map((p) => p.v), Array.from({ length: 60 }, (_, i) => i), `${where}: the stream's lengths untouched`);
        };
        check(h, 'live');
        check(MetricsHistory.fromJSON(JSON.parse(JSON.stringify(h.toJSON()))), 'reloaded');
      }
    });

    it('a failed or dead state growing by 5 or more in a round is a burst (successive rounds make one); a waiting one is not', () => {
      const h = new MetricsHistory({ intervalMs: 1000 });
      const fw = (retry: number, dead: number, enqueued: number): FrameworkSample => ({
        framework: 'sidekiq',
        prefix: '',
        rows: [
          { key: 'retry', name: 'Retries', states: [{ state: 'retry', label: 'Retries', tone: 'failed', count: retry }] },
          { key: 'dead', name: 'Dead', states: [{ state: 'dead', label: 'Dead', tone: 'dead', count: dead }] },
          { key: 'queue:mail', name: 'mail', states: [{ state: 'enqueued', label: 'Enqueued', tone: 'waiting', count: enqueued }] },
        ],
      });
      const counts: Array<[number, number, number]> = [[0, 0, 0], [6, 1, 50], [12, 1, 100], [12, 2, 100], [12, 9, 100]];
      counts.forEach(([r, d, e], i) => h.add({ ...round(T0 + i * 1000), frameworks: [fw(r, d, e)] }));
      assert.deepEqual(
        h.events().map((e) => [e.t - T0, e.where, e.text]),
        [
          [0, 'Retries', 'failed-job burst: 12 to Retries (sidekiq) in 2 s'],
          [3000, 'Dead', 'failed-job burst: 7 to Dead (sidekiq) in 1 s'],
        ],
      );
      assert.ok(keepsGrowing(h.frameworkPoints('sidekiq', 'dead', 'dead', 60_000), 5));
    });
  });
});
