// What NotReplicatedError says for each fate of the unconfirmed messages, and the CLI's exit code
// for it (no Redis: the check itself is covered by test/integration/durability.test.ts).
import * as assert from 'node:assert/strict';
import { notReplicatedExit } from '../../src/cli/publish';
import { NotReplicatedError } from '../../src/core/queue/stream/durability';

describe('NotReplicatedError: the words and the exit code for each fate', () => {
  it('written only: "do not publish again", exit 3', () => {
    const e = new NotReplicatedError(['1-0', '2-0'], 0, 1, 500, { written: ['1-0', '2-0'] });
    assert.equal(e.message, 'Replication not confirmed: 2 messages reached 0 of 1 replica within 500 ms. 2 messages written, not yet replicated (in the stream on the current master; do not publish again): 1-0, 2-0');
    assert.equal(notReplicatedExit(e), 3);
  });

  it('lost: "publish again", never "do not publish again" for it; exit 4', () => {
    const e = new NotReplicatedError(['1-0', '2-0'], 0, 1, 500, { written: ['1-0'], lost: ['2-0'] });
    assert.match(e.message, /1 message written, not yet replicated \(in the stream on the current master; do not publish again\): 1-0; 1 message lost in a failover \(not in the stream on the current master; publish again\): 2-0$/);
    assert.equal(notReplicatedExit(e), 4);
    const only = new NotReplicatedError(['2-0'], 0, 1, 500, { lost: ['2-0'] });
    assert.doesNotMatch(only.message, /do not publish again/);
  });

  it('republished: old → new id, not also listed as to publish again; exit 4', () => {
    const e = new NotReplicatedError(['2-0'], 0, 1, 500, { lost: ['2-0'], republished: [{ from: '2-0', id: '9-0', replicated: false }] });
    assert.match(e.message, /1 message lost in a failover and published again: 2-0 → 9-0 \(not yet replicated\)$/);
    assert.doesNotMatch(e.message, /publish again\): 2-0/);
    assert.equal(notReplicatedExit(e), 4);
  });

  it('unknown wins: exit 5, "look at the stream"; ids beyond ten are counted, not listed', () => {
    const ids = Array.from({ length: 12 }, (_, i) => `${i + 1}-0`);
    const e = new NotReplicatedError(ids, 0, 1, 500, { lost: ['1-0'], unknown: ids.slice(1) });
    assert.match(e.message, /11 messages unknown \(.*look at the stream before publishing again\): 2-0, 3-0, 4-0, 5-0, 6-0, 7-0, 8-0, 9-0, 10-0, 11-0, … \(1 more\)$/);
    assert.equal(notReplicatedExit(e), 5);
  });
});
