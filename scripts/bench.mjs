#!/usr/bin/env node
// Builds (tsc -p .) and runs the benchmarks: `npm run bench [-- queue|explorer|tailview]`.
// tailview also bundles the extension (node esbuild.js --no-typecheck) and needs code-server and
// Chromium (bash scripts/install-tools.sh); see bench/tailView/.
// The bench starts and stops its own throwaway redis-servers and writes BENCHMARKS.md.
// Sizes: BENCH_SCALE=0.1 npm run bench  (quick run); see bench/util.ts for single sizes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const node = process.execPath;
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

console.log(`=== build: tsc -p .`);
const build = spawnSync(node, [tsc, '-p', '.'], { cwd: root, encoding: 'utf8' });
const output = `${build.stdout ?? ''}${build.stderr ?? ''}`;
if (build.status !== 0) {
  // The repo is shared: a type error elsewhere (still emitted) must not stop the bench, one in
  // the bench or in the core it measures must.
  const lines = output.split('\n').filter(Boolean);
  const ours = lines.filter((l) => /^(bench|src\/core)\//.test(l));
  process.stdout.write(output);
  if (ours.length || !existsSync(join(root, 'out', 'bench', 'main.js'))) {
    console.error('build failed in bench/ or src/core/');
    process.exit(1);
  }
  console.warn(`(type errors outside bench/ and src/core/ ignored: ${lines.length} lines)`);
}

const parts = process.argv.slice(2).filter((a) => !a.startsWith('-'));
if (parts.length === 0 || parts.includes('tailview')) {
  // The tail view bench runs the extension from its bundle in code-server.
  console.log('=== build: node esbuild.js --no-typecheck (the extension bundle, for the tail view bench)');
  const b = spawnSync(node, [join(root, 'esbuild.js'), '--no-typecheck'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) {
    if (!existsSync(join(root, 'dist', 'extension.js'))) process.exit(1);
    console.warn('(bundling failed; the tail view bench uses the existing dist/extension.js)');
  }
}

// BullMQ (a reference of the queue bench) is installed here, not in package.json: some of its
// optional native builds are missing from registries, which would break `npm ci` for everyone.
const benchDeps = join(root, '.tools', 'bench');
if (!existsSync(join(benchDeps, 'node_modules', 'bullmq', 'package.json'))) {
  console.log('=== installing bullmq@5 into .tools/bench (the BullMQ reference)');
  mkdirSync(benchDeps, { recursive: true });
  if (!existsSync(join(benchDeps, 'package.json'))) writeFileSync(join(benchDeps, 'package.json'), '{"private":true}\n');
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', 'bullmq@5'], { cwd: benchDeps, stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}

console.log(`=== bench: node --expose-gc out/bench/main.js ${process.argv.slice(2).join(' ')}`);
const run = spawnSync(node, ['--expose-gc', join(root, 'out', 'bench', 'main.js'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
