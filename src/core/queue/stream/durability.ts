/**
 * The producer's `durability` option: group commit (one WAIT covers every publish written before
 * it on the connection) and, when replication is not confirmed, finding out what happened before
 * saying anything (see {@link Durability.confirm}).
 *
 * Why writes are held while a WAIT is in flight: Redis serves one connection's commands in order,
 * so an XADD sent behind a WAIT waits on the server for as long as the WAIT does (up to
 * `timeoutMs`), and one WAIT per publish at 250/s with a replica that does not answer queued
 * seconds of WAITs ahead of each XADD: past the command timeout, answered "may or may not have been
 * applied". Held on the client instead, an XADD goes out once the WAIT is answered, with every
 * other publish that arrived meanwhile, and the next single WAIT covers them all: at most one WAIT
 * is ever ahead of a write, and no write waits behind one on the server.
 *
 * Why a check after an unconfirmed WAIT: after a failover the messages the old master took and
 * did not pass on are erased when it rejoins as a replica. "Written, do not publish again" would
 * then be false for them. So each unconfirmed id is looked up (XRANGE id id) on the master the
 * connection reaches now (after a failover, the new one; ROLE in the same pipeline says it is a
 * master) until its fate is known or `checkMs` passes: present and held by enough replicas
 * (their acknowledged replication offset, from ROLE, at least the master's offset when the id was
 * seen) → confirmed, nothing to report; absent from a master → lost (republished on request),
 * unless the stream has lost entries at or above it to XDEL or trimming (XINFO STREAM's highest
 * deleted id) → unknown; present at the last look but still not on enough replicas when the time
 * is up → written, not replicated; not seen by the last look (no master reached) → unknown. Only
 * the last look counts for "written": a master seen earlier may have been demoted since (a
 * planned failover leaves the old master taking writes for a second or two).
 */
import type { RedisClient } from '../../redis/connection';
import { isNoSuchKey, QueueError } from '../../redis/errors';
import { compareIds, previousId } from '../../messages/ids';
import { parseStreamInfo } from '../../redis/replies';
import { positiveInt } from '../validate';

/** The field naming, in a republished message, the id of the lost message it replaces (added as the last pair). */
export const REPUBLISHED_FROM_FIELD = 'redis-queues:republished-from';

/** Ids shown in an error message, at most; the error's arrays hold them all. */
const SHOWN_IDS = 10;
/** Ids looked up per pipeline of the check. */
const CHECK_CHUNK = 500;
/** Pause between two checks while the fate of some ids is not known yet. */
const CHECK_EVERY_MS = 100;

export interface DurabilityOptions {
  /** Replicas that must have each publish. */
  replicas: number;
  /** How long one WAIT waits for them, ms. */
  timeoutMs: number;
  /**
   * When a WAIT does not confirm: how long to keep checking, on the master the connection reaches
   * (after a failover, the new one), what became of the unconfirmed messages, ms. Default
   * max(5,000, 4 × timeoutMs): a Sentinel failover demotes the old master within a few seconds.
   */
  checkMs?: number;
  /**
   * Messages found lost (absent from the current master after a failover) are published again,
   * with a new id and a last field {@link REPUBLISHED_FROM_FIELD} holding the lost id. Default false.
   */
  republishLost?: boolean;
}

/** What became of one republished message. */
export interface Republished {
  /** The lost id. */
  from: string;
  /** The new id. */
  id: string;
  /** Its replication was confirmed. */
  replicated: boolean;
}

const list = (ids: string[]) => (ids.length <= SHOWN_IDS ? ids.join(', ') : `${ids.slice(0, SHOWN_IDS).join(', ')}, … (${ids.length - SHOWN_IDS} more)`);

