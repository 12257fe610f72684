// What every command shares: connection options (--url, --cluster, --user, --password and their
// environment variables), --json, the IO a command writes to, and how failures become exit codes.
import { scrub } from '../agent/format';
import { type ConnectionOptions, type RedisClient, DEFAULT_COMMAND_TIMEOUT_MS, connectFailure, connectionSecrets, QueueError, isValidId, open, parseRedisUrl, quit, redactUrl, toQueueError } from '../core/internal';
import { type CommandSpec, type OptionSpec, type ParsedArgs, UsageError, printableArg } from './args';

export const DEFAULT_URL = 'redis://127.0.0.1:6379';

export const URL_OPTION: OptionSpec = { name: 'url', type: 'string', value: 'URL', description: 'Redis to use, redis:// or rediss:// (env REDIS_URL)', default: DEFAULT_URL };
export const CLUSTER_OPTION: OptionSpec = { name: 'cluster', type: 'boolean', description: 'The URL is one node of a Redis Cluster' };
export const USER_OPTION: OptionSpec = { name: 'user', type: 'string', value: 'NAME', description: 'ACL user name (env REDIS_USER)' };
export const PASSWORD_OPTION: OptionSpec = { name: 'password', type: 'string', value: 'PASSWORD', description: 'Password (prefer env REDIS_PASSWORD: arguments are visible to other local users)' };
export const SENTINEL_OPTION: OptionSpec = { name: 'sentinel', type: 'string', value: 'HOST:PORT,…', description: 'Connect through these Redis Sentinels to the master named by --master-name (env REDIS_SENTINELS); follows failovers' };
export const MASTER_NAME_OPTION: OptionSpec = { name: 'master-name', type: 'string', value: 'NAME', description: 'With --sentinel: the monitored master\'s name (env REDIS_MASTER_NAME)' };
export const WAIT_OPTION: OptionSpec = { name: 'wait', type: 'int', value: 'MS', min: 1, description: 'Give up when Redis does not answer a command within MS (env RQ_TIMEOUT_MS)', default: String(DEFAULT_COMMAND_TIMEOUT_MS) };
export const JSON_OPTION: OptionSpec = { name: 'json', type: 'boolean', description: 'Print data as JSON' };

/** Options of every command that talks to Redis. */
export const CONNECTION_OPTIONS: OptionSpec[] = [URL_OPTION, CLUSTER_OPTION, SENTINEL_OPTION, MASTER_NAME_OPTION, USER_OPTION, PASSWORD_OPTION, WAIT_OPTION];
/** Everything shown under "Connection and output" in a command's help. */
export const GLOBAL_OPTIONS: OptionSpec[] = [...CONNECTION_OPTIONS, JSON_OPTION];

/** Where a command writes, and what it reads from its environment (replaceable in tests). */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

export const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
};

/** A command: its spec and what it does; resolves to the exit code. */
export interface Command {
  spec: CommandSpec;
  run(args: ParsedArgs, ctx: CommandContext): Promise<number>;
}

export interface CommandContext {
  io: CliIo;
  /** Connection options from the arguments and environment (only for commands that connect). */
  connection: ConnectionOptions;
  json: boolean;
  /** Secrets to scrub from anything printed. */
  secrets: string[];
  /** Writes a line to stdout. */
  out(line: string): void;
  /** Writes a line to stderr, secrets removed. */
  err(line: string): void;
}

/**
 * Connection options from --url/--cluster/--user/--password/--wait and
 * REDIS_URL/REDIS_USER/REDIS_PASSWORD/RQ_TIMEOUT_MS.
 */
