// The import-cycle check of the lint tier (scripts/check-cycles.mjs), run on small trees written
// to a temporary folder.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const script = join(root, 'scripts', 'check-cycles.mjs');

function check(files: Record<string, string>, flags: string[] = []): { code: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rq-cycles-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const r = spawnSync(process.execPath, [script, ...flags, dir], { encoding: 'utf8' });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('(unit) lint: import cycles (scripts/check-cycles.mjs)', function () {
  // Each test starts a node process: on a busy 2-core machine that alone can take over mocha's 2 s.
  this.timeout(30_000);
  it('passes a tree without cycles', () => {
    const r = check({ 'a.ts': "import { b } from './b';\nexport const a = b;\n", 'b.ts': 'export const b = 1;\n' });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /No import cycles among 2 files/);
  });

  it('reports a cycle as a chain of files and exits 1, through re-exports, folders and require', () => {
    const r = check({
      'a.ts': "export { b } from './b';\nexport const a = 1;\n",
      'b.ts': "import { c } from './sub';\nexport const b = c;\n",
      'sub/index.ts': "const a = require('../a.js');\nexport const c = a;\n",
      'lone.ts': "import { a } from './a';\nexport const lone = a;\n",
    });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /Import cycle among 3 file\(s\)/);
    assert.match(r.out, /a\.ts → \S*b\.ts → \S*sub\/index\.ts → \S*a\.ts/);
    assert.doesNotMatch(r.out, /lone\.ts/);
    assert.match(r.out, /1 import cycle\(s\)/);
  });

  it('ignores type-only imports (erased at build time) unless --types, and dynamic import()', () => {
    const files = {
      'a.ts': "import type { B } from './b';\nexport type A = B | 1;\nexport const a = 1;\n",
      'b.ts': "import { a, type A } from './a';\nexport type B = A;\nexport const b = a;\n",
      'c.ts': "import { type D } from './d';\nexport type C = D;\nexport const c = 1;\n",
      'd.ts': "import { c } from './c';\nexport type D = 1;\nexport const d = c;\nexport const later = () => import('./e');\n",
      'e.ts': "import { d } from './d';\nexport const e = d;\n",
    };
    const r = check(files);
    assert.equal(r.code, 0, r.out);
    const typed = check(files, ['--types']);
    assert.equal(typed.code, 1, typed.out);
    assert.match(typed.out, /2 import cycle\(s\)/);
    assert.doesNotMatch(typed.out, /e\.ts/);
  });
});
