// UI tier: the extension as `npm start` (and a user) runs it: the packaged .vsix installed into a
// code-server started without the smoke-test driver. Notifications then pop up as toasts, as in a
// desktop VS Code (the smoke-test driver, used for development runs, hides them in the bell).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../src/core/sandbox';
import { codeServerLib, openRedisQueues, quickPick, root, runCommand, screenshot, type ChromiumSession, type CodeServer } from './harness';

describe('(ui) the installed extension, as npm start runs it', function () {
  this.timeout(300_000);
  let redis: Sandbox | undefined;
  let server: CodeServer | undefined;
  let chromium: ChromiumSession | undefined;
  let work: string;

  before(async () => {
    redis = await startSandbox();
    work = mkdtempSync(join(tmpdir(), 'rq-ui-installed-'));
    const vsix = join(root, 'dist', 'redis-queues.vsix');
    // The extension tier packages it; run on its own, this test packages it first.
    if (!existsSync(vsix)) {
      const r = spawnSync('npm', ['run', '--silent', 'package'], { cwd: root, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    }
    const lib = await codeServerLib();
    lib.installExtension(vsix, join(work, 'extensions'));
  });
  after(async () => {
    await chromium?.close();
    await server?.stop();
    await redis?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('shows a notification as a toast (Test Connection), not only in the bell', async () => {
    const lib = await codeServerLib();
    server = await lib.startCodeServer({
      extensionsDir: join(work, 'extensions'),
      smokeTestDriver: false,
      settings: { 'redisQueues.connections': [{ name: 'sandbox', url: redis!.url }] },
      timeoutMs: 120_000,
    });
    chromium = await lib.launchChromium();
    const { page } = chromium;
    await page.goto(`${server.url}/?folder=${encodeURIComponent(work)}`, { timeout: 120_000 });
    await lib.waitWorkbench(page, 120_000);
    await openRedisQueues(page);
    await runCommand(page, 'Redis Queues: Test Connection');
    await quickPick(page, 'Test connection', 'sandbox');
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: /sandbox: .*Redis \d/ }).first();
    await toast.waitFor({ state: 'visible', timeout: 60_000 });
    await screenshot(page, 'installed-notification');
    assert.match(await toast.innerText(), /sandbox: /);
  });
});
