// UI tier: the tail view's rows and header in a real VS Code (code-server) in Chromium. A tail of
// the demo's `orders` from now, fed from here: the filter says "N of M rows", the controls and the
// column header stay in view while the rows scroll, times are local with UTC on hover (Chromium
// runs in America/New_York so local and UTC differ), a row's context menu copies it as JSON (read
// by id, lossless) or its id, a click on an id opens the entry, and removing the connection stops
// the tail and closes its connection. Screenshots: tail-filtered, tail-actions, tail-open-entry,
// tail-stopped (.test-output/screenshots/).
import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import type { Frame, Page } from 'playwright-core';
import { seedDemo } from '../../src/core/dev/demo';
import { fromJsonPairs, sameRaw } from '../../src/core/messages/message';
import {
  closeNotifications,
  contextMenu,
  dialogButton,
  expandRow,
  quickPick,
  reveal,
  row,
  screenshot,
  waitDialog,
  webviewFrame,
  widenSidebar,
} from './harness';
import { uiSuite } from './suite';

const CONN = 'demo';
/** The browser's time zone: local time is not UTC there (UTC-5 / UTC-4). */
const ZONE = 'America/New_York';

/** What the page-side callbacks use of the DOM (the tests compile without the DOM lib). */
interface El {
  getBoundingClientRect(): { top: number; bottom: number; left: number; right: number; height: number };
  querySelector(s: string): El | null;
  contains(o: unknown): boolean;
  textContent: string | null;
  id: string;
}
declare const document: { querySelector(s: string): El | null; elementFromPoint(x: number, y: number): El | null; documentElement: { scrollHeight: number; clientHeight: number } };
declare const window: { scrollY: number; innerHeight: number; scrollTo(x: number, y: number): void; scrollBy(x: number, y: number): void };

