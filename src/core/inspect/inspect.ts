/**
 * Read-only views of a Redis deployment's queues: streams found by incremental SCAN (every master
 * of a Cluster), their groups, consumers, pending entries (extended XPENDING, paged by id, never
 * read whole) and entries (XRANGE/XREVRANGE pages). Every call is bounded.
 */
import { type ConnectionOptions, type RedisClient, describeTarget, isCluster, masters, open, close } from '../redis/connection';
import { isNoSuchKey, redisErrorCode, toQueueError, WrongTypeError } from '../redis/errors';
import { xinfoConsumers, xinfoGroups, xinfoStream, xpendingOne, xpendingRange, xpendingSummary } from '../redis/commands';
import { idForTime, idTime, nextId, parseId, previousId } from '../messages/ids';
import {
  type Capabilities,
  type ConsumerInfo,
  type GroupInfo,
  type PendingEntry,
  type PendingSummary,
  type StreamEntry,
  type StreamInfo,
  capabilities,
  decodeValue,
  setField,
  parseEntries,
  parseInfo,
} from '../redis/replies';
import { JOB_FIELDS, type ListQueueLayout, listQueueKeys, pickListQueueLayout } from '../queue/list/keys';
import { checkListQueueLayout, probeListQueueLayout } from '../queue/list/layout';
import { Discovery, type DiscoveryBudget, type DiscoveryProgress, type DiscoveryRun, type DiscoveryState, type ScanPosition, listQueueMatch, listQueueSelector, newDiscoveryState } from './discovery';

/** Where and how far a scan goes. */
export interface ScanOptions {
  match?: string;
  /** Stop once this many keys were found. Default 200. */
  limit?: number;
  /** Go on from here (a previous page's `next`). */
  from?: ScanPosition | null;
  /** Budget: wall time (default 10 s) and SCAN calls. */
  maxMs?: number;
  maxCalls?: number;
  signal?: AbortSignal;
  onProgress?: (p: DiscoveryProgress) => void;
}

export interface ServerSummary {
  version: string;
  mode: 'standalone' | 'cluster' | 'sentinel';
  /** Masters visited by keyspace scans. */
  masters: number;
  role: string;
  capabilities: Capabilities;
}

export type { ScanPosition };

export interface ScanPage {
  keys: string[];
  /** Pass back to continue; `null` once every master was scanned to the end. */
  next: ScanPosition | null;
  /** How far the walk got (about), and why it stopped. */
  progress?: DiscoveryProgress;
  stopped?: DiscoveryRun['stopped'];
}

/** What a discovery of list queues found. */
export interface ListQueueDiscovery {
  queues: ListQueueSummary[];
  /** Lists the walk met named like a Bull or BullMQ queue's wait, active or paused list (where Bull 3/4 queues are found: frameworks/bull.ts). */
  queueLists: string[];
  /** Celery queues whose waiting messages the walk sampled (see discovery's `celeryQueues`). */
  celeryQueues: string[];
  next: ScanPosition | null;
  progress: DiscoveryProgress;
}

export interface StreamSummary extends StreamInfo {
  key: string;
  /** ms since the newest entry was added (from its id), undefined when empty. */
  lastEntryAgeMs?: number;
}

export interface GroupSummary extends GroupInfo {
  /** Oldest pending entry (smallest id in the PEL). */
  oldestPendingId?: string;
  /** Age of the oldest pending entry, from its id's time. */
  oldestPendingAgeMs?: number;
  /** How long the oldest pending entry has been idle since its last delivery. */
  oldestPendingIdleMs?: number;
}

export interface PendingPage {
  entries: PendingEntry[];
  /** Pass as `after` for the next page; null when there are no more. */
  next: string | null;
}

export interface EntriesPage {
  entries: StreamEntry[];
  /** Pass as `before` (newest-first pages) for the next page; null at the end. */
  next: string | null;
}

export const DEFAULT_PAGE = 100;

export interface ListQueueSummary {
  name: string;
  waiting: number;
  processing: number;
  dead: number;
  /** Age of the longest-running job in processing (from its started-at stamp). */
  oldestProcessingAgeMs?: number;
  /**
   * The layout the figures were read in (`{}`: this project's own). Pass it on to `listJobs` and
   * to the list-queue operations of ops/list.ts. `started: null`: no started-at stamps, so
   * `oldestProcessingAgeMs` is unknown (never STUCK), not zero.
   */
  layout?: ListQueueLayout;
}

