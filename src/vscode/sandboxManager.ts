import * as vscode from 'vscode';
import { type Sandbox, seedDemo, startSandbox } from '../core';
import type { ConnectionStore } from './connections/connectionStore';

export const SANDBOX_CONNECTION = 'Local sandbox';

/** The embedded default: a throwaway local redis-server whose connection exists only while it runs. */
export class SandboxManager implements vscode.Disposable {
  private sandbox?: Sandbox;
  private starting?: Promise<Sandbox>;

  constructor(private readonly store: ConnectionStore) {}

  get running(): Sandbox | undefined {
    return this.sandbox;
  }

  async start(options: { seed?: boolean } = {}): Promise<Sandbox> {
    if (this.sandbox) {
      if (options.seed) await seedDemo(this.sandbox.url);
      return this.sandbox;
    }
    this.starting ??= (async () => {
      try {
        const sb = await startSandbox();
        if (options.seed) await seedDemo(sb.url);
        this.sandbox = sb;
        this.store.addEphemeral({ name: SANDBOX_CONNECTION, url: sb.url, mode: 'standalone' });
        await vscode.commands.executeCommand('setContext', 'redisQueues:sandboxRunning', true);
        return sb;
      } finally {
        this.starting = undefined;
      }
    })();
    return this.starting;
  }

  async stop(): Promise<boolean> {
    const sb = this.sandbox;
    if (!sb) return false;
    this.sandbox = undefined;
    this.store.removeEphemeral(SANDBOX_CONNECTION);
    await sb.stop();
    await vscode.commands.executeCommand('setContext', 'redisQueues:sandboxRunning', false);
    return true;
  }

  dispose(): void {
    void this.stop();
  }
}
