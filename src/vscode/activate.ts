import * as vscode from 'vscode';
import { Inspector } from '../core/internal';
import { registerCommands } from './commands';
import { onDidFailCommand } from './commands/command';
import { ConnectionStore } from './connections/connectionStore';
import { SessionManager } from './connections/session';
import { ENTRY_SCHEME, EntryDocumentProvider } from './entryDocument';
import { SandboxManager } from './sandboxManager';
import type { Services } from './services';
import { registerProducerFiles } from './producerFiles';
import { TrendAlerts } from './tree/trendAlerts';
import { DashboardPanels } from './dashboard/dashboardPanel';
import { TablePanels } from './tables/tablePanel';
import { saveAllTrends } from './tree/trends';
import { ExplorerProvider } from './tree/explorerProvider';
import { KnownKeys } from './tree/knownKeys';
import { registerDebugConsumer } from './debug/debugConsumers';
import { type AgentRegistration, registerAgent } from './agent';
import type { Node } from './tree/node';
import { RefreshManager } from './tree/refreshManager';
import { registerSearchHelp } from './search/help';
import { SearchResults } from './search/searchResults';
import { JourneyPanels } from './journey/journeyPanel';
import { registerWalkthroughPulse } from './walkthrough';
import { vscodePrompter } from './ui';

/** Public surface returned from activate(), used by the extension-host tests. */
export interface RedisQueuesApi {
  readonly version: string;
  readonly services: Services;
  /** The chat tools and MCP server definitions (src/vscode/agent). */
  readonly agent: AgentRegistration;
}

export function activateExtension(context: vscode.ExtensionContext): RedisQueuesApi {
  const store = new ConnectionStore(context.secrets);
  const sessions = new SessionManager(store);
  const provider = new ExplorerProvider(sessions, new KnownKeys(context.globalState), context.globalStorageUri.fsPath);
  const view = vscode.window.createTreeView<Node>('redisQueues.explorer', { treeDataProvider: provider, showCollapseAll: true, canSelectMany: true });
  const refresh = new RefreshManager(view as vscode.TreeView<unknown>, provider, sessions);
  const sandbox = new SandboxManager(store);
  const search = new SearchResults(sessions, () => provider.settings());
  const journeys = new JourneyPanels(context.extensionUri, sessions);
  const alerts = new TrendAlerts(sessions);
  const dashboards = new DashboardPanels(context.extensionUri, sessions, () => provider.settings(), context.globalStorageUri.fsPath);
  const tables = new TablePanels(context.extensionUri, () => provider.settings(), context.globalStorageUri.fsPath);
  const services: Services = { context, store, sessions, provider, refresh, sandbox, view, search, journeys, alerts, dashboards, tables, ui: vscodePrompter, onDidFailCommand };
  const agent = registerAgent(services);
  let explored = view.visible;
  context.subscriptions.push(view.onDidChangeVisibility((e) => (explored ||= e.visible)));
  // The health histories are written as VS Code closes (and every minute meanwhile).
  context.subscriptions.push({ dispose: () => saveAllTrends(sessions.list()) });
  context.subscriptions.push(
    store,
    sessions,
    provider,
    view,
    refresh,
    sandbox,
    search,
    journeys,
    alerts,
    dashboards,
    tables,
    registerSearchHelp(),
    vscode.workspace.registerTextDocumentContentProvider(ENTRY_SCHEME, new EntryDocumentProvider(sessions)),
    ...registerCommands(services),
    registerDebugConsumer(),
    agent,
    ...registerProducerFiles(services),
    registerWalkthroughPulse({ connected: () => sessions.list().length > 0 || sandbox.running !== undefined, explored: () => explored }),
  );
  void vscode.commands.executeCommand('setContext', 'redisQueues:activated', true);
  void store.migrateUrlPasswords();
  if (!store.list().length) void detectLocalRedis();
  return { version: String(context.extension.packageJSON.version), services, agent };
}

/** Lets the welcome view offer "Connect to 127.0.0.1:6379" when something answers there. */
async function detectLocalRedis(): Promise<void> {
  try {
    const insp = await Inspector.open({ url: 'redis://127.0.0.1:6379', connectTimeoutMs: 500 });
    insp.close();
    await vscode.commands.executeCommand('setContext', 'redisQueues:localRedisAvailable', true);
  } catch {
    await vscode.commands.executeCommand('setContext', 'redisQueues:localRedisAvailable', false);
  }
}
