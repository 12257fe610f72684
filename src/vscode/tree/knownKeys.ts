import type * as vscode from 'vscode';
import { type DiscoveryState, newDiscoveryState } from '../../core/internal';

/** What one discovery found so far and where its walk stands. */
export interface KnownSet {
  /** Keys found (streams) or queue names (list queues), in no order. */
  keys: string[];
  /** Keys the user pinned: always shown, also when missing. */
  pinned: string[];
  /** The walk, resumable; undefined until the first walk ran. */
  scan?: DiscoveryState;
  /** The MATCH the walk used (a new filter starts a new walk; known keys are kept and filtered). */
  match?: string;
}

export interface KnownKeysData {
  streams: KnownSet;
  listQueues: KnownSet;
}

export type KnownKind = keyof KnownKeysData;

const empty = (): KnownKeysData => ({ streams: { keys: [], pinned: [] }, listQueues: { keys: [], pinned: [] } });

/**
 * Per connection, the streams and list queues discovery found, and where its walks stand, kept in
 * the extension's global state: reopening the tree, a refresh or a restart of VS Code redraws from
 * these keys (checked cheaply) without scanning, and discovery only adds to them.
 */
export class KnownKeys {
  private readonly cache = new Map<string, KnownKeysData>();

  constructor(private readonly memento: vscode.Memento) {}

  private key(connection: string): string {
    return `redisQueues.known/${connection}`;
  }

  get(connection: string): KnownKeysData {
    let d = this.cache.get(connection);
    if (!d) {
      const saved = this.memento.get<KnownKeysData>(this.key(connection));
      d = saved ? { ...empty(), ...saved } : empty();
      this.cache.set(connection, d);
    }
    return d;
  }

  /** The set of `kind` for a walk with `match`: a new match keeps the keys and starts a new walk. */
  set(connection: string, kind: KnownKind, match: string): KnownSet {
    const s = this.get(connection)[kind];
    if (s.match !== match) {
      s.match = match;
      s.scan = undefined;
    }
    return s;
  }

  /** Starts (or restarts) the walk of `kind`. */
  startScan(connection: string, kind: KnownKind): DiscoveryState {
    const s = this.get(connection)[kind];
    s.scan = newDiscoveryState();
    return s.scan;
  }

  add(connection: string, kind: KnownKind, keys: string[]): void {
    const s = this.get(connection)[kind];
    const set = new Set(s.keys);
    for (const k of keys) set.add(k);
    s.keys = [...set];
  }

  remove(connection: string, kind: KnownKind, keys: string[]): void {
    const s = this.get(connection)[kind];
    const drop = new Set(keys);
    s.keys = s.keys.filter((k) => !drop.has(k));
    s.pinned = s.pinned.filter((k) => !drop.has(k));
  }

  pin(connection: string, kind: KnownKind, key: string): void {
    const s = this.get(connection)[kind];
    if (!s.pinned.includes(key)) s.pinned.push(key);
    this.add(connection, kind, [key]);
  }

  /** Writes one connection's data to the global state. */
  async save(connection: string): Promise<void> {
    await this.memento.update(this.key(connection), this.get(connection));
  }

  /** Forgets everything about a connection (it was removed). */
  async drop(connection: string): Promise<void> {
    this.cache.delete(connection);
    await this.memento.update(this.key(connection), undefined);
  }

  /** Forgets the in-memory copy (tests: a restart reads the global state again). */
  reload(): void {
    this.cache.clear();
  }
}
