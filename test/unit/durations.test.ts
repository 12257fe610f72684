// Durations as people type them (every prompt for an idle time or an age), and their round trip
// with formatDuration (how every default and every figure is shown).
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import * as core from '../../src/core/internal';
import { BadInputError } from '../../src/core/redis/errors';
import { DURATION_HINT, durationProblem, formatDuration, parseDuration } from '../../src/core/inspect/health';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('(unit) durations', () => {
  it('is exported from the core', () => {
    assert.equal(core.parseDuration, parseDuration);
    assert.equal(core.durationProblem, durationProblem);
  });

  it('reads ms, s, m, h, d, combinations, and a plain number as seconds', () => {
    const cases: [string, number][] = [
      ['90s', 90 * S],
      ['5m', 5 * M],
      ['1h 30m', H + 30 * M],
      ['1h30m', H + 30 * M],
      ['1h, 30m', H + 30 * M],
      ['250ms', 250],
      ['2d', 2 * D],
      ['2d 3h 4m 5s 6ms', 2 * D + 3 * H + 4 * M + 5 * S + 6],
      ['90', 90 * S],
      ['0', 0],
      ['0s', 0],
      ['1.5', 1500],
      ['.5', 500],
      ['1.5h', 90 * M],
      ['  45 s  ', 45 * S],
      ['10 minutes', 10 * M],
      ['1 hour 2 mins', H + 2 * M],
      ['3 days', 3 * D],
      ['2 sec', 2 * S],
      ['1H 5M', H + 5 * M],
      ['0.0004s', 0],
      ['0.0006s', 1],
    ];
    for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
  });

  it('refuses what is not a duration, saying why', () => {
    const bad: [string, RegExp][] = [
      ['', /No duration given: write a duration, e\.g\. 90s, 5m/],
      ['   ', /No duration given/],
      ['-5s', /cannot be negative/],
      ['-1', /cannot be negative/],
      ['5x', /Unknown unit "x" in "5x": use ms, s, m, h or d/],
      ['5 weeks', /Unknown unit "weeks"/],
      ['1h 30', /"30" in "1h 30" has no unit/],
      ['1m 2min', /gives the min twice/],
      ['abc', /Cannot read "abc" in "abc" as a duration/],
      ['h', /Cannot read "h"/],
      ['1e3', /Unknown unit "e"/],
      ['5m!', /Cannot read "!"/],
      ['1.2.3', /Cannot read/],
      ['5constructor', /Unknown unit "constructor"/],
      ['1__proto__', /Cannot read|Unknown unit/],
      ['99999999999999999999d', /too long a duration/],
    ];
    for (const [text, message] of bad) {
      assert.throws(() => parseDuration(text), (e: unknown) => e instanceof BadInputError && message.test((e as Error).message), `${JSON.stringify(text)}: ${(() => { try { return parseDuration(text); } catch (e) { return (e as Error).message; } })()}`);
    }
  });

  it('durationProblem: the validation message of an input box, with an optional minimum', () => {
    assert.equal(durationProblem('5m'), undefined);
    assert.match(durationProblem('5 parsecs')!, /Unknown unit "parsecs"/);
    assert.equal(durationProblem('0'), undefined);
    assert.equal(durationProblem('0', { min: 1 }), 'At least 1ms');
    assert.equal(durationProblem('2s', { min: 1000 }), undefined);
    assert.match(DURATION_HINT, /90s, 5m, 1h 30m, 250ms or 2d; a plain number is seconds/);
  });

  it('reads back everything formatDuration writes, including the examples of its doc', () => {
    for (const text of ['850ms', '12s', '3m 5s', '2h 10m', '4d 3h', '0ms', '5m 0s', '1h 0m', '1d 0h']) {
      assert.equal(formatDuration(parseDuration(text)), text, text);
    }
    assert.equal(parseDuration(formatDuration(6338722)), H + 45 * M, 'the claim default of 6338722 ms shows and reads as 1h 45m');
    assert.equal(formatDuration(6338722), '1h 45m');
  });

  it('round trip: format ∘ parse ∘ format = format, and parse ∘ format never exceeds the duration (a safe minimum idle)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * D }), (ms) => {
        const shown = formatDuration(ms);
        const back = parseDuration(shown);
        assert.equal(formatDuration(back), shown);
        assert.ok(back <= ms, `${ms} → ${shown} → ${back}`);
      }),
      { numRuns: 5000 },
    );
  });

  it('round trip is exact on durations formatDuration writes whole', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 999 }),
          fc.integer({ min: 1, max: 3599 }).map((s) => s * S),
          fc.integer({ min: 60, max: 1439 }).map((m) => m * M),
          fc.integer({ min: 24, max: 10_000 }).map((h) => h * H),
        ),
        (ms) => assert.equal(parseDuration(formatDuration(ms)), ms),
      ),
      { numRuns: 3000 },
    );
  });

  it('any string either parses to a whole, non-negative, safe number of ms or throws BadInputError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9 .a-z,-]{0,12}$/)), (text) => {
        try {
          const ms = parseDuration(text);
          assert.ok(Number.isSafeInteger(ms) && ms >= 0, `${JSON.stringify(text)} → ${ms}`);
        } catch (e) {
          assert.ok(e instanceof BadInputError, String(e));
        }
      }),
      { numRuns: 5000 },
    );
  });
});
