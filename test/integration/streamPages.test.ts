import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { open, quit, type IoRedisClient } from '../../src/core/redis/connection';
import { PagePolicy } from '../../src/core/messages/pagePolicy';
import { StreamPages, xpendingPages } from '../../src/core/messages/streamPages';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

/**
 * The one paged reader against a reference: one whole-range XRANGE (or XREVRANGE) of the same
 * range. Random streams (entries of random sizes, ids sharing milliseconds), random ranges,
 * directions, page policies, limits and read-ahead with a caller slower than the server.
 */
describe('(integration) StreamPages and xpendingPages: the one paged reader and the one PEL walk', function () {
  this.timeout(120_000);
  let c: IoRedisClient;
  before(async () => {
    c = await open({ url: redisUrl() });
  });
  after(async () => {
    await quit(c);
  });

  const idOf = (item: unknown) => String((item as unknown[])[0]);

  it('pages, concatenated, are the whole range read at once, in order, each entry once', async () => {
    const key = uniqueKey('pages');
    const ids: string[] = [];
    // Entries of 0 to 40 KB, several per millisecond.
    for (let i = 0; i < 400; i++) {
      const ms = 1000 + Math.floor(i / 3);
      const id = `${ms}-${i % 3}`;
      await c.xadd(key, id, 'n', String(i), 'pad', Buffer.alloc((i * 7919) % 40_000, i % 251));
      ids.push(id);
    }
    const anId = fc.integer({ min: 0, max: ids.length + 5 }).map((i) => (i >= ids.length ? '+' : ids[i]!));
    await fc.assert(
      fc.asyncProperty(
        anId,
        anId,
        fc.boolean(),
        fc.record({ first: fc.integer({ min: 1, max: 20 }), max: fc.integer({ min: 1, max: 300 }), targetBytes: fc.integer({ min: 1, max: 400_000 }) }),
        fc.option(fc.integer({ min: 0, max: 500 }), { nil: undefined }),
        fc.boolean(),
        async (a, b, newest, policy, limit, ahead) => {
          const start = a === '+' ? '-' : a;
          const end = b;
          const whole = (newest ? await c.xrevrangeBuffer(key, end, start) : await c.xrangeBuffer(key, start, end)) as unknown[];
          const want = (limit === undefined ? whole : whole.slice(0, limit)).map(idOf);
          const pages = new StreamPages(c, key, { start, end, newest, policy: new PagePolicy(policy) });
          const got: string[] = [];
          let left = limit ?? Infinity;
          while (!pages.done && left > 0) {
            const page = await pages.next(ahead || !Number.isFinite(left) ? undefined : left);
            if (ahead) {
              pages.prefetch();
              // A caller slower than the server: the read-ahead lands before its page is asked for.
              await new Promise((r) => setImmediate(r));
              await c.ping();
            }
            for (const item of page) {
              if (left-- <= 0) break;
              got.push(idOf(item));
            }
          }
          assert.deepEqual(got, want);
          assert.equal(new Set(got).size, got.length);
        },
      ),
      { numRuns: 60 },
    );
    await c.del(key);
  });

  it('a missing key reads as empty; a key of another type is a WrongTypeError', async () => {
    const pages = new StreamPages(c, uniqueKey('none'));
    assert.deepEqual(await pages.next(), []);
    assert.equal(pages.done, true);
    const h = uniqueKey('hash');
    await c.hset(h, 'a', '1');
    await assert.rejects(new StreamPages(c, h).next(), (e: Error) => e.name === 'WrongTypeError');
    await c.del(h);
  });

  it('the PEL walk yields the whole XPENDING range, page by page, for any page size', async () => {
    const key = uniqueKey('pel');
    await c.xgroup('CREATE', key, 'g', '0', 'MKSTREAM');
    for (let i = 0; i < 250; i++) await c.xadd(key, '*', 'n', String(i));
    await c.xreadgroup('GROUP', 'g', 'a', 'COUNT', 120, 'STREAMS', key, '>');
    await c.xreadgroup('GROUP', 'g', 'b', 'COUNT', 200, 'STREAMS', key, '>');
    const all = ((await c.xpending(key, 'g', '-', '+', 1000)) as unknown[][]).map((r) => String(r[0]));
    const ofB = ((await c.xpending(key, 'g', '-', '+', 1000, 'b')) as unknown[][]).map((r) => String(r[0]));
    for (const count of [1, 7, 100, 249, 250, 251, 1000]) {
      const got: string[] = [];
      for await (const page of xpendingPages(c, key, 'g', { count })) got.push(...page.map((p) => p.id));
      assert.deepEqual(got, all, `count ${count}`);
      const gotB: string[] = [];
      for await (const page of xpendingPages(c, key, 'g', { count, consumer: 'b' })) gotB.push(...page.map((p) => p.id));
      assert.deepEqual(gotB, ofB, `consumer b, count ${count}`);
    }
    await assert.rejects(xpendingPages(c, key, 'nope').next(), (e: Error) => e.name === 'NoGroupError');
    await c.del(key);
  });
});
