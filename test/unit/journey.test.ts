import * as assert from 'node:assert/strict';
import { type JobJourney, type MessageJourney, classifyMissing } from '../../src/core/inspect/journey';
import { describeJourney } from '../../src/core/inspect/journeyText';
import { EventRecorder, eventPairs, parseEvent, resolveEventsOption } from '../../src/core/queue/runtime/events';
import { BadInputError } from '../../src/core/redis/errors';
import { rawOf } from '../../src/core/messages/message';
import type { StreamInfo } from '../../src/core/redis/replies';

const info = (o: Partial<StreamInfo>): StreamInfo => ({ length: 3, lastGeneratedId: '30-0', groups: 0, firstEntryId: '10-0', lastEntryId: '30-0', ...o });

describe('journey: where a missing id went (classifyMissing)', () => {
  it('no stream; after the last id', () => {
    assert.equal(classifyMissing('5-0', null).state, 'gone');
    assert.match(classifyMissing('31-0', info({})).note, /ever added/);
  });
  it('older than the first entry: trimmed (with a caveat when deletions reach it)', () => {
    assert.deepEqual(classifyMissing('5-0', info({ maxDeletedEntryId: '0-0' })), { state: 'trimmed', note: "older than the stream's first entry 10-0" });
    assert.match(classifyMissing('5-0', info({ maxDeletedEntryId: '20-0' })).note, /may also have been deleted/);
    assert.equal(classifyMissing('5-0', info({})).state, 'trimmed', 'before 7.0 too');
  });
  it('inside the range: deleted on 7.0+ when deletions reach it, never added when they do not, gone before 7.0', () => {
    assert.equal(classifyMissing('20-0', info({ maxDeletedEntryId: '20-0' })).state, 'deleted');
    const never = classifyMissing('20-0', info({ maxDeletedEntryId: '15-0' }));
    assert.deepEqual([never.state, /no entry with this id was added/.test(never.note)], ['gone', true]);
    const old = classifyMissing('20-0', info({}));
    assert.deepEqual([old.state, /before Redis 7\.0/.test(old.note)], ['gone', true]);
  });
  it('an empty stream: trimmed when nothing was deleted at or after it, else cannot tell', () => {
    const empty = { length: 0, firstEntryId: undefined, lastEntryId: undefined };
    assert.equal(classifyMissing('20-0', info({ ...empty, maxDeletedEntryId: '0-0' })).state, 'trimmed');
    assert.equal(classifyMissing('20-0', info({ ...empty, maxDeletedEntryId: '30-0' })).state, 'gone');
    assert.equal(classifyMissing('20-0', info({ ...empty })).state, 'gone');
  });
});

