// `redis-queues inspect`: what the explorer tree shows, as data. Streams (SCAN, bounded), their
// groups, consumers and oldest pending entries, list queues; health marks from core/health.
import {
  type ConsumerInfo,
  type GroupSummary,
  type HealthThresholds,
  type Inspector,
  type ListQueueSummary,
  type DiscoveryProgress,
  type PendingEntry,
  type ScanPosition,
  type StreamSummary,
  DEFAULT_THRESHOLDS,
  Inspector as InspectorClass,
  formatCount,
  formatShort,
  formatDuration,
  isLagging,
  isPoison,
  isListJobStuck,
  isStuck,
  listQueueKeys,
} from '../core/internal';
import { type BullState, bullQueuesAmong } from '../core/frameworks/bullmq';
import { BULL3_STATES, bull3QueuesAmong } from '../core/frameworks/bull';
import { FRAMEWORK_LABELS, celeryPrefixes, frameworkDoc, readFrameworks } from '../core/frameworks/readers';
import { type CommandSpec, UsageError } from './args';
import { type Command, type CommandContext, GLOBAL_OPTIONS } from './common';
import { idIsoTime, safe, table } from './format';

export type HealthMark = 'POISON' | 'STUCK' | 'LAGGING';

export interface PendingDoc {
  id: string;
  consumer: string;
  idleMs: number;
  deliveries: number;
  health: HealthMark[];
}

export interface ConsumerDoc {
  name: string;
  pending: number;
  idleMs: number;
  /** Redis ≥ 7.2, else null. */
  inactiveMs: number | null;
  health: HealthMark[];
}

export interface GroupDoc {
  name: string;
  consumerCount: number;
  pending: number;
  /** Redis ≥ 7 (null when Redis cannot tell or is older). */
  lag: number | null;
  entriesRead: number | null;
  lastDeliveredId: string;
  oldestPendingId: string | null;
  oldestPendingIdleMs: number | null;
  /** Own marks plus those of its consumers and shown pending entries. */
  health: HealthMark[];
  consumers: ConsumerDoc[];
  /** The oldest pending entries (a few). */
  oldestPending: PendingDoc[];
}

export interface StreamDoc {
  key: string;
  length: number;
  firstEntryId: string | null;
  lastEntryId: string | null;
  lastGeneratedId: string;
  lastEntryAgeMs: number | null;
  groupCount: number;
  /** Union of its groups' marks. */
  health: HealthMark[];
  groups: GroupDoc[];
}

export interface ListQueueDoc {
  name: string;
  waiting: number;
  processing: number;
  dead: number;
  oldestProcessingAgeMs: number | null;
  /** False when the queue's layout keeps no started-at stamps: running times unknown, never STUCK. Absent: true. */
  startedAtStamps?: boolean;
  health: HealthMark[];
}

/** The `--json` document of `inspect` (stable: fields are added, never renamed). */
export interface InspectDocument {
  schema: 'redis-queues/inspect@1';
  target: string;
  server: { version: string; mode: string; role: string };
  generatedAt: string;
  match: string;
  thresholds: HealthThresholds;
  streams: StreamDoc[];
  /** True when more streams match than --limit. */
  truncated: boolean;
  listQueues: ListQueueDoc[];
  /** BullMQ queues found by their events stream among the streams walked (their counts as BullMQ's getJobCounts() gives them; job schedulers as getJobSchedulersCount()). */
  bullmq?: { name: string; prefix: string; paused: boolean; counts: Record<BullState, number>; schedulers: number }[];
  /** Legacy Bull 3/4 queues found among the lists the list walk met (counts as Bull's getJobCounts() gives them). */
  bull?: { name: string; prefix: string; paused: boolean; counts: Partial<Record<BullState, number>> }[];
  /** RQ and Sidekiq deployments found by their registry keys at their default prefixes: each row's counts by the framework's own state names. */
  frameworks?: ReturnType<typeof frameworkDoc>[];
  /** Keys that could not be read (deleted meanwhile, no permission, ...). */
  errors: { key: string; message: string }[];
  /** How far the walks for streams and list queues got (about), within the budget. */
  scan: { streams: ScanDoc; listQueues: ScanDoc; /** Pass as --continue to go on where these walks stopped; null when both ended. */ continue: string | null };
}

