// Root hooks of the ui tier: when asked (`npm run screenshots`, which sets RQ_UPDATE_SCREENSHOTS=1)
// and every ui test passed, copy the README's screenshots they took into docs/screenshots/
// (scripts/update-screenshots.mjs). Otherwise tests write only to .test-output/, and a run with a
// failure, or one that ran only some of the tests (mocha -g), leaves docs/screenshots/ as it was.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { root } from './harness';

const runStarted = Date.now();
let failed = 0;
let ran = 0;

afterEach(function () {
  ran++;
  if (this.currentTest?.state !== 'passed') failed++;
});

after(async function () {
  this.timeout(30_000);
  if (process.env['RQ_UPDATE_SCREENSHOTS'] !== '1') {
    console.log('  [screenshots] in .test-output/screenshots/; docs/screenshots/ untouched (npm run screenshots refreshes them)');
    return;
  }
  if (failed) {
    console.log(`  [screenshots] ${failed} ui test(s) did not pass: docs/screenshots/ left as it was`);
    return;
  }
  const importEsm = new Function('u', 'return import(u)') as (u: string) => Promise<{ updateScreenshots(o: { since: number }): string[] }>;
  const { updateScreenshots } = await importEsm(pathToFileURL(join(root, 'scripts', 'update-screenshots.mjs')).href);
  try {
    const copied = updateScreenshots({ since: runStarted });
    console.log(`  [screenshots] ${ran} ui tests passed; updated ${copied.length} in docs/screenshots/`);
  } catch (e) {
    // Only part of the tier ran (e.g. mocha -g): not an error, just nothing to publish.
    console.log(`  [screenshots] ${(e as Error).message.split('\n')[0]} (partial run?): docs/screenshots/ left as it was`);
  }
});
