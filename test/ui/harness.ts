// Typed access, from the compiled (CommonJS) tests, to scripts/codeServer.mjs: isolated code-server
// start/stop, payload URLs, headless Chromium, .vsix installs. Not a test file itself.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const root = join(__dirname, '..', '..', '..');
export const screenshotDir = join(root, '.test-output', 'screenshots');

export interface CodeServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number | undefined;
  readonly dir: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly logPath: string;
  payloadUrl(p?: PayloadOptions): string;
  stop(): Promise<void>;
}

export interface PayloadOptions {
  folder?: string;
  extensionDevelopmentPath?: string | string[];
  extensionTestsPath?: string;
  extensionEnvironment?: Record<string, string>;
}

export interface StartOptions {
  settings?: Record<string, unknown>;
  extensionsDir?: string;
  port?: number;
  smokeTestDriver?: boolean;
  env?: Record<string, string>;
  args?: string[];
  timeoutMs?: number;
  logLevel?: string;
  /** Workspace trust on: folders open in Restricted Mode until trusted (default off). */
  workspaceTrust?: boolean;
}

export interface ChromiumSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export interface CodeServerLib {
  startCodeServer(o?: StartOptions): Promise<CodeServer>;
  launchChromium(o?: { viewport?: { width: number; height: number }; timeoutMs?: number }): Promise<ChromiumSession>;
  installExtension(vsix: string, extensionsDir: string): string;
  listExtensions(extensionsDir: string): string[];
  waitWorkbench(page: Page, timeoutMs?: number): Promise<void>;
  tail(path: string, lines?: number): string;
  freePort(): Promise<number>;
}

// tsc (module commonjs) turns import() into require(), which cannot load an ES module on Node 20.
const importEsm = new Function('u', 'return import(u)') as (u: string) => Promise<CodeServerLib>;

let lib: Promise<CodeServerLib> | undefined;
/** Loads scripts/codeServer.mjs once. */
export function codeServerLib(): Promise<CodeServerLib> {
  lib ??= importEsm(pathToFileURL(join(root, 'scripts', 'codeServer.mjs')).href);
  return lib;
}

/** Saves a screenshot as .test-output/screenshots/<name>.png and returns its path (`keepPointer`: a hover shown stays in it). */
export async function screenshot(page: Page, name: string, o?: { keepPointer?: boolean }): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  if (!o?.keepPointer) {
    // Move the pointer off the activity bar so no hover tooltip covers the view.
    await page.mouse.move(800, 600);
    await page.waitForTimeout(300);
  }
  await page.screenshot({ path });
  return path;
}

/** After a failed test: a screenshot named after it, its path logged (no error when the page is gone). uiSuite (suite.ts) calls it. */
export async function screenshotIfFailed(test: Mocha.Test | undefined, page: Page | undefined): Promise<void> {
  if (test?.state !== 'failed' || !page) return;
  const name = `failed-${test.title.replace(/[^\w]+/g, '-').slice(0, 60)}`;
  await screenshot(page, name).then((p) => console.log(`      screenshot: ${p}`), () => undefined);
}

/** Opens the Redis Queues container by clicking its activity-bar icon. */
export async function openRedisQueues(page: Page): Promise<void> {
  await page.locator('.activitybar [aria-label^="Redis Queues"]').first().click({ timeout: 60_000 });
  await page.locator('#workbench\\.parts\\.sidebar .composite.title', { hasText: 'Redis Queues' }).first().waitFor({ state: 'visible', timeout: 60_000 });
}

// ---------------------------------------------------------------------------------------------
// Workbench helpers shared by the ui tests: the Redis Queues tree (rows in visual order, exact
// labels, expanding), context menus, quick inputs, modal dialogs, notifications, webview frames.

/** What the page-side callbacks use of an element (the tests compile without the DOM lib). */
interface DomEl {
  dataset: Record<string, string | undefined>;
  innerText: string;
  getAttribute(name: string): string | null;
  querySelector(sel: string): unknown;
  getBoundingClientRect(): { x: number; y: number; width: number; height: number };
}

export const SIDEBAR_ROWS = '#workbench\\.parts\\.sidebar .monaco-list-row';

/** One tree row as shown: label, description, depth, expanded state and its list index. */
export interface TreeRow {
  index: number;
  level: number;
  label: string;
  description: string;
  expanded: boolean | undefined;
  text: string;
  /** An entry row's id (its label is the id's time; the id ends its description), else its label. */
  id: string;
}

