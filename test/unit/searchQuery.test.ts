// The search's text form and matcher: every kind of term, bad input refused with a reason, and
// matching on raw pairs (order, repeated and binary names, JSON paths) without decoding by hand.
import * as assert from 'node:assert/strict';
import * as core from '../../src/core/internal';
import { BadInputError } from '../../src/core/redis/errors';
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
    assert.throws(() => parseSearchQuery('from:9 to:5', NOW), /"from:9" is after "to:5"/, 'a reversed range is refused, not an empty search');
  });

  it('refuses what it cannot read, saying which term', () => {
    const bad: [string, RegExp][] = [
      ['status=', /no value after =/],
      ['=x', /no field name/],
      ['x=/a(/', /regular expression \/a\(\/ is not valid/],
      ['x=/abc', /no closing \//],
      ['"open', /not closed/],
      ['n>abc', /needs a decimal number/],
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
    // Nor a value whose text at the path is not in its bytes: numbers written another way, spaces between tokens.
    assert.equal(m('payload.n == 100', raw('payload', '{"n":1e2}')), true);
    assert.equal(m('payload.n ~ 00', raw('payload', '{"n":1e2}')), true);
    assert.equal(m('payload.n == null', raw('payload', '{"n":1e400}')), true);
    assert.equal(m('payload.n ~ "2,3"', raw('payload', '{"n":[2, 3]}')), true);
    assert.equal(m('payload.n == {"a":"kb"}', raw('payload', '{"n":{ "a" : "kb" }}')), true);
    assert.equal(m('payload.sku == "\ufffd"', raw('payload', Buffer.from([0x7b, 0x22, 0x73, 0x6b, 0x75, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]))), true, 'bytes that are not UTF-8 read as U+FFFD');
    // Long values (scanned natively) and short ones (in JavaScript) alike.
    const long = JSON.stringify({ pad: 'x'.repeat(200), sku: 'kb' });
    assert.equal(m('payload.sku == kb', raw('payload', long)), true);
    assert.equal(m('payload.sku == kd', raw('payload', long)), false);
    assert.equal(m(`note~${'y'.repeat(3)}`, raw('note', `${'x'.repeat(100)}yyy`)), true);
    assert.equal(m(`note=${'x'.repeat(100)}`, raw('note', 'x'.repeat(100))), true);
    assert.equal(m(`note=${'x'.repeat(100)}`, raw('note', `${'x'.repeat(99)}y`)), false);
  });

  it('describes a query as text that reads back to the same conditions', () => {
    const q = { where: [{ name: 'order id', op: 'equals' as const, value: 'A 1' }, { op: 'contains' as const, value: 'x' }], limit: 5, order: 'oldest' as const };
    const again = parseSearchQuery(describeQuery(q), NOW);
    assert.deepEqual(again.where, q.where);
    assert.equal(again.limit, 5);
    assert.equal(again.order, 'oldest');
  });

  it('not-equals matches the messages without a field of that name equal to the value (issue 21)', () => {
    assert.equal(m('status!=ok', raw('status', 'ok')), false);
    assert.equal(m('status!=ok', raw('status', 'failed')), true);
    assert.equal(m('status!=ok', raw('other', 'ok')), true, 'no field status at all');
    assert.equal(m('status!=ok', raw('status', 'failed', 'status', 'ok')), false, 'one of two repeated fields equals it');
    assert.equal(m('*!=ok', raw('a', 'ok', 'b', 'x')), false, 'any field: no value is ok');
    assert.equal(m('*!=ok', raw('a', 'no', 'b', 'x')), true);
    assert.equal(m('*!=ok', raw('ok', 'x')), true, 'names are not values');
  });

  it('reads a time written over spaces: "1h ago", "1h 30m ago", a date and a clock, or quoted', () => {
    const q = (t: string) => parseSearchQuery(t, NOW);
    assert.equal(q('since:1h ago').since, NOW - 3_600_000);
    assert.equal(q('since:1h ago').where, undefined, '"ago" is not a free-text term');
    assert.equal(q('since:1h 30m ago status=x').since, NOW - 5_400_000);
    assert.deepEqual(q('since:1h 30m ago status=x').where, [{ name: 'status', op: 'equals', value: 'x' }]);
    assert.equal(q('since:"1h 30m"').since, NOW - 5_400_000);
    assert.equal(q('until:2026-12-01 14:00').until, new Date(2026, 11, 1, 14, 0).getTime());
    assert.equal(q('since:2026-11-01 14:00:30Z').since, Date.UTC(2026, 10, 1, 14, 0, 30));
    assert.equal(q('since:"2026-11-01 14:00"').since, new Date(2026, 10, 1, 14, 0).getTime());
    // Without "ago" a further duration is free text, and a clock goes only after a date.
    assert.deepEqual(q('since:1h 30m').where, [{ op: 'contains', value: '30m' }]);
    assert.deepEqual(q('since:14:00 15:00').where, [{ op: 'contains', value: '15:00' }]);
    assert.throws(() => q('since:'), /needs a value/);
  });

  it('refuses bounds that leave nothing: reversed from/to, since after until, bounds that do not overlap', () => {
    const q = (t: string) => parseSearchQuery(t, NOW);
    assert.throws(() => q('from:9-0 to:5-0'), /"from:9-0" is after "to:5-0"/);
    assert.throws(() => q('since:15:00 until:14:00'), /"since" .* is after "until"/);
    assert.throws(() => q(`from:${NOW}-0 until:1h ago`), /leave no id between them/);
    assert.doesNotThrow(() => q('from:5-0 to:5-0'), 'one id is a range');
    assert.doesNotThrow(() => q('since:14:00 until:14:00'), 'one millisecond is a range');
  });

  it('compares only where both sides are decimal numbers: sign, digits, fraction, exponent', () => {
    for (const v of ['12', '-3.5', '+4', '.5', '2.', '1e3', '4E-2', '0']) assert.equal(core.decimalValue(v), Number(v), v);
    for (const v of ['', ' ', ' 1', '1 ', '0x10', 'Infinity', '-Infinity', 'NaN', '1e', '1_000', '١', '--1', '.', 'e5']) assert.equal(core.decimalValue(v), undefined, JSON.stringify(v));
    assert.equal(m('n<1', raw('n', '')), false, 'a blank value is not 0');
    assert.equal(m('n>1', raw('n', '0x10')), false, 'hex is not a number');
    assert.equal(m('n>1', raw('n', 'Infinity')), false);
    assert.equal(m('n>=1000', raw('n', '1e3')), true);
    assert.equal(m('n<0', raw('n', '-.5')), true);
    assert.equal(m('payload.n<1', raw('payload', '{"n":""}')), false, 'a blank JSON string is not 0');
    assert.equal(m('payload.n>1', raw('payload', '{"n":"0x10"}')), false);
    assert.equal(m('payload.n>1', raw('payload', '{"n":"2.5"}')), true, 'a JSON string holding a decimal compares');
    for (const v of ['0x10', 'Infinity', '', '1e']) assert.throws(() => parseSearchQuery(`n>"${v}"`, NOW), /needs a decimal number/, v);
  });

  it('follows JSON paths through own properties only, and never throws', () => {
    const obj = raw('payload', '{"a":{"b":1},"list":[10,20]}');
    for (const p of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'a.constructor', 'list.length', 'list.map']) {
      assert.equal(m(`has:payload.${p}`, obj), false, `has:payload.${p}`);
      for (const op of ['~x', '=x', '!=x', '>1', '=/x/']) assert.doesNotThrow(() => m(`payload.${p}${op}`, obj), `payload.${p}${op}`);
    }
    assert.equal(m('payload.constructor~x', obj), false);
    assert.equal(m('has:payload.__proto__', raw('payload', '{"__proto__":{"x":1}}')), true, 'an own "__proto__" key is a key');
    assert.equal(m('payload.__proto__.x=1', raw('payload', '{"__proto__":{"x":1}}')), true);
    assert.equal(m('payload.list[1]=20', obj), true, 'arrays by index');
    assert.equal(m('has:payload.list[2]', obj), false);
    assert.equal(m('has:payload.a[0]', raw('payload', '{"a":{"0":1}}')), false, 'an index reads arrays only');
  });

  it('runs regular expressions in linear time (RE2) and refuses by name what RE2 cannot do', () => {
    const value = raw('note', `${'a'.repeat(40)}!`);
    const t0 = process.hrtime.bigint();
    assert.equal(m('note=/(a+)+$/', value), false);
    assert.equal(m('note=/(a+)+!$/', value), true);
    assert.ok(Number(process.hrtime.bigint() - t0) / 1e6 < 1000, 'a catastrophic pattern for backtracking is immediate');
    const bad: [string, RegExp][] = [
      ['x=/(a)\\1/', /backreference \(\\1/],
      ['x=/(?<n>a)\\k<n>/', /named backreference/],
      ['x=/a(?=b)/', /lookahead/],
      ['x=/a(?!b)/', /lookahead/],
      ['x=/(?<=a)b/', /lookbehind/],
      ['x=/(?<!a)b/', /lookbehind/],
      ['x=/a/x', /flag "x"/],
      ['x=/a{2000}/', /not valid: invalid repeat count/],
      ['x=/a++/', /not valid/],
    ];
    for (const [q, re] of bad) assert.throws(() => parseSearchQuery(q, NOW), (e: unknown) => e instanceof BadInputError && re.test((e as Error).message), q);
    assert.equal(m('x=/[(?=]/', raw('x', '=')), true, 'inside a class, (?= is three characters');
    assert.equal(m('x=/A.B/is', raw('x', 'xa\nb')), true, 'flags i and s');
    assert.equal(m('x=/^b$/m', raw('x', 'a\nb')), true, 'flag m');
    assert.equal(m('x=/^b$/', raw('x', 'a\nb')), false);
    assert.equal(m('x=/é+/', raw('x', 'café')), true, 'the value is read as UTF-8');
  });
});

describe('(unit) search examples from a message', () => {
  // The search box's examples are built from the stream's newest message: each must match it.
  const { exampleQueries } = core;
  it('builds text, number and JSON-path examples that match the message they came from (random messages)', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const word = () => Array.from({ length: 1 + rnd(12) }, () => 'abcdefghijklmnopqrstuvwxyz0123456789_-.@'[rnd(40)]).join('');
    let built = 0;
    for (let round = 0; round < 500; round++) {
      const fields: [string, string][] = [];
      for (let i = 0, n = 1 + rnd(5); i < n; i++) {
        const name = `f${rnd(4)}${['', '_x', '.y'][rnd(3)]}`;
        const kind = rnd(5);
        const value = kind === 0 ? String(rnd(10_000) / 100 - 20) : kind === 1 ? JSON.stringify({ sku: word(), qty: rnd(9) }) : kind === 2 ? 'x'.repeat(40) : kind === 3 ? 'a b"c' : word();
        fields.push([name, value]);
      }
      const ex = exampleQueries(fields);
      if (ex === undefined) continue;
      built++;
      const text = ex.replace(/^e\.g\. /, '').replace(/\s+since:15m$/, '');
      const message = raw(...fields.flat());
      for (const term of text.split(/ {2}/)) assert.ok(m(term, message), `"${term}" (from ${JSON.stringify(fields)}) does not match its own message`);
    }
    assert.ok(built > 300, `examples built for ${built} of 500 messages`);
  });

  it('says nothing when the message has nothing to show (long or odd values only)', () => {
    assert.equal(exampleQueries([['blob', 'x'.repeat(100)]]), undefined);
    assert.equal(exampleQueries([['has space', 'v']]), undefined);
    assert.match(exampleQueries([['orderId', 'ord-1000'], ['total', '9.99'], ['payload', '{"sku":"kb","qty":1}']])!, /^e\.g\. orderId=ord-1000 {2}total>9 {2}payload\.sku == "kb" {2}since:15m$/);
  });
});
