/**
 * Celery's Redis broker (kombu's Redis transport, kombu 5.2) as Celery sees it, read from the keys
 * kombu writes (read-only):
 *
 *     <queue>                 list: waiting messages (LPUSH; workers BRPOP the right end)
 *     <queue>\x06\x16<n>      lists: the same queue's priority levels n (priority_steps, default
 *                             [0, 3, 6, 9]; level 0 is the queue's own list and is served first)
 *     _kombu.binding.<exch>   set: `<routing key>\x06\x16<pattern>\x06\x16<queue>` per binding
 *     unacked                 hash: delivery tag → JSON `[message, exchange, routing key]`, the
 *                             messages delivered to a worker and not yet acknowledged
 *     unacked_index           sorted set: delivery tag → when delivered (seconds)
 *     celery-task-meta-<id>   string: the task's result (JSON: status, result, traceback), when
 *                             the result backend is this Redis
 *
 * kombu keeps no registry of queue names that can be read without a walk, so the reader's
 * "prefix" is a comma-separated list of queue names to look at (default `celery`, Celery's
 * default queue), to which it adds the queues named by the routing keys of the unacknowledged
 * messages (a bounded read of `unacked`: all of it when it holds at most {@link UNACKED_READ}
 * messages, else one HSCAN page). A listed queue is shown when its binding set or one of its lists
 * exists. Each queue has two states: `waiting` (its lists, as kombu's Channel._size counts them)
 * and `reserved` (unacknowledged messages whose routing key is the queue: a worker holds them,
 * prefetched, running or waiting for their ETA). A reserved message delivered longer ago than the
 * visibility timeout may belong to a worker that is gone: kombu gives it back to its queue when a
 * worker starts, or in a worker's periodic restore.
 */
import type { RedisClient } from '../redis/connection';
import type { FrameworkReader, FwDeployment, FwJob, FwRow } from './framework';

/** kombu's Redis transport options the reader and the actions follow (broker_transport_options). */
export interface CeleryOptions {
  /** Seconds after delivery at which kombu restores an unacknowledged message (default 3600). */
  visibilityTimeout?: number;
  unackedKey?: string;
  unackedIndexKey?: string;
  /** kombu's priority_steps (default [0, 3, 6, 9]). */
  prioritySteps?: number[];
  /** The result backend's key prefix in this Redis (default `celery-task-meta-`). */
  resultPrefix?: string;
}

/** kombu's separator in priority list names and binding members. */
export const KOMBU_SEP = '\x06\x16';
/** Celery's default queue: the reader's default "prefix". */
export const CELERY_DEFAULT_QUEUES = 'celery';
/** The most unacknowledged messages read at once (HGETALL up to this many, else one HSCAN page). */
export const UNACKED_READ = 1000;

export interface CeleryConfig {
  visibilityTimeout: number;
  unackedKey: string;
  unackedIndexKey: string;
  prioritySteps: number[];
  resultPrefix: string;
}

/** The options with kombu's and Celery's defaults filled in. */
export function celeryConfig(o: CeleryOptions = {}): CeleryConfig {
  return {
    visibilityTimeout: o.visibilityTimeout ?? 3600,
    unackedKey: o.unackedKey ?? 'unacked',
    unackedIndexKey: o.unackedIndexKey ?? 'unacked_index',
    prioritySteps: o.prioritySteps ?? [0, 3, 6, 9],
    resultPrefix: o.resultPrefix ?? 'celery-task-meta-',
  };
}

/** The queue names a "prefix" lists (`celery`, or `celery,mail`). */
export function celeryQueuesOf(prefix: string | undefined): string[] {
  return [...new Set((prefix ?? CELERY_DEFAULT_QUEUES).split(',').map((q) => q.trim()).filter(Boolean))];
}

/** The keys of which any one existing means Celery is there for the listed queues: their binding sets, and the unacked hash and index. */
export function markers(prefix: string, options: CeleryOptions = {}): Array<[key: string, type: 'set' | 'zset' | 'hash']> {
  const c = celeryConfig(options);
  return [...celeryQueuesOf(prefix).map((q): [string, 'set'] => [`_kombu.binding.${q}`, 'set']), [c.unackedKey, 'hash'], [c.unackedIndexKey, 'zset']];
}

/**
 * A queue's lists in the order kombu's workers serve them (kombu's _q_for_pri for each of the
 * priority steps: step 0 is the queue's own list, the others `<queue>\x06\x16<step>`).
 */
