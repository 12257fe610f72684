/**
 * What a stream worker does when a handler fails: after `maxDeliveries` deliveries the entry is
 * dead-lettered (deadLetter.ts: one atomic step on one slot); before that it is retried after a
 * back-off: the worker keeps its lease meanwhile (lease.ts: nobody reclaims it), then takes it back
 * with XCLAIM to itself (which bumps its delivery count), only if it is still its own and was not
 * delivered since (`Leases.claimBack` in lease.ts). So a delivery count counts handler runs, and
 * `maxDeliveries` failing runs dead-letter an entry. While stopping a failed entry is left pending
 * (the next start or a reclaim takes it).
 */
import { xpendingOne } from '../../redis/commands';
import type { StreamEntry } from '../../redis/replies';
import { backoffDelay, type BackoffOptions } from '../runtime/backoff';
import { BodyGoneError, deadLetterEntry } from './deadLetter';
import type { GroupMember } from './member';

/** The worker as its failure handling sees it. */
export interface FailureHost extends GroupMember {
  /** The worker lets go of `id` locally (it may stay pending in Redis). */
  release(id: string): void;
  /** Takes `id` back for a retry of delivery `deliveries` if still this worker's (see `Leases.claimBack` in lease.ts). */
  claimBack(id: string, deliveries: number): Promise<StreamEntry[]>;
  /** Hands entries re-taken for a retry to the handlers. */
  retaken(entries: StreamEntry[]): Promise<void>;
  /** A retry's XCLAIM failed (its fate unknown): re-read the worker's own PEL before blocking again. */
  lost(): void;
  /** Acks `id` (its message was deleted: nothing to dead-letter, nothing to process). */
  ack(id: string): void;
  /** An entry was moved to the dead-letter stream as `dlqId`. */
  deadLettered(info: { id: string; deliveries: number; error: string; dlqId: string }): void;
  /** This worker no longer owns `id` (see `LeaseHost.leaseLost` in lease.ts: the `lost` event). */
  leaseLost(id: string, owner: string | null, why: string): void;
}

/** Why an entry delivered more than `maxDeliveries` times is dead-lettered without being run (crashes). */
export const OVER_DELIVERED_REASON = 'delivered more than maxDeliveries times without completing';

/**
 * The worker's rule for an entry about to run on delivery number `deliveries`: `dead-letter` it
 * unseen when it was delivered more often than allowed without completing (crashes), else `run`.
 */
export function beforeRun(deliveries: number, maxDeliveries: number): 'run' | 'dead-letter' {
  return deliveries > maxDeliveries ? 'dead-letter' : 'run';
}

/** The worker's rule after a handler failed on delivery number `deliveries`: `dead-letter` at `maxDeliveries`, else `retry`. */
export function afterFailure(deliveries: number, maxDeliveries: number): 'retry' | 'dead-letter' {
  return deliveries >= maxDeliveries ? 'dead-letter' : 'retry';
}

/** What {@link Failures.deadLetter} did: moved as `dlqId`; `notPending` (someone else acked or moved it); `gone` (its message was deleted: acked); `failed` (reported). */
export type DeadLetterStep = { dlqId: string } | { notPending: true } | { gone: true } | { failed: unknown };

export interface FailureOptions {
  maxDeliveries: number;
  backoff: BackoffOptions | undefined;
  deadLetterStream: string;
  deleteOnDeadLetter: boolean | undefined;
}

/** Retries and dead-letters of one stream worker. */
export class Failures {
  /** Retries waiting for their back-off, by entry id. */
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly host: FailureHost,
    private readonly o: FailureOptions,
  ) {}

  /** A handler failed on delivery number `deliveries` of `id`: dead-letter it, or retry it after a back-off. */
  async onFailure(id: string, deliveries: number, error: Error): Promise<void> {
    if (afterFailure(deliveries, this.o.maxDeliveries) === 'dead-letter') {
      const step = await this.deadLetter(id, deliveries, error.message);
      // Not dead-lettered: if another consumer holds the entry now, it was taken over while the
      // handler ran (a renewal came too late, and the run ended before the next one would have
      // noticed). Said as a renewal says it: a `lost` event.
      if ('notPending' in step || 'failed' in step) await this.announceIfTaken(id);
      this.host.release(id);
      return;
    }
    if (this.host.stopping()) {
      this.host.release(id); // stays pending; the next start re-reads it
      return;
    }
    const delay = backoffDelay(deliveries, this.o.backoff);
    const timer = setTimeout(() => {
      this.retryTimers.delete(id);
      void this.retry(id, deliveries);
    }, delay);
    this.retryTimers.set(id, timer);
  }

  /** Reports `id` lost when XPENDING shows it with another consumer (a read; errors leave it unsaid, as a failed renewal would). */
  private async announceIfTaken(id: string): Promise<void> {
    const h = this.host;
    const cmd = h.command();
    if (!cmd) return;
    try {
      const p = await xpendingOne(cmd, h.stream, h.group, id);
      if (p && p.consumer !== h.consumer) h.leaseLost(id, p.consumer, `taken over by consumer "${p.consumer}"`);
    } catch {
      // unknown: the entry stays pending, and whoever holds it goes on
    }
  }

  /** Drops the retries waiting for their back-off (stop(): those entries stay pending). */
  cancelRetries(): void {
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.retryTimers.clear();
  }

  /** Re-takes a failed entry after its backoff: XCLAIM to itself (bumps the delivery count), if still its own. */
  private async retry(id: string, deliveries: number): Promise<void> {
    const h = this.host;
    if (h.stopping()) {
      h.release(id);
      return;
    }
    try {
      const entries = await h.claimBack(id, deliveries);
      h.release(id);
      if (entries.length === 0) return; // acked, deleted, dead-lettered or taken over by someone else
      await h.retaken(entries);
    } catch (e) {
      h.release(id); // stays pending: the next own-PEL re-read or a reclaim picks it up
      h.lost();
      h.report(e, 'XCLAIM');
    }
  }

  /** Dead-letters one entry (atomic script on one slot; two steps across slots). Says what happened (errors are reported, not thrown). */
  async deadLetter(id: string, deliveries: number, error: string): Promise<DeadLetterStep> {
    const h = this.host;
    try {
      const dlqId = await deadLetterEntry(h.command()!, {
        stream: h.stream,
        group: h.group,
        id,
        dlq: this.o.deadLetterStream,
        deliveries,
        error,
        consumer: h.consumer,
        deleteFromSource: this.o.deleteOnDeadLetter,
      });
      if (dlqId === null) return { notPending: true };
      h.deadLettered({ id, deliveries, error, dlqId });
      return { dlqId };
    } catch (e) {
      // Deleted from the stream while pending: nothing to dead-letter, nothing to process.
      if (e instanceof BodyGoneError) {
        h.ack(id);
        return { gone: true };
      }
      h.report(e, 'dead-letter');
      return { failed: e };
    }
  }
}
