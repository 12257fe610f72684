import * as assert from 'node:assert/strict';
import { compareIds, idTime, isValidId, nextId, parseId, previousId } from '../../src/core/messages/ids';
import { BadIdError } from '../../src/core/redis/errors';

describe('(unit) stream ids', () => {
  it('parses full and millisecond-only ids', () => {
    assert.deepEqual(parseId('1700000000000-5'), { ms: 1700000000000n, seq: 5n });
    assert.deepEqual(parseId('42'), { ms: 42n, seq: 0n });
  });
  it('rejects malformed ids with a reason', () => {
    for (const bad of ['abc', '1-', '-1', '1-2-3', '', ' ', '18446744073709551616-0', '1-18446744073709551616']) {
      assert.throws(() => parseId(bad), BadIdError, bad);
    }
    assert.throws(() => parseId('1-'), /sequence part/);
    assert.throws(() => parseId('0-0', { allowZero: false }), /0-0 is not allowed/);
    assert.throws(() => parseId('5', { allowMsOnly: false }), BadIdError);
  });
  it('orders and steps ids, including at 64-bit edges', () => {
    assert.equal(compareIds('1-2', '1-10'), -1);
    assert.equal(compareIds('2-0', '1-99'), 1);
    assert.equal(compareIds('7-7', '7-7'), 0);
    assert.equal(nextId('1-18446744073709551615'), '2-0');
    assert.equal(previousId('2-0'), '1-18446744073709551615');
    assert.throws(() => previousId('0-0'), BadIdError);
    assert.equal(isValidId('0-1'), true);
    assert.equal(idTime('1700000000000-3'), 1700000000000);
    assert.ok(Number.isNaN(idTime('nope')));
  });
});
