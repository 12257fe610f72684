/**
 * Points in time as people type them (`--since`, `--until`, a time-range prompt), read by
 * {@link parseTimeSpec} into epoch milliseconds:
 *
 * - `now`;
 * - an ISO date or date-time: `2024-05-01`, `2024-05-01T10:30`, `2024-05-01 10:30:15.250`,
 *   `2024-05-01T10:30:00Z`, `2024-05-01T10:30:00+02:00`; without a zone it is local time (a date
 *   alone is local midnight);
 * - epoch milliseconds: a whole number of at least 12 digits (`1700000000000`);
 * - `HH:MM` or `HH:MM:SS`: that time today, local time (even when it is later than now);
 * - a duration ago: `15m`, `2h`, `3d`, `1h 30m`, also written `15m ago` or `-15m` (the units of
 *   `parseDuration`: ms, s, m, h, d).
 *
 * Anything else is a {@link BadInputError} that lists these forms.
 */
import { BadInputError } from '../redis/errors';
import { parseDuration } from '../inspect/health';
import { idForTime } from '../messages/ids';

/** How a point in time is written wherever one is entered; for help texts and error messages. */
export const TIME_SPEC_HINT = 'an ISO date or time (2024-05-01, 2024-05-01T10:30, …Z or …+02:00), epoch ms (1700000000000), HH:MM[:SS] today (local), a duration ago (15m, 2h, 3d, "1h 30m ago") or "now"';

/**
 * The one rule for a time range, wherever one is given (search's `since:`/`until:`, export's
 * `--since`/`--until`, the editor's prompts): both ends are inclusive. `until:14:05` keeps the
 * entries added during the millisecond 14:05:00.000; `since` keeps those of its millisecond too.
 */
export const TIME_RANGE_RULE = 'both ends are inclusive: "until" keeps the entries added during the millisecond it names';

/**
 * The stream-id range of a time range ({@link TIME_RANGE_RULE}), for XRANGE: `[start, end]`,
 * inclusive; `-` / `+` for an end not given. Times before the epoch read as the epoch.
 */
export function timeRangeIds(sinceMs?: number, untilMs?: number): [string, string] {
  const start = sinceMs === undefined ? '-' : idForTime(sinceMs);
  const end = untilMs === undefined ? '+' : `${Math.max(0, Math.floor(untilMs))}-18446744073709551615`;
  return [start, end];
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const CLOCK = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;
const EPOCH_MS = /^\d{12,}$/;

function bad(text: string, why?: string): BadInputError {
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return new BadInputError(`Cannot read "${shown.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')}" as a time${why ? ` (${why})` : ''}: write ${TIME_SPEC_HINT}`);
}

/**
 * A point in time as epoch ms (see the module comment for the forms). `nowMs` is "now" (given so
 * that a caller reads several specs against one clock, and tests are exact).
 */
export function parseTimeSpec(text: string, nowMs: number = Date.now()): number {
  const t = String(text ?? '').trim();
  if (!t) throw new BadInputError(`No time given: write ${TIME_SPEC_HINT}`);
  if (/^now$/i.test(t)) return nowMs;

  if (EPOCH_MS.test(t)) {
    const ms = Number(t);
    if (!Number.isSafeInteger(ms) || ms > 8_640_000_000_000_000) throw bad(t, 'too large for epoch milliseconds');
    return ms;
  }
  if (/^\d+$/.test(t)) throw bad(t, 'a plain number is read as epoch milliseconds, which have at least 12 digits; for a time ago give a unit, e.g. 90s');

  let m = ISO.exec(t);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const [h, mi, s] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
    const frac = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
    if (mo < 1 || mo > 12) throw bad(t, `month ${m[2]} does not exist`);
    const last = new Date(0);
    last.setUTCFullYear(y, mo, 0);
    const days = last.getUTCDate();
    if (d < 1 || d > days) throw bad(t, `day ${m[3]} does not exist in that month`);
    if (h > 23 || mi > 59 || s > 59) throw bad(t, 'hours run to 23, minutes and seconds to 59');
    const zone = m[8];
    let ms: number;
    if (zone) {
      let offsetMin = 0;
      if (zone !== 'Z' && zone !== 'z') {
        const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
        const oh = Number(z[2]);
        const om = Number(z[3] ?? 0);
        if (oh > 23 || om > 59) throw bad(t, `zone ${zone} is not an offset`);
        offsetMin = (z[1] === '-' ? -1 : 1) * (oh * 60 + om);
      }
      const utc = new Date(0);
      utc.setUTCFullYear(y, mo - 1, d);
      utc.setUTCHours(h, mi, s, 0);
      ms = utc.getTime() - offsetMin * 60_000;
    } else {
      const local = new Date(0);
      local.setFullYear(y, mo - 1, d);
      local.setHours(h, mi, s, 0);
      ms = local.getTime();
    }
    return ms + Math.floor(frac);
  }

  m = CLOCK.exec(t);
  if (m) {
    const [h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
    if (h > 23 || mi > 59 || s > 59) throw bad(t, 'hours run to 23, minutes and seconds to 59');
    const today = new Date(nowMs);
    today.setHours(h, mi, s, 0);
    return today.getTime();
  }

  const rel = /^-\s*(.+)$/.exec(t)?.[1] ?? /^(.+?)\s+ago$/i.exec(t)?.[1] ?? t;
  if (/^[\d.]/.test(rel) && /[a-z]/i.test(rel)) {
    let ms: number;
    try {
      ms = parseDuration(rel);
    } catch (e) {
      throw bad(t, (e as Error).message.replace(/:.*$/, ''));
    }
    return nowMs - ms;
  }
  throw bad(t);
}
