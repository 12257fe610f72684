// UI tier on the demo data (seedDemo on a sandbox redis-server): the explorer down to pending
// entries and list-queue jobs, a live tail fed from a producer file's CodeLens, and claim / ack /
// auto-claim from the tree's context menus, checked in Redis. Each test gets its own freshly
// seeded data, code-server and Chromium (1600×1000, side bar widened so descriptions are legible).
// Screenshots go to .test-output/screenshots/ (scripts/update-screenshots.mjs copies the README's).
import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import type { Frame, Page } from 'playwright-core';
import { seedDemo } from '../../src/core/dev/demo';
import { parseDuration } from '../../src/core/inspect/health';
import {
  childrenOf,
  closeNotifications,
  collapseRow,
  contextMenu,
  dialogButton,
  expandRow,
  inputBox,
  loggable,
  quickPick,
  quickPickItems,
  reveal,
  row,
  rowAt,
  runCommand,
  runCommandPick,
  screenshot,
  treeRows,
  treeRowsInfo,
  waitDialog,
  waitNotification,
  waitQuickInput,
  waitRows,
  webviewFrame,
  type TreeRow,
} from './harness';
import { uiSuite } from './suite';

const CONN = 'demo';

type PendingRow = [id: string, consumer: string, idle: number, deliveries: number];

