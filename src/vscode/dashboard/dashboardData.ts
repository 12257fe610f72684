// The dashboard's data, without VS Code: a connection's, a stream's (or a group's) or a list
// queue's series from the health history, on one time axis (uPlot's shape), with the markers of
// what happened.
import { type HistoryEvent, type Metric, type MetricsHistory, type Point, eventsLogOwner } from '../../core/internal';

export type DashboardRange = '5m' | '1h' | '24h';
export const RANGES: Record<DashboardRange, number> = { '5m': 5 * 60_000, '1h': 60 * 60_000, '24h': 24 * 60 * 60_000 };

/** One chart's lines on a shared time axis (seconds). */
export interface ChartLines {
  title: string;
  unit: string;
  lines: { name: string; values: (number | null)[] }[];
}

/** What the page draws. */
export interface DashboardData {
  title: string;
  range: DashboardRange;
  /** Times, epoch seconds (uPlot's x axis). */
  x: number[];
  charts: ChartLines[];
  markers: { t: number; kind: string; text: string }[];
  /** Why there is nothing to draw yet, or what is left out, if so. */
  note?: string;
}

/** A line to draw: its chart, its name, its points (ms values drawn in seconds when `seconds`). */
interface Line {
  chart: number;
  name: string;
  points: Point[];
  seconds?: boolean;
}

const SAMPLING = 'Sampling… the first points arrive within a few seconds (every redisQueues.trends.intervalSeconds).';