export interface ScanDoc {
  scannedKeys: number;
  totalKeys: number;
  done: boolean;
  calls: number;
  /** List-queue walk: lists not sampled for a queue with only its waiting list (over the walk's caps, or left for --continue). */
  uncheckedLists?: number;
}

/** Where the two walks stand, as a --continue token (base64url JSON). */
export interface ScanResume {
  streams: ScanPosition | null;
  listQueues: ScanPosition | null;
}

export function resumeToken(r: ScanResume): string | null {
  return r.streams || r.listQueues ? Buffer.from(JSON.stringify(r)).toString('base64url') : null;
}

export function parseResumeToken(token: string): ScanResume {
  try {
    const r = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ScanResume;
    const ok = (p: unknown) => p === null || (typeof p === 'object' && Number.isInteger((p as ScanPosition).node) && /^\d+$/.test(String((p as ScanPosition).cursor)));
    if (r && typeof r === 'object' && ok(r.streams) && ok(r.listQueues)) return r;
  } catch {
    /* fall through */
  }
  throw new UsageError('--continue takes the token an earlier inspect printed', 'inspect');
}

const MARK_ORDER: HealthMark[] = ['POISON', 'STUCK', 'LAGGING'];

function marks(set: Iterable<HealthMark>): HealthMark[] {
  const s = new Set(set);
  return MARK_ORDER.filter((m) => s.has(m));
}

export interface CollectOptions {
  match: string;
  limit: number;
  pendingPerGroup: number;
  thresholds: HealthThresholds;
  /** Budget of each walk (streams, then list queues): wall time and SCAN calls. */
  scan?: { maxMs: number; maxCalls: number };
  /** Go on from an earlier run's positions. */
  resume?: ScanResume;
  onProgress?: (what: 'streams' | 'list queues', p: DiscoveryProgress) => void;
}

/** Reads everything `inspect` shows through one inspector. Bounded by `limit` streams and `pendingPerGroup`. */
export async function collect(inspector: Inspector, o: CollectOptions): Promise<InspectDocument> {
  const server = await inspector.serverSummary();
  const budget = o.scan ?? { maxMs: 10_000, maxCalls: 1_000_000 };
  const start = (p: ScanPosition | null | undefined): ScanPosition | null | undefined => (o.resume ? p : undefined);
  const streamsFrom = start(o.resume?.streams);
  const page =
    streamsFrom === null
      ? { keys: [], next: null, progress: undefined }
      : // A walk without limits (--all) goes to the end: --limit then bounds only what is shown.
        await inspector.scanStreams({ match: o.match, limit: budget.maxMs === Infinity ? Infinity : o.limit, from: streamsFrom, ...budget, onProgress: (p) => o.onProgress?.('streams', p) });
  const keys = page.keys;
  const truncated = keys.length > o.limit || page.next !== null;
  keys.sort();
  const shown = keys.slice(0, o.limit);
  const errors: InspectDocument['errors'] = [];
  const summaries = await inspector.streams(shown);
  const streams: StreamDoc[] = [];
  for (const [i, s] of summaries.entries()) {
    if (s instanceof Error) {
      errors.push({ key: shown[i]!, message: s.message });
      continue;
    }
    try {
      streams.push(await streamDoc(inspector, s, o));
    } catch (e) {
      errors.push({ key: s.key, message: (e as Error).message });
    }
  }
  // BullMQ queues: their events streams are among the streams the walk found (no walk of their own).
  const bullmq = (await bullQueuesAmong(inspector.client, keys).catch(() => [])).map((q) => ({ name: q.name, prefix: q.prefix, paused: q.paused, counts: q.counts, schedulers: q.schedulers }));
  const listsFrom = start(o.resume?.listQueues);
  const lists =
    listsFrom === null
      ? { queues: [], queueLists: [], celeryQueues: [], next: null, progress: undefined }
      : await inspector.discoverListQueues({ match: o.match, limit: o.limit, from: listsFrom, ...budget, onProgress: (p) => o.onProgress?.('list queues', p) });
  // RQ, Sidekiq, Celery: by their registry keys (no walk); Celery's also the queues whose waiting messages the list walk sampled.
  const frameworks = (await readFrameworks(inspector.client, celeryPrefixes(lists.celeryQueues ?? [])).catch(() => [])).map(frameworkDoc);
  // Bull 3/4 queues: among the lists the list walk met (no walk of their own).
  const bull = (await bull3QueuesAmong(inspector.client, lists.queueLists ?? []).catch(() => [])).map((q) => ({ name: q.name, prefix: q.prefix, paused: q.paused, counts: Object.fromEntries(BULL3_STATES.map((st) => [st, q.counts[st]])) }));
  const scanDoc = (p: DiscoveryProgress | undefined): ScanDoc =>
    p ? { scannedKeys: p.scanned, totalKeys: p.total, done: p.done, calls: p.calls, ...(p.unchecked ? { uncheckedLists: p.unchecked } : {}) } : { scannedKeys: 0, totalKeys: 0, done: true, calls: 0 };
  return {
    schema: 'redis-queues/inspect@1',
    target: inspector.target,
    server: { version: server.version, mode: server.mode, role: server.role },
    generatedAt: new Date().toISOString(),
    match: o.match,
    thresholds: o.thresholds,
    streams,
    truncated,
    listQueues: lists.queues.map((l) => listDoc(l, o.thresholds)),
    bullmq,
    ...(bull.length ? { bull } : {}),
    ...(frameworks.length ? { frameworks } : {}),
    errors,
    scan: { streams: scanDoc(page.progress), listQueues: scanDoc(lists.progress), continue: resumeToken({ streams: page.next, listQueues: lists.next }) },
  };
}