/**
 * Fewer replicas than asked confirmed some messages within the timeout, and checking the current
 * master afterwards did not confirm them either. Each id of `ids` is in exactly one of:
 * - `written`: in the stream on the current master, not yet on enough replicas (lost if this master
 *   fails before a replica copies them). Do not publish them again: they would be duplicated.
 * - `lost`: not in the stream on the current master (a failover threw them away). Publish them again
 *   (or they were: see `republished`).
 * - `unknown`: could not be checked (no master reached in time), or absent from a stream that has
 *   lost entries at or above them to XDEL or trimming (a deletion is not told apart from a
 *   failover's loss). Look at the stream before publishing them again.
 */
export class NotReplicatedError extends QueueError {
  /** In the stream on the current master, not yet replicated. */
  readonly written: string[];
  /** Not in the stream on the current master. */
  readonly lost: string[];
  /** Not checked. */
  readonly unknown: string[];
  /** Lost messages published again (with `republishLost`). */
  readonly republished: Republished[];
  constructor(
    /** Every unconfirmed id (written, lost and unknown). */
    readonly ids: string[],
    /** Replicas that confirmed the first WAIT. */
    readonly replicas: number,
    readonly wanted: number,
    timeoutMs: number,
    fate: { written?: string[]; lost?: string[]; unknown?: string[]; republished?: Republished[] } = { written: ids },
  ) {
    const written = fate.written ?? [];
    const lost = fate.lost ?? [];
    const unknown = fate.unknown ?? [];
    const republished = fate.republished ?? [];
    const parts: string[] = [];
    const n = (k: number) => `${k} message${k === 1 ? '' : 's'}`;
    if (written.length) parts.push(`${n(written.length)} written, not yet replicated (in the stream on the current master; do not publish again): ${list(written)}`);
    const lostAgain = lost.filter((id) => !republished.some((r) => r.from === id));
    if (lostAgain.length) parts.push(`${n(lostAgain.length)} lost in a failover (not in the stream on the current master; publish again): ${list(lostAgain)}`);
    if (republished.length) {
      const shown = republished.slice(0, SHOWN_IDS).map((r) => `${r.from} → ${r.id}${r.replicated ? '' : ' (not yet replicated)'}`);
      parts.push(`${n(republished.length)} lost in a failover and published again: ${shown.join(', ')}${republished.length > SHOWN_IDS ? ', …' : ''}`);
    }
    if (unknown.length) parts.push(`${n(unknown.length)} unknown (no master reached to check them, or absent where the stream had entries deleted or trimmed; look at the stream before publishing again): ${list(unknown)}`);
    super('NOT_REPLICATED', `Replication not confirmed: ${ids.length === 1 ? 'the message' : `${ids.length} messages`} reached ${replicas} of ${wanted} replica${wanted === 1 ? '' : 's'} within ${timeoutMs} ms. ${parts.join('; ')}`);
    this.written = written;
    this.lost = lost;
    this.unknown = unknown;
    this.republished = republished;
  }
}

/** A message written and awaiting confirmation: its id and field arguments (to republish it). */
export interface Written {
  id: string;
  args: (string | Buffer)[];
}

/** One WAIT: how many writes it covers, and its outcome (replicas; 0 if it failed). */
interface Wait {
  covers: number;
  result: Promise<number>;
}

/**
 * Group commit and the check after an unconfirmed WAIT, for one producer's connection. A write
 * waits in {@link hold} while a WAIT is in flight, is counted by {@link wrote} and then waits in
 * {@link confirm}.
 */
export class Durability {
  readonly replicas: number;
  readonly timeoutMs: number;
  readonly checkMs: number;
  readonly republishLost: boolean;
  /** Writes sent so far (a sequence number per write). */
  private sent = 0;
  private inFlight: Wait | undefined;
  /** The WAIT that will follow the one in flight, shared by every write it must cover. */
  private next: Promise<number> | undefined;

