// UI tier: Find Messages and Go to Time in a real VS Code (code-server) in Chromium. A stream of
// 300,000 orders (one in 2,500 failed) searched with pages of at most 10 entries
// (redisQueues.search.maxPage), so the search is seen in progress: the search box explains a text
// it cannot search, the Search Results view fills while the walk goes on, Stop ends it ("cancelled
// · Resume"), Resume and Find More go on to the end, a hit's context menu has the entry actions and
// opens the entry; Go to Time on a stream's Entries shows the entries around a moment.
// Screenshots: search-box-invalid, search-in-progress, search-stopped, search-results,
// search-hit-menu, go-to-time (.test-output/screenshots/).
import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import type { Page } from 'playwright-core';
import {
  closeNotifications,
  contextMenu,
  expandRow,
  inputBox,
  quickPickItems,
  reveal,
  row,
  screenshot,
  waitQuickInput,
  widenSidebar,
} from './harness';
import { uiSuite } from './suite';

const CONN = 'shop';
const STREAM = 'orders';
const EVENTS = 'events';
const N = 300_000;
/** One order in this many failed: 120 matches. */
const EVERY = 2500;

/** What the page-side callbacks use of an element (the tests compile without the DOM lib). */
interface El {
  dataset: Record<string, string | undefined>;
  innerText: string;
  getAttribute(n: string): string | null;
  querySelector(s: string): El | null;
}

