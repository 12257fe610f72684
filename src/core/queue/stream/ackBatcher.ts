/**
 * The stream worker's acks: collected and sent in multi-id XACKs.
 *
 * - An ack is collected ({@link AckBatcher.add}) and sent with the next flush: when `batchSize`
 *   are waiting, or after `delayMs` (a timer), in one XACK on the command connection
 *   ({@link AckBatcher.flush}; flushes are serialised).
 * - "Riding on the next read": while a read's entries are handed to handlers the worker sets
 *   {@link AckBatcher.hold}, so that the acks those handlers produce are not flushed at
 *   `batchSize` on their own: the next read takes them ({@link AckBatcher.take}) and carries them
 *   on the blocking connection, one round trip for both (an XACK sent just before the read
 *   ({@link AckBatcher.send}), or inside the scripted read ({@link AckBatcher.ride})).
 * - A riding ack not confirmed within {@link ACK_RIDE_TIMEOUT_MS} is sent again by XACK on the
 *   command connection (idempotent): a stalled blocking connection (it waits for replies without
 *   a timeout) must not leave finished entries pending. Each ride is confirmed at most once.
 * - A failed XACK puts its ids back for the next flush (XACK is idempotent); while stopping a
 *   failed flush gives them up (they stay pending and are re-delivered: at-least-once).
 * - stop() settles the riding acks, then flushes the rest ({@link AckBatcher.finish}).
 */
import type { RedisClient } from '../../redis/connection';
import type { GroupMember } from './member';

/** Ids per XACK at most. */
const MAX_ACK_IDS = 1000;

/**
 * Acks sent on the blocking connection (with a read) that are not confirmed after this long are
 * sent again by XACK on the command connection (idempotent): a stalled blocking connection (it
 * waits for replies without a timeout) must not leave finished entries pending until another
 * consumer reclaims and re-runs them.
 */
const ACK_RIDE_TIMEOUT_MS = 1500;

/** Acks sent on the blocking connection, confirmed at most once (by that read or by the backup XACK). */
export interface RidingAcks {
  ids: string[];
  confirmed: boolean;
  /** The backup XACK on the command connection was sent. */
  backup: boolean;
  timer?: NodeJS.Timeout;
}

/** The worker as its ack batcher sees it. */
export interface AckHost extends GroupMember {
  /** Ids whose XACK Redis confirmed, each once (see stats.acked). */
  confirmed(ids: string[]): void;
  /** Ids given up: their XACK failed while stopping (they stay pending). */
  abandoned(ids: string[]): void;
}

