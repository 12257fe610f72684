// List-queue layouts without a server: key resolution, checks of a given layout, the worker's
// refusal of a layout without started-at stamps, and the STUCK rule for unstamped jobs.
import * as assert from 'node:assert/strict';
import { BadInputError } from '../../src/core/redis/errors';
import { DEFAULT_THRESHOLDS, UNKNOWN_RUNNING_TIME, describeRunning, isListJobStuck } from '../../src/core/inspect/health';
import { checkListQueueLayout, checkListWorkerOptions, listQueueKeys, pickListQueueLayout } from '../../src/core/queue';

const conn = { url: 'redis://127.0.0.1:1' };

describe('(unit) list queue layouts', () => {
  it('resolves every name of a layout, each falling back to the default', () => {
    const d = listQueueKeys('q');
    assert.deepEqual([d.waiting, d.processing, d.dead, d.started, d.stamps, d.jobPrefix, d.job('1')], ['q', 'q:processing', 'q:dead', 'q:started', true, 'q:job:', 'q:job:1']);
    const c = listQueueKeys('q', { processing: 'inflight:q', dead: 'graveyard:q', jobPrefix: 'payload:' });
    assert.deepEqual([c.waiting, c.processing, c.dead, c.started, c.stamps, c.job('1')], ['q', 'inflight:q', 'graveyard:q', 'q:started', true, 'payload:1']);
    const seeds = listQueueKeys('email_queue', { jobPrefix: 'job:', started: null });
    assert.deepEqual([seeds.processing, seeds.stamps, seeds.job('7')], ['email_queue:processing', false, 'job:7']);
  });

  it('picks only layout fields, dropping undefined ones and keeping started: null', () => {
    assert.deepEqual(pickListQueueLayout({ queue: 'x', jobPrefix: 'job:', started: null, dead: undefined } as never), { jobPrefix: 'job:', started: null });
    assert.deepEqual(pickListQueueLayout(undefined), {});
  });

  it('checks a given layout: non-empty names, started a name or null, no shared names', () => {
    assert.deepEqual(checkListQueueLayout('q', { started: null, jobPrefix: 'job:' }), { started: null, jobPrefix: 'job:' });
    assert.deepEqual(checkListQueueLayout('q', undefined), {});
    for (const bad of [[], 'x', { processing: '' }, { dead: 3 }, { started: '' }, { started: 5 }, { processing: 'q' }, { dead: 'q:processing' }, { started: 'q:dead' }]) {
      assert.throws(() => checkListQueueLayout('q', bad), BadInputError, JSON.stringify(bad));
    }
    // Without stamps the started name is not used, so it may not clash.
    assert.doesNotThrow(() => checkListQueueLayout('q', { started: null, processing: 'q:started' }));
  });

  it('a worker refuses a layout without a started-at set; the producer options still take jobPrefix', () => {
    const base = { connection: conn, queue: 'q', handler: () => undefined };
    assert.throws(() => checkListWorkerOptions({ ...base, layout: { jobPrefix: 'job:', started: null } }), /started-at set/);
    assert.throws(() => checkListWorkerOptions({ ...base, started: null }), /started-at set/);
    assert.doesNotThrow(() => checkListWorkerOptions({ ...base, layout: { jobPrefix: 'job:', started: null }, started: 'q:started' }));
    assert.doesNotThrow(() => checkListWorkerOptions({ ...base, jobPrefix: 'job:' }));
  });

  it('STUCK needs a started-at stamp: unstamped jobs (just taken, or a layout without stamps) are never STUCK', () => {
    const t = { ...DEFAULT_THRESHOLDS, stuckIdleMs: 1000 };
    assert.equal(isListJobStuck(1000, t), true);
    assert.equal(isListJobStuck(999, t), false);
    assert.equal(isListJobStuck(null, t), false);
    assert.equal(isListJobStuck(undefined, t), false);
    assert.equal(describeRunning(65_000), 'running 1m 5s');
    assert.equal(describeRunning(null), 'not stamped yet');
    assert.equal(describeRunning(null, false), `running for: ${UNKNOWN_RUNNING_TIME}`);
    assert.equal(UNKNOWN_RUNNING_TIME, 'unknown (no started-at stamps in this layout)');
  });
});
