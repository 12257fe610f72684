/**
 * One error class per failure a user meets. Every message is meant to be read by a person and
 * acted on, and never contains a secret: messages pass through {@link scrubSecrets}.
 */

import { ReplyError } from 'ioredis';

export type QueueErrorCode =
  | 'CANNOT_CONNECT'
  | 'AUTH'
  | 'NOPERM'
  | 'WRONGTYPE'
  | 'NOGROUP'
  | 'BAD_ID'
  | 'READ_ONLY'
  | 'BAD_INPUT'
  | 'CROSSSLOT'
  | 'UNSUPPORTED'
  | 'NO_ANSWER'
  | 'UNAVAILABLE'
  | 'NOT_REPLICATED'
  | 'REDIS';

export class QueueError extends Error {
  readonly code: QueueErrorCode;
  constructor(code: QueueErrorCode, message: string, options?: { cause?: unknown }) {
    super(scrubSecrets(message), options && 'cause' in options ? { cause: sanitizeCause(options.cause) } : undefined);
    this.code = code;
    this.name = new.target.name;
  }

  /**
   * The condition passes by itself (a failover, a restart, a server that did not answer in time, a
   * dropped connection): the same call may succeed a moment later, so retry it with back-off.
   * One property for all of them, whatever their code, so that a caller that retries misses none.
   */
  get transient(): boolean {
    if (this.code === 'UNAVAILABLE' || this.code === 'NO_ANSWER') return true;
    if (this.code !== 'CANNOT_CONNECT') return false;
    // Not a refused certificate, a TLS mismatch or an unknown name: those need a change of settings.
    const kind = connectFailure(this)?.kind;
    return kind !== 'tls-untrusted' && kind !== 'tls-protocol' && kind !== 'dns';
  }
}

/**
 * The server is there but cannot serve the command right now: a Cluster moving slots or electing
 * a new master (MOVED, ASK, TRYAGAIN, CLUSTERDOWN, too many redirections), a replica that was
 * promoted or a master that was demoted (READONLY, MASTERDOWN), a server loading its data
 * (LOADING). Transient: retried with back-off by the worker, the tails and the producer's callers.
 */
export class UnavailableError extends QueueError {
  constructor(target: string, reason: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', `${target} is failing over or busy (${reason}); retrying helps once it settles`, options);
  }
}

/** Whether an error (of any kind) is transient: see {@link QueueError.transient}. */
export function isTransient(e: unknown): boolean {
  return toQueueError(e).transient;
}

/**
 * A copy of an underlying error that is safe to keep: message and stack scrubbed, and without
 * ioredis' `command` (whose args hold the password of AUTH / HELLO … AUTH) or other attachments.
 */
function sanitizeCause(cause: unknown): unknown {
  if (cause instanceof QueueError) return cause;
  if (!(cause instanceof Error)) return cause === undefined ? undefined : scrubSecrets(String(cause));
  const safe = new Error(scrubSecrets(cause.message));
  safe.name = cause.name;
  if (cause.stack) safe.stack = scrubSecrets(cause.stack);
  // What classifies the failure (Node's errno or TLS code, and where it was going), kept.
  for (const k of ['code', 'address', 'port'] as const) {
    const v = (cause as unknown as Record<string, unknown>)[k];
    if (typeof v === 'string' || typeof v === 'number') (safe as unknown as Record<string, unknown>)[k] = v;
  }
  return safe;
}

/**
 * A server's reply error: ioredis' ReplyError, or the scrubbed copy a {@link QueueError} keeps as
 * its cause (same name). By class first: a bundler may rename the class, and ioredis reports
 * `this.constructor.name` as the name (esbuild.js keeps names, for the copies).
 */
function isReplyError(x: Error): boolean {
  return x instanceof ReplyError || x.name === 'ReplyError';
}

/**
 * The error code a Redis server reply starts with (`WRONGTYPE`, `NOGROUP`, `BUSYGROUP`,
 * `NOSCRIPT`, `ERR`…): Redis's own classification of its errors, read from the reply error (or
 * the reply error a {@link QueueError} was made from). Undefined for anything that is not a
 * server's reply (a lost connection, a timeout, a bug). Callers branch on this, never on texts.
 */