/** The acks of one stream worker (see the file's comment for the protocol). */
export class AckBatcher {
  private ackIds: string[] = [];
  /** While a read's entries are queued: acks wait for the next read instead of a flush at `batchSize`. */
  hold = false;
  /** XACKs sent along with reads, not answered yet. */
  private readonly acksRiding = new Set<Promise<void>>();
  private ackTimer: NodeJS.Timeout | undefined;
  private ackFlushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: AckHost,
    private readonly batchSize: number,
    private readonly delayMs: number,
  ) {}

  /** Acks collected, not sent yet. */
  get pending(): number {
    return this.ackIds.length;
  }

  /** Collects one ack: flushed at `batchSize` (unless held for the next read) or after `delayMs`. */
  add(id: string): void {
    this.ackIds.push(id);
    if (this.ackIds.length >= this.batchSize && !this.hold) void this.flush();
    else if (!this.ackTimer) this.ackTimer = setTimeout(this.flushLater, this.delayMs);
  }

  private readonly flushLater = () => void this.flush();

  /** Takes the collected acks (at most MAX_ACK_IDS) for a read to carry. */
  take(): string[] {
    const ids = this.ackIds.splice(0, MAX_ACK_IDS);
    if (this.ackIds.length === 0 && this.ackTimer) {
      clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
    }
    return ids;
  }

  /**
   * Sends acks in one multi-id XACK on `client` without waiting (acks that go just before a read).
   * A failure puts them back for the next flush (XACK is idempotent).
   */
  send(client: RedisClient, ids: string[]): void {
    const ride = this.ride(ids);
    this.track(
      (client.callBuffer('XACK', [this.host.stream, this.host.group, ...ids]) as Promise<unknown>).then(
        () => this.rideConfirmed(ride),
        (e: unknown) => {
          this.host.report(e, 'XACK');
          this.rideFailed(ride);
        },
      ),
    );
  }

  /** Keeps an ack in flight in `acksRiding` (stop() waits for them) until it settles. */
  private track(p: Promise<void>): void {
    this.acksRiding.add(p);
    void p.finally(() => this.acksRiding.delete(p));
  }

  /** Acks about to go on the blocking connection: sent again on `cmd` if not confirmed in ACK_RIDE_TIMEOUT_MS. */
  ride(ids: string[]): RidingAcks {
    const ride: RidingAcks = { ids, confirmed: false, backup: false };
    ride.timer = setTimeout(() => this.backupAcks(ride), ACK_RIDE_TIMEOUT_MS);
    return ride;
  }

  private backupAcks(ride: RidingAcks): void {
    ride.timer = undefined;
    const cmd = this.host.command();
    if (ride.confirmed || !cmd) return;
    ride.backup = true;
    this.track(
      (cmd.callBuffer('XACK', [this.host.stream, this.host.group, ...ride.ids]) as Promise<unknown>).then(
        () => this.rideConfirmed(ride),
        (e: unknown) => {
          if (ride.confirmed) return;
          this.host.report(e, 'XACK');
          this.ackFailed(ride.ids);
        },
      ),
    );
  }

  /** The read (or XACK) carrying the acks was answered. */
  rideConfirmed(ride: RidingAcks): void {
    if (ride.timer) clearTimeout(ride.timer);
    ride.timer = undefined;
    if (ride.confirmed) return;
    ride.confirmed = true;
    this.host.confirmed(ride.ids);
  }

  /** The read (or XACK) carrying the acks failed: back in line, unless the backup XACK has them. */
  rideFailed(ride: RidingAcks): void {
    if (ride.timer) clearTimeout(ride.timer);
    ride.timer = undefined;
    if (!ride.confirmed && !ride.backup) this.ackFailed(ride.ids);
  }

  /** Acks whose XACK failed (or whose fate is unknown): back in line for the next flush. */
  private ackFailed(ids: string[]): void {
    for (const id of ids) this.ackIds.push(id);
    if (!this.host.stopping() && !this.ackTimer) this.ackTimer = setTimeout(this.flushLater, 200);
  }

  /** Sends the collected acks in one multi-id XACK (serialised with any flush in progress). */
  flush(): Promise<void> {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.ackFlushing = this.ackFlushing.then(async () => {
      while (this.ackIds.length > 0) {
        const ids = this.ackIds.splice(0, MAX_ACK_IDS);
        try {
          await this.host.command()!.callBuffer('XACK', [this.host.stream, this.host.group, ...ids]);
          this.host.confirmed(ids);
        } catch (e) {
          this.host.report(e, 'XACK');
          // Unacked entries stay pending and are re-delivered later (at-least-once). Retry once
          // soon unless stopping, so that a short blip does not cause re-deliveries.
          if (!this.host.stopping()) {
            this.ackIds.unshift(...ids);
            if (!this.ackTimer) this.ackTimer = setTimeout(this.flushLater, 200);
          } else {
            this.host.abandoned(ids);
          }
          return;
        }
      }
    });
    return this.ackFlushing;
  }

  /**
   * The last acks, in stop(): the acks that rode with a read on the (now closed) blocking
   * connection are answered or put back, then what is left is flushed on the command connection.
   */
  async finish(): Promise<void> {
    await Promise.allSettled([...this.acksRiding]);
    if (this.host.command()) await this.flush();
    await this.ackFlushing;
  }
}
