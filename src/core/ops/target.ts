/** Where an operation runs, the read-only check, and the small helpers every operation uses. */
import { type RedisClient } from '../redis/connection';
import { BadInputError, ReadOnlyError, toQueueError } from '../redis/errors';
import { parseId } from '../messages/ids';

/** Where an operation runs. `readOnly` connections refuse writes before sending anything. */
export interface OpTarget {
  client: RedisClient;
  readOnly?: boolean;
  /** Connection name, for messages. */
  name?: string;
}

export function assertWritable(t: OpTarget, action: string): void {
  if (t.readOnly) throw new ReadOnlyError(t.name ?? 'this connection', action);
}

export function checkIds(ids: string[]): void {
  if (!ids.length) throw new BadInputError('No entry ids given');
  for (const id of ids) parseId(id, { allowMsOnly: false });
}

export function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

export async function call<T>(_t: OpTarget, ctx: { key?: string; group?: string; command?: string }, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toQueueError(e, ctx);
  }
}
