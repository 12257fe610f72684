/**
 * Tools for AI agents: ONE table of definitions shared by the editor's language-model tools
 * (src/vscode/agent) and the MCP server (`redis-queues mcp`, src/cli/mcp.ts). Each tool has a name,
 * a description written for a model (when to use it, what it returns), an input schema, whether
 * it writes, for writes the impact sentence a confirmation states, and `run`, which answers from
 * this project's own inspection, health marks, search and journey: nothing here talks to Redis
 * except through src/core.
 *
 * Results are structured and bounded: pages of at most 100 rows, message values cut to 200
 * characters (ids exact), the whole result under ~24,000 characters with a note of what was
 * cut, and never a secret (the connection is named, never its URL; text is scrubbed).
 * Writes are refused on a read-only connection before anything is sent ({@link ReadOnlyError}).
 *
 * This layer imports neither `vscode` nor the MCP SDK (an ESLint rule keeps it so).
 */
import {
  type ConsumerInfo,
  type DeadLetter,
  type GroupSummary,
  type HealthThresholds,
  type Inspector,
  type JobJourney,
  type ListJobView,
  type ListQueueSummary,
  type MessageJourney,
  type OpTarget,
  type PendingEntry,
  type SearchSource,
  type StreamSummary,
  BadInputError,
  QUERY_HINT,
  QueueError,
  assertWritable,
  describeJourney,
  findMessages,
  idTime,
  isLagging,
  isListJobStuck,
  isPoison,
  isStuck,
  jobJourney,
  listQueueKeys,
  messageJourney,
  parseSearchQuery,
  splitDeadLetter,
  toQueueError,
} from '../core';
import * as ops from '../core/ops';
import { AGENT_LIMITS, abbreviateValue, boundData, entryView, idIso, plural, scrub, scrubDeep, t, words } from './format';
import { type ObjectSchema, type ToolInput, bool, checkInput, duration, ids, int, str } from './input';

/** What a tool runs with: one connection, named, never described by its URL. */
export interface AgentContext {
  /** An inspector on the connection (its client serves the writes too). */
  inspector: Inspector;
  /** The connection's name, for results and messages. */
  connection: string;
  /** Writes are refused before anything is sent. */
  readOnly: boolean;
  /** What counts as poison, stuck and lagging (the extension's settings, or the CLI's defaults). */
  thresholds: HealthThresholds;
  /** List queues to report even before they have a processing or dead-letter list. */
  listQueueNames?: string[];
  /** Secrets of the connection, removed from any text a tool returns. */
  secrets?: string[];
  signal?: AbortSignal;
}

/** What a tool returns: a few lines in words, and the data (JSON, bounded). */
export interface ToolOutput {
  summary: string;
  data: Record<string, unknown>;
}

/** A tool's result as the callers pass it on: the summary, the data, and both as one text. */
export interface ToolResultText extends ToolOutput {
  /** The summary, then the data as JSON. */
  text: string;
  /** The data as JSON text. */
  json: string;
}

export interface AgentTool {
  /** `redisq_…`: the name in the editor's tool list and in MCP. */
  name: string;
  /** Short title (display name). */
  title: string;
  /** One sentence for a person (tool pickers). */
  userDescription: string;
  /** For the model: when to use it, what it returns. */
  description: string;
  inputSchema: ObjectSchema;
  /** Changes data: offered only when writes are turned on, confirmed, refused on read-only connections. */
  write: boolean;
  /** Writes: the impact, as the commands' confirmations state it. */
  impact?(input: ToolInput): string;
  /** Writes: the name a production connection asks to type (the stream or queue acted on). */
  confirmName?(input: ToolInput): string;
  run(ctx: AgentContext, input: ToolInput): Promise<ToolOutput>;
}

// ---- shared schema pieces ----

const STREAM = { type: 'string', minLength: 1, description: 'The stream key, exactly as listed by redisq_list_queues (e.g. "orders").' } as const;
const GROUP = { type: 'string', minLength: 1, description: 'The consumer group name (e.g. "billing").' } as const;
const QUEUE = { type: 'string', minLength: 1, description: 'The list queue name as listed by redisq_list_queues (e.g. "emails"), not one of its lists.' } as const;
const MAX_WRITE_IDS = 100;
const entryIds = (what: string) => ({ type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, maxItems: MAX_WRITE_IDS, description: `${what} Exact stream ids (<ms>-<seq>), at most ${MAX_WRITE_IDS} per call.` }) as const;

function opTarget(ctx: AgentContext): OpTarget {
  return { client: ctx.inspector.client, readOnly: ctx.readOnly, name: ctx.connection };
}

/** `a, b, c and 4 more`. */
function idList(list: string[], max = 5): string {
  return list.length <= max ? list.join(', ') : `${list.slice(0, max).join(', ')} and ${list.length - max} more`;
}

const thresholdsData = (th: HealthThresholds) => ({ poisonDeliveries: th.poisonDeliveries, stuckIdleMs: th.stuckIdleMs, stuckIdle: words(th.stuckIdleMs), lagWarning: th.lagWarning });
const thresholdsLine = (th: HealthThresholds) => `marks: POISON = delivered ≥ ${th.poisonDeliveries} times, STUCK = holding entries and idle ≥ ${words(th.stuckIdleMs)}, LAGGING = lag > ${th.lagWarning} entries`;

// ---- health of streams and groups ----

