// UI tier: the journey panel in a real VS Code (code-server) in Chromium, on the sandbox's demo
// data. Show Journey from the context menu of worker-2's POISON pending entry (pending in billing
// and in fraud-check, acknowledged by shipping; its seeded history as a timeline), then from a
// record of orders:dlq (the journey of the message it is a copy of, still in orders: its
// dead-letter copy with error and deliveries, its timeline ending dead-lettered), then the same
// panel in a dark theme. At the default sidebar width in a 1280 px window: idle times and times
// stay on one line. Then Replay… from the panel, and the replay's journey. Screenshots:
// journey-pending, journey-dead-letter, journey-dark, journey-replayed
// (.test-output/screenshots/).
import * as assert from 'node:assert/strict';
import type { Frame, Page } from 'playwright-core';
import { seedDemo } from '../../src/core/dev/demo';
import {
  childrenOf,
  collapseRow,
  contextMenu,
  dialogButton,
  expandRow,
  inputBox,
  reveal,
  rowAt,
  runCommand,
  screenshot,
  waitDialog,
  waitRows,
} from './harness';
import { uiSuite } from './suite';

const CONN = 'demo';

/** What the page-side callbacks use of the DOM (the tests compile without the DOM lib). */
declare const document: {
  querySelector(s: string): { innerText: string } | null;
  querySelectorAll(s: string): ArrayLike<{ innerText: string; getClientRects(): ArrayLike<unknown> }>;
  body: { className: string; innerText: string };
};