async function streamDoc(inspector: Inspector, s: StreamSummary, o: CollectOptions): Promise<StreamDoc> {
  const groups = s.groups > 0 ? await inspector.groups(s.key) : [];
  const docs = await Promise.all(groups.map((g) => groupDoc(inspector, s.key, g, o)));
  return {
    key: s.key,
    length: s.length,
    firstEntryId: s.firstEntryId ?? null,
    lastEntryId: s.lastEntryId ?? null,
    lastGeneratedId: s.lastGeneratedId,
    lastEntryAgeMs: s.lastEntryAgeMs ?? null,
    groupCount: s.groups,
    health: marks(docs.flatMap((g) => g.health)),
    groups: docs,
  };
}

async function groupDoc(inspector: Inspector, key: string, g: GroupSummary, o: CollectOptions): Promise<GroupDoc> {
  const [consumers, pending] = await Promise.all([
    g.consumers > 0 ? inspector.consumers(key, g.name) : Promise.resolve([] as ConsumerInfo[]),
    g.pending > 0 && o.pendingPerGroup > 0 ? inspector.pendingPage(key, g.name, { count: o.pendingPerGroup }).then((p) => p.entries) : Promise.resolve([] as PendingEntry[]),
  ]);
  const cDocs = consumers.map((c): ConsumerDoc => ({
    name: c.name,
    pending: c.pending,
    idleMs: c.idle,
    inactiveMs: c.inactive ?? null,
    health: isStuck(c, o.thresholds) ? ['STUCK'] : [],
  }));
  const pDocs = pending.map((p): PendingDoc => ({
    id: p.id,
    consumer: p.consumer,
    idleMs: p.idle,
    deliveries: p.deliveries,
    health: isPoison(p, o.thresholds) ? ['POISON'] : [],
  }));
  const own: HealthMark[] = isLagging(g, o.thresholds) ? ['LAGGING'] : [];
  return {
    name: g.name,
    consumerCount: g.consumers,
    pending: g.pending,
    lag: g.lag ?? null,
    entriesRead: g.entriesRead ?? null,
    lastDeliveredId: g.lastDeliveredId,
    oldestPendingId: g.oldestPendingId ?? null,
    oldestPendingIdleMs: g.oldestPendingIdleMs ?? null,
    health: marks([...own, ...cDocs.flatMap((c) => c.health), ...pDocs.flatMap((p) => p.health)]),
    consumers: cDocs,
    oldestPending: pDocs,
  };
}

