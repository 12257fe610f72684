// The scaffolding every ui suite shares: uiSuite() is a describe() that owns the suite's sandbox
// redis-server (started, and seeded, before its tests; stopped last, after the suite's own after
// hooks), its VS Code (code-server and headless Chromium on a temporary workspace folder, opened by
// the tests with ctx.vs.open() and closed after each test or after the suite), a screenshot named
// after each failed test (.test-output/screenshots/failed-<title>.png, its path logged), and the
// teardown. Not a test file itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startSandbox, type Sandbox } from '../../src/core/dev/sandbox';
import { codeServerLib, openRedisQueues, root, screenshotIfFailed, SIDEBAR_ROWS, waitViewContent, widenSidebar, type ChromiumSession, type CodeServer, type StartOptions } from './harness';

export interface OpenOptions {
  /** User settings (connections, thresholds, ...). */
  settings?: Record<string, unknown>;
  /** More code-server options (an extensions dir, no smoke-test driver, workspace trust). */
  server?: Omit<StartOptions, 'settings'>;
  /** false: the extension is not loaded from the source tree (an installed .vsix runs). Default true. */
  development?: boolean;
  /** A workbench someone else serves (npm start): no code-server is started, Chromium opens this URL. */
  url?: string;
  /** Side bar width in px; VS Code's own (about 290 px at 1600 × 1000) when not given. */
  sidebarWidth?: number;
  viewport?: { width: number; height: number };
  /** What the Redis Queues view must show before the test goes on (default 'tree'); 'closed': the view is not opened. */
  view?: 'tree' | 'welcome' | 'any' | 'closed';
  /** Before the page is opened (browser permissions, page listeners); `origin` is the workbench's. */
  prepare?(session: ChromiumSession, origin: string): Promise<void> | void;
}

export interface UiVsCode {
  /** Starts code-server (unless `url`) and Chromium on the workspace folder, and opens the Redis Queues view. Closes a VS Code already open first. */
  open(o?: OpenOptions): Promise<Page>;
  /** Closes Chromium and code-server now (uiSuite does it anyway after the test or the suite). */
  close(): Promise<void>;
  readonly page: Page;
  /**
   * The workspace folder. vsCodePer 'test': a fresh one per open(), removed after the test;
   * 'suite': one for the whole suite (there already before the first open, to put files in),
   * removed after the suite.
   */
  readonly workspace: string;
  readonly server: CodeServer;
  /** Uncaught errors of the page (the workbench, webviews) since the suite began. */
  readonly pageErrors: string[];
}

export interface UiSuiteOptions {
  /** Names the temporary workspace folders (rq-ui-<name>-…). */
  name: string;
  /** The suite's mocha timeout, in ms. */
  timeout: number;
  /** A sandbox redis-server for the suite (ctx.redis); a function also seeds it, given its URL. */
  redis?: boolean | ((url: string) => Promise<unknown>);
  /** 'test' (default): VS Code is closed after each test; 'suite': it stays open across the suite's tests. */
  vsCodePer?: 'suite' | 'test';
}

export interface UiSuiteContext {
  /** The suite's sandbox (with `redis` in the options; started in a before hook). */
  readonly redis: Sandbox;
  readonly vs: UiVsCode;
}

/** A ui suite: `body` registers its tests and its own hooks, as inside describe(). */
export function uiSuite(title: string, o: UiSuiteOptions, body: (ctx: UiSuiteContext) => void): Mocha.Suite {
  return describe(title, function () {
    this.timeout(o.timeout);
    const per = o.vsCodePer ?? 'test';
    let redis: Sandbox | undefined;
    let server: CodeServer | undefined;
    let chromium: ChromiumSession | undefined;
    let workspace: string | undefined;
    const pageErrors: string[] = [];
    const newWorkspace = () => mkdtempSync(join(tmpdir(), `rq-ui-${o.name}-`));
    const close = async () => {
      await chromium?.close();
      chromium = undefined;
      await server?.stop();
      server = undefined;
    };
    const dropWorkspace = () => {
      if (workspace) rmSync(workspace, { recursive: true, force: true });
      workspace = undefined;
    };

    const seed = o.redis;
    if (seed) {
      before(async () => {
        redis = await startSandbox();
        if (typeof seed === 'function') await seed(redis.url);
      });
    }
    afterEach(async function () {
      await screenshotIfFailed(this.currentTest, chromium?.page);
      if (per === 'test') {
        await close();
        dropWorkspace();
      }
    });
    // VS Code goes first, before the suite's own after hooks (its clients, its traffic)...
    after(async () => {
      await close();
      dropWorkspace();
    });

    const vs: UiVsCode = {
      async open(oo: OpenOptions = {}) {
        await close(); // a test may open VS Code again (another start of the extension)
        if (per === 'test') dropWorkspace();
        const lib = await codeServerLib();
        let url = oo.url;
        if (!url) {
          workspace ??= newWorkspace();
          server = await lib.startCodeServer({ timeoutMs: 120_000, ...oo.server, settings: oo.settings ?? {} });
          url = server.payloadUrl({ folder: workspace, extensionDevelopmentPath: oo.development === false ? undefined : root });
        }
        chromium = await lib.launchChromium({ viewport: oo.viewport ?? { width: 1600, height: 1000 } });
        await oo.prepare?.(chromium, new URL(url).origin);
        const { page } = chromium;
        page.on('pageerror', (e) => pageErrors.push(e.message));
        await page.goto(url, { timeout: 120_000 });
        await lib.waitWorkbench(page, 120_000);
        const view = oo.view ?? 'tree';
        if (view === 'closed') return page;
        await openRedisQueues(page);
        if (view !== 'any') {
          const shown = await waitViewContent(page);
          if (view === 'tree' && shown !== 'tree') await page.locator(SIDEBAR_ROWS).first().waitFor({ state: 'visible', timeout: 60_000 });
          if (view === 'welcome' && shown !== 'welcome') throw new Error('the Redis Queues view shows a tree, not its welcome content');
        }
        if (oo.sidebarWidth) {
          const w = await widenSidebar(page, oo.sidebarWidth);
          if (Math.abs(w - oo.sidebarWidth) > 30) throw new Error(`the side bar is ${w} px wide, wanted ${oo.sidebarWidth}`);
        }
        return page;
      },
      close,
      get page() {
        if (!chromium) throw new Error('no VS Code open: call open() first');
        return chromium.page;
      },
      get workspace() {
        if (per === 'suite') workspace ??= newWorkspace();
        if (!workspace) throw new Error('no VS Code open: call open() first');
        return workspace;
      },
      get server() {
        if (!server) throw new Error('no code-server started: call open() first');
        return server;
      },
      pageErrors,
    };
    body({
      get redis() {
        if (!redis) throw new Error(seed ? 'the sandbox has not started (before hook)' : 'this suite has no sandbox: pass redis in its options');
        return redis;
      },
      vs,
    });
    // ... and the sandbox last, after the suite's own after hooks.
    after(async () => {
      await redis?.stop();
    });
  });
}
