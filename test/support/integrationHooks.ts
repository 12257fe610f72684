// Mocha root hooks for the integration tier: one throwaway redis-server (no persistence, temp
// dir, free loopback port) for the whole run, always stopped, also on failure or Ctrl-C.
import { randomUUID } from 'node:crypto';
import { startSandbox, type Sandbox } from '../../src/core/dev/sandbox';

let server: Sandbox | undefined;

/** URL of the integration tier's redis-server. */
export function redisUrl(): string {
  if (!server) throw new Error('the integration redis-server is not running (run through the integration tier)');
  return server.url;
}

/** The running test server, for tests that restart or pause it. */
export function testServer(): Sandbox {
  if (!server) throw new Error('the integration redis-server is not running');
  return server;
}

/** A key prefix unique to one test, with a hash tag so that related keys share a Cluster slot. */
export function uniqueKey(label = 'k'): string {
  return `{test:${label}:${randomUUID().slice(0, 8)}}`;
}

const stopOnSignal = (sig: NodeJS.Signals) => {
  void server?.stop().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
};

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(20_000);
    server = await startSandbox();
    process.once('SIGINT', stopOnSignal);
    process.once('SIGTERM', stopOnSignal);
  },
  async afterAll() {
    await server?.stop();
    server = undefined;
  },
};