function listDoc(l: ListQueueSummary, t: HealthThresholds): ListQueueDoc {
  const age = l.oldestProcessingAgeMs ?? null;
  const doc: ListQueueDoc = {
    name: l.name,
    waiting: l.waiting,
    processing: l.processing,
    dead: l.dead,
    oldestProcessingAgeMs: age,
    health: isListJobStuck(age, t) ? ['STUCK'] : [],
  };
  if (!listQueueKeys(l.name, l.layout).stamps) doc.startedAtStamps = false;
  return doc;
}

const h = (m: HealthMark[]) => m.join(' ');
const ago = (ms: number | null) => (ms === null ? '-' : `${formatDuration(ms)} ago`);

/** The human rendering of an inspection: indented, aligned tables with health marks. */
export function renderInspection(d: InspectDocument): string[] {
  const lines: string[] = [];
  lines.push(`Redis ${safe(d.server.version)} at ${safe(d.target)} (${d.server.mode}${d.server.role !== 'master' ? `, ${d.server.role}` : ''})${d.match !== '*' ? `, matching ${safe(d.match)}` : ''}`);
  lines.push('');
  lines.push(`Streams (${d.streams.length}${d.truncated ? ', more not shown: raise --limit or narrow --match' : ''})`);
  if (!d.streams.length) lines.push('  (none)');
  else {
    lines.push(
      ...table(
        ['STREAM', 'LENGTH', 'FIRST ID', 'LAST ID', 'LAST ENTRY', 'GROUPS', 'HEALTH'],
        d.streams.map((s) => [safe(s.key), s.length, s.firstEntryId ?? '-', s.lastEntryId ?? '-', ago(s.lastEntryAgeMs), s.groupCount, h(s.health)]),
        '  ',
      ),
    );
  }
  for (const s of d.streams) {
    if (!s.groups.length) continue;
    lines.push('', `Stream ${safe(s.key)}: groups`);
    lines.push(
      ...table(
        ['GROUP', 'CONSUMERS', 'PENDING', 'LAG', 'ENTRIES-READ', 'LAST-DELIVERED', 'OLDEST PENDING IDLE', 'HEALTH'],
        s.groups.map((g) => [safe(g.name), g.consumerCount, g.pending, g.lag === null ? '-' : g.lag, g.entriesRead === null ? '-' : g.entriesRead, g.lastDeliveredId, g.oldestPendingIdleMs === null ? '-' : formatDuration(g.oldestPendingIdleMs), h(g.health)]),
        '  ',
      ),
    );
    for (const g of s.groups) {
      if (!g.consumers.length && !g.oldestPending.length) continue;
      lines.push(`  Group ${safe(g.name)}`);
      if (g.consumers.length) {
        lines.push(...table(['CONSUMER', 'PENDING', 'IDLE', 'HEALTH'], g.consumers.map((c) => [safe(c.name), c.pending, formatDuration(c.idleMs), h(c.health)]), '    '));
      }
      if (g.oldestPending.length) {
        lines.push(`    Oldest pending (${g.oldestPending.length} of ${formatCount(g.pending)})`);
        lines.push(
          ...table(
            ['ID', 'TIME', 'CONSUMER', 'IDLE', 'DELIVERIES', 'HEALTH'],
            g.oldestPending.map((p) => [p.id, idIsoTime(p.id), safe(p.consumer), formatDuration(p.idleMs), p.deliveries, h(p.health)]),
            '      ',
          ),
        );
      }
    }
  }
  lines.push('', `List queues (${d.listQueues.length})`);
  if (!d.listQueues.length) lines.push('  (none)');
  else {
    lines.push(
      ...table(
        ['QUEUE', 'WAITING', 'PROCESSING', 'DEAD', 'OLDEST PROCESSING', 'HEALTH'],
        d.listQueues.map((l) => [safe(l.name), l.waiting, l.processing, l.dead, l.oldestProcessingAgeMs === null ? (l.startedAtStamps === false && l.processing > 0 ? 'unknown' : '-') : formatDuration(l.oldestProcessingAgeMs), h(l.health)]),
        '  ',
      ),
    );
  }
  if (d.bullmq?.length) {
    lines.push('', `BullMQ queues (${d.bullmq.length})`);
    lines.push(
      ...table(
        ['QUEUE', 'PREFIX', 'WAITING', 'ACTIVE', 'DELAYED', 'FAILED', 'COMPLETED', 'STATE'],
        d.bullmq.map((q) => [safe(q.name), safe(q.prefix), q.counts.waiting + q.counts.paused + q.counts.prioritized, q.counts.active, q.counts.delayed, q.counts.failed, q.counts.completed, q.paused ? 'PAUSED' : '-']),
        '  ',
      ),
    );
  }
  if (d.bull?.length) {
    lines.push('', `Bull 3/4 queues (${d.bull.length})`);
    lines.push(
      ...table(
        ['QUEUE', 'PREFIX', 'WAITING', 'ACTIVE', 'DELAYED', 'FAILED', 'COMPLETED', 'STATE'],
        d.bull.map((q) => [safe(q.name), safe(q.prefix), (q.counts.waiting ?? 0) + (q.counts.paused ?? 0), q.counts.active ?? 0, q.counts.delayed ?? 0, q.counts.failed ?? 0, q.counts.completed ?? 0, q.paused ? 'PAUSED' : '-']),
        '  ',
      ),
    );
  }
  for (const f of d.frameworks ?? []) {
    const label = FRAMEWORK_LABELS[f.framework];
    lines.push('', `${label}${f.prefix ? ` (prefix ${safe(f.prefix)})` : ''}${Object.keys(f.figures).length ? `: ${Object.entries(f.figures).map(([k, v]) => `${safe(k)} ${safe(v)}`).join(', ')}` : ''}`);
    const states = [...new Set(f.rows.flatMap((r) => Object.keys(r.counts)))];
    lines.push(...table(['QUEUE', ...states.map((x) => x.toUpperCase()), 'MARKS'], f.rows.map((r) => [safe(r.name), ...states.map((x) => r.counts[x] ?? '-'), r.marks.length ? r.marks.map(safe).join(', ') : '-']), '  '));
  }
  const unchecked = d.scan.listQueues.uncheckedLists;
  if (unchecked) lines.push('', `${unchecked} list${unchecked === 1 ? ' was' : 's were'} not checked for a queue with only its waiting list (over the walk's sampling caps).`);
  if (d.errors.length) {
    lines.push('', `Could not read (${d.errors.length})`);
    for (const e of d.errors) lines.push(`  ${safe(e.key)}: ${safe(e.message)}`);
  }
  if (d.scan.continue) {
    const part = (what: string, x: ScanDoc) => (x.done ? `${what}: whole keyspace` : `${what}: about ${formatShort(x.scannedKeys)} of ${formatShort(x.totalKeys)} keys`);
    lines.push('', `Scanned within the budget (${part('streams', d.scan.streams)}; ${part('list queues', d.scan.listQueues)}).`);
    lines.push(`Go on with: --continue ${d.scan.continue}   (or scan everything: --all)`);
  }
  return lines;
}

