import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { freePort } from '../../src/core/dev/sandbox';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

/**
 * Errors classified by their codes work in what ships, not only in the compiled tests: the
 * extension, the CLI and `redis-queues/core` are esbuild bundles, and a bundler may rename
 * ioredis' error classes (ioredis names its errors after `this.constructor.name`). Run through
 * dist/core.js, the library's own bundle.
 */
describe('(integration) error codes and classes through the bundle (dist/core.js)', function () {
  this.timeout(30_000);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const core = require(join(__dirname, '..', '..', '..', 'dist', 'core.js')) as typeof import('../../src/core/index');

  it('a reply error keeps its code: WRONGTYPE, NOGROUP and a wrong password read as such', async () => {
    const c = await core.open({ url: redisUrl() });
    const k = uniqueKey('bundle');
    try {
      await c.set(k, 'x');
      const wrong = await c.xlen(k).then(() => assert.fail('XLEN on a string answered'), (e: unknown) => e);
      assert.equal(core.redisErrorCode(wrong), 'WRONGTYPE', String((wrong as Error).name));
      assert.ok(core.toQueueError(wrong, { key: k }) instanceof core.WrongTypeError);
      const s = `${k}:s`;
      await c.xadd(s, '*', 'a', '1');
      const noGroup = await c.xpending(s, 'nope').then(() => assert.fail('XPENDING of no group answered'), (e: unknown) => e);
      assert.equal(core.redisErrorCode(noGroup), 'NOGROUP');
      // Through a QueueError's scrubbed cause too.
      assert.equal(core.redisErrorCode(new core.QueueError('REDIS', 'wrapped', { cause: noGroup })), 'NOGROUP');
      await c.del(k, s);
    } finally {
      await core.quit(c);
    }
    const port = await freePort();
    const refused = await core.open({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 2000 }, 'inspect').then(
      () => assert.fail('connected to a free port'),
      (e: unknown) => e,
    );
    assert.equal(core.connectFailure(refused)?.kind, 'refused');
    assert.equal(core.isTransient(refused), true);
  });
});
