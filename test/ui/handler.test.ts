// UI tier: Debug Handler on This Message as a user does it, in a real VS Code (code-server) in
// headless Chromium against a real redis-server. The workspace is a small billing worker: its
// handler (billing.js) is declared in the workspace's .vscode/settings.json. A breakpoint is set
// in it from the editor (F9), Debug Handler is run from a pending entry's context menu, VS Code
// stops at the breakpoint with the message in the Variables view (screenshot), then the outcome
// is asked (screenshot) and the entry acknowledged. Screenshots go to .test-output/screenshots/.
import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { Page } from 'playwright-core';
import {
  childrenOf,
  contextMenu,
  dialogButton,
  expandRow,
  inputBox,
  openRedisQueues,
  quickPick,
  quickPickItems,
  reveal,
  rowAt,
  screenshot,
  waitDialog,
  waitQuickInput,
  waitRows,
  waitViewContent,
} from './harness';
import { uiSuite } from './suite';

const CONN = 'local';
const STREAM = 'orders';
const GROUP = 'billing';

/** The user's handler: line 4 is where the breakpoint goes. */
const HANDLER = [
  '// The billing worker\'s handler: called with each message of "orders" (group "billing").',
  'exports.handle = async function handle(message) {',
  '  const total = Number(message.fields.total);',
  '  if (!(total > 0)) throw new Error(`bad total ${message.fields.total} for ${message.fields.orderId}`);',
  '  console.log(`billed ${message.fields.orderId}: ${total}`);',
  '};',
  '',
].join('\n');