/** The side bar's tree rows in visual order (monaco lists do not keep the DOM in that order). */
export async function treeRowsInfo(page: Page): Promise<TreeRow[]> {
  const rows = await page.locator(SIDEBAR_ROWS).evaluateAll((els) =>
    els.map((el) => {
      const e = el as unknown as DomEl;
      const exp = e.getAttribute('aria-expanded');
      return {
        index: Number(e.dataset.index),
        level: Number(e.getAttribute('aria-level') ?? 0),
        label: (e.querySelector('.label-name') as DomEl | null)?.innerText.trim() ?? '',
        description: (e.querySelector('.label-description') as DomEl | null)?.innerText.trim() ?? '',
        expanded: exp === null ? undefined : exp === 'true',
        text: e.innerText.replace(/\s+/g, ' ').trim(),
      };
    }),
  );
  return rows.map((r) => ({ ...r, id: /(?:^| · )(\d+-\d+)$/.exec(r.description)?.[1] ?? r.label })).sort((a, b) => a.index - b.index);
}

/** The side bar's rows of the Redis Queues tree, as their visible text (visual order). */
export async function treeRows(page: Page): Promise<string[]> {
  return (await treeRowsInfo(page)).map((r) => (r.description ? `${r.label} ${r.description}` : r.label));
}

/** For log lines: "N pending" with a non-breaking space, so scripts/test.mjs never counts it. */
export function loggable(rows: string[]): string {
  return rows.join(' | ').replace(/(\d+) /g, '$1\u00a0');
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A tree row by its exact label (the first in visual order when `after` is not given). */
export function row(page: Page, label: string) {
  return page.locator(SIDEBAR_ROWS).filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRe(label)}\\s*$`) }) }).first();
}

/** The row at a list index (from treeRowsInfo). */
export function rowAt(page: Page, index: number) {
  return page.locator(`${SIDEBAR_ROWS}[data-index="${index}"]`);
}

/** Waits for a tree row and expands it if it is collapsed. */
export async function expandRow(page: Page, label: string): Promise<void> {
  await expandLocator(page, row(page, label));
}

export async function expandLocator(page: Page, r: ReturnType<typeof row>): Promise<void> {
  await setExpanded(page, r, true);
}

export async function collapseRow(page: Page, label: string): Promise<void> {
  await setExpanded(page, row(page, label), false);
}

/**
 * Clicks a row's twistie until the row reads expanded (or collapsed). The locator is resolved
 * again at each look: the tree may draw the row anew (a connection row changes when expanding
 * connects it, health marks redraw rows), which would leave an element handle pointing at a
 * detached copy. A click is given 2 s to show before the row is clicked again.
 */
async function setExpanded(page: Page, r: ReturnType<typeof row>, expanded: boolean): Promise<void> {
  const want = String(expanded);
  await r.waitFor({ state: 'visible', timeout: 30_000 });
  const deadline = Date.now() + 30_000;
  let clickedAt = 0;
  while (Date.now() < deadline) {
    const state = await r.getAttribute('aria-expanded', { timeout: 5_000 }).catch(() => null);
    if (state === want) return;
    if (state !== null && Date.now() - clickedAt > 2_000) {
      await r.locator('.monaco-tl-twistie').click({ timeout: 5_000 }).catch(() => undefined);
      clickedAt = Date.now();
    }
    await page.waitForTimeout(100);
  }
  throw new Error(`the row ${JSON.stringify((await r.textContent().catch(() => null)) ?? '?')} did not become ${expanded ? 'expanded' : 'collapsed'} within 30 s`);
}

/**
 * Waits until a row `label` shows, expanding the grouping row `folder` (e.g. "Streams") first if
 * the tree puts one in between. Returns `label` for chaining into expandRow.
 */
export async function reveal(page: Page, label: string, folder: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await row(page, label).isVisible()) return label;
    const f = row(page, folder);
    if ((await f.isVisible()) && (await f.getAttribute('aria-expanded')) === 'false') await expandRow(page, folder);
    await page.waitForTimeout(250);
  }
  throw new Error(`no tree row "${label}" (nor under "${folder}"): ${loggable(await treeRows(page))}`);
}

/** Polls the tree until `pred` holds for its rows; the error names what it saw. */
export async function waitRows(page: Page, what: string, pred: (rows: TreeRow[]) => boolean, timeoutMs = 30_000): Promise<TreeRow[]> {
  const deadline = Date.now() + timeoutMs;
  let rows: TreeRow[] = [];
  while (Date.now() < deadline) {
    rows = await treeRowsInfo(page);
    if (pred(rows)) return rows;
    await page.waitForTimeout(250);
  }
  throw new Error(`the tree never showed ${what}: ${loggable(rows.map((r) => r.text))}`);
}

/** The rows directly under the row at `parentIndex` (one level deeper, up to the next sibling). */
export function childrenOf(rows: TreeRow[], parentIndex: number): TreeRow[] {
  const i = rows.findIndex((r) => r.index === parentIndex);
  if (i < 0) return [];
  const level = rows[i]!.level;
  const out: TreeRow[] = [];
  for (let j = i + 1; j < rows.length && rows[j]!.level > level; j++) if (rows[j]!.level === level + 1) out.push(rows[j]!);
  return out;
}

/** Waits until the view shows its welcome content or at least one tree row; says which. */
export async function waitViewContent(page: Page, timeoutMs = 60_000): Promise<'welcome' | 'tree'> {
  const welcome = page.locator('#workbench\\.parts\\.sidebar .welcome-view-content', { hasText: 'No Redis connection yet' });
  const rows = page.locator(SIDEBAR_ROWS);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await rows.count()) return 'tree';
    if (await welcome.isVisible()) {
      // Give a tree that is still loading a moment to replace the welcome content.
      await page.waitForTimeout(1500);
      return (await rows.count()) ? 'tree' : 'welcome';
    }
    await page.waitForTimeout(200);
  }
  throw new Error('the Redis Queues view showed neither its welcome content nor tree rows');
}

/** Drags the sash between side bar and editor so the side bar is about `width` px wide; returns its width. */
export async function widenSidebar(page: Page, width: number): Promise<number> {
  const sidebar = page.locator('#workbench\\.parts\\.sidebar');
  const box = await sidebar.boundingBox();
  if (!box) throw new Error('no side bar');
  if (Math.abs(box.width - width) < 4) return box.width;
  const edge = box.x + box.width;
  // The sash whose centre is on the side bar's right edge.
  const sashes = await page.locator('.monaco-sash.vertical').evaluateAll((els) =>
    els.map((el, i) => {
      const r = (el as unknown as DomEl).getBoundingClientRect();
      return { i, x: r.x + r.width / 2, y: r.y + r.height / 2, h: r.height };
    }),
  );
  const sash = sashes.filter((s) => Math.abs(s.x - edge) <= 4 && s.h > 100).sort((a, b) => Math.abs(a.x - edge) - Math.abs(b.x - edge))[0];
  if (!sash) throw new Error(`no sash at the side bar's edge (x ${edge}): ${JSON.stringify(sashes)}`);
  await page.mouse.move(sash.x, sash.y);
  await page.waitForTimeout(100);
  await page.mouse.down();
  await page.mouse.move(sash.x + 20, sash.y, { steps: 4 });
  await page.mouse.move(box.x + width, sash.y, { steps: 10 });
  await page.mouse.up();
  await page.waitForTimeout(300);
  return (await sidebar.boundingBox())?.width ?? 0;
}