const spec: CommandSpec = {
  name: 'inspect',
  summary: 'Show streams, consumer groups, consumers, the oldest pending entries and list queues, with health marks (POISON, STUCK, LAGGING).',
  positionals: [],
  options: [
    { name: 'match', type: 'string', value: 'PATTERN', description: 'SCAN MATCH pattern for stream and list-queue names', default: '*' },
    { name: 'limit', type: 'int', value: 'N', min: 1, description: 'Most streams (and list queues) shown', default: '200' },
    { name: 'pending', type: 'int', value: 'N', min: 0, description: 'Oldest pending entries shown per group', default: '5' },
    { name: 'poison-deliveries', type: 'int', value: 'N', min: 1, description: 'A pending entry delivered this often is POISON', default: String(DEFAULT_THRESHOLDS.poisonDeliveries) },
    { name: 'stuck-idle', type: 'int', value: 'MS', min: 1, description: 'A consumer idle this long holding entries (or a list job running this long) is STUCK', default: String(DEFAULT_THRESHOLDS.stuckIdleMs) },
    { name: 'lag-warning', type: 'int', value: 'N', min: 0, description: 'A group lagging by more entries is LAGGING (Redis 7+)', default: String(DEFAULT_THRESHOLDS.lagWarning) },
    { name: 'scan-ms', type: 'int', value: 'MS', min: 1, description: 'Budget of each keyspace walk (streams, then list queues): wall time', default: '1000' },
    { name: 'scan-calls', type: 'int', value: 'N', min: 1, description: 'Budget of each keyspace walk: SCAN calls (each sized to about 2 ms of server time)', default: '1000' },
    { name: 'all', type: 'boolean', description: 'Walk the whole keyspace, whatever it takes (progress on stderr)' },
    { name: 'continue', type: 'string', value: 'TOKEN', description: 'Go on where an earlier inspect stopped (it prints the token)' },
    ...GLOBAL_OPTIONS,
  ],
  details:
    'Never uses KEYS: streams are found with SCAN ... TYPE stream, list queues with one SCAN ... TYPE list walk (every master of a Cluster), each call sized to about 2 ms of server time, within a budget (--scan-ms, --scan-calls); progress on stderr; --continue goes on from where it stopped. Pending entries are read a page at a time.',
  examples: ['redis-queues inspect', 'redis-queues inspect --match "orders*" --json', 'REDIS_URL=redis://10.0.0.5:6379 redis-queues inspect --pending 10'],
};

