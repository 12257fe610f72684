/**
 * What Sidekiq Web offers on its sorted sets, each job moved by one Lua script (atomic: the job is
 * in its set or where it went, never both, never neither). A job is identified as Sidekiq's
 * SortedEntry identifies it: its exact member bytes and its score; the payload pushed is those
 * bytes with only the changes Sidekiq 6.4.1 itself makes, each spliced in place:
 *
 * - Retry now (SortedEntry#retry, Retries or Dead): `retry_count` − 1, then Client.push.
 * - Add to queue (SortedEntry#add_to_queue, Scheduled): Client.push.
 * - Client.push (normalize_item, atomic_push): missing `retry`/`queue` defaults (`true`,
 *   `"default"`) first, `created_at` if missing, `enqueued_at` = now (replaced in place, or
 *   appended); SADD `queues`, LPUSH `queue:<name>`. Every other byte (args included) is kept.
 * - Kill (SortedEntry#kill → DeadSet#kill, Retries or Scheduled): the member as is into `dead`
 *   scored now, then Sidekiq's own trims: scores older than `dead_timeout_in_seconds` and all but
 *   the newest `dead_max_jobs` − 1 by rank (ZREMRANGEBYRANK 0 −max, as Sidekiq does). Sidekiq's
 *   death handlers (code in the app's process) are not run.
 * - Delete (SortedEntry#delete): ZREM.
 *
 * Client middleware of the app (which Sidekiq Web's process would run on push) cannot run here.
 */
import type { RedisClient } from '../redis/connection';
import { define, runScript } from '../queue/lua';
import { LUA_SIDEKIQ_DELETE, LUA_SIDEKIQ_KILL, LUA_SIDEKIQ_PUSH } from '../queue/luaSources.generated';
import { type FwAction, fwActionResult, type FwJob, type FwRow } from './framework';
import { SIDEKIQ_SETS, type SidekiqSet, sidekiqKeys } from './sidekiq';
import { objectMembers } from './sidekiqJson';

/** Sidekiq's defaults (Sidekiq.options): dead_max_jobs and dead_timeout_in_seconds (6 months). */
export const SIDEKIQ_DEAD_MAX_JOBS = 10_000;
export const SIDEKIQ_DEAD_TIMEOUT_S = 180 * 24 * 60 * 60;

/** A job in a sorted set, as read (FwJob.entry): its jid, exact member and score as Redis returned it. */
export interface SidekiqEntryRef {
  id: string;
  member: Buffer;
  score: string;
}

/** What an action did with one job. */
export interface SidekiqOutcome {
  id: string;
  outcome: 'enqueued' | 'killed' | 'deleted' | 'skipped';
  /** Where the job is now: `queue mailers`, `Dead`, `in Dead`, `no longer in Retries`, or why it was not touched. */
  now?: string;
}

/**
 * Push (retry now, add to queue): ZREM the entry, SADD the queue name, LPUSH the payload (ARGV[4..]
 * joined with the server's time between them: enqueued_at, and created_at if it was missing).
 * KEYS[1] the set, KEYS[2] queue:<name>, KEYS[3] queues, KEYS[4..] the other sets (to say where a
 * moved job is). ARGV[1] member, ARGV[2] score, ARGV[3] queue name. Returns {1, now} or {0, where}.
 */
export const SIDEKIQ_PUSH = define('sidekiqPush', LUA_SIDEKIQ_PUSH);

/**
 * Kill: the entry moved as is to the dead set scored now, then the dead set trimmed as
 * DeadSet#kill trims it. KEYS[1] the set, KEYS[2] dead, KEYS[3..] the other sets. ARGV[1] member,
 * ARGV[2] score, ARGV[3] dead_timeout_in_seconds, ARGV[4] dead_max_jobs. Returns {1, now, trimmed} or {0, where}.
 */
export const SIDEKIQ_KILL = define('sidekiqKill', LUA_SIDEKIQ_KILL);

/** Delete: ZREM of the entry. KEYS[1] the set, KEYS[2..] the other sets. ARGV[1] member, ARGV[2] score. Returns {1} or {0, where}. */
export const SIDEKIQ_DELETE = define('sidekiqDelete', LUA_SIDEKIQ_DELETE);

/**
 * The payload Sidekiq's Client.push would write for `member` (with `retry_count` − 1 when
 * `retry`), as pieces to join with the push time, and its queue; only the changed values' bytes
 * differ. Throws when the member is not a Sidekiq job (JSON object with class, args and jid).
 */
