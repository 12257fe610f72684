/**
 * Sidekiq (6.x) as its own API and Web UI see it, read from its documented key layout (read-only:
 * nothing is written, no walk of the keyspace; `<ns>` is '' or redis-namespace's `name:`):
 *
 *     <ns>queues               set: the queue names (Sidekiq's client SADDs each queue it pushes to)
 *     <ns>queue:<name>         list: JSON payloads; the client LPUSHes, processors BRPOP: next at the right end
 *     <ns>schedule, retry, dead   sorted sets: payloads scored by when they are due (dead: when they died)
 *     <ns>processes            set: process identities; <ns><identity> hash (info, busy, beat, quiet),
 *                              <ns><identity>:workers hash thread → {queue, payload, run_at}; both expire 60 s
 *                              after the last heartbeat (every 5 s)
 *     <ns>stat:processed, stat:failed   counters
 *
 * Counts are as Sidekiq counts them: Queue#size (LLEN), ScheduledSet/RetrySet/DeadSet#size (ZCARD),
 * Workers#size (the sum of each process's `busy`), Stats#processed and #failed.
 */
import { inflateSync } from 'node:zlib';
import type { RedisClient } from '../redis/connection';
import type { FrameworkReader, FwDeployment, FwJob, FwRow, FwState } from './framework';
import { arrayItems, objectMembers, textAt } from './sidekiqJson';

/** How many queues are read (the first by name); the figure `Queues` says how many more there are. */
export const SIDEKIQ_QUEUES_READ = 200;
/** How many members of `queues` or `processes` are looked at, at most. */
export const SIDEKIQ_REGISTRY_READ = 2000;
/** A process whose heartbeat is older than this is dead to Sidekiq (its keys expire then). */
export const SIDEKIQ_BEAT_TIMEOUT_S = 60;

/** Sidekiq's framework-wide sorted sets, by their key, with Sidekiq Web's titles and our state names. */
export const SIDEKIQ_SETS = {
  schedule: { title: 'Scheduled', state: 'scheduled', tone: 'later', order: 'soonest on top' },
  retry: { title: 'Retries', state: 'retry', tone: 'failed', order: 'next retry on top' },
  dead: { title: 'Dead', state: 'dead', tone: 'dead', order: 'newest on top' },
} as const;
export type SidekiqSet = keyof typeof SIDEKIQ_SETS;

/** The keys of a Sidekiq deployment under namespace prefix `ns` ('' by default, `myapp:` with redis-namespace). */
export function sidekiqKeys(ns = '') {
  return {
    ns,
    queues: `${ns}queues`,
    queue: (name: string) => `${ns}queue:${name}`,
    schedule: `${ns}schedule`,
    retry: `${ns}retry`,
    dead: `${ns}dead`,
    processes: `${ns}processes`,
    process: (identity: string) => `${ns}${identity}`,
    workers: (identity: string) => `${ns}${identity}:workers`,
    processed: `${ns}stat:processed`,
    failed: `${ns}stat:failed`,
  };
}

const ACTIVE_JOB = 'ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper';
const MAILERS = new Set(['ActionMailer::DeliveryJob', 'ActionMailer::MailDeliveryJob']);

function parse(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : undefined;
};
const iso = (ms: number) => new Date(ms).toISOString();

/** The class a job runs, as Sidekiq's JobRecord#display_class shows it (ActiveJob and mailers unwrapped; the YAML of the old Delayed extensions is not decoded: its class is shown). */
export function sidekiqDisplayClass(payload: string): string | null {
  const own = str(parse(textAt(payload, ['display_class'])));
  if (own) return own;
  const klass = str(parse(textAt(payload, ['class']))) ?? null;
  if (klass !== ACTIVE_JOB) return klass;
  const wrapped = parse(textAt(payload, ['wrapped'])) ?? parse(textAt(payload, ['args', 0]));
  if (typeof wrapped === 'string' && MAILERS.has(wrapped)) {
    const args = parse(textAt(payload, ['args', 0, 'arguments']));
    return Array.isArray(args) ? args.slice(0, 2).map(String).join('#') : wrapped;
  }
  return typeof wrapped === 'string' ? wrapped : klass;
}

