// The dashboard's data, without VS Code: a stream's (or a group's) series from the health
// history, on one time axis (uPlot's shape), with the markers of what happened.
import type { Metric, MetricsHistory, Point } from '../../core';

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
  /** Why there is nothing to draw yet, if so. */
  note?: string;
}

/** The dashboard's data for `stream` (and `group`, or all its groups) over `range`, from `h`. */
export function dashboardData(h: MetricsHistory, stream: string, group: string | undefined, range: DashboardRange, now = Date.now()): DashboardData {
  const span = RANGES[range];
  const groups = group !== undefined ? [group] : [...(h.streams().get(stream) ?? [])].sort();
  const series: { chart: number; name: string; points: Point[] }[] = [];
  const add = (chart: number, name: string, g: string | undefined, m: Metric) => series.push({ chart, name, points: h.points(stream, g, m, span, now) });
  add(0, 'in (added)', undefined, 'in');
  for (const g of groups) add(0, `out: ${g}`, g, 'out');
  // Dead-lettered per second, when the stream's dead-letter stream is sampled (not for a dead-letter stream itself).
  if (h.points(stream, undefined, 'dead', span, now).length) add(0, 'dead-lettered', undefined, 'dead');
  for (const g of groups) add(1, g, g, 'lag');
  for (const g of groups) add(2, g, g, 'pending');
  for (const g of groups) add(3, g, g, 'oldestAge');
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => p.t)))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const charts: ChartLines[] = [
    { title: 'Messages per second', unit: '/s', lines: [] },
    { title: 'Lag (entries not yet read by the group)', unit: '', lines: [] },
    { title: 'Pending (read, not acknowledged)', unit: '', lines: [] },
    { title: 'Oldest pending entry, age (s)', unit: 's', lines: [] },
  ];
  for (const s of series) {
    const values = new Array<number | null>(times.length).fill(null);
    for (const p of s.points) values[index.get(p.t)!] = p.v === null ? null : s.chart === 3 ? p.v / 1000 : p.v;
    charts[s.chart]!.lines.push({ name: s.name, values });
  }
  const from = now - span;
  const markers = h
    .events(from)
    .filter((e) => e.where === '' || e.where === stream || e.where.startsWith(`${stream} › `))
    .filter((e) => group === undefined || e.where === '' || e.where === stream || e.where === `${stream} › ${group}`)
    .map((e) => ({ t: e.t / 1000, kind: e.kind, text: e.text }));
  return {
    title: group === undefined ? stream : `${stream} › ${group}`,
    range,
    x: times.map((t) => t / 1000),
    charts,
    markers,
    note: times.length < 2 ? 'Sampling… the first points arrive within a few seconds (every redisQueues.trends.intervalSeconds).' : undefined,
  };
}

/** The dashboard's data for list queue `name` over `range`, from `h`: its lists' lengths, dead per second, its oldest running job's age. */
export function listDashboardData(h: MetricsHistory, name: string, range: DashboardRange, now = Date.now()): DashboardData {
  const span = RANGES[range];
  const series: { chart: number; name: string; points: Point[]; seconds?: boolean }[] = [
    { chart: 0, name: 'waiting', points: h.points(name, undefined, 'waiting', span, now) },
    { chart: 0, name: 'processing', points: h.points(name, undefined, 'processing', span, now) },
    { chart: 0, name: 'dead', points: h.points(name, undefined, 'deadJobs', span, now) },
    { chart: 1, name: 'dead', points: h.points(name, undefined, 'dead', span, now) },
    { chart: 2, name: 'oldest running', points: h.points(name, undefined, 'oldestRunning', span, now), seconds: true },
  ];
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => p.t)))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const charts: ChartLines[] = [
    { title: 'Jobs (waiting, processing, dead)', unit: '', lines: [] },
    { title: 'Moved to the dead list per second', unit: '/s', lines: [] },
    { title: 'Oldest running job, age (s)', unit: 's', lines: [] },
  ];
  for (const s of series) {
    const values = new Array<number | null>(times.length).fill(null);
    for (const p of s.points) values[index.get(p.t)!] = p.v === null ? null : s.seconds ? p.v / 1000 : p.v;
    charts[s.chart]!.lines.push({ name: s.name, values });
  }
  const markers = h
    .events(now - span)
    .filter((e) => e.where === '' || e.where === name)
    .map((e) => ({ t: e.t / 1000, kind: e.kind, text: e.text }));
  return {
    title: `${name} (list queue)`,
    range,
    x: times.map((t) => t / 1000),
    charts,
    markers,
    note: times.length < 2 ? 'Sampling… the first points arrive within a few seconds (every redisQueues.trends.intervalSeconds). Lists keep no counters: jobs done per second cannot be told from them.' : undefined,
  };
}
