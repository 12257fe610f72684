/** The read tools: queues and their health, pending entries, finding messages, journeys, samples, list jobs. */
import {
  type ListJobView,
  type SearchSource,
  BadInputError,
  QUERY_HINT,
  describeJourney,
  findMessages,
  idTime,
  isListJobStuck,
  isPoison,
  isStuck,
  jobJourney,
  messageJourney,
  checkQueryFor,
  parseSearchQuery,
} from '../../core/internal';
import { bullQueuesAmong } from '../../core/frameworks/bullmq';
import { BULL3_STATES, bull3QueuesAmong } from '../../core/frameworks/bull';
import { defaultDeadLetterStream, isDeadLetterName } from '../../core/queue/keys';
import { celeryPrefixes, frameworkDoc, frameworkLines, readFrameworks } from '../../core/frameworks/readers';
import {
  AGENT_LIMITS,
  abbreviateValue,
  entryView,
  errorText,
  idIso,
  plural,
  t,
  words,
} from '../format';
import { bool, duration, ids, int, str } from '../input';
import { type AgentTool } from './model';
import {
  STREAM,
  GROUP,
  QUEUE,
  idList,
  thresholdsData,
  thresholdsLine,
  groupHealth,
  publicHealth,
  groupLine,
  requireStream,
  streamData,
  listQueueData,
  listQueueLine,
  preview,
  entryOrLetter,
  messageJourneyData,
  jobJourneyData,
} from './shared';

// ---- the tools ----

export const listQueues: AgentTool = {
  name: 'redisq_list_queues',
  title: 'List Redis queues and their health',
  userDescription: 'Lists the streams and list queues of a Redis connection with their groups and health marks.',
  description:
    'Start here. Lists the Redis Streams (with their consumer groups) and the list-based queues of the connection, with health marks: ' +
    'LAGGING (a group far behind the stream), STUCK (a consumer idle for long while holding pending entries; a list job running too long), POISON (a pending entry delivered many times). ' +
    'For each group: pending count, lag (Redis 7+), oldest pending idle time, stuck consumers and poison entries among its oldest pending. Dead-letter streams are listed as streams (named "<stream>:dlq"). ' +
    'BullMQ queues (found by their "<prefix>:<queue>:events" stream) are listed with their counts per state, as BullMQ counts them, and Bull 3/4 queues (found among the lists walked) as Bull counts them; RQ, Sidekiq and Celery queues and sets (found by their own registry keys at their default names) with their counts per state in the framework\'s words. ' +
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
        errors.push({ key: keys[i]!, error: errorText(s, ctx.secrets) });
        continue;
      }
      try {
        const groups = s.groups > 0 ? await insp.groups(s.key) : [];
        const health = await Promise.all(groups.map((g) => groupHealth(ctx, s.key, g, 20)));
        const dlq = defaultDeadLetterStream(s.key);
        const marks = [...new Set(health.flatMap((g) => g.marks))];
        streams.push({
          ...streamData(s),
          ...(lengths.has(dlq) ? { deadLetterStream: { stream: dlq, length: lengths.get(dlq) } } : {}),
          ...(isDeadLetterName(s.key) ? { isDeadLetterStream: true } : {}),
          marks,
          groups: health.map(publicHealth),
        });
        const head = `- ${t(s.key)}: ${plural(s.length, 'entry', 'entries')}${s.lastEntryAgeMs !== undefined ? `, newest ${words(s.lastEntryAgeMs)} ago` : ''}${lengths.has(dlq) ? `, dead-letter stream ${t(dlq)} holds ${lengths.get(dlq)}` : ''}`;
        lines.push(health.length ? `${head}; groups: ${health.map(groupLine).join(' | ')}` : `${head}; no consumer groups`);
      } catch (e) {
        errors.push({ key: s.key, error: errorText(e, ctx.secrets) });
      }
    }
    const lq = await insp.discoverListQueues({ match, names: ctx.listQueueNames, limit, maxMs: 2_000, maxCalls: 5_000, signal: ctx.signal });
    for (const q of lq.queues) lines.push(`- ${listQueueLine(q, ctx.thresholds)}`);
    // BullMQ queues: found by their events stream among the streams the walk found.
    const bull = await bullQueuesAmong(insp.client, page.keys).catch(() => []);
    for (const q of bull) {
      const c = q.counts;
      lines.push(`- BullMQ queue ${t(q.name)} (prefix ${t(q.prefix)})${q.paused ? ', PAUSED' : ''}: ${c.waiting + c.paused + c.prioritized} waiting, ${c.active} active, ${c.delayed} delayed, ${c.failed} failed, ${c.completed} completed`);
    }
    // Bull 3/4 queues: among the lists the list walk met.
    const legacy = await bull3QueuesAmong(insp.client, lq.queueLists).catch(() => []);
    for (const q of legacy) {
      const c = q.counts;
      lines.push(`- Bull queue ${t(q.name)} (prefix ${t(q.prefix)}, Bull 3/4)${q.paused ? ', PAUSED' : ''}: ${c.waiting + c.paused} waiting, ${c.active} active, ${c.delayed} delayed, ${c.failed} failed, ${c.completed} completed`);
    }
    // RQ, Sidekiq: by their registry keys (no walk).
    const frameworks = await readFrameworks(insp.client, celeryPrefixes(lq.celeryQueues)).catch(() => []);
    for (const d of frameworks) lines.push(...frameworkLines(d).map((l) => `- ${t(l)}`));
    const more = page.next !== null || page.keys.length > limit;
    const head = `Connection "${t(ctx.connection)}" (Redis ${server.version}${server.mode !== 'standalone' ? `, ${server.mode}` : ''}): ${plural(streams.length, 'stream')}${more ? ' (more may match: narrow "match" or raise "limit")' : ''}, ${plural(lq.queues.length, 'list queue')}${bull.length ? `, ${plural(bull.length, 'BullMQ queue')}` : ''}${legacy.length ? `, ${plural(legacy.length, 'Bull queue')}` : ''}${frameworks.map((d) => `, ${d.label} (${plural(d.rows.filter((r) => r.kind === 'queue').length, 'queue')})`).join('')}. ${thresholdsLine(ctx.thresholds)}.`;
    return {
      summary: [head, ...lines, ...errors.map((e) => `- ${t(e.key)}: could not be read: ${t(e.error, 200)}`)].join('\n'),
      data: {
        server: { version: server.version, mode: server.mode, lagKnown: server.capabilities.lag },
        thresholds: thresholdsData(ctx.thresholds),
        streams,
        moreStreamsMayMatch: more,
        listQueues: lq.queues.map((q) => listQueueData(q, ctx.thresholds)),
        ...(bull.length ? { bullmq: bull.map((q) => ({ name: q.name, prefix: q.prefix, paused: q.paused, counts: q.counts })) } : {}),
        ...(legacy.length ? { bull: legacy.map((q) => ({ name: q.name, prefix: q.prefix, paused: q.paused, counts: Object.fromEntries(BULL3_STATES.map((st) => [st, q.counts[st]])) })) } : {}),
        ...(frameworks.length ? { frameworks: frameworks.map(frameworkDoc) } : {}),
        ...(errors.length ? { errors } : {}),
      },
    };
  },
};

export const groupHealthTool: AgentTool = {
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
    const dlq = defaultDeadLetterStream(stream);
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

export const pending: AgentTool = {
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

export const findMessagesTool: AgentTool = {
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
    checkQueryFor(group === undefined ? 'stream' : 'pending', query, 'give "group" too');
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

export const journey: AgentTool = {
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

export const sampleEntries: AgentTool = {
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

export const listJobs: AgentTool = {
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
