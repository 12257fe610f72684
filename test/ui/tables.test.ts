// UI tier: the tables panel on the demo's live traffic (core startDemoTraffic), in a real VS Code:
// Show Tables on orders from the stream's menu, the billing group picked in its table, worker-2's
// pending entries only, sorted by deliveries (the POISON one first), two of them ticked, in the
// light theme and the dark one. Screenshots: tables-light, tables-dark.
import * as assert from 'node:assert/strict';
import type { Frame, Page } from 'playwright-core';
import { type DemoTraffic, seedDemo, startDemoTraffic } from '../../src/core/dev/demo';
import { contextMenu, expandRow, reveal, row, screenshot, webviewFrame } from './harness';
import { uiSuite } from './suite';

const CONN = 'demo';

uiSuite('(ui) tables of groups, consumers and pending entries (light and dark)', { name: 'tables', timeout: 300_000, redis: seedDemo }, (ctx) => {
  let traffic: DemoTraffic | undefined;
  const vs = ctx.vs;

  before(async () => {
    traffic = await startDemoTraffic(ctx.redis.url, { ratePerSecond: 20, random: () => 0.5 });
  });
  after(async () => {
    await traffic?.stop();
  });

  const text = (f: Frame, selector: string) => f.locator(selector).first().innerText();

  /** Opens the tables of orders, on billing, worker-2's entries by deliveries, two ticked. */
  async function tablesOf(page: Page): Promise<Frame> {
    await expandRow(page, CONN);
    await reveal(page, 'orders', 'Streams');
    await contextMenu(page, row(page, 'orders'), 'Show Tables (Groups, Consumers, Pending)');
    const f = await webviewFrame(page, '#groups table', 30_000);
    await f.locator('#groups tr[data-key="billing"]').click();
    await f.locator('#title', { hasText: 'orders › billing' }).waitFor({ timeout: 30_000 });
    await f.locator('#consumers tr[data-key="worker-2"]').click();
    await f.locator('#pending .chip', { hasText: 'consumer: worker-2' }).waitFor({ timeout: 30_000 });
    const held = Number((await text(f, '#consumers tr[data-key="worker-2"] td.pending')).replace(/,/g, ''));
    assert.ok(held > 0, 'worker-2 holds the demo’s stuck entries');
    await f.waitForFunction((n) => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('#pending tbody tr').length === n, held, { timeout: 30_000 });
    await f.locator('#pending th button', { hasText: 'Deliveries' }).click();
    await f.locator('#pending th[aria-sort="descending"]', { hasText: 'Deliveries' }).waitFor({ timeout: 30_000 });
    assert.match(await f.locator('#pending tbody tr').first().getAttribute('class').then(String), /poison/, 'the most delivered (POISON) entry first');
    const boxes = f.locator('#pending tbody td.check input');
    await boxes.nth(0).click();
    await f.locator('#pending .toolbar .count', { hasText: '1 selected' }).waitFor({ timeout: 30_000 });
    await boxes.nth(2).click({ modifiers: ['Shift'] });
    await f.locator('#pending .toolbar .count', { hasText: '3 selected' }).waitFor({ timeout: 30_000 });
    // The rates arrive after two sampling rounds.
    await f.waitForFunction(() => /\d/.test((globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('#groups tr[data-key="billing"] td.out')?.textContent ?? ''), undefined, { timeout: 60_000 });
    return f;
  }

  it('Show Tables on orders: billing’s consumers, worker-2’s entries by deliveries (POISON first), a shift-click range ticked; the toolbar acts on them', async () => {
    const page = await vs.open({ settings: { 'redisQueues.connections': [{ name: CONN, url: ctx.redis.url }], 'redisQueues.refreshIntervalSeconds': 0, 'redisQueues.trends.intervalSeconds': 1 } });
    const f = await tablesOf(page);
    const body = await f.locator('body').innerText();
    for (const t of ['Groups', 'Consumers', 'Pending entries', 'fraud-check', 'shipping', 'Oldest pending', 'Out /s', 'POISON']) assert.ok(body.includes(t), `no "${t}" in the panel`);
    for (const b of ['Claim…', 'Acknowledge…', 'Dead-letter…']) assert.equal(await f.locator('#pending .toolbar button', { hasText: b }).isEnabled(), true, `${b} enabled with entries ticked`);
    assert.equal(await f.locator('#pending .toolbar button', { hasText: 'Journey' }).isEnabled(), false, 'Journey needs exactly one entry');
    await screenshot(page, 'tables-light');
  });

  it('the tables in the dark theme', async () => {
    const page = await vs.open({ settings: { 'redisQueues.connections': [{ name: CONN, url: ctx.redis.url }], 'redisQueues.refreshIntervalSeconds': 0, 'redisQueues.trends.intervalSeconds': 1, 'workbench.colorTheme': 'Default Dark Modern' } });
    const f = await tablesOf(page);
    const fg = await f.evaluate(() => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string }; document: { body: unknown } }).getComputedStyle((globalThis as unknown as { document: { body: unknown } }).document.body).color);
    const [r, g, b] = fg.match(/\d+/g)!.map(Number);
    assert.ok(r! + g! + b! > 450, `text colour ${fg} is not light`);
    await screenshot(page, 'tables-dark');
  });
});