uiSuite('(ui) find messages and go to time', { name: 'search', timeout: 240_000, redis: true, vsCodePer: 'suite' }, (ctx) => {
  let client: Redis;
  let page: Page;
  const vs = ctx.vs;

  before(async () => {
    client = new Redis(ctx.redis.url, { maxRetriesPerRequest: 1 });
    for (let b = 0; b < N / 10_000; b++) {
      const p = client.pipeline();
      for (let i = 0; i < 10_000; i++) {
        const n = b * 10_000 + i;
        const failed = n % EVERY === 7;
        p.xadd(STREAM, '*', 'orderId', `ord-${n}`, 'status', failed ? 'failed' : 'paid', 'region', ['eu', 'us', 'apac'][n % 3]!, 'total', (10 + (n % 490) + 0.99).toFixed(2), ...(failed ? ['error', n % 2 ? 'card declined' : 'payment timeout'] : []));
      }
      await p.exec();
    }
    // Events one minute apart over the last ten hours.
    const start = Date.now() - 10 * 3600_000;
    const p = client.pipeline();
    for (let i = 0; i < 600; i++) p.xadd(EVENTS, `${start + i * 60_000}-0`, 'event', ['login', 'checkout', 'logout'][i % 3]!, 'user', `user${i % 17}`);
    await p.exec();
    page = await vs.open({
      settings: {
        'redisQueues.connections': [{ name: CONN, url: ctx.redis.url }],
        'redisQueues.refreshIntervalSeconds': 0,
        'redisQueues.search.maxPage': 10,
        'redisQueues.pageSize': 10,
      },
    });
    await widenSidebar(page, 560);
  });

  after(async () => {
    client?.disconnect();
  });

  /** The Search Results pane of the side bar. */
  const results = () => page.locator('#workbench\\.parts\\.sidebar .pane', { has: page.locator('.pane-header', { hasText: /Search Results/i }) });
  /** The rows of the Search Results view, in visual order: label and description. */
  async function resultRows(): Promise<{ label: string; description: string; level: number }[]> {
    const rows = await results()
      .locator('.monaco-list-row')
      .evaluateAll((els) =>
        els.map((el) => {
          const e = el as unknown as El;
          return {
            index: Number(e.dataset.index),
            level: Number(e.getAttribute('aria-level') ?? 0),
            label: e.querySelector('.label-name')?.innerText.trim() ?? '',
            description: e.querySelector('.label-description')?.innerText.trim() ?? '',
          };
        }),
      )
      .catch(() => []);
    return rows.sort((a, b) => a.index - b.index);
  }
  async function waitResults(what: string, pred: (rows: { label: string; description: string; level: number }[]) => boolean, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    let rows: { label: string; description: string; level: number }[] = [];
    while (Date.now() < deadline) {
      rows = await resultRows();
      if (pred(rows)) return rows;
      await page.waitForTimeout(100);
    }
    throw new Error(`the Search Results view never showed ${what}: ${rows.map((r) => `${r.label} ${r.description}`).join(' | ')}`);
  }
  const searchRow = () => results().locator('.monaco-list-row[aria-level="1"]').first();

  it('explains a text it cannot search, shows the search in progress, stops, resumes and finds more', async () => {
    await expandRow(page, CONN);
    await reveal(page, STREAM, 'Streams');
    await contextMenu(page, row(page, STREAM), 'Find Messages…');
    await waitQuickInput(page, `Find messages in "${STREAM}"`);
    const input = page.locator('.quick-input-widget .quick-input-box input').first();
    await input.fill('status=failed note=/(/');
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'is not valid' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    const items = await quickPickItems(page);
    assert.match(items[0]!, /^status=failed note=\/\(\/\s*cannot search this\s*The regular expression \/\(\/ is not valid: missing closing \): `\(`$/);
    await screenshot(page, 'search-box-invalid');
    await input.press('Enter');
    assert.ok(await input.isVisible(), 'Enter on a text that cannot be searched keeps the box open');
    await input.fill('status=failed');
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Enter to search' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await input.press('Enter');

    // In progress: hits arrive while the walk goes on (pages of 10: 30,000 calls).
    // The percentage follows the entries examined (of the stream's length), in the same number format.
    const progress = /^(\d+) match(es)? · ([\d,]+) of 300,000 examined · (\d+) %$/;
    const rows = await waitResults('a search in progress with hits', (r) => {
      const m = progress.exec(r[0]?.description ?? '');
      return Boolean(m) && Number(m![1]) >= 3 && r.length >= 4 && Number(m![4]) === Math.floor((Number(m![3]!.replace(/,/g, '')) / 300_000) * 100);
    });
    assert.equal(rows[0]!.label, `status=failed in ${STREAM}`);
    // A hit: labelled with its id's time; the field it was found by leads (status is second in the message).
    assert.match(rows[1]!.label, /^(\d{4}-)?(\d\d-\d\d )?\d\d:\d\d:\d\d$/);
    assert.match(rows[1]!.description, /^status=failed orderId=ord-\d+ .* · \d+-\d+$/);
    // The view's own progress bar runs (the notification with Cancel sits in the bell: the smoke-test driver hides toasts).
    assert.ok(await results().locator('.monaco-progress-container.active').first().isVisible(), "the view's progress bar is not shown");
    await screenshot(page, 'search-in-progress');

    // Stop (the row's inline action): the walk ends before its next call.
    await searchRow().hover();
    await searchRow().locator('.action-label[aria-label^="Stop Search"]').click();
    // One word for it, the action's own: Stop Search → "stopped" → Resume.
    await waitResults('the search stopped', (r) => /^\d+ match(es)? · stopped at \d+ % · Resume$/.test(r[0]?.description ?? ''));
    // Its connection closes: nothing of it calls Redis any more.
    const calls = async () => Number(/cmdstat_xrevrange:calls=(\d+)/.exec(String(await client.info('commandstats')))?.[1] ?? 0);
    const before = await calls();
    const searching = async () => String(await client.call('CLIENT', 'LIST')).includes('name=redis-queues-vscode-search');
    for (const deadline = Date.now() + 15_000; (await searching()) && Date.now() < deadline; ) await page.waitForTimeout(100);
    assert.equal(await searching(), false, 'the search connection is still open');
    assert.equal(await calls(), before, 'no XREVRANGE after the cancel');
    await closeNotifications(page);
    await screenshot(page, 'search-stopped');

    // Resume (the row's inline action) finishes the batch of 100; the "Find More…" row at the end of the hits goes on to the end.
    await searchRow().hover();
    await searchRow().locator('.action-label[aria-label^="Find More / Resume"]').click();
    await waitResults('the limit of 100', (r) => r[0]?.description === '100 matches · stopped at 100 (limit) · Find More', 120_000);
    // (The list draws only the rows in view: focus its first hit, End to the last row.)
    await results().locator('.monaco-list-row[aria-level="2"]').first().click();
    await page.keyboard.press('End');
    const more = results().locator('.monaco-list-row[aria-level="2"]', { has: page.locator('.label-name', { hasText: /^\s*Find More…\s*$/ }) }).first();
    await more.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await more.locator('.label-description').innerText(), /^the next 100 matches, after \d+-\d+$/);
    await more.click();
    const done = await waitResults('the search done', (r) => /^120 matches · 300,000 examined · done$/.test(r[0]?.description ?? ''), 120_000);
    assert.equal(done.filter((r) => r.level === 2).length >= 10, true);
    await closeNotifications(page);
    await screenshot(page, 'search-results');
  });

  it("a hit's context menu has the entry actions; Open Entry shows it", async () => {
    // The last hit drawn (the list is scrolled to its end): fully in view, below the sticky search row.
    const last = Math.max(...(await results().locator('.monaco-list-row[aria-level="2"]').evaluateAll((els) => els.map((el) => Number((el as unknown as El).dataset.index)))));
    const hit = results().locator(`.monaco-list-row[data-index="${last}"]`);
    // (its label is the id's time; the id ends the description)
    const id = /(\d+-\d+)$/.exec((await hit.locator('.label-description').innerText()).trim())![1]!;
    await hit.click({ button: 'right' });
    const menu = page.locator('.context-view .monaco-menu').first();
    await menu.waitFor({ state: 'visible', timeout: 15_000 });
    const labels = (await menu.locator('.action-item .action-label').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
    for (const want of ['Open Entry', 'Copy ID', 'Copy as JSON', 'Copy redis-cli Command', 'Delete Entries (XDEL)…']) assert.ok(labels.includes(want), `menu: ${labels.join(' | ')}`);
    await screenshot(page, 'search-hit-menu');
    await menu.locator('.action-item .action-label', { hasText: /^\s*Open Entry\s*$/ }).first().click();
    const editor = page.locator('.editor-instance .monaco-editor .view-lines', { hasText: id }).first();
    await editor.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match((await editor.innerText()).replace(/\s+/g, ' '), /"status": "failed"/);
  });

  it('Go to Time on Entries shows the entries around a moment, newer above it, older below', async () => {
    // The results out of the way: the explorer's rows only.
    await page.locator('.monaco-workbench').first().click({ position: { x: 800, y: 5 } }).catch(() => undefined);
    await page.keyboard.press('F1');
    const palette = page.locator('.quick-input-widget .quick-input-box input').first();
    await palette.fill('>Clear Search Results');
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Clear Search Results' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await palette.press('Enter');
    await results().waitFor({ state: 'detached', timeout: 15_000 });
    await expandRow(page, await reveal(page, EVENTS, 'Streams'));
    await contextMenu(page, row(page, 'Entries'), 'Go to Time…');
    await inputBox(page, /^Go to time in "events"/, '3h');
    const marker = page.locator('#workbench\\.parts\\.sidebar .monaco-list-row', { hasText: /^\s*── / });
    await marker.first().waitFor({ state: 'visible', timeout: 30_000 });
    const entries = row(page, 'Entries');
    assert.match(await entries.locator('.label-description').innerText(), /^around \d{4}-\d\d-\d\d \d\d:\d\d:\d\d · newest first$/);
    for (const label of ['Back to Newest', 'Newer…', 'Older…']) assert.ok(await row(page, label).isVisible(), `no "${label}" row`);
    // The moment's row is near the top, selected, and says how far the nearest entries are.
    const momentRow = marker.first();
    await page.locator('#workbench\\.parts\\.sidebar .monaco-list-row.selected', { hasText: /^\s*── / }).first().waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await momentRow.locator('.label-description').innerText(), /^next .+ later · previous .+ earlier$/);
    await screenshot(page, 'go-to-time');
    const ids = async () => (await page.locator('#workbench\\.parts\\.sidebar .monaco-list-row .label-description').allInnerTexts()).filter((t) => / · \d+-0$/.test(t.trim())).length;
    assert.equal(await ids(), 15, '5 newer above the moment, 10 older below');
    await row(page, 'Newer…').click();
    for (const deadline = Date.now() + 30_000; (await ids()) < 25 && Date.now() < deadline; ) await page.waitForTimeout(100);
    assert.equal(await ids(), 25, 'Newer… shows ten more, towards now');
    await row(page, 'Back to Newest').click();
    await row(page, 'Load more entries… (10 shown)').waitFor({ state: 'visible', timeout: 30_000 });
  });

  it('raised no uncaught errors in the workbench page', () => {
    assert.deepEqual(vs.pageErrors, []);
  });
});