/** A job's arguments as JSON text, as Sidekiq's JobRecord#display_args picks them (ActiveJob's own arguments), each value's text exactly as stored. */
export function sidekiqDisplayArgs(payload: string): string | undefined {
  const args = textAt(payload, ['args']);
  if (args === undefined) return undefined;
  const klass = str(parse(textAt(payload, ['class'])));
  if (klass === ACTIVE_JOB) {
    const wrappedText = textAt(payload, ['wrapped']);
    const wrapped = parse(wrappedText) ?? parse(textAt(payload, ['args', 0]));
    const jobArgs = wrappedText !== undefined ? textAt(payload, ['args', 0, 'arguments']) : '[]';
    if (jobArgs === undefined) return '[]';
    const items = jobArgs.startsWith('[') ? arrayItems(jobArgs) : [];
    if (wrapped === 'ActionMailer::DeliveryJob') return `[${items.slice(3).map((it) => jobArgs.slice(it.start, it.end)).join(',')}]`;
    if (wrapped === 'ActionMailer::MailDeliveryJob') return textAt(jobArgs, [3, 'args']) ?? 'null';
    return jobArgs;
  }
  if (parse(textAt(payload, ['encrypt'])) && args.startsWith('[')) {
    // As Sidekiq: the last argument (the ciphertext) is not shown.
    const items = arrayItems(args);
    if (items.length) return `[${[...items.slice(0, -1).map((it) => args.slice(it.start, it.end)), '"[encrypted data]"'].join(',')}]`;
  }
  return args;
}

/** A job's error backtrace, as JobRecord#error_backtrace decodes it (Sidekiq 6: zlib + base64 of a JSON array; older: the array). */
export function sidekiqBacktrace(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string') return undefined;
  try {
    const lines = JSON.parse(inflateSync(Buffer.from(value, 'base64')).toString('utf8')) as unknown;
    return Array.isArray(lines) ? lines.map(String) : undefined;
  } catch {
    // Marshal-dumped backtraces (before 6.0) are not decoded.
    return undefined;
  }
}

/** A job from its payload as Sidekiq stores it; `score` is its sorted-set score (seconds) when it sits in one. */
export function sidekiqJob(payload: string, where: { set?: SidekiqSet; score?: string; member?: Buffer } = {}): FwJob {
  let fields: Record<string, unknown> = {};
  let valid = true;
  try {
    for (const m of objectMembers(payload)) if (m.key !== 'args') fields[m.key] = parse(payload.slice(m.start, m.end));
  } catch {
    valid = false;
    fields = {};
  }
  const secs = (k: string) => (typeof fields[k] === 'number' ? (fields[k] as number) * 1000 : undefined);
  const details: Array<[string, string]> = [];
  const job: FwJob = {
    id: str(fields['jid']) ?? '',
    title: valid ? sidekiqDisplayClass(payload) : null,
    details,
  };
  if (valid) {
    const args = sidekiqDisplayArgs(payload);
    if (args !== undefined) job.args = args;
  } else {
    // As Sidekiq's API: a payload that is not JSON is shown as its own text.
    job.args = payload;
  }
  const queue = str(fields['queue']);
  if (queue !== undefined) job.queue = queue;
  const enqueuedAt = secs('enqueued_at');
  if (enqueuedAt !== undefined) job.enqueuedAt = enqueuedAt;
  const errorClass = str(fields['error_class']);
  if (errorClass !== undefined) job.error = fields['error_message'] !== undefined && fields['error_message'] !== null ? `${errorClass}: ${String(fields['error_message'])}` : errorClass;
  const trace = sidekiqBacktrace(fields['error_backtrace']);
  if (trace) job.trace = trace.join('\n');
  if (typeof fields['retry_count'] === 'number') job.failures = fields['retry_count'] + 1;
  const score = num(where.score);
  if (score !== undefined && (where.set === 'schedule' || where.set === 'retry')) job.dueAt = score * 1000;
  if (score !== undefined && where.set === 'dead') {
    job.endedAt = score * 1000;
    details.push(['Died at', iso(score * 1000)]);
  }
  const klass = str(fields['class']);
  if (klass !== undefined && klass !== job.title) details.push(['Class', klass]);
  const createdAt = secs('created_at');
  if (createdAt !== undefined) details.push(['Created at', iso(createdAt)]);
  const failedAt = secs('failed_at');
  if (failedAt !== undefined) details.push(['Failed at', iso(failedAt)]);
  const retriedAt = secs('retried_at');
  if (retriedAt !== undefined) details.push(['Retried at', iso(retriedAt)]);
  if (fields['retry'] !== undefined) details.push(['Retry', JSON.stringify(fields['retry'])]);
  if (where.member) job.entry = { member: where.member, ...(where.score !== undefined ? { score: where.score } : {}) };
  return job;
}

