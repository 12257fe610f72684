// Bundles the extension and the CLI. Type-checks first (tsc --noEmit) unless --watch.
//   node esbuild.js               development build: dist/extension.js, dist/cli.js, the library: dist/core.js
//                                 (redis-queues/core) and dist/core-<name>.js (redis-queues/core/<name>,
//                                 src/core/entries/<name>.ts), one-line files over dist/core-bundle.js,
//                                 dist/handlerRunner.js (runs a workspace's handler on one message)
//   node esbuild.js --production  minified, no source maps
//   node esbuild.js --watch       rebuild on change (run `npx tsc --noEmit --watch` beside it)
//   node esbuild.js --no-typecheck bundle only (local iteration; `npm test` always type-checks)
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');
const { execFileSync } = require('node:child_process');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const typecheck = !watch && !process.argv.includes('--no-typecheck');

/** @type {import('esbuild').Plugin} */
const report = {
  name: 'report',
  setup(build) {
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log(`[esbuild] ${result.errors.length ? 'failed' : 'built'} ${new Date().toISOString()}`);
    });
  },
};

/**
 * The library's entry points (package.json "exports"): redis-queues/core is dist/core.js
 * (src/core/index.ts), redis-queues/core/<name> is dist/core-<name>.js (src/core/entries/<name>.ts).
 * All are one bundle, dist/core-bundle.js (src/core/entries/bundle.ts), each entry a file that
 * takes its namespace from it: one copy of each class (instanceof holds across entries).
 */
const coreEntries = { core: 'core', inspect: 'core-inspect', ops: 'core-ops', search: 'core-search', transfer: 'core-transfer', sandbox: 'core-sandbox' };
function writeCoreEntries() {
  for (const [namespace, file] of Object.entries(coreEntries)) {
    fs.writeFileSync(path.join(__dirname, 'dist', `${file}.js`), `'use strict';\nmodule.exports = require('./core-bundle.js').${namespace};\n`);
  }
}

async function main() {
  if (typecheck) {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', '.', '--noEmit'], { stdio: 'inherit' });
  }
  if (production) {
    // Type declarations of the library (require('redis-queues/core')).
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.lib.json'], { stdio: 'inherit' });
  }
  const ctx = await esbuild.context({
    entryPoints: {
      extension: 'src/extension.ts',
      cli: 'src/cli.ts',
      'core-bundle': 'src/core/entries/bundle.ts',
      handlerRunner: 'src/vscode/handlers/runner.ts',
    },
    bundle: true,
    format: 'cjs',
    minify: production,
    // Classes keep their names when bundled: ioredis' errors report `this.constructor.name`, which
    // esbuild would otherwise rename (ReplyError → ReplyError2), and the core reads them.
    keepNames: true,
    sourcemap: !production,
    sourcesContent: false,
    platform: 'node',
    target: 'node20',
    outdir: 'dist',
    external: ['vscode'],
    logLevel: 'silent',
    plugins: [report],
  });
  // The dashboard's charting library (uPlot), served to its webview from dist/webview.
  const webview = path.join(__dirname, 'dist', 'webview');
  fs.mkdirSync(webview, { recursive: true });
  writeCoreEntries();
  for (const f of ['uPlot.iife.min.js', 'uPlot.min.css']) fs.copyFileSync(path.join(__dirname, 'node_modules', 'uplot', 'dist', f), path.join(webview, f));
  if (watch) {
    await ctx.watch();
  } else {
    await ctx.rebuild();
    await ctx.dispose();
  }
}

main().catch((e) => {
  console.error(e.message ?? e);
  process.exit(1);
});