export function redisErrorCode(e: unknown): string | undefined {
  for (let x = e, depth = 0; x instanceof Error && depth < 4; x = (x as Error & { cause?: unknown }).cause, depth++) {
    if (isReplyError(x)) return /^[A-Z][A-Z_-]*(?=\s|$)/.exec(x.message)?.[0];
  }
  return undefined;
}

/**
 * Whether a server reply says the key is not there: XINFO's `ERR no such key` (the one reply that
 * has no code of its own, so its text is read here and only here).
 */
export function isNoSuchKey(e: unknown): boolean {
  for (let x = e, depth = 0; x instanceof Error && depth < 4; x = (x as Error & { cause?: unknown }).cause, depth++) {
    if (isReplyError(x) || x instanceof QueueError) if (/^(ERR )?no such key/i.test(x.message)) return true;
  }
  return false;
}

/**
 * Why a connection failed, classified once for every reader (the explorer's error rows, Add
 * Connection's hints, {@link QueueError.transient}): by Node's errno and TLS codes, Redis's reply
 * codes and this library's error classes, found along the cause chain; never by message text,
 * except Redis < 6's `ERR invalid password` (no code of its own).
 */
export type ConnectFailureKind =
  | 'refused' // nothing listens there (ECONNREFUSED)
  | 'timeout' // no connection within the bound (ETIMEDOUT, or the library's own connect bound)
  | 'no-answer' // connected, but the server did not answer the handshake in time
  | 'dns' // the host name does not resolve (ENOTFOUND, EAI_AGAIN)
  | 'unreachable' // no route (EHOSTUNREACH, ENETUNREACH)
  | 'reset' // the server closed the connection (ECONNRESET, EPIPE)
  | 'auth' // user name or password refused (WRONGPASS)
  | 'noauth' // a password is needed (NOAUTH)
  | 'tls-untrusted' // the server's certificate is not trusted or does not match the host
  | 'tls-protocol'; // the TLS handshake failed (rediss:// to a plain port, or the reverse)

export interface ConnectFailure {
  kind: ConnectFailureKind;
  /** The code it was read from: ECONNREFUSED, WRONGPASS, DEPTH_ZERO_SELF_SIGNED_CERT, timeout… */
  code: string;
  /** host:port, where Node named it (a refused or timed-out socket). */
  address?: string;
}

const ERRNO_KINDS: Record<string, ConnectFailureKind> = {
  ECONNREFUSED: 'refused', ETIMEDOUT: 'timeout', ENOTFOUND: 'dns', EAI_AGAIN: 'dns', EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable', ECONNRESET: 'reset', EPIPE: 'reset', EPROTO: 'tls-protocol',
};
/** Node's codes for a certificate it does not trust (tls.TLSSocket's verifyError and the host check). */
const UNTRUSTED_CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE', 'INVALID_CA', 'ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH',
]);

