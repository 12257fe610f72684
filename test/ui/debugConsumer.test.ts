// UI tier: the debug consumer on the demo data (seedDemo on a sandbox redis-server), in code-server
// + headless Chromium at the default size (1280×800, side bar as VS Code opens it). Started from the
// tree's context menu on group "billing", it shows one read-only document; clicking into it keeps
// the session, the editor title's "Ack & Next" acks and shows the next message (checked in Redis),
// a message a worker takes meanwhile is counted as taken, never acked, and Stop ends it visibly.
// Screenshots: debug-consumer.png, debug-consumer-taken.png, debug-consumer-ended.png.
import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import type { Page } from 'playwright-core';
import { seedDemo } from '../../src/core/dev/demo';
import {
  closeNotifications,
  contextMenu,
  expandRow,
  inputBox,
  notifications,
  reveal,
  row,
  screenshot,
  waitNotification,
} from './harness';
import { uiSuite } from './suite';

const CONN = 'demo';
const CONSUMER = 'ui-debugger';

uiSuite('(ui) debug consumer session on the demo data', { name: 'debug', timeout: 240_000, redis: true, vsCodePer: 'suite' }, (ctx) => {
  let client: Redis;
  const vs = ctx.vs;

  before(async () => {
    client = new Redis(ctx.redis.url, { maxRetriesPerRequest: 1 });
    await seedDemo(ctx.redis.url);
  });

  after(async () => {
    client?.disconnect();
  });

  /** The ids pending for the debug consumer, oldest first. */
  async function mine(): Promise<string[]> {
    return ((await client.call('XPENDING', 'orders', 'billing', '-', '+', 100, CONSUMER)) as [string][]).map(([id]) => id);
  }

  async function waitRedis(what: string, ok: (ids: string[]) => boolean, timeoutMs = 30_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let ids = await mine();
    while (!ok(ids) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      ids = await mine();
    }
    assert.ok(ok(ids), `${what}: pending for ${CONSUMER}: ${JSON.stringify(ids)}`);
    return ids;
  }

  /** The debug document's editor (the one showing the "// Debug consumer" header). */
  const editor = (page: Page) => page.locator('.editor-instance', { has: page.locator('.view-line', { hasText: '// Debug consumer' }) }).first();
  const editorText = async (page: Page) => (await page.locator('.editor-group-container.active .view-lines').first().innerText()).replace(/\u00a0/g, ' ');
  async function waitEditorText(page: Page, re: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let text = '';
    while (Date.now() < deadline) {
      text = await editorText(page).catch(() => '');
      if (re.test(text)) return text;
      await page.waitForTimeout(200);
    }
    throw new Error(`the debug document never showed ${re}: ${text}`);
  }
  const statusItem = (page: Page) => page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: `${CONSUMER} · billing` });
  const titleAction = (page: Page, title: string) => page.locator(`.editor-group-container.active .editor-actions .action-label[aria-label^="${title}"]`).first();

  it('starts from the tree, survives a click into the document, acks & nexts from the editor title, stops visibly', async () => {
    const page = await vs.open({ settings: { 'redisQueues.connections': [{ name: CONN, url: ctx.redis.url }], 'redisQueues.refreshIntervalSeconds': 0 }, viewport: { width: 1280, height: 800 } });

    await expandRow(page, CONN);
    await expandRow(page, await reveal(page, 'orders', 'Streams'));
    await reveal(page, 'billing', 'Groups');
    await contextMenu(page, row(page, 'billing'), 'Step Through Queue as Debug Consumer…');
    await inputBox(page, 'Join "billing" as consumer', CONSUMER);

    // One message delivered to the new consumer, shown in the session's document.
    const [first] = await waitRedis('the first message delivered', (ids) => ids.length === 1);
    await editor(page).waitFor({ state: 'visible', timeout: 30_000 });
    await waitEditorText(page, new RegExp(`// Message ${first} · delivered 1×`));
    const tab = page.locator('.tabs-container .tab.active');
    assert.equal((await tab.innerText()).replace(/\s+/g, ' ').trim(), `Debug ${CONSUMER} · orders › billing`);
    assert.match(await page.locator('#workbench\\.parts\\.statusbar').innerText(), /JSON with Comments/);
    assert.equal(await page.locator('.tabs-container .tab', { hasText: /Untitled/ }).count(), 0, 'no Untitled document');
    await statusItem(page).waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await statusItem(page).innerText(), new RegExp(`${CONSUMER} · billing: ${first}`));

    // Click into the document to read it (and select a line): the session goes on, the actions stay.
    await editor(page).locator('.view-line', { hasText: '"fields"' }).first().click();
    await page.keyboard.press('End');
    await titleAction(page, 'Ack & Next').waitFor({ state: 'visible', timeout: 15_000 });
    assert.ok(await titleAction(page, 'Leave Pending & Next').isVisible());
    assert.ok(await titleAction(page, 'Dead-letter…').isVisible());
    assert.ok(await titleAction(page, 'Stop Debug Consumer').isVisible());
    assert.ok(await statusItem(page).isVisible(), 'the status bar item is still there after the click');
    assert.deepEqual(await mine(), [first], 'nothing acked or read by the click');

    // Ack & Next from the editor title.
    await titleAction(page, 'Ack & Next').click();
    const [second] = await waitRedis('the first acked and the next delivered', (ids) => ids.length === 1 && ids[0] !== first);
    const text = await waitEditorText(page, new RegExp(`// Message ${second} · delivered 1×`));
    assert.match(text, /So far: 1 message \(1 acked, 0 left pending, 0 dead-lettered\)/);
    assert.match(text, new RegExp(`"consumer": "${CONSUMER}"`));
    assert.ok(!(await client.call('XPENDING', 'orders', 'billing', first, first, 1) as unknown[]).length, `${first} is no longer pending`);
    await statusItem(page).waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await statusItem(page).innerText(), new RegExp(`${CONSUMER} · billing: ${second}`));
    await titleAction(page, 'Ack & Next').waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(await page.locator('.tabs-container .tab', { hasText: CONSUMER }).count(), 1, 'still one document');
    const notes = await notifications(page);
    await closeNotifications(page);
    assert.ok(!notes.some((n) => /Session ended|stopped after/.test(n)), `the session ended: ${notes.join(' | ')}`);
    assert.match(text, /\/\/ Created \d{4}-\d\d-\d\d \d\d:\d\d:\d\d local \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)/, 'a time, not an age that goes stale');
    assert.match(text, /Kept yours while shown: idle reset every 4 s/);
    await screenshot(page, 'debug-consumer');

    // A worker of billing takes the shown message (as a reclaim round would): the document says so
    // within a lease tick, and Ack & Next counts it as taken, acking nothing under worker-1.
    await client.xclaim('orders', 'billing', 'worker-1', 0, second!);
    await waitEditorText(page, /Taken by worker-1 meanwhile: Ack & Next and Dead-letter will not touch it\./);
    await titleAction(page, 'Ack & Next').click();
    const [third] = await waitRedis('the next delivered', (ids) => ids.length === 1 && ids[0] !== second);
    await waitEditorText(page, /So far: 2 messages \(1 acked, 0 left pending, 0 dead-lettered, 1 taken by others\)/);
    await waitNotification(page, new RegExp(`${second}: taken by worker-1 in "billing" before you acted: not acked\.`));
    assert.deepEqual(((await client.call('XPENDING', 'orders', 'billing', second, second, 1)) as [string, string][]).map(([id, c]) => [id, c]), [[second, 'worker-1']], 'not acked under worker-1');
    await screenshot(page, 'debug-consumer-taken');
    await closeNotifications(page);

    // Stop: the document and a message say how it went; the actions and the status bar item go.
    await titleAction(page, 'Stop Debug Consumer').click();
    const summary = /Session ended: 3 messages \(1 acked, 1 left pending, 0 dead-lettered, 1 taken by others\)/;
    // (The editor's lines come in DOM order, not always top to bottom: each line is looked for.)
    const ended = await waitEditorText(page, /^(?=[\s\S]*(^|\n)\/\/ Session ended: 3 messages\n)(?=[\s\S]*\n\/\/ \(1 acked, 1 left pending, 0 dead-lettered, 1 taken by others\)\n)/);
    assert.match(ended, new RegExp(`${second}  taken by worker-1 before you acted \\(not acked by you\\)`));
    assert.match(ended, /A new session as "ui-debugger" shows them first,/);
    await statusItem(page).waitFor({ state: 'hidden', timeout: 15_000 });
    await titleAction(page, 'Ack & Next').waitFor({ state: 'hidden', timeout: 15_000 });
    await waitNotification(page, summary);
    await closeNotifications(page);
    assert.deepEqual(await mine(), [third], 'the shown message stays pending');
    await screenshot(page, 'debug-consumer-ended');
  });

  it('raised no uncaught errors in the workbench page', () => {
    assert.deepEqual(vs.pageErrors, []);
  });
});
