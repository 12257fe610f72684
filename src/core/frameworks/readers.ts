/**
 * The frameworks read from their key layouts, and the keys that tell each is there under a
 * prefix (its own registry of queues and sets): one EXISTS of these per prefix finds them,
 * never a walk.
 */
import type { RedisClient } from '../redis/connection';
import type { FrameworkName, FrameworkReader, FwAction, FwDeployment } from './framework';
import { rqKeys, rqReader } from './rq';
import { rqActions } from './rqActions';
import { CELERY_DEFAULT_QUEUES, celeryReader, markers as celeryMarkers } from './celery';
import { celeryActions, celeryRequeueWith } from './celeryActions';
import { sidekiqKeys, sidekiqReader } from './sidekiq';
import { sidekiqActions } from './sidekiqActions';

export interface FrameworkEntry {
  reader: FrameworkReader;
  /** The prefix the framework uses when not told otherwise. */
  defaultPrefix: string;
  /** Keys, each with the type the framework gives it, of which any one there with that type means the framework is there under `prefix` (a key merely named `queues` is not Sidekiq's). */
  markers(prefix: string): Array<[key: string, type: 'set' | 'zset' | 'list' | 'hash']>;
  /** The actions its own dashboard offers on jobs. */
  actions: readonly FwAction[];
}

const RQ: FrameworkEntry = {
  reader: rqReader,
  defaultPrefix: 'rq:',
  markers: (prefix) => [[rqKeys(prefix).queues, 'set']],
  actions: rqActions,
};

const SIDEKIQ: FrameworkEntry = {
  reader: sidekiqReader,
  defaultPrefix: '',
  markers: (ns) => {
    const k = sidekiqKeys(ns);
    return [[k.queues, 'set'], [k.schedule, 'zset'], [k.retry, 'zset'], [k.dead, 'zset'], [k.processes, 'set']];
  },
  actions: sidekiqActions,
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