export function sidekiqPushPayload(member: Buffer, retry: boolean): { pieces: Buffer[]; queue: string } {
  // latin1: one char per byte, so offsets are byte offsets (see sidekiqJson.ts).
  const s = member.toString('latin1');
  const ms = objectMembers(s);
  const text = (key: string) => {
    const m = ms.find((x) => x.key === key);
    return m ? member.subarray(m.start, m.end).toString('utf8') : undefined;
  };
  if (!ms.some((m) => m.key === 'class') || !text('args')?.startsWith('[') || !ms.some((m) => m.key === 'jid')) throw new Error('not a Sidekiq job (class, args and jid)');
  const queueText = text('queue');
  const queue = queueText === undefined ? 'default' : (JSON.parse(queueText) as unknown);
  if (typeof queue !== 'string' || queue === '') throw new Error('the job has no valid queue');
  const edits: Array<{ start: number; end: number; text: string | null }> = [];
  const missing = [ms.some((m) => m.key === 'retry') ? '' : '"retry":true,', queueText === undefined ? '"queue":"default",' : ''].join('');
  // normalize_item: defaults.merge(item) puts missing defaults first.
  const open = s.indexOf('{') + 1;
  if (missing) edits.push({ start: open, end: open, text: missing });
  const rc = ms.find((m) => m.key === 'retry_count');
  if (retry && rc) {
    const t = s.slice(rc.start, rc.end);
    if (/^-?\d+$/.test(t)) edits.push({ start: rc.start, end: rc.end, text: String(BigInt(t) - 1n) });
    else if (t !== 'null' && t !== 'false') edits.push({ start: rc.start, end: rc.end, text: String(Number(t) - 1) });
  }
  const close = s.lastIndexOf('}');
  if (!ms.some((m) => m.key === 'created_at')) edits.push({ start: close, end: close, text: ',"created_at":' }, { start: close, end: close, text: null });
  const ea = ms.find((m) => m.key === 'enqueued_at');
  if (ea) edits.push({ start: ea.start, end: ea.end, text: null });
  else edits.push({ start: close, end: close, text: ',"enqueued_at":' }, { start: close, end: close, text: null });
  edits.sort((a, b) => a.start - b.start);
  const pieces: Buffer[] = [];
  let cur: Buffer[] = [];
  let at = 0;
  for (const e of edits) {
    cur.push(member.subarray(at, e.start));
    if (e.text === null) {
      // The push time goes here.
      pieces.push(Buffer.concat(cur));
      cur = [];
    } else cur.push(Buffer.from(e.text, 'utf8'));
    at = e.end;
  }
  cur.push(member.subarray(at));
  pieces.push(Buffer.concat(cur));
  return { pieces, queue };
}

const SET_NAMES = Object.keys(SIDEKIQ_SETS) as SidekiqSet[];

function skipped(id: string, reply: unknown, from: SidekiqSet, keys: string[]): SidekiqOutcome {
  const where = String((reply as Buffer[])[1]);
  const title = SIDEKIQ_SETS[from].title;
  if (where.startsWith('in:')) {
    const key = keys[Number(where.slice(3)) - 1]!;
    const set = SET_NAMES.find((s) => key === `${key.slice(0, key.length - s.length)}${s}`);
    return { id, outcome: 'skipped', now: `in ${set ? SIDEKIQ_SETS[set].title : key}` };
  }
  if (where.startsWith('rescored:')) return { id, outcome: 'skipped', now: `rescheduled in ${title} (score ${where.slice(9)})` };
  return { id, outcome: 'skipped', now: `no longer in ${title}` };
}

type Entries = readonly SidekiqEntryRef[];

async function pushEach(client: RedisClient, from: SidekiqSet, entries: Entries, retry: boolean, ns: string): Promise<SidekiqOutcome[]> {
  const k = sidekiqKeys(ns);
  const others = SET_NAMES.filter((s) => s !== from).map((s) => k[s]);
  const out: SidekiqOutcome[] = [];
  for (const e of entries) {
    let p: ReturnType<typeof sidekiqPushPayload>;
    try {
      p = sidekiqPushPayload(e.member, retry);
    } catch (err) {
      out.push({ id: e.id, outcome: 'skipped', now: (err as Error).message });
      continue;
    }
    const keys = [k[from], k.queue(p.queue), k.queues, ...others];
    const r = (await runScript(client, SIDEKIQ_PUSH, keys, [e.member, e.score, p.queue, ...p.pieces])) as unknown[];
    out.push(Number(r[0]) === 1 ? { id: e.id, outcome: 'enqueued', now: `queue ${p.queue}` } : skipped(e.id, r, from, keys));
  }
  return out;
}

/** Retry now (Sidekiq Web on Retries or Dead): each job to its queue, retry_count − 1, as SortedEntry#retry. */
export function sidekiqRetryNow(client: RedisClient, from: 'retry' | 'dead', entries: Entries, ns = ''): Promise<SidekiqOutcome[]> {
  return pushEach(client, from, entries, true, ns);
}

/** Add to queue (Sidekiq Web on Scheduled): each job to its queue now, as SortedEntry#add_to_queue. */
export function sidekiqAddToQueue(client: RedisClient, entries: Entries, ns = ''): Promise<SidekiqOutcome[]> {
  return pushEach(client, 'schedule', entries, false, ns);
}

