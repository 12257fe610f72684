// Times as people read them in the extension: local first, UTC beside it (one format everywhere).
import { formatDuration } from '../core/internal';

const pad = (n: number) => String(n).padStart(2, '0');

/** "2026-12-06 01:51:51", local time. */
export function localTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "2026-12-06 01:51:51 local (2026-12-06 00:51:51 UTC)". */
export function localAndUtc(ms: number): string {
  return `${localTime(ms)} local (${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC)`;
}

/** For tooltips: {@link localAndUtc} and how long ago: "… UTC), 3m 2s ago". */
export function timeTip(ms: number): string {
  const ago = Date.now() - ms;
  return `${localAndUtc(ms)}, ${ago >= 0 ? `${formatDuration(ago)} ago` : `in ${formatDuration(-ago)}`}`;
}

/** Ids below this time (2001-09-09) are not read as times: ids given by hand ("1-0", "42-7"). */
const TIME_IDS_FROM = 1_000_000_000_000;
/** Ids this recent are labelled by their time alone, also across midnight (see {@link idLabel}). */
const RECENT_MS = 12 * 60 * 60_000;

/**
 * A stream id as a row's label, readable and short: its time in local time to the second
 * ("1796539972465-0" → "10:04:31"), the date before it when it is not today and more than 12
 * hours ago ("12-05 10:04:31", another year "2025-12-05 10:04:31"): an entry of 21:52 read at
 * 00:35 keeps the short label (a past time within the last 12 hours can only be that one), so
 * that its row's marks stay in view at the side bar's width after midnight too. The id itself
 * goes elsewhere in the row (entries of one second share a label). Ids given by hand ("1-0") are
 * shown as they are.
 */
export function idLabel(id: string, nowMs = Date.now()): string {
  const dash = id.indexOf('-');
  const ms = Number(dash < 0 ? id : id.slice(0, dash));
  if (id === '' || !Number.isSafeInteger(ms) || ms < TIME_IDS_FROM) return id;
  const d = new Date(ms);
  const now = new Date(nowMs);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (ms <= nowMs && nowMs - ms < RECENT_MS) return time;
  if (d.getFullYear() !== now.getFullYear()) return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
  if (d.getMonth() !== now.getMonth() || d.getDate() !== now.getDate()) return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
  return time;
}