uiSuite('(ui) debug your own handler on a real message', { name: 'handler', timeout: 240_000, redis: true, vsCodePer: 'suite' }, (ctx) => {
  let client: Redis | undefined;
  let id: string;
  const vs = ctx.vs;

  before(async () => {
    client = new Redis(ctx.redis.url, { maxRetriesPerRequest: 1 });
    await client.xgroup('CREATE', STREAM, GROUP, '0', 'MKSTREAM');
    id = String(await client.xadd(STREAM, '*', 'orderId', 'ord-1042', 'product', 'keyboard', 'total', '49.90', 'currency', 'EUR'));
    await client.xreadgroup('GROUP', GROUP, 'worker-1', 'COUNT', 1, 'STREAMS', STREAM, '>');
    const workspace = vs.workspace;
    writeFileSync(join(workspace, 'billing.js'), HANDLER);
    mkdirSync(join(workspace, '.vscode'));
    // Checked in beside the code: which handler processes which stream.
    writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'redisQueues.handlers': [{ stream: STREAM, group: GROUP, module: 'billing.js', export: 'handle' }] }, null, 2));
  });

  after(async () => {
    client?.disconnect();
  });

  /** VS Code on the billing worker's folder; the Redis Queues view not opened yet. */
  const openVsCode = (): Promise<Page> => vs.open({ settings: { 'redisQueues.connections': [{ name: CONN, url: ctx.redis.url }], 'redisQueues.refreshIntervalSeconds': 0 }, view: 'closed' });

  it('stops at a breakpoint in the handler with the message in the Variables view, then asks the outcome and acks', async () => {
    const page = await openVsCode();
    // A breakpoint in the handler, set as a user sets it: open the file, go to line 5, F9.
    await page.keyboard.press('Control+P');
    await waitQuickInput(page, /.*/).catch(() => undefined);
    await page.keyboard.type('billing.js');
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'billing.js' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await page.keyboard.press('Enter');
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.waitFor({ state: 'visible', timeout: 30_000 });
    await editor.locator('.view-lines').click();
    await page.keyboard.press('Control+G');
    await page.keyboard.type('5');
    await page.keyboard.press('Enter');
    await page.keyboard.press('F9');
    await page.locator('.codicon-debug-breakpoint').first().waitFor({ state: 'visible', timeout: 15_000 });

    // The pending entry of worker-1: Debug Handler on This Message.
    await openRedisQueues(page);
    assert.equal(await waitViewContent(page), 'tree');
    await expandRow(page, CONN);
    await expandRow(page, await reveal(page, STREAM, 'Streams'));
    await expandRow(page, await reveal(page, GROUP, 'Groups'));
    await expandRow(page, 'worker-1');
    const rows = await waitRows(page, 'the pending entry of worker-1', (rs) => {
      const w = rs.find((r) => r.label === 'worker-1');
      return !!w && childrenOf(rs, w.index).some((r) => r.id === id);
    });
    const entry = childrenOf(rows, rows.find((r) => r.label === 'worker-1')!.index).find((r) => r.id === id)!;
    await contextMenu(page, rowAt(page, entry.index), 'Debug Handler on This Message');
    const how = await waitQuickInput(page, /^Debug billing\.js › handle on /);
    assert.match(how, new RegExp(`on ${id} \\(pending at worker-1 in group "billing"\\)`));
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Claim from worker-1' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    const items = await quickPickItems(page);
    const listed = items.filter(Boolean);
    assert.equal(listed.length, 2, `items: ${listed.join(' | ')}`);
    assert.match(listed[0]!, /^Dry run\s*no claim, ack or dead-letter: the entry stays as it is; the handler's own side effects happen/);
    assert.match(listed[1]!, /^Claim from worker-1 and run as vscode-debug-.*idle \d+/);
    await quickPick(page, /^Debug billing\.js/, 'Claim from worker-1');
    // worker-1 read it moments ago: taking it over wants its name typed.
    await inputBox(page, /^worker-1 read .* may be running it right now: taking it over runs it twice at once\. Type "worker-1" to take it over anyway$/, 'worker-1');

    // Paused at the breakpoint: the debug toolbar, the Variables view with the message.
    await page.locator('.debug-toolbar').first().waitFor({ state: 'visible', timeout: 60_000 });
    const variables = page.locator('.debug-variables, [id="workbench.debug.variablesView"]').first();
    // The handler's scope ("Local: handle"), then the message in it, then its fields.
    const local = variables.locator('.monaco-list-row', { hasText: /Local: handle/ }).first();
    await local.waitFor({ state: 'visible', timeout: 60_000 });
    if ((await local.getAttribute('aria-expanded')) !== 'true') await local.click();
    await variables.locator('.monaco-list-row', { hasText: /^\s*message\b/ }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await variables.locator('.monaco-list-row', { hasText: /^\s*message\b/ }).first().click();
    await variables.locator('.monaco-list-row', { hasText: /^\s*fields\b/ }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await variables.locator('.monaco-list-row', { hasText: /^\s*fields\b/ }).first().click();
    await variables.locator('.monaco-list-row', { hasText: /orderId/ }).first().waitFor({ state: 'visible', timeout: 15_000 });
    const shown = (await variables.innerText()).replace(/\s+/g, ' ');
    assert.match(shown, /orderId: 'ord-1042'/, shown);
    assert.match(shown, new RegExp(`id: '${id}'`), shown);
    // The stop is on line 5 of billing.js (the editor's current-line decoration there).
    await page.locator('.debug-top-stack-frame-line, .codicon-debug-stackframe').first().waitFor({ state: 'visible', timeout: 15_000 });
    const shot = await screenshot(page, 'handler-paused');
    console.log(`      screenshot: ${shot}`);

    // Continue (F5): the handler returns; the outcome is asked while the entry is still held.
    await page.keyboard.press('F5');
    const title = await waitQuickInput(page, /succeeded on .* what now\?/, 60_000);
    assert.match(title, new RegExp(`billing\\.js › handle succeeded on ${id} in \\d+ ms: what now\\?`));
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Leave pending' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    assert.deepEqual((await quickPickItems(page)).filter(Boolean).map((t) => t.split(' ')[0]), ['Acknowledge', 'Leave']);
    await screenshot(page, 'handler-outcome');
    await quickPick(page, /what now\?/, 'Acknowledge (XACK)');
    const confirm = await waitDialog(page);
    assert.match(confirm.text, new RegExp(`Acknowledge ${id} in group "billing"\\?`));
    await dialogButton(page, 'Acknowledge');
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      const p = (await client!.xpending(STREAM, GROUP)) as [number, ...unknown[]];
      if (Number(p[0]) === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(Number(((await client!.xpending(STREAM, GROUP)) as [number])[0]), 0, 'acked: nothing pending');
    assert.deepEqual(vs.pageErrors, []);
  });
});
