// Entry of the CLI: picks the command, parses its arguments, builds the connection options and
// maps whatever happens to an exit code (0 done, 1 Redis or runtime error, 2 bad arguments).
import { ackCommand } from './ack';
import { type ParsedArgs, UsageError, commandHelp, parseArgs, printableArg, suggest } from './args';
import { autoclaimCommand } from './autoclaim';
import { claimCommand } from './claim';
import { type CliIo, type Command, type CommandContext, CONNECTION_OPTIONS, GLOBAL_OPTIONS, connectionFrom, describeFailure, processIo, scrub, secretsOf } from './common';
import { deadLetterCommand } from './deadLetter';
import { inspectCommand } from './inspect';
import { journeyCommand } from './journey';
import { mcpCommand } from './mcp';
import { publishCommand } from './publish';
import { replayCommand } from './replay';
import { sandboxCommand } from './sandbox';
import { searchCommand } from './search';
import { tailCommand } from './tail';
import { topCommand } from './top';
import { exportCommand, importCommand } from './transfer';
import { workCommand } from './work';
import { version } from './version';

export const COMMANDS: Command[] = [
  inspectCommand,
  topCommand,
  publishCommand,
  tailCommand,
  workCommand,
  ackCommand,
  claimCommand,
  autoclaimCommand,
  deadLetterCommand,
  replayCommand,
  journeyCommand,
  searchCommand,
  exportCommand,
  importCommand,
  mcpCommand,
  sandboxCommand,
];


export function globalHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.spec.name.length));
  return [
    'Usage: redis-queues <command> [arguments] [options]',
    '',
    'See and act on Redis Streams and list-based queues from a terminal.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(w)}  ${c.spec.summary}`),
    '',
    'Options of every command that talks to Redis:',
    ...GLOBAL_OPTIONS.map((o) => `  --${o.name}${o.value ? ` ${o.value}` : ''}`.padEnd(22) + `  ${o.description}${o.default ? ` (default: ${o.default})` : ''}`),
    '',
    'Other:',
    '  redis-queues <command> --help   Help of one command',
    '  redis-queues --version          Version',
    '',
    'Key names are bytes. A name that is valid UTF-8 without a backslash is shown and typed as it',
    'is; in any other name each byte that is not part of a UTF-8 character is written \\xHH and a',
    'backslash \\\\ (a stream named by the bytes 6f ff 72 is o\\xffr). Commands print names so and',
    'accept them so; a single backslash before anything else stays a backslash.',
    '',
    'Exit codes: 0 done, 1 Redis or runtime error, 2 bad arguments; publish --wait-replicas when',
    'replication was not confirmed: 3 written, not yet replicated (do not publish again), 4 lost in a',
    'failover (publish again), 5 unknown (look at the stream first).',
    '',
  ].join('\n');
}

/** Parses a full command line (without `node cli.js`): the command and its arguments. Throws UsageError. */
export function parseCommandLine(argv: string[]): { kind: 'help'; text: string } | { kind: 'version' } | { kind: 'run'; command: Command; args: ParsedArgs } {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') return { kind: 'help', text: globalHelp() };
  if (first === '--version' || first === '-V' || first === 'version') return { kind: 'version' };
  if (first === 'help') {
    if (rest[0] === undefined) return { kind: 'help', text: globalHelp() };
    const c = COMMANDS.find((x) => x.spec.name === rest[0]);
    if (!c) throw new UsageError(`unknown command "${printableArg(rest[0])}"`);
    return { kind: 'help', text: commandHelp(c.spec, GLOBAL_OPTIONS) };
  }
  if (first.startsWith('-')) throw new UsageError(`expected a command before options (got "${printableArg(first.split('=')[0]!)}")`);
  const command = COMMANDS.find((c) => c.spec.name === first);
  if (!command) {
    const hint = suggest(first, COMMANDS.map((c) => c.spec.name));
    throw new UsageError(`unknown command "${printableArg(first)}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
  }
  const args = parseArgs(command.spec, rest);
  if (args.help) return { kind: 'help', text: commandHelp(command.spec, GLOBAL_OPTIONS) };
  return { kind: 'run', command, args };
}

/** Runs one command line; resolves to the exit code. Never throws. */
export async function run(argv: string[], io: CliIo = processIo): Promise<number> {
  let secrets: string[] = [];
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === 'help') {
      io.stdout(parsed.text);
      return 0;
    }
    if (parsed.kind === 'version') {
      io.stdout(`redis-queues ${version()}\n`);
      return 0;
    }
    const { command, args } = parsed;
    const connects = command.spec.options.includes(CONNECTION_OPTIONS[0]!);
    const connection = connects ? connectionFrom(args, io.env, command.spec.name) : { url: 'redis://127.0.0.1:6379' };
    secrets = secretsOf(connection);
    const ctx: CommandContext = {
      io,
      connection,
      json: args.options['json'] === true,
      secrets,
      out: (line) => io.stdout(`${line}\n`),
      err: (line) => io.stderr(`${scrub(line, secrets)}\n`),
    };
    return await command.run(args, ctx);
  } catch (e) {
    const f = describeFailure(e, secrets);
    io.stderr(`${f.message}\n`);
    return f.code;
  }
}