export function priorityLists(queue: string, steps: readonly number[] = [0, 3, 6, 9]): string[] {
  return [...new Set(steps.map((s) => (s ? `${queue}${KOMBU_SEP}${s}` : queue)))];
}

/** Messages longer than this are not parsed to tell whether a list is a Celery queue (16 MiB). */
const MAX_SNIFFED = 16 * 2 ** 20;

/**
 * The Celery queue a list holds the waiting messages of, told by one of its messages (the list
 * walk's sample, its oldest): a kombu envelope, JSON with a `body` and `properties` holding a
 * `delivery_tag` and `delivery_info`. A priority list (`<queue>\x06\x16<n>`) names its queue
 * before the separator. Undefined for anything else.
 */
export function kombuQueueOfList(key: string, message: string | null | undefined): string | undefined {
  if (typeof message !== 'string' || !message.startsWith('{') || message.length > MAX_SNIFFED) return undefined;
  try {
    const m = JSON.parse(message) as { body?: unknown; properties?: { delivery_tag?: unknown; delivery_info?: unknown } } | null;
    const p = m?.properties;
    if (!m || typeof m !== 'object' || !('body' in m) || !p || typeof p !== 'object' || typeof p.delivery_tag !== 'string' || !p.delivery_info || typeof p.delivery_info !== 'object') return undefined;
  } catch {
    return undefined;
  }
  const at = key.indexOf(KOMBU_SEP);
  return at > 0 ? key.slice(0, at) : at === 0 ? undefined : key;
}

/** An unacknowledged message as the `unacked` hash holds it. */
export interface Unacked {
  tag: string;
  raw: string;
  /** The message (kombu's envelope), as text and parsed. */
  message: Record<string, unknown> | undefined;
  exchange: string;
  routingKey: string;
}

/** Parses an `unacked` entry: `[message, exchange, routing key]`. */
export function parseUnacked(tag: string, raw: string): Unacked {
  try {
    const v = JSON.parse(raw) as unknown;
    if (Array.isArray(v) && v.length >= 3) {
      const m = v[0] && typeof v[0] === 'object' && !Array.isArray(v[0]) ? (v[0] as Record<string, unknown>) : undefined;
      return { tag, raw, message: m, exchange: String(v[1] ?? ''), routingKey: String(v[2] ?? '') };
    }
  } catch {
    /* not kombu's: shown with no queue */
  }
  return { tag, raw, message: undefined, exchange: '', routingKey: '' };
}

/** The unacknowledged messages: all when at most {@link UNACKED_READ}, else one HSCAN page (`partial`). */
export async function readUnacked(client: RedisClient, c: CeleryConfig): Promise<{ entries: Unacked[]; total: number; partial: boolean }> {
  const total = await client.hlen(c.unackedKey);
  if (!total) return { entries: [], total, partial: false };
  let flat: string[];
  let partial = false;
  if (total <= UNACKED_READ) {
    const h = await client.hgetall(c.unackedKey);
    flat = Object.entries(h).flat();
  } else {
    flat = (await client.hscan(c.unackedKey, '0', 'COUNT', UNACKED_READ))[1];
    partial = true;
  }
  const entries: Unacked[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) entries.push(parseUnacked(flat[i]!, flat[i + 1]!));
  return { entries, total, partial };
}

/** When each tag was delivered (unacked_index score, seconds), pipelined ZSCOREs. */
async function deliveredAt(client: RedisClient, c: CeleryConfig, tags: readonly string[]): Promise<Map<string, number>> {
  const scores = await Promise.all(tags.map((t) => client.zscore(c.unackedIndexKey, t)));
  const out = new Map<string, number>();
  tags.forEach((t, i) => {
    const s = scores[i];
    if (s !== null && s !== undefined && Number.isFinite(Number(s))) out.set(t, Number(s));
  });
  return out;
}

// ---- JSON spans: arguments shown as sent, numbers never re-serialised ----

function stringEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '"') return j;
  }
  return -1;
}

/** The index of the last character of the JSON value starting at `i`. */
function valueEnd(s: string, i: number): number {
  const c = s[i];
  if (c === '"') return stringEnd(s, i);
  if (c === '[' || c === '{') {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s[j];
      if (d === '"') j = stringEnd(s, j);
      else if (d === '[' || d === '{') depth++;
      else if (d === ']' || d === '}') if (--depth === 0) return j;
      if (j < 0) return -1;
    }
    return -1;
  }
  const m = /[,}\]\s]/.exec(s.slice(i));
  return m ? i + m.index - 1 : s.length - 1;
}

