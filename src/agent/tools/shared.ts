/** Pieces the tools share: input schema parts, health of streams and groups, message previews, journey data. */
import {
  type ConsumerInfo,
  type DeadLetter,
  type GroupSummary,
  type HealthThresholds,
  type JobJourney,
  type ListQueueSummary,
  type MessageJourney,
  type OpTarget,
  type PendingEntry,
  type StreamSummary,
  BadInputError,
  isLagging,
  isListJobStuck,
  isPoison,
  isStuck,
  listQueueKeys,
  splitDeadLetter,
} from '../../core/internal';
import { abbreviateValue, entryView, idIso, plural, t, words } from '../format';
import { type AgentContext } from './model';
import { isNoSuchKey } from '../../core/redis/errors';

// ---- shared schema pieces ----

export const STREAM = { type: 'string', minLength: 1, description: 'The stream key, exactly as listed by redisq_list_queues (e.g. "orders"; a name that is not UTF-8 is listed with \\xHH escapes and a backslash as \\\\: pass it as listed).' } as const;
export const GROUP = { type: 'string', minLength: 1, description: 'The consumer group name (e.g. "billing").' } as const;
export const QUEUE = { type: 'string', minLength: 1, description: 'The list queue name as listed by redisq_list_queues (e.g. "emails"), not one of its lists.' } as const;
export const MAX_WRITE_IDS = 100;
export const entryIds = (what: string) => ({ type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, maxItems: MAX_WRITE_IDS, description: `${what} Exact stream ids (<ms>-<seq>), at most ${MAX_WRITE_IDS} per call.` }) as const;

export function opTarget(ctx: AgentContext): OpTarget {
  return { client: ctx.inspector.client, readOnly: ctx.readOnly, name: ctx.connection };
}

/** `a, b, c and 4 more`. */
export function idList(list: string[], max = 5): string {
  return list.length <= max ? list.join(', ') : `${list.slice(0, max).join(', ')} and ${list.length - max} more`;
}

export const thresholdsData = (th: HealthThresholds) => ({ poisonDeliveries: th.poisonDeliveries, stuckIdleMs: th.stuckIdleMs, stuckIdle: words(th.stuckIdleMs), lagWarning: th.lagWarning });
export const thresholdsLine = (th: HealthThresholds) => `marks: POISON = delivered ≥ ${th.poisonDeliveries} times, STUCK = holding entries and idle ≥ ${words(th.stuckIdleMs)}, LAGGING = lag > ${th.lagWarning} entries`;

// ---- health of streams and groups ----

export interface GroupHealth {
  group: string;
  consumers: number;
  pending: number;
  lag: number | null;
  lastDeliveredId: string;
  entriesRead: number | null;
  oldestPendingId?: string;
  oldestPendingIdleMs?: number;
  oldestPendingIdle?: string;
  marks: string[];
  stuckConsumers: { consumer: string; pending: number; idleMs: number; idle?: string }[];
  poison: { id: string; deliveries: number; consumer: string }[];
  /** How many of the oldest pending entries were looked at for POISON. */
  poisonLookedAt: number;
}

export async function groupHealth(ctx: AgentContext, stream: string, g: GroupSummary, sample: number): Promise<GroupHealth & { consumerList: ConsumerInfo[]; oldest: PendingEntry[] }> {
  const insp = ctx.inspector;
  const th = ctx.thresholds;
  const [consumerList, oldest] = await Promise.all([
    g.consumers > 0 ? insp.consumers(stream, g.name) : Promise.resolve([] as ConsumerInfo[]),
    g.pending > 0 && sample > 0 ? insp.pendingPage(stream, g.name, { count: sample }).then((p) => p.entries) : Promise.resolve([] as PendingEntry[]),
  ]);
  const stuck = consumerList.filter((c) => isStuck(c, th));
  const poison = oldest.filter((p) => isPoison(p, th));
  const marks = [poison.length ? 'POISON' : '', stuck.length ? 'STUCK' : '', isLagging(g, th) ? 'LAGGING' : ''].filter(Boolean);
  return {
    group: g.name,
    consumers: g.consumers,
    pending: g.pending,
    lag: typeof g.lag === 'number' ? g.lag : null,
    lastDeliveredId: g.lastDeliveredId,
    entriesRead: typeof g.entriesRead === 'number' ? g.entriesRead : null,
    ...(g.oldestPendingId ? { oldestPendingId: g.oldestPendingId } : {}),
    ...(g.oldestPendingIdleMs !== undefined ? { oldestPendingIdleMs: g.oldestPendingIdleMs, oldestPendingIdle: words(g.oldestPendingIdleMs) } : {}),
    marks,
    stuckConsumers: stuck.map((c) => ({ consumer: c.name, pending: c.pending, idleMs: c.idle, idle: words(c.idle) })),
    poison: poison.map((p) => ({ id: p.id, deliveries: p.deliveries, consumer: p.consumer })),
    poisonLookedAt: oldest.length,
    consumerList,
    oldest,
  };
}

