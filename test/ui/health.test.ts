// UI tier on the demo data: health marks lead the rows and roll up, readable at the side bar's
// default width (not widened). A fresh tree shows the marks on the stream and connection rows
// with nothing expanded below the streams (the background check), screenshotted as
// health-fresh-tree.png. Then the tree is drawn down to worker-2's pending entries,
// screenshotted as health-first.png, and each marked row is measured: the mark ("⚠ STUCK",
// "⚠ POISON", "⚠ 2 stuck · 1 poison") must lie inside the row's visible box, left of where an
// ellipsis would cut the text. The expected marks are counted from Redis by the test itself.
// (worker-1 holds 3 entries too: with the 1 s threshold both consumers are STUCK, so "2 stuck".)
import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import type { Page } from 'playwright-core';
import { seedDemo } from '../../src/core/dev/demo';
import {
  childrenOf,
  expandRow,
  loggable,
  reveal,
  runCommand,
  screenshot,
  waitRows,
  type TreeRow,
} from './harness';
import { uiSuite } from './suite';

const CONN = 'demo';
/** A pending row's label: its id's time (today, or with the date). */
const TIME_LABEL = /^(\d\d-\d\d )?\d\d:\d\d:\d\d$/;
const SIDEBAR_ROWS = '#workbench\\.parts\\.sidebar .monaco-list-row';

/** Where a row's description prefix ends on screen, and where the row's visible text ends. */
interface MarkBox {
  found: boolean;
  description: string;
  markRight: number;
  clipRight: number;
  sidebarWidth: number;
}

