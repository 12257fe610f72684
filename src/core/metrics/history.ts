/**
 * Queue health over time: the rounds of {@link sampleRound} kept as series per stream and per
 * group, in two bounded resolutions (by default every round for 1 hour, and one point a minute
 * for 24 hours), with the rates derived from Redis' counters:
 *
 * - a stream's `in` rate: entries added per second (`entries-added` deltas, Redis ≥ 7; before it
 *   the length's growth, "about": trimming hides additions);
 * - a group's `out` rate: entries read per second (`entries-read` deltas, Redis ≥ 7; 0 where its
 *   cursor did not move, unknown where it moved and Redis cannot count);
 * - a stream's `dead` rate: entries added to its dead-letter stream (`<stream>:dlq`) per second,
 *   from that stream's length (unknown for an interval where it shrank: a replay or a trim);
 * - gauges as read: a stream's `length`, a group's `lag`, `pending`, `oldestAge` (ms);
 * - a list queue's gauges `waiting`, `processing`, `deadJobs`, `oldestRunning` (ms) and its `dead`
 *   rate (jobs moved to its dead list per second, from that list's length). Lists keep no counters:
 *   how many jobs a second are done cannot be told from them, and is not guessed;
 * - a framework row's count per state (RQ's failed registry of `default`, Sidekiq's Retries and
 *   Dead, Celery's Reserved) as its reader counts it: gauges, kept apart from the streams' series
 *   (a row is named by its framework and key, never mistaken for a stream).
 *
 * Events mark what happened: resets and gaps (below), a consumer turning STUCK, a dead-letter
 * burst (at least {@link DEAD_LETTER_BURST} in one round; successive rounds make one burst), and
 * another server answering (its run id changed: a failover, or a restart).
 *
 * A counter that moves back (a stream deleted and recreated, a group reset with SETID or
 * recreated, a failover to a replica that was behind) is a reset: no rate is drawn for that
 * interval (never a spike, never a negative rate) and the reset is recorded as an event. A pause
 * between rounds longer than {@link GAP_FACTOR} intervals (VS Code closed, the server down) is a
 * gap: the series break there, and the first rates after it are not averaged over it.
 *
 * The store is plain data ({@link MetricsHistory.toJSON}), so the editor can persist it per
 * connection and show the past, with its gap, after a restart. Its size is bounded whatever runs.
 */
import { compareIds } from '../messages/ids';
import { defaultDeadLetterStream } from '../queue/keys';
import type { FrameworkName, StateTone } from '../frameworks/framework';
import type { GroupSample, ListQueueSample, Round, StreamSample } from './sampler';

export type StreamMetric = 'length' | 'in' | 'dead';
export type GroupMetric = 'lag' | 'pending' | 'oldestAge' | 'out';
export type ListMetric = 'waiting' | 'processing' | 'deadJobs' | 'oldestRunning' | 'dead';
export type Metric = StreamMetric | GroupMetric | ListMetric;
/** The metrics only list queues have (a name with these is a list queue's). */
const LIST_ONLY: ReadonlySet<string> = new Set(['waiting', 'processing', 'deadJobs', 'oldestRunning']);

/** A value at a time; null where it is unknown (a reset, a gap, a server that cannot tell). */
export interface Point {
  t: number;
  v: number | null;
}

/** Something that happened, to mark on a chart. */
export interface HistoryEvent {
  t: number;
  kind: 'reset' | 'gap' | 'appeared' | 'gone' | 'stuck' | 'deadLetters' | 'failover';
  /** "orders" or "orders › billing". */
  where: string;
  text: string;
}

export interface HistoryOptions {
  /** The sampling interval, ms (the fine resolution). Default 5,000. */
  intervalMs?: number;
  /** How long the fine points are kept, ms. Default 1 hour. */
  fineKeepMs?: number;
  /** The coarse resolution, ms. Default 1 minute. */
  coarseMs?: number;
  /** How long the coarse points are kept, ms. Default 24 hours. */
  coarseKeepMs?: number;
  /** At most this many events are kept (the oldest go first). Default 500. */
  maxEvents?: number;
}

/** A pause longer than this many intervals between two rounds is a gap. */
export const GAP_FACTOR = 3;

const RATE_METRICS: ReadonlySet<Metric> = new Set(['in', 'out', 'dead']);

