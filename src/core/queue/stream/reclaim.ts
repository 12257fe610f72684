/**
 * Reclaiming: the stream worker's periodic round that takes over entries idle too long in other
 * consumers' PELs (dead consumers, in effect), with XAUTOCLAIM, or XPENDING + XCLAIM on servers
 * without it; entries whose message was deleted (Redis < 7.0 keeps their ids pending) are acked
 * instead of claimed forever. Live workers renew the entries they hold (lease.ts), so only the
 * entries of dead (or cut off) consumers get that idle; each round first renews this worker's own
 * due leases, as XAUTOCLAIM takes from every consumer, this one included. And the other way round
 * at stop(): entries read but never started are made reclaimable at once
 * ({@link Reclaimer.releaseUnstarted}).
 */
import { xpendingRange } from '../../redis/commands';
import { parseAutoClaim, parseEntries, type Capabilities, type StreamEntry } from '../../redis/replies';
import type { GroupMember } from './member';

/** The worker as its reclaim round sees it. */
export interface ReclaimHost extends GroupMember {
  /** Server capabilities (XAUTOCLAIM, XPENDING … IDLE): known once started. */
  capabilities(): Capabilities | undefined;
  /** The worker is re-taking its own PEL one entry at a time: no round now (XAUTOCLAIM would take those in a batch). */
  rereading(): boolean;
  /** How many entries a round may take now. */
  room(): number;
  /** The worker already holds `id` (queued, running, or waiting for a retry). */
  owns(id: string): boolean;
  /** Acks `id` (its message was deleted: nothing to process). */
  ack(id: string): void;
  /**
   * Renews the leases due (lease.ts) just before a round, so that the round's XAUTOCLAIM (which
   * takes from every consumer, this one included) never takes, and counts a delivery of, an entry
   * this worker holds. False when a renewal failed: no round then.
   */
  renewLeases(): Promise<boolean>;
  /** Hands reclaimed entries to the handlers. `owners`: who held each, when `withOwners`. */
  claimed(entries: StreamEntry[], owners: Map<string, string> | undefined): Promise<void>;
}

export interface ReclaimOptions {
  /** Entries idle at least this long in another consumer's PEL are taken (0: reclaiming is off). */
  claimMinIdleMs: number;
  /** Look up who held each entry before claiming it (one XPENDING more per round; for the events). */
  withOwners: boolean;
}

/** The reclaim round of one stream worker. */
export class Reclaimer {
  private claiming = false;

  constructor(
    private readonly host: ReclaimHost,
    private readonly o: ReclaimOptions,
  ) {}

  /** One reclaim round: takes entries idle ≥ claimMinIdleMs from any consumer (dead ones, in effect). */
  async round(): Promise<void> {
    const h = this.host;
    const cmd = h.command();
    // Not while our own PEL is being re-taken one at a time: XAUTOCLAIM would take those in a batch.
    if (this.claiming || h.stopping() || !cmd || h.rereading()) return;
    this.claiming = true;
    try {
      // Entries held here are then idle for less than the lease interval, under claimMinIdleMs.
      if (!(await h.renewLeases())) return;
      let cursor = '0-0';
      for (let round = 0; round < 100 && !h.stopping(); round++) {
        const room = h.room();
        if (room <= 0) break;
        let claimed: StreamEntry[];
        /** With events: who held each entry just before the claim (an XPENDING only then). */
        const owners = this.o.withOwners ? new Map<string, string>() : undefined;
        if (h.capabilities()?.autoClaim !== false) {
          // (Best effort: a failure here only leaves `from` out of the events.)
          if (owners) for (const p of await xpendingRange(cmd, h.stream, h.group, { start: cursor, count: room, minIdleMs: this.o.claimMinIdleMs }).catch(() => [])) owners.set(p.id, p.consumer);
          const raw = (await cmd.callBuffer('XAUTOCLAIM', h.stream, h.group, h.consumer, this.o.claimMinIdleMs, cursor, 'COUNT', room)) as unknown[];
          const r = parseAutoClaim(raw);
          claimed = r.entries;
          // Before 7.0 an entry whose message was deleted comes back as a nil (no id) and stays in
          // the PEL, claimed again every round: find such ids among ours in the range swept.
          if (Array.isArray(raw[1]) && raw[1].includes(null)) await this.dropDeletedClaimed(cursor, r.nextId, claimed);
          cursor = r.nextId;
        } else {
          claimed = await this.claimFallback(room, owners);
          cursor = '0-0';
        }
        const mine = claimed.filter((e) => !h.owns(e.id));
        if (mine.length) await h.claimed(mine, owners);
        if (cursor === '0-0' || claimed.length === 0) break;
      }
    } catch (e) {
      h.report(e, 'XAUTOCLAIM');
    } finally {
      this.claiming = false;
    }
  }

