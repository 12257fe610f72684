/**
 * The frameworks read from their key layouts, and the keys that tell each is there under a
 * prefix (its own registry of queues and sets): one EXISTS of these per prefix finds them,
 * never a walk.
 */
import type { RedisClient } from '../connection';
import type { FrameworkName, FrameworkReader, FwAction, FwActionResult, FwDeployment, FwJob, FwRow } from './framework';
import { rqKeys, rqReader } from './rq';
import { deleteRqJobs, requeueRqFailed } from './rqActions';
import { CELERY_DEFAULT_QUEUES, celeryReader, markers as celeryMarkers } from './celery';
import { celeryActions, celeryRequeueWith } from './celeryActions';
import { SIDEKIQ_SETS, sidekiqKeys, sidekiqReader } from './sidekiq';
import { type SidekiqEntryRef, sidekiqAddToQueue, sidekiqDelete, sidekiqKill, sidekiqRetryNow } from './sidekiqActions';

export interface FrameworkEntry {
  reader: FrameworkReader;
  /** The prefix the framework uses when not told otherwise. */
  defaultPrefix: string;
  /** Keys, each with the type the framework gives it, of which any one there with that type means the framework is there under `prefix` (a key merely named `queues` is not Sidekiq's). */
  markers(prefix: string): Array<[key: string, type: 'set' | 'zset' | 'list' | 'hash']>;
  /** The actions its own dashboard offers on jobs. */
  actions: readonly FwAction[];
}

/** An action's per-job outcomes as one result: done, and skipped with where each is now. */
function outcomes(r: ReadonlyArray<{ id: string; outcome: string; now?: string }>): FwActionResult {
  return { done: r.filter((x) => x.outcome !== 'skipped').map((x) => x.id), skipped: r.filter((x) => x.outcome === 'skipped').map((x) => ({ id: x.id, reason: x.now ?? 'not there' })) };
}

const RQ: FrameworkEntry = {
  reader: rqReader,
  defaultPrefix: 'rq:',
  markers: (prefix) => [[rqKeys(prefix).queues, 'set']],
  actions: [
    {
      name: 'requeue',
      title: 'Requeue',
      past: 'Requeued',
      detail: "RQ's FailedJobRegistry.requeue: each job leaves the failed registry and goes to the back of its queue, status queued; a worker runs it again.",
      states: ['failed'],
      run: async (client, row, _state, jobs) => outcomes(await requeueRqFailed(client, row, jobs.map((j) => j.id))),
    },
    {
      name: 'delete',
      title: 'Delete',
      past: 'Deleted',
      detail: "RQ's Job.delete: each job leaves its queue and every registry, and its record and results are deleted. This cannot be undone.",
      states: ['queued', 'scheduled', 'deferred', 'finished', 'failed', 'canceled', 'abandoned'],
      run: async (client, row, _state, jobs) => outcomes(await deleteRqJobs(client, row, jobs.map((j) => j.id))),
    },
  ],
};

/** A Sidekiq job row's sorted-set entry (its exact member and score) and the namespace of its set. */
function sidekiqEntries(row: FwRow, jobs: FwJob[]): { ns: string; entries: SidekiqEntryRef[] } {
  const set = (Object.keys(SIDEKIQ_SETS) as Array<keyof typeof SIDEKIQ_SETS>).find((x) => row.key.endsWith(x));
  if (row.kind !== 'set' || !set) throw new Error(`${row.name} is not one of Sidekiq's sets`);
  return {
    ns: row.key.slice(0, row.key.length - set.length),
    entries: jobs.map((j) => {
      if (!j.entry?.member || j.entry.score === undefined) throw new Error(`Sidekiq job ${j.id} was listed without its entry: refresh the tree`);
      return { id: j.id, member: j.entry.member, score: j.entry.score };
    }),
  };
}

