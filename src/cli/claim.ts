// `redis-queues claim STREAM GROUP CONSUMER ID... [--min-idle MS]`
import { claim } from '../core/internal';
import type { CommandSpec } from './args';
import { type Command, GLOBAL_OPTIONS, checkIds, withClient } from './common';
import { safe } from './format';

const spec: CommandSpec = {
  name: 'claim',
  summary: 'Move pending entries to another consumer (XCLAIM), only those idle at least --min-idle; the others are listed with the reason.',
  positionals: [
    { name: 'STREAM', description: 'Stream key' },
    { name: 'GROUP', description: 'Consumer group' },
    { name: 'CONSUMER', description: 'Consumer that takes the entries (created if new)' },
    { name: 'ID', variadic: true, description: 'Entry ids' },
  ],
  options: [
    { name: 'min-idle', type: 'int', value: 'MS', min: 0, description: 'Claim only entries idle at least this long (protects entries being worked on)', default: '0' },
    ...GLOBAL_OPTIONS,
  ],
  examples: ['redis-queues claim orders billing worker-3 1700000000000-0 --min-idle 60000'],
};

export const claimCommand: Command = {
  spec,
  async run(args, ctx) {
    const stream = args.positionals['STREAM'] as string;
    const group = args.positionals['GROUP'] as string;
    const consumer = args.positionals['CONSUMER'] as string;
    const ids = args.positionals['ID'] as string[];
    checkIds(ids, 'claim');
    const minIdleMs = (args.options['min-idle'] as number | undefined) ?? 0;
    const r = await withClient(ctx.connection, (client) => claim({ client, name: ctx.connection.url }, stream, group, consumer, ids, { minIdleMs }));
    if (ctx.json) {
      ctx.out(JSON.stringify({ stream, group, consumer, claimed: r.claimed, skipped: r.skipped }));
    } else {
      ctx.out(`claimed ${r.claimed.length} of ${ids.length} to ${safe(consumer)} on ${safe(stream)}/${safe(group)}`);
      for (const id of r.claimed) ctx.out(`claimed ${id}`);
      for (const s of r.skipped) ctx.out(`skipped ${s.id}: ${s.reason}`);
    }
    return 0;
  },
};
