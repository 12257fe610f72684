/**
 * A message as a command handler receives it (the CLI's `work --exec`, the editor's Run Handler
 * with a command): the lossless JSON object on stdin, one line, and `RQ_*` variables.
 */
import { messageObject, toJsonRecord } from '../../messages/message';
import type { StreamMessage } from './options';

/** Environment variables given to a command handler. */
export function execEnv(m: StreamMessage, group: string, consumer: string): Record<string, string> {
  const fields = JSON.stringify(toJsonRecord(m.raw));
  return {
    RQ_ID: m.id,
    RQ_STREAM: m.stream,
    RQ_GROUP: group,
    RQ_CONSUMER: consumer,
    RQ_DELIVERIES: String(m.deliveries),
    // Environment strings are limited in size (128 KiB each on Linux): big messages come on stdin only.
    ...(fields.length <= 100_000 ? { RQ_FIELDS: fields } : {}),
  };
}

/** The command handler's stdin: the lossless message object (`pairs` byte for byte, `fields` for convenience), one line. */
export function execInput(m: StreamMessage, group: string, consumer: string): string {
  return `${JSON.stringify(messageObject({ stream: m.stream, group, consumer, id: m.id, deliveries: m.deliveries }, m.raw))}\n`;
}
