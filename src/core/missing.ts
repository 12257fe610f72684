/**
 * Errors for things that are not there, where acting as if they were would be a wrong answer
 * that looks right ("exported 0", "replayed 0", "deleted"): a missing stream, a missing consumer.
 */
import { QueueError, printable } from './errors';

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
