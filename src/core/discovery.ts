/**
 * Discovery of keys by type on servers of any size: an incremental, resumable `SCAN … TYPE` walk
 * (every master of a Cluster in turn) that stops at a budget (time, SCAN calls, keys found) and
 * can go on later from where it stopped, and that says how far it got ("about 1.2 M of 10 M
 * keys", from the cursor and DBSIZE).
 *
 * Each SCAN call is sized to cost the server about `targetCallMs` (2 ms by default): COUNT starts
 * small and follows the time calls take beyond the shortest one seen (the round trip, which the
 * first, small calls measure), so no client waits behind this tool for long, over loopback or a
 * slow link alike.
 *
 * List queues are found in the same kind of walk over lists, one pass for both of their lists
 * (`<queue>:processing`, `<queue>:dead`), with a MATCH that Redis checks before it looks a key up.
 */
import type Redis from 'ioredis';
import { type RedisClient, masters } from './connection';
import { decodeName } from './replies';

/** Where a walk is: the master (index in address order) and its SCAN cursor. */
export interface ScanPosition {
  node: number;
  cursor: string;
}

/** A walk's state, to keep (e.g. per connection in the editor) and resume. JSON-safe. */
export interface DiscoveryState {
  /** Next position; null once the whole keyspace was walked. */
  position: ScanPosition | null;
  /** SCAN COUNT that met the per-call target last time. */
  count: number;
  /** SCAN calls so far. */
  calls: number;
  /**
   * The shortest call seen, ms: the round trip without the server's work, about (the first calls
   * are small). What a call takes beyond it is taken as the server's share.
   */
  baselineMs?: number;
}

export interface DiscoveryBudget {
  /** Wall time for this run, ms. Default 1000. */
  maxMs?: number;
  /** SCAN calls for this run. Default 1000. */
  maxCalls?: number;
  /** Stop once this many keys were found in this run. Default: no limit. */
  maxFound?: number;
  /** Stops the run (the state stays resumable). */
  signal?: AbortSignal;
  /** Called after each SCAN call. */
  onProgress?: (p: DiscoveryProgress) => void;
}

export interface DiscoveryProgress {
  /** Keys of the keyspace walked so far, about (from the cursor's position in each master's table). */
  scanned: number;
  /** Keys in the keyspace (DBSIZE, summed over masters). */
  total: number;
  /** Whole keyspace walked. */
  done: boolean;
  /** SCAN calls so far (all runs). */
  calls: number;
  /** Keys found in this run so far. */
  found: number;
}

export interface DiscoveryRun {
  /** Keys found in this run (each once per run; a key may be found again by a later walk). */
  keys: string[];
  progress: DiscoveryProgress;
  /** Why the run ended. */
  stopped: 'done' | 'time' | 'calls' | 'found' | 'aborted';
}

const MIN_COUNT = 10;
const MAX_COUNT = 20_000;
const FIRST_COUNT = 100;

/** A fresh walk. */
export function newDiscoveryState(): DiscoveryState {
  return { position: { node: 0, cursor: '0' }, count: FIRST_COUNT, calls: 0 };
}

/** Masters in a stable order (by address), so that a position stays meaningful between runs. */
export function sortedMasters(client: RedisClient): Redis[] {
  const nodes = masters(client);
  if (nodes.length < 2) return nodes;
  return [...nodes].sort((a, b) => addr(a).localeCompare(addr(b)));
}

function addr(r: Redis): string {
  return `${r.options.host}:${r.options.port}`;
}

/**
 * How far a SCAN cursor is through a table of `size` keys, 0..1. Redis walks buckets in reverse
 * binary order (the cursor's bits reversed count up), so reversing the cursor's low bits gives the
 * share of buckets behind it. The table has the next power of two at or above the key count
 * buckets (more after deletions, then this reads low).
 */
export function cursorFraction(cursor: string, size: number): number {
  if (cursor === '0') return 0;
  const bits = Math.max(1, Math.ceil(Math.log2(Math.max(2, size))));
  let c = BigInt(cursor);
  let rev = 0n;
  for (let i = 0; i < bits; i++) {
    rev = (rev << 1n) | (c & 1n);
    c >>= 1n;
  }
  return Number(rev) / 2 ** bits;
}

export interface DiscoveryOptions {
  type: 'stream' | 'list';
  /** SCAN MATCH. Default `*`. */
  match?: string;
  /** Server time one SCAN call may take, ms (about). Default 2. */
  targetCallMs?: number;
  /** Servers before 6.0 have no SCAN TYPE: each page's keys are typed with TYPE (pipelined). */
  scanType?: boolean;
}

/**
 * A walk over the keys of one type. `run(budget)` goes on from `state` and returns what it found;
 * `state` is updated in place (save it to resume later, also in another process).
 */
export class Discovery {
  readonly state: DiscoveryState;
  private sizes: number[] | undefined;
  /** The server's share of the last calls, ms. */
  private readonly recent: number[] = [];

  constructor(
    private readonly client: RedisClient,
    private readonly options: DiscoveryOptions,
    state?: DiscoveryState,
  ) {
    this.state = state ? { ...state, position: state.position && { ...state.position } } : newDiscoveryState();
  }

  get done(): boolean {
    return this.state.position === null;
  }

