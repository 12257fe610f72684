// UI tier: the Get Started walkthrough in a real VS Code. Its Connect step checks itself once a
// connection exists: when one is added while the walkthrough is open, and when the walkthrough
// is opened on a VS Code that already has one (VS Code counts a context key only when it
// becomes true while the walkthrough watches, and it starts watching when first opened: see
// src/vscode/walkthrough.ts). Screenshots: walkthrough-unchecked, walkthrough-connected.
import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openRedisQueues, runCommand, screenshot, waitViewContent } from './harness';
import { uiSuite } from './suite';

const CONNECT = 'Connect, or start a sandbox';

uiSuite('(ui) Get Started walkthrough', { name: 'walk', timeout: 240_000, redis: true }, (ctx) => {
  const vs = ctx.vs;

  /** VS Code at 1280 × 800, the Redis Queues view not opened yet. */
  const openVsCode = (settings: Record<string, unknown>): Promise<Page> => vs.open({ settings, viewport: { width: 1280, height: 800 }, view: 'closed' });

  async function openWalkthrough(page: Page) {
    await runCommand(page, 'Welcome: Open Walkthrough...');
    const input = page.locator('.quick-input-widget .quick-input-box input').first();
    await input.fill('Get started with Redis Queues');
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Get started with Redis Queues' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await input.press('Enter');
    const step = page.locator('.getting-started-step', { hasText: CONNECT }).first();
    await step.waitFor({ state: 'visible', timeout: 30_000 });
    return step;
  }
  const checked = (step: Awaited<ReturnType<typeof openWalkthrough>>) => step.locator('.codicon-getting-started-step-checked').first();

  it('Connect is unchecked without a connection, and checks itself when one is added while the walkthrough is open', async () => {
    const page = await openVsCode({});
    await openRedisQueues(page);
    assert.equal(await waitViewContent(page), 'welcome');
    const step = await openWalkthrough(page);
    // The extension is active and has said it has no connection (the welcome view shows): unchecked.
    assert.equal(await step.locator('.codicon-getting-started-step-unchecked').count(), 1, 'Connect is checked without a connection');
    await screenshot(page, 'walkthrough-unchecked');
    // A connection is added (here in the workspace's settings, as a team would share it).
    mkdirSync(join(vs.workspace, '.vscode'), { recursive: true });
    writeFileSync(join(vs.workspace, '.vscode', 'settings.json'), JSON.stringify({ 'redisQueues.connections': [{ name: 'team', url: ctx.redis.url }] }));
    await checked(step).waitFor({ state: 'attached', timeout: 30_000 });
  });

  it('Connect and Explore are checked when the walkthrough is opened on a VS Code that already has a connection and showed the tree', async () => {
    const page = await openVsCode({ 'redisQueues.connections': [{ name: 'sandbox', url: ctx.redis.url }] });
    await openRedisQueues(page);
    assert.equal(await waitViewContent(page), 'tree');
    const step = await openWalkthrough(page);
    await checked(step).waitFor({ state: 'attached', timeout: 30_000 });
    await checked(page.locator('.getting-started-step', { hasText: 'Explore the tree' }).first()).waitFor({ state: 'attached', timeout: 30_000 });
    await screenshot(page, 'walkthrough-connected');
  });
});
