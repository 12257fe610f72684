// What a narrow tree row shows first: an id's time as its label (src/vscode/times.ts), and for a
// search hit the pairs the query was about, before the others (core matchedPairs, previewRaw).
// The matched pairs are checked against a reference written here, on random messages.
import * as assert from 'node:assert/strict';
import { compileMatcher, matchedPairs, parseSearchQuery, previewRaw } from '../../src/core/internal';
import { idLabel } from '../../src/vscode/times';

const raw = (...nv: string[]) => nv.map((x) => Buffer.from(x));

describe('(unit) row text', () => {
  it('labels a stream id with its local time to the second, the date when not today and more than 12 hours ago', () => {
    const now = new Date(2026, 11, 6, 15, 0, 0).getTime();
    const at = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number) => new Date(y, mo, d, h, mi, s, ms).getTime();
    assert.equal(idLabel(`${at(2026, 11, 6, 10, 4, 31, 465)}-0`, now), '10:04:31');
    assert.equal(idLabel(`${at(2026, 11, 6, 10, 4, 31, 5)}-3`, now), '10:04:31');
    assert.equal(idLabel(`${at(2026, 11, 5, 23, 59, 59, 999)}-0`, now), '12-05 23:59:59');
    // Across midnight, within the last 12 hours: the time alone (nothing else it could be).
    const justAfterMidnight = new Date(2026, 11, 7, 0, 35, 0).getTime();
    assert.equal(idLabel(`${at(2026, 11, 6, 21, 52, 48, 0)}-0`, justAfterMidnight), '21:52:48');
    assert.equal(idLabel(`${at(2026, 11, 6, 12, 34, 0, 0)}-0`, justAfterMidnight), '12-06 12:34:00', 'more than 12 hours ago');
    assert.equal(idLabel(`${at(2026, 11, 7, 1, 0, 0, 0)}-0`, justAfterMidnight), '01:00:00', 'ahead of the clock: today');
    assert.equal(idLabel(`${at(2025, 11, 6, 10, 4, 31, 0)}-0`, now), '2025-12-06 10:04:31');
    assert.equal(idLabel(`${at(2026, 11, 6, 1, 2, 3, 4)}`, now), '01:02:03', 'an id without a sequence number');
    // Ids given by hand, and anything that is not an id, are shown as they are.
    for (const id of ['1-0', '42-7', '0-1', '999999999999-0', 'not-an-id', '18446744073709551615-0', '']) assert.equal(idLabel(id, now), id);
  });

  it("leads a hit's preview with the pairs its query was about, in message order, the others after", () => {
    const r = raw('id', '7', 'status', 'failed', 'note', 'disk timeout', 'status', 'retry');
    const pairs = (q: string) => matchedPairs(parseSearchQuery(q), r);
    assert.deepEqual(pairs('status=failed'), [1, 3], 'every pair of that name (repeated names too)');
    assert.deepEqual(pairs('status!=ok'), [1, 3], 'not-equals names the field it compared');
    assert.deepEqual(pairs('timeout'), [2], 'a bare word: the pair holding it');
    assert.deepEqual(pairs('*!=x'), [], 'holds by an absence: no pair to show');
    assert.deepEqual(pairs('note~disk id=7'), [0, 2]);
    assert.deepEqual(matchedPairs(parseSearchQuery('payload.user=9'), raw('a', '1', 'payload', '{"user":9}')), [1], 'a JSON path: the field it reads');
    assert.deepEqual(matchedPairs(parseSearchQuery('x=1'), null), []);
    assert.equal(previewRaw(r, 80, pairs('timeout')), 'note=disk timeout id=7 status=failed status=retry');
    assert.equal(previewRaw(r, 80), 'id=7 status=failed note=disk timeout status=retry', 'without a lead: message order');
    assert.equal(previewRaw(r, 80, [9, -1]), previewRaw(r, 80), 'indexes outside the message are ignored');
  });

  it('names, for random messages and queries, exactly the pairs a reference finds (differential)', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const names = ['a', 'b', 'c'];
    const values = ['x', 'xy', 'y', '10', '2'];
    for (let round = 0; round < 500; round++) {
      const len = 1 + rand(5);
      const nv: string[] = [];
      for (let i = 0; i < len; i++) nv.push(names[rand(3)]!, values[rand(5)]!);
      const name = names[rand(3)]!;
      const value = values[rand(5)]!;
      const [op, q] = [
        ['=', `${name}=${value}`],
        ['~', `${name}~${value}`],
        ['!=', `${name}!=${value}`],
        ['word', value],
        ['>', `${name}>5`],
      ][rand(5)]!;
      const query = parseSearchQuery(q!);
      const r = raw(...nv);
      // The reference: a named condition names every pair of its name; a bare word every pair whose value holds it.
      const want: number[] = [];
      for (let p = 0; p < len; p++) if (op === 'word' ? nv[2 * p + 1]!.includes(value) : nv[2 * p] === name) want.push(p);
      assert.deepEqual(matchedPairs(query, r), want, `${q} on ${nv.join(' ')}`);
      // A message the query matches by a positive condition has a pair to show for it.
      if (op !== '!=' && compileMatcher(query)(r)) assert.ok(want.length > 0, `${q} matched ${nv.join(' ')} with nothing to show`);
    }
  });
});
