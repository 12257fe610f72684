// Health over time in the tree: per connection, the streams the tree shows are sampled every few
// seconds in the background (core sampleRound: two small calls per stream and one per group
// holding entries, at most `maxStreams` streams), into a MetricsHistory that the group rows read
// their trend from ("lag 14 ↑") and their tooltips the rates. The history is kept in the
// extension's storage per connection, so a reopened VS Code shows the past, with the gap marked.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ListQueueLayout, type Metric, MetricsHistory, type Point, sampleRound, sparkline, trendOf } from '../../core/internal';
import type { FrameworkName } from '../../core/frameworks/framework';
import type { Session } from '../connections/session';

/** Over what time a row's trend is read. */
export const TREND_WINDOW_MS = 5 * 60_000;
/** How often the history is written to storage (and when the connection goes). */
const SAVE_EVERY_MS = 60_000;

export interface TrendSettings {
  /** Between rounds; 0 turns sampling off. */
  intervalMs: number;
  maxStreams: number;
  /** A consumer holding entries and idle this long is STUCK (a marker). */
  stuckIdleMs?: number;
  /** Folder of the persisted histories (the extension's global storage). */
  storageDir?: string;
}

interface Watch {
  history: MetricsHistory;
  shown: string[];
  /** Streams sampled besides those shown (an open dashboard's), with how many asked. */
  pinned: Map<string, { n: number }>;
  /** The list queues the tree shows, in their layouts. */
  shownLists: { name: string; layout?: ListQueueLayout }[];
  /** List queues sampled besides those shown (an open dashboard's), with how many asked. */
  pinnedLists: Map<string, { layout?: ListQueueLayout; n: number }>;
  /** The framework deployments the tree read (an expanded RQ, Sidekiq or Celery folder): framework → prefix. */
  shownFrameworks: Map<FrameworkName, string>;
  timer?: NodeJS.Timeout;
  running: boolean;
  savedAt: number;
  settings: TrendSettings;
}

const watches = new WeakMap<Session, Watch>();
const roundListeners = new Set<(session: Session, history: MetricsHistory) => void>();

/** Calls `listener` after each background round of any session (the status bar's alerts); returns its removal. */
export function onTrendRound(listener: (session: Session, history: MetricsHistory) => void): { dispose(): void } {
  roundListeners.add(listener);
  return { dispose: () => void roundListeners.delete(listener) };
}

function fileOf(dir: string, session: Session): string {
  return join(dir, `history-${Buffer.from(session.name, 'utf8').toString('hex').slice(0, 200)}.json`);
}

function load(session: Session, s: TrendSettings): MetricsHistory {
  if (s.storageDir) {
    try {
      return MetricsHistory.fromJSON(JSON.parse(readFileSync(fileOf(s.storageDir, session), 'utf8')));
    } catch {
      // none yet, or unreadable: start afresh
    }
  }
  return new MetricsHistory({ intervalMs: s.intervalMs });
}

function save(session: Session, w: Watch): void {
  const dir = w.settings.storageDir;
  if (!dir) return;
  try {
    mkdirSync(dir, { recursive: true });
    const file = fileOf(dir, session);
    writeFileSync(`${file}.tmp`, JSON.stringify(w.history.toJSON()));
    renameSync(`${file}.tmp`, file);
    w.savedAt = Date.now();
  } catch {
    // storage is a convenience: a failed write loses the past, not the present
  }
}

/** The session's history (loaded from storage at first use). */
export function sessionHistory(session: Session, settings?: TrendSettings): MetricsHistory {
  return watch(session, settings ?? { intervalMs: 5000, maxStreams: 50 }).history;
}

function watch(session: Session, settings: TrendSettings): Watch {
  let w = watches.get(session);
  if (!w) watches.set(session, (w = { history: load(session, settings), shown: [], pinned: new Map(), shownLists: [], pinnedLists: new Map(), shownFrameworks: new Map(), running: false, savedAt: Date.now(), settings }));
  return w;
}