uiSuite('(ui) demo data: explorer, tail + producer file, claim / ack', { name: 'demo', timeout: 240_000, redis: true }, (ctx) => {
  let client: Redis;
  const vs = ctx.vs;

  before(async () => {
    client = new Redis(ctx.redis.url, { maxRetriesPerRequest: 1 });
  });

  beforeEach(async () => {
    await seedDemo(ctx.redis.url);
  });

  after(async () => {
    client?.disconnect();
  });

  const openVsCode = (sidebarWidth = 640, refreshIntervalSeconds = 0): Promise<Page> =>
    vs.open({
      settings: {
        'redisQueues.connections': [{ name: CONN, url: ctx.redis.url }],
        // worker-2 of the demo has been idle for minutes: with 1 s it is STUCK for sure.
        'redisQueues.thresholds.stuckConsumerIdleSeconds': 1,
        // No auto-refresh, unless a test is about it.
        'redisQueues.refreshIntervalSeconds': refreshIntervalSeconds,
      },
      sidebarWidth,
    });

  /** connection → Streams → orders → Groups → billing → worker-2, returning worker-2's entry rows. */
  async function expandToWorker2(page: Page): Promise<TreeRow[]> {
    await expandRow(page, CONN);
    await expandRow(page, await reveal(page, 'orders', 'Streams'));
    await expandRow(page, await reveal(page, 'billing', 'Groups'));
    await expandRow(page, 'worker-2');
    // The state acted on next: worker-2's six entries drawn, its marks and the roll-up up to the
    // connection settled (the background check and the page drawn agree on one POISON entry).
    const rows = await waitRows(page, 'the pending entries of worker-2, its marks rolled up', (rs) => {
      const w = rs.find((r) => r.label === 'worker-2');
      const c = rs.find((r) => r.label === CONN);
      return !!w && !!c && childrenOf(rs, w.index).length === 6 && /^⚠ STUCK · 1 poison · 6 pending/.test(w.description) && /^⚠ \d+ stuck · \d+ poison · /.test(c.description);
    });
    return childrenOf(rows, rows.find((r) => r.label === 'worker-2')!.index);
  }

  async function pendingOf(consumer?: string): Promise<PendingRow[]> {
    const args: (string | number)[] = ['orders', 'billing', '-', '+', 1000];
    if (consumer) args.push(consumer);
    return (await client.call('XPENDING', ...args)) as PendingRow[];
  }

  async function waitRedis<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let v = await get();
    while (!ok(v) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      v = await get();
    }
    assert.ok(ok(v), `${what}: ${JSON.stringify(v)}`);
    return v;
  }

  it('explorer: orders → billing → worker-2 down to its pending entries (STUCK, POISON), and emails → Processing', async () => {
    const page = await openVsCode();
    const entries = await expandToWorker2(page);
    // The marks of the streams shown (the background check, and the rows drawn) roll up into the
    // stream and connection rows. (Wait for both marks: the check and the drawing may land apart.)
    const rows = await waitRows(page, 'the marks rolled up to the connection row', (rs) =>
      [CONN, 'orders'].every((l) => /^⚠ \d+ stuck · 2 poison · /.test(rs.find((r) => r.label === l)?.description ?? '')),
    );
    const find = (label: string) => rows.find((r) => r.label === label);

    // Connection, stream and groups as the demo seeded them (no errors anywhere).
    assert.ok(!rows.some((r) => /cannot connect|error|unreachable/i.test(r.text)), `the tree shows an error: ${loggable(rows.map((r) => r.text))}`);
    // Health first: the marks lead each row and roll up (the stuck threshold is 1 s here).
    // (POISON: worker-2's entry in billing and one of checker-2's in fraud-check, found by the
    // background check without expanding fraud-check.)
    assert.match(find(CONN)?.description ?? '', /^⚠ \d+ stuck · 2 poison · Redis \d+\.\d+\.\d+ · standalone$/);
    assert.match(find('orders')?.description ?? '', /^⚠ \d+ stuck · 2 poison · 500 entries · last \d+(\.\d+)?s ago · 3 groups$/);
    // billing: worker-2's 6 + worker-1's 3 pending; 486 of 500 read → lag 14; its oldest entries 2 h 30 m old.
    assert.match(find('billing')?.description ?? '', /^⚠ 2 stuck · 1 poison · 9 pending · lag 14 · oldest 2h \d+m · 2 consumers$/);
    assert.match(find('shipping')?.description ?? '', /^(⚠ \d+ stuck · )?2 pending · lag 460 · oldest \d+(h|m) \d+(m|s) · 1 consumer$/);
    assert.match(find('worker-2')?.description ?? '', /^⚠ STUCK · 1 poison · 6 pending · idle \d+(\.\d+)?s$/);
    assert.equal(entries.length, 6, `worker-2 shows ${entries.length} pending entries`);
    // The demo made one entry idle 50 min / delivered 7× (poison at ≥ 5) and five idle 45 min / 2×.
    // (each row: its time as the label; the mark and figures first, the id last, in the description)
    const poison = entries.filter((e) => /^⚠ POISON · /.test(e.description));
    assert.equal(poison.length, 1, `POISON rows: ${loggable(entries.map((e) => e.text))}`);
    assert.match(poison[0]!.description, /^⚠ POISON · 7× · idle 50m( \d+s)? · orderId=.* · \d+-0$/);
    for (const e of entries.filter((x) => !/POISON/.test(x.description))) assert.match(e.description, /^2× · idle 45m( \d+s)? · orderId=.* · \d+-0$/);
    for (const e of entries) assert.match(e.label, /^(\d\d-\d\d )?\d\d:\d\d:\d\d$/, 'labelled with the id\'s time');
    // The tree shows what Redis holds: same ids, same owner.
    const pel = await pendingOf('worker-2');
    assert.deepEqual(entries.map((e) => e.id).sort(), pel.map((p) => p[0]).sort());
    assert.equal(poison[0]!.id, pel.find((p) => p[3] === 7)?.[0]);
    await screenshot(page, 'tree-pending');
    console.log(`      tree: ${loggable(rows.map((r) => r.text))}`);

    // List queues → emails → Processing (Streams collapsed so the list queue is in view).
    await collapseRow(page, 'Streams');
    await expandRow(page, 'List queues');
    await expandRow(page, 'emails');
    await expandRow(page, 'Processing');
    const lrows = await waitRows(page, 'the processing jobs of emails', (rs) => {
      const p = rs.find((r) => r.label === 'Processing');
      return !!p && childrenOf(rs, p.index).length > 0;
    });
    const lfind = (label: string) => lrows.find((r) => r.label === label);
    assert.match(lfind('emails')?.description ?? '', /^⚠ STUCK · 20 waiting · 3 processing · 2 dead · oldest running 1h( \d+m)?$/);
    assert.match(lfind('Processing')?.description ?? '', /^3 · longest-running on top$/);
    const jobs = childrenOf(lrows, lfind('Processing')!.index);
    assert.deepEqual(jobs.map((j) => j.label).sort(), ['mail-20', 'mail-21', 'mail-22']);
    // mail-20 has been running for an hour; with the 1 s threshold every running job is STUCK.
    assert.match(jobs.find((j) => j.label === 'mail-20')!.description, /^⚠ STUCK · running 1h( \d+m)? · attempt 1 · to=user20@example\.com/);
    assert.match(lfind('Waiting')?.description ?? '', /^20 · next job on top$/);
    assert.match(lfind('Dead-letter')?.description ?? '', /^2$/);
    await screenshot(page, 'tree-list-queue');
    console.log(`      list queue: ${loggable(lrows.filter((r) => r.level >= 3).map((r) => r.text))}`);
  });

  /** VS Code with the demo connection, and a tail of `orders` from now opened from the tree (0 rows). */
  async function tailOrders(): Promise<{ page: Page; tail: Frame }> {
    const page = await openVsCode(420);
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

  it('tail + producer file: "Tail Stream…" from now, then ▶ Publish and ×10 from a .redisq file show up as rows', async () => {
    const { page, tail } = await tailOrders();
    assert.equal(await tail.locator('#title').innerText(), `orders · ${CONN} · from now`);

    // The product's own sample, as a new file in the workspace folder.
    await runCommandPick(page, 'Redis Queues: New Producer File', 'New producer file', 'New file in');
    await page.locator('.tabs-container .tab', { hasText: 'producer.redisq' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await runCommand(page, 'View: Move Editor into Right Group');
    const publish = page.locator('.codelens-decoration a', { hasText: /Publish$/ }).locator('visible=true').first();
    await publish.waitFor({ state: 'visible', timeout: 30_000 });
    // The CodeLens provider may answer more than once (it re-renders the links): wait for the full row.
    const lensText = async () => (await page.locator('.codelens-decoration').locator('visible=true').first().innerText().catch(() => '')).replace(/\s+/g, ' ').trim();
    let lenses = await lensText();
    for (const deadline = Date.now() + 15_000; !/Publish \| ×10 \| ×N… \| → stream orders/.test(lenses) && Date.now() < deadline; lenses = await lensText()) await page.waitForTimeout(200);
    assert.match(lenses, /Publish \| ×10 \| ×N… \| → stream orders/);
    await closeNotifications(page);
    await screenshot(page, 'producer-file');

    await clickLens(page, publish, 1);
    await waitText(tail, '#count', /^1 rows?$/);
    await clickLens(page, page.locator('.codelens-decoration a', { hasText: /^×10$/ }).locator('visible=true').first(), 10);
    await waitText(tail, '#count', /^11 rows$/);

    // The rows are what the file rendered (orderId = ord-{{seq}}: 1, then 2…11), newest on top,
    // and the same entries Redis holds.
    const tailRows = await tail.locator('#rows .row').evaluateAll((trs) =>
      trs.map((tr) => ({ id: tr.querySelector('.id')?.textContent ?? '', fields: Object.fromEntries([...tr.querySelectorAll('span.f')].map((f) => [f.querySelector('.k')?.textContent?.replace(/=$/, '') ?? '', f.querySelector('.v')?.textContent ?? ''])) })),
    );
    assert.deepEqual(tailRows.map((r) => r.fields.orderId), Array.from({ length: 11 }, (_, i) => `ord-${11 - i}`));
    for (const r of tailRows) {
      assert.match(r.fields.total ?? '', /^\d+\.\d{2}$/);
      assert.match(r.fields.customer ?? '', /@/);
      assert.doesNotThrow(() => JSON.parse(r.fields.payload ?? ''), `payload of ${r.id} is not JSON: ${r.fields.payload}`);
    }
    const newest = (await client.xrevrange('orders', '+', '-', 'COUNT', 11)).map(([id]) => id);
    assert.deepEqual(tailRows.map((r) => r.id), newest);
    assert.match(await tail.locator('#rate').innerText(), /^\d+\.\d msg\/s$/);
    assert.equal(await tail.locator('#state').innerText(), 'following');
    assert.ok(!(await tail.locator('#error').isVisible()), `the tail shows an error: ${await tail.locator('#error').innerText()}`);
    const note = await waitNotification(page, /Published 10 messages "order-created" to stream "orders" on "demo"/);
    await closeNotifications(page);
    await screenshot(page, 'tail-view');
    console.log(`      notification: ${note}`);
  });

  it('tail view controls: filter, pause/resume, clear; a burst faster than the view shows the newest and says how many it skipped', async () => {
    const { page, tail } = await tailOrders();
    const add = async (n: number, tag: string): Promise<string[]> => {
      const p = client.pipeline();
      for (let i = 0; i < n; i++) p.xadd('orders', '*', 'tag', tag, 'i', String(i));
      return ((await p.exec()) ?? []).map(([e, id]) => {
        if (e) throw e;
        return String(id);
      });
    };
    const shown = () =>
      tail.locator('#rows .row:not(.hidden)').evaluateAll((els) => els.map((el) => ({ id: el.querySelector('.id')?.textContent ?? '', text: el.querySelector('.fields')?.textContent ?? '' })));
    await add(5, 'alpha');
    await add(5, 'beta');
    await waitText(tail, '#count', /^10 rows$/);

    // The filter matches field text, case-insensitively, and hides the rest.
    await tail.locator('#filter').fill('BETA');
    assert.deepEqual((await shown()).map((r) => r.text), ['tag=betai=4', 'tag=betai=3', 'tag=betai=2', 'tag=betai=1', 'tag=betai=0']);
    await tail.locator('#filter').fill('');
    assert.equal((await shown()).length, 10);

    // Pause reads nothing more and says how many arrived; Resume shows them, newest on top.
    await tail.locator('#pause').click();
    assert.equal(await tail.locator('#pause').innerText(), 'Resume');
    assert.equal(await tail.locator('#state').innerText(), 'paused');
    const gamma = await add(3, 'gamma');
    await waitText(tail, '#count', /^10 rows \(\+3 new while paused\)$/);
    assert.equal((await shown()).length, 10, 'nothing drawn while paused');
    await tail.locator('#pause').click();
    await waitText(tail, '#count', /^13 rows$/);
    assert.deepEqual((await shown()).slice(0, 3).map((r) => r.id), [...gamma].reverse());

    await tail.locator('#clear').click();
    await waitText(tail, '#count', /^0 rows$/);

    // 20,000 entries at once: the view jumps to the newest, keeps at most tail.maxRows (5,000) and
    // says how many it did not show.
    const burst = await add(20_000, 'burst');
    await waitText(tail, '#state', /^following · \d+ not shown to keep up \(newest first\)$/, 30_000);
    const deadline = Date.now() + 30_000;
    while ((await shown())[0]?.id !== burst[burst.length - 1] && Date.now() < deadline) await page.waitForTimeout(200);
    const rows = await shown();
    assert.equal(rows[0]?.id, burst[burst.length - 1], 'the newest entry is on top');
    assert.ok(rows.length <= 5000, `${rows.length} rows shown`);
    // The count settles with the next status (once a second) after the last batch: wait for it.
    const notShown = async () => {
      const text = (await tail.locator('#state').innerText()).trim();
      return { text, skipped: Number(/(\d+) not shown/.exec(text)?.[1]) };
    };
    let { text: state, skipped } = await notShown();
    for (const deadline = Date.now() + 15_000; !(skipped > 0 && skipped <= 20_000 - rows.length) && Date.now() < deadline; ({ text: state, skipped } = await notShown())) await page.waitForTimeout(200);
    assert.ok(skipped > 0 && skipped <= 20_000 - rows.length, `${skipped} not shown, ${rows.length} shown`);
    await screenshot(page, 'tail-burst');
    console.log(`      after a burst of 20,000: ${rows.length} rows shown, "${state}"`);
  });

  /**
   * Clicks a CodeLens and waits until `orders` grew by `n`. CodeLenses are re-rendered when the
   * provider answers again, so a click can hit a link that was just replaced: click again only
   * when nothing was published after 5 s and the product said nothing (an error is reported as is).
   */
  async function clickLens(page: Page, lens: ReturnType<Page['locator']>, n: number): Promise<void> {
    const before = await client.xlen('orders');
    for (let attempt = 0; attempt < 3; attempt++) {
      await lens.click();
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline) {
        const len = await client.xlen('orders');
        if (len >= before + n) {
          assert.equal(len, before + n, `one click published ${len - before} entries, expected ${n}`);
          return;
        }
        await page.waitForTimeout(200);
      }
      const notes = await notificationsText(page);
      await closeNotifications(page);
      if (notes) throw new Error(`the CodeLens published nothing; notifications: ${notes}`);
      console.log('      (the CodeLens click published nothing within 5 s; clicking again)');
    }
    throw new Error('three clicks on the CodeLens published nothing (and no notification)');
  }

  it('claim (XCLAIM) to a new consumer and acknowledge (XACK) from the tree; auto-claim preview (XAUTOCLAIM)', async () => {
    const before = await pendingOf('worker-2');
    const target = before.find((p) => p[3] === 2)![0];
    const page = await openVsCode();
    const entries = await expandToWorker2(page);
    const entryRow = entries.find((e) => e.id === target);
    assert.ok(entryRow, `no row for ${target} under worker-2`);

    // Claim it for a new consumer.
    await contextMenu(page, rowAt(page, entryRow.index), 'Claim (XCLAIM)…');
    await quickPick(page, 'Claim to which consumer of "billing"?', 'New consumer name…');
    await inputBox(page, 'New consumer name', 'ui-claimer');
    const minIdle = await inputBox(page, 'Only claim entries idle at least');
    const minIdleMs = parseDuration(minIdle);
    assert.ok(minIdleMs >= 45 * 60_000 && minIdleMs < 60 * 60_000, `default min-idle "${minIdle}" is not the idle time the tree showed`);
    const confirm = await waitDialog(page);
    assert.match(confirm.text, /Claim 1 pending entry of "orders" for consumer "ui-claimer"\?/);
    assert.match(confirm.text, /Ownership moves from worker-2 to ui-claimer; delivery counts stay as they are\./);
    assert.ok(confirm.buttons.includes('Claim'), `dialog buttons: ${confirm.buttons.join(', ')}`);
    await screenshot(page, 'confirm-claim');
    await dialogButton(page, 'Claim');
    const owned = await waitRedis(`${target} owned by ui-claimer`, () => pendingOf('ui-claimer'), (v) => v.some((p) => p[0] === target));
    // ops.claim sends XCLAIM … JUSTID, which leaves the delivery count as it was (2), as the dialog says.
    assert.equal(owned.find((p) => p[0] === target)![3], 2, 'delivery count after XCLAIM … JUSTID');
    assert.ok(!(await pendingOf('worker-2')).some((p) => p[0] === target), 'still pending for worker-2 too');

    // The tree redraws the group: the entry sits under ui-claimer now.
    await reveal(page, 'ui-claimer', 'billing');
    await expandRow(page, 'ui-claimer');
    const afterClaim = await waitRows(page, `${target} under ui-claimer and not under worker-2`, (rs) => {
      const u = rs.find((r) => r.label === 'ui-claimer');
      const w = rs.find((r) => r.label === 'worker-2');
      return !!u && !!w && childrenOf(rs, u.index).some((r) => r.id === target) && !childrenOf(rs, w.index).some((r) => r.id === target);
    });
    assert.match(afterClaim.find((r) => r.label === 'ui-claimer')!.description, /^(⚠ STUCK · )?1 pending · idle /);
    assert.match(afterClaim.find((r) => r.label === 'worker-2')!.description, /^(⚠ STUCK · (1 poison · )?)?5 pending · /);
    const claimedRow = childrenOf(afterClaim, afterClaim.find((r) => r.label === 'ui-claimer')!.index).find((r) => r.id === target)!;
    assert.match(claimedRow.description, /^2× · idle \d+(\.\d+)?m?s · orderId=/);

    // Acknowledge it.
    await contextMenu(page, rowAt(page, claimedRow.index), 'Acknowledge (XACK)…');
    const ack = await waitDialog(page);
    assert.match(ack.text, /Acknowledge 1 pending entry in group "billing" of "orders"\?/);
    await dialogButton(page, 'Acknowledge');
    await waitRedis(`${target} gone from the PEL`, () => pendingOf(), (v) => !v.some((p) => p[0] === target));
    await waitRows(page, 'ui-claimer without pending entries', (rs) => /^0 pending/.test(rs.find((r) => r.label === 'ui-claimer')?.description ?? ''));
    await screenshot(page, 'after-claim-ack');

    // Auto-claim: worker-2's five stale entries (idle 45–50 min) to worker-1, previewed first.
    await contextMenu(page, row(page, 'billing'), 'Auto-claim Stale Entries (XAUTOCLAIM)…');
    await quickPick(page, 'Claim to which consumer of "billing"?', 'worker-1');
    await inputBox(page, 'Claim entries idle at least', '10m');
    const title = await waitQuickInput(page, /Auto-claim preview/);
    assert.match(title, /Auto-claim preview: 5 entries would move to "worker-1"/);
    const items = await quickPickItems(page);
    const stale = (await pendingOf('worker-2')).map((p) => p[0]);
    assert.equal(items.length, 5, `preview items: ${items.join(' | ')}`);
    for (const id of stale) {
      const it = items.find((i) => i.includes(id));
      assert.ok(it, `${id} missing from the preview: ${items.join(' | ')}`);
      assert.match(it, /worker-2 · idle (45|50)m( \d+s)? · delivered [27]×/);
    }
    // The POISON entry (delivered 7×) starts unticked: claiming it would only deliver it again.
    const unticked = await page.locator('.quick-input-widget .quick-input-list .monaco-list-row[aria-checked="false"]').allInnerTexts();
    assert.equal(unticked.length, 1, `unticked: ${unticked.join(' | ')}`);
    assert.match(unticked[0]!, /delivered 7× · POISON/);
    const poisonId = stale.find((id) => unticked[0]!.includes(id))!;
    assert.ok(poisonId, `the unticked row is none of worker-2's: ${unticked[0]}`);
    assert.match(title, /POISON entries are unticked/);
    await screenshot(page, 'claim-preview');
    await page.locator('.quick-input-widget .quick-input-box input').first().press('Enter');
    const auto = await waitDialog(page);
    assert.match(auto.text, /Claim 4 entries of group "billing" for "worker-1"\?/);
    assert.match(auto.text, /From: worker-2\. Ownership moves; delivery counts stay as they are\./);
    await screenshot(page, 'confirm-autoclaim');
    await dialogButton(page, 'Claim');
    await waitRedis('worker-2 holds only the POISON entry after the auto-claim', () => pendingOf('worker-2'), (v) => v.length === 1 && v[0]![0] === poisonId);
    const w1 = (await pendingOf('worker-1')).map((p) => p[0]);
    for (const id of stale.filter((x) => x !== poisonId)) assert.ok(w1.includes(id), `${id} not moved to worker-1`);
    await waitRows(page, 'worker-1 with 7 pending', (rs) => /^7 pending/.test(rs.find((r) => r.label === 'worker-1')?.description ?? ''));
    console.log(`      after: ${loggable(await treeRows(page))}`);
  });

  // Skipped: with a 1 s tick, 1 or 2 of 3 claims in a run reach the command without their row
  // (the command says "The tree was being redrawn; try again"): each tick redraws orders (its
  // "last … ago" changes) and VS Code drops the elements of the rows below it until it has read
  // them again, one level per round trip between the browser and the extension host.
  it.skip('(skipped: at a 1 s auto-refresh some right-clicks still land in the redraw gap, not fixed yet) claims from the tree while it auto-refreshes every second: each right-click reaches its row, and the new owners show by themselves', async () => {
    const page = await openVsCode(640, 1);
    const entries = await expandToWorker2(page);
    const ids = entries.map((e) => e.id).slice(1, 4);
    // (New owners named to sort after worker-2: nothing is added above the rows clicked next.)
    const owners = ids.map((_, i) => `zz-ticker-${i}`);
    for (const [i, id] of ids.entries()) {
      await waitRows(page, `${id} under worker-2`, (rs) => {
        const w = rs.find((r) => r.label === 'worker-2');
        return !!w && childrenOf(rs, w.index).some((r) => r.id === id);
      });
      await contextMenu(page, rowAt(page, (await treeRowsInfo(page)).find((r) => r.id === id)!.index), 'Claim (XCLAIM)…');
      await quickPick(page, 'Claim to which consumer of "billing"?', 'New consumer name…');
      await inputBox(page, 'New consumer name', owners[i]);
      await inputBox(page, 'Only claim entries idle at least');
      await waitDialog(page);
      await dialogButton(page, 'Claim');
      await waitRedis(`${id} owned by ${owners[i]}`, () => pendingOf(owners[i]), (v) => v.some((p) => p[0] === id));
      // The state the next click acts on: the claimed row gone from worker-2 (rows below it
      // move up one when it goes; a click must not race that).
      await waitRows(page, `${id} gone from worker-2, ${owners[i]} drawn`, (rs) => {
        const w = rs.find((r) => r.label === 'worker-2');
        return !!w && !childrenOf(rs, w.index).some((r) => r.id === id) && rs.some((r) => r.label === owners[i]);
      });
    }
    const said = await notificationsText(page);
    assert.doesNotMatch(said, /redrawn|Select one or more/, 'a claim reached its command without its row');
    // Auto-refresh draws the new owners and worker-2's three fewer entries without a click.
    await waitRows(page, 'the new owners and worker-2 with 3 pending', (rs) =>
      owners.every((o) => /^(⚠ STUCK · )?1 pending/.test(rs.find((r) => r.label === o)?.description ?? '')) && /^⚠ STUCK · (1 poison · )?3 pending/.test(rs.find((r) => r.label === 'worker-2')?.description ?? ''),
    );
    await screenshot(page, 'claim-during-auto-refresh');
  });

  it('raised no uncaught errors in the workbench pages', () => {
    assert.deepEqual(vs.pageErrors, []);
  });
});

async function notificationsText(page: Page): Promise<string> {
  const { notifications } = await import('./harness');
  return (await notifications(page)).join(' | ');
}

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
