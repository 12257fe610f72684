#!/usr/bin/env node
// The lint tier: ESLint over src, test, scripts and bench, the import-cycle check of src
// (scripts/check-cycles.mjs), then the public API report of the core library
// (scripts/api-report.mjs: etc/redis-queues-core.api.md must match src/core's exports; it never
// rewrites the report, `npm run api:update` does), and whether src/core/queue/luaSources.generated.ts
// is the one the `.lua` files make (scripts/gen-lua.mjs --check; `npm run gen:lua` rewrites it). All
// run; exits 1 if any failed. `npm run lint`.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const steps = [
  ['eslint', [join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--no-error-on-unmatched-pattern', 'src', 'test', 'scripts', 'bench']],
  ['import cycles', [join(root, 'scripts', 'check-cycles.mjs'), '--types', 'src', 'test']],
  ['api report', [join(root, 'scripts', 'api-report.mjs')]],
  ['lua sources', [join(root, 'scripts', 'gen-lua.mjs'), '--check']],
];
let failed = 0;
for (const [title, args] of steps) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`lint: ${title} failed (exit ${r.status ?? r.signal})`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