export type ListSection = 'waiting' | 'processing' | 'dead';

export interface ListJobView {
  id: string;
  /** The job hash (payload and bookkeeping); null when the hash is gone. */
  fields: import('../redis/replies').Fields | null;
  attempts?: number;
  lastError?: string;
  /** For processing jobs: how long since a worker took it (null if not yet stamped, or unknown: see `untimed`). */
  runningForMs?: number | null;
  /** For processing jobs of a layout without started-at stamps: true (the running time is unknown, not "just taken"). */
  untimed?: boolean;
}

/** Inspects one deployment through one fail-fast client. */
export class Inspector {
  private server?: ServerSummary;

  constructor(
    readonly client: RedisClient,
    readonly target = 'Redis',
    private readonly mode: ServerSummary['mode'] = isCluster(client) ? 'cluster' : 'standalone',
  ) {}

  /** Opens an `inspect`-purpose client (fails fast) and returns an inspector on it. */
  static async open(options: ConnectionOptions): Promise<Inspector> {
    const client = await open(options, 'inspect');
    return new Inspector(client, describeTarget(options), options.mode ?? 'standalone');
  }

  close(): void {
    close(this.client);
  }

  private fail(e: unknown, ctx: { key?: string; group?: string; command?: string; expected?: string } = {}): never {
    throw toQueueError(e, { target: this.target, ...ctx });
  }

  /** Version, mode and capabilities (cached after the first call). */
  async serverSummary(): Promise<ServerSummary> {
    if (this.server) return this.server;
    try {
      const node = masters(this.client)[0] ?? this.client;
      const info = parseInfo(String(await node.info('server')));
      const repl = parseInfo(String(await node.info('replication')));
      const version = info['redis_version'] ?? 'unknown';
      this.server = {
        version,
        mode: this.mode,
        masters: masters(this.client).length,
        role: repl['role'] ?? 'master',
        capabilities: capabilities(version),
      };
      return this.server;
    } catch (e) {
      this.fail(e, { command: 'INFO' });
    }
  }

  async caps(): Promise<Capabilities> {
    return (await this.serverSummary()).capabilities;
  }

  /**
   * One page of stream keys matching `match`, continuing from `from`. Uses `SCAN … TYPE stream`
   * (never KEYS), visiting every master of a Cluster in turn, each call sized to about 2 ms of
   * server time (see discovery.ts). Returns once `limit` keys were found, the keyspace ends, or the
   * budget (`maxMs`, default 10 s; `maxCalls`) is spent: `next` then says where to go on.
   */
  async scanStreams(options: ScanOptions = {}): Promise<ScanPage> {
    return this.scanKeys('stream', options);
  }

  /**
   * Goes on with a resumable walk (`state` is updated in place): streams, or list queues (named by
   * their `<queue>:processing` / `<queue>:dead` lists, or found by sampling their waiting list;
   * returned as queue names). See discovery.ts.
   */
  async discover(kind: 'streams' | 'listQueues', state: DiscoveryState, { match = '*', ...budget }: DiscoveryBudget & { match?: string } = {}): Promise<{ keys: string[]; progress: DiscoveryProgress; stopped: DiscoveryRun['stopped'] }> {
    const d = await this.walk(kind, match, state);
    try {
      const run = await d.run(budget);
      Object.assign(state, d.state);
      return { keys: run.keys, progress: run.progress, stopped: run.stopped };
    } catch (e) {
      Object.assign(state, d.state);
      this.fail(e, { command: 'SCAN' });
    }
  }

  /** A walk over streams, or over lists for list queues (one walk, see discovery.ts). */
  private async walk(kind: 'streams' | 'listQueues', match: string, state: DiscoveryState): Promise<Discovery> {
    const caps = await this.caps();
    if (kind === 'streams') return new Discovery(this.client, { type: 'stream', match, scanType: caps.scanType }, state);
    return new Discovery(this.client, { type: 'list', match: listQueueMatch(match), scanType: caps.scanType, select: listQueueSelector(this.client, match) }, state);
  }

