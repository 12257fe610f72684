import * as vscode from 'vscode';
import type { SessionManager } from '../connections/session';
import { readSettings } from '../settings';
import type { ExplorerProvider } from './explorerProvider';
import type { Node } from './node';

/**
 * Auto-refresh: only while the view is visible, at the configured interval, debounced. A refresh
 * reads the expanded rows again and redraws only those that changed (explorerProvider.ts); the
 * Streams rows it reads start a round of the background health check (healthCheck.ts). Sessions in an
 * error state are retried only after their back-off, so a stopped server causes no storm.
 */
export class RefreshManager implements vscode.Disposable {
  private timer?: NodeJS.Timeout;
  private pending?: NodeJS.Timeout;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly view: vscode.TreeView<unknown>,
    private readonly provider: ExplorerProvider,
    private readonly sessions: SessionManager,
  ) {
    this.disposables.push(
      view.onDidChangeVisibility(() => this.reschedule()),
      // A collapsed row is read again when expanded; while collapsed, refreshes read nothing under it.
      view.onDidCollapseElement((e) => provider.collapsed(e.element as Node)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('redisQueues.refreshIntervalSeconds')) this.reschedule();
      }),
    );
    this.reschedule();
  }

  /** Coalesces refresh requests arriving within `delayMs`. */
  request(delayMs = 150): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.provider.refresh();
    }, delayMs);
  }

  private tick(): void {
    let any = false;
    for (const s of this.sessions.list()) {
      if (!s.wantsRefresh()) continue;
      if (s.state.kind === 'error') s.retry();
      else any = true;
    }
    if (any) this.request(0);
  }

  private reschedule(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const ms = readSettings().refreshIntervalMs;
    if (this.view.visible && ms > 0) this.timer = setInterval(() => this.tick(), Math.max(1000, ms));
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.pending) clearTimeout(this.pending);
    for (const d of this.disposables) d.dispose();
  }
}
