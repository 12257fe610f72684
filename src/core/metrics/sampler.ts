/**
 * One sampling round of queue health (issue 25, "health over time"): for the streams being
 * watched, what XINFO STREAM and XINFO GROUPS say now (and, for a group holding entries, XPENDING's
 * summary for its oldest pending entry), as plain numbers a {@link MetricsHistory} turns into rates
 * and trends. Small calls only, sent together (one round trip), over a bounded list of streams
 * (`maxStreams`): a round's cost does not grow with the keyspace.
 *
 * Counters (`entriesAdded`, a group's `entriesRead`) need Redis 7.0; before it they are undefined
 * and the rates are "about" (from the stream's length).
 */
import { xinfoConsumers, xinfoGroups, xinfoStream, xpendingSummary } from '../redis/commands';
import { type RedisClient, isCluster } from '../redis/connection';
import type { FrameworkName, StateTone } from '../frameworks/framework';
import { FRAMEWORKS } from '../frameworks/readers';
import { DEFAULT_THRESHOLDS, isStuck } from '../inspect/health';
import { idTime } from '../messages/ids';
import { defaultDeadLetterStream, isDeadLetterName } from '../queue/keys';
import { type ListQueueLayout, listQueueKeys } from '../queue/list/keys';

/** One group in a round. */
export interface GroupSample {
  name: string;
  pending: number;
  /** Redis ≥ 7: entries the group has read (a counter); null when Redis cannot tell. */
  entriesRead?: number | null;
  /** Redis ≥ 7: entries not yet read by the group; null when Redis cannot tell. */
  lag?: number | null;
  /** The group's cursor: a counter reset shows as a cursor moving back. */
  lastDeliveredId: string;
  consumers: number;
  /** How long ago the oldest pending entry was added, ms (undefined: nothing pending). */
  oldestPendingAgeMs?: number;
  /**
   * Its STUCK consumers (holding entries, idle at least `stuckIdleMs`), by name; undefined when not
   * read (nothing pending, or more than {@link MAX_CONSUMERS_READ} consumers).
   */
  stuck?: string[];
}

/** One stream in a round. */
export interface StreamSample {
  key: string;
  length: number;
  /** Redis ≥ 7: entries ever added (a counter). */
  entriesAdded?: number;
  /** The newest id ever generated: a recreated stream shows it moving back. */
  lastGeneratedId: string;
  groups: GroupSample[];
  /** Length of its dead-letter stream (`<key>:dlq`; 0 when there is none); undefined when not read. */
  deadLetters?: number;
}

/** One list queue in a round (LLEN of its three lists, its oldest started-at stamp). */
export interface ListQueueSample {
  name: string;
  waiting: number;
  processing: number;
  dead: number;
  /** How long its oldest processing job has run, ms (undefined: none, or no stamps in its layout). */
  oldestRunningMs?: number;
}

/** A framework deployment in a round (RQ, Sidekiq, Celery): each row's count per state, as its reader counts them. */
export interface FrameworkSample {
  framework: FrameworkName;
  /** The prefix (RQ, Sidekiq) or the queue names (Celery) it was read under. */
  prefix: string;
  rows: Array<{
    /** The row's key (`rq:queue:default`, `retry`): identifies it. */
    key: string;
    name: string;
    states: Array<{ state: string; label: string; tone: StateTone; count: number }>;
  }>;
}

/** What one round saw: the streams that answered, and why the others did not. */
export interface Round {
  /** When the round was taken (the caller's clock, ms). */
  at: number;
  streams: StreamSample[];
  /** Streams that are gone or not streams now (their error's message). */
  missing: Record<string, string>;
  /** Redis calls sent for the streams and list queues (the framework readers' own calls are not counted). */
  calls: number;
  /**
   * The answering server's run id (INFO server; standalone and Sentinel): another one than the
   * previous round's means a failover or a restart. Undefined on a Cluster, or when not read.
   */
  runId?: string;
  /** The list queues sampled (those asked for that answered). */
  listQueues?: ListQueueSample[];
  /** The framework deployments sampled (those asked for that answered and are still there). */
  frameworks?: FrameworkSample[];
}