/** Right-clicks `target` and chooses `item` (its exact title) from the context menu. */
export async function contextMenu(page: Page, target: ReturnType<typeof row>, item: string): Promise<void> {
  await target.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu').first();
  await menu.waitFor({ state: 'visible', timeout: 15_000 });
  const entry = menu.locator('.action-item .action-label', { hasText: new RegExp(`^\\s*${escapeRe(item)}\\s*$`) }).first();
  try {
    await entry.waitFor({ state: 'visible', timeout: 10_000 });
  } catch (e) {
    const items = await menu.locator('.action-item .action-label').allInnerTexts();
    throw new Error(`context menu has no "${item}": ${items.filter(Boolean).join(' | ')}`, { cause: e });
  }
  // A click that lands while the menu is still settling can be lost (the menu stays open):
  // the menu closes when its action runs, so click again only while it is still there.
  for (let attempt = 0; ; attempt++) {
    await entry.click();
    try {
      await menu.waitFor({ state: 'hidden', timeout: 3_000 });
      return;
    } catch (e) {
      if (attempt >= 2) throw new Error(`the context menu stayed open after clicking "${item}" three times`, { cause: e });
    }
  }
}

const QUICK = '.quick-input-widget';

/** Waits for the quick input with a title matching `title`; returns its title text. */
export async function waitQuickInput(page: Page, title: string | RegExp, timeoutMs = 30_000): Promise<string> {
  const t = page.locator(`${QUICK} .quick-input-title`, { hasText: title });
  await t.waitFor({ state: 'visible', timeout: timeoutMs });
  return t.innerText();
}

/** The visible items of the open quick pick (label + description + detail as shown). */
export async function quickPickItems(page: Page): Promise<string[]> {
  const rows = await page.locator(`${QUICK} .quick-input-list .monaco-list-row`).evaluateAll((els) =>
    els.map((el) => ({ i: Number((el as unknown as DomEl).dataset.index), t: (el as unknown as DomEl).innerText.replace(/\s+/g, ' ').trim() })),
  );
  return rows.sort((a, b) => a.i - b.i).map((r) => r.t);
}

