// The runner reports failure: a deliberately failing suite must make each runner exit non-zero
// and say so. The children's output is captured, not printed, so that their "N passing" and
// "N failing" lines do not count toward this tier's totals in scripts/test.mjs.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function run(args: string[], env: Record<string, string> = {}, timeoutMs = 300_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env, FORCE_COLOR: '0', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output: output.replace(/\u001b\[[0-9;]*m/g, '') });
    });
  });
}

/** The child's output for an assertion message, with its counts defused for the tier's parser. */
function quote(r: Run): string {
  return r.output.replace(/(\d+) (passing|failing|pending)/g, '[child] $2: $1').slice(-4000);
}

describe('(selftest) failing suites make the runners fail', function () {
  this.timeout(360_000);

  it('plain mocha on a suite with one failing test exits non-zero and reports its one failure', async () => {
    const r = await run([join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--reporter', 'spec', 'out/test/selftest/fixtures/plain/**/*.test.js']);
    assert.notEqual(r.code, 0, `mocha exited 0:\n${quote(r)}`);
    assert.match(r.output, /\b1 passing\b/, quote(r));
    assert.match(r.output, /\b1 failing\b/, quote(r));
    assert.match(r.output, /deliberate failure/, quote(r));
  });

  it('the extension tier (runTests → code-server-exec → extension host) exits non-zero on a failing extension-host test', async () => {
    const r = await run(['out/test/extension/runTest.js'], { RQ_SELFTEST_FAIL: '1' });
    assert.notEqual(r.code, 0, `the extension tier exited 0:\n${quote(r)}`);
    // The fixture's report came back out of the extension host: it did run, and one test failed.
    assert.match(r.output, /runs inside VS Code/, quote(r));
    assert.match(r.output, /\b1 passing\b/, quote(r));
    assert.match(r.output, /\b1 failing\b/, quote(r));
    assert.match(r.output, /Test run failed with code 1/, quote(r));
  });
});
