/** The write tools, offered only when writes are allowed: ack, claim, dead-letter, replay, requeue. */
import * as ops from '../../core/ops';
import { defaultDeadLetterStream } from '../../core/queue/keys';
import { plural, scrub, t, words } from '../format';
import { duration, ids, str } from '../input';
import { type AgentTool } from './model';
import {
  STREAM,
  GROUP,
  QUEUE,
  MAX_WRITE_IDS,
  entryIds,
  opTarget,
  idList,
} from './shared';

// ---- writes ----

export const ack: AgentTool = {
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

export const claim: AgentTool = {
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

export const deadLetterTool: AgentTool = {
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
    `Dead-letter ${plural(ids(i, 'ids').length, 'pending entry', 'pending entries')} of group ${str(i, 'group')} on ${str(i, 'stream')} to ${str(i, 'dlq', undefined) ?? defaultDeadLetterStream(str(i, 'stream'))} (${idList(ids(i, 'ids'))}): ` +
    `each is copied to the dead-letter stream with its origin, group, id, delivery count and the reason "${t(str(i, 'reason'), 200)}", and acknowledged, atomically. Replay it later from the dead-letter stream.`,
  confirmName: (i) => str(i, 'stream'),
  async run(ctx, input) {
    const stream = str(input, 'stream');
    const group = str(input, 'group');
    const dlq = str(input, 'dlq', undefined) ?? defaultDeadLetterStream(stream);
    const r = await ops.deadLetter(opTarget(ctx), stream, group, ids(input, 'ids'), { dlq, reason: str(input, 'reason') });
    return {
      summary:
        `Moved ${plural(r.moved.length, 'entry', 'entries')} to ${t(dlq)}${r.moved.length ? ` (${idList(r.moved.map((m) => `${m.id} → ${m.dlqId}`))})` : ''}` +
        `${r.skipped.length ? `; no longer pending: ${idList(r.skipped, 10)}` : ''}${r.gone.length ? `; not moved, their message was deleted from the stream (acknowledge them instead): ${idList(r.gone, 10)}` : ''}.`,
      data: { stream, group, dlq, moved: r.moved, notPending: r.skipped, messageGone: r.gone },
    };
  },
};

export const replayTool: AgentTool = {
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
    // A failure's reason is an error text: scrubbed (format.ts); ids and names are data.
    r.failed = r.failed.map((x) => ({ ...x, reason: scrub(x.reason, ctx.secrets) }));
    return {
      summary:
        `Replayed ${plural(r.replayed.length, 'entry', 'entries')} from ${t(dlq)}${r.replayed.length ? ` (${idList(r.replayed.map((x) => `${x.id} → ${t(x.origin)} ${x.newId}`))})` : ''}` +
        `${r.skipped.length ? `; skipped: ${r.skipped.slice(0, 10).map((x) => `${x.id} (${x.reason})`).join(', ')}` : ''}${r.failed.length ? `; failed, left in the dead-letter stream: ${r.failed.slice(0, 10).map((x) => `${x.id} (${t(x.reason)})`).join(', ')}` : ''}.`,
      data: { dlq, replayed: r.replayed, skipped: r.skipped, failed: r.failed },
    };
  },
};

export const requeueJob: AgentTool = {
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