uiSuite('(ui) tail view: filter count, sticky header, local times, row actions, a removed connection', { name: 'tail', timeout: 240_000, redis: true, vsCodePer: 'suite' }, (ctx) => {
  let client: Redis;
  const vs = ctx.vs;
  const tz = process.env.TZ;

  before(async () => {
    client = new Redis(ctx.redis.url, { maxRetriesPerRequest: 1 });
    await seedDemo(ctx.redis.url);
    // Chromium takes its time zone from TZ (playwright hands it this process's environment).
    process.env.TZ = ZONE;
  });

  after(async () => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
    client?.disconnect();
  });

  /** VS Code with the demo connection and a tail of `orders` from now (0 rows), opened from the tree. */
  async function tailOrders(): Promise<{ page: Page; tail: Frame }> {
    const page = await vs.open({
      settings: { 'redisQueues.connections': [{ name: CONN, url: ctx.redis.url }], 'redisQueues.refreshIntervalSeconds': 0 },
      prepare: ({ context }, origin) => context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin }),
    });
    await widenSidebar(page, 360);
    await expandRow(page, CONN);
    await reveal(page, 'orders', 'Streams');
    await contextMenu(page, row(page, 'orders'), 'Tail Stream (XREAD)…');
    await quickPick(page, 'Tail "orders"', 'From now');
    const tail = await webviewFrame(page, '#rows', 30_000);
    // The page's script has run (it writes the title): only then is the count its own.
    await waitText(tail, '#title', /· from now$/);
    await waitText(tail, '#count', /^0 rows$/);
    return { page, tail };
  }

  /** The blocking connections of the extension's tails (CLIENT LIST). */
  async function blockingClients(): Promise<string[]> {
    return String(await client.call('CLIENT', 'LIST'))
      .split('\n')
      .filter((l) => / name=redis-queues\S*:blocking /.test(l))
      .map((l) => /\bid=(\d+)/.exec(l)![1]!);
  }

  it('filters ("9 of 200 rows"), keeps the header in view while scrolling, shows local times with UTC on hover, copies and opens rows, and stops when its connection is removed', async () => {
    const { page, tail } = await tailOrders();
    const tailClients = await blockingClients();
    assert.equal(tailClients.length, 1, `blocking connections: ${tailClients.join(', ')}`);

    // 200 orders: 9 from APAC (every 20th from the first), the rest EU or US, paid or pending.
    const p = client.pipeline();
    for (let i = 0; i < 200; i++) {
      const region = i % 20 === 0 && i < 180 ? 'apac' : i % 2 ? 'eu' : 'us';
      p.xadd('orders', '*', 'orderId', `ord-${1000 + i}`, 'region', region, 'status', i % 3 ? 'paid' : 'pending', 'total', (10 + ((i * 37) % 490) + 0.99).toFixed(2), 'customer', `user${i}@example.com`);
    }
    const ids = ((await p.exec()) ?? []).map(([e, id]) => {
      if (e) throw e;
      return String(id);
    });
    await waitText(tail, '#count', /^200 rows$/);

    // The filter: shown of kept.
    await tail.locator('#filter').fill('APAC');
    await waitText(tail, '#count', /^9 of 200 rows$/);
    assert.equal(await tail.locator('#rows .row:not(.hidden)').count(), 9);
    await screenshot(page, 'tail-filtered');

    // Local time in the column, UTC (ISO) on hover.
    const first = tail.locator('#rows .row:not(.hidden)').first();
    const firstId = await first.getAttribute('data-id');
    const ms = Number(firstId!.split('-')[0]);
    const local = new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(ms));
    const shownTime = (await first.locator('.time').innerText()).trim();
    assert.match(shownTime, new RegExp(`^(\\d{4}-\\d{2}-\\d{2} )?${local}\\.\\d{3}$`), `time column "${shownTime}", local (${ZONE}) ${local}`);
    assert.notEqual(shownTime.slice(-12, -4), new Date(ms).toISOString().slice(11, 19), 'the column shows local time, not UTC');
    await first.locator('.time').hover();
    const title = await first.locator('.time').getAttribute('title');
    assert.ok(title?.startsWith(`${new Date(ms).toISOString()} (UTC)`), `hover title: ${title}`);
    assert.match(title!, /\(local, UTC-0[45]:00\)$/);
    assert.match(await tail.locator('#colhead .time').innerText(), /^Time \(local\)$/);

    // Enough rows to scroll: the paid ones (133 of 200). Scrolled to the bottom, the controls,
    // the status line and the column header are still at the top, drawn over the rows.
    await tail.locator('#filter').fill('status=paid');
    await waitText(tail, '#count', /^133 of 200 rows$/);
    const scroll = await tail.evaluate(() => {
      window.scrollTo(0, document.documentElement.scrollHeight);
      return { y: window.scrollY, max: document.documentElement.scrollHeight - document.documentElement.clientHeight };
    });
    assert.ok(scroll.y > 500, `the rows scroll (scrollY ${scroll.y} of ${scroll.max})`);
    const header = await tail.evaluate(() => {
      const box = (sel: string) => document.querySelector(sel)!.getBoundingClientRect();
      const head = box('#colhead');
      const filter = box('#filter');
      const hit = document.elementFromPoint(head.left + 4, head.top + head.height / 2);
      const firstRow = box('#rows .row:not(.hidden)');
      return { headTop: head.top, headBottom: head.bottom, filterTop: filter.top, hitIsHeader: !!hit && document.querySelector('#colhead')!.contains(hit), firstRowTop: firstRow.top, count: box('#count').top, viewport: window.innerHeight };
    });
    assert.ok(header.filterTop >= 0 && header.filterTop < 40, `filter box at ${header.filterTop}px`);
    assert.ok(header.count >= 0 && header.count < header.headTop, `count at ${header.count}px`);
    assert.ok(header.headTop > 0 && header.headBottom < 150, `column header at ${header.headTop}–${header.headBottom}px`);
    assert.ok(header.hitIsHeader, 'the column header is drawn over the rows');
    assert.ok(header.firstRowTop < 0, `the newest row scrolled away (top ${header.firstRowTop}px)`);

    // A row's context menu, on a row far down.
    const target = tail.locator('#rows .row:not(.hidden)').nth(120);
    await target.scrollIntoViewIfNeeded();
    const targetId = (await target.getAttribute('data-id'))!;
    await target.locator('.fields').click({ button: 'right', position: { x: 40, y: 6 } });
    const menu = tail.locator('#menu');
    await menu.waitFor({ state: 'visible', timeout: 10_000 });
    assert.deepEqual((await menu.locator('button').allInnerTexts()).map((t) => t.trim()), ['Open Entry', 'Copy ID', 'Copy as JSON', 'Show Journey', 'Debug Handler on This Message', 'Run Handler on This Message']);
    const sticky = await tail.evaluate(() => document.querySelector('#colhead')!.getBoundingClientRect().top);
    assert.ok(sticky > 0 && sticky < 150, `column header at ${sticky}px with the menu open`);
    await screenshot(page, 'tail-actions');
    // Scrolling with the menu open: it stays with its row.
    const menuTop = () => tail.evaluate(() => document.querySelector('#menu')!.getBoundingClientRect().top);
    const top0 = await menuTop();
    await tail.evaluate(() => window.scrollBy(0, -40));
    await tail.waitForFunction((t) => Math.abs(document.querySelector('#menu')!.getBoundingClientRect().top - (t + 40)) < 2, top0, { timeout: 10_000 });
    assert.ok(await menu.isVisible(), 'the menu closed on scrolling');
    assert.ok(Math.abs((await menuTop()) - top0 - 40) < 2);

    // Copy as JSON: the entry read by id, every byte, on the clipboard.
    await menu.locator('button', { hasText: 'Copy as JSON' }).click();
    await waitText(tail, '#notice', new RegExp(`^Copied ${targetId} as JSON\\.$`));
    assert.ok(await menu.isHidden(), 'the menu closes');
    const clip = await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText());
    const copied = JSON.parse(clip) as { id: string; stream: string; pairs: unknown };
    assert.equal(copied.id, targetId);
    assert.equal(copied.stream, 'orders');
    const raw = (await client.xrangeBuffer('orders', targetId, targetId))[0]![1];
    assert.ok(sameRaw(fromJsonPairs(copied.pairs), raw), `clipboard: ${clip.slice(0, 200)}`);

    // From the keyboard: Shift+F10 on a focused id opens the menu; Copy ID.
    const other = tail.locator('#rows .row:not(.hidden)').nth(3);
    const otherId = (await other.getAttribute('data-id'))!;
    await other.locator('span.open').focus();
    await other.locator('span.open').press('Shift+F10');
    await menu.waitFor({ state: 'visible', timeout: 10_000 });
    await tail.locator('#menu button:focus').press('ArrowDown');
    assert.equal(await tail.locator('#menu button:focus').innerText(), 'Copy ID');
    await tail.locator('#menu button:focus').press('Enter');
    await waitText(tail, '#notice', new RegExp(`^Copied ${otherId}\\.$`));
    assert.equal(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText()), otherId);

    // A click on an id opens the entry beside the tail.
    await other.locator('span.open').click();
    const tab = page.locator('.tabs-container .tab', { hasText: `orders_${otherId}.json` }).first();
    await tab.waitFor({ state: 'visible', timeout: 30_000 });
    const editor = page.locator('.editor-instance .monaco-editor .view-lines', { hasText: otherId }).first();
    await editor.waitFor({ state: 'visible', timeout: 30_000 });
    const doc = (await editor.innerText()).replace(/\s+/g, ' ');
    assert.match(doc, new RegExp(`"id": "${otherId}"`));
    assert.match(doc, /"stream": "orders"/);
    assert.ok(await tail.locator('#rows').isVisible(), 'the tail stays in view');
    await screenshot(page, 'tail-open-entry');

    // Removing the connection stops the tail: its connection closes, the view says so and keeps its rows.
    await contextMenu(page, row(page, CONN), 'Remove Connection…');
    const confirm = await waitDialog(page);
    assert.match(confirm.text, new RegExp(`Remove the connection "${CONN}"\\?`));
    await dialogButton(page, 'Remove');
    await waitText(tail, '#error', new RegExp(`^Stopped: the connection "${CONN}" no longer exists\\.`));
    assert.equal(await tail.locator('#state').innerText(), 'stopped');
    assert.ok(await tail.locator('#pause').isDisabled());
    await waitText(tail, '#count', /^133 of 200 rows$/);
    const deadline = Date.now() + 15_000;
    while ((await blockingClients()).includes(tailClients[0]!) && Date.now() < deadline) await page.waitForTimeout(200);
    assert.ok(!(await blockingClients()).includes(tailClients[0]!), "the tail's blocking connection is still open");
    await page.locator('.tabs-container .tab', { hasText: 'Tail: orders (stopped)' }).first().waitFor({ state: 'visible', timeout: 10_000 });
    await tail.locator('#filter').fill('');
    await tail.evaluate(() => window.scrollTo(0, 0));
    await closeNotifications(page);
    await screenshot(page, 'tail-stopped');
    console.log(`      ${ids.length} entries; copied ${targetId} as JSON, opened ${otherId}; stopped with the connection`);
  });

  it('raised no uncaught errors in the workbench pages', () => {
    assert.deepEqual(vs.pageErrors, []);
  });
});

/** Waits until the element's text matches `re` (in a webview frame). */
async function waitText(frame: Frame, selector: string, re: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = (await frame.locator(selector).first().innerText().catch(() => '')).trim();
    if (re.test(text)) return text;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${selector} shows "${text}", expected ${re}`);
}
