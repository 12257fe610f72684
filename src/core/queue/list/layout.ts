/**
 * List queues brought in their own layout: checking a layout given by a person (a setting, an
 * option) and recognising the seeds' layout by itself.
 *
 * The seeds' pattern (an article's Python code) keeps the waiting list `email_queue`, the
 * processing list `email_queue:processing` (the same names as this project's default layout) but
 * its job hashes under `job:<id>` instead of `email_queue:job:<id>`, and it writes no started-at
 * stamps. {@link detectListQueueLayout} tells the two apart by looking at a few ids.
 */
import { BadInputError, printable, redisErrorCode } from '../../redis/errors';
import type { RedisClient } from '../../redis/connection';
import { type ListQueueLayout, listQueueKeys, pickListQueueLayout } from './keys';
import { showName } from '../../redis/names';

/** The job-hash prefix of the seeds' layout. */
export const PLAIN_JOB_PREFIX = 'job:';

/** Ids looked at per list (processing, waiting, dead) by {@link detectListQueueLayout}. */
export const LAYOUT_SAMPLE = 3;

/** What {@link probeListQueueLayout} saw, beside the layout it picked. */
export interface ListLayoutProbe {
  layout: ListQueueLayout;
  /** Distinct ids looked at. */
  sampled: number;
  /** Ids with a hash `<queue>:job:<id>` (this project's layout). */
  ownHits: number;
  /** Ids with a hash `job:<id>` (the seeds' layout). */
  plainHits: number;
  /**
   * True when the ids decided it (hashes of one layout only): the answer then holds until the
   * queue is rebuilt in another layout. False when no id was seen, no hash found, or both
   * layouts' hashes exist (the default layout is returned then): worth asking again later.
   */
  conclusive: boolean;
}

/**
 * The layout list queue `queue` uses: the seeds' (`{ jobPrefix: 'job:' }`, plus `started: null`
 * when `<queue>:started` does not exist) when sampled ids have `job:<id>` hashes and none has a
 * `<queue>:job:<id>` hash; else this project's default layout (`{}`), also when nothing tells
 * (empty lists, no hashes) or both tell. Bounded: one round trip of three LRANGEs of at most
 * {@link LAYOUT_SAMPLE} ids and one EXISTS, then one of two EXISTS per distinct id (at most
 * 2 × 3 × LAYOUT_SAMPLE), sent back to back. Never a SCAN.
 */
export async function detectListQueueLayout(client: RedisClient, queue: string): Promise<ListQueueLayout> {
  return (await probeListQueueLayout(client, queue)).layout;
}

/** {@link detectListQueueLayout} with what it saw (for callers that cache conclusive answers). */
export async function probeListQueueLayout(client: RedisClient, queue: string, sample = LAYOUT_SAMPLE): Promise<ListLayoutProbe> {
  const own = listQueueKeys(queue);
  const n = Math.max(1, Math.floor(sample));
  // A key of another type (say, a stream named like the queue) just holds no ids here; the
  // caller's own commands report the WRONGTYPE.
  const ids = (key: string, from: number, to: number) => client.lrange(key, from, to).catch((e: Error) => (redisErrorCode(e) === 'WRONGTYPE' ? [] : Promise.reject(e)));
  // Commands are sent back to back (ioredis writes them without waiting for replies), so this is
  // one round trip; in a Cluster each goes to its own slot's node, which a MULTI-less pipeline
  // of unrelated keys would refuse.
  const [processing, waiting, dead, startedExists] = await Promise.all([
    ids(own.processing, 0, n - 1),
    // Workers take from the right end: the oldest waiting ids.
    ids(own.waiting, -n, -1),
    ids(own.dead, 0, n - 1),
    client.exists(own.started),
  ]);
  const sampled = [...new Set([...processing, ...waiting, ...dead].map(String))];
  const hits = await Promise.all(sampled.flatMap((id) => [client.exists(own.job(id)), client.exists(`${PLAIN_JOB_PREFIX}${showName(id)}`)]));
  let ownHits = 0;
  let plainHits = 0;
  for (let i = 0; i < sampled.length; i++) {
    if (Number(hits[2 * i]) > 0) ownHits++;
    if (Number(hits[2 * i + 1]) > 0) plainHits++;
  }
  const plain = plainHits > 0 && ownHits === 0;
  const layout: ListQueueLayout = plain ? (Number(startedExists) > 0 ? { jobPrefix: PLAIN_JOB_PREFIX } : { jobPrefix: PLAIN_JOB_PREFIX, started: null }) : {};
  return { layout, sampled: sampled.length, ownHits, plainHits, conclusive: (ownHits > 0) !== (plainHits > 0) };
}