/** In the open quick pick titled `title`, clicks the item whose label contains `label`. */
export async function quickPick(page: Page, title: string | RegExp, label: string): Promise<void> {
  await waitQuickInput(page, title);
  const item = page.locator(`${QUICK} .quick-input-list .monaco-list-row`, { hasText: label }).first();
  await item.waitFor({ state: 'visible', timeout: 15_000 });
  await item.click();
}

/**
 * Runs a command and picks the item whose label contains `label` in the quick pick it opens
 * (titled `title`). A quick pick closes when focus moves away (a webview that has just loaded
 * takes it, on a loaded machine a moment later than usual): then the command is run again, once,
 * and the log says so. A pick that stays open but cannot be clicked still fails.
 */
export async function runCommandPick(page: Page, command: string, title: string | RegExp, label: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await runCommand(page, command);
    await waitQuickInput(page, title);
    const item = page.locator(`${QUICK} .quick-input-list .monaco-list-row`, { hasText: label }).first();
    try {
      await item.waitFor({ state: 'visible', timeout: 15_000 });
      await item.click({ timeout: 10_000 });
      return;
    } catch (e) {
      const open = await page.locator(`${QUICK} .quick-input-list`).first().isVisible().catch(() => false);
      if (open || attempt >= 2) throw e;
      console.log(`      (the quick pick of "${command}" closed before "${label}" was picked (focus moved): running it again)`);
    }
  }
}

/** In the open input box titled `title`, types `value` (or keeps the default) and presses Enter. */
export async function inputBox(page: Page, title: string | RegExp, value?: string): Promise<string> {
  await waitQuickInput(page, title);
  const input = page.locator(`${QUICK} .quick-input-box input`).first();
  if (value !== undefined) await input.fill(value);
  const v = await input.inputValue();
  await input.press('Enter');
  return v;
}

/** Runs a command from the palette by its title (F1, type, Enter on the matching item). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.locator('.monaco-workbench').first().click({ position: { x: 800, y: 5 } }).catch(() => undefined);
  await page.keyboard.press('F1');
  const input = page.locator(`${QUICK} .quick-input-box input`).first();
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(`>${title}`);
  const item = page.locator(`${QUICK} .quick-input-list .monaco-list-row`, { hasText: title }).first();
  await item.waitFor({ state: 'visible', timeout: 15_000 });
  await input.press('Enter');
}

/** The open modal dialog (VS Code's own, not the browser's). */
export function dialog(page: Page) {
  return page.locator('.monaco-dialog-box').first();
}

/** Waits for a modal dialog; returns its message and detail text and its button titles. */
export async function waitDialog(page: Page, timeoutMs = 30_000): Promise<{ text: string; buttons: string[] }> {
  const d = dialog(page);
  await d.waitFor({ state: 'visible', timeout: timeoutMs });
  return { text: (await d.innerText()).replace(/\s+/g, ' ').trim(), buttons: (await d.locator('.dialog-buttons .monaco-button').allInnerTexts()).map((b) => b.trim()) };
}

/** Clicks the dialog's button `title` and waits for the dialog to close. */
export async function dialogButton(page: Page, title: string): Promise<void> {
  const d = dialog(page);
  await d.locator('.dialog-buttons .monaco-button', { hasText: new RegExp(`^\\s*${escapeRe(title)}\\s*$`) }).first().click();
  await d.waitFor({ state: 'hidden', timeout: 15_000 });
}

/** Opens the notification centre and returns the messages it lists (newest first). */
export async function notifications(page: Page): Promise<string[]> {
  const center = page.locator('.notifications-center');
  if (!(await center.isVisible())) await page.locator('[id="status.notifications"]').first().click();
  await center.waitFor({ state: 'visible', timeout: 10_000 });
  return (await center.locator('.notification-list-item').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
}

/** Waits for a notification matching `re` in the notification centre; returns its text. */
export async function waitNotification(page: Page, re: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let seen: string[] = [];
  while (Date.now() < deadline) {
    seen = await notifications(page).catch(() => []);
    const hit = seen.find((t) => re.test(t));
    if (hit) return hit;
    await page.waitForTimeout(500);
  }
  throw new Error(`no notification matching ${re}: ${seen.join(' | ') || '(none)'}`);
}

/** Closes the notification centre if it is open. */
export async function closeNotifications(page: Page): Promise<void> {
  const center = page.locator('.notifications-center');
  if (await center.isVisible()) await page.locator('[id="status.notifications"]').first().click();
  await center.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
}

/** The frame (webviews are nested iframes) whose document has `selector`, waiting for it. */
export async function webviewFrame(page: Page, selector: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const f of page.frames()) {
      if (await f.$(selector).catch(() => null)) return f;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no webview frame with ${selector}`);
}