  constructor(
    private readonly client: RedisClient,
    private readonly stream: string,
    o: DurabilityOptions,
    /** Writes one message again (auto id); resolves to its id. */
    private readonly rewrite: (args: (string | Buffer)[]) => Promise<string>,
    /** Sends a command or pipeline, settled as lost when the connection closes before the answer (the producer's guard). */
    private readonly send: <T>(sendNow: () => Promise<T>) => Promise<T> = (f) => f(),
  ) {
    this.replicas = positiveInt(o?.replicas, 'durability.replicas');
    this.timeoutMs = positiveInt(o?.timeoutMs, 'durability.timeoutMs');
    this.checkMs = o.checkMs === undefined ? Math.max(5000, 4 * this.timeoutMs) : positiveInt(o.checkMs, 'durability.checkMs');
    this.republishLost = o.republishLost === true;
  }

  /** Waits until no WAIT is in flight, so that a write sent next does not queue behind one on the server. */
  async hold(): Promise<void> {
    while (this.inFlight) await this.inFlight.result;
  }

  /**
   * Counts a write: call it in the same synchronous step as sending the write (or after the write
   * was answered). A WAIT sent later covers the write; returns its number for {@link confirm}.
   */
  wrote(): number {
    return ++this.sent;
  }

  /** Number of replicas that confirmed a WAIT sent after write `seq` (sharing WAITs with other writes). */
  private waitFor(seq: number): Promise<number> {
    const w = this.inFlight;
    if (w && w.covers >= seq) return w.result;
    if (!w) return this.startWait();
    this.next ??= w.result.then(() => {
      this.next = undefined;
      return this.waitFor(seq);
    });
    return this.next;
  }

  private startWait(): Promise<number> {
    const wait: Wait = { covers: this.sent, result: Promise.resolve(0) };
    // The pipeline is routed by the stream's key: in a Cluster, to the master that took the writes.
    wait.result = this.send(() => this.client.pipeline().exists(this.stream).call('WAIT', this.replicas, this.timeoutMs).exec())
      .then((r) => {
        const [err, n] = r?.[1] ?? [new Error('no reply to WAIT')];
        return err ? 0 : Number(n);
      })
      .catch(() => 0) // connection lost, refused: not confirmed
      .finally(() => {
        if (this.inFlight === wait) this.inFlight = undefined;
      });
    this.inFlight = wait;
    return wait.result;
  }

  /**
   * Resolves once `written` (sent as write number `seq` and before) is on enough replicas; else,
   * after the check, throws {@link NotReplicatedError} naming each unconfirmed message's fate.
   */
  async confirm(seq: number, written: Written[]): Promise<void> {
    if (!written.length) return;
    const got = await this.waitFor(seq);
    if (got >= this.replicas) return;
    const fate = await this.check(written.map((w) => w.id));
    if (!fate.written.length && !fate.lost.length && !fate.unknown.length) return; // confirmed on a second look
    const republished: Republished[] = [];
    if (this.republishLost && fate.lost.length) {
      const byId = new Map(written.map((w) => [w.id, w.args]));
      for (const from of fate.lost) {
        let id: string;
        try {
          await this.hold();
          id = await this.rewrite([...byId.get(from)!, REPUBLISHED_FROM_FIELD, from]);
          republished.push({ from, id, replicated: (await this.waitFor(this.wrote())) >= this.replicas });
        } catch {
          break; // not written again: reported as lost
        }
      }
    }
    const open = new Set([...fate.written, ...fate.lost, ...fate.unknown]);
    const unconfirmed = written.map((w) => w.id).filter((id) => open.has(id));
    throw new NotReplicatedError(unconfirmed, got, this.replicas, this.timeoutMs, { ...fate, republished });
  }

