/** A message's or job's journey in lines of text (the CLI's output, the agents' summary). */
import { printable } from '../redis/errors';
import { formatDuration } from './health';
import { oneLine, previewRaw } from '../messages/render';
import type { JobJourney, JourneyEvent, MessageJourney } from './journey';

function when(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0 || ms > 8.64e15) return '?';
  return new Date(ms).toISOString();
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${s}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const t = (s: string | undefined): string => oneLine(printable(s ?? '', 300));

/** One timeline line. `mark` names the message when the event is about a replay of it. */
function eventLine(e: JourneyEvent, mark: string): string {
  const who = [e.group, e.consumer].filter((x) => x !== undefined && x !== '').map((x) => t(x)).join('/');
  const by = who ? ` ${who}` : '';
  const d = e.deliveries !== undefined ? e.deliveries : undefined;
  let what: string;
  switch (e.type) {
    case 'delivered':
      what = `delivered to${by || ' a worker'}${d !== undefined ? ` (${ordinal(d)} delivery)` : ''}`;
      break;
    case 'failed':
      what = `failed in${by || ' a worker'}${d !== undefined ? ` (delivery ${d})` : ''}: ${t(e.error)}`;
      break;
    case 'retried':
      what = `retried by${by || ' a worker'}${d !== undefined ? ` (delivery ${d})` : ''}`;
      break;
    case 'claimed':
      what = `claimed by${by || ' a worker'}${e.from ? ` from ${t(e.from)}` : ''}`;
      break;
    case 'acked':
      what = `acknowledged by${by || ' a worker'}`;
      break;
    case 'dead-lettered':
      what = `dead-lettered by${by || ' a worker'}${e.dlqId ? ` as ${e.dlqId}` : ''}${d !== undefined ? ` after ${plural(d, 'delivery', 'deliveries')}` : ''}${e.error ? `: ${t(e.error)}` : ''}`;
      break;
    default:
      what = e.type;
  }
  return `  ${when(e.at)} ${mark}${what}`;
}

/**
 * The journey in words, one line each (for the CLI and for an assistant): where the message is,
 * per group what became of it, its dead-letter copies, its replays, its recorded timeline and what
 * could not be looked at. Text from Redis is made safe for one line.
 */
export function describeJourney(j: MessageJourney | JobJourney, now = Date.now()): string[] {
  return j.kind === 'job' ? describeJob(j, now) : describeMessage(j);
}

function describeMessage(j: MessageJourney): string[] {
  const out: string[] = [`${t(j.stream)} ${j.id} · ${j.state} · ${when(j.time)}`];
  if (j.stateNote) out.push(`  ${j.stateNote}`);
  if (j.entry?.raw) out.push(`message: ${previewRaw(j.entry.raw, 120)}`);
  if (j.replayOf) out.push(`a replay of ${j.replayOf}`);
  if (!j.groups.length) out.push('no consumer groups');
  for (const g of j.groups) {
    let s: string;
    if (g.state === 'pending') s = `pending at ${t(g.consumer)}, ${plural(g.deliveries ?? 0, 'delivery', 'deliveries')}, idle ${formatDuration(g.idleMs)}`;
    else if (g.state === 'not-delivered') s = `not delivered yet (last delivered ${g.lastDeliveredId})`;
    else s = 'acknowledged';
    // Notes of acknowledged groups say it in their own words ("acknowledged when dead-lettered …").
    if (g.note?.startsWith('acknowledged')) out.push(`group ${t(g.group)}: ${g.note}`);
    else out.push(`group ${t(g.group)}: ${s}${g.note ? ` (${g.note})` : ''}`);
  }
  for (const d of j.deadLetters) {
    const whose = d.originalId === j.id ? '' : ` (its replay ${d.originalId})`;
    const why = d.error ? `: ${t(d.error)}` : '';
    const count = d.deliveries !== undefined ? ` after ${plural(d.deliveries, 'delivery', 'deliveries')}` : '';
    const where = [d.group ? `group ${t(d.group)}` : '', d.consumer ? `consumer ${t(d.consumer)}` : '', d.at !== undefined ? `at ${when(d.at)}` : ''].filter(Boolean).join(', ');
    out.push(`dead-lettered${whose} to ${t(d.dlq)} as ${d.id}${why}${count}${where ? ` (${where})` : ''}`);
  }
  for (const r of j.replays) {
    const of = r.from === j.id ? '' : `${r.from} `;
    out.push(`${of}replayed as ${r.to}${r.count !== undefined ? ` (replay #${r.count})` : ''}${r.present ? '' : ' (gone from the stream)'}`);
  }
  if (j.events.length) {
    out.push('timeline:');
    for (const e of j.events) out.push(eventLine(e, e.id === j.id ? '' : `[${e.id}] `));
  } else if (j.eventsKey) {
    out.push(`no events recorded in ${t(j.eventsKey)} (workers record them with the events option, e.g. "redis-queues work --events")`);
  }
  for (const n of j.notes) out.push(`note: ${n}`);
  return out;
}

function describeJob(j: JobJourney, now: number): string[] {
  let where: string;
  switch (j.state) {
    case 'waiting':
      where = `waiting in ${t(j.list)} (${j.ahead === 0 ? 'next to run' : `${plural(j.ahead ?? 0, 'job')} ahead`}, ${plural(j.listLength ?? 0, 'job')} waiting)`;
      break;
    case 'processing':
      where = `processing in ${t(j.list)}${j.startedAt !== undefined ? ` (running ${formatDuration(now - j.startedAt)})` : ''}`;
      break;
    case 'dead':
      where = `dead in ${t(j.list)}${j.deadAt !== undefined ? ` since ${when(j.deadAt)}` : ''}`;
      break;
    default: {
      const acked = j.events.find((e) => e.type === 'acked');
      where = j.hash
        ? 'in no list, but its hash exists (between two steps of a worker, or left behind)'
        : acked
          ? `done: acknowledged at ${when(acked.at)} (an ack deletes its hash)`
          : 'in no list and without a hash: done (an ack deletes it), deleted, or never enqueued';
    }
  }
  const out = [`job ${t(j.id)} of ${t(j.queue)} · ${j.state} · ${where}`];
  const facts: string[] = [];
  if (j.attempts !== undefined) facts.push(plural(j.attempts, 'attempt'));
  if (j.createdAt !== undefined) facts.push(`created ${when(j.createdAt)}`);
  if (facts.length) out.push(facts.join(', '));
  if (j.lastError !== undefined) out.push(`last error: ${t(j.lastError)}`);
  if (j.events.length) {
    out.push('timeline:');
    for (const e of j.events) out.push(eventLine(e, ''));
  } else if (j.eventsKey) {
    out.push(`no events recorded in ${t(j.eventsKey)} (list workers record them with the events option)`);
  }
  for (const n of j.notes) out.push(`note: ${n}`);
  return out;
}
