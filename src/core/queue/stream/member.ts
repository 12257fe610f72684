/**
 * What the parts of a stream worker (its ack batcher, reclaim, failure handling) know of the
 * worker they serve. Each part's host interface adds the few calls back it makes; the worker
 * (worker.ts) is the one host, and keeps the stats, events and scheduling those calls touch.
 */
import type { RedisClient } from '../../redis/connection';

/** One consumer of one group: where the parts send their commands and report their errors. */
export interface GroupMember {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  /** The command connection: undefined before start() opened it. */
  command(): RedisClient | undefined;
  /** stop() was called. */
  stopping(): boolean;
  /** Reports an error as the worker's `error` event (the worker carries on). */
  report(e: unknown, command?: string): void;
}
