import * as vscode from 'vscode';
import type { Services } from '../services';

export async function startSandbox(s: Services, arg?: { seed?: boolean }): Promise<string> {
  let seed = arg?.seed;
  if (seed === undefined) {
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'With demo queues', description: 'streams, groups, pending and dead-lettered entries, a list queue', seed: true },
        { label: 'Empty', description: 'a bare redis-server', seed: false },
      ],
      { title: 'Start a throwaway local redis-server' },
    );
    if (!pick) return '';
    seed = pick.seed;
  }
  const sb = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Starting local sandbox redis-server…' }, () => s.sandbox.start({ seed }));
  void vscode.window.showInformationMessage(`Local sandbox running at ${sb.url}${seed ? ', seeded with demo queues' : ''}. It stops with VS Code or "Stop Local Sandbox".`);
  await vscode.commands.executeCommand('redisQueues.explorer.focus');
  return sb.url;
}

export async function stopSandbox(s: Services): Promise<boolean> {
  const stopped = await s.sandbox.stop();
  if (!stopped) void vscode.window.showInformationMessage('No local sandbox is running.');
  return stopped;
}
