// UI tier: health over time on the demo's live traffic (core startDemoTraffic: 20 orders a second,
// billing keeps up, fraud-check is served by nobody), in a real VS Code at VS Code's own side bar
// width: the tree's trends beside the groups' lag, then Show Dashboard on orders drawn by uPlot,
// in the light theme and in the dark one. Screenshots: trends-tree, dashboard-light, dashboard-dark.
import * as assert from 'node:assert/strict';
import type { Frame, Page } from 'playwright-core';
import { type DemoTraffic, seedDemo, startDemoTraffic } from '../../src/core/dev/demo';
import { contextMenu, expandRow, reveal, row, screenshot, waitRows, webviewFrame } from './harness';
import { uiSuite } from './suite';

const CONN = 'demo';

uiSuite('(ui) health over time: trends in the tree, the dashboard (light and dark)', { name: 'dashboard', timeout: 300_000, redis: seedDemo }, (ctx) => {
  let traffic: DemoTraffic | undefined;
  const vs = ctx.vs;

  before(async () => {
    traffic = await startDemoTraffic(ctx.redis.url, { ratePerSecond: 20, random: seeded(7) });
  });
  after(async () => {
    await traffic?.stop();
  });

  /** A seeded PRNG (the demo's failures and stalls repeat). */
  function seeded(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  async function charts(frame: Frame): Promise<number> {
    return frame.locator('.uplot').count();
  }

  async function dashboardOf(page: Page): Promise<Frame> {
    await contextMenu(page, row(page, 'orders'), 'Show Dashboard');
    const frame = await webviewFrame(page, '#charts', 30_000);
    // Four charts on at least 8 rounds (data-points: the rounds drawn): the lines have a shape.
    await frame.locator('#charts[data-points]').first().waitFor({ state: 'attached', timeout: 60_000 });
    await frame.waitForFunction(
      () => {
        const d = (globalThis as unknown as { document: { querySelector(s: string): { dataset: Record<string, string> } | null; querySelectorAll(s: string): { length: number } } }).document;
        return d.querySelectorAll('.uplot').length === 4 && Number(d.querySelector('#charts')?.dataset.points) >= 8;
      },
      undefined,
      { timeout: 60_000 },
    );
    return frame;
  }

  it('fraud-check (served by nobody) reads "lag N ↑" at the default width; the dashboard of orders draws four charts, light and dark', async () => {
    const page = await vs.open({ settings: { 'redisQueues.connections': [{ name: CONN, url: ctx.redis.url }], 'redisQueues.refreshIntervalSeconds': 2, 'redisQueues.trends.intervalSeconds': 1 } });
    await expandRow(page, CONN);
    await expandRow(page, await reveal(page, 'orders', 'Streams'));
    await expandRow(page, await reveal(page, 'fraud-check', 'Groups'));
    const rows = await waitRows(page, 'fraud-check with a rising lag', (rs) => rs.some((r) => r.label === 'fraud-check' && /lag [\d,]+ ↑/.test(r.description)), 90_000);
    assert.match(rows.find((r) => r.label === 'fraud-check')!.description, /lag [\d,]+ ↑/);
    await screenshot(page, 'trends-tree');
    const frame = await dashboardOf(page);
    assert.equal(await charts(frame), 4);
    const text = await frame.locator('body').innerText();
    assert.match(text, /Messages per second/);
    assert.match(text, /fraud-check/);
    await screenshot(page, 'dashboard-light');
    // The connection's dashboard: every sampled stream and group, the demo's list queue too.
    await contextMenu(page, row(page, CONN), 'Show Dashboard');
    const conn = await (async () => {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        for (const f of page.frames()) if ((await f.locator('#title').innerText({ timeout: 1000 }).catch(() => '')) === `${CONN} (connection)`) return f;
        await page.waitForTimeout(250);
      }
      throw new Error("no connection dashboard within 30 s");
    })();
    await conn.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('.uplot').length >= 4, undefined, { timeout: 60_000 });
    const all = await conn.locator('body').innerText();
    assert.match(all, /Lag, by group/);
    assert.match(all, /orders › fraud-check/);
    await screenshot(page, 'dashboard-connection');
  });

  it('the dashboard in the dark theme', async () => {
    const page = await vs.open({ settings: { 'redisQueues.connections': [{ name: CONN, url: ctx.redis.url }], 'redisQueues.refreshIntervalSeconds': 0, 'redisQueues.trends.intervalSeconds': 1, 'workbench.colorTheme': 'Default Dark Modern' } });
    await expandRow(page, CONN);
    await reveal(page, 'orders', 'Streams');
    const frame = await dashboardOf(page);
    assert.equal(await charts(frame), 4);
    // The charts take the theme's colours: the page's text is light on dark.
    const fg = await frame.evaluate(() => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string }; document: { body: unknown } }).getComputedStyle((globalThis as unknown as { document: { body: unknown } }).document.body).color);
    const [r, g, b] = fg.match(/\d+/g)!.map(Number);
    assert.ok(r! + g! + b! > 450, `text colour ${fg} is not light`);
    await screenshot(page, 'dashboard-dark');
  });
});
