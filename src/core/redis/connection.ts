import { readFileSync } from 'node:fs';
import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import { BadInputError, CannotConnectError, NoAnswerError, formatWait, isLostConnection, mayChangeData, redactUrl, redisErrorCode, toQueueError } from './errors';
import { nameBytes } from './names';
import { isCluster, type IoRedisClient, type RedisClient } from './client';

export type ConnectionMode = 'standalone' | 'cluster' | 'sentinel';

export interface TlsOptions {
  /** PEM text or a path to a PEM file of the CA(s) to trust. */
  ca?: string;
  /** PEM text or path of the client certificate (mutual TLS). */
  cert?: string;
  /** PEM text or path of the client key. */
  key?: string;
  /** Passphrase of the client key (a secret). */
  passphrase?: string;
  /** SNI server name; defaults to the host. */
  servername?: string;
  /** Verify the server certificate and host name. Default true; turning it off is visible in the UI. */
  rejectUnauthorized?: boolean;
}

export interface SentinelOptions {
  masterName: string;
  /** `host:port` of each sentinel. */
  sentinels: string[];
  /** Password for the sentinels themselves, if they need one (a secret). */
  sentinelPassword?: string;
}

/** Everything needed to reach one Redis deployment. Secrets are fields here, never in `url`. */
export interface ConnectionOptions {
  /** `redis://host:port[/db]` or `rediss://` (TLS). Credentials in the URL are accepted but should be moved to `password`. */
  url: string;
  mode?: ConnectionMode;
  username?: string;
  password?: string;
  tls?: TlsOptions;
  sentinel?: SentinelOptions;
  /** Refuse writes before sending them. */
  readOnly?: boolean;
  /** Shown in client lists (`CLIENT SETNAME`). */
  clientName?: string;
  /** Connect timeout for fail-fast clients, ms. Default 3000. */
  connectTimeoutMs?: number;
  /**
   * How long `inspect` and `command` clients wait for the server to answer one command (and to
   * finish connecting) before giving up with a {@link NoAnswerError}, ms. Default
   * {@link DEFAULT_COMMAND_TIMEOUT_MS}. A blocking read waits its BLOCK time on top of it.
   * `blocking` clients are not bounded: their loops wait out an outage and carry on.
   */
  commandTimeoutMs?: number;
}

/** Default of {@link ConnectionOptions.commandTimeoutMs}: 10 s. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

/**
 * What a client is for:
 * - `inspect`: short-lived reads for views; fails fast (lazy connect, short timeout, no offline
 *   queue, one retry) so an unreachable server becomes an error, never a spinner;
 * - `command`: acks, claims, publishes: reconnects, commands wait for it a bounded number of retries;
 * - both wait at most `commandTimeoutMs` for each answer (a server that is paused or stopped keeps
 *   the connection open and never answers);
 * - `blocking`: a dedicated connection for XREAD/XREADGROUP/BLMOVE BLOCK; retries forever
 *   (`maxRetriesPerRequest: null`) so a blocking loop survives a server restart.
 */
export type ClientPurpose = 'inspect' | 'command' | 'blocking';

export type { RedisClient, IoRedisClient } from './client';
export { isCluster, masters } from './client';

/** Adjustments of one client's purpose defaults, for a caller that needs them (other clients keep the defaults). */
export interface ClientTweaks {
  /**
   * Re-send, after a reconnect, commands that were written but not answered when the connection
   * dropped (ioredis' `autoResendUnfulfilledCommands`). Default true. `false`: a command whose
   * reply was lost is not run a second time (a write is not duplicated). ioredis 6.0.0 then never
   * settles such a command, so the caller must settle it itself when the client emits `close`
   * (StreamProducer does). Standalone and sentinel only: a Cluster client keeps re-sending.
   */
  resendUnanswered?: boolean;
}

export interface ParsedUrl {
  tls: boolean;
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
}

