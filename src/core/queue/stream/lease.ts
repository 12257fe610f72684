/**
 * Leases: what keeps an entry a stream worker holds (queued, running, or waiting for its retry's
 * back-off) its own. Reclaiming goes by idle time (XAUTOCLAIM, XPENDING + XCLAIM take entries idle
 * ≥ `claimMinIdleMs`), so a handler that runs longer than that would be taken over and run a
 * second time at once by another worker (or its own reclaim round). The worker therefore renews
 * the entries it holds every `leaseIntervalMs` (well under the claim idle): one script per batch,
 * {@link RENEW_LEASES}, which re-claims to the same consumer with `JUSTID` (the idle time restarts,
 * the delivery count does not move) only the entries still pending with this consumer. A worker
 * that dies stops renewing, and its entries are reclaimed after the claim idle as before.
 *
 * An entry found pending with another consumer, or no longer pending at all, is lost: dropped from
 * the leases and reported to the worker ({@link LeaseHost.leaseLost}), which neither acks nor retries it.
 *
 * A retry takes its entry back with {@link Leases.claimBack}: a delivery (the count goes up), only
 * if the entry is still pending with this consumer and was not delivered since.
 *
 * When the server refuses scripts (ACL, EVAL disabled), both fall back to XCLAIM with a min-idle
 * of the time since this worker's last renewal (an entry someone else claimed since has a shorter
 * idle time and is left alone), the trick `Reclaimer.releaseUnstarted` uses.
 */
import { xpendingOne } from '../../redis/commands';
import { decodeName, parseEntries, type StreamEntry } from '../../redis/replies';
import { isPermanentScriptRefusal, runScript } from '../lua';
import type { GroupMember } from './member';
import { CLAIM_BACK, RENEW_LEASES } from './scripts';

/** Ids per renewal call: keeps each script short on the server (one XPENDING of one id each). */
const RENEW_BATCH = 200;

/**
 * Slack for the fallback's min-idle (ms): an entry's idle time restarted somewhere between the
 * sending of the renewal (or read) and its answer, which this worker notes; the margin covers the
 * clocks' granularity and time from the server's reply to this process noting it.
 */
const MIN_IDLE_SLACK_MS = 50;

/** The worker as its leases see it. */
export interface LeaseHost extends GroupMember {
  /**
   * This worker no longer owns `id`: `owner` took it over, or (owner null) it is no longer pending
   * (acked, dead-lettered or deleted by someone else), or `why` says what else happened.
   */
  leaseLost(id: string, owner: string | null, why: string): void;
}

/** The leases of one stream worker. */
export class Leases {
  /** Id → Date.now() when its idle time last restarted for this worker (read, claim or renewal answered). */
  private readonly at = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<boolean> | undefined;
  /** Scripts run on this server (false after a permanent refusal: the XCLAIM fallback). */
  private scripted = true;

  constructor(
    private readonly host: LeaseHost,
    /** Entries held this long since their last renewal are renewed. */
    readonly intervalMs: number,
  ) {}

  /** Holds `id` (its idle time restarted at `at`: a read or a claim), or notes a new restart. */
  hold(id: string, at = Date.now()): void {
    this.at.set(id, at);
  }

  /** Lets go of `id` (acked, released, dead-lettered, lost). */
  drop(id: string): void {
    this.at.delete(id);
  }

  /** When `id`'s idle time last restarted for this worker (undefined when not held). */
  since(id: string): number | undefined {
    return this.at.get(id);
  }

  /** Entries held. */
  get size(): number {
    return this.at.size;
  }