const SIDEKIQ: FrameworkEntry = {
  reader: sidekiqReader,
  defaultPrefix: '',
  markers: (ns) => {
    const k = sidekiqKeys(ns);
    return [[k.queues, 'set'], [k.schedule, 'zset'], [k.retry, 'zset'], [k.dead, 'zset'], [k.processes, 'set']];
  },
  actions: [
    {
      name: 'retry',
      title: 'Retry Now',
      past: 'Retried',
      detail: "As Sidekiq Web's Retry Now: each job leaves the set and is pushed to its queue now (its retry count one less, as Sidekiq does); a Sidekiq process runs it next.",
      states: ['retry', 'dead'],
      run: async (client, row, state, jobs) => {
        const { ns, entries } = sidekiqEntries(row, jobs);
        return outcomes(await sidekiqRetryNow(client, state as 'retry' | 'dead', entries, ns));
      },
    },
    {
      name: 'addToQueue',
      title: 'Add to Queue',
      past: 'Added to their queues',
      detail: "As Sidekiq Web's Add to Queue: each scheduled job leaves the schedule and is pushed to its queue now, to run without waiting for its time.",
      states: ['scheduled'],
      run: async (client, row, _state, jobs) => {
        const { ns, entries } = sidekiqEntries(row, jobs);
        return outcomes(await sidekiqAddToQueue(client, entries, ns));
      },
    },
    {
      name: 'kill',
      title: 'Kill',
      past: 'Killed',
      detail: "As Sidekiq Web's Kill: each job moves to Dead as it is (Sidekiq keeps at most 10,000 dead jobs for 6 months, and drops the oldest beyond that); it is not run again unless retried from there.",
      states: ['retry', 'scheduled'],
      run: async (client, row, state, jobs) => {
        const { ns, entries } = sidekiqEntries(row, jobs);
        return outcomes(await sidekiqKill(client, state === 'retry' ? 'retry' : 'schedule', entries, ns));
      },
    },
    {
      name: 'delete',
      title: 'Delete',
      past: 'Deleted',
      detail: "As Sidekiq Web's Delete: each job is removed from the set, and is gone. This cannot be undone.",
      states: ['retry', 'scheduled', 'dead'],
      run: async (client, row, state, jobs) => {
        const { ns, entries } = sidekiqEntries(row, jobs);
        return outcomes(await sidekiqDelete(client, state === 'scheduled' ? 'schedule' : (state as 'retry' | 'dead'), entries, ns));
      },
    },
  ],
};

const CELERY: FrameworkEntry = {
  reader: celeryReader,
  defaultPrefix: CELERY_DEFAULT_QUEUES,
  markers: (queues) => celeryMarkers(queues),
  // Requeue waits out the visibility timeout, as kombu does; Requeue Anyway is for a worker the user knows is gone.
  actions: [...celeryActions, { ...celeryRequeueWith({ force: true }), name: 'requeueAnyway', title: 'Requeue Anyway' }],
};

export const FRAMEWORKS: readonly FrameworkEntry[] = [RQ, SIDEKIQ, CELERY];

/** The frameworks' names as they write them. */
export const FRAMEWORK_LABELS: Record<FrameworkName, string> = { rq: 'RQ', sidekiq: 'Sidekiq', celery: 'Celery' };

/** The frameworks present under the given prefixes (each framework's default prefix when none is given): one round trip of TYPE. */
export async function presentFrameworks(client: RedisClient, prefixes: Partial<Record<FrameworkName, string[]>> = {}): Promise<Array<{ entry: FrameworkEntry; prefix: string }>> {
  const asked = FRAMEWORKS.flatMap((entry) => [...new Set(prefixes[entry.reader.framework] ?? [entry.defaultPrefix])].map((prefix) => ({ entry, prefix })));
  const found = await Promise.all(asked.map(({ entry, prefix }) => Promise.all(entry.markers(prefix).map(([k, type]) => client.type(k).then((t) => t === type))).then((n) => n.some(Boolean))));
  return asked.filter((_, i) => found[i]);
}

/** Every framework deployment present (see {@link presentFrameworks}), read whole: rows, counts, marks, figures. */
export async function readFrameworks(client: RedisClient, prefixes: Partial<Record<FrameworkName, string[]>> = {}): Promise<FwDeployment[]> {
  const present = await presentFrameworks(client, prefixes);
  const read = await Promise.all(present.map(({ entry, prefix }) => entry.reader.read(client, prefix)));
  return read.filter((d): d is FwDeployment => d !== undefined);
}

/** The prefixes asking for Celery's default queue and `walked` ones (the list walk's `celeryQueues`); none for the others (their defaults). */
export function celeryPrefixes(walked: readonly string[]): Partial<Record<FrameworkName, string[]>> {
  return walked.length ? { celery: [[...new Set([CELERY_DEFAULT_QUEUES, ...walked])].join(',')] } : {};
}

/** A deployment as plain data (inspect --json, the agent tools): each row's counts by the framework's state names. */
export function frameworkDoc(d: FwDeployment): { framework: FrameworkName; prefix: string; figures: Record<string, string>; rows: Array<{ name: string; kind: 'queue' | 'set'; key: string; counts: Record<string, number>; marks: string[]; oldestWaitingAt?: string }> } {
  return {
    framework: d.framework,
    prefix: d.prefix,
    figures: Object.fromEntries(d.figures),
    rows: d.rows.map((r) => ({
      name: r.name,
      kind: r.kind,
      key: r.key,
      counts: Object.fromEntries(r.states.map((s) => [s.state, s.count])),
      marks: r.marks,
      ...(r.oldestWaitingAt !== undefined ? { oldestWaitingAt: new Date(r.oldestWaitingAt).toISOString() } : {}),
    })),
  };
}

/** One line per row, for text reports: `RQ queue default: 3 failed, 12 queued, 1 started`. */
export function frameworkLines(d: FwDeployment): string[] {
  return d.rows.map((r) => `${d.label} ${r.kind === 'queue' ? `queue ${r.name}` : r.name}${r.marks.length ? ` (${r.marks.join(', ')})` : ''}: ${r.states.map((s) => `${s.count} ${s.label.toLowerCase()}`).join(', ')}`);
}