describe('journey: in words (describeJourney)', () => {
  const base: MessageJourney = {
    kind: 'message', stream: 'orders', id: '1700000000000-0', time: 1700000000000, state: 'present', entry: { id: '1700000000000-0', raw: rawOf('a', '1'), fields: { a: '1' } },
    groups: [], dlq: 'orders:dlq', deadLetters: [], replays: [], eventsKey: 'orders:events', events: [], complete: true, notes: [],
  };
  it('a message: state, groups, dead letters, replays, timeline, notes; control characters escaped', () => {
    const lines = describeJourney({
      ...base,
      groups: [
        { group: 'billing', state: 'pending', consumer: 'worker-2', deliveries: 3, idleMs: 300_000, lastDeliveredId: '1700000000000-0' },
        { group: 'audit', state: 'acknowledged', lastDeliveredId: '1700000000001-0', note: 'acknowledged, or the group started after it (Redis keeps no record of which)' },
      ],
      deadLetters: [{ dlq: 'orders:dlq', id: '1700000000500-0', originalId: '1700000000000-0', error: 'Timeout\u001b[31m', deliveries: 5, replayCount: 0 }],
      replays: [{ from: '1700000000000-0', to: '1700000000900-0', count: 1, present: true }],
      events: [{ eventId: '1700000000100-0', at: 1700000000100, type: 'claimed', id: '1700000000000-0', group: 'billing', consumer: 'worker-2', from: 'worker-1' }],
      complete: false,
      notes: ['replays: the call bound was reached'],
    });
    assert.deepEqual(lines, [
      'orders 1700000000000-0 · present · 2023-11-14T22:13:20.000Z',
      'message: a=1',
      'group billing: pending at worker-2, 3 deliveries, idle 5m 0s',
      'group audit: acknowledged, or the group started after it (Redis keeps no record of which)',
      'dead-lettered to orders:dlq as 1700000000500-0: Timeout\\x1b[31m after 5 deliveries',
      'replayed as 1700000000900-0 (replay #1)',
      'timeline:',
      '  2023-11-14T22:13:20.100Z claimed by billing/worker-2 from worker-1',
      'note: replays: the call bound was reached',
    ]);
  });
  it('no groups, no events', () => {
    const lines = describeJourney({ ...base, state: 'trimmed', stateNote: 'older than the first entry', entry: null });
    assert.deepEqual(lines.slice(0, 3), ['orders 1700000000000-0 · trimmed · 2023-11-14T22:13:20.000Z', '  older than the first entry', 'no consumer groups']);
    assert.match(lines[3]!, /^no events recorded in orders:events/);
  });
  it('a job', () => {
    const job: JobJourney = {
      kind: 'job', queue: 'emails', id: 'j1', layout: {}, keys: { waiting: 'emails', processing: 'emails:processing', dead: 'emails:dead', job: 'emails:job:j1' },
      state: 'processing', list: 'emails:processing', index: 0, listLength: 1, hash: true, attempts: 2, lastError: 'smtp down', startedAt: 1000, eventsKey: null, events: [], complete: true, notes: [],
    };
    assert.deepEqual(describeJourney(job, 61_000), ['job j1 of emails · processing · processing in emails:processing (running 1m 0s)', '2 attempts', 'last error: smtp down']);
  });
});

describe('worker events format', () => {
  it('pairs in order, read back; other entries are not events', () => {
    const pairs = eventPairs({ type: 'dead-lettered', id: '1-0', group: 'g', consumer: 'c', deliveries: 5, error: 'x'.repeat(600), dlqId: '2-0' });
    assert.deepEqual(pairs.filter((_, i) => i % 2 === 0), ['type', 'id', 'group', 'consumer', 'deliveries', 'error', 'dlq-id']);
    const e = parseEvent({ id: '3-0', raw: rawOf(...pairs), fields: null })!;
    assert.deepEqual([e.type, e.id, e.deliveries, e.dlqId, e.error!.length, e.at], ['dead-lettered', '1-0', 5, '2-0', 501, 3]);
    assert.equal(parseEvent({ id: '3-0', raw: rawOf('type', 'other', 'id', '1-0'), fields: null }), null);
  });
  it('the option: off, defaults, checked', () => {
    assert.equal(resolveEventsOption(undefined, 's'), null);
    assert.equal(resolveEventsOption(false, 's'), null);
    assert.deepEqual(resolveEventsOption(true, '{s}'), { key: '{s}:events', maxLen: 10_000 });
    assert.deepEqual(resolveEventsOption({ maxLen: 5 }, 's'), { key: 's:events', maxLen: 5 });
    assert.throws(() => resolveEventsOption({ maxLen: 0 }, 's'), BadInputError);
    assert.throws(() => resolveEventsOption({ key: 's' }, 's'), BadInputError);
    assert.throws(() => resolveEventsOption('yes' as never, 's'), BadInputError);
  });
  it('a recorder without a connection drops (counts) and never throws', async () => {
    const r = new EventRecorder(() => undefined, 'k', 10);
    r.record('acked', '1-0');
    await r.flush();
    assert.equal(r.dropped, 1);
    await r.close();
    r.record('acked', '2-0');
    assert.equal(r.dropped, 1, 'closed: nothing buffered');
  });
});