/** Dead letters added in one round that make a burst (a marker). */
export const DEAD_LETTER_BURST = 5;

/** A fixed-size ring of points. */
class Ring {
  private buf: (Point | undefined)[];
  private start = 0;
  size = 0;
  constructor(readonly capacity: number) {
    this.buf = new Array<Point | undefined>(capacity);
  }
  push(p: Point): void {
    const at = (this.start + this.size) % this.capacity;
    this.buf[at] = p;
    if (this.size < this.capacity) this.size++;
    else this.start = (this.start + 1) % this.capacity;
  }
  last(): Point | undefined {
    return this.size ? this.buf[(this.start + this.size - 1) % this.capacity] : undefined;
  }
  points(fromT = -Infinity): Point[] {
    const out: Point[] = [];
    for (let i = 0; i < this.size; i++) {
      const p = this.buf[(this.start + i) % this.capacity]!;
      if (p.t >= fromT) out.push(p);
    }
    return out;
  }
}

/** One metric's two resolutions, and the minute being gathered for the coarse one. */
class Series {
  readonly fine: Ring;
  readonly coarse: Ring;
  private bucket: { index: number; sum: number; n: number; last: number | null; any: boolean } | undefined;
  constructor(
    readonly rate: boolean,
    fineCap: number,
    coarseCap: number,
    private readonly coarseMs: number,
  ) {
    this.fine = new Ring(fineCap);
    this.coarse = new Ring(coarseCap);
  }
  add(p: Point): void {
    this.fine.push(p);
    const index = Math.floor(p.t / this.coarseMs);
    if (this.bucket && this.bucket.index !== index) this.flush();
    this.bucket ??= { index, sum: 0, n: 0, last: null, any: false };
    this.bucket.any = true;
    if (p.v !== null) {
      this.bucket.sum += p.v;
      this.bucket.n++;
      this.bucket.last = p.v;
    }
  }
  /** The minute gathered so far goes to the coarse ring: a rate's mean, a gauge's last value. */
  flush(): void {
    const b = this.bucket;
    if (!b?.any) return;
    this.coarse.push({ t: b.index * this.coarseMs, v: b.n ? (this.rate ? b.sum / b.n : b.last) : null });
    this.bucket = undefined;
  }
}

/** The counters of the previous round, to derive rates and see resets. */
interface Previous {
  t: number;
  streams: Map<string, { s: StreamSample; groups: Map<string, GroupSample> }>;
  lists: Map<string, ListQueueSample>;
  /** Each framework row state's count, by {@link fwKey}. */
  frameworkCounts: Map<string, number>;
}

/** A framework row's state whose counts are kept: what {@link MetricsHistory.frameworkStates} lists. */
export interface FrameworkStateRef {
  framework: FrameworkName;
  /** The row's key (`rq:queue:default`, `retry`). */
  row: string;
  /** The row's name as shown (`default`, `Retries`). */
  name: string;
  /** The framework's state (`failed`, `retry`). */
  state: string;
  /** As its dashboard titles it (`Failed`, `Retries`). */
  label: string;
  tone: StateTone;
}

const fwKey = (framework: string, row: string, state: string) => `${framework}\u0000${row}\u0000${state}`;

/** The persisted form (plain JSON). */
export interface PersistedHistory {
  v: 1;
  options: Required<HistoryOptions>;
  /** The last round's time: the next round after a restart starts a gap from here. */
  lastAt?: number;
  /** The run id of the server that answered last. */
  runId?: string;
  series: { key: string; rate: boolean; fine: Point[]; coarse: Point[] }[];
  /** The framework rows' counts (absent in files written before they were kept). */
  frameworks?: { ref: FrameworkStateRef; fine: Point[]; coarse: Point[] }[];
  events: HistoryEvent[];
}

/** The series key of a stream's or a group's metric. */
function seriesKey(stream: string, group: string | undefined, metric: Metric): string {
  return group === undefined ? `${stream}\u0000\u0000${metric}` : `${stream}\u0000${group}\u0000${metric}`;
}

function where(stream: string, group?: string): string {
  return group === undefined ? stream : `${stream} › ${group}`;
}

