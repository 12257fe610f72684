import * as assert from 'node:assert/strict';
import { BadIdError, BadInputError } from '../../src/core/redis/errors';
import {
  backoffDelay, checkListWorkerOptions, checkStreamWorkerOptions, defaultDeadLetterStream, hashTagOf, keySlot, listQueueKeys, sameSlot, StreamTail,
  runOneMessage, type StreamWorkerOptions,
} from '../../src/core/queue';
import { afterFailure, beforeRun } from '../../src/core/queue/stream/failure';
import { checkIncreasing, fieldArgs, groupStartId, trimArgs, xaddId } from '../../src/core/queue/validate';

const conn = { url: 'redis://127.0.0.1:1' };

describe('(unit) queue: backoff', () => {
  it('grows exponentially up to the cap, without jitter', () => {
    const o = { initialMs: 100, factor: 2, maxMs: 1000, jitter: 0 };
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, o)), [100, 200, 400, 800, 1000, 1000]);
  });
  it('jitter only shortens, by at most the fraction', () => {
    const o = { initialMs: 1000, jitter: 0.5 };
    assert.equal(backoffDelay(1, o, () => 0), 1000);
    assert.equal(backoffDelay(1, o, () => 0.999999), 500);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(3, o);
      assert.ok(d >= 2000 && d <= 4000, String(d));
    }
  });
  it('uses defaults (200 ms, ×2, 30 s cap) and treats attempt < 1 as 1', () => {
    assert.equal(backoffDelay(1, {}, () => 0), 200);
    assert.equal(backoffDelay(0, {}, () => 0), 200);
    assert.equal(backoffDelay(50, {}, () => 0), 30_000);
  });
});

describe('(unit) queue: key naming and slots', () => {
  it('names list queue keys from the queue name, with a configurable job prefix', () => {
    const k = listQueueKeys('{emails}');
    assert.equal(k.waiting, '{emails}');
    assert.equal(k.processing, '{emails}:processing');
    assert.equal(k.dead, '{emails}:dead');
    assert.equal(k.started, '{emails}:started');
    assert.equal(k.job('42'), '{emails}:job:42');
    assert.equal(listQueueKeys('email_queue', { jobPrefix: 'job:' }).job('x'), 'job:x');
  });
  it('derives the default DLQ in the same slot', () => {
    assert.equal(defaultDeadLetterStream('{orders}'), '{orders}:dlq');
    assert.ok(sameSlot('{orders}', defaultDeadLetterStream('{orders}')));
  });
  it('computes Cluster slots like Redis (CRC16/XMODEM mod 16384, hash tags)', () => {
    assert.equal(keySlot('123456789'), 0x31c3);
    assert.equal(keySlot('foo'), 12182);
    assert.equal(keySlot('{user1000}.following'), keySlot('{user1000}.followers'));
    assert.equal(hashTagOf('{}x').toString(), '{}x'); // empty tag: whole key
    assert.equal(hashTagOf('a{b}{c}').toString(), 'b');
    assert.ok(!sameSlot('orders', 'orders:dlq'));
  });
});

