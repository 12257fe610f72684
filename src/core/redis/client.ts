// The Redis client the core takes: the ioredis members it uses, by name, and what it reads of a
// client's state and events; not ioredis' whole `Redis | Cluster`. ioredis' own clients (what
// `open` and `createClient` return) are such clients; so is anything else that answers these
// members the way ioredis does (a wrapper, a recording proxy). The list is what the core compiles
// against: a member it starts to use is added here, or the build fails.
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';

/**
 * The ioredis members the core calls on a client, commands in ioredis' lower-case names (a
 * `…Buffer` variant is a member of its own). Each has ioredis' (`Redis`) signature in
 * {@link RedisClient}, except `duplicate`, which {@link ClientLifecycle} declares (a Cluster's
 * takes other arguments than a `Redis`'s).
 */
export const REDIS_CLIENT_MEMBERS = [
  // Generic calls: any command by name (most writes and the version-dependent reads), and scripts.
  'call',
  'callBuffer',
  'eval',
  'script',
  // Batches: pipelines, transactions, and WATCH around them (on a connection of their own).
  'pipeline',
  'multi',
  'watch',
  'unwatch',
  // Server: version, mode, clock, reachability.
  'info',
  'time',
  'ping',
  'dbsize',
  // Streams.
  'xadd',
  'xack',
  'xclaim',
  'xpending',
  'xdel',
  'xgroup',
  'xlen',
  'xrangeBuffer',
  'xrevrange',
  'xrevrangeBuffer',
  'xreadBuffer',
  'xreadgroup',
  'xreadgroupBuffer',
  // Lists (list queues, framework queues).
  'llen',
  'lindex',
  'lrange',
  'lrangeBuffer',
  'blmoveBuffer',
  'brpoplpushBuffer',
  // Keys and strings.
  'scanBuffer',
  'type',
  'exists',
  'del',
  'pexpire',
  'get',
  'mget',
  'set',
  // Hashes.
  'hget',
  'hmget',
  'hgetall',
  'hgetallBuffer',
  'hlen',
  'hscan',
  // Sets and sorted sets (framework queues and their indexes).
  'scard',
  'smembers',
  'sscan',
  'zcard',
  'zcount',
  'zscore',
  'zrange',
  'zrangeBuffer',
  'zrangebyscore',
  'zrevrange',
  'zrevrangeBuffer',
  'zrevrangebyscore',
  // Opening and closing.
  'connect',
  'duplicate',
  'quit',
  'disconnect',
] as const;

/** One of {@link REDIS_CLIENT_MEMBERS}. */
export type RedisClientMember = (typeof REDIS_CLIENT_MEMBERS)[number];

/** What the core reads of a client's options (ioredis' `options`), with {@link clientOption}. */
export interface ClientOptionsRead {
  /** The host a standalone client (a Cluster's node) points to. */
  readonly host?: string;
  /** Its port. */
  readonly port?: number;
  /** ioredis' `autoResendUnfulfilledCommands` (the producer settles lost replies itself when false). */
  readonly autoResendUnfulfilledCommands?: boolean;
}

/**
 * What the core reads of a client's state and events, besides its commands: the connection's
 * status (`'ready'`, `'wait'`, `'end'`, ...), `error` and `close` events, whether it is a Cluster,
 * and a duplicate of itself (a connection of its own for WATCH and blocking reads), all as ioredis
 * has them. A Cluster's nodes are read only after {@link isCluster}.
 */
export interface ClientLifecycle {
  /** ioredis' connection status: `'wait'` (not connected yet), `'connecting'`, `'ready'`, `'reconnecting'`, `'end'`, ... */
  readonly status: string;
  /** Listens to a client event: `error` (connection trouble; the core always listens), `close` (the connection dropped). */
  on(event: string | symbol, listener: (...args: unknown[]) => void): this;
  /** Stops listening (a listener added with {@link ClientLifecycle.on}). */
  off(event: string | symbol, listener: (...args: unknown[]) => void): this;
  /** Listens to the next such event only. */
  once?(event: string | symbol, listener: (...args: unknown[]) => void): this;
  /** True on an ioredis Cluster client. */
  readonly isCluster?: boolean;
  /** ioredis' options of the client (`RedisOptions`, `ClusterOptions`), read with {@link clientOption}. */
  readonly options?: object;
  /** A new client to the same server with the same options (not connected yet, or connecting). */
  duplicate(): RedisClient;
}

/** The names of {@link ClientLifecycle}'s members, at run time. */
export const CLIENT_LIFECYCLE_MEMBERS = ['status', 'on', 'off', 'once', 'isCluster', 'options', 'duplicate'] as const satisfies readonly (keyof ClientLifecycle)[];
// Every lifecycle member is listed (a compile error names one that is not).
const lifecycleListed: Exclude<keyof ClientLifecycle, (typeof CLIENT_LIFECYCLE_MEMBERS)[number]> extends never ? true : never = true;
void lifecycleListed;

/**
 * The Redis client the core takes: the ioredis members it uses ({@link REDIS_CLIENT_MEMBERS}, with
 * ioredis' signatures) and what it reads of the client's state ({@link ClientLifecycle}). An
 * ioredis `Redis` or `Cluster` ({@link IoRedisClient}) is one.
 */
export type RedisClient = Pick<Redis, Exclude<RedisClientMember, keyof ClientLifecycle>> & ClientLifecycle;

/** ioredis' own client, standalone or Sentinel (`Redis`) or Cluster: what `open` and `createClient` return. */
export type IoRedisClient = Redis | Cluster;

/** A Cluster client's node role, as ioredis' `nodes()` takes it. */
export type ClusterNodeRole = 'all' | 'master' | 'slave';

/** What the core reads of a Cluster client besides {@link RedisClient}: its nodes, each a client of its own. */
export interface ClusterNodes {
  readonly isCluster: true;
  nodes(role?: ClusterNodeRole): RedisClient[];
}

/** Whether `client` is a Cluster client (ioredis' `isCluster`): ioredis' `Cluster`, or any client whose nodes can then be read. */
export function isCluster(client: IoRedisClient): client is Cluster;
export function isCluster(client: RedisClient): client is RedisClient & ClusterNodes;
export function isCluster(client: RedisClient): boolean {
  return client.isCluster === true;
}

/** The standalone nodes to visit for keyspace-wide work: every master of a Cluster, else the client itself. */
export function masters(client: RedisClient): RedisClient[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

/**
 * One of the client's options the core reads ({@link ClientOptionsRead}), or undefined when the
 * client has no such option (a Cluster client has no `host`, nor `autoResendUnfulfilledCommands`).
 */
export function clientOption<K extends keyof ClientOptionsRead>(client: RedisClient, name: K): ClientOptionsRead[K] | undefined {
  return (client.options as ClientOptionsRead | undefined)?.[name];
}