/** The connection failure an error stands for, or undefined when it is not one (see {@link ConnectFailureKind}). */
export function connectFailure(e: unknown): ConnectFailure | undefined {
  for (let x = e, depth = 0; x instanceof Error && depth < 8; x = (x as Error & { cause?: unknown }).cause, depth++) {
    if (x instanceof CannotConnectError && x.failure) return x.failure;
    if (x instanceof NoAnswerError) return { kind: 'no-answer', code: 'timeout' };
    const reply = redisErrorCode(x) ?? (isReplyError(x) || x instanceof QueueError ? undefined : /^(WRONGPASS|NOAUTH)\b/.exec(x.message)?.[1]);
    if (reply === 'WRONGPASS') return { kind: 'auth', code: 'WRONGPASS' };
    if (reply === 'NOAUTH') return { kind: 'noauth', code: 'NOAUTH' };
    // Redis < 6 (and some proxies) answer a wrong password with a plain ERR: the one text read here.
    if (reply === 'ERR' && /invalid (username-password|password)|AUTH failed/i.test(x.message)) return { kind: 'auth', code: 'ERR invalid password' };
    const code = (x as Error & { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    const address = (x as Error & { address?: unknown }).address;
    const port = (x as Error & { port?: unknown }).port;
    const where = typeof address === 'string' ? (typeof port === 'number' || typeof port === 'string' ? `${address}:${port}` : address) : undefined;
    if (ERRNO_KINDS[code]) return { kind: ERRNO_KINDS[code]!, code, ...(where ? { address: where } : {}) };
    if (UNTRUSTED_CERT_CODES.has(code)) return { kind: 'tls-untrusted', code };
    if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return { kind: 'tls-protocol', code };
  }
  return undefined;
}

/** The server could not be reached (refused, timed out, DNS, TLS handshake). */
export class CannotConnectError extends QueueError {
  /** Set where the library itself knows why (its own connect bound); else read from the cause. */
  readonly failure?: ConnectFailure;
  constructor(target: string, reason: string, options?: { cause?: unknown; failure?: ConnectFailure }) {
    super('CANNOT_CONNECT', `Cannot connect to ${scrubSecrets(target)}: ${reason}`, options && 'cause' in options ? { cause: options.cause } : undefined);
    if (options?.failure) this.failure = options.failure;
  }
}

/** The server refused the credentials (WRONGPASS, NOAUTH, expired or missing password). */
export class AuthError extends QueueError {
  constructor(target: string, reason: string, options?: { cause?: unknown; headline?: string }) {
    super('AUTH', `${options?.headline ?? 'Authentication failed for'} ${scrubSecrets(target)}: ${reason}`, options && 'cause' in options ? { cause: options.cause } : undefined);
  }
}

/** A wait in words: 10000 → "10 s", 1500 → "1.5 s", 800 → "800 ms". */
export function formatWait(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${Number((ms / 1000).toFixed(ms % 1000 === 0 ? 0 : ms < 10_000 ? 1 : 0))} s`;
}

/**
 * Commands that never change data (reads, connection and server queries). Any other command that
 * goes unanswered may or may not have been applied.
 */
const NO_CHANGE_COMMANDS = new Set([
  'auth', 'client', 'cluster', 'command', 'dbsize', 'echo', 'eval_ro', 'evalsha_ro', 'exists', 'get', 'hello', 'hget', 'hgetall',
  'hlen', 'hmget', 'info', 'lindex', 'llen', 'lpos', 'lrange', 'memory', 'mget', 'object', 'ping', 'pttl', 'quit', 'readonly',
  'role', 'scan', 'scard', 'script', 'select', 'sismember', 'smembers', 'strlen', 'time', 'ttl', 'type', 'xinfo', 'xlen',
  'xpending', 'xrange', 'xread', 'xrevrange', 'zcard', 'zcount', 'zrange', 'zrangebyscore', 'zscore',
]);

/** Whether a command (by name, any case) may change data, so that its outcome is unknown when unanswered. */
export function mayChangeData(command: string): boolean {
  return !NO_CHANGE_COMMANDS.has(command.toLowerCase());
}

/** How an unanswered command is named in a message. */
function commandLabel(command: string): string {
  const c = command.toUpperCase();
  if (c === 'EVAL' || c === 'EVALSHA' || c === 'FCALL') return `script call (${c})`;
  if (c === 'EXEC' || c === 'MULTI') return 'transaction (MULTI/EXEC)';
  return c;
}

/**
 * The server did not answer a command within the bound (`ConnectionOptions.commandTimeoutMs`): it
 * is paused or stopped, overloaded, or the network drops packets without closing the connection.
 * For a command that may change data the outcome is unknown (`outcomeUnknown`): it may have run
 * with its answer late or lost, or not have run at all.
 */
export class NoAnswerError extends QueueError {
  /** Where the connection points (no credentials). */
  readonly target: string;
  readonly timeoutMs?: number;
  /** The command that went unanswered (its Redis name, or the operation's), if known. */
  readonly command?: string;
  /** The command may change data: it may or may not have been applied. */
  readonly outcomeUnknown: boolean;
  constructor(o: { target: string; timeoutMs?: number; command?: string; outcomeUnknown?: boolean }, options?: { cause?: unknown }) {
    const within = o.timeoutMs === undefined ? 'in time' : `within ${formatWait(o.timeoutMs)}`;
    const unknown = o.outcomeUnknown ?? (o.command === undefined || mayChangeData(o.command));
    const what = o.command ? commandLabel(o.command) : 'command';
    super(
      'NO_ANSWER',
      unknown
        ? `The server ${o.target} did not answer ${within}; the ${what} may or may not have been applied`
        : `The server ${o.target} did not answer ${within}${o.command ? ` (${what})` : ''}: it may be paused, overloaded or unreachable`,
      options,
    );
    this.target = o.target;
    this.timeoutMs = o.timeoutMs;
    this.command = o.command;
    this.outcomeUnknown = unknown;
  }
}

/** The ACL user may not run a command or touch a key. */
export class NoPermError extends QueueError {
  readonly command?: string;
  constructor(command: string | undefined, reason: string, options?: { cause?: unknown }) {
    super('NOPERM', `No permission${command ? ` to run ${command.toUpperCase()}` : ''}: ${reason}`, options);
    this.command = command;
  }
}

/** A key holds another type than the operation needs (a list named as a stream, ...). */
export class WrongTypeError extends QueueError {
  constructor(key: string, expected: string, actual?: string, options?: { cause?: unknown }) {
    super('WRONGTYPE', `Key "${printable(key)}" is ${actual ? `a ${actual}` : 'of another type'}, not a ${expected}`, options);
  }
}

/** The consumer group (or the stream holding it) does not exist. */
export class NoGroupError extends QueueError {
  constructor(stream: string, group: string, options?: { cause?: unknown }) {
    super('NOGROUP', `No consumer group "${printable(group)}" on stream "${printable(stream)}" (or the stream does not exist)`, options);
  }
}

/** A stream entry id that Redis would reject, or that is not allowed where it was given. */
export class BadIdError extends QueueError {
  constructor(id: string, reason: string) {
    super('BAD_ID', `Invalid stream id "${printable(id)}": ${reason}`);
  }
}

/** A write was attempted on a connection marked read-only; nothing was sent. */
export class ReadOnlyError extends QueueError {
  constructor(connection: string, action: string) {
    super('READ_ONLY', `Connection "${connection}" is read-only: ${action} was refused before anything was sent`);
  }
}

/** Input from a user or a caller that cannot be used as given. */
export class BadInputError extends QueueError {
  constructor(message: string) {
    super('BAD_INPUT', message);
  }
}

// The user information of a URL runs to the last "@" of the URL: a password may hold "/", "?",
// "#", ":" or "@" when it was not percent-encoded, so anything up to that "@" may be part of it.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)(\S*)@/gi;
const AUTH_ARGS = /\b(AUTH|HELLO\s+\d\s+AUTH)\s+(\S+)(\s+\S+)?/gi;
// `password=x`, `password: x`, `"password":"x"`; never a key name such as `password:reset` (a colon
// with nothing between it and the next word is a name's separator, not an assignment).
const PASSWORD_KV = /\b(password|pass|passphrase|secret)(\s*=\s*["']?|["']\s*[:=]\s*["']?|\s*:\s+["']?)([^"'\s,}]+)/gi;

/**
 * The one scrub rule, for free text that may echo a secret (an error message, a log line):
 * passwords in URLs, AUTH arguments, password=… pairs, and each of `known` (the connection's own
 * secrets: {@link connectionSecrets}) wherever it appears. Never apply it to data (names,
 * ids, fields, values): it would rewrite them into something that cannot be addressed.
 */
export function scrubSecrets(text: string, known: readonly string[] = []): string {
  let out = text
    .replace(URL_USERINFO, (m: string, scheme: string, info: string) => {
      const colon = info.indexOf(':');
      if (colon < 0) return m; // a user name alone is no secret
      const user = info.slice(0, colon);
      return `${scheme}${user ? `${user}:` : ''}***@`;
    })
    .replace(AUTH_ARGS, (_m, cmd: string, a: string, b?: string) => (b ? `${cmd} ${a} ***` : `${cmd} ***`))
    .replace(PASSWORD_KV, (_m, k: string, sep: string) => `${k}${sep}***`);
  // Then every secret of the connection known to the caller (connectionSecrets), wherever it appears.
  for (const secret of known) if (secret) out = out.split(secret).join('***');
  return out;
}

/**
 * Every secret a connection's options hold, as text might echo them (for {@link scrubSecrets}'s
 * `known`): the password, the one in the URL (as written and decoded), the TLS key's passphrase
 * and the Sentinel password.
 */
export function connectionSecrets(o: { url: string; password?: string; tls?: { passphrase?: string }; sentinel?: { sentinelPassword?: string } }): string[] {
  const out = [o.password, o.tls?.passphrase, o.sentinel?.sentinelPassword];
  try {
    const u = new URL(o.url);
    if (u.password) out.push(u.password, decodeURIComponent(u.password));
  } catch {
    /* not a URL: nothing in it */
  }
  return [...new Set(out.filter((x): x is string => typeof x === 'string' && x.length > 0))];
}

/**
 * A URL as it may be shown when it cannot be used: everything up to its last "@" (user and
 * password, however malformed) replaced by "***", control characters escaped, at most 80
 * characters. Text without "@" is shown scrubbed of other secrets.
 */
export function redactUrl(text: string): string {
  const t = text.trim();
  const at = t.lastIndexOf('@');
  let shown: string;
  if (at >= 0) {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(t)?.[0] ?? '';
    shown = `${scheme}***@${t.slice(at + 1)}`;
  } else {
    shown = scrubSecrets(t);
  }
  return printable(shown, 80);
}

/** Makes a key or value safe to embed in a one-line message (control characters escaped, length capped). */
export function printable(s: string, max = 200): string {
  const escaped = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}

export interface ErrorContext {
  /** Where the connection points, without credentials (e.g. "redis://127.0.0.1:6379"). */
  target?: string;
  command?: string;
  key?: string;
  group?: string;
  expected?: string;
}

/**
 * Maps anything thrown by ioredis or Node to the matching {@link QueueError}. Errors that already
 * are QueueErrors pass through unchanged.
 */
export function toQueueError(err: unknown, ctx: ErrorContext = {}): QueueError {
  if (err instanceof QueueError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const target = ctx.target ?? 'Redis';
  const failure = connectFailure(err);
  if (failure?.kind === 'noauth') {
    return new AuthError(target, 'the server refuses commands until a password is given (NOAUTH)', { cause: err, headline: 'Password required by' });
  }
  if (failure?.kind === 'auth') {
    return new AuthError(target, firstLine(message), { cause: err });
  }
  if (/^NOPERM/.test(message)) {
    const m = /no permissions? to run the '([^']+)' command/i.exec(message);
    return new NoPermError(m?.[1] ?? ctx.command, firstLine(message), { cause: err });
  }
  if (/^WRONGTYPE/.test(message)) {
    return new WrongTypeError(ctx.key ?? '?', ctx.expected ?? 'stream', undefined, { cause: err });
  }
  if (/^NOGROUP/.test(message)) {
    return new NoGroupError(ctx.key ?? '?', ctx.group ?? '?', { cause: err });
  }
  if (message === 'Command timed out') {
    // ioredis' own commandTimeout (a client this library did not create): the bound is not known here.
    return new NoAnswerError({ target, command: ctx.command }, { cause: err });
  }
  if (/^CROSSSLOT/.test(message)) {
    return new QueueError('CROSSSLOT', `Keys of one operation must share a Cluster hash slot: name them with a common hash tag, e.g. "{orders}" and "{orders}:dlq" (${firstLine(message)})`, { cause: err });
  }
  if (/^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN|LOADING|READONLY|MASTERDOWN)\b|Too many Cluster redirections|UNBLOCKED .*(role|master)|failover/i.test(message)) {
    return new UnavailableError(target, firstLine(message), { cause: err });
  }
  if (/Invalid stream ID|ERR The ID specified in XADD|smaller than the target stream top item/i.test(message)) {
    return new QueueError('BAD_ID', firstLine(message), { cause: err });
  }
  if (failure || isLostConnection(err)) {
    return new CannotConnectError(target, firstLine(message), { cause: err });
  }
  return new QueueError('REDIS', firstLine(message), { cause: err });
}

/**
 * ioredis' errors for a connection that is gone or never came, which carry no code: its error
 * classes by name, and the fixed texts of the few it throws as plain Errors.
 */
const IOREDIS_LOST = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);
const IOREDIS_LOST_TEXTS = ['Connection is closed.', 'Reached the max retries per request limit', "Stream isn't writeable and enableOfflineQueue options is false", 'All sentinels are unreachable', 'Failed to refresh slots cache.', 'None of startup nodes is available'];

/** Whether an error is ioredis saying the connection is gone (see {@link IOREDIS_LOST}). */
export function isLostConnection(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  return IOREDIS_LOST.has(e.name) || IOREDIS_LOST_TEXTS.some((t) => e.message.startsWith(t));
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? s;
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}
