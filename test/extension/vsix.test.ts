// The packaged extension works when installed: `npm run package` makes dist/redis-queues.vsix,
// code-server installs it with --install-extension, and a code-server started with that extensions
// dir (no development path) activates it when its activity-bar view is opened in Chromium.
// Plain mocha in Node, run by runTest.ts after the extension-host suites.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeServerLib, openRedisQueues, type CodeServerLib, type ChromiumSession } from '../ui/harness';

const root = join(__dirname, '..', '..', '..');
const vsix = join(root, 'dist', 'redis-queues.vsix');
const shots = join(root, '.test-output', 'screenshots');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
const extensionId = `${manifest.publisher}.${manifest.name}`;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
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
    for (const f of ['extension/package.json', 'extension/dist/extension.js', 'extension.vsixmanifest']) assert.ok(names.includes(f), `${f} is not in the vsix: ${names.join(', ')}`);
    assert.ok(!names.some((n) => n.startsWith('extension/src/') || n.startsWith('extension/node_modules/')), 'the vsix carries sources or node_modules');
    console.log(`      dist/redis-queues.vsix: ${size} bytes`);
    // Install from a private copy: another run of `npm run package` may rewrite dist/ meanwhile.
    copyFileSync(vsix, join(work, 'redis-queues.vsix'));
  });

  it('installs into code-server with --install-extension and is listed', () => {
    const out = lib.installExtension(join(work, 'redis-queues.vsix'), extensionsDir);
    assert.match(out, /successfully installed/);
    assert.ok(lib.listExtensions(extensionsDir).includes(`${extensionId}@${manifest.version}`), 'not in --list-extensions');
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