interface GroupHealth {
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

async function groupHealth(ctx: AgentContext, stream: string, g: GroupSummary, sample: number): Promise<GroupHealth & { consumerList: ConsumerInfo[]; oldest: PendingEntry[] }> {
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
function publicHealth({ consumerList: _c, oldest: _o, ...g }: GroupHealth & { consumerList: ConsumerInfo[]; oldest: PendingEntry[] }): GroupHealth {
  return g;
}

/** `billing: 9 pending, lag 0 [STUCK: worker-2 (6 pending, idle 45m 0s); POISON: 1 of the 20 oldest pending]`. */
function groupLine(g: GroupHealth): string {
  const figures = [`${g.pending} pending`, g.lag === null ? 'lag unknown' : `lag ${g.lag}`, `${plural(g.consumers, 'consumer')}`];
  if (g.oldestPendingIdle) figures.push(`oldest pending idle ${g.oldestPendingIdle}`);
  const marks: string[] = [];
  if (g.stuckConsumers.length) marks.push(`STUCK: ${g.stuckConsumers.map((c) => `${t(c.consumer)} (${c.pending} pending, idle ${c.idle})`).join(', ')}`);
  if (g.poison.length) marks.push(`POISON: ${g.poison.length} of the ${g.poisonLookedAt} oldest pending (${idList(g.poison.map((p) => `${p.id} ×${p.deliveries}`), 3)})`);
  if (g.marks.includes('LAGGING')) marks.push('LAGGING');
  return `${t(g.group)}: ${figures.join(', ')}${marks.length ? ` [${marks.join('; ')}]` : ''}`;
}

/** XINFO STREAM of `key`; a missing key is a BadInputError that says where to look. */
async function requireStream(ctx: AgentContext, key: string): Promise<StreamSummary> {
  try {
    return await ctx.inspector.stream(key);
  } catch (e) {
    if (/no such key/i.test((e as Error).message)) throw new BadInputError(`No stream "${key}" on connection "${ctx.connection}": redisq_list_queues lists the streams there`);
    throw e;
  }
}

function streamData(s: StreamSummary): Record<string, unknown> {
  return {
    stream: s.key,
    length: s.length,
    firstEntryId: s.firstEntryId ?? null,
    lastEntryId: s.lastEntryId ?? null,
    lastEntryAgeMs: s.lastEntryAgeMs ?? null,
    lastEntryAge: words(s.lastEntryAgeMs),
  };
}

function listQueueData(q: ListQueueSummary, th: HealthThresholds): Record<string, unknown> {
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

function listQueueLine(q: ListQueueSummary, th: HealthThresholds): string {
  const stuck = isListJobStuck(q.oldestProcessingAgeMs, th);
  const age = q.processing > 0 && q.oldestProcessingAgeMs !== undefined ? `, longest-running job ${words(q.oldestProcessingAgeMs)}` : '';
  return `${t(q.name)} (list queue): ${q.waiting} waiting, ${q.processing} processing, ${q.dead} dead${age}${stuck ? ' [STUCK]' : ''}`;
}

// ---- the tools ----

const listQueues: AgentTool = {
  name: 'redisq_list_queues',
  title: 'List Redis queues and their health',
  userDescription: 'Lists the streams and list queues of a Redis connection with their groups and health marks.',
  description:
    'Start here. Lists the Redis Streams (with their consumer groups) and the list-based queues of the connection, with health marks: ' +
    'LAGGING (a group far behind the stream), STUCK (a consumer idle for long while holding pending entries; a list job running too long), POISON (a pending entry delivered many times). ' +
    'For each group: pending count, lag (Redis 7+), oldest pending idle time, stuck consumers and poison entries among its oldest pending. Dead-letter streams are listed as streams (named "<stream>:dlq"). ' +
    'Use "match" (a glob such as "orders*") to narrow. Then use redisq_group_health for one group in depth.',
  inputSchema: {
    type: 'object',
    properties: {
      match: { type: 'string', description: 'Glob pattern of key names (SCAN MATCH), e.g. "orders*". Default "*".', maxLength: 200 },
      limit: { type: 'integer', minimum: 1, maximum: 100, description: 'Streams (and list queues) listed at most. Default 25.' },
    },
    additionalProperties: false,
  },
  write: false,
  async run(ctx, input) {
    const insp = ctx.inspector;
    const match = str(input, 'match', '*') || '*';
    const limit = int(input, 'limit', 25);
    const [server, page] = await Promise.all([insp.serverSummary(), insp.scanStreams({ match, limit, maxMs: 2_000, maxCalls: 5_000, signal: ctx.signal })]);
    const keys = page.keys.slice(0, limit);
    const infos = await insp.streams(keys);
    const lengths = new Map<string, number>();
    infos.forEach((s) => s instanceof Error || lengths.set(s.key, s.length));
    const errors: { key: string; error: string }[] = [];
    const streams: Record<string, unknown>[] = [];
    const lines: string[] = [];
    for (const [i, s] of infos.entries()) {
      if (s instanceof Error) {
        errors.push({ key: keys[i]!, error: s.message });
        continue;
      }
      try {
        const groups = s.groups > 0 ? await insp.groups(s.key) : [];
        const health = await Promise.all(groups.map((g) => groupHealth(ctx, s.key, g, 20)));
        const dlq = `${s.key}:dlq`;
        const marks = [...new Set(health.flatMap((g) => g.marks))];
        streams.push({
          ...streamData(s),
          ...(lengths.has(dlq) ? { deadLetterStream: { stream: dlq, length: lengths.get(dlq) } } : {}),
          ...(s.key.endsWith(':dlq') ? { isDeadLetterStream: true } : {}),
          marks,
          groups: health.map(publicHealth),
        });
        const head = `- ${t(s.key)}: ${plural(s.length, 'entry', 'entries')}${s.lastEntryAgeMs !== undefined ? `, newest ${words(s.lastEntryAgeMs)} ago` : ''}${lengths.has(dlq) ? `, dead-letter stream ${t(dlq)} holds ${lengths.get(dlq)}` : ''}`;
        lines.push(health.length ? `${head}; groups: ${health.map(groupLine).join(' | ')}` : `${head}; no consumer groups`);
      } catch (e) {
        errors.push({ key: s.key, error: toQueueError(e).message });
      }
    }
    const lq = await insp.discoverListQueues({ match, names: ctx.listQueueNames, limit, maxMs: 2_000, maxCalls: 5_000, signal: ctx.signal });
    for (const q of lq.queues) lines.push(`- ${listQueueLine(q, ctx.thresholds)}`);
    const more = page.next !== null || page.keys.length > limit;
    const head = `Connection "${t(ctx.connection)}" (Redis ${server.version}${server.mode !== 'standalone' ? `, ${server.mode}` : ''}): ${plural(streams.length, 'stream')}${more ? ' (more may match: narrow "match" or raise "limit")' : ''}, ${plural(lq.queues.length, 'list queue')}. ${thresholdsLine(ctx.thresholds)}.`;
    return {
      summary: [head, ...lines, ...errors.map((e) => `- ${t(e.key)}: could not be read: ${t(e.error, 200)}`)].join('\n'),
      data: {
        server: { version: server.version, mode: server.mode, lagKnown: server.capabilities.lag },
        thresholds: thresholdsData(ctx.thresholds),
        streams,
        moreStreamsMayMatch: more,
        listQueues: lq.queues.map((q) => listQueueData(q, ctx.thresholds)),
        ...(errors.length ? { errors } : {}),
      },
    };
  },
};

const groupHealthTool: AgentTool = {
  name: 'redisq_group_health',
  title: 'Consumer group health',
  userDescription: 'Shows a stream\'s consumer groups in depth: consumers, pending, lag, stuck consumers and poison entries.',
  description:
    'Explains the health of the consumer groups of one stream (or of one group when "group" is given): lag (entries not yet delivered, Redis 7+), pending entries, ' +
    'each consumer with its pending count and idle time (STUCK when it holds entries and has been idle past the threshold), the oldest pending entries with their delivery counts (POISON when delivered too often), ' +
    'the size of the stream\'s dead-letter stream, and a diagnosis in words. Use it to answer "why is <group> lagging?" or "is anything stuck?". Follow up with redisq_pending for the entries themselves.',
  inputSchema: {
    type: 'object',
    properties: { stream: STREAM, group: { ...GROUP, description: 'One group only (default: every group of the stream).' } },
    required: ['stream'],
    additionalProperties: false,
  },
  write: false,
  async run(ctx, input) {
    const insp = ctx.inspector;
    const th = ctx.thresholds;
    const stream = str(input, 'stream');
    const only = str(input, 'group', undefined);
    const dlq = `${stream}:dlq`;
    const info = await requireStream(ctx, stream);
    const [groups, dlqInfo, server] = await Promise.all([insp.groups(stream), insp.stream(dlq).catch(() => null), insp.serverSummary()]);
    const chosen = only === undefined ? groups : groups.filter((g) => g.name === only);
    if (only !== undefined && !chosen.length) {
      throw new BadInputError(`Stream "${stream}" has no consumer group "${only}"${groups.length ? ` (its groups: ${groups.map((g) => g.name).join(', ')})` : ' (it has no groups)'}`);
    }
    const health = await Promise.all(chosen.map((g) => groupHealth(ctx, stream, g, 20)));
    const lines = [
      `Stream ${t(stream)}: ${plural(info.length, 'entry', 'entries')}, last id ${info.lastEntryId ?? '-'}${info.lastEntryAgeMs !== undefined ? ` (${words(info.lastEntryAgeMs)} ago)` : ''}; ${plural(groups.length, 'group')}` +
        `${dlqInfo ? `; dead-letter stream ${t(dlq)} holds ${plural(dlqInfo.length, 'entry', 'entries')}` : ''}. ${thresholdsLine(th)}.`,
    ];
    // How far behind in time: the oldest entry not yet delivered to each group (one XRANGE … COUNT 1 each).
    const undelivered = await Promise.all(health.map((g) => (g.lag === 0 ? Promise.resolve(null) : insp.entriesAfter(stream, { after: g.lastDeliveredId, count: 1 }).then((x) => x.entries[0]?.id ?? null, () => null))));
    const data: Record<string, unknown>[] = [];
    for (const [i, g] of health.entries()) {
      const diagnosis: string[] = [];
      const next = undelivered[i] ?? null;
      const behindMs = next ? Math.max(0, Date.now() - idTime(next)) : null;
      const behind = behindMs !== null && Number.isFinite(behindMs) ? `; the oldest of them, ${next}, was added ${words(behindMs)} ago` : '';
      if (g.lag === null) diagnosis.push(server.capabilities.lag ? 'lag unknown: Redis cannot tell after deletions or a SETID' : `lag unknown: Redis ${server.version} reports lag from 7.0 on`);
      else if (g.marks.includes('LAGGING')) diagnosis.push(`LAGGING: ${g.lag} entries not yet delivered to the group (threshold ${th.lagWarning})${behind}`);
      else diagnosis.push(`${g.lag} entries not yet delivered${behind}`);
      if (g.lag === null && next) diagnosis.push(`entries not yet delivered start at ${next}, added ${words(behindMs)} ago`);
      const active = g.consumerList.filter((c) => c.idle < th.stuckIdleMs);
      if (!g.consumerList.length) diagnosis.push('no consumers: nobody reads this group');
      else if (!active.length) diagnosis.push(`no consumer active in the last ${words(th.stuckIdleMs)}: nobody seems to be reading this group`);
      for (const c of g.stuckConsumers) diagnosis.push(`STUCK: ${t(c.consumer)} holds ${plural(c.pending, 'pending entry', 'pending entries')} and has been idle ${c.idle}; claim them for a live consumer, or dead-letter them`);
      if (g.poison.length) diagnosis.push(`POISON: ${plural(g.poison.length, 'entry', 'entries')} of the ${g.poisonLookedAt} oldest pending delivered ≥ ${th.poisonDeliveries} times (${idList(g.poison.map((p) => `${p.id} ×${p.deliveries} at ${t(p.consumer)}`), 3)}); consider dead-lettering`);
      // A consumer's own idle time restarts with any read or claim; entries it has held for long tell more.
      const held = new Map<string, { count: number; maxIdle: number }>();
      for (const p of g.oldest.filter((x) => x.idle >= th.stuckIdleMs)) {
        const h = held.get(p.consumer) ?? { count: 0, maxIdle: 0 };
        h.count++;
        h.maxIdle = Math.max(h.maxIdle, p.idle);
        held.set(p.consumer, h);
      }
      for (const [consumer, h] of held) {
        if (g.stuckConsumers.some((c) => c.consumer === consumer)) continue;
        diagnosis.push(`${t(consumer)} holds ${plural(h.count, 'entry', 'entries')} of the ${g.poisonLookedAt} oldest pending delivered but not acknowledged for ${words(th.stuckIdleMs)} or more (up to ${words(h.maxIdle)}): its work on them looks stalled; claim them for a live consumer, or dead-letter them`);
      }
      if (g.pending && g.oldestPendingIdle) diagnosis.push(`oldest pending entry ${g.oldestPendingId} idle ${g.oldestPendingIdle}`);
      lines.push(`Group ${t(g.group)}: ${g.pending} pending, ${plural(g.consumers, 'consumer')}. ${diagnosis.join('; ')}.`);
      const consumers = [...g.consumerList].sort((a, b) => b.pending - a.pending).slice(0, 50);
      const oldest = g.oldest;
      data.push({
        ...publicHealth(g),
        oldestUndeliveredId: next,
        behindMs,
        behind: words(behindMs),
        diagnosis,
        consumerList: consumers.map((c) => ({ consumer: c.name, pending: c.pending, idleMs: c.idle, idle: words(c.idle), ...(c.inactive !== undefined ? { inactiveMs: c.inactive } : {}), stuck: isStuck(c, th) })),
        ...(g.consumerList.length > consumers.length ? { consumersNotShown: g.consumerList.length - consumers.length } : {}),
        oldestPending: oldest.map((p) => ({ id: p.id, consumer: p.consumer, idleMs: p.idle, idle: words(p.idle), deliveries: p.deliveries, poison: isPoison(p, th) })),
      });
    }
    return {
      summary: lines.join('\n'),
      data: { stream: { ...streamData(info), groups: groups.length }, deadLetterStream: dlqInfo ? { stream: dlq, length: dlqInfo.length } : null, thresholds: thresholdsData(th), groups: data },
    };
  },
};

const pending: AgentTool = {
  name: 'redisq_pending',
  title: 'Pending entries of a group',
  userDescription: 'Lists a page of a consumer group\'s pending entries with their owners, idle times, delivery counts and messages.',
  description:
    'Lists one page of the pending entries (delivered, not yet acknowledged) of a consumer group, oldest first: id, owning consumer, idle time, delivery count (POISON when high) and the message (values cut to 200 characters). ' +
    'Filter by "consumer" and "minIdle" (e.g. "5m"). Pass the returned "next" as "after" for the next page. Use the ids with the write tools (ack, claim, dead-letter) when they are enabled.',
  inputSchema: {
    type: 'object',
    properties: {
      stream: STREAM,
      group: GROUP,
      consumer: { type: 'string', minLength: 1, description: 'Only the entries this consumer holds.' },
      minIdle: { type: 'string', description: 'Only entries idle at least this long, e.g. "90s", "5m", "1h 30m".' },
      after: { type: 'string', description: 'Continue after this id (the "next" of the previous page).' },
      count: { type: 'integer', minimum: 1, maximum: 100, description: 'Entries per page. Default 20.' },
      messages: { type: 'boolean', description: 'Include each entry\'s message. Default true.' },
    },
    required: ['stream', 'group'],
    additionalProperties: false,
  },
  write: false,
  async run(ctx, input) {
    const insp = ctx.inspector;
    const stream = str(input, 'stream');
    const group = str(input, 'group');
    const consumer = str(input, 'consumer', undefined);
    const minIdleMs = duration(input, 'minIdle');
    const after = str(input, 'after', undefined);
    if (after !== undefined) ids({ after: [after] }, 'after');
    const count = int(input, 'count', 20);
    const [summary, page] = await Promise.all([insp.pendingSummary(stream, group), insp.pendingPage(stream, group, { after, count, consumer, minIdleMs })]);
    const bodies = bool(input, 'messages', true) && page.entries.length ? await insp.entriesByIds(stream, page.entries.map((e) => e.id)) : null;
    const th = ctx.thresholds;
    const entries = page.entries.map((p) => ({
      ...(bodies ? entryView(p.id, bodies.get(p.id)?.raw ?? null) : { id: p.id, time: idIso(p.id) }),
      consumer: p.consumer,
      idleMs: p.idle,
      idle: words(p.idle),
      deliveries: p.deliveries,
      poison: isPoison(p, th),
    }));
    const filters = [consumer !== undefined ? `consumer ${t(consumer)}` : '', minIdleMs !== undefined ? `idle ≥ ${words(minIdleMs)}` : '', after ? `after ${after}` : ''].filter(Boolean).join(', ');
    const lines = [
      `Group ${t(group)} of ${t(stream)}: ${summary.count} pending in all${summary.consumers.length ? ` (${summary.consumers.slice(0, 10).map((c) => `${t(c.name)} ${c.pending}`).join(', ')})` : ''}. This page${filters ? ` (${filters})` : ''}: ${entries.length}${page.next ? `; more follow: pass after="${page.next}"` : ''}.`,
      ...page.entries.map((p) => `- ${p.id} at ${t(p.consumer)}, idle ${words(p.idle)}, delivered ${p.deliveries}×${isPoison(p, th) ? ' POISON' : ''}${bodies && !bodies.get(p.id) ? ' (message deleted or trimmed)' : ''}`),
    ];
    return { summary: lines.join('\n'), data: { stream, group, pendingTotal: summary.count, entries, next: page.next } };
  },
};

const findMessagesTool: AgentTool = {
  name: 'redisq_find_messages',
  title: 'Find messages',
  userDescription: 'Finds messages in a stream, a dead-letter stream or a group\'s pending entries by content, time or id.',
  description:
    'Finds messages by content, time or id in a stream, in a dead-letter stream ("<stream>:dlq"; its records carry x-dlq-error, x-dlq-id, x-dlq-group…), or, with "group", in that group\'s pending entries. ' +
    `The query is terms that must all hold: ${QUERY_HINT}; also has:field, a bare word (any value contains it), from:ID to:ID, and with "group": consumer:NAME idle:5m deliveries:3. ` +
    'Use it to answer "what happened to order 42?" (e.g. query "orderId=ord-42" in the stream and in its dead-letter stream), then redisq_journey on the id found. ' +
    'The walk reads small pages and stops at the limit or the budget; when it stops early, "resume" says where to go on.',
  inputSchema: {
    type: 'object',
    properties: {
      stream: { ...STREAM, description: 'The stream or dead-letter stream to search.' },
      query: { type: 'string', maxLength: 2000, description: `Search terms (all must hold), e.g. status=failed  orderId=ord-42  note~timeout  amount>100  since:15m. Empty: everything in range. ${QUERY_HINT}` },
      group: { ...GROUP, description: 'Search this group\'s pending entries instead of the whole stream.' },
      limit: { type: 'integer', minimum: 1, maximum: 50, description: 'Matches returned at most. Default 20.' },
      maxExamined: { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'Entries examined at most before stopping (default 100000).' },
      resume: { type: 'string', description: 'Go on after this id (the "resume" of an earlier search that stopped early).' },
    },
    required: ['stream'],
    additionalProperties: false,
  },
  write: false,
  async run(ctx, input) {
    const stream = str(input, 'stream');
    const group = str(input, 'group', undefined);
    const text = str(input, 'query', '') ?? '';
    const query = parseSearchQuery(text);
    if (group === undefined && (query.consumer !== undefined || query.minIdleMs !== undefined || query.minDeliveries !== undefined)) {
      throw new BadInputError('consumer:, idle: and deliveries: apply to pending entries: give "group" too');
    }
    const limit = Math.min(query.limit ?? int(input, 'limit', 20), 50);
    const resume = str(input, 'resume', undefined);
    if (resume !== undefined) ids({ resume: [resume] }, 'resume');
    const source: SearchSource = group === undefined ? { kind: 'stream', key: stream } : { kind: 'pending', key: stream, group };
    const { hits, summary } = await findMessages(ctx.inspector.client, source, { ...query, limit }, { maxExamined: int(input, 'maxExamined', 100_000), maxMs: 10_000, resume, signal: ctx.signal });
    const matches = hits.map((h) => ({
      ...entryOrLetter(h.entry.id, h.entry.raw),
      ...(h.pending ? { consumer: h.pending.consumer, idleMs: h.pending.idle, idle: words(h.pending.idle), deliveries: h.pending.deliveries } : {}),
    }));
    const why = summary.stopped === 'end' ? 'searched to the end' : summary.stopped === 'limit' ? `stopped at the limit of ${limit}` : summary.stopped === 'budget' ? 'stopped at the budget' : 'cancelled';
    const lines = [
      `${plural(summary.matched, 'match', 'matches')} for "${t(text, 200)}" in ${group ? `the pending entries of group ${t(group)} of ` : ''}${t(stream)} (${summary.examined} entries examined; ${why}${summary.resume ? `; to go on pass resume="${summary.resume}"` : ''}).`,
      ...hits.slice(0, 20).map((h) => `- ${h.entry.id}${h.pending ? ` at ${t(h.pending.consumer)}, delivered ${h.pending.deliveries}×` : ''}: ${h.entry.raw ? t(preview(h.entry.raw, h.entry.id), 300) : '(message deleted)'}`),
    ];
    return {
      summary: lines.join('\n'),
      data: { stream, group: group ?? null, query: text, matches, examined: summary.examined, stopped: summary.stopped, resume: summary.resume ?? null },
    };
  },
};

/** A message on one line (values cut); a dead-letter record says where it came from and why first. */
function preview(raw: Buffer[], id = '0-0'): string {
  const letter = letterOf(id, raw);
  const body = letter ? letter.body : raw;
  const parts: string[] = [];
  for (let i = 0; i + 1 < body.length && parts.join(' ').length < 160; i += 2) parts.push(`${body[i]!.toString('utf8')}=${abbreviateValue(body[i + 1]!, 60)}`);
  if (!letter) return parts.join(' ');
  return `[dead letter of ${letter.origin} ${letter.originalId ?? '?'}${letter.group ? `, group ${letter.group}` : ''}${letter.deliveries !== undefined ? `, ${plural(letter.deliveries, 'delivery', 'deliveries')}` : ''}: ${abbreviateValue(Buffer.from(letter.error ?? 'no error recorded'), 120)}] ${parts.join(' ')}`;
}

/** The dead-letter record in an entry (this project's format, either layout), or undefined. */
function letterOf(id: string, raw: Buffer[] | null): DeadLetter | undefined {
  if (!raw || !raw.some((b, i) => i % 2 === 0 && b.length > 6 && b.toString('latin1').startsWith('x-dlq-'))) return undefined;
  const l = splitDeadLetter({ id, raw, fields: null });
  return l.origin ? l : undefined;
}

/** {@link entryView}, plus a dead-letter record's bookkeeping, read apart from the message. */
function entryOrLetter(id: string, raw: Buffer[] | null): Record<string, unknown> {
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

const journey: AgentTool = {
  name: 'redisq_journey',
  title: 'Message journey',
  userDescription: 'Tells what happened to one message (or list-queue job): delivered, pending, acknowledged, dead-lettered, replayed.',
  description:
    'Tells the story of one stream message by its id: whether it is still in the stream (or was trimmed or deleted), for every consumer group whether it was delivered, is pending (where, how often, idle how long) or acknowledged, ' +
    'its copies in the dead-letter stream with their error, its replays (new ids), and the recorded timeline when the workers record events. ' +
    'For a list-queue job give "queue" and "jobId" instead: which list holds it (waiting, processing, dead), its attempts and last error. Find the id first with redisq_find_messages when you only know the content.',
  inputSchema: {
    type: 'object',
    properties: {
      stream: { ...STREAM, description: 'The stream the message was added to (not its dead-letter stream).' },
      id: { type: 'string', minLength: 1, description: 'The message id in that stream (<ms>-<seq>).' },
      queue: { ...QUEUE, description: 'For a list-queue job: the queue.' },
      jobId: { type: 'string', minLength: 1, description: 'For a list-queue job: its id.' },
    },
    additionalProperties: false,
  },
  write: false,
  async run(ctx, input) {
    const stream = str(input, 'stream', undefined);
    const id = str(input, 'id', undefined);
    const queue = str(input, 'queue', undefined);
    const jobId = str(input, 'jobId', undefined);
    if (stream !== undefined && id !== undefined && queue === undefined && jobId === undefined) {
      const j = await messageJourney(ctx.inspector.client, stream, id, { signal: ctx.signal });
      return { summary: describeJourney(j).join('\n'), data: messageJourneyData(j) };
    }
    if (queue !== undefined && jobId !== undefined && stream === undefined && id === undefined) {
      const j = await jobJourney(ctx.inspector.client, queue, jobId, await ctx.inspector.listQueueLayout(queue), { signal: ctx.signal });
      return { summary: describeJourney(j).join('\n'), data: jobJourneyData(j) };
    }
    throw new BadInputError('Give "stream" and "id" for a stream message, or "queue" and "jobId" for a list-queue job');
  },
};

const MAX_EVENTS = 50;

function eventsData(events: MessageJourney['events']): Record<string, unknown>[] {
  return events.slice(-MAX_EVENTS).map((e) => ({ ...e, at: Number.isFinite(e.at) ? new Date(e.at).toISOString() : null, ...(e.error !== undefined ? { error: abbreviateValue(Buffer.from(e.error)) } : {}) }));
}

function messageJourneyData(j: MessageJourney): Record<string, unknown> {
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

function jobJourneyData(j: JobJourney): Record<string, unknown> {
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

const sampleEntries: AgentTool = {
  name: 'redisq_sample_entries',
  title: 'Newest entries of a stream',
  userDescription: 'Shows the newest entries of a stream (or dead-letter stream), values abbreviated.',
  description:
    'Returns the newest entries of a stream, newest first: exact ids, times and the messages as [name, value] pairs in order (values cut to 200 characters, binary values shown as a hex prefix). ' +
    'Use it to see what the messages of a stream look like (field names to search on), or what was dead-lettered last (a "<stream>:dlq" record starts with x-dlq bookkeeping: stream, group, id, deliveries, error). Pass "before" (the last id returned) for older entries.',
  inputSchema: {
    type: 'object',
    properties: {
      stream: STREAM,
      count: { type: 'integer', minimum: 1, maximum: 50, description: 'Entries returned. Default 10.' },
      before: { type: 'string', description: 'Only entries older than this id (to page back).' },
    },
    required: ['stream'],
    additionalProperties: false,
  },
  write: false,
  async run(ctx, input) {
    const stream = str(input, 'stream');
    const count = int(input, 'count', 10);
    const before = str(input, 'before', undefined);
    if (before !== undefined) ids({ before: [before] }, 'before');
    const info = await requireStream(ctx, stream);
    const page = await ctx.inspector.entriesPage(stream, { before, count });
    const entries = page.entries.map((e) => entryOrLetter(e.id, e.raw));
    return {
      summary: [
        `Stream ${t(stream)}: ${plural(info.length, 'entry', 'entries')}; the ${entries.length} newest${before ? ` before ${before}` : ''}${page.next ? ` (older ones: pass before="${page.next}")` : ''}:`,
        ...page.entries.map((e) => `- ${e.id}: ${e.raw ? t(preview(e.raw, e.id), 300) : '(deleted)'}`),
      ].join('\n'),
      data: { stream: streamData(info), entries, next: page.next },
    };
  },
};

const listJobs: AgentTool = {
  name: 'redisq_list_jobs',
  title: 'Jobs of a list queue',
  userDescription: 'Lists the waiting, processing or dead jobs of a list queue with attempts, errors and running times.',
  description:
    'Lists the jobs of a list-based queue in one section: "waiting" (next to run first), "processing" (longest-running first, STUCK when past the threshold) or "dead" (failed for good, with their last error). ' +
    'Each job: id, payload fields (values cut to 200 characters), attempts, last error, running time. Use the ids with redisq_requeue_job (when writes are enabled) or redisq_journey.',
  inputSchema: {
    type: 'object',
    properties: {
      queue: QUEUE,
      section: { type: 'string', enum: ['waiting', 'processing', 'dead'], description: 'Which list: waiting, processing or dead.' },
      count: { type: 'integer', minimum: 1, maximum: 100, description: 'Jobs returned. Default 20.' },
    },
    required: ['queue', 'section'],
    additionalProperties: false,
  },
  write: false,
  async run(ctx, input) {
    const queue = str(input, 'queue');
    const section = str(input, 'section') as 'waiting' | 'processing' | 'dead';
    const count = int(input, 'count', 20);
    const r = await ctx.inspector.listJobs(queue, section, { count });
    const th = ctx.thresholds;
    const jobs = r.jobs.map((j: ListJobView) => ({
      id: j.id,
      payload: j.fields ? Object.entries(j.fields).filter(([k]) => !k.startsWith('__')).slice(0, AGENT_LIMITS.pairs).map(([k, v]) => [k, abbreviateValue(Buffer.isBuffer(v) ? v : Buffer.from(v))]) : null,
      ...(j.attempts !== undefined ? { attempts: j.attempts } : {}),
      ...(j.lastError !== undefined ? { lastError: abbreviateValue(Buffer.from(j.lastError)) } : {}),
      ...(section === 'processing' ? { runningForMs: j.runningForMs ?? null, runningFor: j.untimed ? 'unknown (no started-at stamps in this layout)' : words(j.runningForMs ?? undefined), stuck: isListJobStuck(j.runningForMs, th) } : {}),
    }));
    return {
      summary: [
        `List queue ${t(queue)}, ${section}: ${r.total} in all; ${jobs.length} shown.`,
        ...r.jobs.map((j) => `- ${t(j.id)}${j.attempts !== undefined ? `, ${plural(j.attempts, 'attempt')}` : ''}${section === 'processing' && typeof j.runningForMs === 'number' ? `, running ${words(j.runningForMs)}${isListJobStuck(j.runningForMs, th) ? ' STUCK' : ''}` : ''}${j.lastError ? `, last error: ${t(j.lastError, 100)}` : ''}`),
      ].join('\n'),
      data: { queue, section, total: r.total, jobs },
    };
  },
};

// ---- writes ----

const ack: AgentTool = {
  name: 'redisq_ack',
  title: 'Acknowledge pending entries',
  userDescription: 'Acknowledges (XACK) pending entries of a consumer group, after a confirmation.',
  description:
    'Acknowledges pending entries of a consumer group (XACK): they leave the pending entries list and will not be delivered again; the messages stay in the stream. ' +
    'Only for entries known to be done or unwanted (see redisq_pending). The user confirms each call. Reports which ids were not pending.',
  inputSchema: { type: 'object', properties: { stream: STREAM, group: GROUP, ids: entryIds('The pending entries to acknowledge.') }, required: ['stream', 'group', 'ids'], additionalProperties: false },
  write: true,
  impact: (i) =>
    `Acknowledge ${plural(ids(i, 'ids').length, 'pending entry', 'pending entries')} of group ${str(i, 'group')} on ${str(i, 'stream')} (${idList(ids(i, 'ids'))}): they leave the pending entries list and will not be delivered again. The entries stay in the stream.`,
  confirmName: (i) => str(i, 'stream'),
  async run(ctx, input) {
    const stream = str(input, 'stream');
    const group = str(input, 'group');
    const r = await ops.ack(opTarget(ctx), stream, group, ids(input, 'ids'));
    return {
      summary: `Acknowledged ${plural(r.acked, 'entry', 'entries')} in group ${t(group)} of ${t(stream)}${r.notPending.length ? `; not pending (already acknowledged or never delivered): ${idList(r.notPending, 10)}` : ''}.`,
      data: { stream, group, acked: r.acked, notPending: r.notPending },
    };
  },
};

const claim: AgentTool = {
  name: 'redisq_claim',
  title: 'Claim pending entries',
  userDescription: 'Moves pending entries to another consumer (XCLAIM), after a confirmation.',
  description:
    'Claims pending entries of a consumer group for another consumer (XCLAIM), e.g. away from a STUCK consumer to a live one: ownership moves, delivery counts stay. ' +
    'With "minIdle" (e.g. "5m") entries idle less than that (being worked on right now) are skipped. The user confirms each call. Reports what was skipped and why.',
  inputSchema: {
    type: 'object',
    properties: {
      stream: STREAM,
      group: GROUP,
      consumer: { type: 'string', minLength: 1, description: 'The consumer that takes the entries over.' },
      ids: entryIds('The pending entries to claim.'),
      minIdle: { type: 'string', description: 'Skip entries idle less than this, e.g. "5m". Default: none skipped for idleness.' },
    },
    required: ['stream', 'group', 'consumer', 'ids'],
    additionalProperties: false,
  },
  write: true,
  impact: (i) => {
    const min = duration(i, 'minIdle');
    return (
      `Claim ${plural(ids(i, 'ids').length, 'pending entry', 'pending entries')} of group ${str(i, 'group')} on ${str(i, 'stream')} for consumer ${str(i, 'consumer')} (${idList(ids(i, 'ids'))}): ` +
      `ownership moves to ${str(i, 'consumer')}; delivery counts stay as they are. ${min ? `Entries idle less than ${words(min)} are skipped.` : 'Whatever their idle time: an entry a consumer is working on right now moves too.'}`
    );
  },
  confirmName: (i) => str(i, 'stream'),
  async run(ctx, input) {
    const stream = str(input, 'stream');
    const group = str(input, 'group');
    const consumer = str(input, 'consumer');
    const r = await ops.claim(opTarget(ctx), stream, group, consumer, ids(input, 'ids'), { minIdleMs: duration(input, 'minIdle') ?? 0 });
    return {
      summary: `Claimed ${plural(r.claimed.length, 'entry', 'entries')} for ${t(consumer)} in group ${t(group)} of ${t(stream)}${r.skipped.length ? `; skipped: ${r.skipped.slice(0, 10).map((s) => `${s.id} (${s.reason})`).join(', ')}` : ''}.`,
      data: { stream, group, consumer, claimed: r.claimed, skipped: r.skipped },
    };
  },
};

const deadLetterTool: AgentTool = {
  name: 'redisq_dead_letter',
  title: 'Dead-letter pending entries',
  userDescription: 'Moves pending entries to the dead-letter stream and acknowledges them, atomically, after a confirmation.',
  description:
    'Dead-letters pending entries of a consumer group: each message is copied to the dead-letter stream (default "<stream>:dlq") with its origin, group, id, delivery count and the given reason, and acknowledged, atomically. ' +
    'The usual move for POISON entries (delivered many times, failing each time). They can be replayed later with redisq_replay. The user confirms each call.',
  inputSchema: {
    type: 'object',
    properties: {
      stream: STREAM,
      group: GROUP,
      ids: entryIds('The pending entries to dead-letter.'),
      reason: { type: 'string', minLength: 1, maxLength: 500, description: 'Why: recorded as each dead letter\'s error (x-dlq-error), shown when replaying.' },
      dlq: { type: 'string', minLength: 1, description: 'The dead-letter stream. Default "<stream>:dlq".' },
    },
    required: ['stream', 'group', 'ids', 'reason'],
    additionalProperties: false,
  },
  write: true,
  impact: (i) =>
    `Dead-letter ${plural(ids(i, 'ids').length, 'pending entry', 'pending entries')} of group ${str(i, 'group')} on ${str(i, 'stream')} to ${str(i, 'dlq', undefined) ?? `${str(i, 'stream')}:dlq`} (${idList(ids(i, 'ids'))}): ` +
    `each is copied to the dead-letter stream with its origin, group, id, delivery count and the reason "${t(str(i, 'reason'), 200)}", and acknowledged, atomically. Replay it later from the dead-letter stream.`,
  confirmName: (i) => str(i, 'stream'),
  async run(ctx, input) {
    const stream = str(input, 'stream');
    const group = str(input, 'group');
    const dlq = str(input, 'dlq', undefined) ?? `${stream}:dlq`;
    const r = await ops.deadLetter(opTarget(ctx), stream, group, ids(input, 'ids'), { dlq, reason: str(input, 'reason') });
    return {
      summary:
        `Moved ${plural(r.moved.length, 'entry', 'entries')} to ${t(dlq)}${r.moved.length ? ` (${idList(r.moved.map((m) => `${m.id} → ${m.dlqId}`))})` : ''}` +
        `${r.skipped.length ? `; no longer pending: ${idList(r.skipped, 10)}` : ''}${r.gone.length ? `; not moved, their message was deleted from the stream (acknowledge them instead): ${idList(r.gone, 10)}` : ''}.`,
      data: { stream, group, dlq, moved: r.moved, notPending: r.skipped, messageGone: r.gone },
    };
  },
};

const replayTool: AgentTool = {
  name: 'redisq_replay',
  title: 'Replay dead letters',
  userDescription: 'Sends dead-lettered entries back to their origin stream, after a confirmation.',
  description:
    'Replays entries of a dead-letter stream: each is re-added to its recorded origin stream (or to "to") as its original message followed by x-replay-count and x-replay-of, and removed from the dead-letter stream, atomically; a replay never duplicates. ' +
    'Give the dead-letter record ids (see redisq_sample_entries or redisq_find_messages on "<stream>:dlq"). Replay only once the cause of the failure is fixed. The user confirms each call.',
  inputSchema: {
    type: 'object',
    properties: {
      dlq: { type: 'string', minLength: 1, description: 'The dead-letter stream, e.g. "orders:dlq".' },
      ids: entryIds('The dead-letter record ids (their ids in the dead-letter stream).'),
      to: { type: 'string', minLength: 1, description: 'Replay into this stream instead of each record\'s recorded origin.' },
    },
    required: ['dlq', 'ids'],
    additionalProperties: false,
  },
  write: true,
  impact: (i) =>
    `Replay ${plural(ids(i, 'ids').length, 'dead-lettered entry', 'dead-lettered entries')} from ${str(i, 'dlq')} to ${str(i, 'to', undefined) ?? 'their recorded origin stream'} (${idList(ids(i, 'ids'))}): ` +
    'each is re-added as its original message (with x-replay-count and x-replay-of) and removed from the dead-letter stream, atomically. Workers will process them again.',
  confirmName: (i) => str(i, 'dlq'),
  async run(ctx, input) {
    const dlq = str(input, 'dlq');
    const r = await ops.replay(opTarget(ctx), dlq, { ids: ids(input, 'ids'), to: str(input, 'to', undefined), ratePerSecond: 100, signal: ctx.signal });
    return {
      summary:
        `Replayed ${plural(r.replayed.length, 'entry', 'entries')} from ${t(dlq)}${r.replayed.length ? ` (${idList(r.replayed.map((x) => `${x.id} → ${t(x.origin)} ${x.newId}`))})` : ''}` +
        `${r.skipped.length ? `; skipped: ${r.skipped.slice(0, 10).map((x) => `${x.id} (${x.reason})`).join(', ')}` : ''}${r.failed.length ? `; failed, left in the dead-letter stream: ${r.failed.slice(0, 10).map((x) => `${x.id} (${t(x.reason)})`).join(', ')}` : ''}.`,
      data: { dlq, replayed: r.replayed, skipped: r.skipped, failed: r.failed },
    };
  },
};

const requeueJob: AgentTool = {
  name: 'redisq_requeue_job',
  title: 'Requeue list-queue jobs',
  userDescription: 'Returns processing (stuck) or dead jobs of a list queue to waiting, after a confirmation.',
  description:
    'Moves jobs of a list-based queue back to waiting, each atomically: from "processing" (e.g. STUCK jobs whose worker died; a worker still running one may finish it too, so it runs twice) or from "dead" (retry: attempts are reset). ' +
    'Give the job ids (see redisq_list_jobs). Ids not in that list are skipped. The user confirms each call.',
  inputSchema: {
    type: 'object',
    properties: {
      queue: QUEUE,
      ids: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, maxItems: MAX_WRITE_IDS, description: `The job ids, at most ${MAX_WRITE_IDS} per call.` },
      from: { type: 'string', enum: ['processing', 'dead'], description: '"processing" (stuck jobs) or "dead" (retry dead jobs).' },
    },
    required: ['queue', 'ids', 'from'],
    additionalProperties: false,
  },
  write: true,
  impact: (i) => {
    const list = [...new Set((i['ids'] as string[]) ?? [])];
    return str(i, 'from') === 'dead'
      ? `Move ${plural(list.length, 'dead job')} of ${str(i, 'queue')} back to waiting (${idList(list)}): their attempt counters are reset; workers pick them up again.`
      : `Return ${plural(list.length, 'processing job')} of ${str(i, 'queue')} to waiting (${idList(list)}): a worker still running one of them may finish it too (it then runs twice).`;
  },
  confirmName: (i) => str(i, 'queue'),
  async run(ctx, input) {
    const queue = str(input, 'queue');
    const from = str(input, 'from');
    const list = [...new Set((input['ids'] as string[]).map((x) => x.trim()))];
    const layout = await ctx.inspector.listQueueLayout(queue);
    const moved = from === 'dead' ? await ops.retryDead(opTarget(ctx), queue, { ids: list, layout }) : await ops.requeueProcessing(opTarget(ctx), queue, { ids: list, layout });
    const skipped = list.filter((id) => !moved.includes(id));
    return {
      summary: `Moved ${plural(moved.length, 'job')} of ${t(queue)} from ${from} to waiting${moved.length ? ` (${idList(moved.map((x) => t(x)))})` : ''}${skipped.length ? `; not in ${from}, skipped: ${idList(skipped.map((x) => t(x)), 10)}` : ''}.`,
      data: { queue, from, moved, skipped },
    };
  },
};

/** Every tool: reads first, then writes. */
export const AGENT_TOOLS: readonly AgentTool[] = [listQueues, groupHealthTool, pending, findMessagesTool, journey, sampleEntries, listJobs, ack, claim, deadLetterTool, replayTool, requeueJob];

/** The tool named `name`, or undefined. */
export function agentTool(name: string): AgentTool | undefined {
  return AGENT_TOOLS.find((x) => x.name === name);
}

/**
 * Runs a tool the one way every caller does: the input checked (`ignore`: names the caller adds
 * for itself), a write refused on a read-only connection before anything is sent
 * ({@link ReadOnlyError}), then the result bounded (data cut to {@link AGENT_LIMITS}.outputChars,
 * saying what was cut) and scrubbed of secrets. Failures are {@link QueueError}s with messages a
 * model (and a person) can act on.
 */
export async function runAgentTool(tool: AgentTool, ctx: AgentContext, rawInput: unknown, options: { ignore?: readonly string[] } = {}): Promise<ToolResultText> {
  let out: ToolOutput;
  try {
    const input = checkInput(tool.inputSchema, rawInput, options.ignore);
    if (tool.write) assertWritable({ client: ctx.inspector.client, readOnly: ctx.readOnly, name: ctx.connection }, tool.title.toLowerCase());
    out = await tool.run(ctx, input);
  } catch (e) {
    const err = toQueueError(e);
    if (ctx.secrets?.length) throw new QueueError(err.code, scrub(err.message, ctx.secrets));
    throw err;
  }
  return finish(out, ctx);
}

/** Checks a write's input and states its impact (for confirmations); throws BadInputError on a bad input. */
export function describeImpact(tool: AgentTool, rawInput: unknown, options: { ignore?: readonly string[] } = {}): { impact: string; confirmName: string } {
  const input = checkInput(tool.inputSchema, rawInput, options.ignore);
  return { impact: tool.impact?.(input) ?? `Run ${tool.title}.`, confirmName: tool.confirmName?.(input) ?? '' };
}

function finish(out: ToolOutput, ctx: AgentContext): ToolResultText {
  const data: Record<string, unknown> = { connection: ctx.connection, ...out.data };
  const summaryChars = Math.min(out.summary.length, 6_000);
  const notes = boundData(data, AGENT_LIMITS.outputChars - summaryChars);
  if (notes.length) data['truncated'] = notes;
  const summary = scrub(out.summary.length > 6_000 ? `${out.summary.slice(0, 6_000)}\n… (summary cut; the data below holds the rest)` : out.summary, ctx.secrets);
  const clean = scrubDeep(data, ctx.secrets) as Record<string, unknown>;
  const json = JSON.stringify(clean);
  return { summary, data: JSON.parse(json) as Record<string, unknown>, json, text: `${summary}\n\nData (JSON):\n${json}` };
}