  /** Keys in the keyspace: DBSIZE, summed over the masters of a Cluster. */
  async keyspaceSize(): Promise<number> {
    try {
      return (await new Discovery(this.client, { type: 'stream' }).keyspace()).reduce((a, b) => a + b, 0);
    } catch (e) {
      this.fail(e, { command: 'DBSIZE' });
    }
  }

  /** How far a walk is (DBSIZE per master; no SCAN). */
  async discoveryProgress(state: DiscoveryState): Promise<DiscoveryProgress> {
    try {
      return await new Discovery(this.client, { type: 'stream' }, state).progress();
    } catch (e) {
      this.fail(e, { command: 'DBSIZE' });
    }
  }

  /** Which of `keys` exist and have `type` (one TYPE each, pipelined per node): the cheap check of remembered keys. */
  async typesOf(keys: string[]): Promise<(string | Error)[]> {
    return Promise.all(keys.map((k) => this.client.type(k).then(String, (e: Error) => e)));
  }

  /** Like {@link scanStreams} for another key type (e.g. 'list'). */
  async scanKeys(type: 'stream' | 'list', { match = '*', limit = 200, from = null, maxMs = 10_000, maxCalls = 100_000, signal, onProgress }: ScanOptions = {}): Promise<ScanPage> {
    const caps = await this.caps();
    const d = new Discovery(this.client, { type, match, scanType: caps.scanType }, { ...newDiscoveryState(), position: from ?? { node: 0, cursor: '0' } });
    try {
      const run = await d.run({ maxMs, maxCalls, maxFound: limit, signal, onProgress });
      return { keys: run.keys.sort(), next: d.state.position, progress: run.progress, stopped: run.stopped };
    } catch (e) {
      this.fail(e, { command: 'SCAN' });
    }
  }

  /** A stream's length (XLEN: 0 for a key that does not exist). Throws WrongTypeError for keys that are not streams. */
  async length(key: string): Promise<number> {
    try {
      return Number(await this.client.xlen(key));
    } catch (e) {
      throw await this.typeAware(e, key, 'stream');
    }
  }

  /** XINFO STREAM plus derived ages. Throws WrongTypeError for keys that are not streams. */
  async stream(key: string): Promise<StreamSummary> {
    try {
      const info = await xinfoStream(this.client, key);
      const t = info.lastEntryId ? idTime(info.lastEntryId) : NaN;
      return { key, ...info, lastEntryAgeMs: Number.isNaN(t) ? undefined : Math.max(0, Date.now() - t) };
    } catch (e) {
      if (isNoSuchKey(e)) this.fail(new Error(`ERR no such key`), { key });
      throw await this.typeAware(e, key, 'stream');
    }
  }

  /** Many XINFO STREAM calls in one round trip per node (pipelined). Missing/wrong keys give an Error in place. */
  async streams(keys: string[]): Promise<(StreamSummary | Error)[]> {
    if (!keys.length) return [];
    const results = await Promise.all(
      keys.map((k) =>
        xinfoStream(this.client, k).then(
          (info) => {
            const t = info.lastEntryId ? idTime(info.lastEntryId) : NaN;
            return { key: k, ...info, lastEntryAgeMs: Number.isNaN(t) ? undefined : Math.max(0, Date.now() - t) } as StreamSummary;
          },
          (e) => toQueueError(e, { target: this.target, key: k, expected: 'stream' }) as Error,
        ),
      ),
    );
    return results;
  }

  /** Consumer groups with pending, lag (Redis ≥ 7) and the oldest pending entry's age and idle time. */
  async groups(key: string): Promise<GroupSummary[]> {
    let groups: GroupInfo[];
    try {
      groups = await xinfoGroups(this.client, key);
    } catch (e) {
      throw await this.typeAware(e, key, 'stream');
    }
    return Promise.all(
      groups.map(async (g): Promise<GroupSummary> => {
        if (g.pending === 0) return g;
        try {
          const summary = await this.pendingSummary(key, g.name);
          const oldest = summary.smallestId ?? undefined;
          let idle: number | undefined;
          if (oldest) {
            idle = (await xpendingOne(this.client, key, g.name, oldest))?.idle;
          }
          const t = oldest ? idTime(oldest) : NaN;
          return { ...g, oldestPendingId: oldest, oldestPendingAgeMs: Number.isNaN(t) ? undefined : Math.max(0, Date.now() - t), oldestPendingIdleMs: idle };
        } catch {
          return g;
        }
      }),
    );
  }

