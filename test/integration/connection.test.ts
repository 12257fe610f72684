import * as assert from 'node:assert/strict';
import { open, quit, type ClientPurpose } from '../../src/core/redis/connection';
import { StreamProducer } from '../../src/core/queue/stream/producer';
import { ListQueueProducer } from '../../src/core/queue/list/queue';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

describe('(integration) clients of every purpose', () => {
  for (const purpose of ['inspect', 'command', 'blocking'] as ClientPurpose[]) {
    it(`a ${purpose} client publishes (callBuffer XADD, EVALSHA) and enqueues correctly`, async () => {
      // Regression: auto-pipelining in ioredis 6.0.0 sent callBuffer commands without their name.
      const c = await open({ url: redisUrl() }, purpose);
      try {
        const s = `${uniqueKey(purpose)}:s`;
        const p = new StreamProducer(c, { stream: s });
        await Promise.all([p.publish({ a: '1' }, { trim: { strategy: 'MAXLEN', threshold: 100 } }), p.publishBatch([{ b: '2' }, { c: '3' }])]);
        assert.equal(await c.xlen(s), 3);
        const q = new ListQueueProducer(c, { queue: `${uniqueKey(purpose)}:q` });
        await Promise.all([q.enqueue({ x: '1' }), q.enqueue({ x: '2' })]);
      } finally {
        await quit(c);
      }
    });
  }
});