describe('(unit) queue: input validation', () => {
  it('accepts string and Buffer values, in order', () => {
    const b = Buffer.from([0, 255]);
    assert.deepEqual(fieldArgs({ a: '1', b }), ['a', '1', 'b', b]);
  });
  it('refuses empty maps, non-objects and non-string values', () => {
    for (const bad of [{}, null, undefined, 'x', [], new Map([['a', 'b']]), { a: 1 }, { a: null }, { a: { b: 'c' } }, { a: true }]) {
      assert.throws(() => fieldArgs(bad), BadInputError, JSON.stringify(bad));
    }
    assert.throws(() => fieldArgs({ __x: '1' }, 'job', '__'), /reserved/);
  });
  it('checks XADD ids', () => {
    assert.equal(xaddId(undefined), '*');
    assert.equal(xaddId('5-1'), '5-1');
    assert.equal(xaddId('5-*'), '5-*');
    for (const bad of ['0-0', 'abc', '1-', '5', '']) assert.throws(() => xaddId(bad), BadIdError, bad);
    assert.throws(() => checkIncreasing(['2-0', '*', '1-5']), /must increase/);
    checkIncreasing(['1-0', '*', '1-1', '2-0']);
  });
  it('builds trim arguments, approximate by default', () => {
    assert.deepEqual(trimArgs({ strategy: 'MAXLEN', threshold: 100 }), ['MAXLEN', '~', '100']);
    assert.deepEqual(trimArgs({ strategy: 'MAXLEN', threshold: 5, exact: true }), ['MAXLEN', '=', '5']);
    assert.deepEqual(trimArgs({ strategy: 'MINID', threshold: '10-0', limit: 50 }), ['MINID', '~', '10-0', 'LIMIT', '50']);
    assert.deepEqual(trimArgs(undefined), []);
    assert.throws(() => trimArgs({ strategy: 'MAXLEN', threshold: -1 }), BadInputError);
    assert.throws(() => trimArgs({ strategy: 'MAXLEN', threshold: '1e3' }), BadInputError);
    assert.throws(() => trimArgs({ strategy: 'MINID', threshold: 'x' }), BadIdError);
    assert.throws(() => trimArgs({ strategy: 'MAXLEN', threshold: 5, exact: true, limit: 10 }), /LIMIT/i);
    assert.throws(() => trimArgs({ strategy: 'NOPE' as 'MAXLEN', threshold: 5 }), BadInputError);
  });
  it('checks group start ids', () => {
    assert.equal(groupStartId(undefined), '$');
    assert.equal(groupStartId('0'), '0');
    assert.equal(groupStartId('12-3'), '12-3');
    assert.throws(() => groupStartId('>'), BadIdError);
  });
});

describe('(unit) queue: worker and tail options', () => {
  const base: StreamWorkerOptions = { connection: conn, stream: 's', group: 'g', handler: () => undefined };
  it('accepts minimal stream worker options', () => checkStreamWorkerOptions(base));
  it('accepts a lease interval up to half the claim idle, and with reclaiming off', () => {
    checkStreamWorkerOptions({ ...base, claimMinIdleMs: 300, leaseIntervalMs: 150 });
    checkStreamWorkerOptions({ ...base, claimMinIdleMs: 0, leaseIntervalMs: 90_000 });
  });
  it('refuses bad stream worker options with a reason', () => {
    const cases: [Partial<StreamWorkerOptions>, RegExp][] = [
      [{ stream: '' }, /stream/],
      [{ group: '' }, /group/],
      [{ concurrency: 0 }, /concurrency/],
      [{ concurrency: 1.5 }, /concurrency/],
      [{ maxDeliveries: -1 }, /maxDeliveries/],
      [{ ackDelayMs: -5 }, /ackDelayMs/],
      [{ startId: 'x' }, /Invalid stream id/],
      [{ deadLetterStream: 's' }, /differ/],
      [{ claimIntervalMs: 0 }, /claimIntervalMs/],
      [{ leaseIntervalMs: 0 }, /leaseIntervalMs must be > 0/],
      [{ leaseIntervalMs: 40_000 }, /leaseIntervalMs must be at most claimMinIdleMs \/ 2 \(30000 ms\)/],
      [{ claimMinIdleMs: 300, leaseIntervalMs: 151 }, /at most claimMinIdleMs \/ 2 \(150 ms\)/],
      [{ backoff: { jitter: 2 } }, /jitter/],
      [{ backoff: { factor: 0.5 } }, /factor/],
      [{ handler: 'x' as unknown as StreamWorkerOptions['handler'] }, /handler/],
    ];
    for (const [patch, re] of cases) assert.throws(() => checkStreamWorkerOptions({ ...base, ...patch }), re, JSON.stringify(patch));
  });
  it('refuses bad list worker options', () => {
    const ok = { connection: conn, queue: 'q', handler: () => undefined };
    checkListWorkerOptions(ok);
    assert.throws(() => checkListWorkerOptions({ ...ok, queue: '' }), /queue/);
    assert.throws(() => checkListWorkerOptions({ ...ok, visibilityTimeoutMs: 0 }), /visibilityTimeoutMs/);
    assert.throws(() => checkListWorkerOptions({ ...ok, maxAttempts: 0 }), /maxAttempts/);
    assert.throws(() => checkListWorkerOptions({ ...ok, leaseIntervalMs: 0 }), /leaseIntervalMs must be > 0/);
    assert.throws(() => checkListWorkerOptions({ ...ok, visibilityTimeoutMs: 1000, leaseIntervalMs: 501 }), /at most visibilityTimeoutMs \/ 2 \(500 ms\)/);
    checkListWorkerOptions({ ...ok, visibilityTimeoutMs: 1000, leaseIntervalMs: 500 });
  });
  it('refuses bad tail options before connecting', () => {
    assert.throws(() => new StreamTail({ connection: conn, stream: '' }), /stream/);
    assert.throws(() => new StreamTail({ connection: conn, stream: 's', from: 'nope' }), BadIdError);
    assert.throws(() => new StreamTail({ connection: conn, stream: 's', bufferSize: 0 }), /bufferSize/);
    assert.throws(() => new StreamTail({ connection: conn, stream: 's', overflow: 'x' as 'pause' }), /overflow/);
  });
});

