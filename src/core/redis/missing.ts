/**
 * Errors for things that are not there, where acting as if they were would be a wrong answer
 * that looks right ("exported 0", "replayed 0", "deleted"): a missing stream, a missing consumer.
 */
import type { RedisClient } from './connection';
import { QueueError, WrongTypeError, printable, toQueueError, type ErrorContext } from './errors';

/**
 * The stream (a dead-letter stream too) does not exist: nothing was read, written or changed. Said
 * as an error, never as "0 matches" or "exported 0" (a misspelt name or the wrong database would
 * otherwise look like an empty stream). Search, export, replay and journey all use this one.
 */
export class NoStreamError extends QueueError {
  constructor(
    readonly key: string,
    what = 'stream',
  ) {
    super('REDIS', `No ${what} "${printable(key)}": the key does not exist, no such stream on this server (check its name and the database)`);
  }
}

/** The consumer is not in the group: nothing was changed. */
export class NoConsumerError extends QueueError {
  constructor(stream: string, group: string, consumer: string) {
    super('REDIS', `Nothing to do: no consumer "${printable(consumer)}" in group "${printable(group)}" of stream "${printable(stream)}"`);
  }
}

/**
 * The one check of a key that should be a stream, from its TYPE: `'stream'`, or `'none'` when the
 * key does not exist; any other type is a {@link WrongTypeError} (`expected` words what it should
 * have been). Callers that need the stream to exist use {@link streamKey}.
 */
export function streamTypeOf(key: string, type: string, expected = 'stream'): 'stream' | 'none' {
  if (type === 'stream' || type === 'none') return type;
  throw new WrongTypeError(key, expected, type);
}

/** One TYPE, checked by {@link streamTypeOf}; a failed TYPE is a {@link QueueError} naming the key. */
export async function streamType(client: Pick<RedisClient, 'type'>, key: string, opts: { expected?: string; ctx?: ErrorContext } = {}): Promise<'stream' | 'none'> {
  let type: string;
  try {
    type = String(await client.type(key));
  } catch (e) {
    throw toQueueError(e, { ...opts.ctx, key, command: 'TYPE' });
  }
  return streamTypeOf(key, type, opts.expected);
}

/** A key that must be an existing stream: {@link NoStreamError} when absent (`what` names it), {@link WrongTypeError} when another type. */
export async function streamKey(client: Pick<RedisClient, 'type'>, key: string, opts: { what?: string; ctx?: ErrorContext } = {}): Promise<void> {
  if ((await streamType(client, key, { ctx: opts.ctx })) === 'none') throw new NoStreamError(key, opts.what);
}