export class MetricsHistory {
  readonly options: Required<HistoryOptions>;
  private readonly series = new Map<string, Series>();
  /** The framework rows' counts, by {@link fwKey}, with what names them. */
  private readonly fwSeries = new Map<string, { ref: FrameworkStateRef; s: Series }>();
  private readonly eventLog: HistoryEvent[] = [];
  private prev: Previous | undefined;
  /** The last round's time (also across a restart, from the persisted form). */
  private lastAt: number | undefined;
  /** The run id of the server that answered last (also across a restart). */
  private runId: string | undefined;
  /** Each stream's dead-letter burst going on (its event, grown while successive rounds add to it). */
  private readonly bursts = new Map<string, { e: HistoryEvent; n: number; from: number; last: number }>();

  constructor(o: HistoryOptions = {}) {
    this.options = {
      intervalMs: o.intervalMs ?? 5_000,
      fineKeepMs: o.fineKeepMs ?? 60 * 60_000,
      coarseMs: o.coarseMs ?? 60_000,
      coarseKeepMs: o.coarseKeepMs ?? 24 * 60 * 60_000,
      maxEvents: o.maxEvents ?? 500,
    };
  }

  /** Takes one round in: gauges as read, rates from the counters since the previous round. */
  add(round: Round): void {
    const t = round.at;
    const gap = this.lastAt !== undefined && t - this.lastAt > GAP_FACTOR * this.options.intervalMs;
    if (gap) {
      this.event({ t: this.lastAt! + this.options.intervalMs, kind: 'gap', where: '', text: `no samples for ${Math.round((t - this.lastAt!) / 1000)} s` });
      // Every series breaks at the gap.
      for (const s of this.allSeries()) s.add({ t: this.lastAt! + this.options.intervalMs, v: null });
    }
    const prev = gap ? undefined : this.prev;
    const dt = prev ? (t - prev.t) / 1000 : 0;
    if (round.runId) {
      if (this.runId && round.runId !== this.runId) {
        this.event({ t, kind: 'failover', where: '', text: `another server answers now (run id ${this.runId.slice(0, 8)}… → ${round.runId.slice(0, 8)}…): a failover or a restart` });
      }
      this.runId = round.runId;
    }
    const next: Previous = { t, streams: new Map(), lists: new Map(), frameworkCounts: new Map() };
    for (const s of round.streams) {
      const before = prev?.streams.get(s.key);
      next.streams.set(s.key, { s, groups: new Map(s.groups.map((g) => [g.name, g])) });
      if (prev && !before) this.event({ t, kind: 'appeared', where: s.key, text: `stream ${s.key} seen` });
      const streamReset = !!before && (compareIds(s.lastGeneratedId, before.s.lastGeneratedId) < 0 || (s.entriesAdded !== undefined && before.s.entriesAdded !== undefined && s.entriesAdded < before.s.entriesAdded));
      if (streamReset) this.event({ t, kind: 'reset', where: s.key, text: `stream ${s.key} was recreated (its ids or counters moved back): no rate for this interval` });
      this.put(s.key, undefined, 'length', { t, v: s.length });
      let rateIn: number | null = null;
      if (before && !streamReset && dt > 0) {
        if (s.entriesAdded !== undefined && before.s.entriesAdded !== undefined) rateIn = (s.entriesAdded - before.s.entriesAdded) / dt;
        else if (s.length >= before.s.length) rateIn = (s.length - before.s.length) / dt;
      }
      this.put(s.key, undefined, 'in', { t, v: rateIn });
      if (s.deadLetters !== undefined) {
        const added = before?.s.deadLetters !== undefined && dt > 0 ? s.deadLetters - before.s.deadLetters : undefined;
        this.put(s.key, undefined, 'dead', { t, v: added !== undefined && added >= 0 ? added / dt : null });
        if (added !== undefined && added >= DEAD_LETTER_BURST) this.burst(s.key, added, t, prev!.t);
      }
      for (const g of s.groups) {
        const was = streamReset ? undefined : before?.groups.get(g.name);
        const groupReset =
          !!was && (compareIds(g.lastDeliveredId, was.lastDeliveredId) < 0 || (g.entriesRead != null && was.entriesRead != null && g.entriesRead < was.entriesRead));
        if (groupReset) this.event({ t, kind: 'reset', where: where(s.key, g.name), text: `group ${g.name} was reset (its cursor moved back): no rate for this interval` });
        this.put(s.key, g.name, 'lag', { t, v: g.lag ?? null });
        this.put(s.key, g.name, 'pending', { t, v: g.pending });
        this.put(s.key, g.name, 'oldestAge', { t, v: g.oldestPendingAgeMs ?? 0 });
        // Read per second: from entries-read (Redis 7); a cursor that did not move read nothing
        // (also where Redis cannot count entries-read, or before 7.0).
        let out: number | null = null;
        if (was && !groupReset && dt > 0) {
          if (g.entriesRead != null && was.entriesRead != null) out = (g.entriesRead - was.entriesRead) / dt;
          else if (g.lastDeliveredId === was.lastDeliveredId) out = 0;
        }
        this.put(s.key, g.name, 'out', { t, v: out });
        // A consumer STUCK now and not in the previous round (or the first round that read it).
        const stuckBefore = before?.groups.get(g.name)?.stuck ?? [];
        for (const name of g.stuck ?? []) {
          if (!stuckBefore.includes(name)) this.event({ t, kind: 'stuck', where: where(s.key, g.name), text: `consumer ${name} of ${g.name} is STUCK (holds entries, idle past the threshold)` });
        }
      }
    }
    for (const q of round.listQueues ?? []) {
      next.lists.set(q.name, q);
      this.put(q.name, undefined, 'waiting', { t, v: q.waiting });
      this.put(q.name, undefined, 'processing', { t, v: q.processing });
      this.put(q.name, undefined, 'deadJobs', { t, v: q.dead });
      this.put(q.name, undefined, 'oldestRunning', { t, v: q.oldestRunningMs ?? (q.processing > 0 ? null : 0) });
      const was = prev?.lists.get(q.name);
      const added = was && dt > 0 ? q.dead - was.dead : undefined;
      this.put(q.name, undefined, 'dead', { t, v: added !== undefined && added >= 0 ? added / dt : null });
      if (added !== undefined && added >= DEAD_LETTER_BURST) this.burst(q.name, added, t, prev!.t, `${q.name}'s dead list`);
    }
    for (const d of round.frameworks ?? []) {
      for (const r of d.rows) {
        for (const x of r.states) {
          const key = fwKey(d.framework, r.key, x.state);
          next.frameworkCounts.set(key, x.count);
          const ref: FrameworkStateRef = { framework: d.framework, row: r.key, name: r.name, state: x.state, label: x.label, tone: x.tone };
          this.fwSeriesFor(key, ref).add({ t, v: x.count });
          // Failed or dead jobs arriving in a burst: marked as the streams' dead-letter bursts are.
          const was = prev?.frameworkCounts.get(key);
          const added = was !== undefined && dt > 0 ? x.count - was : undefined;
          if ((x.tone === 'failed' || x.tone === 'dead') && added !== undefined && added >= DEAD_LETTER_BURST) {
            const where = r.name === x.label ? r.name : `${r.name} › ${x.label}`;
            this.burst(`\u0000${key}`, added, t, prev!.t, `${where} (${d.framework})`, 'failed-job burst', where);
          }
        }
      }
    }
    for (const key of Object.keys(round.missing)) if (prev?.streams.has(key)) this.event({ t, kind: 'gone', where: key, text: `stream ${key}: ${round.missing[key]}` });
    this.prev = next;
    this.lastAt = t;
    this.prune(t);
  }