  /** DBSIZE of each master (cached for this object's life). */
  async keyspace(): Promise<number[]> {
    this.sizes ??= await Promise.all(sortedMasters(this.client).map(async (n) => Number(await n.dbsize())));
    return this.sizes;
  }

  /** How far the walk is. */
  async progress(found = 0): Promise<DiscoveryProgress> {
    const sizes = await this.keyspace();
    const total = sizes.reduce((a, b) => a + b, 0);
    const pos = this.state.position;
    let scanned = total;
    if (pos) {
      scanned = 0;
      for (let i = 0; i < pos.node; i++) scanned += sizes[i] ?? 0;
      scanned += Math.round((sizes[pos.node] ?? 0) * cursorFraction(pos.cursor, sizes[pos.node] ?? 0));
    }
    return { scanned: Math.min(scanned, total), total, done: pos === null, calls: this.state.calls, found };
  }

  /** Walks on until the budget is spent or the keyspace ends. */
  async run(budget: DiscoveryBudget = {}): Promise<DiscoveryRun> {
    const { maxMs = 1000, maxCalls = 1000, maxFound = Infinity, signal, onProgress } = budget;
    const nodes = sortedMasters(this.client);
    const target = this.options.targetCallMs ?? 2;
    const match = this.options.match ?? '*';
    const started = Date.now();
    const keys: string[] = [];
    const seen = new Set<string>();
    let calls = 0;
    let stopped: DiscoveryRun['stopped'] = 'done';
    for (;;) {
      const pos = this.state.position;
      if (!pos) break;
      if (signal?.aborted) {
        stopped = 'aborted';
        break;
      }
      if (calls >= maxCalls) {
        stopped = 'calls';
        break;
      }
      if (Date.now() - started >= maxMs) {
        stopped = 'time';
        break;
      }
      if (keys.length >= maxFound) {
        stopped = 'found';
        break;
      }
      const node = nodes[pos.node];
      if (!node) {
        this.state.position = null;
        break;
      }
      const count = Math.round(Math.min(MAX_COUNT, Math.max(MIN_COUNT, this.state.count)));
      const args: (string | number)[] = [pos.cursor, 'MATCH', match, 'COUNT', count];
      if (this.options.scanType !== false) args.push('TYPE', this.options.type);
      const t0 = process.hrtime.bigint();
      const [cursor, found] = (await node.scanBuffer(...(args as [string]))) as unknown as [Buffer, Buffer[]];
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      calls++;
      this.state.calls++;
      // Follow the target with the server's share of the call: its time beyond the shortest call
      // seen (the round trip), so a slow link does not shrink COUNT to nothing. Scale COUNT by how
      // far that share was from the target (at most ×2 up, any way down).
      const baseline = Math.min(this.state.baselineMs ?? ms, ms);
      this.state.baselineMs = baseline;
      // The median of the last three shares, so one late reply (a busy link or client) does not
      // shrink COUNT on its own.
      this.recent.push(Math.max(ms - baseline, 0.05));
      if (this.recent.length > 3) this.recent.shift();
      const server = [...this.recent].sort((a, b) => a - b)[this.recent.length >> 1]!;
      this.state.count = Math.min(MAX_COUNT, Math.max(MIN_COUNT, count * Math.min(2, target / server)));
      let names = found.map(decodeName);
      if (this.options.scanType === false && names.length) {
        const types = await Promise.all(names.map((k) => node.type(k)));
        names = names.filter((_, i) => types[i] === this.options.type);
      }
      for (const k of names) {
        if (seen.has(k)) continue; // SCAN may return a key twice
        seen.add(k);
        keys.push(k);
      }
      const c = cursor.toString();
      this.state.position = c === '0' ? (pos.node + 1 < nodes.length ? { node: pos.node + 1, cursor: '0' } : null) : { node: pos.node, cursor: c };
      if (onProgress) onProgress(await this.progress(keys.length));
    }
    return { keys, progress: await this.progress(keys.length), stopped: this.state.position === null ? 'done' : stopped };
  }
}

/** The list-queue names among list keys: `<queue>:processing` and `<queue>:dead` (plus `extraSuffixes`). */
export function listQueueNamesOf(keys: string[], extraSuffixes: string[] = []): string[] {
  const out = new Set<string>();
  for (const k of keys) {
    for (const suffix of [':processing', ':dead', ...extraSuffixes]) {
      if (k.endsWith(suffix) && k.length > suffix.length) out.add(k.slice(0, -suffix.length));
    }
  }
  return [...out];
}

/**
 * The MATCH pattern of a list-queue walk: lists whose names end in `:processing` or `:dead` (a
 * superset, `:[pd][re][oa][cd]*`, checked again by {@link listQueueNamesOf}) under the queue-name
 * filter `match`.
 */
export function listQueueMatch(match = '*'): string {
  return `${match}:[pd][re][oa][cd]*`;
}

/** Whether `key` matches a Redis glob pattern (`*`, `?`, `[...]`, `\` escapes), as SCAN MATCH does. */
export function globMatch(pattern: string, key: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let set = pattern.slice(i + 1, end);
        const neg = set.startsWith('^');
        if (neg) set = set.slice(1);
        re += `[${neg ? '^' : ''}${set.replace(/\\/g, '\\\\').replace(/]/g, '\\]')}]`;
        i = end;
      }
    } else re += escapeRe(c);
  }
  return new RegExp(`${re}$`).test(key);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
