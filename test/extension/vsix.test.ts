// The packaged extension works when installed: `npm run package` makes dist/redis-queues.vsix,
// code-server installs it with --install-extension, and a code-server started with that extensions
// dir (no development path) activates it when its activity-bar view is opened in Chromium.
// What users install is what is tested: the .vsix holds every file the extension runs or reads
// (the CLI its MCP server definitions start, media, grammars), and an MCP server is started from
// the installed extension folder against a real redis-server.
// Plain mocha in Node, run by runTest.ts after the extension-host suites; alone:
//   node node_modules/mocha/bin/mocha.js --timeout 240000 out/test/extension/vsix.test.js
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { open, quit } from '../../src/core/redis/connection';
import { type Sandbox, startSandbox } from '../../src/core/dev/sandbox';
import { codeServerLib, openRedisQueues, type CodeServerLib, type ChromiumSession } from '../ui/harness';

const root = join(__dirname, '..', '..', '..');
const vsix = join(root, 'dist', 'redis-queues.vsix');
const shots = join(root, '.test-output', 'screenshots');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
const extensionId = `${manifest.publisher}.${manifest.name}`;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Every file path a manifest part names (icons, grammars, ...), relative to the extension folder. */
function manifestPaths(v: unknown, out = new Set<string>()): Set<string> {
  if (typeof v === 'string') {
    const p = v.replace(/^\.\//, '');
    if (/^(dist|media|syntaxes|docs)\/[^\s*]+\.[a-z]+$/i.test(p)) out.add(p);
  } else if (Array.isArray(v)) {
    for (const x of v) manifestPaths(x, out);
  } else if (v && typeof v === 'object') {
    for (const x of Object.values(v)) manifestPaths(x, out);
  }
  return out;
}

/**
 * The files the extension runs or reads at run time, relative to its folder: what the manifest
 * names, the bundled CLI its MCP server definitions start (src/vscode/agent/mcpServers.ts), the
 * handler runner Run/Debug Handler starts (src/vscode/handlers/handlerProcess.ts), the dashboard's
 * charting library (dist/webview, copied by esbuild.js), and
 * the media (webview scripts and styles, the sample producer file) and grammars it loads.
 */
function runtimeFiles(): string[] {
  const own = (dir: string) => (existsSync(join(root, dir)) ? filesUnder(join(root, dir)).map((f) => relative(root, f)) : []);
  // What VS Code reads of the manifest (its "exports" and "bin" are the npm package's, not the extension's).
  const m = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const named = manifestPaths([m['main'], m['browser'], m['icon'], m['contributes']]);
  return [...new Set(['package.json', 'dist/extension.js', 'dist/cli.js', 'dist/handlerRunner.js', 'dist/webview/uPlot.iife.min.js', 'dist/webview/uPlot.min.css', ...named, ...own('media'), ...own('syntaxes')])].sort();
}

describe('(extension) the packaged .vsix', () => {
  let lib: CodeServerLib;
  let work: string;
  let extensionsDir: string;

  before(async () => {
    lib = await codeServerLib();
    work = mkdtempSync(join(tmpdir(), 'rq-vsix-'));
    extensionsDir = join(work, 'exts');
    mkdirSync(join(work, 'workspace'), { recursive: true });
    mkdirSync(shots, { recursive: true });
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('is made by `npm run package` as dist/redis-queues.vsix', () => {
    rmSync(vsix, { force: true });
    const r = spawnSync('npm', ['run', 'package'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
    assert.equal(r.status, 0, `npm run package failed:\n${r.stdout}\n${r.stderr}`);
    const size = statSync(vsix).size;
    assert.ok(size > 1000, `vsix is only ${size} bytes`);
    const list = spawnSync('python3', ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', vsix], { encoding: 'utf8' });
    assert.equal(list.status, 0, `cannot list the vsix: ${list.stderr}`);
    const names = list.stdout.split('\n');
    assert.ok(names.includes('extension.vsixmanifest'), `no manifest in the vsix: ${names.join(', ')}`);
    const missing = runtimeFiles().filter((f) => !names.includes(`extension/${f}`));
    assert.deepEqual(missing, [], `files the extension runs or reads are not in the vsix (see .vscodeignore): ${missing.join(', ')}`);
    assert.ok(!names.some((n) => n.startsWith('extension/src/') || n.startsWith('extension/node_modules/')), 'the vsix carries sources or node_modules');
    assert.deepEqual(names.filter((n) => n.endsWith('.map')), [], 'source maps are not needed at run time');
    console.log(`      dist/redis-queues.vsix: ${size} bytes`);
    // Install from a private copy: another run of `npm run package` may rewrite dist/ meanwhile.
    copyFileSync(vsix, join(work, 'redis-queues.vsix'));
  });

  it('installs into code-server with --install-extension and is listed', () => {
    const out = lib.installExtension(join(work, 'redis-queues.vsix'), extensionsDir);
    assert.match(out, /successfully installed/);
    assert.ok(lib.listExtensions(extensionsDir).includes(`${extensionId}@${manifest.version}`), 'not in --list-extensions');
  });

  it('starts an MCP server from the installed extension folder (node <ext>/dist/cli.js mcp) and answers over stdio', async function () {
    this.timeout(60_000);
    const folder = readdirSync(extensionsDir).find((d) => d.startsWith(`${extensionId}-${manifest.version}`));
    assert.ok(folder, 'the extension folder is not in the extensions dir');
    const cli = join(extensionsDir, folder, 'dist', 'cli.js');
    assert.ok(existsSync(cli), `${cli} is missing: the MCP server definitions start it`);
    let redis: Sandbox | undefined;
    let client: Client | undefined;
    try {
      redis = await startSandbox();
      const seed = await open({ url: redis.url });
      const ids = [await seed.xadd('vsix:orders', '*', 'orderId', 'ord-1'), await seed.xadd('vsix:orders', '*', 'orderId', 'ord-2')];
      await quit(seed);
      // The same command line the MCP server definitions give the editor (src/vscode/agent/mcpServers.ts).
      const transport = new StdioClientTransport({ command: process.execPath, args: [cli, 'mcp', '--url', redis.url, '--name', 'vsix'], env: { PATH: process.env.PATH ?? '' }, stderr: 'pipe' });
      let stderr = '';
      transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      client = new Client({ name: 'vsix-test', version: '1.0.0' });
      await client.connect(transport);
      assert.equal(client.getServerVersion()?.name, 'redis-queues');
      assert.equal(client.getServerVersion()?.version, manifest.version);
      const { tools } = await client.listTools();
      assert.ok(tools.some((t) => t.name === 'redisq_sample_entries'), `tools: ${tools.map((t) => t.name).join(', ')}`);
      assert.ok(!tools.some((t) => t.annotations?.readOnlyHint === false), 'read tools only without --allow-writes');
      const r = (await client.callTool({ name: 'redisq_sample_entries', arguments: { stream: 'vsix:orders' } })) as { isError?: boolean; content: { text: string }[]; structuredContent?: { entries: { id: string; pairs: [string, string][] }[] } };
      assert.ok(!r.isError, `${r.content.map((c) => c.text).join('\n')}\n${stderr}`);
      assert.deepEqual(r.structuredContent?.entries.map((e) => [e.id, e.pairs]), [[ids[1], [['orderId', 'ord-2']]], [ids[0], [['orderId', 'ord-1']]]]);
      assert.match(stderr, /serving 7 tools for "vsix" on stdio/);
    } finally {
      await client?.close();
      await redis?.stop();
    }
  });

  it('activates from the installed copy when its activity-bar view is opened', async () => {
    const server = await lib.startCodeServer({ extensionsDir, smokeTestDriver: false });
    let browser: ChromiumSession | undefined;
    try {
      browser = await lib.launchChromium();
      const { page } = browser;
      await page.goto(server.payloadUrl({ folder: join(work, 'workspace') }), { timeout: 120_000 });
      await lib.waitWorkbench(page, 120_000);
      await openRedisQueues(page);
      // The welcome content needs the view's data provider, which only the active extension registers.
      await page.getByText('No Redis connection yet.').first().waitFor({ state: 'visible', timeout: 60_000 });
      await page.screenshot({ path: join(shots, 'vsix-installed.png') });
      const logs = filesUnder(join(server.userDataDir, 'logs')).filter((f) => f.endsWith('exthost.log'));
      const activation = logs.map((f) => readFileSync(f, 'utf8')).join('\n').split('\n').find((l) => l.includes(`_doActivateExtension ${extensionId}`));
      assert.ok(activation, `no activation of ${extensionId} in ${logs.join(', ') || 'the (missing) extension host logs'}`);
      const installed = extensionsDir.replace(/\/$/, '');
      assert.ok(readdirSync(installed).some((d) => d.startsWith(`${extensionId}-${manifest.version}`)), 'the extension folder is not in the extensions dir');
    } finally {
      await browser?.close();
      await server.stop();
    }
  });
});