  async consumers(key: string, group: string): Promise<ConsumerInfo[]> {
    try {
      return await xinfoConsumers(this.client, key, group);
    } catch (e) {
      throw await this.typeAware(e, key, 'stream', group);
    }
  }

  async pendingSummary(key: string, group: string): Promise<PendingSummary> {
    try {
      return await xpendingSummary(this.client, key, group);
    } catch (e) {
      throw await this.typeAware(e, key, 'stream', group);
    }
  }

  /**
   * One page of a group's PEL, oldest first, from the id after `after` (exclusive). Bounded by
   * `count`; with `consumer` only that consumer's entries; with `minIdleMs` only entries idle at
   * least that long (Redis ≥ 6.2). Cost does not depend on the PEL's size.
   */
  async pendingPage(
    key: string,
    group: string,
    { after, count = DEFAULT_PAGE, consumer, minIdleMs }: { after?: string | null; count?: number; consumer?: string; minIdleMs?: number } = {},
  ): Promise<PendingPage> {
    const start = after ? nextId(after) : '-';
    const idleFilter = Boolean(minIdleMs && minIdleMs > 0 && (await this.caps()).pendingIdle);
    try {
      let entries = await xpendingRange(this.client, key, group, { start, count, consumer, minIdleMs: idleFilter ? minIdleMs : undefined });
      if (minIdleMs && !(await this.caps()).pendingIdle) entries = entries.filter((e) => e.idle >= minIdleMs);
      const last = entries[entries.length - 1];
      return { entries, next: entries.length === count && last ? last.id : null };
    } catch (e) {
      throw await this.typeAware(e, key, 'stream', group);
    }
  }

  /** Newest-first page of entries, strictly before `before` (or from the newest). Values binary-safe. */
  async entriesPage(key: string, { before, count = DEFAULT_PAGE }: { before?: string | null; count?: number } = {}): Promise<EntriesPage> {
    if (before) parseId(before);
    let end = '+';
    if (before) {
      try {
        end = previousId(before);
      } catch {
        return { entries: [], next: null };
      }
    }
    try {
      const raw = await this.client.xrevrangeBuffer(key, end, '-', 'COUNT', count);
      const entries = parseEntries(raw);
      const last = entries[entries.length - 1];
      return { entries, next: entries.length === count && last ? last.id : null };
    } catch (e) {
      throw await this.typeAware(e, key, 'stream');
    }
  }

  /** Oldest-first page of entries strictly after `after` (or from `from`, inclusive, or from the oldest). `next`: the last id, when more may follow. */
  async entriesAfter(key: string, { after, from, count = DEFAULT_PAGE }: { after?: string | null; from?: string; count?: number } = {}): Promise<EntriesPage> {
    let start = from ?? '-';
    if (after) {
      try {
        start = nextId(after);
      } catch {
        return { entries: [], next: null };
      }
    } else if (from && from !== '-') parseId(from);
    try {
      const entries = parseEntries(await this.client.xrangeBuffer(key, start, '+', 'COUNT', count));
      const last = entries[entries.length - 1];
      return { entries, next: entries.length === count && last ? last.id : null };
    } catch (e) {
      throw await this.typeAware(e, key, 'stream');
    }
  }

  /**
   * "Go to time": the entries around a moment (epoch ms). `newer`: oldest first from the moment
   * (inclusive); `older`: newest first before it. Each page has its own `next` to go on.
   */
  async entriesAround(key: string, atMs: number, { count = DEFAULT_PAGE }: { count?: number } = {}): Promise<{ older: EntriesPage; newer: EntriesPage }> {
    const at = idForTime(atMs);
    const [older, newer] = await Promise.all([this.entriesPage(key, { before: at, count }), this.entriesAfter(key, { from: at, count })]);
    return { older, newer };
  }

  /** One entry by id, or null when it was deleted or trimmed. */
  async entry(key: string, id: string): Promise<StreamEntry | null> {
    parseId(id);
    try {
      const entries = parseEntries(await this.client.xrangeBuffer(key, id, id));
      return entries[0] ?? null;
    } catch (e) {
      throw await this.typeAware(e, key, 'stream');
    }
  }

