/**
 * Celery's one recovery on a Redis broker, done as kombu does it: an unacknowledged message whose
 * worker is gone goes back to its queue (kombu's QoS.restore_by_tag and
 * Channel._do_restore_message, which a worker runs when it starts or in its periodic restore).
 * One Lua script per task, atomically: HGET the entry from `unacked`, ZREM it from
 * `unacked_index`, HDEL it from `unacked`, and RPUSH the message to each queue the exchange routes
 * its routing key to (the right end: workers BRPOP it next; kombu pushes to the queue's own list,
 * not a priority list). Like kombu, the `redelivered` header and the
 * `properties.delivery_info.redelivered` flag are set to true, here by a textual edit of those
 * two members only, so that every other byte (the body above all) stays as stored; kombu
 * re-encodes the message with Python's json.dumps, whose output for the same change is the same
 * text (the tests compare the two byte for byte).
 */
import type { RedisClient } from '../redis/connection';
import { runScript, define } from '../queue/lua';
import { LUA_CELERY_REQUEUE } from '../queue/luaSources.generated';
import { celeryConfig, type CeleryOptions, deliveryTagOf, KOMBU_SEP, parseUnacked } from './celery';
import type { FwAction, FwActionResult, FwJob, FwRow } from './framework';

/**
 * Requeue one unacknowledged message (kombu's restore_by_tag). KEYS[1] unacked, KEYS[2]
 * unacked_index, KEYS[3] the exchange's binding set (unused for the anonymous exchange),
 * KEYS[4..] the queues it routes to. ARGV[1] the delivery tag, ARGV[2] the delivery-time ceiling
 * (seconds; 'force' for none), ARGV[3] exchange, ARGV[4] routing key.
 * Returns {1} requeued, {0} not in unacked, {2, score} delivered after the ceiling (or no
 * delivery time), {3} not a kombu message, {4} the queues bound changed.
 */
export const CELERY_REQUEUE = define('celeryRequeue', LUA_CELERY_REQUEUE);

/** How a requeue run behaves. */
export interface CeleryRequeueOptions extends CeleryOptions {
  /** Requeue also tasks delivered less than the visibility timeout ago (their worker may still hold them). */
  force?: boolean;
}

/** The queues kombu's restore would push an unacknowledged message to (undefined: none bound). */
async function destinations(client: RedisClient, exchange: string, routingKey: string): Promise<string[] | undefined> {
  if (!exchange) return routingKey ? [routingKey] : undefined;
  const key = `_kombu.binding.${exchange}`;
  if ((await client.scard(key)) > 1000) return undefined;
  const out = new Set<string>();
  for (const b of await client.smembers(key)) {
    const [rk, , queue] = b.split(KOMBU_SEP);
    if (rk === routingKey && queue !== undefined) out.add(queue);
  }
  return out.size ? [...out] : undefined;
}

/** Requeues unacknowledged tasks as kombu's restore does, one atomic script each; says per task what happened. */
export async function requeueCeleryTasks(client: RedisClient, jobs: readonly FwJob[], options: CeleryRequeueOptions = {}): Promise<FwActionResult> {
  const c = celeryConfig(options);
  const out: FwActionResult = { done: [], skipped: [] };
  for (const job of jobs) {
    const tag = deliveryTagOf(job);
    if (!tag) {
      out.skipped.push({ id: job.id, reason: 'no delivery tag (not a reserved task)' });
      continue;
    }
    const raw = await client.hget(c.unackedKey, tag);
    if (raw === null) {
      out.skipped.push({ id: job.id, reason: await goneReason(client, c.resultPrefix, job.id) });
      continue;
    }
    const u = parseUnacked(tag, raw);
    const dest = u.message ? await destinations(client, u.exchange, u.routingKey) : undefined;
    if (!u.message || !dest) {
      out.skipped.push({ id: job.id, reason: u.message ? `no queue bound to exchange "${u.exchange}" with routing key "${u.routingKey}"` : 'not a kombu message' });
      continue;
    }
    const ceiling = options.force ? 'force' : String(Date.now() / 1000 - c.visibilityTimeout);
    const binding = u.exchange ? `_kombu.binding.${u.exchange}` : `_kombu.binding.${u.routingKey}`;
    const r = (await runScript(client, CELERY_REQUEUE, [c.unackedKey, c.unackedIndexKey, binding, ...dest], [tag, ceiling, u.exchange, u.routingKey])) as [number, Buffer?];
    const code = Number(r[0]);
    if (code === 1) out.done.push(job.id);
    else if (code === 0) out.skipped.push({ id: job.id, reason: await goneReason(client, c.resultPrefix, job.id) });
    else if (code === 2) out.skipped.push({ id: job.id, reason: `not past the visibility timeout (${c.visibilityTimeout} s): its worker may still hold it` });
    else if (code === 3) out.skipped.push({ id: job.id, reason: 'not a kombu message' });
    else out.skipped.push({ id: job.id, reason: 'its exchange\'s bindings changed meanwhile' });
  }
  return out;
}

/** Why a task is no longer unacknowledged: acknowledged (its result says so) or gone. */
async function goneReason(client: RedisClient, resultPrefix: string, id: string): Promise<string> {
  const meta = await client.get(`${resultPrefix}${id}`).catch(() => null);
  try {
    const status = meta ? (JSON.parse(meta) as { status?: string }).status : undefined;
    if (status && status !== 'STARTED' && status !== 'PENDING') return `acknowledged (now ${status})`;
  } catch {
    /* not Celery's */
  }
  return 'gone (acknowledged, or restored to its queue by a worker)';
}

/** The Requeue action with options (visibility timeout, kombu's key names, force). */
export function celeryRequeueWith(options: CeleryRequeueOptions = {}): FwAction {
  return {
    name: 'requeue',
    title: 'Requeue',
    past: 'Requeued',
    detail: options.force
      ? 'Each task goes back to the head of its queue as kombu restores it (marked redelivered), even if its worker may still hold it: it may then run twice.'
      : 'Each task delivered longer ago than the visibility timeout goes back to the head of its queue as kombu restores it (marked redelivered); a worker runs it next.',
    states: ['reserved'],
    run: (client: RedisClient, _row: FwRow, _state: string, jobs: FwJob[]) => requeueCeleryTasks(client, jobs, options),
  };
}

/** Requeue (kombu's defaults: only tasks delivered over 3600 s ago). */
export const celeryRequeue: FwAction = celeryRequeueWith();

/** The actions to register for Celery. */
export const celeryActions: readonly FwAction[] = [celeryRequeue];