/** Parses a redis:// or rediss:// URL. Throws {@link BadInputError} with a readable reason. */
export function parseRedisUrl(url: string): ParsedUrl {
  let u: URL;
  const text = url.trim();
  if (!/^rediss?:\/\//i.test(text)) {
    throw new BadInputError(`Connection URL must start with redis:// or rediss:// (got "${redactUrl(text)}")`);
  }
  // An "@" means credentials; the URL is never echoed beyond its last "@" (see redactUrl).
  const credentials = text.includes('@');
  try {
    u = new URL(text);
  } catch {
    throw new BadInputError(`Connection URL is not a valid URL: "${redactUrl(text)}"${credentials ? ` (${ENCODING_HINT})` : ''}`);
  }
  if (`${u.pathname}${u.search}${u.hash}`.includes('@')) {
    // e.g. redis://user:6379/pa@host: a "/" in the password cut it short, and its rest became a path.
    throw new BadInputError(`Connection URL is not valid: "${redactUrl(text)}" has an "@" after the host (${ENCODING_HINT})`);
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new BadInputError('Connection URL has no host');
  const port = u.port ? Number(u.port) : 6379;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new BadInputError(`Connection URL has an invalid port "${u.port}"`);
  const path = u.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0) throw new BadInputError(`Connection URL has an invalid database number "${path}"`);
  return {
    tls: u.protocol.toLowerCase() === 'rediss:',
    host,
    port,
    db,
    username: u.username ? decodeCredential(u.username, 'user name') : undefined,
    password: u.password ? decodeCredential(u.password, 'password') : undefined,
  };
}

/** The fix for a password (or user name) that breaks a URL. */
const ENCODING_HINT = 'a password or user name holding / ? # @ % or spaces must be percent-encoded: write / as %2F, ? as %3F, # as %23, @ as %40, % as %25';

function decodeCredential(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new BadInputError(`Connection URL has an invalid percent-encoding in its ${what} (write % as %25)`);
  }
}

/** The URL with any password removed (safe for settings, logs and messages). */
export function stripPassword(url: string): { url: string; password?: string; username?: string } {
  const p = parseRedisUrl(url);
  const u = new URL(url.trim());
  const password = p.password;
  u.password = '';
  return { url: u.toString().replace(/\/$/, ''), password, username: p.username };
}

/** Where a connection points, without credentials, for messages. */
export function describeTarget(options: ConnectionOptions): string {
  try {
    const p = parseRedisUrl(options.url);
    const scheme = p.tls || options.tls ? 'rediss' : 'redis';
    if (options.mode === 'sentinel' && options.sentinel) return `sentinel master "${options.sentinel.masterName}"`;
    return `${scheme}://${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}${options.mode === 'cluster' ? ' (cluster)' : ''}`;
  } catch {
    return 'Redis';
  }
}

function pem(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (e) {
    throw new BadInputError(`Cannot read TLS file "${value}": ${(e as Error).message}`);
  }
}

function tlsConfig(options: ConnectionOptions, parsed: ParsedUrl): RedisOptions['tls'] | undefined {
  if (!parsed.tls && !options.tls) return undefined;
  const t = options.tls ?? {};
  return {
    ca: pem(t.ca),
    cert: pem(t.cert),
    key: pem(t.key),
    passphrase: t.passphrase,
    servername: t.servername ?? (isIp(parsed.host) ? undefined : parsed.host),
    rejectUnauthorized: t.rejectUnauthorized ?? true,
  };
}

function isIp(host: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':');
}

function baseOptions(options: ConnectionOptions, purpose: ClientPurpose, parsed: ParsedUrl): RedisOptions {
  const connectTimeout = options.connectTimeoutMs ?? 3000;
  const common: RedisOptions = {
    username: options.username ?? parsed.username,
    password: options.password ?? parsed.password,
    db: parsed.db,
    tls: tlsConfig(options, parsed),
    // Named per purpose so CLIENT LIST tells the views, the workers and the blocking readers apart.
    connectionName: `${options.clientName ?? 'redis-queues'}:${purpose}`,
    connectTimeout,
    lazyConnect: true,
    // ioredis 6 speaks RESP3 and keeps RESP2-shaped replies by default; replies.ts accepts both shapes.
  };
  if (purpose === 'inspect') {
    return {
      ...common,
      enableOfflineQueue: true,
      maxRetriesPerRequest: 0,
      // No ioredis commandTimeout: boundAnswers() bounds every command (with a message that says
      // which server did not answer, and whether the command may have been applied).
      // One quick retry, then give up: the view shows an error node with a retry action.
      retryStrategy: (times) => (times > 1 ? null : 200),
      reconnectOnError: () => false,
      // Not enableAutoPipelining: in ioredis 6.0.0 it drops the command name of callBuffer()
      // commands (redis/ioredis#1923), which the producer and the Lua scripts use.
    };
  }
  if (purpose === 'blocking') {
    return {
      ...common,
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    };
  }
  return {
    ...common,
    maxRetriesPerRequest: 20,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
  };
}

