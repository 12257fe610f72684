// UI tier: Restricted Mode. A real VS Code (code-server, started WITH workspace trust) opens a
// folder whose .vscode/settings.json defines a connection to a real redis-server; the user settings
// define none. While the folder is untrusted, the workspace-defined connection must not be
// connected to: the view shows it as "not connected (Restricted Mode)" (or not at all, if VS Code
// drops the restricted setting), and the redis-server sees no connection from the extension
// (CLIENT LIST and INFO stats, minus this test's own single client). Then the folder is trusted
// through the Workspace Trust editor and the connection is expected to connect.
import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { Page } from 'playwright-core';
import {
  childrenOf,
  collapseRow,
  expandRow,
  loggable,
  openRedisQueues,
  row,
  runCommand,
  screenshot,
  treeRows,
  waitRows,
  waitViewContent,
} from './harness';
import { uiSuite } from './suite';

const CONN = 'from-workspace';
const PROBE_NAME = 'rq-trust-test-probe';

uiSuite('(ui) Restricted Mode: a workspace-defined connection', { name: 'trust', timeout: 300_000, redis: true, vsCodePer: 'suite' }, (ctx) => {
  let probe: Redis | undefined;
  let page: Page;
  let baselineConnections = 0;
  let restrictedShown: 'tree' | 'welcome' | undefined;
  const vs = ctx.vs;

  /** INFO stats total_connections_received, read over the probe's one connection. */
  const connectionsReceived = async (): Promise<number> => Number(/total_connections_received:(\d+)/.exec(await probe!.info('stats'))?.[1] ?? NaN);
  /** CLIENT LIST lines of every client but the probe. */
  const otherClients = async (): Promise<string[]> =>
    String(await probe!.client('LIST'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.includes(`name=${PROBE_NAME} `));

  before(async () => {
    probe = new Redis(ctx.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1, connectionName: PROBE_NAME, enableOfflineQueue: false });
    await probe.connect();
    await probe.xadd('trust:orders', '*', 'n', '1');
    const workspace = vs.workspace;
    mkdirSync(join(workspace, '.vscode'), { recursive: true });
    writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'redisQueues.connections': [{ name: CONN, url: ctx.redis.url }] }, null, 2));
    writeFileSync(join(workspace, 'README.md'), '# a workspace that defines a Redis connection\n');
    // Everything from here on that reaches the server is someone else's connection.
    baselineConnections = await connectionsReceived();
    assert.deepEqual(await otherClients(), [], 'clients other than the probe before VS Code starts');

    page = await vs.open({
      server: { workspaceTrust: true },
      settings: {
        'security.workspace.trust.enabled': true,
        'security.workspace.trust.startupPrompt': 'never',
        'security.workspace.trust.banner': 'always',
        'security.workspace.trust.emptyWindow': false,
      },
      viewport: { width: 1280, height: 800 },
      view: 'closed',
    });
  });

  after(async () => {
    probe?.disconnect();
  });

  it('opens the folder in Restricted Mode (no trust prompt answered)', async () => {
    // If VS Code asks anyway, keep the folder restricted.
    const d = page.locator('.monaco-dialog-box').first();
    if (await d.isVisible().catch(() => false)) {
      const dontTrust = d.locator('.dialog-buttons .monaco-button', { hasText: /don.t trust/i }).first();
      await dontTrust.click();
    }
    const restricted = page.locator('.monaco-workbench .statusbar').getByText('Restricted Mode').first();
    await restricted.waitFor({ state: 'visible', timeout: 60_000 });
  });

  it('neither connects nor shows the workspace connection as connected', async () => {
    await openRedisQueues(page);
    restrictedShown = await waitViewContent(page);
    if (restrictedShown === 'tree') {
      const rows = await waitRows(page, `"${CONN}" as not connected (Restricted Mode)`, (rs) => rs.some((r) => r.label === CONN && r.description === 'not connected (Restricted Mode)'));
      assert.equal(rows.length, 1, `rows besides the workspace connection: ${loggable(rows.map((r) => r.text))}`);
      await expandRow(page, CONN);
      const after = await waitRows(page, 'the Restricted Mode child row', (rs) => rs.length >= 2);
      const conn = after.find((r) => r.label === CONN)!;
      const kids = childrenOf(after, conn.index).map((r) => r.label);
      assert.deepEqual(kids, ['Workspace not trusted: not connected automatically'], `children: ${kids.join(' | ')}`);
      // The tooltip of the connection row (its name in bold, then its URL) must not claim a connection either.
      await row(page, CONN).hover();
      const tooltip = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: ctx.redis.url }).first();
      await tooltip.waitFor({ state: 'visible', timeout: 15_000 });
      const hover = await tooltip.innerText();
      assert.ok(!/Redis \d+\.\d+/.test(hover), `the tooltip names a server version: ${hover}`);
    } else {
      assert.equal(await page.locator('#workbench\\.parts\\.sidebar .monaco-list-row').count(), 0);
    }
    // Run, and wait for, what would connect if the guard failed: a Refresh of the whole tree (what
    // the auto-refresh timer runs), then reading the connection's children once more.
    await runCommand(page, 'Redis Queues: Refresh');
    if (restrictedShown === 'tree') {
      await collapseRow(page, CONN);
      await expandRow(page, CONN);
      await waitRows(page, 'the Restricted Mode child row, read again', (rs) => rs.some((r) => r.label === 'Workspace not trusted: not connected automatically'));
    }
    // What the server saw, once two reads in a row (each a round trip) agree.
    let seen = JSON.stringify([await otherClients(), await connectionsReceived()]);
    for (const until = Date.now() + 10_000; Date.now() < until; ) {
      const now = JSON.stringify([await otherClients(), await connectionsReceived()]);
      if (now === seen) break;
      seen = now;
    }
    console.log(`      view shows (${restrictedShown}): ${loggable(await treeRows(page)) || 'welcome content'}`);
    await screenshot(page, 'trust-restricted');
    assert.deepEqual(await otherClients(), [], 'the redis-server has clients besides the test probe');
    assert.equal((await connectionsReceived()) - baselineConnections, 0, 'the redis-server received connections while the workspace was untrusted');
  });

  it('connects once the folder is trusted in the Workspace Trust editor', async () => {
    await runCommand(page, 'Manage Workspace Trust');
    const editor = page.locator('.workspace-trust-editor').first();
    await editor.waitFor({ state: 'visible', timeout: 30_000 });
    const trust = editor.locator('.monaco-button', { hasText: /^\s*Trust( Folder)?\s*$/ }).first();
    await trust.waitFor({ state: 'visible', timeout: 15_000 });
    await trust.click();
    await page.locator('.monaco-workbench .statusbar').getByText('Restricted Mode').first().waitFor({ state: 'hidden', timeout: 30_000 });
    // The trust editor opens as a modal editor over the workbench: close it.
    const modal = page.locator('.monaco-modal-editor-block').first();
    for (let i = 0; i < 3 && (await modal.isVisible().catch(() => false)); i++) {
      await page.keyboard.press('Escape');
      await page.waitForTimeout(500);
    }
    if (await modal.isVisible().catch(() => false)) await modal.locator('[aria-label^="Close"]').first().click();
    await modal.waitFor({ state: 'hidden', timeout: 15_000 });
    // The view is still open (a click on its icon now would close the side bar).
    const title = page.locator('#workbench\\.parts\\.sidebar .composite.title', { hasText: 'Redis Queues' }).first();
    if (!(await title.isVisible())) await openRedisQueues(page);
    // The connection row leaves Restricted Mode and the tree reads the server.
    const rows = await waitRows(page, `"${CONN}" connected`, (rs) => rs.some((r) => r.label === CONN && !/Restricted Mode|not connected/.test(r.description)), 30_000).catch(async (e: Error) => {
      await screenshot(page, 'trust-granted');
      throw e;
    });
    console.log(`      after trusting: ${loggable(rows.map((r) => `${r.label} ${r.description}`))}`);
    await expandRow(page, CONN);
    await waitRows(page, 'the Streams row', (rs) => rs.some((r) => r.label === 'Streams'), 30_000);
    await screenshot(page, 'trust-granted');
    const clients = await otherClients();
    assert.ok(clients.some((l) => /name=redis-queues-vscode[:\w-]*/.test(l)), `no extension client after trusting: ${clients.join('\n')}`);
    assert.ok((await connectionsReceived()) - baselineConnections > 0);
  });

  it('raised no uncaught errors in the workbench page', () => {
    assert.deepEqual(vs.pageErrors, []);
  });
});