  /** The bodies of several entries (e.g. pending ids), in one round trip; null where deleted/trimmed. */
  async entriesByIds(key: string, ids: string[]): Promise<Map<string, StreamEntry | null>> {
    const out = new Map<string, StreamEntry | null>();
    const replies = await Promise.all(ids.map((id) => this.client.xrangeBuffer(key, id, id).then(parseEntries)));
    ids.forEach((id, i) => out.set(id, replies[i]?.[0] ?? null));
    return out;
  }

  /**
   * List queues found in one walk over lists (see {@link discover}), plus the queues named in
   * `names`, with their figures. Bounded by the budget (`maxMs`, `maxCalls`) and `limit`; `next`
   * says where to go on.
   */
  async discoverListQueues({ match = '*', names = [], limit = 200, from = null, maxMs = 10_000, maxCalls = 100_000, signal, onProgress }: ScanOptions & { names?: string[] } = {}): Promise<ListQueueDiscovery> {
    const state = { ...newDiscoveryState(), position: from ?? { node: 0, cursor: '0' } };
    const run = await this.discover('listQueues', state, { match, maxMs, maxCalls, signal, onProgress });
    const found = [...new Set([...names, ...run.keys])].filter(Boolean).sort().slice(0, limit);
    return { queues: await Promise.all(found.map((n) => this.listQueue(n))), queueLists: state.queueLists ?? [], celeryQueues: state.celeryQueues ?? [], next: state.position, progress: run.progress };
  }

  /** List queues (a whole walk within the budget): see {@link discoverListQueues}. */
  async listQueues(options: ScanOptions & { names?: string[] } = {}): Promise<ListQueueSummary[]> {
    return (await this.discoverListQueues(options)).queues;
  }

  /** Layouts given by configuration, per queue name: used instead of detection. */
  private configuredListLayouts = new Map<string, ListQueueLayout>();
  /** Conclusive layout detections, per queue name (see {@link listQueueLayout}). */
  private readonly detectedListLayouts = new Map<string, ListQueueLayout>();

  /**
   * Sets the layouts of list queues known by configuration (queue name → layout, e.g. the
   * redisQueues.listQueues.layouts setting), replacing those set before. They are used by
   * {@link listQueue} and {@link listJobs} when no layout is passed, instead of detection.
   * Throws BadInputError for an invalid layout (and then changes nothing).
   */
  setListQueueLayouts(layouts: Record<string, ListQueueLayout> | Map<string, ListQueueLayout>): void {
    const entries = layouts instanceof Map ? [...layouts] : Object.entries(layouts ?? {});
    this.configuredListLayouts = new Map(entries.map(([name, l]) => [name, checkListQueueLayout(name, l)]));
  }

  /**
   * The layout of list queue `name`: `layout` when given, else the configured one
   * ({@link setListQueueLayouts}), else the one detected (`detectListQueueLayout`: a few ids and
   * EXISTS, never a scan). A detection decided by the ids is kept for this inspector's lifetime;
   * an undecided one (empty lists, no hashes found) gives the default layout and is asked again
   * next time.
   */
  async listQueueLayout(name: string, layout?: ListQueueLayout): Promise<ListQueueLayout> {
    if (layout) return checkListQueueLayout(name, layout);
    const configured = this.configuredListLayouts.get(name) ?? this.detectedListLayouts.get(name);
    if (configured) return configured;
    const probe = await probeListQueueLayout(this.client, name);
    if (probe.conclusive) {
      if (this.detectedListLayouts.size >= 10_000) this.detectedListLayouts.clear();
      this.detectedListLayouts.set(name, probe.layout);
    }
    return probe.layout;
  }

  /**
   * Lengths of a list queue's lists and the age of its oldest processing job, in `layout` (default:
   * the queue's own, see {@link listQueueLayout}). A queue whose lists are all empty (do not exist)
   * gives zeros. Without started-at stamps in the layout the age is left undefined.
   */
  async listQueue(name: string, layout?: ListQueueLayout): Promise<ListQueueSummary> {
    try {
      const l = pickListQueueLayout(await this.listQueueLayout(name, layout));
      const k = listQueueKeys(name, l);
      const [waiting, processing, dead, oldest, time] = await Promise.all([
        this.client.llen(k.waiting),
        this.client.llen(k.processing),
        this.client.llen(k.dead),
        k.stamps ? (this.client.call('ZRANGE', k.started, 0, 0, 'WITHSCORES') as Promise<unknown[]>) : Promise.resolve([]),
        this.serverTimeMs(),
      ]);
      // RESP2: [member, score]; RESP3: [[member, score]].
      const flat = (oldest ?? []).flat() as unknown[];
      const startedAt = flat.length >= 2 ? Number(String(flat[1])) : NaN;
      return { name, waiting, processing, dead, oldestProcessingAgeMs: processing > 0 && Number.isFinite(startedAt) ? Math.max(0, time - startedAt) : undefined, layout: l };
    } catch (e) {
      throw await this.typeAware(e, name, 'list');
    }
  }