describe('(unit) discovery helpers', () => {
  it('cursorFraction reads how far a SCAN cursor is through a table (reverse binary order)', async () => {
    const { cursorFraction } = await import('../../src/core/inspect/discovery');
    assert.equal(cursorFraction('0', 1000), 0);
    // A table of 8 buckets: cursors 0,4,2,6,1,5,3,7 in order.
    assert.deepEqual(['4', '2', '6', '1', '5', '3', '7'].map((c) => cursorFraction(c, 8)), [1, 2, 3, 4, 5, 6, 7].map((i) => i / 8));
  });
  it('globMatch matches as SCAN MATCH does', async () => {
    const { globMatch } = await import('../../src/core/inspect/discovery');
    assert.ok(globMatch('orders:*', 'orders:eu'));
    assert.ok(!globMatch('orders:*', 'order'));
    assert.ok(globMatch('a?c', 'abc') && !globMatch('a?c', 'ac'));
    assert.ok(globMatch('q[0-9]', 'q7') && !globMatch('q[^0-9]', 'q7'));
    assert.ok(globMatch('\\*x', '*x') && !globMatch('\\*x', 'ax'));
    assert.ok(globMatch('*', 'any (thing) $ here'));
  });
  it('formatShort writes large figures as people read them', async () => {
    const { formatShort } = await import('../../src/core/inspect/health');
    assert.deepEqual([950, 12_345, 1_234_567, 10_000_000, 2.5e9].map(formatShort), ['950', '12 k', '1.2 M', '10 M', '2.5 G']);
  });
});

describe('(unit) queue: the stream worker\'s rules (shared by runOneMessage)', () => {
  it('runs up to maxDeliveries, dead-letters unseen beyond; a failure retries below maxDeliveries and dead-letters at it', () => {
    assert.deepEqual([1, 3, 4].map((d) => beforeRun(d, 3)), ['run', 'run', 'dead-letter']);
    assert.deepEqual([1, 2, 3, 4].map((d) => afterFailure(d, 3)), ['retry', 'retry', 'dead-letter', 'dead-letter']);
  });

  it('runOneMessage checks its options before connecting', async () => {
    const o = { connection: conn, stream: 's', group: 'g', handler: () => undefined };
    await assert.rejects(runOneMessage({ ...o, id: 'nope' }), BadIdError);
    await assert.rejects(runOneMessage({ ...o, id: '1-0', timeoutMs: 0 }), BadInputError);
    await assert.rejects(runOneMessage({ ...o, group: '', id: '1-0' }), BadInputError);
  });
});