/** The figures and marks of a group, without the raw lists they were read from. */
export function publicHealth({ consumerList: _c, oldest: _o, ...g }: GroupHealth & { consumerList: ConsumerInfo[]; oldest: PendingEntry[] }): GroupHealth {
  return g;
}

/** `billing: 9 pending, lag 0 [STUCK: worker-2 (6 pending, idle 45m 0s); POISON: 1 of the 20 oldest pending]`. */
export function groupLine(g: GroupHealth): string {
  const figures = [`${g.pending} pending`, g.lag === null ? 'lag unknown' : `lag ${g.lag}`, `${plural(g.consumers, 'consumer')}`];
  if (g.oldestPendingIdle) figures.push(`oldest pending idle ${g.oldestPendingIdle}`);
  const marks: string[] = [];
  if (g.stuckConsumers.length) marks.push(`STUCK: ${g.stuckConsumers.map((c) => `${t(c.consumer)} (${c.pending} pending, idle ${c.idle})`).join(', ')}`);
  if (g.poison.length) marks.push(`POISON: ${g.poison.length} of the ${g.poisonLookedAt} oldest pending (${idList(g.poison.map((p) => `${p.id} ×${p.deliveries}`), 3)})`);
  if (g.marks.includes('LAGGING')) marks.push('LAGGING');
  return `${t(g.group)}: ${figures.join(', ')}${marks.length ? ` [${marks.join('; ')}]` : ''}`;
}

/** XINFO STREAM of `key`; a missing key is a BadInputError that says where to look. */
export async function requireStream(ctx: AgentContext, key: string): Promise<StreamSummary> {
  try {
    return await ctx.inspector.stream(key);
  } catch (e) {
    if (isNoSuchKey(e)) throw new BadInputError(`No stream "${key}" on connection "${ctx.connection}": redisq_list_queues lists the streams there`);
    throw e;
  }
}

export function streamData(s: StreamSummary): Record<string, unknown> {
  return {
    stream: s.key,
    length: s.length,
    firstEntryId: s.firstEntryId ?? null,
    lastEntryId: s.lastEntryId ?? null,
    lastEntryAgeMs: s.lastEntryAgeMs ?? null,
    lastEntryAge: words(s.lastEntryAgeMs),
  };
}

export function listQueueData(q: ListQueueSummary, th: HealthThresholds): Record<string, unknown> {
  const stamps = listQueueKeys(q.name, q.layout).stamps;
  const stuck = isListJobStuck(q.oldestProcessingAgeMs, th);
  return {
    queue: q.name,
    waiting: q.waiting,
    processing: q.processing,
    dead: q.dead,
    oldestProcessingAgeMs: q.oldestProcessingAgeMs ?? null,
    oldestProcessingAge: q.processing > 0 ? (stamps ? words(q.oldestProcessingAgeMs) : 'unknown (this layout keeps no started-at stamps)') : undefined,
    marks: stuck ? ['STUCK'] : [],
  };
}

export function listQueueLine(q: ListQueueSummary, th: HealthThresholds): string {
  const stuck = isListJobStuck(q.oldestProcessingAgeMs, th);
  const age = q.processing > 0 && q.oldestProcessingAgeMs !== undefined ? `, longest-running job ${words(q.oldestProcessingAgeMs)}` : '';
  return `${t(q.name)} (list queue): ${q.waiting} waiting, ${q.processing} processing, ${q.dead} dead${age}${stuck ? ' [STUCK]' : ''}`;
}

