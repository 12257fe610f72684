/**
 * RQ (Python's Redis Queue, 1.x) as RQ sees it, read straight from its key layout (read-only: no
 * script, no cleanup, nothing written). With the default prefix `rq:`:
 *
 *     rq:queues                  set: the keys of every queue (`rq:queue:<name>`): how RQ is found
 *     rq:queue:<name>            list: queued job ids (enqueue RPUSHes, workers LPOP/BLPOP: next on the left)
 *     rq:wip:<name>              sorted set: StartedJobRegistry, scored by when the entry expires
 *     rq:scheduled:<name>        sorted set: ScheduledJobRegistry, scored by when the job is due (s)
 *     rq:deferred:<name>         sorted set: DeferredJobRegistry (waiting for the jobs it depends on)
 *     rq:finished:<name>, rq:failed:<name>   sorted sets scored by expiry (ended + result/failure ttl)
 *     rq:canceled:<name>         sorted set: CanceledJobRegistry
 *     rq:job:<id>                hash: description, status, origin, timestamps (UTC ISO), data (pickled, zlib)
 *     rq:results:<id>            stream (RQ 1.12+ on Redis 5+): results; a failure's exc_string is base64(zlib(text))
 *     rq:workers, rq:worker:<name>   set and hashes of the workers (state, current_job, birth, last_heartbeat)
 *
 * Counting as RQ does without writing: RQ's `len(registry)` first runs the registry's cleanup,
 * which for started, finished and failed removes the entries scored in [0, now] (now: whole
 * seconds, as `current_timestamp()`); started ones are moved to failed (abandoned: their worker
 * stopped renewing them). So their count is ZCARD minus ZCOUNT [0, now], and their pages list only
 * the entries outside [0, now], which is exactly what RQ's count and get_job_ids return. The
 * expired started entries are shown apart as `abandoned` (RQ's cleanup has not moved them yet).
 * Scheduled, deferred and canceled have no cleanup: ZCARD. Queued is LLEN (Queue.count).
 */
import { inflateSync } from 'node:zlib';
import type { RedisClient } from '../redis/connection';
import type { FrameworkReader, FwDeployment, FwJob, FwRow, FwState, StateTone } from './framework';

/** RQ's states, as its API (Job.get_status, the registries) and rq-dashboard name them. */
export const RQ_STATES = ['queued', 'started', 'scheduled', 'deferred', 'finished', 'failed', 'canceled'] as const;
export type RqState = (typeof RQ_STATES)[number] | 'abandoned';

/** How many queues are read (the first, sorted by name). */
export const RQ_MAX_QUEUES = 200;
/** Members of `rq:queues` or `rq:workers` read at most (a set larger than this is read in part, and said so). */
const MAX_SET_READ = 10_000;

/** The keys of RQ's layout under a prefix (`rq:` unless RQ's classes were subclassed with another). */
export function rqKeys(prefix = 'rq:') {
  return {
    prefix,
    queues: `${prefix}queues`,
    workers: `${prefix}workers`,
    worker: (name: string) => `${prefix}worker:${name}`,
    queue: (q: string) => `${prefix}queue:${q}`,
    registry: (state: Exclude<RqState, 'queued' | 'abandoned'>, q: string) => `${prefix}${state === 'started' ? 'wip' : state}:${q}`,
    job: (id: string) => `${prefix}job:${id}`,
    results: (id: string) => `${prefix}results:${id}`,
    dependents: (id: string) => `${prefix}job:${id}:dependents`,
    // RQ 1.x builds it as '{0}:{1}:dependencies'.format('rq:job:', id): two colons.
    dependencies: (id: string) => `${prefix}job::${id}:dependencies`,
  };
}
export type RqKeys = ReturnType<typeof rqKeys>;

const META: Record<RqState, { label: string; tone: StateTone; order: string }> = {
  queued: { label: 'Queued', tone: 'waiting', order: 'next job on top' },
  started: { label: 'Started', tone: 'running', order: 'oldest on top' },
  abandoned: { label: 'Abandoned', tone: 'dead', order: 'oldest on top' },
  scheduled: { label: 'Scheduled', tone: 'later', order: 'soonest on top' },
  deferred: { label: 'Deferred', tone: 'later', order: 'oldest on top' },
  finished: { label: 'Finished', tone: 'done', order: 'newest on top' },
  failed: { label: 'Failed', tone: 'failed', order: 'newest on top' },
  canceled: { label: 'Canceled', tone: 'done', order: 'oldest on top' },
};
/** Registries whose count and listing RQ cleans first (entries scored in [0, now] drop out). */
const CLEANED: ReadonlySet<RqState> = new Set(['started', 'finished', 'failed']);