export function connectionFrom(args: ParsedArgs, env: NodeJS.ProcessEnv, command: string): ConnectionOptions {
  const url = (args.options['url'] as string | undefined) ?? env['REDIS_URL'] ?? DEFAULT_URL;
  if (!/^rediss?:\/\/[^/\s]/i.test(url.trim())) {
    throw new UsageError(`--url must look like redis://host:port or rediss://host:port (got "${redactUrl(url)}")`, command);
  }
  try {
    parseRedisUrl(url);
  } catch (e) {
    // The core's reasons never echo a password, and say how to write one that breaks the URL.
    const reason = e instanceof QueueError ? e.message.replace(/^Connection URL /, '') : `is not a valid URL: "${redactUrl(url)}"`;
    throw new UsageError(`--url ${reason}`, command);
  }
  const user = (args.options['user'] as string | undefined) ?? (env['REDIS_USER'] || undefined);
  const password = (args.options['password'] as string | undefined) ?? (env['REDIS_PASSWORD'] || undefined);
  const commandTimeoutMs = (args.options['wait'] as number | undefined) ?? waitFromEnv(env, command);
  const sentinels = (args.options['sentinel'] as string | undefined) ?? (env['REDIS_SENTINELS'] || undefined);
  const masterName = (args.options['master-name'] as string | undefined) ?? (env['REDIS_MASTER_NAME'] || undefined);
  let sentinel: ConnectionOptions['sentinel'];
  if (sentinels !== undefined || masterName !== undefined) {
    if (args.options['cluster']) throw new UsageError('--sentinel and --cluster do not go together', command);
    if (!sentinels || !masterName) throw new UsageError('--sentinel needs --master-name (and the other way round)', command);
    const list = sentinels.split(',').map((x) => x.trim()).filter(Boolean);
    for (const a of list) if (!/^(\[[0-9a-fA-F:.]+\]|[^\s:\[\]]+):\d{1,5}$/.test(a)) throw new UsageError(`--sentinel takes HOST:PORT[,HOST:PORT...] (got "${printableArg(a)}")`, command);
    sentinel = { masterName, sentinels: list };
  }
  return {
    // With sentinels the URL only carries the scheme (TLS or not) and the database.
    url: sentinel && args.options['url'] === undefined && !env['REDIS_URL'] ? `redis://${sentinel.sentinels[0]}` : url.trim(),
    mode: sentinel ? 'sentinel' : args.options['cluster'] ? 'cluster' : 'standalone',
    ...(sentinel ? { sentinel } : {}),
    username: user,
    password,
    clientName: 'redis-queues-cli',
    ...(commandTimeoutMs === undefined ? {} : { commandTimeoutMs }),
  };
}

/** RQ_TIMEOUT_MS, checked like --wait. */
function waitFromEnv(env: NodeJS.ProcessEnv, command: string): number | undefined {
  const text = env['RQ_TIMEOUT_MS']?.trim();
  if (!text) return undefined;
  const ms = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(ms) || ms < 1) {
    throw new UsageError(`RQ_TIMEOUT_MS must be a whole number of milliseconds, at least 1 (got "${printableArg(text)}")`, command);
  }
  return ms;
}

/** Removes every known secret (and URL credentials) from a text: the one scrub rule, agent/format.ts. */
export { scrub };

/** Secrets that may appear in what is printed: every secret the connection holds (the core's connectionSecrets). */
export const secretsOf = connectionSecrets;

/** Exit code and one-line message for anything a command threw. */
export function describeFailure(e: unknown, secrets: string[]): { code: number; message: string } {
  if (e instanceof UsageError) {
    const see = e.command ? `redis-queues ${e.command} --help` : 'redis-queues --help';
    return { code: 2, message: `redis-queues${e.command ? ` ${e.command}` : ''}: ${oneLineText(scrub(e.message, secrets))} (see "${see}")` };
  }
  const err = e instanceof QueueError ? e : toQueueError(e);
  // The core's input checks (BadInputError) are bad arguments too; everything else is Redis.
  if (err.code === 'BAD_INPUT') return { code: 2, message: `redis-queues: ${oneLineText(scrub(err.message, secrets))}` };
  const hint = err.code === 'NO_ANSWER' || connectFailure(err)?.kind === 'no-answer' || connectFailure(err)?.kind === 'timeout' ? ' (to wait longer: --wait MS or RQ_TIMEOUT_MS)' : '';
  return { code: 1, message: `redis-queues: ${oneLineText(scrub(err.message, secrets))}${hint}` };
}

function oneLineText(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * Resolves on the first SIGINT or SIGTERM (and removes its handlers then); a second signal while
 * the command is still shutting down exits at once (130 / 143).
 */
export function onceSignalled(): { promise: Promise<NodeJS.Signals>; dispose(): void } {
  let resolve!: (s: NodeJS.Signals) => void;
  const promise = new Promise<NodeJS.Signals>((r) => (resolve = r));
  let got: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (got) process.exit(sig === 'SIGINT' ? 130 : 143);
    got = sig;
    resolve(sig);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    promise,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/**
 * Fails fast when Redis cannot be reached or refuses the credentials: blocking clients (tail,
 * worker reads) retry forever by design, which a one-off command must not do on a typo.
 */
export async function preflight(connection: ConnectionOptions): Promise<void> {
  const client = await open(connection, 'inspect');
  await quit(client);
}

/** Runs `fn` with an open `command` client (closed afterwards) and the target name for messages. */
export async function withClient<T>(connection: ConnectionOptions, fn: (client: RedisClient) => Promise<T>): Promise<T> {
  const client = await open(connection, 'command');
  try {
    return await fn(client);
  } finally {
    await quit(client);
  }
}

/** Validates stream ids given as arguments (exit 2 on the first bad one). */
export function checkIds(ids: string[], command: string): void {
  for (const id of ids) {
    if (!isValidId(id, { allowMsOnly: false })) throw new UsageError(`"${printableArg(id)}" is not a stream id (expected <ms>-<seq>, e.g. 1700000000000-0)`, command);
  }
}
