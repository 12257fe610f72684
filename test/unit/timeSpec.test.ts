// Points in time as people type them (--since / --until of export): ISO dates and times, epoch ms,
// HH:MM today, a duration ago, "now"; and a clear refusal of anything else.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import * as core from '../../src/core/internal';
import { BadInputError } from '../../src/core/redis/errors';
import { TIME_SPEC_HINT, parseTimeSpec } from '../../src/core/search/timeSpec';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
/** A fixed "now": 2024-05-01 12:34:56.789 local time. */
const NOW = new Date(2024, 4, 1, 12, 34, 56, 789).getTime();

describe('(unit) timeSpec: parseTimeSpec', () => {
  it('is exported from the core', () => {
    assert.equal(core.parseTimeSpec, parseTimeSpec);
    assert.equal(core.TIME_SPEC_HINT, TIME_SPEC_HINT);
  });

  it('reads "now"', () => {
    assert.equal(parseTimeSpec('now', NOW), NOW);
    assert.equal(parseTimeSpec(' NOW ', NOW), NOW);
  });

  it('reads epoch milliseconds of 12 digits or more', () => {
    assert.equal(parseTimeSpec('1700000000000', NOW), 1_700_000_000_000);
    assert.equal(parseTimeSpec('100000000000', NOW), 100_000_000_000);
    assert.equal(parseTimeSpec(' 1700000000123 ', NOW), 1_700_000_000_123);
  });

  it('reads ISO dates and times: local without a zone, UTC with Z, offsets', () => {
    const cases: [string, number][] = [
      ['2024-05-01', new Date(2024, 4, 1).getTime()],
      ['2024-05-01T10:30', new Date(2024, 4, 1, 10, 30).getTime()],
      ['2024-05-01 10:30', new Date(2024, 4, 1, 10, 30).getTime()],
      ['2024-05-01T10:30:15', new Date(2024, 4, 1, 10, 30, 15).getTime()],
      ['2024-05-01T10:30:15.250', new Date(2024, 4, 1, 10, 30, 15, 250).getTime()],
      ['2024-05-01T10:30:15.2509', new Date(2024, 4, 1, 10, 30, 15, 250).getTime()],
      ['2024-05-01T10:30:00Z', Date.UTC(2024, 4, 1, 10, 30)],
      ['2024-05-01T10:30:00.5Z', Date.UTC(2024, 4, 1, 10, 30, 0, 500)],
      ['2024-05-01T10:30:00+02:00', Date.UTC(2024, 4, 1, 8, 30)],
      ['2024-05-01T10:30:00-0130', Date.UTC(2024, 4, 1, 12, 0)],
      ['2024-05-01T10:30+05', Date.UTC(2024, 4, 1, 5, 30)],
      ['2024-02-29', new Date(2024, 1, 29).getTime()],
    ];
    for (const [text, want] of cases) assert.equal(parseTimeSpec(text, NOW), want, text);
  });

  it('agrees with Date.parse on ISO date-times with a zone (property)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1971-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }), (d) => {
        const iso = d.toISOString();
        assert.equal(parseTimeSpec(iso, NOW), d.getTime());
      }),
    );
  });

  it('reads HH:MM and HH:MM:SS as that time today, local time', () => {
    assert.equal(parseTimeSpec('09:00', NOW), new Date(2024, 4, 1, 9, 0).getTime());
    assert.equal(parseTimeSpec('9:05', NOW), new Date(2024, 4, 1, 9, 5).getTime());
    assert.equal(parseTimeSpec('23:59:59', NOW), new Date(2024, 4, 1, 23, 59, 59).getTime());
    assert.equal(parseTimeSpec('00:00', NOW), new Date(2024, 4, 1).getTime());
  });

  it('reads a duration ago: 15m, 2h, 3d, "1h 30m ago", -15m', () => {
    assert.equal(parseTimeSpec('15m', NOW), NOW - 15 * M);
    assert.equal(parseTimeSpec('2h', NOW), NOW - 2 * H);
    assert.equal(parseTimeSpec('3d', NOW), NOW - 3 * D);
    assert.equal(parseTimeSpec('1h 30m ago', NOW), NOW - 90 * M);
    assert.equal(parseTimeSpec('-15m', NOW), NOW - 15 * M);
    assert.equal(parseTimeSpec('250ms', NOW), NOW - 250);
    assert.equal(parseTimeSpec('10 minutes ago', NOW), NOW - 10 * M);
  });

  it('refuses anything else with a BadInputError that lists the forms', () => {
    const bad = ['', '   ', 'yesterday', '12345', '90', '2024-13-01', '2024-02-30', '2023-02-29', '2024-05-01T24:00', '2024-05-01T10:60', '25:00', '10:61', '10:00:60', '5x', '15 ago', 'now-1h', '2024/05/01', '1h 1h'];
    for (const text of bad) {
      assert.throws(
        () => parseTimeSpec(text, NOW),
        (e: unknown) => e instanceof BadInputError && /time/.test(e.message) && (text.trim() === '' || e.message.includes('HH:MM')),
        text,
      );
    }
  });

  it('says why a short number is not a time', () => {
    assert.throws(() => parseTimeSpec('90', NOW), /at least 12 digits.*give a unit/);
  });

  it('never throws anything but BadInputError, whatever the text (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (s) => {
        try {
          const ms = parseTimeSpec(s, NOW);
          assert.ok(Number.isFinite(ms), `${JSON.stringify(s)} → ${ms}`);
        } catch (e) {
          assert.ok(e instanceof BadInputError, `${JSON.stringify(s)}: ${String(e)}`);
        }
      }),
    );
  });

  it('reads a date with a time separated by a space, and "ago" after a duration', () => {
    assert.equal(parseTimeSpec('2026-12-01 14:00', NOW), new Date(2026, 11, 1, 14, 0).getTime());
    assert.equal(parseTimeSpec('1h ago', NOW), NOW - 3_600_000);
  });

  it('gives one inclusive id range for a time range (TIME_RANGE_RULE): until keeps its whole millisecond', () => {
    assert.match(core.TIME_RANGE_RULE, /inclusive/);
    assert.deepEqual(core.timeRangeIds(1000, 2000), ['1000-0', '2000-18446744073709551615']);
    assert.deepEqual(core.timeRangeIds(undefined, undefined), ['-', '+']);
    assert.deepEqual(core.timeRangeIds(1000.7, undefined), ['1000-0', '+']);
  });
});
