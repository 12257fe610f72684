// `redis-queues ack STREAM GROUP ID...`
import { ack } from '../core/internal';
import type { CommandSpec } from './args';
import { type Command, GLOBAL_OPTIONS, checkIds, withClient } from './common';
import { safe } from './format';

const spec: CommandSpec = {
  name: 'ack',
  summary: 'Acknowledge pending entries of a consumer group (XACK); ids that were not pending are listed as skipped.',
  positionals: [
    { name: 'STREAM', description: 'Stream key' },
    { name: 'GROUP', description: 'Consumer group' },
    { name: 'ID', variadic: true, description: 'Entry ids' },
  ],
  options: [...GLOBAL_OPTIONS],
  examples: ['redis-queues ack orders billing 1700000000000-0 1700000000001-0'],
};

export const ackCommand: Command = {
  spec,
  async run(args, ctx) {
    const stream = args.positionals['STREAM'] as string;
    const group = args.positionals['GROUP'] as string;
    const ids = args.positionals['ID'] as string[];
    checkIds(ids, 'ack');
    const r = await withClient(ctx.connection, (client) => ack({ client, name: ctx.connection.url }, stream, group, ids));
    const skipped = r.notPending.map((id) => ({ id, reason: 'not pending in the group' }));
    if (ctx.json) {
      ctx.out(JSON.stringify({ stream, group, acked: r.acked, skipped }));
    } else {
      ctx.out(`acked ${r.acked} of ${ids.length} on ${safe(stream)}/${safe(group)}`);
      for (const s of skipped) ctx.out(`skipped ${s.id}: ${s.reason}`);
    }
    return 0;
  },
};
