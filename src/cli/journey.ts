// `redis-queues journey STREAM ID [--dlq KEY] [--events KEY] [--max-calls N]` and
// `redis-queues journey QUEUE JOBID --list`: where one message (or list-queue job) is and what
// happened to it, in lines, or as one JSON object with --json.
import { type JobJourney, type MessageJourney, DEFAULT_JOURNEY_CALLS, describeJourney, jobJourney, messageJourney, messageObject } from '../core/internal';
import { type CommandSpec, UsageError } from './args';
import { type Command, GLOBAL_OPTIONS, checkIds, onceSignalled, withClient } from './common';
import { safe } from './format';

const spec: CommandSpec = {
  name: 'journey',
  summary: 'Follow one message: in the stream or gone, per group pending/acknowledged, dead-letter copies, replays, recorded events.',
  positionals: [
    { name: 'KEY', description: 'Stream key (with --list: the list queue)' },
    { name: 'ID', description: 'Message id, e.g. 1700000000000-0 (with --list: the job id)' },
  ],
  options: [
    { name: 'list', type: 'boolean', description: 'KEY is a list queue and ID one of its jobs' },
    { name: 'dlq', type: 'string', value: 'KEY', description: 'Dead-letter stream to look in ("" for none)', default: 'KEY:dlq' },
    { name: 'events', type: 'string', value: 'KEY', description: 'Events stream written by workers run with --events ("" for none)', default: 'KEY:events' },
    { name: 'max-calls', type: 'int', value: 'N', min: 1, description: 'Most XRANGE pages read looking for dead letters, replays and events', default: String(DEFAULT_JOURNEY_CALLS) },
    ...GLOBAL_OPTIONS,
  ],
  details:
    'Groups: "acknowledged" also covers a group that started after the message (Redis keeps no record of which) unless an event or a dead-letter record tells. Trimmed or deleted: an id older than the first entry was trimmed; on Redis 7.0+ a missing id within the stream was deleted. Lookups are bounded: what a bound stopped is printed as a note (raise --max-calls). --json prints one object; "entry" carries the message losslessly ("pairs", see "tail --help").',
  examples: [
    'redis-queues journey orders 1700000000000-0',
    'redis-queues journey orders 1700000000000-0 --json',
    'redis-queues journey emails 3f2a9c --list',
  ],
};

/** The journey as JSON: the message in the lossless form, everything else as it is. */
export function journeyJson(j: MessageJourney | JobJourney): Record<string, unknown> {
  if (j.kind === 'job') return { ...j };
  const { entry, time, ...rest } = j;
  return { ...rest, time: Number.isFinite(time) ? time : null, entry: entry ? messageObject({ id: entry.id }, entry.raw) : null };
}

export const journeyCommand: Command = {
  spec,
  async run(args, ctx) {
    const key = args.positionals['KEY'] as string;
    const id = args.positionals['ID'] as string;
    const o = args.options;
    const list = o['list'] === true;
    if (!key) throw new UsageError('KEY must not be empty', 'journey');
    const emptyNone = (v: unknown): string | null | undefined => (v === undefined ? undefined : v === '' ? null : String(v));
    const dlq = emptyNone(o['dlq']);
    const events = emptyNone(o['events']);
    const maxCalls = o['max-calls'] as number | undefined;
    if (list) {
      if (dlq !== undefined) throw new UsageError('--dlq does not apply with --list (a list queue keeps its dead jobs in its own list)', 'journey');
      if (!id) throw new UsageError('the job id must not be empty', 'journey');
    } else {
      checkIds([id], 'journey');
      if (dlq === key) throw new UsageError('--dlq must differ from the stream', 'journey');
    }
    const stop = new AbortController();
    const signals = onceSignalled();
    void signals.promise.then(() => stop.abort());
    try {
      const j = await withClient<MessageJourney | JobJourney>(ctx.connection, (client) =>
        list
          ? jobJourney(client, key, id, undefined, { events, maxCalls, signal: stop.signal })
          : messageJourney(client, key, id, { dlq, events, maxCalls, signal: stop.signal }),
      );
      if (ctx.json) ctx.out(JSON.stringify(journeyJson(j)));
      else for (const line of describeJourney(j)) ctx.out(safe(line));
      return stop.signal.aborted ? 130 : 0;
    } finally {
      signals.dispose();
    }
  },
};