  /** Renews due leases every half interval (so none goes longer than 1.5 intervals without one). */
  start(): void {
    if (!this.timer) this.timer = setInterval(() => void this.renewDue(), Math.max(5, this.intervalMs / 2));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Renews every lease older than the interval (one pass at a time: a call during a pass shares
   * it). Resolves true when every due lease was renewed or found lost, false when a renewal failed
   * (reported as an `error`; the next pass tries again).
   */
  renewDue(): Promise<boolean> {
    if (!this.renewing) {
      this.renewing = this.renewPass().finally(() => (this.renewing = undefined));
    }
    return this.renewing;
  }

  private async renewPass(): Promise<boolean> {
    const h = this.host;
    const cmd = h.command();
    if (!cmd) return false;
    const now = Date.now();
    const due: string[] = [];
    for (const [id, at] of this.at) if (now - at >= this.intervalMs) due.push(id);
    try {
      for (let i = 0; i < due.length; i += RENEW_BATCH) {
        const ids = due.slice(i, i + RENEW_BATCH).filter((id) => this.at.has(id));
        if (ids.length === 0) continue;
        const sent = new Map(ids.map((id) => [id, this.at.get(id)!]));
        const lost = this.scripted ? await this.renewScripted(ids) : await this.renewFallback(sent);
        const answered = Date.now();
        for (const id of ids) {
          // Still held as it was when sent (not dropped, not re-claimed meanwhile).
          if (this.at.get(id) !== sent.get(id)) continue;
          const owner = lost.get(id);
          if (owner === undefined) this.at.set(id, answered);
          else this.loseLease(id, owner);
        }
      }
      return true;
    } catch (e) {
      h.report(e, 'lease renewal');
      return false;
    }
  }

  /** RENEW_LEASES: lost ids → their owner ('' when no longer pending). */
  private async renewScripted(ids: string[]): Promise<Map<string, string>> {
    const h = this.host;
    try {
      const r = (await runScript(h.command()!, RENEW_LEASES, [h.stream], [h.group, h.consumer, ...ids])) as unknown[];
      const lost = new Map<string, string>();
      for (let i = 0; i + 1 < r.length; i += 2) lost.set(decodeName(r[i]), decodeName(r[i + 1]));
      return lost;
    } catch (e) {
      if (!isPermanentScriptRefusal(e)) throw e;
      this.scripted = false;
      return this.renewFallback(new Map(ids.map((id) => [id, this.at.get(id) ?? Date.now()])));
    }
  }

  /**
   * Without scripts: `XCLAIM … <min-idle> <ids> JUSTID` per group of ids renewed at the same time,
   * min-idle the time since then (less {@link MIN_IDLE_SLACK_MS}): only entries nobody claimed
   * since come back. For the rest, XPENDING tells who holds them now.
   */
  private async renewFallback(sent: Map<string, number>): Promise<Map<string, string>> {
    const h = this.host;
    const cmd = h.command()!;
    const byAt = new Map<number, string[]>();
    for (const [id, at] of sent) {
      const ids = byAt.get(at);
      if (ids) ids.push(id);
      else byAt.set(at, [id]);
    }
    const now = Date.now();
    const got = new Set<string>();
    await Promise.all(
      [...byAt].map(async ([at, ids]) => {
        const r = (await cmd.callBuffer('XCLAIM', h.stream, h.group, h.consumer, Math.max(0, now - at - MIN_IDLE_SLACK_MS), ...ids, 'JUSTID')) as unknown[];
        for (const id of r) got.add(decodeName(id));
      }),
    );
    const lost = new Map<string, string>();
    for (const id of sent.keys()) {
      if (got.has(id)) continue;
      const p = await xpendingOne(cmd, h.stream, h.group, id);
      // Pending with us but not returned: its idle time is shorter than ours says (a clock step);
      // it is still ours, renewed on the next pass.
      if (p?.consumer !== h.consumer) lost.set(id, p?.consumer ?? '');
    }
    return lost;
  }

  private loseLease(id: string, owner: string): void {
    this.at.delete(id);
    this.host.leaseLost(id, owner || null, owner ? `taken over by consumer "${owner}"` : 'no longer pending (acked, dead-lettered or deleted by someone else)');
  }

  /**
   * Takes `id` back for a retry of its failed delivery number `deliveries`: XCLAIM to this
   * consumer (a delivery: the count goes up), only if it is still pending with this consumer and
   * its count is still `deliveries`. Returns the entry (as XCLAIM returns it: none when its message
   * was deleted), or [] when it was lost (reported, dropped).
   */
  async claimBack(id: string, deliveries: number): Promise<StreamEntry[]> {
    const h = this.host;
    const cmd = h.command()!;
    if (this.scripted) {
      try {
        const r = (await runScript(cmd, CLAIM_BACK, [h.stream], [h.group, h.consumer, id, deliveries])) as unknown[];
        const kind = decodeName(r[0]);
        if (kind === 'claimed') {
          this.hold(id);
          return parseEntries(r[1]);
        }
        this.at.delete(id);
        if (kind === 'taken') this.loseLease(id, decodeName(r[1]));
        else if (kind === 'delivered') h.leaseLost(id, h.consumer, `delivered again to this consumer name meanwhile (delivery count ${decodeName(r[1])}, expected ${deliveries})`);
        // 'gone': acked, dead-lettered or deleted meanwhile: nothing left to retry.
        return [];
      } catch (e) {
        if (!isPermanentScriptRefusal(e)) throw e;
        this.scripted = false;
      }
    }
    // A renewal on its way restarts the entry's idle time: its answer first, so that the min-idle
    // below goes by it (a claim computed from the time before it would find the entry "too fresh").
    if (this.renewing) await this.renewing.catch(() => false);
    const at = this.at.get(id) ?? Date.now();
    let entries = parseEntries(await cmd.callBuffer('XCLAIM', h.stream, h.group, h.consumer, Math.max(0, Date.now() - at - MIN_IDLE_SLACK_MS), id));
    if (entries.length > 0) {
      this.hold(id);
      return entries;
    }
    let p = await xpendingOne(cmd, h.stream, h.group, id);
    if (p && p.consumer === h.consumer && p.deliveries === deliveries) {
      // Still ours and not delivered since, only idle for less than this worker noted (a clock
      // step): claimed by the idle XPENDING just reported; anyone who claims it meanwhile restarts that.
      entries = parseEntries(await cmd.callBuffer('XCLAIM', h.stream, h.group, h.consumer, Math.max(0, p.idle - MIN_IDLE_SLACK_MS), id));
      if (entries.length > 0) {
        this.hold(id);
        return entries;
      }
      p = await xpendingOne(cmd, h.stream, h.group, id); // someone claimed it in between
    }
    this.at.delete(id);
    // As CLAIM_BACK says it: taken (another consumer), delivered again to this name, or gone.
    if (p && p.consumer !== h.consumer) this.loseLease(id, p.consumer);
    else if (p && p.deliveries !== deliveries) h.leaseLost(id, h.consumer, `delivered again to this consumer name meanwhile (delivery count ${p.deliveries}, expected ${deliveries})`);
    return [];
  }
}
