// `redis-queues tail STREAM [--from ID] [--limit N]`: follows a stream until --limit entries were
// printed or SIGINT/SIGTERM (which close the tail, breaking its blocking read).
import { StreamTail, isValidId } from '../core/internal';
import { type CommandSpec, UsageError, printableArg } from './args';
import { type Command, GLOBAL_OPTIONS, onceSignalled, preflight } from './common';
import { entryJson, entryLine } from './format';

const spec: CommandSpec = {
  name: 'tail',
  summary: 'Follow a stream: one line per message (<id> <time> field=value ...), or JSON lines with --json.',
  positionals: [{ name: 'STREAM', description: 'Stream key' }],
  options: [
    { name: 'from', type: 'string', value: 'ID', description: 'Start after this id ("0" for the whole stream, "$" for new messages only)', default: '$' },
    { name: 'limit', type: 'int', value: 'N', min: 1, description: 'Stop after N messages' },
    ...GLOBAL_OPTIONS,
  ],
  details:
    'Lines are a view: control characters escaped, binary values as <hex:...>, long values cut. --json lines carry every byte: "pairs" is the message as [[name, value], ...] in order (repeated names kept; a name or value that is not UTF-8 as {"base64": "..."}), "fields" the same as an object (the last value of a repeated name). Stops on Ctrl-C or SIGTERM.',
  examples: ['redis-queues tail orders', 'redis-queues tail orders --from 0 --limit 10 --json'],
};

export const tailCommand: Command = {
  spec,
  async run(args, ctx) {
    const stream = args.positionals['STREAM'] as string;
    const from = (args.options['from'] as string | undefined)?.trim() ?? '$';
    if (from !== '$' && !isValidId(from)) throw new UsageError(`--from must be "$", "0" or a stream id like 1700000000000-0 (got "${printableArg(from)}")`, 'tail');
    const limit = args.options['limit'] as number | undefined;
    await preflight(ctx.connection);
    const tail = new StreamTail({ connection: ctx.connection, stream, from });
    const signals = onceSignalled();
    void signals.promise.then(() => tail.close());
    let n = 0;
    try {
      // Connect (and resolve "$") first, so that a connection or type error ends the command at once.
      await tail.start();
      for await (const e of tail) {
        ctx.out(ctx.json ? entryJson(stream, e) : entryLine(e));
        if (limit !== undefined && ++n >= limit) break;
      }
      return 0;
    } finally {
      tail.close();
      signals.dispose();
    }
  },
};
