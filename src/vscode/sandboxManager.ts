import * as vscode from 'vscode';
import { type DemoTraffic, type Sandbox, seedDemo, startDemoTraffic, startSandbox } from '../core/internal';
import type { ConnectionStore } from './connections/connectionStore';

export const SANDBOX_CONNECTION = 'Local sandbox';

/** The embedded default: a throwaway local redis-server whose connection exists only while it runs. */
export class SandboxManager implements vscode.Disposable {
  private sandbox?: Sandbox;
  private traffic?: DemoTraffic;
  private starting?: Promise<Sandbox>;

  constructor(private readonly store: ConnectionStore) {}

  get running(): Sandbox | undefined {
    return this.sandbox;
  }

  async start(options: { seed?: boolean } = {}): Promise<Sandbox> {
    if (this.sandbox) {
      if (options.seed) await this.seed(this.sandbox.url);
      return this.sandbox;
    }
    this.starting ??= (async () => {
      try {
        const sb = await startSandbox();
        if (options.seed) await this.seed(sb.url);
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

  /** Demo queues plus live demo traffic (producer and workers of the embedded client). */
  private async seed(url: string): Promise<void> {
    await seedDemo(url);
    this.traffic ??= await startDemoTraffic(url);
  }

  async stop(): Promise<boolean> {
    const sb = this.sandbox;
    if (!sb) return false;
    this.sandbox = undefined;
    const traffic = this.traffic;
    this.traffic = undefined;
    await Promise.race([traffic?.stop(), new Promise((r) => setTimeout(r, 3000))]);
    this.store.removeEphemeral(SANDBOX_CONNECTION);
    await sb.stop();
    await vscode.commands.executeCommand('setContext', 'redisQueues:sandboxRunning', false);
    return true;
  }

  dispose(): void {
    void this.stop();
  }
}
