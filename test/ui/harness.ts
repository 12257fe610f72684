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
}

// tsc (module commonjs) turns import() into require(), which cannot load an ES module on Node 20.
const importEsm = new Function('u', 'return import(u)') as (u: string) => Promise<CodeServerLib>;

let lib: Promise<CodeServerLib> | undefined;
/** Loads scripts/codeServer.mjs once. */
export function codeServerLib(): Promise<CodeServerLib> {
  lib ??= importEsm(pathToFileURL(join(root, 'scripts', 'codeServer.mjs')).href);
  return lib;
}

/** Saves a screenshot as .test-output/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  // Move the pointer off the activity bar so no hover tooltip covers the view.
  await page.mouse.move(800, 600);
  await page.waitForTimeout(300);
  await page.screenshot({ path });
  return path;
}

/** Opens the Redis Queues container by clicking its activity-bar icon. */
export async function openRedisQueues(page: Page): Promise<void> {
  await page.locator('.activitybar [aria-label^="Redis Queues"]').first().click({ timeout: 60_000 });
  await page.locator('#workbench\\.parts\\.sidebar .composite.title', { hasText: 'Redis Queues' }).first().waitFor({ state: 'visible', timeout: 60_000 });
}
