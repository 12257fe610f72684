import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSandbox, type Sandbox } from '../../src/core/dev/sandbox';

const root = join(__dirname, '..', '..', '..');

describe('(integration) the README library example', function () {
  this.timeout(30_000);
  let sb: Sandbox;
  before(async () => (sb = await startSandbox()));
  after(() => sb?.stop());

  it('is the code README.md shows, and runs as shown against a real Redis (through dist/core.js)', async () => {
    const code = readFileSync(join(root, 'examples', 'library.js'), 'utf8');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    assert.ok(readme.includes(code.split('\n').slice(3, 20).join('\n')), 'README.md does not show examples/library.js');
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'examples', 'library.js')], { env: { ...process.env, REDIS_URL: sb.url }, timeout: 20_000 });
    assert.match(stdout, /dead-lettered \d+-\d+ after 3 deliveries: bad total in/);
    assert.match(stdout, /in the DLQ: \d+-\d+ \d+-\d+ bad total in/);
    assert.match(stdout, /processed orders: 1, 2$/m);
  });
});
