/**
 * Where an import with new ids stands, kept in Redis in the same step as the messages: a batch's
 * XADDs and the number of its last line written go in one script (or one MULTI for a message too
 * large for a script's arguments), to a key in the stream's slot named by the run. A process
 * killed at any moment then leaves a key that says exactly which lines were written, and
 * importing again with the run's name starts after them: nothing duplicated, nothing lost,
 * although new ids cannot tell which messages are there.
 */
import { randomBytes } from 'node:crypto';
import { type RedisClient } from '../redis/connection';
import { BadInputError } from '../redis/errors';
import { type RawFields } from '../messages/message';
import { markerKey } from '../queue/stream/deadLetter';
import { define } from '../queue/lua';
import { LUA_XADD_WITH_PROGRESS } from '../queue/luaSources.generated';

/** How long a run's progress key lives after its last batch (a week, to resume after a weekend). */
export const IMPORT_RUN_TTL_SECONDS = 7 * 24 * 3600;

/**
 * KEYS[1] stream, KEYS[2] the run's progress key. ARGV[1] the key's ttl (seconds), then per
 * message: its line, its field-argument count, its field arguments. XADD * each in order, stopping
 * at the first refused (nothing after it runs); then SET the progress key to the last line
 * written. Returns the new ids, and the refusal last when there was one.
 */
export const XADD_WITH_PROGRESS = define('xaddWithProgress', LUA_XADD_WITH_PROGRESS);

/** A new run name (8 hex digits). */
export function newRunName(): string {
  return randomBytes(4).toString('hex');
}

/** The progress key of run `run` of imports into `stream`, or undefined when none can share its slot. */
export function runKey(stream: string, run: string): string | undefined {
  if (!/^[0-9a-z-]{1,40}$/i.test(run)) throw new BadInputError(`A run name is letters, digits and "-" (got "${run.slice(0, 40)}")`);
  return markerKey(stream, `import:${run}`);
}

/** The last line run `run` wrote (from its progress key), or undefined when the key is gone or never was. */
export async function runLastLine(client: RedisClient, key: string): Promise<number | undefined> {
  const v = await client.get(key);
  if (v === null) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * One message too large for a script's arguments, with the progress: MULTI XADD, SET, EXEC.
 * When the XADD is refused the SET is taken back (set to `before`, or deleted) at once.
 */
export async function xaddOneWithProgress(client: RedisClient, stream: string, key: string, line: number, raw: RawFields, before: number | undefined): Promise<[Error | null, unknown]> {
  const res = (await client.multi().callBuffer('XADD', [stream, '*', ...raw]).set(key, String(line), 'EX', IMPORT_RUN_TTL_SECONDS).exec()) ?? [];
  const [err, id] = res[0] ?? [new Error('Redis did not answer the XADD'), null];
  if (err) {
    if (before === undefined) await client.del(key);
    else await client.set(key, String(before), 'EX', IMPORT_RUN_TTL_SECONDS);
  }
  return [err, id];
}
