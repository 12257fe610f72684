#!/usr/bin/env node
// The public API report of the core library (require('redis-queues/core'), src/core/index.ts):
// emits its declarations into out/api (tsconfig.api.json, incremental), then runs API Extractor
// (api-extractor.json) against the committed report etc/redis-queues-core.api.md.
//
//   node scripts/api-report.mjs           check (the lint tier): exits 1, with the difference,
//                                         if the API differs from the report; writes no tracked file
//   node scripts/api-report.mjs --update  rewrite the report after an intended API change
//                                         (`npm run api:update`); review `git diff etc/` and commit it
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const update = process.argv.includes('--update');
const run = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' }).status;

if (run([join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.api.json']) !== 0) {
  console.error('api report: the declarations of src/core did not compile');
  process.exit(1);
}
const extractor = join(root, 'node_modules', '@microsoft', 'api-extractor', 'bin', 'api-extractor');
// Without --local, API Extractor fails on any warning, a changed report among them, and leaves the
// report alone; --print-api-report-diff shows what changed. --local copies the new report over the old one.
const status = run([extractor, 'run', '--config', 'api-extractor.json', update ? '--local' : '--print-api-report-diff']);
if (status !== 0) {
  console.error(
    update
      ? 'api report: API Extractor failed'
      : 'api report: API Extractor failed (above). If it says the API signature changed and the change is intended, run `npm run api:update`, review `git diff etc/` and commit the report with the change.',
  );
  process.exit(1);
}
if (update) console.log('api report: etc/redis-queues-core.api.md is up to date; review `git diff etc/` and commit it');