  /** A metric's points over the last `rangeMs` (fine points up to the fine keep, else coarse ones). */
  points(stream: string, group: string | undefined, metric: Metric, rangeMs: number, now = this.lastAt ?? Date.now()): Point[] {
    const s = this.series.get(seriesKey(stream, group, metric));
    if (!s) return [];
    const from = now - rangeMs;
    return rangeMs <= this.options.fineKeepMs ? s.fine.points(from) : s.coarse.points(from);
  }

  /** The newest known value of a metric (undefined: none). */
  latest(stream: string, group: string | undefined, metric: Metric): number | undefined {
    const p = this.series.get(seriesKey(stream, group, metric))?.fine.last();
    return p?.v ?? undefined;
  }

  /** Events, oldest first (optionally only since `from`). */
  events(from = -Infinity): HistoryEvent[] {
    return this.eventLog.filter((e) => e.t >= from);
  }

  /** A framework row's count in a state over the last `rangeMs` (as {@link points}). */
  frameworkPoints(framework: FrameworkName, row: string, state: string, rangeMs: number, now = this.lastAt ?? Date.now()): Point[] {
    const s = this.fwSeries.get(fwKey(framework, row, state))?.s;
    if (!s) return [];
    const from = now - rangeMs;
    return rangeMs <= this.options.fineKeepMs ? s.fine.points(from) : s.coarse.points(from);
  }

