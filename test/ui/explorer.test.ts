// UI tier: a real VS Code (code-server) in headless Chromium, with the extension loaded as a
// development extension, against a real redis-server seeded with a stream, a consumer group and
// pending (delivered, unacknowledged) entries. Screenshots go to .test-output/screenshots/.
import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import type { Page } from 'playwright-core';
import { startSandbox } from '../../src/core/dev/sandbox';
import { expandRow, openRedisQueues, reveal, row, screenshot, treeRows, treeRowsInfo, waitRows, waitViewContent, widenSidebar } from './harness';
import { uiSuite } from './suite';

const STREAM = 'orders';
const GROUP = 'billing';
const CONSUMER = 'worker-1';

/** XADD 5 entries, create a group from the start, deliver 3 to a consumer without acking them. */
async function seed(url: string): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  try {
    for (let i = 1; i <= 5; i++) await r.xadd(STREAM, '*', 'order', String(i), 'amount', String(i * 10));
    await r.xgroup('CREATE', STREAM, GROUP, '0');
    const delivered = (await r.xreadgroup('GROUP', GROUP, CONSUMER, 'COUNT', 3, 'STREAMS', STREAM, '>')) as [string, [string, string[]][]][] | null;
    assert.equal(delivered?.[0]?.[1].length, 3);
    const summary = (await r.xpending(STREAM, GROUP)) as [number, string, string, [string, string][]];
    assert.equal(Number(summary[0]), 3, 'seeded pending count');
  } finally {
    r.disconnect();
  }
}

uiSuite('(ui) Redis Queues view in VS Code', { name: 'explorer', timeout: 240_000, redis: seed }, (ctx) => {
  const vs = ctx.vs;

  /** VS Code at 1280 × 800, the Redis Queues view not opened yet (the tests click its icon). */
  const openVsCode = (settings: Record<string, unknown>): Promise<Page> => vs.open({ settings, viewport: { width: 1280, height: 800 }, view: 'closed' });

  it('shows the configured connection (or the welcome view) after a click on the activity-bar icon', async () => {
    const page = await openVsCode({ 'redisQueues.connections': [{ name: 'ui-test', url: ctx.redis.url }] });
    await openRedisQueues(page);
    const title = await page.locator('#workbench\\.parts\\.sidebar .composite.title').first().innerText();
    assert.match(title, /Redis Queues/i);
    const shown = await waitViewContent(page);
    if (shown === 'tree') {
      // Walk the seeded data down the tree: connection → (Streams folder) → stream → group → consumer.
      await expandRow(page, 'ui-test');
      await expandRow(page, await reveal(page, STREAM, 'Streams'));
      await expandRow(page, await reveal(page, GROUP, 'Groups'));
      await reveal(page, CONSUMER, 'Consumers');
      const rows = await treeRows(page);
      assert.ok(!rows.some((r) => /cannot connect|error/i.test(r)), `the tree shows an error: ${rows.join(' | ')}`);
      assert.match(rows.find((r) => r.includes(GROUP)) ?? '', /(^|\D)3 pending\b/, `the group row does not show its three pending entries: ${rows.join(' | ').replace(/(\d+) /g, '$1\u00a0')}`);
    }
    await screenshot(page, 'explorer-with-connection');
    // (No "N pending" with a plain space in the log: scripts/test.mjs would count it as skipped tests.)
    const seen = shown === 'tree' ? (await treeRows(page)).join(' | ').replace(/(\d+) (pending|passing|failing)/g, '$1\u00a0$2') : 'welcome content';
    console.log(`      view shows: ${seen}`);
  });

  it('shows "No Redis connection yet" with Add Connection and Start Local Sandbox when none is configured', async () => {
    const page = await openVsCode({});
    await openRedisQueues(page);
    const welcome = page.locator('#workbench\\.parts\\.sidebar .welcome-view-content');
    await welcome.getByText('No Redis connection yet.').waitFor({ state: 'visible', timeout: 60_000 });
    for (const label of ['Add Connection', 'Start Local Sandbox']) {
      const button = welcome.getByRole('button', { name: label });
      assert.ok(await button.isVisible(), `button "${label}" is not visible`);
    }
    assert.equal(await page.locator('#workbench\\.parts\\.sidebar .monaco-list-row').count(), 0, 'tree rows shown with no connection');
    await screenshot(page, 'explorer-welcome');
  });

  it('on a keyspace larger than the discovery budget, Streams ends with "Scan more — about N of 20 k keys", and clicks go on to every stream', async () => {
    const big = await startSandbox();
    try {
      const r = new Redis(big.url, { maxRetriesPerRequest: 1 });
      for (let b = 0; b < 20; b++) {
        const p = r.pipeline();
        for (let i = 0; i < 1000; i++) p.set(`cache:${b}:${i}`, 'x');
        await p.exec();
      }
      for (let i = 0; i < 12; i++) await r.xadd(`orders:${String(i).padStart(2, '0')}`, '*', 'n', '1');
      const page = await openVsCode({
        'redisQueues.connections': [{ name: 'big', url: big.url }],
        'redisQueues.refreshIntervalSeconds': 0,
        // Three calls a budget: each call is sized to ~2 ms of server time, which on a loaded
        // machine can keep COUNT near its first 100 (a few hundred keys a click).
        'redisQueues.discovery.maxScanCalls': 3,
        'redisQueues.discovery.smallKeyspace': 1000,
      });
      await openRedisQueues(page);
      await expandRow(page, 'big');
      await expandRow(page, 'Streams');
      const isMore = (x: { label: string; description: string }) => x.label === 'Scan more' && /^about \S+( k)? of 20 k keys$/.test(x.description);
      await waitRows(page, 'the "Scan more" row', (rows) => rows.some(isMore));
      await widenSidebar(page, 420);
      await screenshot(page, 'tree-scan-more');
      const before = (await treeRowsInfo(page)).filter((x) => x.label.startsWith('orders:')).length;
      assert.ok(before < 12, `the first expand kept its budget (${before} of 12 streams shown)`);
      // Each click scans one more budget; the row goes once the whole keyspace was walked.
      const scans = async () => Number(/cmdstat_scan:calls=(\d+)/.exec(String(await r.info('commandstats')))?.[1] ?? 0);
      for (let i = 0; i < 200 && (await treeRowsInfo(page)).some(isMore); i++) {
        const calls = await scans();
        await row(page, 'Scan more').click();
        // (The click's SCAN reaches the server, then the tree redraws.)
        for (let t = 0; t < 300 && (await scans()) === calls; t++) await page.waitForTimeout(50);
        await waitRows(page, 'the tree redrawn after the scan', (rows) => rows.some((x) => x.label.startsWith('orders:') || isMore(x)));
      }
      await waitRows(page, 'all 12 streams', (rows) => rows.filter((x) => x.label.startsWith('orders:')).length === 12 && !rows.some(isMore));
      await screenshot(page, 'tree-scan-done');
      r.disconnect();
    } finally {
      await big.stop();
    }
  });

  it('raised no uncaught errors in the workbench page', () => {
    assert.deepEqual(vs.pageErrors, []);
  });
});