export const inspectCommand: Command = {
  spec,
  async run(args, ctx) {
    const o = args.options;
    const thresholds: HealthThresholds = {
      poisonDeliveries: (o['poison-deliveries'] as number | undefined) ?? DEFAULT_THRESHOLDS.poisonDeliveries,
      stuckIdleMs: (o['stuck-idle'] as number | undefined) ?? DEFAULT_THRESHOLDS.stuckIdleMs,
      lagWarning: (o['lag-warning'] as number | undefined) ?? DEFAULT_THRESHOLDS.lagWarning,
    };
    const all = Boolean(o['all']);
    const token = o['continue'] as string | undefined;
    if (all && token !== undefined) throw new UsageError('--all and --continue do not go together', 'inspect');
    const resume = token === undefined ? undefined : parseResumeToken(token);
    const scan = all ? { maxMs: Infinity, maxCalls: Infinity } : { maxMs: (o['scan-ms'] as number | undefined) ?? 1000, maxCalls: (o['scan-calls'] as number | undefined) ?? 1000 };
    const progress = progressLine(ctx);
    const inspector = await InspectorClass.open(ctx.connection);
    try {
      const doc = await collect(inspector, {
        match: (o['match'] as string | undefined) ?? '*',
        limit: (o['limit'] as number | undefined) ?? 200,
        pendingPerGroup: (o['pending'] as number | undefined) ?? 5,
        thresholds,
        scan,
        resume,
        onProgress: progress.report,
      });
      if (ctx.json) ctx.out(JSON.stringify(doc, null, 2));
      else for (const l of renderInspection(doc)) ctx.out(l);
      return 0;
    } finally {
      inspector.close();
    }
  },
};

/** Progress of long walks on stderr: a line every 2 s (only on keyspaces of 100,000 keys and more). */
function progressLine(ctx: CommandContext): { report: (what: string, p: DiscoveryProgress) => void } {
  let last = Date.now();
  return {
    report(what, p) {
      const now = Date.now();
      if (now - last < 2000 || p.total < 100_000) return;
      last = now;
      ctx.err(`scanning for ${what}: about ${formatShort(p.scanned)} of ${formatShort(p.total)} keys, ${p.found} found`);
    },
  };
}