uiSuite('(ui) journey panel: a pending entry and a dead-letter record of the demo, light and dark', { name: 'journey', timeout: 240_000, redis: seedDemo, vsCodePer: 'suite' }, (ctx) => {
  const vs = ctx.vs;

  /** The webview frame whose journey page shows `needle` (each panel is a frame of its own). */
  async function journeyFrame(page: Page, needle: string, timeoutMs = 30_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    let seen: string[] = [];
    while (Date.now() < deadline) {
      seen = [];
      for (const f of page.frames()) {
        const text = await f.evaluate(() => document.querySelector('#journey')?.innerText ?? null).catch(() => null);
        if (text === null) continue;
        seen.push(text.slice(0, 80));
        if (text.includes(needle)) return f;
      }
      await page.waitForTimeout(250);
    }
    throw new Error(`no journey panel shows "${needle}"; panels: ${seen.join(' | ') || '(none)'}`);
  }

  /** The rows directly under the row labelled `parent`, once there are some. */
  async function childRows(page: Page, parent: string) {
    const rows = await waitRows(page, `rows under ${parent}`, (rs) => {
      const p = rs.find((r) => r.label === parent);
      return !!p && childrenOf(rs, p.index).length > 0;
    });
    return childrenOf(rows, rows.find((r) => r.label === parent)!.index);
  }

  it('draws the journey of a POISON pending entry and of a dead-lettered message, readable in light and dark themes', async () => {
    const page = await vs.open({ settings: { 'redisQueues.connections': [{ name: CONN, url: ctx.redis.url }], 'redisQueues.refreshIntervalSeconds': 0 }, viewport: { width: 1280, height: 900 } });

    // worker-2's POISON entry: pending in billing (7 deliveries) and fraud-check (checker-2, 9).
    await expandRow(page, CONN);
    await expandRow(page, await reveal(page, 'orders', 'Streams'));
    await expandRow(page, await reveal(page, 'billing', 'Groups'));
    await expandRow(page, 'worker-2');
    const poison = (await childRows(page, 'worker-2')).find((r) => r.description.startsWith('⚠ POISON · '))!;
    assert.ok(poison, 'a POISON row under worker-2');
    const id = poison.id;
    await contextMenu(page, rowAt(page, poison.index), 'Show Journey');
    const pending = await journeyFrame(page, `Journey of ${id}`);
    const text = await pending.evaluate(() => document.querySelector('#journey')!.innerText);
    assert.match(text, /stream orders on demo/);
    assert.match(text, /In the stream/);
    assert.match(text, /billing\s+Pending\s+worker-2\s+7\s+\d+m \d+s/, text);
    assert.match(text, /fraud-check\s+Pending\s+checker-2\s+9\s/, text);
    assert.match(text, /shipping\s+Acknowledged/);
    assert.match(text, /orderId\s+ord-1000/);
    assert.match(text, /Group's cursor \(last delivered to the group\)/);
    // Its seeded history: worker-2 took it 7 times and failed 6 of them.
    assert.match(text, /delivered \(delivery 7\)\s+billing \/ worker-2/, text);
    assert.match(text, /failed \(delivery 6\)\s+billing \/ worker-2\s+TypeError/, text);
    assert.ok(!/No events recorded/.test(text), text);
    // Times that wrap (more than one line box). The page is first waited on to be laid out (every
    // time has a box): a webview not shown at that moment (busy machine) has none at all. A panel
    // still settling its width (it opens beside the tree, then takes its size) can wrap for a
    // moment: the times must be on one line once the layout settled, within 10 s.
    const oneLine = async (f: Frame) => {
      await f.waitForFunction(() => Array.from(document.querySelectorAll('span.idle, span.time')).every((e) => e.getClientRects().length > 0), undefined, { timeout: 30_000 });
      const wrapped = () => f.evaluate(() => Array.from(document.querySelectorAll('span.idle, span.time')).filter((e) => e.getClientRects().length > 1).map((e) => e.innerText));
      await f.waitForFunction(() => Array.from(document.querySelectorAll('span.idle, span.time')).every((e) => e.getClientRects().length === 1), undefined, { timeout: 10_000 }).catch(() => undefined);
      return wrapped();
    };
    assert.deepEqual(await oneLine(pending), [], 'idle times and times on one line');
    await screenshot(page, 'journey-pending');

    // A record of orders:dlq: the journey of the message it copies (still in orders: the demo
    // dead-letters real entries), with the copy's error and deliveries, and its timeline.
    await collapseRow(page, 'orders');
    await expandRow(page, 'orders:dlq');
    await expandRow(page, 'Entries');
    const record = (await childRows(page, 'Entries'))[0]!;
    await contextMenu(page, rowAt(page, record.index), 'Show Journey');
    const dlq = await journeyFrame(page, record.id);
    const dtext = await dlq.evaluate(() => document.querySelector('#journey')!.innerText);
    assert.match(dtext, /stream orders on demo/);
    assert.match(dtext, /In the stream/);
    assert.match(dtext, /dead-lettered after 5 deliveries\s+billing \/ worker-2\s+payment gateway timeout after 30000 ms · as /, dtext);
    assert.deepEqual(await oneLine(dlq), [], 'times on one line');
    assert.match(dtext, new RegExp(`${record.id}\\s+in orders:dlq\\s+this message\\s+payment gateway timeout after 30000 ms\\s+5\\s`), dtext);
    assert.match(dtext, /group billing, consumer worker-2/);
    assert.match(dtext, /Replay…/);
    assert.match(dtext, /billing\s+Acknowledged[\s\S]*acknowledged when dead-lettered to orders:dlq as /);
    assert.ok((await dlq.evaluate(() => document.body.className)).includes('vscode-light'), 'drawn in the light theme first');
    await screenshot(page, 'journey-dead-letter');

    // The same panel in a dark theme: the page follows the theme's colours, nothing to redraw.
    await runCommand(page, 'Toggle between Light/Dark Themes');
    await page.locator('.monaco-workbench.vs-dark').first().waitFor({ state: 'attached', timeout: 30_000 });
    const deadline = Date.now() + 15_000;
    while (!(await dlq.evaluate(() => document.body.className)).includes('vscode-dark')) {
      if (Date.now() > deadline) throw new Error('the journey panel never took the dark theme');
      await page.waitForTimeout(200);
    }
    await screenshot(page, 'journey-dark');

    // Replay the record from the panel (confirmed in the dialog): the panel shows the replay; the
    // replay's own journey says its dead-letter record went with the replay and where to look.
    const original = (await dlq.evaluate(() => document.querySelector('#msg-id')!.innerText)).trim();
    await dlq.locator('a[data-action="replay"]').first().click();
    await inputBox(page, /^Replay rate/);
    const asked = await waitDialog(page);
    await dialogButton(page, asked.buttons.find((b) => !/cancel/i.test(b))!);
    // The panel draws the journey again (a new page): the replay chain of the original.
    const after = await journeyFrame(page, 'Each replay is the message written again');
    const chain = await after.evaluate(() => document.querySelector('#replay-chain')!.innerText);
    const replayId = chain.split('→')[1]!.trim().split(/\s/)[0]!;
    await after.locator(`#replay-chain a[data-id="${replayId}"]`).click();
    const replayed = await journeyFrame(page, `Journey of ${replayId}`);
    const rtext = await replayed.evaluate(() => document.querySelector('#journey')!.innerText);
    assert.match(rtext, new RegExp(`This message is a replay of ${original}\\. Replaying removed its dead-letter record: why and when it was dead-lettered is in the original's journey`), rtext);
    await screenshot(page, 'journey-replayed');
    assert.deepEqual(vs.pageErrors, []);
  });
});
