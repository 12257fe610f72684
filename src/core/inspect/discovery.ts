/**
 * Discovery of keys by type on servers of any size: an incremental, resumable `SCAN … TYPE` walk
 * (every master of a Cluster in turn) that stops at a budget (time, SCAN calls, keys found) and
 * can go on later from where it stopped, and that says how far it got ("about 1.2 M of 10 M
 * keys", from the cursor and DBSIZE).
 *
 * Each SCAN call is kept within `targetCallMs` of server time (2 ms by default), whatever its MATCH
 * and TYPE cost per key: the walk measures what each call cost the server (INFO commandstats read
 * in the same round trip; where INFO is refused, the round trip beyond the shortest one seen, so
 * a slow link is not taken for server time), keeps the cost per unit of COUNT of that walk, and
 * sizes COUNT to half the target from it (room for calls that cost more than the walk's typical
 * one). COUNT grows by at most half per call, and shrinks at once after a call over the target
 * (see {@link nextCount}).
 *
 * List queues are found in one walk over lists: `<queue>:processing` and `<queue>:dead` by their
 * names, and a queue with only its waiting list by sampling the other lists it meets (the oldest
 * id names a job hash of a known layout, see `waitingListQueues`), a few per call and a bounded
 * number per walk.
 */
import { type RedisClient, masters } from '../redis/connection';
import { clientOption } from '../redis/client';
import { showName } from '../redis/names';
import { waitingListQueues } from '../queue/list/layout';
import { kombuQueueOfList } from '../frameworks/celery';

/** Where a walk is: the master (index in address order) and its SCAN cursor. */
export interface ScanPosition {
  node: number;
  cursor: string;
}

/** A walk's state, to keep (e.g. per connection in the editor) and resume. JSON-safe. */
export interface DiscoveryState {
  /** Next position; null once the whole keyspace was walked. */
  position: ScanPosition | null;
  /** SCAN COUNT of the next call (sized to the per-call target). */
  count: number;
  /** SCAN calls so far. */
  calls: number;
  /**
   * The shortest call seen, ms: the round trip without the server's work, about (the first calls
   * are small). What a call takes beyond it is taken as the server's share.
   */
  baselineMs?: number;
  /** This walk's server time per unit of COUNT, ms (its MATCH and TYPE included): what COUNT is sized from. */
  unitMs?: number;
  /** List walks: lists sampled for a waiting-only queue so far, and lists left unsampled (over the caps). */
  sampled?: number;
  unchecked?: number;
  /** List walks: lists met, not yet sampled (sampled in the next calls). */
  backlog?: string[];
  /**
   * List walks: lists named like a Bull or BullMQ queue's wait, active or paused list
   * (`<prefix>:<queue>:wait`), at most {@link QUEUE_LISTS_KEPT}: where Bull 3/4 queues are found
   * (frameworks/bull.ts). They are not sampled as waiting-only list queues.
   */
  queueLists?: string[];
  /**
   * List walks: Celery queues whose waiting messages a sampled list holds (kombu envelopes, see
   * frameworks/celery.ts `kombuQueueOfList`), at most {@link QUEUE_LISTS_KEPT}: Celery keeps no
   * list of its queues, so a queue not configured is found this way.
   */
  celeryQueues?: string[];
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
  /** List walks: lists met that were not sampled for a waiting-only queue (over the caps, or not yet). */
  unchecked?: number;
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
/** COUNT is sized for this share of the per-call target: room for calls costlier than the walk's typical one. */
const AIM = 0.5;
/** COUNT grows by at most this factor from one call to the next. */
const GROWTH = 1.5;

/**
 * The COUNT of the next call of a walk, and the walk's cost per unit of COUNT, from the call just
 * made: `count` asked, `serverMs` its server time, `recentUnits` the last few calls' costs per
 * unit (this one included). A call over `targetMs` shrinks COUNT at once (at least by half), from
 * the highest of those costs; else COUNT follows their median (so one late reply, a busy link or
 * client, does not shrink it alone), growing by at most {@link GROWTH} per call and not at all
 * after a call over {@link AIM} of the target.
 */
export function nextCount(count: number, serverMs: number, recentUnits: number[], targetMs: number): { count: number; unitMs: number } {
  const own = serverMs / count;
  const sorted = [...recentUnits].sort((a, b) => a - b);
  const unitMs = serverMs > targetMs ? Math.max(own, sorted[sorted.length - 1] ?? own) : (sorted[sorted.length >> 1] ?? own);
  const sized = (AIM * targetMs) / unitMs;
  // Over the target: at least halve. Over the aim: no growth. Else grow by GROWTH at most.
  const next = Math.min(sized, serverMs > targetMs ? count / 2 : serverMs > AIM * targetMs ? count : count * GROWTH);
  return { count: Math.min(MAX_COUNT, Math.max(MIN_COUNT, next)), unitMs };
}

/** A fresh walk. */
export function newDiscoveryState(): DiscoveryState {
  return { position: { node: 0, cursor: '0' }, count: FIRST_COUNT, calls: 0 };
}

/** Masters in a stable order (by address), so that a position stays meaningful between runs. */
export function sortedMasters(client: RedisClient): RedisClient[] {
  const nodes = masters(client);
  if (nodes.length < 2) return nodes;
  return [...nodes].sort((a, b) => addr(a).localeCompare(addr(b)));
}

function addr(r: RedisClient): string {
  return `${clientOption(r, 'host')}:${clientOption(r, 'port')}`;
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
  /** What the walk finds in each page's keys (default: the keys), e.g. {@link listQueueSelector}. */
  select?: (keys: string[], state: DiscoveryState, end: boolean) => Promise<string[]>;
}

interface ScanStat {
  calls: number;
  usec: number;
}

/** SCAN's line of INFO commandstats (`cmdstat_scan:calls=…,usec=…`); zeros before the first SCAN. */
export function scanStatOf(info: string): ScanStat {
  const m = /^cmdstat_scan:calls=(\d+),usec=(\d+)/m.exec(info);
  return { calls: Number(m?.[1] ?? 0), usec: Number(m?.[2] ?? 0) };
}

/**
 * A walk over the keys of one type. `run(budget)` goes on from `state` and returns what it found;
 * `state` is updated in place (save it to resume later, also in another process).
 */
export class Discovery {
  readonly state: DiscoveryState;
  private sizes: number[] | undefined;
  /** The server's time per unit of COUNT of the last calls, ms. */
  private readonly recent: number[] = [];
  /** The last INFO commandstats reading of SCAN, and on which master. */
  private lastStats: (ScanStat & { node: number }) | null = null;
  /** INFO was refused: server time from round trips only. */
  private noStats = false;

