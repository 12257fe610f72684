// `redis-queues dead-letter STREAM GROUP ID... [--dlq KEY] [--reason TEXT]`
import { deadLetter, defaultDeadLetterStream } from '../core/internal';
import type { CommandSpec } from './args';
import { type Command, GLOBAL_OPTIONS, checkIds, withClient } from './common';
import { safe } from './format';

const spec: CommandSpec = {
  name: 'dead-letter',
  summary: 'Move pending entries to the dead-letter stream and ack them, each atomically (XADD + XACK in one script).',
  positionals: [
    { name: 'STREAM', description: 'Stream key' },
    { name: 'GROUP', description: 'Consumer group holding the entries' },
    { name: 'ID', variadic: true, description: 'Entry ids (must be pending in the group)' },
  ],
  options: [
    { name: 'dlq', type: 'string', value: 'KEY', description: 'Dead-letter stream', default: 'STREAM:dlq' },
    { name: 'reason', type: 'string', value: 'TEXT', description: 'Recorded as the error of each entry', default: 'dead-lettered by hand' },
    { name: 'force', type: 'boolean', description: 'Also dead-letter entries whose message was deleted from the stream (recorded without a body, never replayed)' },
    ...GLOBAL_OPTIONS,
  ],
  examples: ['redis-queues dead-letter orders billing 1700000000000-0 --reason "bad payload"'],
};

export const deadLetterCommand: Command = {
  spec,
  async run(args, ctx) {
    const stream = args.positionals['STREAM'] as string;
    const group = args.positionals['GROUP'] as string;
    const ids = args.positionals['ID'] as string[];
    checkIds(ids, 'dead-letter');
    const dlq = (args.options['dlq'] as string | undefined) ?? defaultDeadLetterStream(stream);
    const reason = args.options['reason'] as string | undefined;
    const r = await withClient(ctx.connection, (client) => deadLetter({ client, name: ctx.connection.url }, stream, group, ids, { dlq, reason, force: Boolean(args.options['force']) }));
    const skipped = [
      ...r.skipped.map((id) => ({ id, reason: 'not pending in the group' })),
      ...r.gone.map((id) => ({ id, reason: 'its message was deleted from the stream: not dead-lettered (ack it, or use --force)' })),
    ];
    if (ctx.json) {
      ctx.out(JSON.stringify({ stream, group, dlq, moved: r.moved, skipped }));
    } else {
      ctx.out(`dead-lettered ${r.moved.length} of ${ids.length} from ${safe(stream)}/${safe(group)} to ${safe(dlq)}`);
      for (const m of r.moved) ctx.out(`moved ${m.id} -> ${m.dlqId}`);
      for (const s of skipped) ctx.out(`skipped ${s.id}: ${s.reason}`);
    }
    return r.gone.length ? 1 : 0;
  },
};