  /**
   * A page of a list queue's jobs: waiting (next to run first), processing (oldest first, with how
   * long each has run) or dead. Job hashes (`<jobPrefix><id>` of the layout, given or the queue's
   * own: see {@link listQueueLayout}) are read in the same round trip. Bounded by `count`.
   */
  async listJobs(
    name: string,
    section: ListSection,
    { count = DEFAULT_PAGE, layout }: { count?: number; layout?: ListQueueLayout } = {},
  ): Promise<{ jobs: ListJobView[]; total: number; layout: ListQueueLayout }> {
    let key = name;
    try {
      const l = pickListQueueLayout(await this.listQueueLayout(name, layout));
      const k = listQueueKeys(name, l);
      key = section === 'waiting' ? k.waiting : section === 'processing' ? k.processing : k.dead;
      const total = await this.client.llen(key);
      // Producers LPUSH and workers take from the right: the right end is the oldest.
      const raw = section === 'dead' ? await this.client.lrange(key, 0, count - 1) : (await this.client.lrange(key, -count, -1)).reverse();
      const ids = raw.map(String);
      const timed = section === 'processing' && k.stamps;
      const [hashes, started, now] = await Promise.all([
        Promise.all(ids.map((id) => this.client.hgetallBuffer(k.job(id)))),
        timed ? Promise.all(ids.map((id) => this.client.zscore(k.started, id))) : Promise.resolve([] as (string | null)[]),
        this.serverTimeMs(),
      ]);
      const jobs = ids.map((id, i): ListJobView => {
        const h = hashes[i]!;
        const fields = Object.keys(h).length ? parseFieldsRecord(h) : null;
        const attempts = fields?.[JOB_FIELDS.attempts];
        const lastError = fields?.[JOB_FIELDS.lastError];
        const s = started[i];
        const view: ListJobView = {
          id,
          fields,
          attempts: attempts === undefined ? undefined : Number(attempts),
          lastError: lastError === undefined ? undefined : String(lastError),
          runningForMs: section === 'processing' ? (s === null || s === undefined ? null : Math.max(0, now - Number(s))) : undefined,
        };
        if (section === 'processing' && !k.stamps) view.untimed = true;
        return view;
      });
      // Processing: longest-running first (by started-at stamp; unstamped ones, just taken, last).
      if (section === 'processing') jobs.sort((a, b) => (b.runningForMs ?? -1) - (a.runningForMs ?? -1));
      return { jobs, total, layout: l };
    } catch (e) {
      throw await this.typeAware(e, key, 'list');
    }
  }

  /** Server clock in ms (so ages do not depend on this machine's clock). */
  async serverTimeMs(): Promise<number> {
    const node = masters(this.client)[0] ?? this.client;
    const [s, us] = (await node.time()) as [string | number, string | number];
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  }

  /** Key type, for readable WRONGTYPE errors. */
  async type(key: string): Promise<string> {
    return String(await this.client.type(key));
  }

  private async typeAware(e: unknown, key: string, expected: string, group?: string): Promise<Error> {
    if (redisErrorCode(e) === 'WRONGTYPE') {
      let actual: string | undefined;
      try {
        actual = await this.type(key);
      } catch {
        /* keep undefined */
      }
      return new WrongTypeError(key, expected, actual, { cause: e });
    }
    if (isNoSuchKey(e)) {
      return toQueueError(new Error(`NOGROUP no such key`), { target: this.target, key, group: group ?? '' });
    }
    return toQueueError(e, { target: this.target, key, group, expected });
  }
}

function parseFieldsRecord(h: Record<string, Buffer>): import('../redis/replies').Fields {
  const out: import('../redis/replies').Fields = {};
  for (const [k, v] of Object.entries(h)) setField(out, k, decodeValue(v));
  return out;
}