const ws = (s: string, i: number) => {
  while (i < s.length && /\s/.test(s[i]!)) i++;
  return i;
};

/** The texts of a JSON array's elements, as written (undefined when not an array). */
export function jsonElements(s: string): string[] | undefined {
  let i = ws(s, 0);
  if (s[i] !== '[') return undefined;
  const out: string[] = [];
  i = ws(s, i + 1);
  if (s[i] === ']') return out;
  for (;;) {
    const e = valueEnd(s, i);
    if (e < 0) return undefined;
    out.push(s.slice(i, e + 1));
    i = ws(s, e + 1);
    if (s[i] === ']') return out;
    if (s[i] !== ',') return undefined;
    i = ws(s, i + 1);
  }
}

/** The texts of a JSON object's member values by key, as written (undefined when not an object). */
export function jsonMembers(s: string): Map<string, string> | undefined {
  let i = ws(s, 0);
  if (s[i] !== '{') return undefined;
  const out = new Map<string, string>();
  i = ws(s, i + 1);
  if (s[i] === '}') return out;
  for (;;) {
    const ke = stringEnd(s, i);
    if (s[i] !== '"' || ke < 0) return undefined;
    const key = JSON.parse(s.slice(i, ke + 1)) as string;
    i = ws(s, ke + 1);
    if (s[i] !== ':') return undefined;
    i = ws(s, i + 1);
    const e = valueEnd(s, i);
    if (e < 0) return undefined;
    out.set(key, s.slice(i, e + 1));
    i = ws(s, e + 1);
    if (s[i] === '}') return out;
    if (s[i] !== ',') return undefined;
    i = ws(s, i + 1);
  }
}

// ---- messages ----

/** A Celery task message (kombu's envelope, Celery's protocol 2 headers or protocol 1 body) as an FwJob. */
export function celeryJobOf(message: Record<string, unknown> | undefined, raw: string): FwJob {
  if (!message) return { id: '', title: null, details: [['message', raw.slice(0, 200)]] };
  const headers = (message['headers'] && typeof message['headers'] === 'object' ? message['headers'] : {}) as Record<string, unknown>;
  const props = (message['properties'] && typeof message['properties'] === 'object' ? message['properties'] : {}) as Record<string, unknown>;
  let bodyText: string | undefined;
  if (typeof message['body'] === 'string') {
    bodyText = props['body_encoding'] === 'base64' ? Buffer.from(message['body'], 'base64').toString('utf8') : message['body'];
  }
  // Protocol 1 keeps the task's fields in the body; protocol 2 in the headers.
  let fields: Record<string, unknown> = headers;
  let argsText: string | undefined;
  let kwargsText: string | undefined;
  if (bodyText !== undefined && message['content-type'] === 'application/json') {
    const els = jsonElements(bodyText);
    if (els && typeof headers['task'] === 'string') [argsText, kwargsText] = els;
    else if (typeof headers['task'] !== 'string') {
      const mem = jsonMembers(bodyText);
      if (mem?.has('task')) {
        try {
          fields = JSON.parse(bodyText) as Record<string, unknown>;
        } catch {
          fields = {};
        }
        argsText = mem.get('args');
        kwargsText = mem.get('kwargs');
      }
    }
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : v === null || v === undefined ? undefined : JSON.stringify(v));
  const argsrepr = str(fields['argsrepr']) ?? argsText;
  const kwargsrepr = str(fields['kwargsrepr']) ?? kwargsText;
  const job: FwJob = {
    id: str(fields['id']) ?? str(props['correlation_id']) ?? '',
    title: str(fields['task']) ?? null,
    details: [],
  };
  const args = [argsrepr, kwargsrepr && kwargsrepr !== '{}' ? kwargsrepr : undefined].filter((x) => x !== undefined).join(' ');
  if (args) job.args = args;
  const eta = str(fields['eta']);
  if (eta) {
    const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(eta) ? eta : `${eta}Z`);
    if (Number.isFinite(t)) job.dueAt = t;
  }
  if (typeof fields['retries'] === 'number') job.failures = fields['retries'];
  const d = job.details;
  if (argsrepr !== undefined) d.push(['args', argsrepr]);
  if (kwargsrepr !== undefined) d.push(['kwargs', kwargsrepr]);
  for (const [label, key] of [['eta', 'eta'], ['expires', 'expires'], ['retries', 'retries'], ['root id', 'root_id'], ['parent id', 'parent_id'], ['group', 'group'], ['origin', 'origin']] as const) {
    const v = str(fields[key]);
    if (v !== undefined) d.push([label, v]);
  }
  if (typeof props['priority'] === 'number') d.push(['priority', String(props['priority'])]);
  if (headers['redelivered'] === true) d.push(['redelivered', 'yes']);
  return job;
}

