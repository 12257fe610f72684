// The list walk's Bull/BullMQ queue lists (core discovery.ts listQueueSelector): lists named
// `<prefix>:<queue>:wait|active|paused` are kept for the Bull reader, never sampled as list queues,
// and those beyond the cap are counted as unchecked, so the walk never says it saw everything
// when it did not. No list is sampled here, so no Redis call is made (the client is never used).
import * as assert from 'node:assert/strict';
import { type DiscoveryState, QUEUE_LISTS_KEPT, listQueueSelector } from '../../src/core/inspect/discovery';

describe('(unit) the list walk keeps Bull queue lists, and counts those over its cap', () => {
  it(`keeps at most ${QUEUE_LISTS_KEPT} across pages; each one over it counts once as unchecked; a kept name met again is not kept twice`, async () => {
    const select = listQueueSelector(undefined as never, '*');
    const state: DiscoveryState = { cursor: '0', position: 0, count: 0, calls: 0 } as unknown as DiscoveryState;
    const names = Array.from({ length: QUEUE_LISTS_KEPT + 10 }, (_, i) => `bull:q${i}:${['wait', 'active', 'paused'][i % 3]}`);
    // Two pages, the second meeting 100 names of the first again (SCAN may return a key twice).
    assert.deepEqual(await select(names.slice(0, 2000), state, false), []);
    assert.deepEqual(await select([...names.slice(1900, 2000), ...names.slice(2000)], state, false), []);
    assert.equal(state.queueLists!.length, QUEUE_LISTS_KEPT);
    assert.deepEqual(state.queueLists, names.slice(0, QUEUE_LISTS_KEPT));
    assert.equal(state.unchecked, 10);
    assert.equal(state.backlog, undefined, 'none of them waits to be sampled as a list queue');
  });

});
