// The journey panel's page, drawn from a MessageJourney or JobJourney: plain text in escaped HTML
// (every name, value, error and key comes from Redis and is untrusted), actions as data-
// attributes that media/journey.js turns into messages. No vscode import: unit-testable.
import { type JobJourney, type JourneyEvent, type MessageJourney, decodeName, decodeValue, formatDuration, oneLine, pairCount } from '../../core/internal';

/** What the page needs besides the journey. */
export interface JourneyRenderContext {
  /** Connection name (shown in the header). */
  connection: string;
  /** Read-only connection: write actions (Replay) are not offered. */
  readOnly: boolean;
  /** "Now", for "running for" and "… ago" (ms since the epoch). */
  now: number;
}

/** Pairs of a message shown at most; values cut at {@link MAX_VALUE} characters. */
const MAX_PAIRS = 40;
const MAX_VALUE = 300;
const MAX_TEXT = 500;

/** Escapes text for HTML content and attribute values (quotes included). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Text from Redis, made one line (control characters shown escaped), cut, and escaped. */
function t(s: string | undefined | null, max = MAX_TEXT): string {
  const one = oneLine(String(s ?? ''));
  return escapeHtml(one.length > max ? `${one.slice(0, max - 1)}…` : one);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** "2024-05-01 14:00:05.123" in the extension host's local time. */
export function localStamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** "2024-05-01 12:00:05.123 UTC". */
export function utcStamp(ms: number): string {
  return `${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')} UTC`;
}

const validTime = (ms: number | undefined): ms is number => ms !== undefined && Number.isFinite(ms) && ms >= 0 && ms <= 8.64e15;

/** A time cell: local time, UTC on hover (and in the text for screen readers). */
function when(ms: number | undefined, now: number): string {
  if (!validTime(ms)) return '<span class="dim">?</span>';
  const ago = now - ms;
  const rel = ago >= 0 ? `${formatDuration(ago)} ago` : `in ${formatDuration(-ago)}`;
  return `<span class="time" title="${escapeHtml(`${utcStamp(ms)} · ${rel}`)}">${escapeHtml(localStamp(ms))}</span>`;
}

function link(action: string, label: string, data: Record<string, string>, title?: string): string {
  const attrs = Object.entries(data)
    .map(([k, v]) => ` data-${k}="${escapeHtml(v)}"`)
    .join('');
  return `<a href="#" class="action" data-action="${action}"${attrs}${title ? ` title="${escapeHtml(title)}"` : ''}>${label}</a>`;
}

function button(action: string, label: string, data: Record<string, string> = {}, title?: string): string {
  const attrs = Object.entries(data)
    .map(([k, v]) => ` data-${k}="${escapeHtml(v)}"`)
    .join('');
  return `<button type="button" data-action="${action}"${attrs}${title ? ` title="${escapeHtml(title)}"` : ''}>${label}</button>`;
}

function section(id: string, title: string, body: string, extra = ''): string {
  return `<section id="${id}"><h2>${title}${extra}</h2>${body}</section>`;
}

/** A note as a sentence: capitalised, with a full stop. */
function sentence(s: string): string {
  const c = s.trim();
  return c ? `${c[0]!.toUpperCase()}${c.slice(1)}${/[.!?)]$/.test(c) ? '' : '.'}` : c;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

// ---- a stream message ----

const STATE_TEXT: Record<MessageJourney['state'], { label: string; explain: string }> = {
  present: { label: 'In the stream', explain: 'The entry is in the stream.' },
  trimmed: { label: 'Trimmed', explain: 'The entry is gone: trimming (MAXLEN / MINID) removed it.' },
  deleted: { label: 'Deleted', explain: 'The entry is gone: it was deleted with XDEL.' },
  gone: { label: 'Gone', explain: 'The entry is not in the stream.' },
};

const GROUP_TEXT: Record<MessageJourney['groups'][number]['state'], string> = {
  'not-delivered': 'Not delivered yet',
  pending: 'Pending',
  acknowledged: 'Acknowledged',
};

/** A message's pairs as a table (in order, repeated names kept, binary as hex, long values cut). */
function pairsTable(raw: Buffer[]): string {
  const n = pairCount(raw);
  const rows: string[] = [];
  for (let i = 0; i < n && i < MAX_PAIRS; i++) {
    const name = decodeName(raw[2 * i]);
    const v = decodeValue(raw[2 * i + 1]);
    let value: string;
    if (typeof v === 'string') {
      value = v === '' ? '<span class="dim">(empty)</span>' : t(v, MAX_VALUE);
    } else {
      const hex = v.subarray(0, 24).toString('hex');
      value = `<span class="bin">0x${escapeHtml(hex)}${v.length > 24 ? '…' : ''}</span> <span class="dim">(${v.length} bytes, binary)</span>`;
    }
    rows.push(`<tr><th scope="row">${name === '' ? '<span class="dim">(empty)</span>' : t(name, 120)}</th><td>${value}</td></tr>`);
  }
  const more = n > MAX_PAIRS ? `<p class="dim">… and ${n - MAX_PAIRS} more pairs (Open Entry shows them all).</p>` : '';
  return `<table class="pairs"><tbody>${rows.join('')}</tbody></table>${more}`;
}

function eventWhat(e: JourneyEvent): string {
  const n = e.deliveries;
  switch (e.type) {
    case 'delivered':
    case 'failed':
    case 'retried':
      return n !== undefined ? `${e.type} (delivery ${n})` : e.type;
    case 'claimed':
      return 'claimed';
    case 'acked':
      return 'acknowledged';
    case 'dead-lettered':
      return n !== undefined ? `dead-lettered after ${plural(n, 'delivery', 'deliveries')}` : 'dead-lettered';
    default:
      return t(String(e.type));
  }
}

function eventDetail(e: JourneyEvent): string {
  const parts: string[] = [];
  if (e.error !== undefined && e.error !== '') parts.push(`<span class="err">${t(e.error)}</span>`);
  if (e.from) parts.push(`from ${t(e.from)}`);
  if (e.dlqId) parts.push(`as ${t(e.dlqId)}`);
  return parts.join(' · ');
}

function timeline(events: JourneyEvent[], selfId: string, now: number, mark: (id: string) => string): string {
  const rows = events.map((e) => {
    const who = [e.group, e.consumer].filter((x) => x !== undefined && x !== '').map((x) => t(x)).join(' / ');
    const of = e.id === selfId ? '' : `<span class="tag">${mark(e.id)}</span> `;
    return `<tr class="ev ev-${escapeHtml(e.type)}"><td>${when(e.at, now)}</td><td>${of}${eventWhat(e)}</td><td>${who || '<span class="dim">—</span>'}</td><td>${eventDetail(e)}</td></tr>`;
  });
  return `<table class="grid"><thead><tr><th>Time (local)</th><th>Event</th><th>Group / consumer</th><th>Detail</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function eventsHint(key: string | null, what: string): string {
  if (key === null) return '<p class="dim">Events were not looked for.</p>';
  return (
    `<p class="dim">No events recorded in <code>${t(key)}</code>. Workers record what happens to each ${what} when asked to: ` +
    'the <code>events</code> option of the embedded worker (<code>events: true</code>), or <code>redis-queues work --events</code>.</p>'
  );
}

function notesSection(complete: boolean, notes: string[]): string {
  if (complete && !notes.length) return '';
  const warn = complete ? '' : '<p class="warn" id="incomplete">⚠ Incomplete: a bound stopped a lookup (see the notes); what is shown is what was found.</p>';
  const list = notes.length ? `<ul>${notes.map((n) => `<li>${t(n, 1000)}</li>`).join('')}</ul>` : '';
  return section('notes', 'Notes', `${warn}${list}`);
}

/** What the group table's cursor column is (it is not this message's delivery). */
const CURSOR_TITLE = "The group's last-delivered id: the newest message delivered to any consumer of the group, not necessarily this one";

/** A pending message's idle time, on one line; its last delivery (local, and UTC) on hover. */
function idleCell(idleMs: number | undefined, now: number): string {
  if (idleMs === undefined || !Number.isFinite(idleMs)) return '<span class="dim">?</span>';
  const at = now - idleMs;
  return `<span class="idle" title="${escapeHtml(`last delivered ${localStamp(at)} local · ${utcStamp(at)}`)}">${escapeHtml(formatDuration(idleMs))}</span>`;
}

function messageBody(j: MessageJourney, ctx: JourneyRenderContext): string {
  const now = ctx.now;
  const state = STATE_TEXT[j.state];
  const out: string[] = [];

  // Header.
  const time = validTime(j.time)
    ? `<span class="time">${escapeHtml(localStamp(j.time))}</span> local · <span class="time">${escapeHtml(utcStamp(j.time))}</span>`
    : '<span class="dim">the id holds no time</span>';
  out.push(
    `<header><div class="titlebar"><h1>Journey of <code id="msg-id">${escapeHtml(j.id)}</code></h1><span class="spacer"></span>${button('refresh', 'Refresh', {}, 'Read the journey again')}</div>` +
      `<div class="where">stream <code>${t(j.stream)}</code> on <b>${t(ctx.connection)}</b> · ${time}</div>` +
      `<div class="state"><span class="badge state-${j.state}" id="state">${state.label}</span> <span class="explain">${escapeHtml(state.explain)}${j.stateNote ? ` ${t(sentence(j.stateNote))}` : ''}</span></div>` +
      (j.replayOf
        ? `<div class="replayof" id="replay-of">This message is a replay of ${link('journey', escapeHtml(j.replayOf), { id: j.replayOf }, 'Show the journey of the original')}. ` +
          `<span class="dim">Replaying removed its dead-letter record: why and when it was dead-lettered is in the original's journey (its timeline, when workers record events).</span></div>`
        : '') +
      '</header>',
  );

  // The message.
  const entry = j.entry;
  const msg = entry?.raw
    ? `${pairsTable(entry.raw)}<p>${button('openEntry', 'Open Entry', { stream: j.stream, id: j.id }, 'Open the whole entry as JSON')}</p>`
    : `<p class="dim">The message is no longer in the stream${j.deadLetters.length ? ': its dead-letter copies below keep it' : ''}.</p>`;
  out.push(section('message', 'Message', msg, entry?.raw ? ` <span class="count">${plural(pairCount(entry.raw), 'pair')}</span>` : ''));

  // Groups.
  let groups: string;
  if (!j.groups.length) groups = '<p class="dim">The stream has no consumer groups.</p>';
  else {
    const rows = j.groups.map((g) => {
      const pending = g.state === 'pending';
      return (
        `<tr class="group g-${g.state}"><td>${t(g.group)}</td><td><span class="badge g-${g.state}">${GROUP_TEXT[g.state]}</span></td>` +
        `<td>${pending ? t(g.consumer) : '<span class="dim">—</span>'}</td><td class="num">${pending && g.deliveries !== undefined ? g.deliveries : '<span class="dim">—</span>'}</td>` +
        `<td class="num">${pending ? idleCell(g.idleMs, now) : '<span class="dim">—</span>'}</td><td><code class="cursor" title="${escapeHtml(CURSOR_TITLE)}">${escapeHtml(g.lastDeliveredId)}</code></td>` +
        `<td class="note">${g.note ? t(g.note) : ''}</td></tr>`
      );
    });
    groups = `<table class="grid"><thead><tr><th>Group</th><th>State</th><th>Consumer</th><th class="num">Deliveries</th><th class="num" title="Since this message's last delivery to its consumer (hover a value: when, local and UTC)">Idle</th><th title="${escapeHtml(CURSOR_TITLE)}">Group's cursor <span class="sub">(last delivered to the group)</span></th><th>Note</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  }
  out.push(section('groups', 'Consumer groups', groups));

  // Dead letters.
  if (j.deadLetters.length) {
    const rows = j.deadLetters.map((d) => {
      const of = d.originalId === j.id ? 'this message' : `its replay ${link('journey', escapeHtml(d.originalId), { id: d.originalId })}`;
      const where = [d.group ? `group ${t(d.group)}` : '', d.consumer ? `consumer ${t(d.consumer)}` : ''].filter(Boolean).join(', ');
      const actions = [
        link('openEntry', 'Open', { stream: d.dlq, id: d.id }, 'Open the dead-letter record'),
        ctx.readOnly ? '' : link('replay', 'Replay…', { dlq: d.dlq, id: d.id }, `Replay this record from ${d.dlq} to its origin (asks to confirm)`),
      ].filter(Boolean);
      return (
        `<tr class="dlq"><td><code>${escapeHtml(d.id)}</code><div class="dim">in ${t(d.dlq)}</div></td><td>${of}</td><td class="err">${d.error !== undefined && d.error !== '' ? t(d.error) : '<span class="dim">no error recorded</span>'}</td>` +
        `<td class="num">${d.deliveries ?? '<span class="dim">?</span>'}</td><td>${when(d.at, now)}</td><td>${where || '<span class="dim">—</span>'}</td><td class="actions">${actions.join(' · ')}</td></tr>`
      );
    });
    out.push(
      section(
        'dead-letters',
        'Dead-letter copies',
        `<table class="grid"><thead><tr><th>Record</th><th>Copy of</th><th>Error</th><th class="num">Deliveries</th><th>Dead-lettered (local)</th><th>Where</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
          (ctx.readOnly ? '<p class="dim">Read-only connection: replaying is not offered.</p>' : ''),
      ),
    );
  } else if (j.dlq) {
    out.push(section('dead-letters', 'Dead-letter copies', `<p class="dim">None in <code>${t(j.dlq)}</code>.</p>`));
  }

  // Replays.
  if (j.replays.length) {
    const idLink = (id: string, gone: boolean) =>
      id === j.id ? `<b class="self">${escapeHtml(id)}</b>` : `${link('journey', escapeHtml(id), { id }, 'Show its journey')}${gone ? ' <span class="dim">(gone)</span>' : ''}`;
    const linear = j.replays.every((r, i) => r.from === (i === 0 ? j.id : j.replays[i - 1]!.to));
    let body: string;
    if (linear) {
      body = `<p class="chain" id="replay-chain">${[idLink(j.id, false), ...j.replays.map((r) => idLink(r.to, !r.present))].join(' <span class="arrow">→</span> ')}</p>`;
    } else {
      body = `<ul class="chain" id="replay-chain">${j.replays.map((r) => `<li>${idLink(r.from, false)} <span class="arrow">→</span> ${idLink(r.to, !r.present)}${r.count !== undefined ? ` <span class="dim">(replay #${r.count})</span>` : ''}</li>`).join('')}</ul>`;
    }
    out.push(section('replays', 'Replays', `${body}<p class="dim">Each replay is the message written again to the stream by a replay from the dead-letter stream (recorded as x-replay-of).</p>`));
  }

  // Timeline.
  const mark = (id: string) => `replay ${escapeHtml(id)}`;
  out.push(section('timeline', 'Timeline', j.events.length ? timeline(j.events, j.id, now, mark) : eventsHint(j.eventsKey, 'message'), j.events.length ? ` <span class="count">${plural(j.events.length, 'event')}</span>` : ''));

  out.push(notesSection(j.complete, j.notes));
  return out.join('\n');
}

