// `redis-queues replay DLQ [--id ID ...] [--to STREAM] [--rate N] [--dry-run]`
import { type ReplayResult, ReplayInterruptedError, planReplay, replay } from '../core/internal';
import { type CommandSpec, UsageError } from './args';
import { type Command, type CommandContext, GLOBAL_OPTIONS, checkIds, onceSignalled, scrub, withClient } from './common';
import { safe } from './format';

const spec: CommandSpec = {
  name: 'replay',
  summary: 'Send dead-lettered entries back to the stream they came from (or --to another), removing them from the DLQ.',
  positionals: [{ name: 'DLQ', description: 'Dead-letter stream' }],
  options: [
    { name: 'id', type: 'list', greedy: true, value: 'ID', description: 'Only these DLQ entries (default: all, up to --limit)' },
    { name: 'to', type: 'string', value: 'STREAM', description: 'Send to this stream instead of each entry\'s recorded origin' },
    { name: 'rate', type: 'int', value: 'N', min: 1, description: 'Most entries per second', default: '100' },
    { name: 'limit', type: 'int', value: 'N', min: 1, description: 'Most entries replayed', default: '10000' },
    { name: 'dry-run', type: 'boolean', description: 'Only show what would be replayed, and where' },
    ...GLOBAL_OPTIONS,
  ],
  details:
    'Each replayed entry is its original message, byte for byte, followed by x-replay-count and x-replay-of (the id it had before). Each moves atomically: written once and removed from the DLQ, even with several replays at once. A target that is not a stream is reported (exit 1) and its entries stay in the DLQ. Reads and replays page by page (pages of about 1 MB, one record when records are larger). A dead-letter stream that does not exist is an error (exit 1). A replay cut off (Redis stopped, connection lost) lists what it had replayed (old id -> new id), then the error (exit 1): replay again to go on. Ctrl-C stops after the current entry.',
  examples: ['redis-queues replay orders:dlq --dry-run', 'redis-queues replay orders:dlq --id 1700000000000-0 1700000000001-0', 'redis-queues replay orders:dlq --to orders-retry --rate 10'],
};

export const replayCommand: Command = {
  spec,
  async run(args, ctx) {
    const dlq = args.positionals['DLQ'] as string;
    const ids = args.options['id'] as string[] | undefined;
    if (ids) checkIds(ids, 'replay');
    const to = args.options['to'] as string | undefined;
    if (to !== undefined && to === dlq) throw new UsageError('--to must differ from the dead-letter stream', 'replay');
    const ratePerSecond = (args.options['rate'] as number | undefined) ?? 100;
    const limit = (args.options['limit'] as number | undefined) ?? 10_000;
    return withClient(ctx.connection, async (client) => {
      const t = { client, name: ctx.connection.url };
      if (args.options['dry-run']) {
        const plan = await planReplay(t, dlq, { ids, limit });
        const found = new Set(plan.entries.map((e) => e.id));
        const missing = (ids ?? []).filter((id) => !found.has(id));
        const entries = plan.entries.map((e) => ({ id: e.id, to: to ?? e.origin ?? null, originalId: e.originalId ?? null, group: e.group ?? null, deliveries: e.deliveries ?? null, error: e.error ?? null, replayCount: e.replayCount }));
        const skipped = [
          ...missing.map((id) => ({ id, reason: 'not in the dead-letter stream' })),
          ...plan.withoutBody.map((id) => ({ id, reason: 'no message: it was deleted from its stream before it was dead-lettered' })),
          ...entries.filter((e) => !e.to && !plan.withoutBody.includes(e.id)).map((e) => ({ id: e.id, reason: 'no recorded origin stream (use --to)' })),
        ];
        const would = entries.filter((e) => e.to && !plan.withoutBody.includes(e.id));
        if (ctx.json) {
          ctx.out(JSON.stringify({ dlq, dryRun: true, wouldReplay: would, skipped }));
        } else {
          const byTarget = new Map<string, number>();
          for (const e of would) byTarget.set(e.to!, (byTarget.get(e.to!) ?? 0) + 1);
          ctx.out(`would replay ${would.length} of ${entries.length} from ${safe(dlq)}${byTarget.size ? `: ${[...byTarget].map(([k, n]) => `${n} to ${safe(k)}`).join(', ')}` : ''} (dry run: nothing changed)`);
          for (const e of would) ctx.out(`would replay ${e.id} -> ${safe(e.to!)}${e.error ? ` (error was: ${safe(e.error)})` : ''}`);
          for (const s of skipped) ctx.out(`skipped ${s.id}: ${s.reason}`);
        }
        return 0;
      }
      const stop = new AbortController();
      const signals = onceSignalled();
      void signals.promise.then(() => stop.abort());
      try {
        const r = await replay(t, dlq, { ids, to, ratePerSecond, limit, signal: stop.signal });
        report(ctx, dlq, r);
        return stop.signal.aborted ? 130 : r.failed.length ? 1 : 0;
      } catch (e) {
        if (!(e instanceof ReplayInterruptedError)) throw e;
        // What was done before the failure, then the failure.
        report(ctx, dlq, e.done, e.message);
        ctx.err(`redis-queues: ${scrub(e.message, ctx.secrets)}`);
        return 1;
      } finally {
        signals.dispose();
      }
    });
  },
};

/** The outcome of a replay, whole or cut off by `error`. */
function report(ctx: CommandContext, dlq: string, r: ReplayResult, error?: string): void {
  if (ctx.json) {
    ctx.out(JSON.stringify({ dlq, replayed: r.replayed.map((x) => ({ id: x.id, to: x.origin, newId: x.newId })), skipped: r.skipped, failed: r.failed, ...(error ? { error: scrub(error, ctx.secrets) } : {}) }));
    return;
  }
  ctx.out(`replayed ${r.replayed.length} from ${safe(dlq)}${r.skipped.length ? `, skipped ${r.skipped.length}` : ''}${r.failed.length ? `, failed ${r.failed.length} (left in the dead-letter stream)` : ''}${error ? ' before the replay was cut off' : ''}`);
  for (const x of r.replayed) ctx.out(`replayed ${x.id} -> ${safe(x.origin)} ${x.newId}`);
  for (const s of r.skipped) ctx.out(`skipped ${s.id}: ${safe(s.reason)}`);
  for (const s of r.failed) ctx.err(`failed ${s.id}: ${safe(s.reason)}`);
}
