// The status bar's alert: a group whose lag keeps growing over the last rounds (never down, and
// higher at the end) on any connection, and consumers marked STUCK by the health check. Shown only
// while there is something to say; a notification only with redisQueues.trends.notify, once per
// group each time it starts growing.
import * as vscode from 'vscode';
import { type MetricsHistory, formatCount, keepsGrowing } from '../../core/internal';
import type { Session, SessionManager } from '../connections/session';
import { sessionHealth } from './health';
import { TREND_WINDOW_MS, onTrendRound } from './trends';

/** Rounds a lag must have grown through to be said (about 30 s at the default 5 s). */
export const GROWING_ROUNDS = 6;

export interface TrendAlert {
  connection: string;
  stream: string;
  group: string;
  lag: number;
  /** How much it grew over those rounds. */
  grew: number;
}

/** The groups of `history` whose lag kept growing over the last {@link GROWING_ROUNDS} rounds. */
export function growingLags(connection: string, history: MetricsHistory): TrendAlert[] {
  const out: TrendAlert[] = [];
  for (const [stream, groups] of history.streams()) {
    for (const group of groups) {
      const lag = history.points(stream, group, 'lag', TREND_WINDOW_MS);
      if (!keepsGrowing(lag, GROWING_ROUNDS)) continue;
      const known = lag.filter((p) => p.v !== null).slice(-GROWING_ROUNDS);
      out.push({ connection, stream, group, lag: known.at(-1)!.v!, grew: known.at(-1)!.v! - known[0]!.v! });
    }
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
    this.subscription = onTrendRound((s, h) => this.update(s, h));
  }

  /** What the item says now (for tests): its text and tooltip, or undefined when hidden. */
  get shown(): { text: string; tooltip: string } | undefined {
    return this.visible ? { text: this.item.text, tooltip: String(this.item.tooltip ?? '') } : undefined;
  }
  private visible = false;

  private update(session: Session, history: MetricsHistory): void {
    const now = growingLags(session.name, history);
    this.alerts.set(session.name, now);
    const notify = vscode.workspace.getConfiguration('redisQueues').get<boolean>('trends.notify', false);
    const keys = new Set(now.map((a) => `${a.connection}\u0000${a.stream}\u0000${a.group}`));
    for (const a of now) {
      const k = `${a.connection}\u0000${a.stream}\u0000${a.group}`;
      if (notify && !this.said.has(k)) void vscode.window.showWarningMessage(`Redis Queues: the lag of ${a.stream} › ${a.group} (${a.connection}) keeps growing: ${formatCount(a.lag)}, +${formatCount(a.grew)} over the last ${GROWING_ROUNDS} samples.`);
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
    const parts = [growing.length === 1 ? `${growing[0]!.group} lag ↑` : growing.length ? `${growing.length} lags ↑` : '', stuck ? `${stuck} stuck` : ''].filter(Boolean);
    this.item.text = `$(warning) ${parts.join(' · ')}`;
    this.item.tooltip = [
      ...growing.map((a) => `${a.stream} › ${a.group} (${a.connection}): lag ${formatCount(a.lag)}, +${formatCount(a.grew)} over the last ${GROWING_ROUNDS} samples, never down`),
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
