#!/usr/bin/env node
// Runs every test tier (or the ones named: `node scripts/test.mjs unit integration`), prints a
// summary per tier and exits non-zero if any tier failed. Builds first.
//
// Tiers: lint, unit, integration, extension (inside a real VS Code via @vscode/test-electron's
// runTests and code-server), ui (headless Chromium on the real VS Code), selftest (the runner
// reports a deliberately failing suite as failing, in plain mocha and in the extension host).
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const node = process.execPath;
const mocha = join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
const outDir = join(root, '.test-output');
mkdirSync(outDir, { recursive: true });

const mochaTier = (spec, extra = []) => [node, mocha, '--color', '--reporter', 'spec', ...extra, spec];

/** name → { cmd, expectFailure?, needsTools? } */
const TIERS = {
  lint: { cmd: [node, join(root, 'scripts', 'lint.mjs')] }, // eslint, then scripts/check-cycles.mjs
  unit: { cmd: mochaTier('out/test/unit/**/*.test.js') },
  integration: { cmd: mochaTier('out/test/integration/**/*.test.js', ['--require', 'out/test/support/integrationHooks.js', '--timeout', '30000', '--exit']) },
  extension: { cmd: [node, 'out/test/extension/runTest.js'], needsTools: true },
  ui: { cmd: mochaTier('out/test/ui/**/*.test.js', ['--timeout', '120000', '--exit']), needsTools: true },
  selftest: { cmd: [node, 'out/test/selftest/run.js'], needsTools: true },
  faults: { cmd: mochaTier('out/test/faults/**/*.test.js', ['--require', 'out/test/faults/hooks.js', '--timeout', '120000', '--exit']) },
};

const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = requested.length ? requested : Object.keys(TIERS);
for (const n of names) {
  if (!TIERS[n]) {
    console.error(`unknown tier "${n}"; tiers: ${Object.keys(TIERS).join(', ')}`);
    process.exit(2);
  }
}

function step(title, cmd, args) {
  console.log(`\n=== ${title}: ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`${title} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

step('build', node, ['esbuild.js']);
step('compile tests', node, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.']);
if (names.some((n) => TIERS[n].needsTools)) step('tools', 'bash', ['scripts/install-tools.sh']);

function runTier(name) {
  const tier = TIERS[name];
  const started = Date.now();
  console.log(`\n=== tier ${name}: ${tier.cmd.slice(1).join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(tier.cmd[0], tier.cmd.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '1' } });
    let text = '';
    const onData = (stream) => (d) => {
      stream.write(d);
      text += d.toString();
      if (text.length > 1_000_000) text = text.slice(-200_000);
    };
    child.stdout.on('data', onData(process.stdout));
    child.stderr.on('data', onData(process.stderr));
    const forward = (sig) => child.kill(sig);
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
      const last = (re) => {
        const all = [...plain.matchAll(re)];
        return all.length ? Number(all[all.length - 1][1]) : 0;
      };
      // Only mocha's own summary lines count ("  12 passing (3s)", "  1 failing", "  2 pending"),
      // not a test title or a log line that happens to say "3 pending".
      const passed = name === 'lint' ? (code === 0 ? 1 : 0) : sumAll(plain, /^ {2}(\d+) passing \(\d/gm);
      const failed = name === 'lint' ? (code === 0 ? 0 : 1) : sumAll(plain, /^ {2}(\d+) failing$/gm);
      const pending = name === 'lint' ? 0 : sumAll(plain, /^ {2}(\d+) pending$/gm);
      void last;
      resolve({ name, code: code ?? (signal ? 1 : 0), passed, failed, pending, failures: failureLines(plain), seconds: (Date.now() - started) / 1000 });
    });
  });
}

/**
 * Mocha's failure list, short: after each "  N failing" line, the numbered titles and the first
 * lines of each error (stack frames dropped), so the end of a CI log names what failed.
 */
function failureLines(text) {
  const out = [];
  for (const m of text.matchAll(/^ {2}\d+ failing$/gm)) {
    const rest = text.slice(m.index + m[0].length).split('\n');
    let inFailure = false;
    let kept = 0;
    for (const line of rest) {
      if (/^ {2}\d+ passing \(|^=== /.test(line)) break;
      if (/^ {2}\d+\) /.test(line)) {
        inFailure = true;
        kept = 0;
        out.push(line.trimEnd());
        continue;
      }
      if (!inFailure || /^\s+at /.test(line) || !line.trim()) continue;
      if (kept++ < 4) out.push(`      ${line.trim().slice(0, 300)}`);
      if (out.length > 60) return out;
    }
  }
  return out;
}

function sumAll(text, re) {
  let n = 0;
  for (const m of text.matchAll(re)) n += Number(m[1]);
  return n;
}

const results = [];
for (const n of names) {
  const r = await runTier(n);
  results.push(r);
}

console.log('\n=== summary');
console.log('tier          result  passed  failed  skipped   seconds');
let ok = true;
for (const r of results) {
  const good = r.code === 0 && r.failed === 0 && (r.passed > 0 || r.name === 'lint');
  ok &&= good;
  console.log(`${r.name.padEnd(13)} ${(good ? 'ok' : 'FAIL').padEnd(7)} ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${String(r.pending).padStart(7)}  ${r.seconds.toFixed(1).padStart(8)}`);
}
const totalPassed = results.reduce((a, r) => a + r.passed, 0);
const totalFailed = results.reduce((a, r) => a + r.failed + (r.code !== 0 && r.failed === 0 ? 1 : 0), 0);
const totalSkipped = results.reduce((a, r) => a + r.pending, 0);
for (const r of results) {
  if (r.failures.length === 0 || r.failed === 0) continue;
  console.log(`\n--- ${r.name}: what failed`);
  for (const line of r.failures) console.log(line);
}
console.log(`${totalPassed} passed, ${totalFailed} failed, ${totalSkipped} skipped`);
process.exit(ok ? 0 : 1);