uiSuite('(ui) health first: marks lead the tree rows at the default side-bar width', { name: 'health', timeout: 240_000, redis: seedDemo }, (ctx) => {
  const vs = ctx.vs;

  /**
   * The marks of a stream as Redis tells them, counted here from raw replies (not by the code
   * under test): consumers holding entries idle ≥ 1 s (STUCK at the test's threshold) and pending
   * entries delivered ≥ 5 times (POISON), per group and in sum.
   */
  async function truth(stream: string): Promise<{ stuck: number; poison: number; groups: Record<string, { stuck: number; poison: number }> }> {
    const r = new Redis(ctx.redis.url, { maxRetriesPerRequest: 1 });
    try {
      const pairs = (a: unknown[]) => Object.fromEntries(Array.from({ length: a.length / 2 }, (_, i) => [String(a[2 * i]), a[2 * i + 1]]));
      const groups: Record<string, { stuck: number; poison: number }> = {};
      for (const g of ((await r.call('XINFO', 'GROUPS', stream)) as unknown[][]).map(pairs)) {
        const consumers = ((await r.call('XINFO', 'CONSUMERS', stream, String(g.name))) as unknown[][]).map(pairs);
        const pel = (await r.call('XPENDING', stream, String(g.name), '-', '+', 1000)) as [string, string, number, number][];
        groups[String(g.name)] = { stuck: consumers.filter((c) => Number(c.pending) > 0 && Number(c.idle) >= 1000).length, poison: pel.filter((e) => Number(e[3]) >= 5).length };
      }
      const sum = Object.values(groups).reduce((a, b) => ({ stuck: a.stuck + b.stuck, poison: a.poison + b.poison }), { stuck: 0, poison: 0 });
      return { ...sum, groups };
    } finally {
      r.disconnect();
    }
  }
  const marks = (c: { stuck: number; poison: number }) => `⚠ ${[c.stuck ? `${c.stuck} stuck` : '', c.poison ? `${c.poison} poison` : ''].filter(Boolean).join(' · ')} · `;

  const openVsCode = (): Promise<Page> =>
    vs.open({
      settings: {
        'redisQueues.connections': [{ name: CONN, url: ctx.redis.url }],
        // worker-2 of the demo has been idle for minutes: with 1 s it is STUCK for sure.
        'redisQueues.thresholds.stuckConsumerIdleSeconds': 1,
        'redisQueues.refreshIntervalSeconds': 0,
      },
    });

  /** Measures where `prefix` (the start of the description, or label, of the row labelled `label`) ends on screen. */
  async function markBox(page: Page, label: string, prefix: string, part: 'description' | 'label' = 'description'): Promise<MarkBox> {
    return page.locator(SIDEBAR_ROWS).evaluateAll(
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      (rows: any[], [label, prefix, part]: [string, string, string]) => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const doc = (globalThis as any).document;
        const sidebar = doc.querySelector('#workbench\\.parts\\.sidebar').getBoundingClientRect();
        const row = rows.find((r) => r.querySelector('.label-name')?.innerText.trim() === label);
        const d = row?.querySelector(part === 'label' ? '.label-name' : '.label-description');
        const text: string = d?.textContent ?? '';
        if (!row || !d || !text.startsWith(prefix)) return { found: false, description: text, markRight: 0, clipRight: 0, sidebarWidth: sidebar.width };
        // The prefix may span text nodes: walk them to the character where it ends.
        const walker = doc.createTreeWalker(d, 4 /* NodeFilter.SHOW_TEXT */);
        let left = prefix.length;
        let node = walker.nextNode();
        while (node && node.textContent.length < left) {
          left -= node.textContent.length;
          node = walker.nextNode();
        }
        const range = doc.createRange();
        range.setStart(node, left - 1);
        range.setEnd(node, left);
        const mark = range.getBoundingClientRect();
        const container = (d.closest('.monaco-icon-label-container') ?? d).getBoundingClientRect();
        const r = row.getBoundingClientRect();
        return { found: true, description: text, markRight: mark.right, clipRight: Math.min(container.right, r.right, sidebar.right), sidebarWidth: sidebar.width };
      },
      [label, prefix, part] as [string, string, string],
    );
  }

  it('a fresh tree shows STUCK and POISON on the connection and stream rows without expanding anything below them (background check)', async () => {
    const page = await openVsCode();
    // Only what has to be open for stream rows to exist: the connection and its Streams folder.
    await expandRow(page, CONN);
    await expandRow(page, 'Streams');
    const orders = await truth('orders');
    const images = await truth('images');
    assert.ok(orders.stuck > 0 && orders.poison > 0, `the demo has STUCK and POISON under orders: ${JSON.stringify(orders)}`);
    const all = { stuck: orders.stuck + images.stuck + (await truth('audit')).stuck, poison: orders.poison + images.poison };
    const rows = await waitRows(page, 'the background check\'s marks on orders and the connection', (rs) => {
      const d = (label: string) => rs.find((r) => r.label === label)?.description ?? '';
      return d('orders').startsWith(marks(orders)) && d(CONN).startsWith(marks(all));
    });
    assert.match(rows.find((r) => r.label === 'orders')!.description, /^⚠ \d+ stuck · \d+ poison · 500 entries · /);
    assert.ok(!rows.some((r) => ['Groups', 'billing', 'worker-2'].includes(r.label)), `nothing below the stream rows is expanded: ${loggable(rows.map((r) => r.text))}`);
    assert.ok(!rows.find((r) => r.label === 'audit')!.description.startsWith('⚠'), 'audit (nothing pending) has no mark');
    const shot = await screenshot(page, 'health-fresh-tree');
    console.log(`      screenshot: ${shot}`);
    console.log(`      tree: ${loggable(rows.map((r) => r.text))}`);
    for (const [label, prefix] of [[CONN, marks(all).trim()], ['orders', marks(orders).trim()]] as const) {
      const box = await markBox(page, label, prefix.replace(/ ·$/, ''));
      assert.ok(box.found, `row ${label}: description "${box.description}" does not start with "${prefix}"`);
      assert.ok(box.sidebarWidth <= 320, `the side bar is ${box.sidebarWidth} px wide: not the default width`);
      assert.ok(box.markRight <= box.clipRight - 12, `row ${label}: "${prefix}" ends at ${box.markRight} px, the row is cut at ${box.clipRight} px`);
    }
  });

  it('leads rows with STUCK / POISON, rolls them up to billing, orders and the connection, all readable at ~300 px', async () => {
    const page = await openVsCode();
    // Down to worker-2's pending entries, as a user would: this draws (and reads) them once.
    await expandRow(page, CONN);
    await expandRow(page, await reveal(page, 'orders', 'Streams'));
    await expandRow(page, await reveal(page, 'billing', 'Groups'));
    await expandRow(page, 'worker-2');
    await waitRows(page, 'the pending entries of worker-2', (rs) => {
      const w = rs.find((r) => r.label === 'worker-2');
      return !!w && childrenOf(rs, w.index).length > 0;
    });
    // A refresh reads the open rows again: the marks stay (they come from the background check).
    await runCommand(page, 'Redis Queues: Refresh');
    const orders = await truth('orders');
    const all = { stuck: orders.stuck + (await truth('images')).stuck + (await truth('audit')).stuck, poison: orders.poison + (await truth('images')).poison };
    let entries: TreeRow[] = [];
    const rows = await waitRows(page, 'marks first, rolled up to billing, orders and demo', (rs) => {
      const d = (label: string) => rs.find((r) => r.label === label)?.description ?? '';
      const w = rs.find((r) => r.label === 'worker-2');
      entries = w ? childrenOf(rs, w.index) : [];
      return (
        d('worker-2').startsWith('⚠ STUCK · ') &&
        d('billing').startsWith('⚠ 2 stuck · 1 poison · ') &&
        d('orders').startsWith(marks(orders)) &&
        d(CONN).startsWith(marks(all)) &&
        entries.filter((e) => e.description.startsWith('⚠ POISON · ')).length === 1
      );
    });
    const find = (label: string) => rows.find((r) => r.label === label)!;
    assert.equal(find(CONN).description.replace(/Redis \d+\.\d+\.\d+/, 'Redis x'), `${marks(all)}Redis x · standalone`);
    assert.ok(find('orders').description.startsWith(`${marks(orders)}500 entries · `), find('orders').description);
    assert.match(find('billing').description, /^⚠ 2 stuck · 1 poison · 9 pending · lag 14 · /);
    assert.match(find('worker-2').description, /^⚠ STUCK · 1 poison · 6 pending · idle /);
    // With the 1 s threshold worker-1 (3 fresh pending) is STUCK too; groups not expanded carry
    // their marks from the background check (fraud-check, shipping); healthy rows none (audit).
    // Consumers by name.
    assert.match(find('worker-1').description, /^⚠ STUCK · 3 pending · idle /);
    for (const g of ['fraud-check', 'shipping']) assert.ok(find(g).description.startsWith(marks(orders.groups[g]!)), `${g}: ${find(g).description}`);
    assert.doesNotMatch(find('audit').description, /⚠/, 'audit');
    const billingKids = childrenOf(rows, find('billing').index).map((r) => r.label);
    assert.deepEqual(billingKids, ['worker-1', 'worker-2']);
    // Pending entries: the POISON one leads with its mark; all show a preview of their message.
    assert.equal(entries.length, 6);
    // The deepest rows, at the default side bar width: the label is the id's time (short), the
    // POISON mark and the figures lead the description, the id ends it.
    const poison = entries.find((e) => e.description.startsWith('⚠ POISON · '))!;
    for (const e of entries) assert.match(e.label, TIME_LABEL);
    assert.match(poison.description, /^⚠ POISON · 7× · idle 50m( \d+s)? · orderId=ord-\d+ product=.* · \d+-0$/);
    for (const e of entries.filter((x) => x !== poison)) assert.match(e.description, /^2× · idle 45m( \d+s)? · orderId=ord-\d+ .* · \d+-0$/);

    const shot = await screenshot(page, 'health-first');
    console.log(`      screenshot: ${shot}`);
    console.log(`      tree: ${loggable(rows.map((r) => r.text))}`);

    // Each mark ends inside the visible part of its row (12 px spare for an ellipsis).
    const checks: [string, string, ('description' | 'label')?][] = [
      [CONN, marks(all).replace(/ · $/, '')],
      ['orders', marks(orders).replace(/ · $/, '')],
      ['billing', '⚠ 2 stuck · 1 poison'],
      ['worker-2', '⚠ STUCK'],
      // The pending rows: the time (label), then the mark and the deliveries.
      ...entries.map((e): [string, string] => [e.label, e === poison ? '⚠ POISON · 7×' : '2× · idle 45m']),
    ];
    for (const [label, prefix, part] of checks) {
      const box = await markBox(page, label, prefix, part);
      assert.ok(box.found, `row ${label}: description "${box.description}" does not start with "${prefix}"`);
      assert.ok(box.sidebarWidth <= 320, `the side bar is ${box.sidebarWidth} px wide: not the default width`);
      assert.ok(box.markRight <= box.clipRight - 12, `row ${label}: "${prefix}" ends at ${box.markRight} px, the row is cut at ${box.clipRight} px (side bar ${box.sidebarWidth} px)`);
      console.log(`      ${label}: "${prefix}" ends at ${Math.round(box.markRight)} px of ${Math.round(box.clipRight)} px (side bar ${Math.round(box.sidebarWidth)} px)`);
    }
  });
});
