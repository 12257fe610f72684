#!/usr/bin/env node
// The public API reports of the core library, one per package entry point (package.json "exports"):
//   redis-queues/core            src/core/index.ts            etc/redis-queues-core.api.md
//   redis-queues/core/<name>     src/core/entries/<name>.ts   etc/redis-queues-core-<name>.api.md
// Emits the declarations into out/api (tsconfig.api.json, incremental), then runs API Extractor
// (api-extractor.json, its entry point and report name set per entry here) against each committed
// report. src/core/internal.ts (the app's own view of the core) is no entry point and has no report.
//
//   node scripts/api-report.mjs           check (the lint tier): exits 1, with the difference,
//                                         if an API differs from its report; writes no tracked file
//   node scripts/api-report.mjs --update  rewrite the reports after an intended API change
//                                         (`npm run api:update`); review `git diff etc/` and commit them
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const update = process.argv.includes('--update');
const run = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' }).status;

/** [report name, declaration file under out/api] for each entry point; the names as in esbuild.js. */
const ENTRIES = [
  ['redis-queues-core', 'core/index.d.ts'],
  ...['inspect', 'ops', 'search', 'transfer', 'sandbox'].map((name) => [`redis-queues-core-${name}`, `core/entries/${name}.d.ts`]),
];

if (run([join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.api.json']) !== 0) {
  console.error('api report: the declarations of src/core did not compile');
  process.exit(1);
}
const { Extractor, ExtractorConfig } = createRequire(import.meta.url)('@microsoft/api-extractor');
const configPath = join(root, 'api-extractor.json');
let failed = [];
for (const [reportName, dts] of ENTRIES) {
  const configObject = ExtractorConfig.loadFile(configPath);
  configObject.mainEntryPointFilePath = `<projectFolder>/out/api/${dts}`;
  configObject.apiReport = { ...configObject.apiReport, reportFileName: reportName };
  const config = ExtractorConfig.prepare({ configObject, configObjectFullPath: configPath, packageJsonFullPath: join(root, 'package.json') });
  // Without localBuild, API Extractor fails on any warning, a changed report among them, and leaves
  // the report alone (the new one is in out/api-report/); localBuild copies the new report over the old one.
  const result = Extractor.invoke(config, { localBuild: update });
  if (result.succeeded) continue;
  failed.push(reportName);
  const fresh = join(root, 'out', 'api-report', `${reportName}.api.md`);
  const committed = join(root, 'etc', `${reportName}.api.md`);
  if (!update && result.apiReportChanged && existsSync(fresh)) {
    console.error(`api report: ${reportName}: the API differs from etc/${reportName}.api.md:`);
    spawnSync('git', ['--no-pager', 'diff', '--no-index', '--', existsSync(committed) ? committed : '/dev/null', fresh], { cwd: root, stdio: 'inherit' });
  }
}
if (failed.length) {
  console.error(
    update
      ? `api report: API Extractor failed for ${failed.join(', ')}`
      : `api report: API Extractor failed for ${failed.join(', ')} (above). If an API signature changed and the change is intended, run \`npm run api:update\`, review \`git diff etc/\` and commit the reports with the change.`,
  );
  process.exit(1);
}
if (update) console.log(`api report: ${ENTRIES.map(([n]) => `etc/${n}.api.md`).join(', ')} are up to date; review \`git diff etc/\` and commit them`);
