// The health dashboard of a stream (all its groups) or of one group: charts of messages in and
// out per second, lag, pending and the oldest pending entry's age over the last 5 minutes, hour or
// day, with values on hover and markers where something happened (a reset, a gap in sampling),
// drawn with uPlot in a webview from the connection's health history (tree/trends.ts). The stream
// is sampled while the dashboard is open, shown in the tree or not. Reads only.
import * as vscode from 'vscode';
import type { Session, SessionManager } from '../connections/session';
import type { Settings } from '../settings';
import type { ListQueueLayout } from '../../core';
import { onTrendRound, pinForTrends, pinListForTrends, sessionHistory } from '../tree/trends';
import { webviewPage } from '../webviewPage';
import { type DashboardData, type DashboardRange, RANGES, dashboardData, listDashboardData } from './dashboardData';

/** Webview → extension. */
type FromView = { type: 'range'; range: DashboardRange } | { type: 'rendered'; text: string; charts: number } | { type: 'ready' };

export interface DashboardState {
  data?: DashboardData;
  /** The page's report after it drew (its text, the charts drawn). */
  shown?: { text: string; charts: number };
  posts: number;
}

export class DashboardPanels implements vscode.Disposable {
  private readonly panels = new Map<string, DashboardPanel>();
  constructor(
    readonly extensionUri: vscode.Uri,
    readonly sessions: SessionManager,
    readonly settings: () => Settings,
    readonly storageDir?: string,
  ) {}

  /** Opens (or reveals) the dashboard of a stream, or of one of its groups. */
  show(session: Session, stream: string, group?: string): DashboardPanel {
    const key = [session.name, stream, group ?? ''].join('\u0000');
    let p = this.panels.get(key);
    if (p) p.panel.reveal(undefined, false);
    else {
      p = new DashboardPanel(this, session, stream, group, key);
      this.panels.set(key, p);
    }
    return p;
  }

  /** Opens (or reveals) the dashboard of a list queue (in its layout). */
  showList(session: Session, queue: { name: string; layout?: ListQueueLayout }): DashboardPanel {
    const key = [session.name, queue.name, '\u0001list'].join('\u0000');
    let p = this.panels.get(key);
    if (p) p.panel.reveal(undefined, false);
    else {
      p = new DashboardPanel(this, session, queue.name, undefined, key, { layout: queue.layout });
      this.panels.set(key, p);
    }
    return p;
  }

  list(): DashboardPanel[] {
    return [...this.panels.values()];
  }

  /** @internal */
  forget(p: DashboardPanel): void {
    if (this.panels.get(p.key) === p) this.panels.delete(p.key);
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.dispose();
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
    readonly stream: string,
    readonly group: string | undefined,
    readonly key: string,
    /** Set for a list queue's dashboard (`stream` is then the queue's name). */
    readonly listQueue?: { layout?: ListQueueLayout },
  ) {
    const media = vscode.Uri.joinPath(owner.extensionUri, 'media');
    const lib = vscode.Uri.joinPath(owner.extensionUri, 'dist', 'webview');
    const title = `Dashboard: ${listQueue ? `${stream} (list queue)` : group === undefined ? stream : `${stream} › ${group}`}`;
    this.panel = vscode.window.createWebviewPanel('redisQueues.dashboard', title, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [media, lib] });
    this.panel.webview.html = webviewPage(this.panel.webview, media, {
      name: 'dashboard',
      title,
      body: `<header><h1 id="title"></h1><nav id="ranges">${(Object.keys(RANGES) as DashboardRange[]).map((r) => `<button data-range="${r}"${r === this.range ? ' aria-pressed="true"' : ''}>${r === '5m' ? '5 minutes' : r === '1h' ? '1 hour' : '24 hours'}</button>`).join('')}</nav></header>\n<p id="note"></p>\n<main id="charts"></main>\n<ul id="markers"></ul>`,
      libraries: [vscode.Uri.joinPath(lib, 'uPlot.min.css'), vscode.Uri.joinPath(lib, 'uPlot.iife.min.js')],
    });
    const s = owner.settings();
    this.disposables.push(
      listQueue ? pinListForTrends(session, { name: stream, layout: listQueue.layout }, { ...s.trends, storageDir: owner.storageDir }) : pinForTrends(session, stream, { ...s.trends, storageDir: owner.storageDir }),
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
    const data = this.listQueue ? listDashboardData(h, this.stream, this.range) : dashboardData(h, this.stream, this.group, this.range);
    if (this.owner.settings().trends.intervalMs <= 0) data.note = 'Sampling is off: set redisQueues.trends.intervalSeconds above 0 to draw this dashboard.';
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