/** Lines on one time axis (nulls where a line has no point), the markers `shown` keeps. */
function build(h: MetricsHistory, title: string, range: DashboardRange, now: number, charts: { title: string; unit: string }[], lines: Line[], shown: (e: HistoryEvent) => boolean, note?: string): DashboardData {
  const times = [...new Set(lines.flatMap((s) => s.points.map((p) => p.t)))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const out: ChartLines[] = charts.map((c) => ({ ...c, lines: [] }));
  for (const s of lines) {
    const values = new Array<number | null>(times.length).fill(null);
    for (const p of s.points) values[index.get(p.t)!] = p.v === null ? null : s.seconds ? p.v / 1000 : p.v;
    out[s.chart]!.lines.push({ name: s.name, values });
  }
  const markers = h
    .events(now - RANGES[range])
    .filter(shown)
    .map((e) => ({ t: e.t / 1000, kind: e.kind, text: e.text }));
  return { title, range, x: times.map((t) => t / 1000), charts: out, markers, note: times.length < 2 ? SAMPLING : note };
}

/** The dashboard's data for `stream` (and `group`, or all its groups) over `range`, from `h`. */
export function dashboardData(h: MetricsHistory, stream: string, group: string | undefined, range: DashboardRange, now = Date.now()): DashboardData {
  const span = RANGES[range];
  const groups = group !== undefined ? [group] : [...(h.streams().get(stream) ?? [])].sort();
  const lines: Line[] = [];
  const add = (chart: number, name: string, g: string | undefined, m: Metric, seconds?: boolean) => lines.push({ chart, name, points: h.points(stream, g, m, span, now), seconds });
  add(0, 'in (added)', undefined, 'in');
  for (const g of groups) add(0, `out: ${g}`, g, 'out');
  // Dead-lettered per second, when the stream's dead-letter stream is sampled (not for a dead-letter stream itself).
  if (h.points(stream, undefined, 'dead', span, now).length) add(0, 'dead-lettered', undefined, 'dead');
  for (const g of groups) add(1, g, g, 'lag');
  for (const g of groups) add(2, g, g, 'pending');
  for (const g of groups) add(3, g, g, 'oldestAge', true);
  const charts = [
    { title: 'Messages per second', unit: '/s' },
    { title: 'Lag (entries not yet read by the group)', unit: '' },
    { title: 'Pending (read, not acknowledged)', unit: '' },
    { title: 'Oldest pending entry, age (s)', unit: 's' },
  ];
  const shown = (e: HistoryEvent) =>
    (e.where === '' || e.where === stream || e.where.startsWith(`${stream} › `)) && (group === undefined || e.where === '' || e.where === stream || e.where === `${stream} › ${group}`);
  return build(h, group === undefined ? stream : `${stream} › ${group}`, range, now, charts, lines, shown);
}

/** The dashboard's data for list queue `name` over `range`, from `h`: its lists' lengths, dead per second, its oldest running job's age. */
export function listDashboardData(h: MetricsHistory, name: string, range: DashboardRange, now = Date.now()): DashboardData {
  const span = RANGES[range];
  const lines: Line[] = [
    { chart: 0, name: 'waiting', points: h.points(name, undefined, 'waiting', span, now) },
    { chart: 0, name: 'processing', points: h.points(name, undefined, 'processing', span, now) },
    { chart: 0, name: 'dead', points: h.points(name, undefined, 'deadJobs', span, now) },
    { chart: 1, name: 'dead', points: h.points(name, undefined, 'dead', span, now) },
    { chart: 2, name: 'oldest running', points: h.points(name, undefined, 'oldestRunning', span, now), seconds: true },
  ];
  const charts = [
    { title: 'Jobs (waiting, processing, dead)', unit: '' },
    { title: 'Moved to the dead list per second', unit: '/s' },
    { title: 'Oldest running job, age (s)', unit: 's' },
  ];
  const data = build(h, `${name} (list queue)`, range, now, charts, lines, (e) => e.where === '' || e.where === name);
  if (data.note === SAMPLING) data.note += ' Lists keep no counters: jobs done per second cannot be told from them.';
  return data;
}

/** At most this many lines per chart of a connection's dashboard (those with the largest latest values). */
export const CONNECTION_LINES = 8;

/**
 * The dashboard of a whole connection over `range`, from `h`: messages in per second by stream,
 * lag, pending and oldest pending age by group, waiting jobs by list queue; in each chart the
 * {@link CONNECTION_LINES} lines with the largest latest values (the note says how many are left
 * out); every marker.
 */
export function connectionDashboardData(h: MetricsHistory, connection: string, range: DashboardRange, now = Date.now()): DashboardData {
  const span = RANGES[range];
  const lists = [...h.listQueues()].sort();
  const all = [...h.streams()];
  const names = new Set([...all.map(([s]) => s), ...lists]);
  // The workers' events streams (`<queue>:events`) are logs, not queues: left out.
  const logs = all.filter(([s, gs]) => eventsLogOwner(s, gs.size, (n) => names.has(n)) !== undefined).map(([s]) => s);
  const streams = all.filter(([s]) => !logs.includes(s)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const groups = streams.flatMap(([s, gs]) => [...gs].sort().map((g) => ({ s, g })));
  const charts = [
    { title: 'Messages added per second, by stream', unit: '/s' },
    { title: 'Lag, by group (entries not yet read)', unit: '' },
    { title: 'Pending, by group (read, not acknowledged)', unit: '' },
    { title: 'Oldest pending entry, age (s), by group', unit: 's' },
    { title: 'Waiting jobs, by list queue', unit: '' },
  ];
  const left: string[] = [];
  const lines: Line[] = [];
  const top = (chart: number, candidates: Line[], what: string) => {
    // The largest latest (known) values first; a line with none goes last.
    const latest = (l: Line) => [...l.points].reverse().find((p) => p.v !== null)?.v ?? -Infinity;
    const ranked = candidates.filter((l) => l.points.length).sort((a, b) => latest(b) - latest(a) || (a.name < b.name ? -1 : 1));
    lines.push(...ranked.slice(0, CONNECTION_LINES));
    if (ranked.length > CONNECTION_LINES) left.push(`${charts[chart]!.title.split(',')[0]}: the ${CONNECTION_LINES} largest of ${ranked.length} ${what}`);
  };
  top(0, streams.map(([s]) => ({ chart: 0, name: s, points: h.points(s, undefined, 'in', span, now) })), 'streams');
  for (const [chart, m] of [[1, 'lag'], [2, 'pending'], [3, 'oldestAge']] as const) {
    top(chart, groups.map(({ s, g }) => ({ chart, name: `${s} › ${g}`, points: h.points(s, g, m, span, now), seconds: m === 'oldestAge' })), 'groups');
  }
  top(4, lists.map((q) => ({ chart: 4, name: q, points: h.points(q, undefined, 'waiting', span, now) })), 'list queues');
  const notes = [left.length ? `Shown: ${left.join('; ')} (by their latest value). Open a stream's dashboard for all of its groups.` : '', logs.length ? `Left out, the workers' events streams: ${logs.sort().join(', ')}.` : ''];
  const note = notes.filter(Boolean).join(' ') || undefined;
  return build(h, `${connection} (connection)`, range, now, charts, lines, () => true, note);
}