/** Adds the task's result (the result backend's `celery-task-meta-<id>`) to the job: status, error, traceback. */
function withResult(job: FwJob, meta: string | null): void {
  if (!meta) return;
  try {
    const m = JSON.parse(meta) as Record<string, unknown>;
    if (typeof m['status'] === 'string') job.details.push(['result status', m['status']]);
    if (m['date_done']) {
      job.details.push(['done at', String(m['date_done'])]);
      const t = Date.parse(String(m['date_done']).replace(/(\.\d{3})\d*/, '$1') + (/[zZ]|[+-]\d\d:?\d\d$/.test(String(m['date_done'])) ? '' : 'Z'));
      if (Number.isFinite(t)) job.endedAt = t;
    }
    if (m['status'] === 'FAILURE' || m['status'] === 'RETRY') {
      const r = m['result'] as Record<string, unknown> | null;
      if (r && typeof r === 'object' && 'exc_type' in r) job.error = `${String(r['exc_type'])}: ${Array.isArray(r['exc_message']) ? r['exc_message'].map(String).join(', ') : String(r['exc_message'] ?? '')}`;
      if (typeof m['traceback'] === 'string') job.trace = m['traceback'];
    } else if (m['status'] === 'SUCCESS') job.details.push(['result', JSON.stringify(m['result'])]);
  } catch {
    job.details.push(['result', meta.slice(0, 200)]);
  }
}

/** The mark of reserved messages delivered longer ago than the visibility timeout. */
export const PAST_VISIBILITY = 'PAST VISIBILITY TIMEOUT';