  /**
   * Looks the ids up on the master the connection reaches now, until each one's fate is known or
   * `checkMs` passes (see the module notes). Ids confirmed are left out of the result.
   */
  private async check(ids: string[]): Promise<{ written: string[]; lost: string[]; unknown: string[] }> {
    const deadline = Date.now() + this.checkMs;
    const open = new Set(ids);
    const lost: string[] = [];
    const deleted = new Set<string>();
    /** Ids seen in the stream on a master at the last look (not yet on enough replicas). */
    let present = new Set<string>();
    for (;;) {
      const look = await this.lookUp([...open]).catch(() => undefined);
      // Only the last look counts for "written": a master seen earlier may have been demoted since.
      present = new Set();
      if (look) {
        for (const id of open) {
          if (look.deleted.has(id)) {
            // Absent, but the stream has lost entries at or above it to XDEL or trimming: not
            // told apart from a failover's loss, so not called lost (nor republished).
            deleted.add(id);
            open.delete(id);
          } else if (!look.present.has(id)) {
            lost.push(id);
            open.delete(id);
          } else if (look.acked >= this.replicas) {
            open.delete(id);
          } else {
            present.add(id);
          }
        }
      }
      if (!open.size || Date.now() + CHECK_EVERY_MS > deadline) break;
      await new Promise((r) => setTimeout(r, CHECK_EVERY_MS));
    }
    const order = new Map(ids.map((id, i) => [id, i]));
    const sorted = (xs: string[]) => xs.sort((a, b) => order.get(a)! - order.get(b)!);
    return { written: sorted([...open].filter((id) => present.has(id))), lost: sorted(lost), unknown: sorted([...open].filter((id) => !present.has(id)).concat([...deleted])) };
  }

  /**
   * One look, in pipelines routed by the stream's key: ROLE, XINFO STREAM, then XRANGE id id per
   * id. Resolves to the ids present, the ids absent that may have been deleted or trimmed (not
   * above the stream's highest deleted id, or below its first entry when Redis does not report
   * deletions), and how many replicas have acknowledged the offset the master had when it answered
   * ROLE (a second ROLE, so every id seen present after the first); undefined when the server is
   * not a master.
   */
  private async lookUp(ids: string[]): Promise<Look | undefined> {
    const present = new Set<string>();
    const deleted = new Set<string>();
    let offset = 0;
    for (let i = 0; i < ids.length; i += CHECK_CHUNK) {
      const p = this.client.pipeline().call('ROLE').xinfo('STREAM', this.stream);
      const chunk = ids.slice(i, i + CHECK_CHUNK);
      for (const id of chunk) p.xrange(this.stream, id, id);
      const r = await this.send(() => p.exec());
      if (!r) return undefined;
      const [roleErr, role] = r[0]!;
      if (roleErr) throw roleErr;
      if (String((role as unknown[])?.[0]) !== 'master') return undefined;
      offset = Math.max(offset, Number((role as unknown[])[1]));
      const [infoErr, infoRaw] = r[1]!;
      // No such key: the stream itself is gone from this master (nothing of it to delete from).
      if (infoErr && !isNoSuchKey(infoErr)) throw infoErr;
      const info = infoErr ? undefined : parseStreamInfo(infoRaw);
      const floor = info?.maxDeletedEntryId ?? (info?.firstEntryId ? previousIdOrZero(info.firstEntryId) : undefined);
      chunk.forEach((id, j) => {
        const [err, entries] = r[j + 2]!;
        if (err) throw err;
        if ((entries as unknown[]).length > 0) present.add(id);
        else if (floor !== undefined && floor !== '0-0' && compareIds(id, floor) <= 0) deleted.add(id);
      });
    }
    const role = (await this.send(() => this.client.pipeline().exists(this.stream).call('ROLE').exec()))?.[1];
    if (!role || role[0]) return undefined;
    const r = role[1] as unknown[];
    if (String(r?.[0]) !== 'master') return undefined;
    const acked = ((r[2] as unknown[][]) ?? []).filter((x) => Number(x[2]) >= offset).length;
    return { present, deleted, acked };
  }
}

/** What one look at the current master found. */
interface Look {
  present: Set<string>;
  /** Absent, but at or below the stream's highest deleted id: deleted or trimmed, or lost. */
  deleted: Set<string>;
  /** Replicas that have acknowledged every id seen present. */
  acked: number;
}

/** The id just below `id` (the first entry is not deleted), or 0-0. */
function previousIdOrZero(id: string): string {
  return id === '0-0' || id === '0-1' ? '0-0' : previousId(id);
}