/** Longest list element taken for a job id when sampling lists (a longer one is a payload, not an id). */
const MAX_SAMPLED_ID = 200;

/**
 * Which of `lists` are the waiting list of a list queue in a known layout, with nothing else to
 * tell (no processing or dead list yet): the oldest element (`LINDEX list -1`, where workers take
 * from) names a job hash, `<list>:job:<id>` (this project's layout) or `job:<id>` (the seeds').
 * Bounded: one LINDEX per list, then at most two TYPEs per list, each round sent back to back.
 * Lists that could not be read (an ACL refusal, say) are counted in `unchecked`. `oldest`: each
 * list's sampled element (null where none), for other readers of the same sample (Celery's queues).
 */
export async function waitingListQueues(client: RedisClient, lists: string[]): Promise<{ queues: string[]; unchecked: number; oldest: Array<string | null> }> {
  let unchecked = 0;
  const oldest = await Promise.all(
    lists.map((k) =>
      client.lindex(k, -1).then(
        (v) => v,
        () => {
          unchecked++;
          return null;
        },
      ),
    ),
  );
  const hashes = (k: string, id: string) => [listQueueKeys(k).job(id), `${PLAIN_JOB_PREFIX}${showName(id)}`];
  const types = await Promise.all(
    lists.map((k, i) => {
      const id = oldest[i];
      if (typeof id !== 'string' || id.length === 0 || id.length > MAX_SAMPLED_ID) return Promise.resolve([] as string[]);
      return Promise.all(hashes(k, id).map((h) => client.type(h).then(String, () => 'unknown')));
    }),
  );
  const queues = lists.filter((_, i) => types[i]!.includes('hash'));
  unchecked += types.filter((t) => t.includes('unknown') && !t.includes('hash')).length;
  return { queues, unchecked, oldest: oldest.map((v) => (typeof v === 'string' ? v : null)) };
}

/**
 * Checks a layout given by a person (options, a setting) and returns only its layout fields:
 * names are non-empty strings, `started` a name or `null`, and no two of the queue's lists and
 * started set share a name. Throws BadInputError naming `what` and the field.
 */
export function checkListQueueLayout(queue: string, layout: unknown, what = 'layout'): ListQueueLayout {
  if (layout === undefined || layout === null) return {};
  if (typeof layout !== 'object' || Array.isArray(layout)) throw new BadInputError(`The ${what} of list queue "${printable(queue)}" must be an object like { "processing": "…", "dead": "…", "started": "…" | null, "jobPrefix": "…" }`);
  const o = layout as Record<string, unknown>;
  for (const f of ['waiting', 'processing', 'dead', 'jobPrefix'] as const) {
    const v = o[f];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0)) throw new BadInputError(`"${f}" of the ${what} of list queue "${printable(queue)}" must be a non-empty string`);
  }
  const s = o['started'];
  if (s !== undefined && s !== null && (typeof s !== 'string' || s.length === 0)) throw new BadInputError(`"started" of the ${what} of list queue "${printable(queue)}" must be a non-empty string, or null for a layout without started-at stamps`);
  const picked = pickListQueueLayout(o as ListQueueLayout);
  const k = listQueueKeys(queue, picked);
  const names: [string, string][] = [
    ['waiting', k.waiting],
    ['processing', k.processing],
    ['dead', k.dead],
  ];
  if (k.stamps) names.push(['started', k.started]);
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      if (names[i]![1] === names[j]![1]) throw new BadInputError(`The ${what} of list queue "${printable(queue)}" names "${printable(names[i]![1])}" as both its ${names[i]![0]} and its ${names[j]![0]} key`);
    }
  }
  return picked;
}