/** Kill (Retries or Scheduled): each job, bytes unchanged, to the dead set, as SortedEntry#kill; Sidekiq's trims applied. */
export async function sidekiqKill(client: RedisClient, from: 'retry' | 'schedule', entries: Entries, ns = '', limits = { maxJobs: SIDEKIQ_DEAD_MAX_JOBS, timeoutS: SIDEKIQ_DEAD_TIMEOUT_S }): Promise<SidekiqOutcome[]> {
  const k = sidekiqKeys(ns);
  const keys = [k[from], k.dead, ...SET_NAMES.filter((s) => s !== from && s !== 'dead').map((s) => k[s])];
  const out: SidekiqOutcome[] = [];
  for (const e of entries) {
    const r = (await runScript(client, SIDEKIQ_KILL, keys, [e.member, e.score, limits.timeoutS, limits.maxJobs])) as unknown[];
    const trimmed = Number(r[2] ?? 0);
    out.push(Number(r[0]) === 1 ? { id: e.id, outcome: 'killed', now: trimmed ? `Dead (${trimmed} oldest dead trimmed, as Sidekiq trims)` : 'Dead' } : skipped(e.id, r, from, keys));
  }
  return out;
}

/** Delete (any of the three sets): ZREM of each entry, as SortedEntry#delete. */
export async function sidekiqDelete(client: RedisClient, from: SidekiqSet, entries: Entries, ns = ''): Promise<SidekiqOutcome[]> {
  const k = sidekiqKeys(ns);
  const keys = [k[from], ...SET_NAMES.filter((s) => s !== from).map((s) => k[s])];
  const out: SidekiqOutcome[] = [];
  for (const e of entries) {
    const r = (await runScript(client, SIDEKIQ_DELETE, keys, [e.member, e.score])) as unknown[];
    out.push(Number(r[0]) === 1 ? { id: e.id, outcome: 'deleted' } : skipped(e.id, r, from, keys));
  }
  return out;
}

/** A Sidekiq job row's sorted-set entry (its exact member and score) and the namespace of its set. */
function sidekiqEntries(row: FwRow, jobs: FwJob[]): { ns: string; entries: SidekiqEntryRef[] } {
  const set = SET_NAMES.find((x) => row.key.endsWith(x));
  if (row.kind !== 'set' || !set) throw new Error(`${row.name} is not one of Sidekiq's sets`);
  return {
    ns: row.key.slice(0, row.key.length - set.length),
    entries: jobs.map((j) => {
      if (!j.entry?.member || j.entry.score === undefined) throw new Error(`Sidekiq job ${j.id} was listed without its entry: refresh the tree`);
      return { id: j.id, member: j.entry.member, score: j.entry.score };
    }),
  };
}

/** A Sidekiq Web action on the listed jobs of a set: `act` on their entries in the row's namespace, its outcomes as one result. */
function sidekiqAction(a: Omit<FwAction, 'run'>, act: (client: RedisClient, state: string, entries: Entries, ns: string) => Promise<SidekiqOutcome[]>): FwAction {
  return {
    ...a,
    run: async (client, row, state, jobs) => {
      const { ns, entries } = sidekiqEntries(row, jobs);
      return fwActionResult(await act(client, state, entries, ns));
    },
  };
}

/** The actions to register for Sidekiq: Sidekiq Web's Retry Now, Add to Queue, Kill and Delete. */
export const sidekiqActions: readonly FwAction[] = [
  sidekiqAction(
    {
      name: 'retry',
      title: 'Retry Now',
      past: 'Retried',
      detail: "As Sidekiq Web's Retry Now: each job leaves the set and is pushed to its queue now (its retry count one less, as Sidekiq does); a Sidekiq process runs it next.",
      states: ['retry', 'dead'],
    },
    (client, state, entries, ns) => sidekiqRetryNow(client, state as 'retry' | 'dead', entries, ns),
  ),
  sidekiqAction(
    {
      name: 'addToQueue',
      title: 'Add to Queue',
      past: 'Added to their queues',
      detail: "As Sidekiq Web's Add to Queue: each scheduled job leaves the schedule and is pushed to its queue now, to run without waiting for its time.",
      states: ['scheduled'],
    },
    (client, _state, entries, ns) => sidekiqAddToQueue(client, entries, ns),
  ),
  sidekiqAction(
    {
      name: 'kill',
      title: 'Kill',
      past: 'Killed',
      detail: "As Sidekiq Web's Kill: each job moves to Dead as it is (Sidekiq keeps at most 10,000 dead jobs for 6 months, and drops the oldest beyond that); it is not run again unless retried from there.",
      states: ['retry', 'scheduled'],
    },
    (client, state, entries, ns) => sidekiqKill(client, state === 'retry' ? 'retry' : 'schedule', entries, ns),
  ),
  sidekiqAction(
    {
      name: 'delete',
      title: 'Delete',
      past: 'Deleted',
      detail: "As Sidekiq Web's Delete: each job is removed from the set, and is gone. This cannot be undone.",
      states: ['retry', 'scheduled', 'dead'],
    },
    (client, state, entries, ns) => sidekiqDelete(client, state === 'scheduled' ? 'schedule' : (state as 'retry' | 'dead'), entries, ns),
  ),
];