/**
 * Creates an ioredis client for the connection and purpose. The client is created lazily: call
 * {@link connect} (or send a command) to open it.
 */
export function createClient(options: ConnectionOptions, purpose: ClientPurpose = 'command', tweaks: ClientTweaks = {}): IoRedisClient {
  const client = createIoredisClient(options, purpose, tweaks);
  sendKeysAsBytes(client);
  if (isCluster(client)) client.on('+node', (node: Redis) => sendKeysAsBytes(node));
  if (!isCluster(client) && (options.mode ?? 'standalone') === 'sentinel') watchMasterSwitches(client);
  if (purpose !== 'blocking') {
    const bound: AnswerBound = { ms: commandTimeoutOf(options), target: describeTarget(options), unanswered: false };
    boundAnswers(client, bound);
    // A Cluster sends most commands through its node clients, and some (INFO, SCAN) straight to them.
    if (isCluster(client)) client.on('+node', (node: Redis) => boundAnswers(node, bound));
  }
  return client;
}

function commandTimeoutOf(options: ConnectionOptions): number {
  const ms = options.commandTimeoutMs;
  if (ms === undefined) return DEFAULT_COMMAND_TIMEOUT_MS;
  if (!Number.isFinite(ms) || ms <= 0) throw new BadInputError(`commandTimeoutMs must be a positive number of milliseconds (got ${ms})`);
  return ms;
}

function createIoredisClient(options: ConnectionOptions, purpose: ClientPurpose, tweaks: ClientTweaks): IoRedisClient {
  const parsed = parseRedisUrl(options.url);
  const base = baseOptions(options, purpose, parsed);
  const mode = options.mode ?? 'standalone';
  if (tweaks.resendUnanswered === false && mode !== 'cluster') base.autoResendUnfulfilledCommands = false;
  if (mode === 'cluster') {
    const clusterOptions: ClusterOptions = {
      lazyConnect: true,
      redisOptions: { ...base, db: undefined, lazyConnect: undefined },
      enableOfflineQueue: true,
      maxRedirections: 16,
      slotsRefreshTimeout: Math.max(base.connectTimeout ?? 3000, 2000),
      clusterRetryStrategy: purpose === 'inspect' ? (times) => (times > 1 ? null : 200) : (times) => Math.min(100 * times, 2000),
      dnsLookup: (address, callback) => callback(null, address),
    };
    return new Cluster([{ host: parsed.host, port: parsed.port }], clusterOptions);
  }
  if (mode === 'sentinel') {
    if (!options.sentinel?.masterName || !options.sentinel.sentinels?.length) {
      throw new BadInputError('A sentinel connection needs sentinel.masterName and at least one sentinel host:port');
    }
    const sentinels = options.sentinel.sentinels.map((s) => {
      const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(s.trim());
      if (!m) throw new BadInputError(`Sentinel address "${s}" is not host:port`);
      return { host: m[1]!, port: Number(m[2]) };
    });
    return new Redis({
      ...base,
      sentinels,
      name: options.sentinel.masterName,
      sentinelPassword: options.sentinel.sentinelPassword,
      sentinelTLS: base.tls,
      enableTLSForSentinelMode: Boolean(base.tls),
      sentinelRetryStrategy: purpose === 'inspect' ? (times) => (times > 1 ? null : 200) : (times) => Math.min(100 * times, 2000),
      // Follow a failover at once: listen to the sentinels' +switch-master instead of staying on
      // the demoted master (whose writes a resync then throws away) until the connection breaks.
      failoverDetector: true,
      // After a lost master, ask the sentinels again often: the detector runs only while connected,
      // so with the usual 2 s back-off the client found a promoted master up to 2 s late.
      ...(purpose === 'inspect' ? {} : { retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 500) }),
      // A command answered READONLY went to a demoted master: reconnect (through the sentinels)
      // and send it again there.
      reconnectOnError: purpose === 'inspect' ? () => false : (err) => (redisErrorCode(err) === 'READONLY' ? 2 : false),
    });
  }
  return new Redis({ ...base, host: parsed.host, port: parsed.port });
}

