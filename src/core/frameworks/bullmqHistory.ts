/**
 * A BullMQ job's history: what BullMQ recorded for it in its queue's events stream
 * (`<prefix>:<queue>:events`, entries `event <name> jobId <id> …`, the stream BullMQ's
 * QueueEvents reads), oldest first. Read newest first in pages of XREVRANGE and bounded: BullMQ
 * caps the stream (about 10,000 events by default), and the read stops after `maxEntries`
 * entries, saying so. Read-only.
 */
import type { RedisClient } from '../redis/connection';
import { idTime, previousId } from '../messages/ids';
import { decodeName } from '../redis/replies';
import type { BullQueueRef } from './bullmq';

export interface BullJobEvent {
  /** The stream entry's id (its time in ms, then a sequence). */
  id: string;
  /** When, ms (from the id). */
  at: number;
  /** BullMQ's event name: added, waiting, active, progress, completed, failed, delayed, retries-exhausted, removed… */
  event: string;
  /** The entry's other fields as BullMQ wrote them (prev, failedReason, returnvalue, delay, attemptsMade, data…), without event and jobId. */
  fields: Array<[string, string]>;
}

export interface BullJobHistory {
  events: BullJobEvent[];
  /** Entries of the events stream looked at. */
  examined: number;
  /** Whether the whole stream was read (else older events of the job may be beyond `maxEntries`). */
  complete: boolean;
  /** Whether the stream's oldest entry is newer than the job (BullMQ trimmed its first events away). */
  trimmed: boolean;
}

/** The events of job `jobId` in its queue's events stream, oldest first; at most `maxEntries` entries read, `pageSize` a round trip. */
export async function bullJobHistory(client: RedisClient, q: BullQueueRef, jobId: string, o: { maxEntries?: number; pageSize?: number; addedAt?: number } = {}): Promise<BullJobHistory> {
  const key = `${q.base}events`;
  const maxEntries = Math.max(1, o.maxEntries ?? 20_000);
  const pageSize = Math.max(1, Math.min(o.pageSize ?? 1000, 5000));
  const found: BullJobEvent[] = [];
  let examined = 0;
  let end = '+';
  let complete = false;
  let oldest: string | undefined;
  while (examined < maxEntries) {
    const count = Math.min(pageSize, maxEntries - examined);
    const page = (await client.xrevrangeBuffer(key, end, '-', 'COUNT', count)) as Array<[Buffer, Buffer[]]>;
    for (const [rawId, raw] of page) {
      const id = rawId.toString();
      oldest = id;
      examined++;
      let event = '';
      let job: string | undefined;
      const fields: Array<[string, string]> = [];
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const name = decodeName(raw[i]!);
        const value = raw[i + 1]!.toString('utf8');
        if (name === 'event') event = value;
        else if (name === 'jobId') job = value;
        else fields.push([name, value]);
      }
      if (job === jobId) found.push({ id, at: idTime(id), event, fields });
    }
    if (page.length < count || oldest === '0-0') {
      complete = true;
      break;
    }
    // (Not the exclusive `(id` of Redis 6.2+: servers from 6.0 are read too.)
    end = previousId(oldest!);
  }
  const oldestAt = oldest === undefined ? undefined : idTime(oldest);
  return { events: found.reverse(), examined, complete, trimmed: complete && o.addedAt !== undefined && oldestAt !== undefined && oldestAt > o.addedAt };
}