/** A message on one line (values cut); a dead-letter record says where it came from and why first. */
export function preview(raw: Buffer[], id = '0-0'): string {
  const letter = letterOf(id, raw);
  const body = letter ? letter.body : raw;
  const parts: string[] = [];
  for (let i = 0; i + 1 < body.length && parts.join(' ').length < 160; i += 2) parts.push(`${body[i]!.toString('utf8')}=${abbreviateValue(body[i + 1]!, 60)}`);
  if (!letter) return parts.join(' ');
  return `[dead letter of ${letter.origin} ${letter.originalId ?? '?'}${letter.group ? `, group ${letter.group}` : ''}${letter.deliveries !== undefined ? `, ${plural(letter.deliveries, 'delivery', 'deliveries')}` : ''}: ${abbreviateValue(Buffer.from(letter.error ?? 'no error recorded'), 120)}] ${parts.join(' ')}`;
}

/** The dead-letter record in an entry (this project's format, either layout), or undefined. */
export function letterOf(id: string, raw: Buffer[] | null): DeadLetter | undefined {
  if (!raw || !raw.some((b, i) => i % 2 === 0 && b.length > 6 && b.toString('latin1').startsWith('x-dlq-'))) return undefined;
  const l = splitDeadLetter({ id, raw, fields: null });
  return l.origin ? l : undefined;
}

/** {@link entryView}, plus a dead-letter record's bookkeeping, read apart from the message. */
export function entryOrLetter(id: string, raw: Buffer[] | null): Record<string, unknown> {
  const letter = letterOf(id, raw);
  if (!letter) return entryView(id, raw);
  return {
    ...entryView(id, raw),
    deadLetter: {
      origin: letter.origin,
      originalId: letter.originalId,
      group: letter.group,
      consumer: letter.consumer,
      deliveries: letter.deliveries,
      error: letter.error !== undefined ? abbreviateValue(Buffer.from(letter.error), 500) : undefined,
      at: letter.at !== undefined ? new Date(letter.at).toISOString() : undefined,
      replayCount: letter.replayCount,
    },
  };
}

export const MAX_EVENTS = 50;

export function eventsData(events: MessageJourney['events']): Record<string, unknown>[] {
  return events.slice(-MAX_EVENTS).map((e) => ({ ...e, at: Number.isFinite(e.at) ? new Date(e.at).toISOString() : null, ...(e.error !== undefined ? { error: abbreviateValue(Buffer.from(e.error)) } : {}) }));
}

export function messageJourneyData(j: MessageJourney): Record<string, unknown> {
  return {
    kind: j.kind,
    stream: j.stream,
    id: j.id,
    time: idIso(j.id) ?? null,
    state: j.state,
    ...(j.stateNote ? { stateNote: j.stateNote } : {}),
    message: j.entry ? entryView(j.entry.id, j.entry.raw).pairs : null,
    ...(j.replayOf ? { replayOf: j.replayOf } : {}),
    groups: j.groups.map((g) => ({ ...g, ...(g.idleMs !== undefined ? { idle: words(g.idleMs) } : {}) })),
    deadLetterStream: j.dlq,
    deadLetters: j.deadLetters.map((d) => ({ ...d, ...(d.error !== undefined ? { error: abbreviateValue(Buffer.from(d.error)) } : {}), at: d.at !== undefined ? new Date(d.at).toISOString() : undefined })),
    replays: j.replays,
    eventsStream: j.eventsKey,
    events: eventsData(j.events),
    ...(j.events.length > MAX_EVENTS ? { eventsNotShown: j.events.length - MAX_EVENTS } : {}),
    complete: j.complete,
    notes: j.notes,
  };
}

export function jobJourneyData(j: JobJourney): Record<string, unknown> {
  const iso = (ms: number | undefined) => (ms !== undefined && Number.isFinite(ms) ? new Date(ms).toISOString() : undefined);
  return {
    kind: j.kind,
    queue: j.queue,
    jobId: j.id,
    state: j.state,
    list: j.list,
    index: j.index,
    listLength: j.listLength,
    ahead: j.ahead,
    hashExists: j.hash,
    attempts: j.attempts,
    lastError: j.lastError !== undefined ? abbreviateValue(Buffer.from(j.lastError)) : undefined,
    createdAt: iso(j.createdAt),
    deadAt: iso(j.deadAt),
    startedAt: iso(j.startedAt),
    eventsStream: j.eventsKey,
    events: eventsData(j.events),
    complete: j.complete,
    notes: j.notes,
  };
}
