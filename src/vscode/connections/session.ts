import * as vscode from 'vscode';
import { Inspector, type QueueError, type ServerSummary, toQueueError } from '../../core/internal';
import { type IoRedisClient, open, quit } from '../../core/redis/connection';
import type { ConnectionEntry, ConnectionStore } from './connectionStore';
import { readSettings } from '../settings';

export type SessionState =
  | { kind: 'idle' }
  | { kind: 'connecting' }
  | { kind: 'connected'; server: ServerSummary }
  | { kind: 'error'; error: QueueError; at: number }
  | { kind: 'restricted' };

/** Errors after which the session stops talking to the server until a retry (a server that did not answer is not asked again at once). */
const CONNECTION_ERRORS = new Set(['CANNOT_CONNECT', 'AUTH', 'NO_ANSWER', 'UNAVAILABLE']);

/**
 * One connection's live state: a fail-fast inspect client opened on demand (when a node under
 * the connection is expanded or a command needs it; never by drawing a row), its server summary,
 * and the last connection error. Failures become state (shown as nodes), never exceptions in the
 * tree, and a failed session does not reconnect on every refresh: only on retry, or after
 * `retryAfterMs` when auto-refresh asks.
 */
export class Session implements vscode.Disposable {
  state: SessionState = { kind: 'idle' };
  private opening?: Promise<Inspector>;
  private current?: Inspector;
  /** Reconnects in a row after transient failures (a failover, a restart): the back-off grows with them. */
  private transientFailures = 0;
  private connectedOnce = false;
  private reconnectTimer?: NodeJS.Timeout;
  private readonly changed = new vscode.EventEmitter<Session>();
  readonly onDidChange = this.changed.event;

  constructor(
    public entry: ConnectionEntry,
    private readonly store: ConnectionStore,
    readonly retryAfterMs = 15_000,
  ) {
    if (!store.mayAutoConnect(entry)) this.state = { kind: 'restricted' };
  }

  get name(): string {
    return this.entry.config.name;
  }

  get readOnly(): boolean {
    return Boolean(this.entry.config.readOnly);
  }

  get production(): boolean {
    return Boolean(this.entry.config.production);
  }

  /** The connected inspector, opening it if needed. Rejects with a QueueError. */
  inspector(): Promise<Inspector> {
    if (this.current && this.state.kind === 'connected') return Promise.resolve(this.current);
    if (this.state.kind === 'restricted') {
      return Promise.reject(toQueueError(new Error('Workspace is not trusted: this workspace-defined connection is not connected automatically. Trust the workspace or connect explicitly.')));
    }
    // After a failure, do not reconnect on every redraw: only after retry(), the back-off of a
    // transient failure (the session reconnects by itself then), or retryAfterMs.
    if (this.state.kind === 'error' && Date.now() - this.state.at < this.waitAfter(this.state.error)) return Promise.reject(this.state.error);
    if (!this.opening) {
      this.setState({ kind: 'connecting' });
      this.opening = (async () => {
        try {
          const options = { ...(await this.store.resolve(this.entry)), commandTimeoutMs: readSettings().commandTimeoutMs };
          const inspector = await Inspector.open(options);
          const server = await inspector.serverSummary();
          inspector.client.on('end', () => this.onClientEnd(inspector));
          this.current = inspector;
          this.transientFailures = 0;
          this.connectedOnce = true;
          this.setState({ kind: 'connected', server });
          return inspector;
        } catch (e) {
          const error = toQueueError(e);
          this.setState({ kind: 'error', error, at: Date.now() });
          this.reconnectLater(error);
          throw error;
        } finally {
          this.opening = undefined;
        }
      })();
    }
    return this.opening;
  }

  /**
   * Runs `fn` on a client of its own (closed after), for work that must not queue the tree's reads
   * behind it or that changes the client it is given (an export or import, a search, BullMQ's
   * library, which adds its scripts): named `redis-queues-vscode-<purpose>` on the server, with
   * the settings' command timeout for `inspect` clients. The session is asked first, so that
   * Restricted Mode and a server that is down read as they do in the tree.
   */
  async withOwnClient<T>(purpose: string, fn: (client: IoRedisClient) => Promise<T>, kind: 'inspect' | 'command' = 'inspect'): Promise<T> {
    const client = await this.openOwnClient(purpose, kind);
    try {
      return await fn(client);
    } finally {
      await quit(client);
    }
  }

  /** As {@link withOwnClient}, for a client held longer (a search that is paused and resumed): the caller closes it. */
  async openOwnClient(purpose: string, kind: 'inspect' | 'command' = 'inspect'): Promise<IoRedisClient> {
    await this.inspector();
    const options = await this.store.resolve(this.entry);
    return open({ ...options, clientName: `redis-queues-vscode-${purpose}`, ...(kind === 'inspect' ? { commandTimeoutMs: readSettings().commandTimeoutMs } : {}) }, kind);
  }