/** The Celery reader with kombu options (visibility timeout, key names, priority steps). */
export function celeryReaderWith(options: CeleryOptions = {}): FrameworkReader {
  const c = celeryConfig(options);
  return {
    framework: 'celery',
    label: 'Celery',
    async read(client, prefix) {
      const listed = celeryQueuesOf(prefix);
      const [unacked, listedInfo] = await Promise.all([
        readUnacked(client, c),
        Promise.all(listed.map((q) => Promise.all([client.exists(`_kombu.binding.${q}`), Promise.all(priorityLists(q, c.prioritySteps).map((k) => client.llen(k)))]))),
      ]);
      const byQueue = new Map<string, Unacked[]>();
      for (const u of unacked.entries) if (u.routingKey) byQueue.set(u.routingKey, [...(byQueue.get(u.routingKey) ?? []), u]);
      const shown = listed.filter((q, i) => listedInfo[i]![0] > 0 || listedInfo[i]![1].some((n) => n > 0) || byQueue.has(q));
      const extra = [...byQueue.keys()].filter((q) => !listed.includes(q)).sort();
      if (!shown.length && !extra.length && !unacked.total) return undefined;
      const extraLens = await Promise.all(extra.map((q) => Promise.all(priorityLists(q, c.prioritySteps).map((k) => client.llen(k)))));
      const lens = new Map<string, number[]>([...listed.map((q, i) => [q, listedInfo[i]![1]] as const), ...extra.map((q, i) => [q, extraLens[i]!] as const)]);
      const delivered = await deliveredAt(client, c, unacked.entries.map((u) => u.tag));
      const ceiling = Date.now() / 1000 - c.visibilityTimeout;
      const rows: FwRow[] = [...shown, ...extra].map((q) => {
        const mine = byQueue.get(q) ?? [];
        const times = mine.map((u) => delivered.get(u.tag)).filter((t): t is number => t !== undefined);
        const past = times.filter((t) => t <= ceiling).length;
        const waiting = lens.get(q)!.reduce((a, b) => a + b, 0);
        const row: FwRow = {
          framework: 'celery',
          kind: 'queue',
          name: q,
          key: q,
          states: [
            { state: 'waiting', label: 'Waiting', tone: 'waiting', count: waiting, order: 'next task on top (highest priority first)' },
            { state: 'reserved', label: 'Reserved', tone: 'running', count: mine.length, order: 'oldest delivery on top' },
          ],
          marks: past ? [`${past} ${PAST_VISIBILITY}`] : [],
          notes: [],
        };
        if (times.length) row.oldestRunningAt = Math.min(...times) * 1000;
        if (past) row.notes.push(`${past} reserved task(s) delivered more than ${c.visibilityTimeout} s ago (the visibility timeout): their worker may be gone; kombu gives them back to the queue when a worker starts, or in a worker's periodic restore.`);
        row.notes.push('Reserved: delivered to a worker (prefetched, running, or held until its ETA) and not yet acknowledged.');
        if (lens.get(q)!.length > 1 && lens.get(q)!.slice(1).some((n) => n > 0)) row.notes.push(`Waiting includes the priority lists (${priorityLists(q, c.prioritySteps).slice(1).length} besides the queue's own).`);
        return row;
      });
      const d: FwDeployment = { framework: 'celery', label: 'Celery', prefix: prefix ?? CELERY_DEFAULT_QUEUES, rows, figures: [['unacknowledged', String(unacked.total)], ['visibility timeout', `${c.visibilityTimeout} s`]] };
      if (unacked.partial) d.figures.push(['unacknowledged read', `${unacked.entries.length} of ${unacked.total} (one HSCAN page)`]);
      return d;
    },

    async jobs(client, row, state, { start = 0, count = 100 } = {}) {
      const q = row.key;
      let found: Array<{ job: FwJob; tag?: string }>;
      let total: number;
      if (state === 'waiting') {
        const keys = priorityLists(q, c.prioritySteps);
        const lens = await Promise.all(keys.map((k) => client.llen(k)));
        total = lens.reduce((a, b) => a + b, 0);
        // Workers BRPOP the lists in priority order, each from its right end: read so, next first.
        const reads: Array<Promise<string[]>> = [];
        let offset = 0;
        keys.forEach((k, i) => {
          const n = lens[i]!;
          const from = Math.max(start - offset, 0);
          const to = Math.min(start + count - offset, n) - 1;
          if (to >= from) reads.push(client.lrange(k, -(to + 1), -(from + 1)).then((x) => x.reverse()));
          offset += n;
        });
        const raws = (await Promise.all(reads)).flat();
        found = raws.map((raw) => {
          let m: Record<string, unknown> | undefined;
          try {
            m = JSON.parse(raw) as Record<string, unknown>;
          } catch {
            m = undefined;
          }
          return { job: celeryJobOf(m, raw) };
        });
      } else if (state === 'reserved') {
        const { entries } = await readUnacked(client, c);
        const mine = entries.filter((u) => u.routingKey === q);
        const delivered = await deliveredAt(client, c, mine.map((u) => u.tag));
        mine.sort((a, b) => (delivered.get(a.tag) ?? Infinity) - (delivered.get(b.tag) ?? Infinity));
        total = mine.length;
        const ceiling = Date.now() / 1000 - c.visibilityTimeout;
        found = mine.slice(start, start + count).map((u) => {
          const job = celeryJobOf(u.message, u.raw);
          const at = delivered.get(u.tag);
          if (at !== undefined) job.startedAt = Math.round(at * 1000);
          job.details.push(['delivery tag', u.tag]);
          if (u.exchange) job.details.push(['exchange', u.exchange]);
          if (at !== undefined && at <= ceiling) job.details.push(['visibility timeout', `${PAST_VISIBILITY}: delivered more than ${c.visibilityTimeout} s ago; its worker may be gone`]);
          return { job, tag: u.tag };
        });
      } else return { jobs: [], total: 0 };
      const metas = found.length ? await client.mget(...found.map((f) => `${c.resultPrefix}${f.job.id}`)) : [];
      found.forEach((f, i) => withResult(f.job, metas[i] ?? null));
      return { jobs: found.map((f) => f.job), total };
    },
  };
}

/** Celery's Redis broker with kombu's defaults (visibility timeout 3600 s). */
export const celeryReader: FrameworkReader = celeryReaderWith();

/** The delivery tag of a reserved job as the reader lists it. */
export function deliveryTagOf(job: FwJob): string | undefined {
  return job.details.find(([k]) => k === 'delivery tag')?.[1];
}