/** The parts of an ioredis Command that key mapping uses (ioredis 6.0.0). */
interface KeyedCommand {
  args: unknown[];
  keys?: unknown[];
  slot?: number | null;
  bufferMode?: boolean;
  /** ioredis' own walk over a command's key arguments (what applies `keyPrefix`), by @ioredis/commands' key positions. */
  _iterateKeys?: (transform: (key: unknown) => unknown) => unknown[];
}

/** Commands whose keys were mapped already (a command may pass through sendCommand more than once: offline queue, pipeline, Cluster node). */
const named = new WeakSet<object>();
const hooked = new WeakSet<object>();

/**
 * Sends the key arguments of every command as their bytes: a key given in the shown form of
 * `names.ts` (`o\xffr`) goes out as the bytes it stands for, on this client, its pipelines and
 * transactions, and its duplicates. Key positions are ioredis' own (those it applies `keyPrefix`
 * to: @ioredis/commands, EVAL/EVALSHA by numkeys), and a Cluster computes the slot from the bytes
 * (after this). Only a command with a string argument holding a backslash is looked at further.
 */
function sendKeysAsBytes<T extends object>(target: T): T {
  if (hooked.has(target)) return target;
  hooked.add(target);
  const t = target as unknown as {
    sendCommand: (command: KeyedCommand, ...rest: unknown[]) => unknown;
    pipeline?: (commands?: unknown[]) => object;
    multi?: (commands?: unknown, options?: { pipeline?: boolean }) => object;
    duplicate?: (...args: unknown[]) => object;
  };
  const send = t.sendCommand.bind(target);
  t.sendCommand = (command: KeyedCommand, ...rest: unknown[]) => {
    keysAsBytes(command);
    return send(command, ...rest);
  };
  if (typeof t.pipeline === 'function') {
    const pipeline = t.pipeline;
    t.pipeline = function (this: unknown, commands?: unknown[]) {
      const p = sendKeysAsBytes(pipeline.call(this) as { addBatch(c: unknown[]): unknown });
      if (Array.isArray(commands)) p.addBatch(commands);
      return p;
    };
  }
  if (typeof t.multi === 'function') {
    const multi = t.multi;
    t.multi = function (this: unknown, commands?: unknown, options?: { pipeline?: boolean }) {
      if (options === undefined && !Array.isArray(commands)) {
        options = commands as typeof options;
        commands = undefined;
      }
      const m = multi.call(this, options) as { addBatch?(c: unknown[]): unknown };
      if (options?.pipeline === false) return m; // MULTI sent at once; the commands go through sendCommand
      sendKeysAsBytes(m);
      if (Array.isArray(commands)) m.addBatch!(commands);
      return m;
    };
  }
  if (typeof t.duplicate === 'function') {
    const duplicate = t.duplicate;
    t.duplicate = function (this: unknown, ...args: unknown[]) {
      return sendKeysAsBytes(duplicate.apply(this, args));
    };
  }
  return target;
}

function keysAsBytes(command: KeyedCommand): void {
  const args = command?.args;
  if (!Array.isArray(args)) return;
  let escaped = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (typeof a === 'string' && a.includes('\\')) {
      escaped = true;
      break;
    }
  }
  // Only the rare command with a backslash is remembered (mapping it twice would decode twice).
  if (!escaped || named.has(command) || typeof command._iterateKeys !== 'function') return;
  named.add(command);
  // Keys read before (none are, on the paths used here) would be stale: read them again.
  command.keys = undefined;
  command.slot = undefined;
  command._iterateKeys((key) => {
    if (typeof key !== 'string' || !key.includes('\\')) return key;
    const bytes = nameBytes(key);
    if (Buffer.isBuffer(bytes)) command.bufferMode = true;
    return bytes;
  });
}

/** When the sentinels last told a connected client that the master changed (ms since the epoch). */
const masterSwitches = new WeakMap<object, number>();

/** The parts of ioredis 6's SentinelConnector used here. */
interface SentinelConnectorParts {
  disconnect(): void;
  failoverDetector?: { isDisconnected?: boolean } | null;
}