/** The members of a registry set (`queues`, `processes`), at most {@link SIDEKIQ_REGISTRY_READ}, sorted: SMEMBERS when small, else SSCAN of that set only (never of the keyspace). */
async function registry(client: RedisClient, key: string, size: number): Promise<string[]> {
  if (size <= SIDEKIQ_REGISTRY_READ) return (await client.smembers(key)).sort();
  const out = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await client.sscan(key, cursor, 'COUNT', 500);
    cursor = next;
    for (const m of batch) out.add(m);
  } while (cursor !== '0' && out.size < SIDEKIQ_REGISTRY_READ);
  return [...out].sort();
}

async function serverNowMs(client: RedisClient): Promise<number> {
  const [s, us] = (await client.call('TIME')) as [string, string];
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/** A Sidekiq process as its heartbeat hash says, and the jobs its `:workers` hash holds. */
export interface SidekiqProcess {
  identity: string;
  /** False when its hash is gone (expired 60 s after its last heartbeat): Sidekiq counts it dead. */
  alive: boolean;
  busy: number;
  /** Last heartbeat, ms. */
  beat?: number;
  /** Quiet or stopping (Sidekiq's `quiet` flag, Process#stopping?). */
  quiet: boolean;
  /** No heartbeat for {@link SIDEKIQ_BEAT_TIMEOUT_S} s, or its hash gone. */
  gone: boolean;
  /** thread id → the `:workers` entry ({queue, payload, run_at}), as JSON text. */
  workers: Array<[string, string]>;
}

/** The processes in `<ns>processes` (at most {@link SIDEKIQ_REGISTRY_READ}), their heartbeat and their busy threads' work. */
export async function sidekiqProcesses(client: RedisClient, ns = '', nowMs?: number): Promise<SidekiqProcess[]> {
  const k = sidekiqKeys(ns);
  const [size, now] = await Promise.all([client.scard(k.processes), nowMs ?? serverNowMs(client)]);
  const ids = size ? await registry(client, k.processes, size) : [];
  const [heads, works] = await Promise.all([
    Promise.all(ids.map((id) => client.hmget(k.process(id), 'info', 'busy', 'beat', 'quiet'))),
    Promise.all(ids.map((id) => client.hgetall(k.workers(id)))),
  ]);
  return ids.map((identity, i) => {
    const [info, busy, beat, quiet] = heads[i]!;
    const alive = info !== null;
    const beatMs = beat ? Number(beat) * 1000 : undefined;
    return {
      identity,
      alive,
      busy: Number(busy ?? 0) || 0,
      ...(beatMs !== undefined ? { beat: beatMs } : {}),
      quiet: quiet === 'true',
      gone: !alive || beatMs === undefined || now - beatMs > SIDEKIQ_BEAT_TIMEOUT_S * 1000,
      // As Sidekiq::Workers#each: the work of processes whose hash is gone is not listed.
      workers: alive ? Object.entries(works[i] ?? {}) : [],
    };
  });
}

/** One busy job, as Sidekiq::Workers enumerates it: [process, thread, work], work's payload parsed. */
function busyJob(process: string, thread: string, workText: string): { runAt: number; job: FwJob } {
  const work = (parse(workText) ?? {}) as { queue?: unknown; payload?: unknown; run_at?: unknown };
  // Since 6.0 the payload is kept as the job's JSON text inside the work's JSON.
  const payloadText = typeof work.payload === 'string' ? work.payload : JSON.stringify(work.payload ?? {});
  const job = sidekiqJob(payloadText);
  const runAt = typeof work.run_at === 'number' ? work.run_at : 0;
  job.startedAt = runAt * 1000;
  if (typeof work.queue === 'string') job.queue = work.queue;
  job.details.unshift(['Process', process], ['Thread', thread]);
  return { runAt, job };
}

const state = (s: FwState['state'], label: string, tone: FwState['tone'], count: number, order: string): FwState => ({ state: s, label, tone, count, order });

/** The Sidekiq deployment under namespace `prefix`, or undefined when none of its registry keys is there. */
export async function readSidekiq(client: RedisClient, prefix = ''): Promise<FwDeployment | undefined> {
  const k = sidekiqKeys(prefix);
  const [nQueues, nSchedule, nRetry, nDead, nProcesses, stats, now] = await Promise.all([
    client.scard(k.queues),
    client.zcard(k.schedule),
    client.zcard(k.retry),
    client.zcard(k.dead),
    client.scard(k.processes),
    client.mget(k.processed, k.failed),
    serverNowMs(client),
  ]);
  if (!nQueues && !nSchedule && !nRetry && !nDead && !nProcesses) return undefined;
  const [names, processes] = await Promise.all([nQueues ? registry(client, k.queues, nQueues) : Promise.resolve([]), nProcesses ? sidekiqProcesses(client, prefix, now) : Promise.resolve([])]);
  const shown = names.slice(0, SIDEKIQ_QUEUES_READ);
  const [sizes, oldest] = await Promise.all([Promise.all(shown.map((q) => client.llen(k.queue(q)))), Promise.all(shown.map((q) => client.lindex(k.queue(q), -1)))]);
  const rows: FwRow[] = shown.map((name, i) => {
    const row: FwRow = { framework: 'sidekiq', kind: 'queue', name, key: k.queue(name), states: [state('enqueued', 'Enqueued', 'waiting', sizes[i]!, 'next job on top')], marks: [], notes: [] };
    // Queue#latency: now − enqueued_at of the job at the right end (the next one BRPOPped).
    const at = oldest[i] ? num(textAt(oldest[i]!, ['enqueued_at']) ?? undefined) : undefined;
    if (at !== undefined) {
      row.oldestWaitingAt = at * 1000;
      row.notes.push(`Latency ${Math.max(0, (now - at * 1000) / 1000).toFixed(1)} s (Sidekiq::Queue#latency)`);
    }
    return row;
  });
  const setSizes: Record<SidekiqSet, number> = { schedule: nSchedule, retry: nRetry, dead: nDead };
  for (const set of Object.keys(SIDEKIQ_SETS) as SidekiqSet[]) {
    const d = SIDEKIQ_SETS[set];
    const n = setSizes[set];
    // Their count is their figure; the explorer marks a non-empty Retries or Dead by its tone.
    const marks: string[] = [];
    rows.push({ framework: 'sidekiq', kind: 'set', name: d.title, key: k[set], states: [state(d.state, d.title, d.tone, n, d.order)], marks, notes: [] });
  }
  const busy = processes.reduce((s, p) => s + p.busy, 0);
  const gone = processes.filter((p) => p.gone);
  const quiet = processes.filter((p) => p.quiet && !p.gone);
  const runAts = processes.flatMap((p) => p.workers.map(([, w]) => (parse(w) as { run_at?: unknown } | undefined)?.run_at)).filter((x): x is number => typeof x === 'number');
  const busyRow: FwRow = { framework: 'sidekiq', kind: 'set', name: 'Busy', key: k.processes, states: [state('busy', 'Busy', 'running', busy, 'longest running on top')], marks: [], notes: [] };
  if (runAts.length) busyRow.oldestRunningAt = Math.min(...runAts) * 1000;
  if (gone.length) {
    busyRow.marks.push(`${gone.length} ${gone.length === 1 ? 'process' : 'processes'} gone`);
    busyRow.notes.push(`No heartbeat for ${SIDEKIQ_BEAT_TIMEOUT_S} s: ${gone.map((p) => p.identity).join(', ')} (Sidekiq counts them dead; the jobs they held were not acknowledged)`);
  }
  if (quiet.length) busyRow.notes.push(`Quiet or stopping: ${quiet.map((p) => p.identity).join(', ')}`);
  rows.push(busyRow);
  const figures: Array<[string, string]> = [
    ['Processed', String(Number(stats[0] ?? 0) || 0)],
    ['Failed', String(Number(stats[1] ?? 0) || 0)],
    ['Processes', [String(nProcesses), quiet.length ? `${quiet.length} quiet` : '', gone.length ? `${gone.length} gone` : ''].filter(Boolean).join(', ')],
    ['Busy', String(busy)],
    ['Enqueued', String(sizes.reduce((a, b) => a + b, 0)) + (names.length > shown.length || nQueues > names.length ? ' (in the queues shown)' : '')],
  ];
  if (nQueues > shown.length) figures.push(['Queues', `${shown.length} of ${nQueues} shown (the first by name)`]);
  return { framework: 'sidekiq', label: 'Sidekiq', prefix, rows, figures };
}

/** The namespace of a row (its key without the part Sidekiq names). */
function nsOf(row: FwRow): string {
  const tail = row.kind === 'queue' ? `queue:${row.name}` : row.name === 'Busy' ? 'processes' : (Object.keys(SIDEKIQ_SETS) as SidekiqSet[]).find((s) => SIDEKIQ_SETS[s].title === row.name)!;
  return row.key.slice(0, row.key.length - tail.length);
}

/**
 * A page of a row's jobs: a queue next first (from the right end), Scheduled and Retries soonest
 * first, Dead newest first, Busy longest running first. Each set job carries its exact member and
 * score (`entry`), which the actions need to find it byte for byte.
 */
export async function sidekiqJobs(client: RedisClient, row: FwRow, _state?: string, { start = 0, count = 50 }: { start?: number; count?: number } = {}): Promise<{ jobs: FwJob[]; total: number }> {
  const end = start + count - 1;
  if (row.kind === 'queue') {
    const [items, total] = await Promise.all([client.lrangeBuffer(row.key, -(end + 1), -(start + 1)), client.llen(row.key)]);
    return { jobs: items.reverse().map((b) => sidekiqJob(b.toString('utf8'), { member: b })), total };
  }
  if (row.name === 'Busy') {
    const all = (await sidekiqProcesses(client, nsOf(row))).flatMap((p) => p.workers.map(([tid, w]) => busyJob(p.identity, tid, w)));
    all.sort((a, b) => a.runAt - b.runAt);
    return { jobs: all.slice(start, end + 1).map((x) => x.job), total: all.length };
  }
  const set = (Object.keys(SIDEKIQ_SETS) as SidekiqSet[]).find((s) => SIDEKIQ_SETS[s].title === row.name)!;
  const [flat, total] = await Promise.all([
    set === 'dead' ? client.zrevrangeBuffer(row.key, String(start), String(end), 'WITHSCORES') : client.zrangeBuffer(row.key, String(start), String(end), 'WITHSCORES'),
    client.zcard(row.key),
  ]);
  const jobs: FwJob[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) jobs.push(sidekiqJob(flat[i]!.toString('utf8'), { set, score: flat[i + 1]!.toString(), member: flat[i]! }));
  return { jobs, total };
}

/** Sidekiq as the explorer reads it. */
export const sidekiqReader: FrameworkReader = {
  framework: 'sidekiq',
  label: 'Sidekiq',
  read: readSidekiq,
  jobs: sidekiqJobs,
};
