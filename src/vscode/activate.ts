import * as vscode from 'vscode';

/** Public surface returned from activate(), used by the extension-host tests. */
export interface RedisQueuesApi {
  readonly version: string;
}

export function activateExtension(context: vscode.ExtensionContext): RedisQueuesApi {
  const view = vscode.window.createTreeView('redisQueues.explorer', {
    treeDataProvider: { getChildren: () => [], getTreeItem: (e: vscode.TreeItem) => e },
    showCollapseAll: true,
    canSelectMany: true,
  });
  context.subscriptions.push(view);
  return { version: String(context.extension.packageJSON.version) };
}
