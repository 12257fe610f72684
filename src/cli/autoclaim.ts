// `redis-queues autoclaim STREAM GROUP CONSUMER --min-idle MS [--dry-run]`
import { Inspector, autoClaim, autoClaimPreview, formatDuration } from '../core/internal';
import { type CommandSpec, UsageError } from './args';
import { type Command, GLOBAL_OPTIONS, withClient } from './common';
import { safe, table } from './format';

const spec: CommandSpec = {
  name: 'autoclaim',
  summary: 'Move every pending entry idle at least --min-idle to CONSUMER (XAUTOCLAIM); --dry-run lists what would move.',
  positionals: [
    { name: 'STREAM', description: 'Stream key' },
    { name: 'GROUP', description: 'Consumer group' },
    { name: 'CONSUMER', description: 'Consumer that takes the entries' },
  ],
  options: [
    { name: 'min-idle', type: 'int', value: 'MS', min: 0, description: 'Idle time an entry needs to be moved [required]' },
    { name: 'count', type: 'int', value: 'N', min: 1, description: 'Most entries moved (or listed by --dry-run)', default: '1000 (100 with --dry-run)' },
    { name: 'dry-run', type: 'boolean', description: 'Only list the entries that would move' },
    ...GLOBAL_OPTIONS,
  ],
  examples: ['redis-queues autoclaim orders billing rescuer --min-idle 300000 --dry-run', 'redis-queues autoclaim orders billing rescuer --min-idle 300000'],
};

export const autoclaimCommand: Command = {
  spec,
  async run(args, ctx) {
    const stream = args.positionals['STREAM'] as string;
    const group = args.positionals['GROUP'] as string;
    const consumer = args.positionals['CONSUMER'] as string;
    const minIdleMs = args.options['min-idle'] as number | undefined;
    if (minIdleMs === undefined) throw new UsageError('--min-idle is required (e.g. --min-idle 60000 for a minute)', 'autoclaim');
    const count = args.options['count'] as number | undefined;
    const dry = Boolean(args.options['dry-run']);
    return withClient(ctx.connection, async (client) => {
      const t = { client, name: ctx.connection.url };
      if (dry) {
        const preview = await autoClaimPreview(t, stream, group, { minIdleMs, count: count ?? 100 });
        if (ctx.json) {
          ctx.out(JSON.stringify({ stream, group, consumer, dryRun: true, wouldClaim: preview.map((p) => ({ id: p.id, consumer: p.consumer, idleMs: p.idle, deliveries: p.deliveries })) }));
        } else {
          ctx.out(`would claim ${preview.length} ${preview.length === 1 ? 'entry' : 'entries'} idle ≥ ${formatDuration(minIdleMs)} to ${safe(consumer)} (dry run: nothing changed)`);
          if (preview.length) {
            for (const l of table(['ID', 'FROM CONSUMER', 'IDLE', 'DELIVERIES'], preview.map((p) => [p.id, safe(p.consumer), formatDuration(p.idle), p.deliveries]), '  ')) ctx.out(l);
          }
        }
        return 0;
      }
      const caps = await new Inspector(client).caps();
      const r = await autoClaim(t, stream, group, consumer, { minIdleMs, maxEntries: count ?? 1000, supportsAutoClaim: caps.autoClaim });
      if (ctx.json) {
        ctx.out(JSON.stringify({ stream, group, consumer, claimed: r.claimed, skipped: r.deleted.map((id) => ({ id, reason: 'deleted or trimmed from the stream (removed from the PEL)' })) }));
      } else {
        ctx.out(`claimed ${r.claimed.length} ${r.claimed.length === 1 ? 'entry' : 'entries'} idle ≥ ${formatDuration(minIdleMs)} to ${safe(consumer)} on ${safe(stream)}/${safe(group)}`);
        for (const id of r.claimed) ctx.out(`claimed ${id}`);
        for (const id of r.deleted) ctx.out(`skipped ${id}: deleted or trimmed from the stream (removed from the PEL)`);
      }
      return 0;
    });
  },
};