export interface SampleOptions {
  /** At most this many streams per round (the first ones of the list). Default 50. */
  maxStreams?: number;
  /** The clock (tests pass a fake one). Default Date.now. */
  now?: () => number;
  /** A consumer holding entries and idle this long is STUCK. Default 5 minutes. */
  stuckIdleMs?: number;
  /** List queues to sample too (at most `maxStreams` of them), each in its layout. */
  listQueues?: readonly { name: string; layout?: ListQueueLayout }[];
  /**
   * Framework deployments to sample too (at most `maxStreams`), each read as the explorer reads it
   * (its reader's `read`: the framework's own registry keys and a few calls per queue, no walk).
   */
  frameworks?: readonly { framework: FrameworkName; prefix: string }[];
}

export const DEFAULT_MAX_STREAMS = 50;
/** A group's consumers are read (for STUCK) only up to this many: XINFO CONSUMERS costs one line each. */
export const MAX_CONSUMERS_READ = 1000;

/**
 * Samples `keys` once: per stream XINFO STREAM, XINFO GROUPS and the length of its dead-letter
 * stream (XLEN `<key>:dlq`), per group holding entries XPENDING (summary form) and XINFO CONSUMERS
 * (for STUCK; up to {@link MAX_CONSUMERS_READ} consumers), and the server's run id (INFO server),
 * all sent at once. Rejects only when Redis fails as a whole; a stream that is gone is listed in
 * `missing`.
 */
export async function sampleRound(client: RedisClient, keys: readonly string[], o: SampleOptions = {}): Promise<Round> {
  const now = o.now ?? Date.now;
  const watched = keys.slice(0, o.maxStreams ?? DEFAULT_MAX_STREAMS);
  const at = now();
  const round: Round = { at, streams: [], missing: {}, calls: 0 };
  const stuckIdleMs = o.stuckIdleMs ?? DEFAULT_THRESHOLDS.stuckIdleMs;
  let runId: Promise<string | undefined> = Promise.resolve(undefined);
  if (!isCluster(client)) {
    round.calls++;
    runId = client.info('server').then(
      (text) => /^run_id:(\w+)/m.exec(text)?.[1],
      () => undefined,
    );
  }
  const deadOf = new Map<string, Promise<number | undefined>>();
  for (const key of watched) {
    if (isDeadLetterName(key)) continue;
    round.calls++;
    deadOf.set(
      key,
      client.xlen(defaultDeadLetterStream(key)).then(
        (n) => n,
        () => undefined,
      ),
    );
  }
  const lists = sampleListQueues(client, (o.listQueues ?? []).slice(0, o.maxStreams ?? DEFAULT_MAX_STREAMS), round);
  const frameworks = sampleFrameworks(client, (o.frameworks ?? []).slice(0, o.maxStreams ?? DEFAULT_MAX_STREAMS));
  const infos = await Promise.all(
    watched.map(async (key) => {
      try {
        const [info, groups] = await Promise.all([xinfoStream(client, key), xinfoGroups(client, key)]);
        return { key, info, groups };
      } catch (e) {
        return { key, error: e as Error };
      } finally {
        round.calls += 2;
      }
    }),
  );
  const pendingOf = new Map<string, Promise<number | undefined>>();
  const stuckOf = new Map<string, Promise<string[] | undefined>>();
  for (const r of infos) {
    if (!('info' in r) || !r.info) continue;
    for (const g of r.groups!) {
      if (g.pending === 0) continue;
      if (g.consumers <= MAX_CONSUMERS_READ) {
        round.calls++;
        stuckOf.set(
          `${r.key}\u0000${g.name}`,
          xinfoConsumers(client, r.key, g.name).then(
            (cs) => cs.filter((c) => isStuck(c, { ...DEFAULT_THRESHOLDS, stuckIdleMs })).map((c) => c.name),
            () => undefined,
          ),
        );
      }
      round.calls++;
      pendingOf.set(
        `${r.key}\u0000${g.name}`,
        xpendingSummary(client, r.key, g.name).then(
          (s) => (s.smallestId ? Math.max(0, at - idTime(s.smallestId)) : undefined),
          () => undefined,
        ),
      );
    }
  }
  for (const r of infos) {
    if (!('info' in r) || !r.info) {
      round.missing[r.key] = r.error?.message ?? 'unknown';
      continue;
    }
    const groups: GroupSample[] = [];
    for (const g of r.groups!) {
      groups.push({
        name: g.name,
        pending: g.pending,
        ...(g.entriesRead !== undefined ? { entriesRead: g.entriesRead } : {}),
        ...(g.lag !== undefined ? { lag: g.lag } : {}),
        lastDeliveredId: g.lastDeliveredId,
        consumers: g.consumers,
        oldestPendingAgeMs: g.pending > 0 ? await pendingOf.get(`${r.key}\u0000${g.name}`) : undefined,
        ...(g.pending > 0 ? { stuck: await stuckOf.get(`${r.key}\u0000${g.name}`) } : {}),
      });
    }
    const deadLetters = await deadOf.get(r.key);
    round.streams.push({
      key: r.key,
      length: r.info.length,
      ...(r.info.entriesAdded !== undefined ? { entriesAdded: r.info.entriesAdded } : {}),
      lastGeneratedId: r.info.lastGeneratedId,
      groups,
      ...(deadLetters !== undefined ? { deadLetters } : {}),
    });
  }
  const id = await runId;
  if (id) round.runId = id;
  const listQueues = await lists;
  if (listQueues.length) round.listQueues = listQueues;
  const fws = await frameworks;
  if (fws.length) round.frameworks = fws;
  return round;
}