  /** XPENDING (IDLE) + XCLAIM for servers without XAUTOCLAIM. */
  private async claimFallback(room: number, owners?: Map<string, string>): Promise<StreamEntry[]> {
    const h = this.host;
    const minIdleMs = h.capabilities()?.pendingIdle ? this.o.claimMinIdleMs : undefined;
    const pending = (await xpendingRange(h.command()!, h.stream, h.group, { count: room * 4, minIdleMs })).filter((p) => p.idle >= this.o.claimMinIdleMs && p.consumer !== h.consumer).slice(0, room);
    if (pending.length === 0) return [];
    if (owners) for (const p of pending) owners.set(p.id, p.consumer);
    const raw = (await h.command()!.callBuffer('XCLAIM', h.stream, h.group, h.consumer, this.o.claimMinIdleMs, ...pending.map((p) => p.id))) as unknown[];
    const entries = parseEntries(raw);
    if (raw.includes(null)) {
      // Before 7.0 a claimed entry whose message was deleted comes back as nil and stays pending.
      const got = new Set(entries.map((e) => e.id));
      await this.ackMissing(pending.map((p) => p.id).filter((id) => !got.has(id)));
    }
    return entries;
  }

  /**
   * After an XAUTOCLAIM from `from` to `next` that returned nils (before Redis 7.0: entries whose
   * message was deleted, now in this consumer's PEL): acks this consumer's pending ids in that
   * range whose message is gone, so that they are not claimed (and counted as deliveries) forever.
   */
  private async dropDeletedClaimed(from: string, next: string, claimed: StreamEntry[]): Promise<void> {
    const h = this.host;
    const end = next === '0-0' ? '+' : next;
    const known = new Set(claimed.map((e) => e.id));
    const mine = await xpendingRange(h.command()!, h.stream, h.group, { start: from, end, count: 1000, consumer: h.consumer });
    await this.ackMissing(mine.map((p) => p.id).filter((id) => !known.has(id) && !h.owns(id)));
  }

  /** Acks the ids among `ids` whose message is no longer in the stream (one XRANGE each, pipelined). */
  private async ackMissing(ids: string[]): Promise<void> {
    if (!ids.length) return;
    const p = this.host.command()!.pipeline();
    for (const id of ids) p.xrangeBuffer(this.host.stream, id, id);
    const replies = (await p.exec()) ?? [];
    ids.forEach((id, i) => {
      const [err, r] = replies[i] ?? [new Error('no reply')];
      if (!err && Array.isArray(r) && r.length === 0) this.host.ack(id);
    });
  }

  /**
   * Makes the entries this worker read (or claimed) but never started reclaimable by other
   * consumers at once, instead of after `claimMinIdleMs` (with the default random consumer name
   * nobody else would re-read them sooner): `XCLAIM <stream> <group> <this consumer> <min-idle>
   * <ids> IDLE <claimMinIdleMs> JUSTID` keeps them in this consumer's PEL but sets their idle
   * time to the reclaim threshold; JUSTID leaves their delivery count as it is (tested on 7.0).
   * `min-idle` is the time since this worker got them (`readAt`), so an entry another consumer
   * claimed meanwhile (its idle time restarted) is left alone. A failure leaves them pending as
   * before. Nothing to do when reclaiming is off (`claimMinIdleMs` 0).
   */
  async releaseUnstarted(tasks: readonly { entry: StreamEntry; readAt: number }[]): Promise<void> {
    const h = this.host;
    const cmd = h.command();
    if (tasks.length === 0 || !cmd || this.o.claimMinIdleMs <= 0) return;
    const byReadAt = new Map<number, string[]>();
    for (const t of tasks) {
      const ids = byReadAt.get(t.readAt);
      if (ids) ids.push(t.entry.id);
      else byReadAt.set(t.readAt, [t.entry.id]);
    }
    const now = Date.now();
    try {
      await Promise.all(
        [...byReadAt].map(([readAt, ids]) =>
          cmd.callBuffer('XCLAIM', h.stream, h.group, h.consumer, Math.max(0, now - readAt - 50), ...ids, 'IDLE', this.o.claimMinIdleMs, 'JUSTID'),
        ),
      );
    } catch (e) {
      h.report(e, 'XCLAIM');
    }
  }
}
