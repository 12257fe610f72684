#!/usr/bin/env node
// Copies the README's screenshots, as the ui tests took them (.test-output/screenshots/), to
// docs/screenshots/ under stable names. The ui tier runs it at its end when every test passed
// (test/ui/zz-screenshots.test.ts); it can also be run by hand after `node scripts/test.mjs ui`.
//
//   node scripts/update-screenshots.mjs               copy every listed screenshot (all must exist)
//   node scripts/update-screenshots.mjs --since <ms>  ... and each must be newer than <ms> (epoch)
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, '.test-output', 'screenshots');
const to = join(root, 'docs', 'screenshots');

/** docs/screenshots/<name> ← .test-output/screenshots/<source>, and the test that takes it. */
export const SCREENSHOTS = [
  { name: 'tree-pending.png', source: 'tree-pending.png', test: 'test/ui/demo.test.ts (explorer)' },
  { name: 'tree-list-queue.png', source: 'tree-list-queue.png', test: 'test/ui/demo.test.ts (explorer)' },
  { name: 'producer-file.png', source: 'producer-file.png', test: 'test/ui/demo.test.ts (tail + producer file)' },
  { name: 'tail-view.png', source: 'tail-view.png', test: 'test/ui/demo.test.ts (tail + producer file)' },
  { name: 'tail-burst.png', source: 'tail-burst.png', test: 'test/ui/demo.test.ts (tail view controls)' },
  { name: 'confirm-claim.png', source: 'confirm-claim.png', test: 'test/ui/demo.test.ts (claim / ack)' },
  { name: 'claim-preview.png', source: 'claim-preview.png', test: 'test/ui/demo.test.ts (claim / ack)' },
  { name: 'first-run.png', source: 'first-run.png', test: 'test/ui/firstRun.test.ts' },
  { name: 'explorer-welcome.png', source: 'explorer-welcome.png', test: 'test/ui/explorer.test.ts' },
  { name: 'tree-scan-more.png', source: 'tree-scan-more.png', test: 'test/ui/explorer.test.ts (large keyspace)' },
  { name: 'debug-consumer.png', source: 'debug-consumer.png', test: 'test/ui/debugConsumer.test.ts' },
  { name: 'handler-paused.png', source: 'handler-paused.png', test: 'test/ui/handler.test.ts' },
  { name: 'tail-actions.png', source: 'tail-actions.png', test: 'test/ui/tailView.test.ts' },
  { name: 'journey-pending.png', source: 'journey-pending.png', test: 'test/ui/journey.test.ts' },
  { name: 'search-in-progress.png', source: 'search-in-progress.png', test: 'test/ui/search.test.ts' },
  { name: 'dashboard.png', source: 'dashboard-light.png', test: 'test/ui/dashboard.test.ts' },
  { name: 'tables.png', source: 'tables-light.png', test: 'test/ui/tables.test.ts' },
  { name: 'bullmq.png', source: 'bullmq-tree.png', test: 'test/ui/bullmq.test.ts' },
  { name: 'bull.png', source: 'bull-tree.png', test: 'test/ui/bullmq.test.ts (Bull 3/4)' },
  { name: 'rq.png', source: 'rq-tree.png', test: 'test/ui/frameworks.test.ts' },
  { name: 'sidekiq.png', source: 'sidekiq-tree.png', test: 'test/ui/frameworks.test.ts' },
  { name: 'celery.png', source: 'celery-tree.png', test: 'test/ui/frameworks.test.ts' },
];

export function updateScreenshots({ since = 0 } = {}) {
  const problems = [];
  for (const s of SCREENSHOTS) {
    const src = join(from, s.source);
    if (!existsSync(src)) problems.push(`${s.source} is missing (taken by ${s.test})`);
    else if (statSync(src).mtimeMs < since) problems.push(`${s.source} is older than this run (taken by ${s.test})`);
  }
  if (problems.length) throw new Error(`not updating docs/screenshots:\n  ${problems.join('\n  ')}`);
  mkdirSync(to, { recursive: true });
  for (const s of SCREENSHOTS) copyFileSync(join(from, s.source), join(to, s.name));
  return SCREENSHOTS.map((s) => join('docs', 'screenshots', s.name));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--since');
  try {
    const copied = updateScreenshots({ since: i > 0 ? Number(process.argv[i + 1]) : 0 });
    console.log(`[screenshots] updated ${copied.length}: ${copied.join(', ')}`);
  } catch (e) {
    console.error(`[screenshots] ${e.message}`);
    process.exit(1);
  }
}
