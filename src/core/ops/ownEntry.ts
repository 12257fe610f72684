/**
 * What a single consumer (the debug consumer) does to the one entry it holds, only while it still
 * holds it: ack it, or renew its lease (XCLAIM to itself with JUSTID: idle back to 0, no delivery
 * counted, so other workers' reclaim rounds, which take entries idle longer than their minimum,
 * leave it alone). One script each: the owner check and the write are atomic, so an entry a worker
 * reclaimed meanwhile is never acked or taken back under it.
 */
import { LUA_OWNED_ENTRY } from '../queue/luaSources.generated';
import { type OpTarget, assertWritable, call } from './target';

/** lua/ownedEntry.lua: KEYS[1] stream; ARGV group, id, consumer, 'ack' | 'renew'; {done, owner}. */
const OWNED = LUA_OWNED_ENTRY;

/**
 * `done`: XACK returned 1 (ack) or the lease was renewed. Otherwise `owner` is the consumer that
 * holds it now, or undefined when it is pending nowhere (acked, dead-lettered or its group gone).
 */
export interface OwnedResult {
  done: boolean;
  owner?: string;
}

async function owned(t: OpTarget, what: 'ack' | 'renew', stream: string, group: string, consumer: string, id: string): Promise<OwnedResult> {
  assertWritable(t, what === 'ack' ? 'XACK' : 'XCLAIM');
  const r = (await call(t, { key: stream, group, command: what === 'ack' ? 'XACK' : 'XCLAIM' }, () => t.client.eval(OWNED, 1, stream, group, id, consumer, what))) as [number, string];
  const owner = String(r[1] ?? '');
  return { done: Number(r[0]) === 1, owner: owner || undefined };
}

/** Acks `id` in `group` only while `consumer` holds it (atomically). */
export function ackIfOwned(t: OpTarget, stream: string, group: string, consumer: string, id: string): Promise<OwnedResult> {
  return owned(t, 'ack', stream, group, consumer, id);
}

/** Resets the idle time of `id` (no delivery counted) only while `consumer` holds it (atomically). */
export function renewIfOwned(t: OpTarget, stream: string, group: string, consumer: string, id: string): Promise<OwnedResult> {
  return owned(t, 'renew', stream, group, consumer, id);
}