  constructor(
    private readonly client: RedisClient,
    private readonly options: DiscoveryOptions,
    state?: DiscoveryState,
  ) {
    this.state = state ? { ...state, position: state.position && { ...state.position } } : newDiscoveryState();
    if (this.state.unitMs) this.recent.push(this.state.unitMs);
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
    const out: DiscoveryProgress = { scanned: Math.min(scanned, total), total, done: pos === null, calls: this.state.calls, found };
    const unchecked = (this.state.unchecked ?? 0) + (this.state.backlog?.length ?? 0);
    if (unchecked) out.unchecked = unchecked;
    return out;
  }

  /** SCAN's cumulative calls and µs on a master (INFO commandstats), or null when INFO is refused. */
  private async commandStats(node: RedisClient): Promise<ScanStat | null> {
    if (this.noStats) return null;
    try {
      return scanStatOf(String(await node.info('commandstats')));
    } catch {
      this.noStats = true; // an ACL without INFO, a renamed command: the round trip alone
      return null;
    }
  }

  /**
   * The server time of the call just made, ms: the SCAN time INFO commandstats counted since the
   * last reading on that master, when only this call ran a SCAN there meanwhile; else the round
   * trip beyond the shortest call seen (which the first, small calls measure), or the counted time
   * of all SCANs since when that is less (either bounds this call's).
   */
  private serverTime(node: number, ms: number, stats: ScanStat | null): number {
    const baseline = Math.min(this.state.baselineMs ?? ms, ms);
    this.state.baselineMs = baseline;
    const roundTrip = ms - baseline;
    const last = this.lastStats;
    this.lastStats = stats && { node, ...stats };
    if (!stats || !last || last.node !== node || stats.calls <= last.calls) return roundTrip;
    const counted = (stats.usec - last.usec) / 1000;
    return stats.calls - last.calls === 1 ? counted : Math.min(roundTrip, counted);
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
      // INFO commandstats right behind the SCAN, in the same round trip: its SCAN time since the
      // last one is this call's server time (see serverTime).
      const [reply, stats] = await Promise.all([node.scanBuffer(...(args as [string])) as unknown as Promise<[Buffer, Buffer[]]>, this.commandStats(node)]);
      const [cursor, found] = reply;
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      calls++;
      this.state.calls++;
      const serverMs = Math.max(this.serverTime(pos.node, ms, stats), 0.005);
      this.recent.push(serverMs / count);
      if (this.recent.length > 3) this.recent.shift();
      const next = nextCount(count, serverMs, this.recent, target);
      this.state.count = next.count;
      this.state.unitMs = next.unitMs;
      let names = found.map((k) => showName(k));
      if (this.options.scanType === false && names.length) {
        const types = await Promise.all(names.map((k) => node.type(k)));
        names = names.filter((_, i) => types[i] === this.options.type);
      }
      const c = cursor.toString();
      this.state.position = c === '0' ? (pos.node + 1 < nodes.length ? { node: pos.node + 1, cursor: '0' } : null) : { node: pos.node, cursor: c };
      if (this.options.select) names = await this.options.select(names, this.state, this.state.position === null);
      for (const k of names) {
        if (seen.has(k)) continue; // SCAN may return a key twice
        seen.add(k);
        keys.push(k);
      }
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
 * The MATCH of a list-queue walk under the queue-name filter `match`: every list whose name starts
 * like a queue's (`match*`, so `<queue>`, `<queue>:processing` and `<queue>:dead`), checked again
 * by {@link listQueueSelector}. For `*` it is `*`, which Redis does not even check.
 */
export function listQueueMatch(match = '*'): string {
  return match.endsWith('*') && !match.endsWith('\\*') ? match : `${match}*`;
}

/** Lists sampled for a waiting-only queue per SCAN call, at most (each: one LINDEX and two TYPEs, O(1)). */
export const SAMPLES_PER_CALL = 32;
/** Lists sampled for a waiting-only queue per walk, at most. */
export const SAMPLES_PER_WALK = 5000;
/** Lists met but not yet sampled that a walk keeps for its next calls, at most. */
const BACKLOG = 1000;
/** Lists named like a Bull or BullMQ queue's that a walk keeps, at most (about three per queue). */
export const QUEUE_LISTS_KEPT = 3000;
/** A Bull or BullMQ queue's wait, active or paused list: `<prefix>:<queue>:wait`. */
const QUEUE_LIST = /^.+:[^:]+:(?:wait|active|paused)$/s;

/**
 * What a list-queue walk finds in a page of list keys (see {@link Discovery}'s `select`): the
 * queues named by `<queue>:processing` and `<queue>:dead` lists, and the queues whose waiting list
 * is one of the other lists, by sampling them (`waitingListQueues`: the oldest id names a job hash
 * of a known layout). At most {@link SAMPLES_PER_CALL} lists are sampled per call: the others wait
 * in the state's `backlog` for the next calls (at the walk's end, the rest are sampled the same
 * number per round trip); at most `perWalk` lists per walk. Lists over those caps are counted in
 * the state's `unchecked`. Names must match `match` (a queue-name glob). Lists named like a Bull
 * or BullMQ queue's wait, active or paused list are kept in the state's `queueLists` instead of
 * being sampled: their ids name `<prefix>:<queue>:<id>` hashes, never a list queue's, so a sample
 * could only match by chance (a `job:<id>` hash of the seeds' layout) and show them as a list
 * queue; a list queue so named is still found by its processing or dead list, or by settings.
 */
export function listQueueSelector(client: RedisClient, match = '*', perWalk = SAMPLES_PER_WALK): (keys: string[], state: DiscoveryState, end: boolean) => Promise<string[]> {
  const known = new Set<string>();
  const matches = match === '*' ? () => true : (name: string) => globMatch(match, name);
  const skip = (state: DiscoveryState, n: number) => {
    if (n > 0) state.unchecked = (state.unchecked ?? 0) + n;
  };
  const sample = async (state: DiscoveryState, out: string[]) => {
    const backlog = (state.backlog ?? []).filter((k) => !known.has(k));
    const room = Math.max(0, Math.min(SAMPLES_PER_CALL, perWalk - (state.sampled ?? 0)));
    const lists = backlog.slice(0, room);
    state.backlog = backlog.slice(lists.length);
    if (!lists.length) return;
    state.sampled = (state.sampled ?? 0) + lists.length;
    const r = await waitingListQueues(client, lists);
    skip(state, r.unchecked);
    const celery = new Set(state.celeryQueues ?? []);
    lists.forEach((k, i) => {
      const q = r.queues.includes(k) ? undefined : kombuQueueOfList(k, r.oldest[i]);
      if (q !== undefined && celery.size < QUEUE_LISTS_KEPT) celery.add(q);
    });
    if (celery.size) state.celeryQueues = [...celery];
    for (const q of r.queues) {
      known.add(q);
      out.push(q);
    }
  };
  return async (keys, state, end) => {
    const out: string[] = [];
    const others: string[] = [];
    const queueLists = new Set(state.queueLists ?? []);
    for (const k of keys) {
      const name = listQueueNamesOf([k])[0];
      if (name !== undefined) {
        if (matches(name)) out.push(name);
      } else if (QUEUE_LIST.test(k)) {
        // Over the cap: counted as unchecked, so the walk says it did not look at everything.
        if (matches(k)) {
          if (queueLists.size < QUEUE_LISTS_KEPT) queueLists.add(k);
          else if (!queueLists.has(k)) skip(state, 1);
        }
      } else if (matches(k)) others.push(k);
    }
    if (queueLists.size) state.queueLists = [...queueLists];
    for (const n of out) known.add(n);
    const backlog = [...(state.backlog ?? []), ...others.filter((k) => !known.has(k))];
    state.backlog = backlog.slice(0, BACKLOG);
    skip(state, backlog.length - state.backlog.length);
    await sample(state, out);
    while (end && state.backlog.length && (state.sampled ?? 0) < perWalk) await sample(state, out);
    if (end) {
      skip(state, state.backlog.length);
      state.backlog = [];
    }
    if (!state.backlog.length) delete state.backlog;
    return out;
  };
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
