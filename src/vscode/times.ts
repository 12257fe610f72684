// Times as people read them in the extension: local first, UTC beside it (one format everywhere).
import { formatDuration } from '../core';

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
