// The health dashboard of a connection, a stream (all its groups), one group or a list queue:
// charts of messages in and out per second, lag, pending and the oldest pending entry's age (a
// list queue: its lists' lengths) over the last 5 minutes, hour or day, with values on hover and
// markers where something happened (a consumer turned STUCK, a dead-letter burst, a failover, a
// reset, a gap in sampling), drawn with uPlot in a webview from the connection's health history
// (tree/trends.ts). A stream's or list queue's dashboard keeps it sampled while it is open, shown
// in the tree or not; a connection's shows what is sampled. Reads only.
import * as vscode from 'vscode';
import type { Session, SessionManager } from '../connections/session';
import type { Settings } from '../settings';
import type { ListQueueLayout } from '../../core/internal';
import { onTrendRound, pinForTrends, pinListForTrends, sessionHistory } from '../tree/trends';
import { PanelRegistry, webviewPage } from '../webviewPage';
import { type DashboardData, type DashboardRange, RANGES, connectionDashboardData, dashboardData, listDashboardData } from './dashboardData';

/** Webview → extension. */
type FromView = { type: 'range'; range: DashboardRange } | { type: 'rendered'; text: string; charts: number } | { type: 'ready' };

/** What a dashboard shows. */
export type DashboardTarget =
  | { kind: 'stream'; stream: string; group?: string }
  | { kind: 'list'; name: string; layout?: ListQueueLayout }
  | { kind: 'connection' };

function titleOf(session: Session, t: DashboardTarget): string {
  if (t.kind === 'connection') return `Dashboard: ${session.name} (connection)`;
  if (t.kind === 'list') return `Dashboard: ${t.name} (list queue)`;
  return `Dashboard: ${t.group === undefined ? t.stream : `${t.stream} › ${t.group}`}`;
}

export interface DashboardState {
  data?: DashboardData;
  /** The page's report after it drew (its text, the charts drawn). */
  shown?: { text: string; charts: number };
  posts: number;
}

export class DashboardPanels extends PanelRegistry<DashboardPanel> {
  constructor(
    readonly extensionUri: vscode.Uri,
    readonly sessions: SessionManager,
    readonly settings: () => Settings,
    readonly storageDir?: string,
  ) {
    super();
  }

  /** Opens (or reveals) the dashboard of a stream, or of one of its groups. */
  show(session: Session, stream: string, group?: string): DashboardPanel {
    return this.openTarget(session, { kind: 'stream', stream, group });
  }

  /** Opens (or reveals) the dashboard of a list queue (in its layout). */
  showList(session: Session, queue: { name: string; layout?: ListQueueLayout }): DashboardPanel {
    return this.openTarget(session, { kind: 'list', name: queue.name, layout: queue.layout });
  }

  /** Opens (or reveals) the dashboard of a whole connection (what its sampler watches). */
  showConnection(session: Session): DashboardPanel {
    return this.openTarget(session, { kind: 'connection' });
  }

  private openTarget(session: Session, target: DashboardTarget): DashboardPanel {
    const key = [session.name, target.kind, target.kind === 'stream' ? `${target.stream}\u0000${target.group ?? ''}` : target.kind === 'list' ? target.name : ''].join('\u0000');
    return this.open(key, () => new DashboardPanel(this, session, target, key)).panel;
  }
}

export class DashboardPanel implements vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  readonly state: DashboardState = { posts: 0 };
  private range: DashboardRange = '5m';
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  constructor(
    private readonly owner: DashboardPanels,
    readonly session: Session,
    readonly target: DashboardTarget,
    readonly key: string,
  ) {
    const media = vscode.Uri.joinPath(owner.extensionUri, 'media');
    const lib = vscode.Uri.joinPath(owner.extensionUri, 'dist', 'webview');
    const title = titleOf(session, target);
    this.panel = vscode.window.createWebviewPanel('redisQueues.dashboard', title, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [media, lib] });
    this.panel.webview.html = webviewPage(this.panel.webview, media, {
      name: 'dashboard',
      title,
      body: `<header><h1 id="title"></h1><nav id="ranges">${(Object.keys(RANGES) as DashboardRange[]).map((r) => `<button data-range="${r}"${r === this.range ? ' aria-pressed="true"' : ''}>${r === '5m' ? '5 minutes' : r === '1h' ? '1 hour' : '24 hours'}</button>`).join('')}</nav></header>\n<p id="note"></p>\n<main id="charts"></main>\n<ul id="markers"></ul>`,
      libraries: [vscode.Uri.joinPath(lib, 'uPlot.min.css'), vscode.Uri.joinPath(lib, 'uPlot.iife.min.js')],
    });
    const s = { ...owner.settings().trends, storageDir: owner.storageDir };
    this.disposables.push(
      target.kind === 'stream' ? pinForTrends(session, target.stream, s) : target.kind === 'list' ? pinListForTrends(session, { name: target.name, layout: target.layout }, s) : pinForTrends(session, undefined, s),
      onTrendRound((x) => {
        if (x === session) this.post();
      }),
      this.panel.onDidDispose(() => this.dispose()),
      this.panel.webview.onDidReceiveMessage((m: unknown) => this.handle(m)),
    );
  }

  /** Handles a message of the page (tests send the same ones). */
  handle(message: unknown): void {
    const m = message as FromView | null;
    if (!m || typeof m !== 'object') return;
    if (m.type === 'ready') this.post();
    else if (m.type === 'range' && m.range in RANGES) {
      this.range = m.range;
      this.post();
    } else if (m.type === 'rendered' && typeof m.text === 'string') this.state.shown = { text: m.text, charts: Number(m.charts) || 0 };
  }

  /** Sends the current data to the page. */
  post(): void {
    if (this.disposed) return;
    const h = sessionHistory(this.session);
    const t = this.target;
    const data = t.kind === 'list' ? listDashboardData(h, t.name, this.range) : t.kind === 'connection' ? connectionDashboardData(h, this.session.name, this.range) : dashboardData(h, t.stream, t.group, this.range);
    if (this.owner.settings().trends.intervalMs <= 0) data.note = 'Sampling is off: set redisQueues.trends.intervalSeconds above 0 to draw this dashboard.';
    else if (t.kind === 'connection' && !data.x.length) data.note = 'Nothing sampled yet: the streams and list queues the tree shows are sampled (expand Streams or List queues), and those whose dashboard is open.';
    this.state.data = data;
    this.state.posts++;
    void this.panel.webview.postMessage({ type: 'data', data });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.owner.forget(this);
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}
