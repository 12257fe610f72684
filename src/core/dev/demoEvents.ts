/**
 * The seeded demo's history as worker events (queue/runtime/events.ts): what the demo's consumers
 * did to the entries seedDemo left pending, acknowledged or dead-lettered, so a journey of any
 * of them has a timeline from the start. Written in the events format ({@link eventPairs}, key
 * {@link eventsKeyOf}) with ids at the times the seed tells (an event's id is its time), oldest
 * first; demo traffic's workers go on recording (their `events` option) after these.
 */
import type { RedisClient } from '../redis/client';
import { type QueueEvent, eventPairs, eventsKeyOf } from '../queue/runtime/events';

/** One seeded event: where, when (ms since the epoch) and what. */
export interface SeedEvent extends QueueEvent {
  at: number;
}

/** Collects seeded events per events stream, then writes each stream's in time order. */
export class SeedHistory {
  private readonly byKey = new Map<string, SeedEvent[]>();

  /** Records one event of a message (or job) of `queue`. */
  add(queue: string, at: number, e: QueueEvent): void {
    const key = eventsKeyOf(queue);
    const list = this.byKey.get(key) ?? [];
    list.push({ ...e, at: Math.floor(at) });
    this.byKey.set(key, list);
  }

  /**
   * A message taken `deliveries` times by `consumer`, the first at `from`, the last at `last`; every
   * delivery but the last failed with `error` (none when `error` is undefined: redelivered after a crash).
   */
  deliveries(queue: string, id: string, o: { group?: string; consumer?: string; deliveries: number; from: number; last: number; error?: string }): void {
    const n = Math.max(1, o.deliveries);
    for (let k = 1; k <= n; k++) {
      const at = n === 1 ? o.last : o.from + ((o.last - o.from) * (k - 1)) / (n - 1);
      this.add(queue, at, { type: 'delivered', id, group: o.group, consumer: o.consumer, deliveries: k });
      if (k < n && o.error !== undefined) this.add(queue, at + 50, { type: 'failed', id, group: o.group, consumer: o.consumer, deliveries: k, error: o.error });
    }
  }

  /** Writes every events stream (replacing nothing: the caller deleted the old ones), oldest first. */
  async write(client: RedisClient): Promise<number> {
    let n = 0;
    for (const [key, list] of this.byKey) {
      list.sort((a, b) => a.at - b.at);
      const p = client.pipeline();
      let prev = -1;
      let seq = 0;
      for (const { at, ...e } of list) {
        seq = at === prev ? seq + 1 : 0;
        prev = at;
        p.xadd(key, `${at}-${seq}`, ...eventPairs(e));
      }
      const replies = (await p.exec()) ?? [];
      const failed = replies.find(([err]) => err);
      if (failed) throw failed[0]!;
      n += list.length;
    }
    return n;
  }
}