/**
 * Notes when a Sentinel client drops its connection because the sentinels announced a new master
 * (+switch-master; ioredis' failover detector marks itself and then disconnects), so that the
 * commands left unanswered are reported as a failover, not as "cannot connect".
 */
function watchMasterSwitches(client: Redis): void {
  const connector = (client as unknown as { connector?: SentinelConnectorParts }).connector;
  if (!connector || typeof connector.disconnect !== 'function') return;
  const disconnect = connector.disconnect.bind(connector);
  connector.disconnect = () => {
    if (connector.failoverDetector?.isDisconnected && client.status === 'ready') masterSwitches.set(client, Date.now());
    disconnect();
  };
}

/**
 * Whether the sentinels switched this client's master within the last `withinMs` while it was
 * connected: a connection closed then was closed by the failover (standalone and Cluster: false).
 */
export function masterSwitchedRecently(client: RedisClient, withinMs = 2000): boolean {
  const at = masterSwitches.get(client);
  return at !== undefined && Date.now() - at <= withinMs;
}

/** How long a client waits for answers, and whom it is waiting for (clients of purpose `inspect` and `command`). */
interface AnswerBound {
  ms: number;
  target: string;
  /** A command went unanswered within the bound (closing need not wait for a QUIT to be answered). */
  unanswered: boolean;
}

const bounds = new WeakMap<object, AnswerBound>();

/** The parts of an ioredis Command used here (ioredis 6.0.0). */
interface PendingCommand {
  name: string;
  args: unknown[];
  isSettled?: boolean;
  promise: Promise<unknown>;
  reject(err: Error): void;
}

/** Commands already given a deadline (a command may pass through sendCommand more than once: offline queue, cluster routing). */
const armed = new WeakSet<object>();

/**
 * Gives every command sent on `client` a deadline: when the server has not answered it within
 * `bound.ms` (plus its own BLOCK time, for a blocking read), it is rejected with a
 * {@link NoAnswerError} that names the server and says whether the command may have been
 * applied. The connection stays open (a late answer is matched to the command and dropped).
 * This covers the handshake (HELLO, AUTH, INFO) too, so a server that accepts connections but
 * never answers (paused with SIGSTOP, hung, or behind a network that drops packets) cannot hold a
 * caller for longer than the bound.
 */
function boundAnswers(client: IoRedisClient, bound: AnswerBound): void {
  if (bounds.has(client)) return;
  bounds.set(client, bound);
  const target = client as unknown as { sendCommand: (command: PendingCommand, ...rest: unknown[]) => unknown };
  const send = target.sendCommand.bind(client);
  target.sendCommand = (command: PendingCommand, ...rest: unknown[]) => {
    arm(command, bound);
    return send(command, ...rest);
  };
}

function arm(command: PendingCommand, bound: AnswerBound): void {
  if (!command || typeof command !== 'object' || armed.has(command) || command.isSettled || typeof command.reject !== 'function') return;
  armed.add(command);
  const blockMs = blockingWaitMs(command);
  if (blockMs === undefined) return; // blocks until answered, by request
  const timer = setTimeout(() => {
    if (command.isSettled) return;
    bound.unanswered = true;
    command.reject(new NoAnswerError({ target: bound.target, timeoutMs: bound.ms, command: command.name, outcomeUnknown: mayChangeData(command.name) }));
  }, bound.ms + blockMs);
  const clear = () => clearTimeout(timer);
  command.promise.then(clear, clear);
}

const LIST_BLOCKING = new Set(['blpop', 'brpop', 'brpoplpush', 'blmove', 'bzpopmin', 'bzpopmax']);

/**
 * How long a command may legitimately wait on the server before answering: its BLOCK time (XREAD,
 * XREADGROUP) or timeout (BLPOP ...), 0 for other commands, undefined for "forever" (BLOCK 0).
 */
