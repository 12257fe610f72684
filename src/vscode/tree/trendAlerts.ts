// The status bar's alert: a group whose lag keeps growing over the last rounds (never down, and
// higher at the end) on any connection, and consumers marked STUCK by the health check. Shown only
// while there is something to say; a notification only with redisQueues.trends.notify, once per
// group each time it starts growing.
import * as vscode from 'vscode';
import { type MetricsHistory, formatCount, keepsGrowing } from '../../core/internal';
import { FRAMEWORK_LABELS } from '../../core/frameworks/readers';
import type { Session, SessionManager } from '../connections/session';
import { sessionHealth } from './health';
import { TREND_WINDOW_MS, onTrendRound } from './trends';

/** Rounds a lag must have grown through to be said (about 30 s at the default 5 s). */
export const GROWING_ROUNDS = 6;

export interface TrendAlert {
  connection: string;
  /** The stream, or the framework row (`Retries`, `default`). */
  stream: string;
  /** The group, or the framework state's label (`Retries`, `Failed`). */
  group: string;
  /** What grew: a group's lag, or a framework's failed or dead jobs. */
  kind: 'lag' | 'jobs';
  /** `sidekiq`, `rq`, `celery` for a framework row. */
  framework?: string;
  lag: number;
  /** How much it grew over those rounds. */
  grew: number;
}

/** Where an alert is, as said: `orders › billing`, `Sidekiq Retries`, `RQ default › Failed`. */
function place(a: TrendAlert): string {
  if (a.kind === 'lag') return `${a.stream} › ${a.group}`;
  const fw = FRAMEWORK_LABELS[a.framework as keyof typeof FRAMEWORK_LABELS] ?? a.framework;
  return a.stream === a.group ? `${fw} ${a.stream}` : `${fw} ${a.stream} › ${a.group}`;
}

/** The groups of `history` whose lag kept growing over the last {@link GROWING_ROUNDS} rounds. */
export function growingLags(connection: string, history: MetricsHistory): TrendAlert[] {
  const out: TrendAlert[] = [];
  for (const [stream, groups] of history.streams()) {
    for (const group of groups) {
      const lag = history.points(stream, group, 'lag', TREND_WINDOW_MS);
      if (!keepsGrowing(lag, GROWING_ROUNDS)) continue;
      const known = lag.filter((p) => p.v !== null).slice(-GROWING_ROUNDS);
      out.push({ connection, stream, group, kind: 'lag', lag: known.at(-1)!.v!, grew: known.at(-1)!.v! - known[0]!.v! });
    }
  }
  return out;
}

/** The framework rows of `history` whose failed or dead jobs kept growing over the last {@link GROWING_ROUNDS} rounds (Sidekiq's Retries, RQ's failed registries). */
export function growingFailures(connection: string, history: MetricsHistory): TrendAlert[] {
  const out: TrendAlert[] = [];
  for (const ref of history.frameworkStates()) {
    if (ref.tone !== 'failed' && ref.tone !== 'dead') continue;
    const points = history.frameworkPoints(ref.framework, ref.row, ref.state, TREND_WINDOW_MS);
    if (!keepsGrowing(points, GROWING_ROUNDS)) continue;
    const known = points.filter((p) => p.v !== null).slice(-GROWING_ROUNDS);
    out.push({ connection, stream: ref.name, group: ref.label, kind: 'jobs', framework: ref.framework, lag: known.at(-1)!.v!, grew: known.at(-1)!.v! - known[0]!.v! });
  }
  return out;
}

export class TrendAlerts implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('redisQueues.trends', vscode.StatusBarAlignment.Left, 90);
  private readonly alerts = new Map<string, TrendAlert[]>();
  private readonly said = new Set<string>();
  private readonly subscription: { dispose(): void };

  constructor(private readonly sessions: SessionManager) {
    this.item.name = 'Redis Queues: alerts';
    this.item.command = 'redisQueues.explorer.focus';
    const rounds = onTrendRound((s, h) => this.update(s, h));
    // A removed connection's alerts go with it (its sampler takes no more rounds to say so).
    const removed = sessions.onDidChange((s) => {
      if (s) return;
      const live = new Set(sessions.list().map((x) => x.name));
      for (const name of [...this.alerts.keys()]) if (!live.has(name)) this.alerts.delete(name);
      this.draw();
    });
    this.subscription = { dispose: () => (rounds.dispose(), removed.dispose()) };
  }

  /** What the item says now (for tests): its text and tooltip, or undefined when hidden. */
  get shown(): { text: string; tooltip: string } | undefined {
    return this.visible ? { text: this.item.text, tooltip: String(this.item.tooltip ?? '') } : undefined;
  }
  private visible = false;

  private update(session: Session, history: MetricsHistory): void {
    const now = [...growingLags(session.name, history), ...growingFailures(session.name, history)];
    this.alerts.set(session.name, now);
    const notify = vscode.workspace.getConfiguration('redisQueues').get<boolean>('trends.notify', false);
    const keys = new Set(now.map((a) => `${a.connection}\u0000${a.stream}\u0000${a.group}`));
    for (const a of now) {
      const k = `${a.connection}\u0000${a.stream}\u0000${a.group}`;
      if (notify && !this.said.has(k)) {
        void vscode.window.showWarningMessage(
          a.kind === 'lag'
            ? `Redis Queues: the lag of ${place(a)} (${a.connection}) keeps growing: ${formatCount(a.lag)}, +${formatCount(a.grew)} over the last ${GROWING_ROUNDS} samples.`
            : `Redis Queues: ${place(a)} (${a.connection}) keeps growing: ${formatCount(a.lag)} jobs, +${formatCount(a.grew)} over the last ${GROWING_ROUNDS} samples.`,
        );
      }
      this.said.add(k);
    }
    // A group that stopped growing may be said again when it starts again.
    for (const k of [...this.said]) if (k.startsWith(`${session.name}\u0000`) && !keys.has(k)) this.said.delete(k);
    this.draw();
  }

  private draw(): void {
    const growing = [...this.alerts.values()].flat();
    const stuck = this.sessions.list().reduce((n, s) => n + (sessionHealth(s).connection()?.stuck ?? 0), 0);
    if (!growing.length && !stuck) {
      this.item.hide();
      this.visible = false;
      return;
    }
    const lags = growing.filter((a) => a.kind === 'lag');
    const jobs = growing.filter((a) => a.kind === 'jobs');
    const parts = [
      lags.length === 1 ? `${lags[0]!.group} lag ↑` : lags.length ? `${lags.length} lags ↑` : '',
      jobs.length === 1 ? `${jobs[0]!.group.toLowerCase()} ↑` : jobs.length ? `${jobs.length} failed sets ↑` : '',
      stuck ? `${stuck} stuck` : '',
    ].filter(Boolean);
    this.item.text = `$(warning) ${parts.join(' · ')}`;
    this.item.tooltip = [
      ...growing.map((a) => `${place(a)} (${a.connection}): ${a.kind === 'lag' ? 'lag ' : ''}${formatCount(a.lag)}${a.kind === 'jobs' ? ' jobs' : ''}, +${formatCount(a.grew)} over the last ${GROWING_ROUNDS} samples, never down`),
      stuck ? `${stuck} consumer(s) or list job(s) STUCK (see the marked rows)` : '',
      'Click to open the Redis Queues view.',
    ]
      .filter(Boolean)
      .join('\n');
    this.item.show();
    this.visible = true;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