// ---- a list-queue job ----

const JOB_TEXT: Record<JobJourney['state'], string> = {
  waiting: 'Waiting',
  processing: 'Processing',
  dead: 'Dead',
  none: 'In no list',
};

function jobBody(j: JobJourney, ctx: JourneyRenderContext): string {
  const now = ctx.now;
  const out: string[] = [];
  let explain: string;
  switch (j.state) {
    case 'waiting':
      explain = `Waiting in <code>${t(j.list)}</code>: ${j.ahead === 0 ? 'next to run' : `${plural(j.ahead ?? 0, 'job')} ahead of it`} (${plural(j.listLength ?? 0, 'job')} waiting).`;
      break;
    case 'processing':
      explain = `A worker took it: it is in <code>${t(j.list)}</code>${validTime(j.startedAt) ? `, running for ${escapeHtml(formatDuration(now - j.startedAt))}` : ''}.`;
      break;
    case 'dead':
      explain = `It failed for good: it is in the dead-letter list <code>${t(j.list)}</code>${validTime(j.deadAt) ? ` since ${when(j.deadAt, now)}` : ''}.`;
      break;
    default: {
      const acked = j.events.find((e) => e.type === 'acked');
      explain = j.hash
        ? 'It is in no list, but its hash exists: between two steps of a worker, or left behind.'
        : acked
          ? `Done: acknowledged at ${when(acked.at, now)} (an ack deletes its hash).`
          : 'It is in no list and has no hash: done (an ack deletes it), deleted, or never enqueued.';
    }
  }
  out.push(
    `<header><div class="titlebar"><h1>Journey of job <code id="msg-id">${t(j.id, 200)}</code></h1><span class="spacer"></span>${button('refresh', 'Refresh', {}, 'Read the journey again')}</div>` +
      `<div class="where">list queue <code>${t(j.queue)}</code> on <b>${t(ctx.connection)}</b></div>` +
      `<div class="state"><span class="badge job-${j.state}" id="state">${JOB_TEXT[j.state]}</span> <span class="explain">${explain}</span></div></header>`,
  );
  const facts: [string, string][] = [];
  facts.push(['Attempts', j.attempts !== undefined ? String(j.attempts) : '<span class="dim">not recorded</span>']);
  facts.push(['Last error', j.lastError !== undefined ? `<span class="err">${t(j.lastError)}</span>` : '<span class="dim">none</span>']);
  if (validTime(j.createdAt)) facts.push(['Created', when(j.createdAt, now)]);
  if (validTime(j.startedAt)) facts.push(['Started', when(j.startedAt, now)]);
  if (validTime(j.deadAt)) facts.push(['Dead since', when(j.deadAt, now)]);
  if (j.list !== undefined && j.index !== undefined) facts.push(['Position', `index ${j.index} of ${j.listLength ?? '?'} in <code>${t(j.list)}</code>`]);
  facts.push(['Job hash', j.hash ? `<code>${t(j.keys.job)}</code> ${button('openJob', 'Open Job', { queue: j.queue, id: j.id })}` : `<span class="dim">gone (<code>${t(j.keys.job)}</code>)</span>`]);
  out.push(section('job', 'Job', `<table class="facts"><tbody>${facts.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join('')}</tbody></table>`));
  out.push(section('timeline', 'Timeline', j.events.length ? timeline(j.events, j.id, now, (id) => escapeHtml(id)) : eventsHint(j.eventsKey, 'job'), j.events.length ? ` <span class="count">${plural(j.events.length, 'event')}</span>` : ''));
  out.push(notesSection(j.complete, j.notes));
  return out.join('\n');
}

/** The page's body (inside `<main>`) for a journey. */
export function renderJourney(j: MessageJourney | JobJourney, ctx: JourneyRenderContext): string {
  return j.kind === 'job' ? jobBody(j, ctx) : messageBody(j, ctx);
}

/** The page's body when reading the journey failed. */
export function renderJourneyError(what: string, message: string): string {
  return (
    `<header><div class="titlebar"><h1>Journey of ${t(what, 300)}</h1><span class="spacer"></span>${button('refresh', 'Refresh', {}, 'Try again')}</div></header>` +
    `<p class="warn" id="error">Cannot read the journey: ${t(message, 1000)}</p>`
  );
}