/** Each deployment's rows and counts, read by its framework's reader; one that fails or is gone is left out. */
async function sampleFrameworks(client: RedisClient, asked: readonly { framework: FrameworkName; prefix: string }[]): Promise<FrameworkSample[]> {
  const out = await Promise.all(
    asked.map(async ({ framework, prefix }): Promise<FrameworkSample | undefined> => {
      const entry = FRAMEWORKS.find((f) => f.reader.framework === framework);
      try {
        const d = await entry?.reader.read(client, prefix);
        if (!d) return undefined;
        return { framework, prefix, rows: d.rows.map((r) => ({ key: r.key, name: r.name, states: r.states.map((x) => ({ state: x.state, label: x.label, tone: x.tone, count: x.count })) })) };
      } catch {
        return undefined;
      }
    }),
  );
  return out.filter((x): x is FrameworkSample => x !== undefined);
}

/** LLEN of each queue's waiting, processing and dead lists and its oldest started-at stamp (one TIME for all); a queue that fails is left out. */
async function sampleListQueues(client: RedisClient, queues: readonly { name: string; layout?: ListQueueLayout }[], round: Round): Promise<ListQueueSample[]> {
  if (!queues.length) return [];
  round.calls++;
  const time = client.time().then(
    ([s, us]) => Number(s) * 1000 + Math.floor(Number(us) / 1000),
    () => undefined,
  );
  const out = await Promise.all(
    queues.map(async ({ name, layout }): Promise<ListQueueSample | undefined> => {
      const k = listQueueKeys(name, layout);
      round.calls += k.stamps ? 4 : 3;
      try {
        const [waiting, processing, dead, oldest] = await Promise.all([
          client.llen(k.waiting),
          client.llen(k.processing),
          client.llen(k.dead),
          k.stamps ? (client.call('ZRANGE', k.started, 0, 0, 'WITHSCORES') as Promise<unknown[]>) : Promise.resolve([]),
        ]);
        // RESP2: [member, score]; RESP3: [[member, score]].
        const flat = (oldest ?? []).flat() as unknown[];
        const startedAt = flat.length >= 2 ? Number(String(flat[1])) : NaN;
        const now = await time;
        return { name, waiting, processing, dead, ...(processing > 0 && Number.isFinite(startedAt) && now !== undefined ? { oldestRunningMs: Math.max(0, now - startedAt) } : {}) };
      } catch {
        return undefined;
      }
    }),
  );
  return out.filter((x): x is ListQueueSample => x !== undefined);
}