/** Adds one holder of `key` to `pins` (with `value`); the handle removes it, and the key with its last holder. */
function pin<V extends object>(pins: Map<string, V & { n: number }>, key: string, value: V): { dispose(): void } {
  pins.set(key, { ...value, n: (pins.get(key)?.n ?? 0) + 1 });
  let done = false;
  return {
    dispose: () => {
      const p = pins.get(key);
      if (done || !p) return;
      done = true;
      if (p.n <= 1) pins.delete(key);
      else p.n--;
    },
  };
}

/**
 * Samples `stream` while the returned handle is not disposed, whether the tree shows it or not
 * (an open dashboard's stream), and starts the session's sampling if it was not running.
 * (undefined: no stream of its own, the sampling started: a connection's dashboard.)
 */
export function pinForTrends(session: Session, stream: string | undefined, settings: TrendSettings): { dispose(): void } {
  const w = watch(session, settings);
  const handle = stream === undefined ? { dispose: () => undefined } : pin(w.pinned, stream, {});
  watchShownStreams(session, w.shown, settings);
  return handle;
}

/** As {@link pinForTrends}, for a list queue (in its layout). */
export function pinListForTrends(session: Session, queue: { name: string; layout?: ListQueueLayout }, settings: TrendSettings): { dispose(): void } {
  const w = watch(session, settings);
  const handle = pin<{ layout?: ListQueueLayout }>(w.pinnedLists, queue.name, { layout: queue.layout });
  watchShownStreams(session, w.shown, settings);
  return handle;
}

/** The tree drew these list queues: they are sampled too (at most `maxStreams`), as {@link watchShownStreams}. */
export function watchShownListQueues(session: Session, queues: { name: string; layout?: ListQueueLayout }[], settings: TrendSettings): void {
  const w = watch(session, settings);
  w.shownLists = queues.slice(0, settings.maxStreams);
  watchShownStreams(session, w.shown, settings);
}

/**
 * The tree read this framework deployment (its folder was expanded): its rows' counts are sampled
 * too, for their trends (a growing Retries or Dead set). One prefix per framework: the latest read.
 */
export function watchShownFramework(session: Session, deployment: { framework: FrameworkName; prefix: string }, settings: TrendSettings): void {
  const w = watch(session, settings);
  w.shownFrameworks.set(deployment.framework, deployment.prefix);
  watchShownStreams(session, w.shown, settings);
}

/**
 * The tree drew these streams: they are the ones sampled (at most `maxStreams`), every
 * `intervalMs` while the session is connected. Settings changes apply at the next call.
 */
export function watchShownStreams(session: Session, keys: string[], settings: TrendSettings): void {
  const w = watch(session, settings);
  w.shown = keys.slice(0, settings.maxStreams);
  const restart = w.settings.intervalMs !== settings.intervalMs;
  w.settings = settings;
  if (restart || settings.intervalMs <= 0) {
    clearInterval(w.timer);
    w.timer = undefined;
  }
  if (settings.intervalMs <= 0 || w.timer) return;
  w.timer = setInterval(() => void tick(session, w), settings.intervalMs);
  w.timer.unref?.();
  void tick(session, w);
}

async function tick(session: Session, w: Watch): Promise<void> {
  if (session.disposed) {
    clearInterval(w.timer);
    w.timer = undefined;
    save(session, w);
    return;
  }
  const keys = [...new Set([...w.pinned.keys(), ...w.shown])].slice(0, w.settings.maxStreams);
  const lists = new Map(w.shownLists.map((q) => [q.name, q]));
  for (const [name, q] of w.pinnedLists) if (!lists.has(name)) lists.set(name, { name, layout: q.layout });
  const listQueues = [...lists.values()].slice(0, w.settings.maxStreams);
  const frameworks = [...w.shownFrameworks].map(([framework, prefix]) => ({ framework, prefix }));
  if (w.running || session.state.kind !== 'connected' || (!keys.length && !listQueues.length && !frameworks.length)) return;
  w.running = true;
  try {
    const round = await session.run((insp) => sampleRound(insp.client, keys, { maxStreams: w.settings.maxStreams, stuckIdleMs: w.settings.stuckIdleMs, listQueues, frameworks }));
    w.history.add(round);
    for (const l of roundListeners) l(session, w.history);
    if (Date.now() - w.savedAt >= SAVE_EVERY_MS) save(session, w);
  } catch {
    // the session shows connection failures; a round is simply missed (a gap if it lasts)
  } finally {
    w.running = false;
  }
}