/** RQ's `utcformat` (`2024-05-01T12:00:00.123456Z`, or without the fraction) → ms; undefined when empty or not that. */
export function rqTime(v: string | undefined): number | undefined {
  const m = v ? /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z?$/.exec(v) : null;
  if (!m) return undefined;
  const us = Number((m[7] ?? '').padEnd(6, '0'));
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) + Math.floor(us / 1000);
}

/** zlib-compressed text (RQ's exc_info, a result's exc_string) → text; the bytes as UTF-8 when they are not zlib (RQ falls back so too). */
export function rqInflate(b: Buffer): string {
  try {
    return inflateSync(b).toString('utf8');
  } catch {
    return b.toString('utf8');
  }
}

/** The server's clock in whole seconds, as RQ's `current_timestamp()` counts (one clock for every reader). */
async function nowSeconds(client: RedisClient): Promise<number> {
  const [s] = (await client.call('TIME')) as [string, string];
  return Number(s);
}

async function readSet(client: RedisClient, key: string, size: number): Promise<string[]> {
  if (size <= MAX_SET_READ) return client.smembers(key);
  // Larger than a page: read part of it with SSCAN on this one set (not a keyspace walk).
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.sscan(key, cursor, 'COUNT', 1000);
    out.push(...batch);
    cursor = next;
  } while (cursor !== '0' && out.length < MAX_SET_READ);
  return out;
}

/** Counts of one queue's states as RQ's API counts them (see the file's comment), and the abandoned started entries. */
export async function rqCounts(client: RedisClient, keys: RqKeys, queue: string, now: number): Promise<Record<RqState, number>> {
  const zs = RQ_STATES.filter((s) => s !== 'queued') as Exclude<RqState, 'queued' | 'abandoned'>[];
  const [llen, cards, expired] = await Promise.all([
    client.llen(keys.queue(queue)),
    Promise.all(zs.map((s) => client.zcard(keys.registry(s, queue)))),
    Promise.all(zs.map((s) => (CLEANED.has(s) ? client.zcount(keys.registry(s, queue), 0, now) : Promise.resolve(0)))),
  ]);
  const out = { queued: llen, abandoned: expired[zs.indexOf('started')]! } as Record<RqState, number>;
  zs.forEach((s, i) => (out[s] = cards[i]! - expired[i]!));
  return out;
}

/** One queue's row: counts, the abandoned mark, when the next queued job was enqueued and when the oldest started one started. */
async function rqRow(client: RedisClient, keys: RqKeys, queue: string, now: number): Promise<FwRow> {
  const [counts, next, oldest] = await Promise.all([
    rqCounts(client, keys, queue, now),
    client.lindex(keys.queue(queue), 0),
    client.zrangebyscore(keys.registry('started', queue), `(${now}`, '+inf', 'LIMIT', 0, 1),
  ]);
  const [waitingAt, runningAt] = await Promise.all([
    next ? client.hget(keys.job(next), 'enqueued_at') : Promise.resolve(null),
    oldest[0] ? client.hget(keys.job(oldest[0]), 'started_at') : Promise.resolve(null),
  ]);
  const states: FwState[] = RQ_STATES.map((s) => ({ state: s, ...META[s], count: counts[s] }));
  const marks: string[] = [];
  const notes: string[] = [];
  if (counts.abandoned) {
    states.splice(2, 0, { state: 'abandoned', ...META.abandoned, count: counts.abandoned });
    marks.push(`${counts.abandoned} ABANDONED`);
    notes.push(`ABANDONED: started jobs whose entry in ${keys.registry('started', queue)} has expired (their worker stopped its heartbeat: it is gone or stuck). RQ counts them in no state; its next cleanup of the started registry moves them to failed (or back to queued if they have retries left).`);
  }
  const waiting = rqTime(waitingAt ?? undefined);
  const running = rqTime(runningAt ?? undefined);
  return {
    framework: 'rq',
    kind: 'queue',
    name: queue,
    key: keys.queue(queue),
    states,
    ...(waiting !== undefined ? { oldestWaitingAt: waiting } : {}),
    ...(running !== undefined ? { oldestRunningAt: running } : {}),
    marks,
    notes,
  };
}