  /** Runs a read against the server; connection-level failures switch the session to the error state. */
  async run<T>(fn: (inspector: Inspector) => Promise<T>): Promise<T> {
    const inspector = await this.inspector();
    try {
      return await fn(inspector);
    } catch (e) {
      const error = toQueueError(e);
      if (CONNECTION_ERRORS.has(error.code)) this.fail(error);
      throw error;
    }
  }

  /** Whether auto-refresh should touch this session now (no reconnect storm when the server is gone). */
  wantsRefresh(): boolean {
    if (this.state.kind === 'error') return Date.now() - this.state.at >= this.waitAfter(this.state.error);
    return this.state.kind !== 'restricted';
  }

  /** Whether this session ever connected (a failure before that is "cannot connect", not "connection lost"). */
  get everConnected(): boolean {
    return this.connectedOnce;
  }

  /** Whether the session is between a transient failure and its own next reconnect ("failing over…"). */
  get recovering(): boolean {
    return this.state.kind === 'error' && this.state.error.transient && this.reconnectTimer !== undefined;
  }

  /** How long after `error` the next connect may be tried: a growing back-off for transient failures (0.5 s, 1 s, … 8 s). */
  private waitAfter(error: QueueError): number {
    return error.transient ? Math.min(8000, 500 * 2 ** Math.max(0, this.transientFailures - 1)) : this.retryAfterMs;
  }

  /** After a transient failure, reconnects by itself after the back-off, so the tree recovers without a Retry. */
  private reconnectLater(error: QueueError): void {
    if (!error.transient || this.reconnectTimer) return;
    this.transientFailures++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.state.kind !== 'error') return;
      this.setState({ kind: 'idle' });
      this.inspector().catch(() => undefined);
    }, this.waitAfter(error));
    this.reconnectTimer.unref?.();
  }

  /** Forgets the current client and error; the next read reconnects. `force` also lifts the Restricted Mode hold. */
  retry(force = false): void {
    this.closeClient();
    if (this.state.kind === 'restricted' && !force) return;
    this.setState({ kind: 'idle' });
  }

  private fail(error: QueueError): void {
    this.closeClient();
    this.setState({ kind: 'error', error, at: Date.now() });
    this.reconnectLater(error);
  }

  private onClientEnd(inspector: Inspector): void {
    if (this.current !== inspector) return;
    this.current = undefined;
    if (this.state.kind === 'connected') {
      const error = toQueueError(new Error('Connection is closed.'), { target: inspector.target });
      this.setState({ kind: 'error', error, at: Date.now() });
      this.reconnectLater(error);
    }
  }

  private closeClient(): void {
    const c = this.current;
    this.current = undefined;
    c?.close();
  }

  private setState(state: SessionState): void {
    this.state = state;
    this.changed.fire(this);
  }

  /** The connection was removed or replaced: nothing should use this session any more. */
  disposed = false;

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.closeClient();
    this.changed.dispose();
  }
}

/** Sessions for the store's connections, kept in step with it. */
export class SessionManager implements vscode.Disposable {
  private readonly sessions = new Map<string, Session>();
  private readonly changed = new vscode.EventEmitter<Session | undefined>();
  /** Fires with a session whose state changed, or undefined when the set of sessions changed. */
  readonly onDidChange = this.changed.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly store: ConnectionStore) {
    this.sub = store.onDidChange(() => this.sync());
    this.sync();
  }

  list(): Session[] {
    return [...this.sessions.values()];
  }

  get(name: string): Session | undefined {
    return this.sessions.get(name);
  }

  private sync(): void {
    const entries = this.store.list();
    const names = new Set(entries.map((e) => e.config.name));
    for (const [name, s] of this.sessions) {
      if (!names.has(name)) {
        s.dispose();
        this.sessions.delete(name);
      }
    }
    for (const entry of entries) {
      const existing = this.sessions.get(entry.config.name);
      // Same entry: keep the session, unless it was held back in Restricted Mode and the
      // workspace has been trusted since.
      if (existing && JSON.stringify(existing.entry) === JSON.stringify(entry) && !(existing.state.kind === 'restricted' && this.store.mayAutoConnect(entry))) continue;
      existing?.dispose();
      const s = new Session(entry, this.store);
      s.onDidChange((x) => this.changed.fire(x));
      this.sessions.set(entry.config.name, s);
    }
    void vscode.commands.executeCommand('setContext', 'redisQueues:hasConnections', this.sessions.size > 0);
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.sub.dispose();
    for (const s of this.sessions.values()) s.dispose();
    this.sessions.clear();
    this.changed.dispose();
  }
}
