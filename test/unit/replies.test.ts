import * as assert from 'node:assert/strict';
import { capabilities, parseAutoClaim, parseConsumers, parseFields, parseGroups, parsePendingSummary, parseRead, parseStreamInfo } from '../../src/core/redis/replies';

const b = (s: string) => Buffer.from(s);

describe('(unit) replies, in both reply shapes', () => {
  const entries = [[b('1-0'), [b('a'), b('1')]]];
  it('XREAD/XREADGROUP: RESP2 nested, RESP3 flattened (ioredis 6 legacy), RESP3 Map and object', () => {
    const want = [{ stream: 's', entries: [{ id: '1-0', raw: [b('a'), b('1')], fields: { a: '1' } }] }];
    assert.deepEqual(parseRead([[b('s'), entries]]), want);
    assert.deepEqual(parseRead([b('s'), entries]), want);
    assert.deepEqual(parseRead(new Map([[b('s'), entries]])), want);
    assert.deepEqual(parseRead({ s: entries }), want);
    assert.deepEqual(parseRead(null), []);
    const two = parseRead([b('s1'), entries, b('s2'), []]);
    assert.deepEqual(two.map((x) => [x.stream, x.entries.length]), [['s1', 1], ['s2', 0]]);
  });
  it('keeps non-UTF-8 values as Buffers and text as strings', () => {
    const f = parseFields([b('bin'), Buffer.from([0xff, 0xfe]), b('txt'), b('héllo')])!;
    assert.ok(Buffer.isBuffer(f['bin']));
    assert.equal(f['txt'], 'héllo');
    assert.equal(parseFields(null), null);
  });
  it('XINFO STREAM/GROUPS/CONSUMERS as flat pairs or maps', () => {
    const flat = ['length', 3, 'last-generated-id', '5-0', 'groups', 1, 'first-entry', ['1-0', ['a', '1']], 'last-entry', ['5-0', ['a', '2']]];
    const asMap = new Map<unknown, unknown>([['length', 3], ['last-generated-id', '5-0'], ['groups', 1], ['first-entry', ['1-0', ['a', '1']]], ['last-entry', ['5-0', ['a', '2']]]]);
    for (const raw of [flat, asMap]) {
      const i = parseStreamInfo(raw);
      assert.deepEqual([i.length, i.firstEntryId, i.lastEntryId, i.lastGeneratedId, i.groups], [3, '1-0', '5-0', '5-0', 1]);
    }
    const g = parseGroups([['name', 'g', 'consumers', 2, 'pending', 4, 'last-delivered-id', '3-0', 'entries-read', 3, 'lag', null]]);
    assert.deepEqual(g[0], { name: 'g', consumers: 2, pending: 4, lastDeliveredId: '3-0', entriesRead: 3, lag: null });
    assert.equal(parseGroups([{ name: 'g', consumers: 0, pending: 0, 'last-delivered-id': '0-0' }])[0]!.lag, undefined, 'no lag field before Redis 7');
    assert.deepEqual(parseConsumers([new Map<unknown, unknown>([['name', 'c'], ['pending', 1], ['idle', 5], ['inactive', -1]])]), [{ name: 'c', pending: 1, idle: 5, inactive: -1 }]);
  });
  it('XPENDING summary with consumers as pairs or a map; XAUTOCLAIM with and without deleted ids', () => {
    assert.deepEqual(parsePendingSummary([2, '1-0', '2-0', [['c', '2']]]).consumers, [{ name: 'c', pending: 2 }]);
    assert.deepEqual(parsePendingSummary([0, null, null, null]), { count: 0, smallestId: null, greatestId: null, consumers: [] });
    assert.deepEqual(parseAutoClaim(['0-0', [['1-0', ['a', '1']]]]).deletedIds, []);
    assert.deepEqual(parseAutoClaim(['0-0', ['1-0'], ['2-0']]), { nextId: '0-0', entries: [{ id: '1-0', raw: null, fields: null }], deletedIds: ['2-0'] });
  });
  it('derives capabilities from the version', () => {
    assert.equal(capabilities('6.0.9').autoClaim, false);
    assert.equal(capabilities('6.2.0').autoClaim, true);
    assert.equal(capabilities('6.2.14').lag, false);
    assert.equal(capabilities('7.0.15').lag, true);
    assert.equal(capabilities('7.2.4').consumerInactive, true);
  });
});

describe('(unit) a field named __proto__ is kept like any other', () => {
  it('in replies, typed fields and renderings', async () => {
    const { fieldsFromText } = await import('../../src/core/ops');
    const { renderFields } = await import('../../src/core/messages/render');
    const f = parseFields([b('__proto__'), b('x'), b('a'), b('1')])!;
    assert.deepEqual(Object.entries(f), [['__proto__', 'x'], ['a', '1']]);
    assert.equal(Object.getPrototypeOf(f), Object.prototype);
    assert.deepEqual(fieldsFromText('__proto__=y'), [['__proto__', 'y']]);
    assert.deepEqual(fieldsFromText('{"__proto__": "z"}'), [['__proto__', 'z']]);
    assert.equal(JSON.stringify(renderFields(f)), '{"__proto__":"x","a":"1"}');
  });
});