/** The workers RQ's Worker.all() would list (members of `rq:workers` whose hash exists), and how many are busy. */
export async function rqWorkers(client: RedisClient, keys: RqKeys): Promise<{ count: number; busy: number; partial: boolean }> {
  const size = await client.scard(keys.workers);
  const members = await readSet(client, keys.workers, size);
  const states = await Promise.all(members.map((k) => client.hmget(k, 'state', 'birth')));
  const alive = states.filter(([, birth]) => birth !== null);
  return { count: alive.length, busy: alive.filter(([state]) => state === 'busy').length, partial: members.length < size };
}

/** RQ's deployment under `prefix`: found from its `queues` set; undefined when that set is absent or empty. */
export async function readRq(client: RedisClient, prefix = 'rq:'): Promise<FwDeployment | undefined> {
  const keys = rqKeys(prefix);
  let size: number;
  try {
    size = await client.scard(keys.queues);
  } catch {
    return undefined; // a key of that name that is not a set: not RQ's
  }
  if (!size) return undefined;
  const qp = keys.queue('');
  const names = (await readSet(client, keys.queues, size))
    .filter((k) => k.startsWith(qp) && k.length > qp.length)
    .map((k) => k.slice(qp.length))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const now = await nowSeconds(client);
  const shown = names.slice(0, RQ_MAX_QUEUES);
  const [rows, workers] = await Promise.all([Promise.all(shown.map((q) => rqRow(client, keys, q, now))), rqWorkers(client, keys)]);
  const figures: Array<[string, string]> = [
    ['workers', `${workers.count}${workers.partial ? '+' : ''} (busy ${workers.busy})`],
    ['queues', String(size)],
  ];
  if (size > shown.length) figures.push(['queues not shown', `${size - shown.length} more (the first ${shown.length} by name are shown)`]);
  return { framework: 'rq', label: 'RQ', prefix, rows, figures };
}

