// A BullMQ job scheduler read from its `repeat` member and hash (core frameworks/bullmq.ts), for
// the layouts the integration test cannot make with BullMQ 5: a pre-3.0 repeatable job, whose key
// holds everything and which has no hash, and a member whose hash went meanwhile.
import * as assert from 'node:assert/strict';
import { JobScheduler } from 'bullmq';
import { bullSchedulerOf } from '../../src/core/frameworks/bullmq';

/** BullMQ's own reading of a pre-3.0 key (a private method that uses nothing of its instance). */
const keyToData = (JobScheduler.prototype as unknown as { keyToData(key: string, next: number): Record<string, unknown> }).keyToData;

describe('(unit) BullMQ job scheduler fields', () => {
  it('a pre-3.0 key (name:jobId:endDate:tz:pattern) read as BullMQ\'s keyToData reads it, a cron pattern keeping its colons', () => {
    assert.deepEqual(bullSchedulerOf('report:job7:1900000000000:Europe/Paris:0 3 * * *', 42, {}), {
      key: 'report:job7:1900000000000:Europe/Paris:0 3 * * *',
      name: 'report',
      next: 42,
      legacy: true,
      jobId: 'job7',
      endDate: 1_900_000_000_000,
      tz: 'Europe/Paris',
      pattern: '0 3 * * *',
    });
    assert.equal(bullSchedulerOf('a::::1:2', 1, {}).pattern, '1:2');
    // The same fields as BullMQ's own reading (it says null where we leave a field out).
    for (const key of ['report:job7:1900000000000:Europe/Paris:0 3 * * *', 'a::::1:2', 'weekly:::UTC:30 4 * * 1']) {
      const t = keyToData(key, 42);
      const o = bullSchedulerOf(key, 42, {});
      assert.deepEqual([o.key, o.name, o.jobId, o.endDate, o.tz, o.pattern, o.next], [t.key, t.name, t.id, t.endDate, t.tz, t.pattern, t.next].map((v) => v ?? undefined), key);
    }
  });

  it('a pre-3.0 key ending in digits is an interval (`every`), not a pattern (a cron expression never is only digits)', () => {
    assert.deepEqual(bullSchedulerOf('cleanup::::60000', 7, {}), { key: 'cleanup::::60000', name: 'cleanup', next: 7, legacy: true, every: 60_000 });
    // Where BullMQ's reading calls it a pattern.
    assert.equal(keyToData('cleanup::::60000', 7).pattern, '60000');
  });

  it('a scheduler whose hash is gone (removed while listed) has no name, and says nothing else', () => {
    assert.deepEqual(bullSchedulerOf('every-5m', 7, {}), { key: 'every-5m', name: null, next: 7, legacy: false });
  });

  it('a hash: legacy when it has no iteration count (BullMQ\'s isJobScheduler), numbers read, empty fields left out', () => {
    assert.deepEqual(bullSchedulerOf('k', 9, { name: 'n', every: '300000', ic: '3', limit: '5', tz: '', data: '{"a":1}' }), { key: 'k', name: 'n', next: 9, legacy: false, every: 300_000, iterationCount: 3, limit: 5, data: '{"a":1}' });
    assert.equal(bullSchedulerOf('k', 9, { name: 'n', pattern: '* * * * *' }).legacy, true);
  });
});