/** Writes every session's history now (on deactivation). */
export function saveAllTrends(sessions: Iterable<Session>): void {
  for (const s of sessions) {
    const w = watches.get(s);
    if (w) save(s, w);
  }
}

/**
 * A group's lag trend: `arrow` ↑ or ↓ for its row when the lag moved over the window ('' when it
 * held steady: a row only says what changed), and the tooltip's lines. Undefined until three
 * rounds saw the group.
 */
export function lagTrend(session: Session, stream: string, group: string): { arrow: string; tooltip: string } | undefined {
  const w = watches.get(session);
  if (!w) return undefined;
  const h = w.history;
  const g = gaugeTrend('lag', h.points(stream, group, 'lag', TREND_WINDOW_MS));
  if (!g) return undefined;
  const rate = (m: Metric, gr?: string) => {
    const v = h.latest(stream, gr, m);
    return v === undefined ? '?' : `${v >= 100 ? Math.round(v) : v.toFixed(1)}/s`;
  };
  const tooltip = [g.line, `in ${rate('in')} to the stream, out ${rate('out', group)} read by the group (last ${Math.round(w.settings.intervalMs / 1000)} s; Redis 7 counters)`].join('\n');
  return { arrow: g.arrow, tooltip };
}

/** A gauge's trend over the window: the row's arrow ('' when steady) and the tooltip's first line. Undefined under three points. */
function gaugeTrend(what: string, points: Point[]): { arrow: string; line: string } | undefined {
  const t = trendOf(points);
  if (t.points < 3) return undefined;
  const minutes = Math.max(1, Math.round(t.overMs / 60_000));
  const known = points.filter((p): p is Point & { v: number } => p.v !== null);
  const line = `${what} over the last ${minutes === 1 ? 'minute' : `${minutes} min`}: ${t.arrow} ${t.direction === 'flat' ? 'steady' : `${t.change > 0 ? '+' : ''}${Math.round(t.change)}`} (from ${known[0]!.v} to ${known.at(-1)!.v}) ${sparkline(points, 20)}`;
  return { arrow: t.direction === 'flat' ? '' : t.arrow, line };
}

/**
 * A list queue's waiting trend: `arrow` ↑ or ↓ for its row when the waiting count moved over the
 * window ('' when it held steady), and the tooltip's lines. Undefined until three rounds saw it.
 */
export function waitingTrend(session: Session, queue: string): { arrow: string; tooltip: string } | undefined {
  const w = watches.get(session);
  if (!w) return undefined;
  const h = w.history;
  const g = gaugeTrend('waiting', h.points(queue, undefined, 'waiting', TREND_WINDOW_MS));
  if (!g) return undefined;
  const dead = h.latest(queue, undefined, 'dead');
  const tooltip = [g.line, dead === undefined ? '' : `dead ${dead >= 100 ? Math.round(dead) : dead.toFixed(1)}/s (last ${Math.round(w.settings.intervalMs / 1000)} s)`].filter(Boolean).join('\n');
  return { arrow: g.arrow, tooltip };
}

/**
 * A framework row's count in a state, over the window (Sidekiq's Retries growing, RQ's failed
 * registry of a queue): `arrow` for the figure ('' when steady), the tooltip's line. Undefined
 * until three rounds read the row (its folder was expanded).
 */
export function frameworkTrend(session: Session, framework: FrameworkName, row: string, state: { state: string; label: string }): { arrow: string; tooltip: string } | undefined {
  const h = watches.get(session)?.history;
  const g = h && gaugeTrend(state.label, h.frameworkPoints(framework, row, state.state, TREND_WINDOW_MS));
  return g && { arrow: g.arrow, tooltip: g.line };
}
