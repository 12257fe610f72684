// The search's text form and matcher: every kind of term, bad input refused with a reason, and
// matching on raw pairs (order, repeated and binary names, JSON paths) without decoding by hand.
import * as assert from 'node:assert/strict';
import * as core from '../../src/core';
import { BadInputError } from '../../src/core/errors';
import { compileMatcher, describeQuery, idBounds, parseSearchQuery } from '../../src/core/search';

const raw = (...nv: (string | Buffer)[]) => nv.map((x) => (Buffer.isBuffer(x) ? x : Buffer.from(x)));
const NOW = new Date(2026, 10, 30, 15, 0, 0).getTime();
const m = (q: string, r: Buffer[] | null) => compileMatcher(parseSearchQuery(q, NOW))(r);

describe('(unit) search query', () => {
  it('is exported from the core', () => {
    assert.equal(core.parseSearchQuery, parseSearchQuery);
  });

  it('reads equals, not-equals, contains, regex, numbers, JSON paths, any-field and has:', () => {
    const q = parseSearchQuery('status=failed note~time "order id"="A 1" x=/^a.c$/i n>=3 payload.sku == "kb" *~zz free has:trace', NOW);
    assert.deepEqual(q.where, [
      { name: 'status', op: 'equals', value: 'failed' },
      { name: 'note', op: 'contains', value: 'time' },
      { name: 'order id', op: 'equals', value: 'A 1' },
      { name: 'x', op: 'regex', value: '^a.c$', flags: 'i' },
      { name: 'n', op: 'gte', value: '3' },
      { name: 'payload.sku', path: ['sku'], op: 'equals', value: 'kb' },
      { op: 'contains', value: 'zz' },
      { op: 'contains', value: 'free' },
      { name: 'trace', op: 'exists', value: '' },
    ]);
  });

  it('reads times (today, local), id bounds, pending filters, order and limit', () => {
    const q = parseSearchQuery('since:14:00 until:14:05 consumer:w1 idle:5m deliveries:3 order:oldest limit:20', NOW);
    assert.equal(q.since, new Date(2026, 10, 30, 14, 0, 0).getTime());
    assert.equal(q.until, new Date(2026, 10, 30, 14, 5, 0).getTime());
    assert.equal(q.consumer, 'w1');
    assert.equal(q.minIdleMs, 300_000);
    assert.equal(q.minDeliveries, 3);
    assert.equal(q.order, 'oldest');
    assert.equal(q.limit, 20);
    assert.deepEqual(idBounds(q), [`${q.since}-0`, `${q.until}-18446744073709551615`]);
    assert.deepEqual(idBounds(parseSearchQuery('from:5-1 to:9', NOW)), ['5-1', '9']);
    assert.deepEqual(idBounds(parseSearchQuery('from:5-1 since:15m', NOW)), [`${NOW - 900_000}-0`, '+']);
    assert.equal(idBounds(parseSearchQuery('from:9 to:5', NOW)), null, 'an empty range');
  });

  it('refuses what it cannot read, saying which term', () => {
    const bad: [string, RegExp][] = [
      ['status=', /no value after =/],
      ['=x', /no field name/],
      ['x=/a(/', /regular expression \/a\(\/ is not valid/],
      ['x=/abc', /no closing \//],
      ['"open', /not closed/],
      ['n>abc', /needs a number/],
      ['since:yesterday-ish', /Cannot read "yesterday-ish" as a time/],
      ['limit:0', /limit:0/],
      ['order:random', /order:newest or order:oldest/],
      ['from:abc', /abc/],
      ['since:15:00 until:14:00', /since.*after.*until/],
    ];
    for (const [q, re] of bad) assert.throws(() => parseSearchQuery(q, NOW), (e: unknown) => (e instanceof BadInputError || e instanceof core.BadIdError) && re.test((e as Error).message), q);
  });

  it('matches on raw pairs: repeated names, order, binary values, empty values', () => {
    const r = raw('a', '1', 'a', '2', 'bin', Buffer.from([0xff, 0x00, 0x41]), 'e', '');
    assert.equal(m('a=2', r), true, 'the second of two repeated names');
    assert.equal(m('a=3', r), false);
    assert.equal(m('a!=1', r), false, 'not-equals: no field a holds 1');
    assert.equal(m('zz!=1', r), true, 'a message without the field is not equal');
    assert.equal(m('bin~A', r), true, 'contains works on bytes');
    assert.equal(m('*~A', r), true);
    assert.equal(m('has:e', r), true);
    assert.equal(m('has:f', r), false);
    assert.equal(m('a>1', r), true);
    assert.equal(m('a<1', r), false);
    assert.equal(m('a=/^2$/', r), true);
    assert.equal(m('a=1 a=2', r), true, 'all terms hold, each on any field of that name');
    assert.equal(m('a=1', null), false, 'a deleted body matches no condition');
    assert.equal(m('since:1m', null), true, 'a query without conditions matches even a deleted body');
  });

  it('follows JSON paths, preferring a field whose whole name has the dot', () => {
    const r = raw('payload', JSON.stringify({ sku: 'kb', items: [{ sku: 'mouse', qty: 3 }], n: 7 }), 'a.b', 'whole');
    assert.equal(m('payload.sku == "kb"', r), true);
    assert.equal(m('payload.sku == kbd', r), false);
    assert.equal(m('payload.items[0].sku=mouse', r), true);
    assert.equal(m('payload.items[0].qty>2', r), true);
    assert.equal(m('payload.n=7', r), true);
    assert.equal(m('payload.sku!=kb', r), false);
    assert.equal(m('payload.sku!=x', r), true);
    assert.equal(m('payload.items~mouse', r), true, 'contains on a JSON object looks at its JSON text');
    assert.equal(m('payload.missing=1', r), false);
    assert.equal(m('has:payload.sku', r), true);
    assert.equal(m('a.b=whole', r), true, 'a field named a.b wins over the path b of a');
    // JSON may escape characters: the cheap prefilter must not hide such a value.
    assert.equal(m('payload.sku=kb', raw('payload', '{"sku":"\\u006bb"}')), true);
    assert.equal(m('payload.sku=kb', raw('payload', 'not json kb')), false);
  });

  it('describes a query as text that reads back to the same conditions', () => {
    const q = { where: [{ name: 'order id', op: 'equals' as const, value: 'A 1' }, { op: 'contains' as const, value: 'x' }], limit: 5, order: 'oldest' as const };
    const again = parseSearchQuery(describeQuery(q), NOW);
    assert.deepEqual(again.where, q.where);
    assert.equal(again.limit, 5);
    assert.equal(again.order, 'oldest');
  });
});