  /** The framework row states with counts kept. */
  frameworkStates(): FrameworkStateRef[] {
    return [...this.fwSeries.values()].map((x) => x.ref);
  }

  /** How many points are held in all (for the memory bound). */
  size(): number {
    let n = 0;
    for (const s of this.allSeries()) n += s.fine.size + s.coarse.size;
    return n;
  }

  /** The streams with series, and their groups. */
  streams(): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    const lists = this.listQueues();
    for (const key of this.series.keys()) {
      const [stream, group] = key.split('\u0000') as [string, string];
      if (lists.has(stream)) continue;
      const groups = out.get(stream) ?? new Set<string>();
      if (group) groups.add(group);
      out.set(stream, groups);
    }
    return out;
  }

  /** The list queues with series. */
  listQueues(): Set<string> {
    const out = new Set<string>();
    for (const key of this.series.keys()) {
      const [name, , metric] = key.split('\u0000') as [string, string, string];
      if (LIST_ONLY.has(metric)) out.add(name);
    }
    return out;
  }

  toJSON(): PersistedHistory {
    for (const s of this.allSeries()) s.flush();
    return {
      v: 1,
      options: this.options,
      lastAt: this.lastAt,
      ...(this.runId ? { runId: this.runId } : {}),
      series: [...this.series].map(([key, s]) => ({ key, rate: s.rate, fine: s.fine.points(), coarse: s.coarse.points() })),
      ...(this.fwSeries.size ? { frameworks: [...this.fwSeries.values()].map(({ ref, s }) => ({ ref, fine: s.fine.points(), coarse: s.coarse.points() })) } : {}),
      events: [...this.eventLog],
    };
  }

  /** A history from its persisted form; the next round after it starts with a gap if time passed. */
  static fromJSON(data: PersistedHistory): MetricsHistory {
    if (data?.v !== 1) throw new Error('not a persisted queue history (version 1)');
    const h = new MetricsHistory(data.options);
    for (const x of data.series) {
      const s = h.seriesFor(x.key, x.rate);
      for (const p of x.fine) s.fine.push(p);
      for (const p of x.coarse) s.coarse.push(p);
    }
    for (const x of data.frameworks ?? []) {
      const s = h.fwSeriesFor(fwKey(x.ref.framework, x.ref.row, x.ref.state), x.ref);
      for (const p of x.fine) s.fine.push(p);
      for (const p of x.coarse) s.coarse.push(p);
    }
    for (const e of data.events) h.eventLog.push(e);
    h.lastAt = data.lastAt;
    h.runId = data.runId;
    return h;
  }

  private put(stream: string, group: string | undefined, metric: Metric, p: Point): void {
    this.seriesFor(seriesKey(stream, group, metric), RATE_METRICS.has(metric)).add(p);
  }

  private seriesFor(key: string, rate: boolean): Series {
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = this.newSeries(rate)));
    return s;
  }

  private fwSeriesFor(key: string, ref: FrameworkStateRef): Series {
    let x = this.fwSeries.get(key);
    if (!x) this.fwSeries.set(key, (x = { ref, s: this.newSeries(false) }));
    else x.ref = ref; // the row's name or the state's label as last read
    return x.s;
  }

  private newSeries(rate: boolean): Series {
    const o = this.options;
    return new Series(rate, Math.ceil(o.fineKeepMs / o.intervalMs) + 1, Math.ceil(o.coarseKeepMs / o.coarseMs) + 1, o.coarseMs);
  }

  private *allSeries(): Iterable<Series> {
    yield* this.series.values();
    for (const x of this.fwSeries.values()) yield x.s;
  }

  /**
   * `n` dead letters added to `stream`'s dead-letter stream (or failed jobs to a framework's set)
   * between `from` and `t`: a new burst, or the one of the previous round grown.
   */
  private burst(stream: string, n: number, t: number, from: number, to = defaultDeadLetterStream(stream), what = 'dead-letter burst', at = stream): void {
    const b = this.bursts.get(stream);
    const going = b && b.last === from && this.eventLog.includes(b.e);
    const cur = going ? { ...b, n: b.n + n, last: t } : { e: { t: from, kind: 'deadLetters' as const, where: at, text: '' }, n, from, last: t };
    cur.e.text = `${what}: ${cur.n} to ${to} in ${Math.max(1, Math.round((t - cur.from) / 1000))} s`;
    if (!going) this.event(cur.e);
    this.bursts.set(stream, cur);
  }

  private event(e: HistoryEvent): void {
    this.eventLog.push(e);
    if (this.eventLog.length > this.options.maxEvents) this.eventLog.splice(0, this.eventLog.length - this.options.maxEvents);
  }

  /** Series with no point within the coarse keep are dropped (streams not watched for a day). */
  private prune(now: number): void {
    const horizon = now - this.options.coarseKeepMs;
    const stale = (s: Series) => {
      const last = s.fine.last() ?? s.coarse.last();
      return !last || last.t < horizon;
    };
    for (const [key, s] of this.series) if (stale(s)) this.series.delete(key);
    for (const [key, x] of this.fwSeries) if (stale(x.s)) this.fwSeries.delete(key);
  }
}