function blockingWaitMs(command: PendingCommand): number | undefined {
  const name = String(command.name).toLowerCase();
  const args = command.args ?? [];
  const num = (v: unknown): number => Number(Buffer.isBuffer(v) ? v.toString() : v);
  if (name === 'xread' || name === 'xreadgroup') {
    const i = args.findIndex((a) => String(Buffer.isBuffer(a) ? a.toString() : a).toUpperCase() === 'BLOCK');
    if (i < 0) return 0;
    const ms = num(args[i + 1]);
    return ms > 0 ? ms : Number.isFinite(ms) ? undefined : 0;
  }
  if (LIST_BLOCKING.has(name) || name === 'blmpop' || name === 'bzmpop') {
    const s = num(name === 'blmpop' || name === 'bzmpop' ? args[0] : args[args.length - 1]);
    return s > 0 ? s * 1000 : Number.isFinite(s) ? undefined : 0;
  }
  if (name === 'wait' || name === 'waitaof') {
    const ms = num(args[args.length - 1]);
    return ms > 0 ? ms : Number.isFinite(ms) ? undefined : 0;
  }
  return 0;
}

/** Opens a lazily created client, mapping failures to readable errors (and closing the client on failure). */
export async function connect<C extends RedisClient>(client: C, options: ConnectionOptions): Promise<C> {
  if (client.status === 'ready') return client;
  // ioredis reports the real cause (WRONGPASS, TLS, ECONNREFUSED) as an 'error' event and then
  // rejects with a generic "Connection is closed": keep the cause.
  let cause: unknown;
  // Connecting is bounded too (clients of purpose inspect and command): a server that accepts the
  // connection and then never answers would otherwise hold the caller for ever. Given up at the
  // bound, or as soon as a handshake command went unanswered, without waiting for the socket to
  // close (a stopped server never completes the close).
  const bound = bounds.get(client);
  let noAnswer: 'connect' | 'answer' | undefined;
  let giveUp: (e: Error) => void = () => undefined;
  const givenUp = new Promise<never>((_, reject) => (giveUp = reject));
  givenUp.catch(() => undefined);
  const onError = (e: unknown) => {
    cause = e;
    if (e instanceof NoAnswerError) {
      noAnswer = 'answer';
      giveUp(e);
    }
  };
  client.on('error', onError);
  const deadline = bound
    ? setTimeout(() => {
        noAnswer = client.status === 'connecting' || client.status === 'reconnecting' ? 'connect' : 'answer';
        giveUp(new Error('no answer'));
      }, bound.ms)
    : undefined;
  try {
    const opened = client.status === 'wait' || client.status === 'end' ? client.connect() : client.ping();
    opened.catch(() => undefined);
    await Promise.race([opened, givenUp]);
    return client;
  } catch (e) {
    client.disconnect();
    const target = describeTarget(options);
    if (noAnswer === 'connect') throw new CannotConnectError(target, `no connection within ${formatWait(bound!.ms)}`, { cause: e, failure: { kind: 'timeout', code: 'timeout' } });
    if (noAnswer || cause instanceof NoAnswerError || e instanceof NoAnswerError) {
      throw new CannotConnectError(target, `the server accepted the connection but did not answer within ${formatWait(bound!.ms)} (paused, overloaded or stuck?)`, { cause: e, failure: { kind: 'no-answer', code: 'timeout' } });
    }
    const generic = isLostConnection(e);
    const err = toQueueError(generic && cause ? cause : e, { target });
    if (err.code === 'REDIS') throw new CannotConnectError(target, err.message, { cause: e });
    throw err;
  } finally {
    clearTimeout(deadline);
    client.off('error', onError);
  }
}

/** Opens a client of the given purpose and waits until it is ready. */
export async function open(options: ConnectionOptions, purpose: ClientPurpose = 'command', tweaks: ClientTweaks = {}): Promise<IoRedisClient> {
  const client = createClient(options, purpose, tweaks);
  // ioredis emits 'error' events on connection trouble; commands report them, so do not crash on them.
  client.on('error', () => undefined);
  return connect(client, options);
}

/** Closes a client without waiting for pending replies (safe to call twice). */
export function close(client: RedisClient | undefined): void {
  if (!client) return;
  try {
    client.disconnect();
  } catch {
    /* already closed */
  }
}

/** Closes gracefully (QUIT), falling back to disconnect. */
export async function quit(client: RedisClient | undefined): Promise<void> {
  if (!client) return;
  if (client.status === 'end' || client.status === 'wait' || bounds.get(client)?.unanswered) {
    // (A server that left a command unanswered would not answer QUIT either.)
    client.disconnect();
    return;
  }
  try {
    await Promise.race([client.quit(), new Promise((r) => setTimeout(r, 1000))]);
  } catch {
    /* ignore */
  } finally {
    client.disconnect();
  }
}