/** A job's fields from its hash (read as Buffers: `data` and `exc_info` are zlib bytes) and the newest entry of its results stream. */
export function rqJobOf(id: string, h: Record<string, Buffer>, latest: [string, Buffer[]] | undefined, row?: { name: string }): FwJob {
  if (!Object.keys(h).length) return { id, title: null, details: [] };
  const s = (f: string) => (h[f] && h[f].length ? h[f].toString('utf8') : undefined);
  const description = s('description');
  const fields = new Map<string, Buffer>();
  if (latest) for (let i = 0; i + 1 < latest[1].length; i += 2) fields.set(latest[1][i]!.toString(), latest[1][i + 1]!);
  // As Job.exc_info: the newest result's exc_string when that result is a failure (type 2), else the hash's exc_info.
  let trace: string | undefined;
  if (latest && fields.get('type')?.toString() === '2') {
    const e = fields.get('exc_string');
    trace = e && e.length ? rqInflate(Buffer.from(e.toString(), 'base64')) : undefined;
  } else if (h['exc_info'] && h['exc_info'].length) {
    trace = rqInflate(h['exc_info']);
  }
  if (trace === '') trace = undefined;
  const error = trace
    ?.split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .at(-1);
  const origin = s('origin');
  const details: Array<[string, string]> = [];
  const add = (label: string, v: string | undefined) => v !== undefined && details.push([label, v]);
  add('status', s('status'));
  add('origin', origin);
  add('created at', s('created_at'));
  add('worker', s('worker_name'));
  add('timeout', s('timeout'));
  add('retries left', s('retries_left'));
  add('last heartbeat', s('last_heartbeat'));
  add('depends on', s('dependency_ids'));
  add('result ttl', s('result_ttl'));
  add('failure ttl', s('failure_ttl'));
  if (h['meta']?.length) add('meta', `pickled, ${h['meta'].length} bytes`);
  const t = (f: string) => rqTime(s(f));
  const job: FwJob = {
    id,
    // The function RQ calls: its description starts with it (`tasks.send(1, 'a')`); the pickled data is not decoded.
    title: description ? (/^([^\s(]+)\(/.exec(description)?.[1] ?? description) : '',
    ...(description !== undefined ? { args: description } : {}),
    ...(error !== undefined ? { error, trace } : {}),
    ...(t('enqueued_at') !== undefined ? { enqueuedAt: t('enqueued_at') } : {}),
    ...(t('started_at') !== undefined ? { startedAt: t('started_at') } : {}),
    ...(t('ended_at') !== undefined ? { endedAt: t('ended_at') } : {}),
    ...(row && origin && origin !== row.name ? { queue: origin } : {}),
    details,
  };
  return job;
}

type Seg = [min: string, max: string];

/** A page of ids from a registry across score segments, in order (asc or desc), with the segments' total. */
async function segmentPage(client: RedisClient, key: string, segs: Seg[], desc: boolean, start: number, count: number): Promise<{ ids: string[]; scores: number[]; total: number }> {
  const counts = await Promise.all(segs.map(([min, max]) => client.zcount(key, min, max)));
  const total = counts.reduce((a, b) => a + b, 0);
  const reads: Promise<string[]>[] = [];
  let skip = start;
  let want = count;
  segs.forEach(([min, max], i) => {
    const c = counts[i]!;
    if (want <= 0 || skip >= c) {
      skip = Math.max(0, skip - c);
      return;
    }
    const n = Math.min(want, c - skip);
    reads.push(desc ? client.zrevrangebyscore(key, max, min, 'WITHSCORES', 'LIMIT', skip, n) : client.zrangebyscore(key, min, max, 'WITHSCORES', 'LIMIT', skip, n));
    want -= n;
    skip = 0;
  });
  const flat = (await Promise.all(reads)).flat();
  const ids: string[] = [];
  const scores: number[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    ids.push(flat[i]!);
    scores.push(Number(flat[i + 1]));
  }
  return { ids, scores, total };
}

/**
 * A page of a queue's jobs in a state, in RQ's order where it has one: queued next first (RQ's
 * get_job_ids), started, abandoned, deferred and canceled as RQ lists them (by score), scheduled
 * soonest first, finished and failed newest first (RQ's order reversed). Bounded by `count`.
 */
export async function rqJobs(client: RedisClient, row: Pick<FwRow, 'name' | 'key'>, state: string, { start = 0, count = 100 }: { start?: number; count?: number } = {}): Promise<{ jobs: FwJob[]; total: number }> {
  const keys = rqKeys(row.key.slice(0, row.key.length - `queue:${row.name}`.length));
  const q = row.name;
  let ids: string[];
  let total: number;
  let dues: number[] | undefined;
  if (state === 'queued') {
    [ids, total] = await Promise.all([client.lrange(keys.queue(q), start, start + count - 1), client.llen(keys.queue(q))]);
  } else {
    if (!(RQ_STATES as readonly string[]).includes(state) && state !== 'abandoned') throw new Error(`RQ has no state "${state}"`);
    const reg = keys.registry(state === 'abandoned' ? 'started' : (state as Exclude<RqState, 'queued' | 'abandoned'>), q);
    const now = CLEANED.has(state as RqState) || state === 'abandoned' ? await nowSeconds(client) : 0;
    // RQ's cleanup removes [0, now]: what is left is below 0 (negative ttls) or above now.
    const segs: Seg[] = state === 'abandoned' ? [['0', String(now)]] : CLEANED.has(state as RqState) ? [['-inf', '(0'], [`(${now}`, '+inf']] : [['-inf', '+inf']];
    const desc = state === 'finished' || state === 'failed';
    const page = await segmentPage(client, reg, desc ? [...segs].reverse() : segs, desc, start, count);
    ({ ids, total } = page);
    if (state === 'scheduled') dues = page.scores.map((x) => x * 1000);
  }
  const [hashes, results] = await Promise.all([
    Promise.all(ids.map((id) => client.hgetallBuffer(keys.job(id)) as Promise<Record<string, Buffer>>)),
    Promise.all(ids.map((id) => (client.xrevrangeBuffer(keys.results(id), '+', '-', 'COUNT', 1) as Promise<[Buffer, Buffer[]][]>).catch(() => []))),
  ]);
  const jobs = ids.map((id, i) => {
    const r = results[i]![0];
    const job = rqJobOf(id, hashes[i] ?? {}, r ? [r[0].toString(), r[1]] : undefined, row);
    if (dues && job.title !== null) job.dueAt = dues[i]!;
    return job;
  });
  return { jobs, total };
}

/** RQ as the explorer and inspect read it. */
export const rqReader: FrameworkReader = {
  framework: 'rq',
  label: 'RQ',
  read: (client, prefix) => readRq(client, prefix ?? 'rq:'),
  jobs: (client, row, state, page) => rqJobs(client, row, state, page),
};