/** Which way a metric went over a window: ↑, ↓ or → (within `tolerance` of its mean, or too few points). */
export interface Trend {
  direction: 'up' | 'down' | 'flat';
  arrow: '↑' | '↓' | '→';
  /** The change over the window the fitted line says (units of the metric). */
  change: number;
  /** The time the points cover, ms. */
  overMs: number;
  points: number;
}

/**
 * The trend of `points` (nulls skipped): the least-squares line's change over their span, "flat"
 * when it is below `tolerance` of the mean (default 5 %) and below 1 unit, or with fewer than 3 points.
 */
export function trendOf(points: readonly Point[], tolerance = 0.05): Trend {
  const known = points.filter((p): p is { t: number; v: number } => p.v !== null);
  const n = known.length;
  const flat = (change = 0, overMs = 0): Trend => ({ direction: 'flat', arrow: '→', change, overMs, points: n });
  if (n < 3) return flat(0, n ? known[n - 1]!.t - known[0]!.t : 0);
  const t0 = known[0]!.t;
  let st = 0;
  let sv = 0;
  for (const p of known) {
    st += p.t - t0;
    sv += p.v;
  }
  const mt = st / n;
  const mv = sv / n;
  let num = 0;
  let den = 0;
  for (const p of known) {
    num += (p.t - t0 - mt) * (p.v - mv);
    den += (p.t - t0 - mt) ** 2;
  }
  const overMs = known[n - 1]!.t - t0;
  const change = den > 0 ? (num / den) * overMs : 0;
  if (Math.abs(change) < Math.max(1, tolerance * Math.abs(mv))) return flat(change, overMs);
  return change > 0 ? { direction: 'up', arrow: '↑', change, overMs, points: n } : { direction: 'down', arrow: '↓', change, overMs, points: n };
}

/** Whether the last `n` known values never went down and ended higher than they began (a lag that keeps growing). */
export function keepsGrowing(points: readonly Point[], n = 6): boolean {
  const known = points.filter((p) => p.v !== null).slice(-n);
  if (known.length < n) return false;
  for (let i = 1; i < known.length; i++) if (known[i]!.v! < known[i - 1]!.v!) return false;
  return known.at(-1)!.v! > known[0]!.v!;
}

const BARS = '▁▂▃▄▅▆▇█';

/** A text sparkline of the last `width` points ('·' where unknown), scaled to their own range. */
export function sparkline(points: readonly Point[], width = 12): string {
  const last = points.slice(-width);
  const known = last.filter((p) => p.v !== null).map((p) => p.v!);
  if (!known.length) return '';
  const lo = Math.min(...known);
  const hi = Math.max(...known);
  return last.map((p) => (p.v === null ? '·' : BARS[hi === lo ? 0 : Math.round(((p.v - lo) / (hi - lo)) * (BARS.length - 1))])).join('');
}
