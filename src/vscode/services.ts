import type * as vscode from 'vscode';
import type { ConnectionStore } from './connections/connectionStore';
import type { SessionManager } from './connections/session';
import type { ExplorerProvider } from './tree/explorerProvider';
import type { RefreshManager } from './tree/refreshManager';
import type { SandboxManager } from './sandboxManager';
import type { Node } from './tree/node';
import type { Prompter } from './ui';
import type { SearchResults } from './search/searchResults';
import type { TrendAlerts } from './tree/trendAlerts';
import type { DashboardPanels } from './dashboard/dashboardPanel';
import type { TablePanels } from './tables/tablePanel';
import type { JourneyPanels } from './journey/journeyPanel';
import type { CommandFailure } from './commands/command';

/** What commands work with; built once in activate(). */
export interface Services {
  context: vscode.ExtensionContext;
  store: ConnectionStore;
  sessions: SessionManager;
  provider: ExplorerProvider;
  refresh: RefreshManager;
  sandbox: SandboxManager;
  view: vscode.TreeView<Node>;
  /** The Search Results view: its searches and their hits. */
  search: SearchResults;
  /** The open journey panels (one per message). */
  journeys: JourneyPanels;
  /** The status bar's alert: lags that keep growing, STUCK consumers. */
  alerts: TrendAlerts;
  /** The open health dashboards. */
  dashboards: DashboardPanels;
  /** The open tables panels (groups, consumers, pending entries of a stream). */
  tables: TablePanels;
  /** Questions and reports; replaced by scripted answers in tests. */
  ui: Prompter;
  /** Fires when a command fails (after its error message is shown); the command resolves to undefined. */
  readonly onDidFailCommand: vscode.Event<CommandFailure>;
}
