// UI tier: the extension as `npm start` (and a user) runs it: the packaged .vsix installed into a
// code-server started without the smoke-test driver. Notifications then pop up as toasts, as in a
// desktop VS Code (the smoke-test driver, used for development runs, hides them in the bell).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { codeServerLib, openRedisQueues, quickPick, root, runCommand, screenshot } from './harness';
import { uiSuite } from './suite';

uiSuite('(ui) the installed extension, as npm start runs it', { name: 'installed', timeout: 300_000, redis: true, vsCodePer: 'suite' }, (ctx) => {
  const vs = ctx.vs;

  before(async () => {
    const vsix = join(root, 'dist', 'redis-queues.vsix');
    // The extension tier packages it; run on its own, this test packages it first.
    if (!existsSync(vsix)) {
      const r = spawnSync('npm', ['run', '--silent', 'package'], { cwd: root, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    }
    const lib = await codeServerLib();
    lib.installExtension(vsix, join(vs.workspace, 'extensions'));
  });

  it('shows a notification as a toast (Test Connection), not only in the bell', async () => {
    // The installed .vsix, not the source tree; the folder holds the extensions dir.
    const page = await vs.open({
      server: { extensionsDir: join(vs.workspace, 'extensions'), smokeTestDriver: false },
      development: false,
      settings: { 'redisQueues.connections': [{ name: 'sandbox', url: ctx.redis.url }] },
      viewport: { width: 1280, height: 800 },
      view: 'closed',
    });
    await openRedisQueues(page);
    await runCommand(page, 'Redis Queues: Test Connection');
    await quickPick(page, 'Test connection', 'sandbox');
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: /sandbox: .*Redis \d/ }).first();
    await toast.waitFor({ state: 'visible', timeout: 60_000 });
    await screenshot(page, 'installed-notification');
    assert.match(await toast.innerText(), /sandbox: /);
  });
});
