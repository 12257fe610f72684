/**
 * Dead letters: the record format of a dead-letter stream, the atomic move of a pending entry into
 * it, and the atomic move of a dead letter back to a stream (replay).
 *
 * **Record format.** A dead letter is the original message, verbatim, behind a header of
 * bookkeeping pairs:
 *
 *     x-dlq 1, x-dlq-stream S, x-dlq-group G, x-dlq-id ID, x-dlq-deliveries N, x-dlq-error E,
 *     x-dlq-at MS, x-dlq-consumer C, x-dlq-fields P, <the P original pairs, as they were>
 *
 * The header always starts with `x-dlq` and ends with `x-dlq-fields`, so the original pairs are
 * separated exactly, whatever names they use (a user field named `x-dlq-stream` is just data).
 * Records written before this format (bookkeeping after the fields, no `x-dlq` marker) are still
 * read: their `x-dlq-*` fields are bookkeeping.
 *
 * **Replay bookkeeping.** A replayed message is the original pairs followed by
 * `x-replay-count N, x-replay-of ID` (ID: the id the message had in the stream it was
 * dead-lettered from). When such a message is dead-lettered and replayed again, those two
 * trailing pairs are replaced, not repeated.
 *
 * **Atomicity.** Each move is one Lua script when its keys share a Cluster slot (always on a
 * standalone server). Lua cannot call a command with more than about 8,000 arguments, so larger
 * messages are moved in a MULTI/EXEC under WATCH on a connection of their own, with the same checks.
 * Replay across slots (a Cluster whose DLQ and target do not share a hash tag) follows a protocol
 * under which a crash or a second replayer at any moment leaves exactly one copy: see
 * {@link replayEntry}.
 */
import type { RedisClient } from '../../redis/connection';
import { isCluster } from '../../redis/connection';
import { BadInputError, QueueError, toQueueError } from '../../redis/errors';
import { streamType } from '../../redis/missing';
import { type RawFields, nameIs, pairCount, rawOf, text } from '../../messages/message';
import { type Fields, type StreamEntry, parseFields, parseRawFields } from '../../redis/replies';
import { xpendingOne } from '../../redis/commands';
import { DLQ_FIELDS, defaultDeadLetterStream, hashTagOf, keySlot, sameSlot } from '../keys';
import { nameBytes, sameName, showName } from '../../redis/names';
import { BodyGoneError, define, runScript } from '../lua';
import { LUA_DEAD_LETTER_ENTRY, LUA_REPLAY_ENTRY, LUA_WRITE_ONCE } from '../luaSources.generated';

/** First name of a dead-letter record (value: the format's version). */
export const DLQ_MARKER = 'x-dlq';
/** Last name of a dead-letter record's header (value: how many original pairs follow; lua/deadLetterEntry.lua writes it too). */
export const DLQ_BODY_COUNT = 'x-dlq-fields';
export const REPLAY_COUNT_FIELD = 'x-replay-count';
export const REPLAY_OF_FIELD = 'x-replay-of';

/** Arguments a script may pass to one command (Lua's unpack limit is 8,000, less a margin; lua/deadLetterEntry.lua checks it too). */
const MAX_SCRIPT_ARGS = 7_900;

/** A dead-lettered entry, split into its original message and its bookkeeping. */
export interface DeadLetter {
  /** Its id in the dead-letter stream. */
  id: string;
  origin?: string;
  group?: string;
  /** Its id in the origin stream. */
  originalId?: string;
  deliveries?: number;
  error?: string;
  /** When it was dead-lettered (epoch ms). */
  at?: number;
  consumer?: string;
  /** Times the message had been replayed before this dead-lettering. */
  replayCount: number;
  /** The id the message was a replay of, if it was one. */
  replayOf?: string;
  /** The original message as it was dead-lettered, byte for byte. */
  raw: RawFields;
  /** `raw` without an earlier replay's trailing bookkeeping: what a replay sends on. */
  body: RawFields;
  /** A view of `body`. */
  fields: Fields;
  /** False when the record has no message (its entry was gone when it was dead-lettered). */
  hasBody: boolean;
}

const META_NAMES = new Set<string>(Object.values(DLQ_FIELDS));

function num(s: string | undefined): number | undefined {
  return s === undefined || s === '' ? undefined : Number(s);
}

/** Splits a body into the message and a trailing `x-replay-count N, x-replay-of ID`, if it ends so. */
function splitReplayTail(raw: RawFields): { body: RawFields; count: number; of?: string } {
  const n = pairCount(raw);
  if (n >= 2 && nameIs(raw, n - 2, REPLAY_COUNT_FIELD) && nameIs(raw, n - 1, REPLAY_OF_FIELD)) {
    const count = Number(text(raw[2 * (n - 2) + 1]));
    if (Number.isInteger(count) && count > 0) return { body: raw.slice(0, 2 * (n - 2)), count, of: text(raw[2 * (n - 1) + 1]) };
  }
  return { body: raw, count: 0 };
}

/** Reads a dead-letter record (either format). */
export function splitDeadLetter(e: StreamEntry): DeadLetter {
  const all = e.raw ?? [];
  const meta: Record<string, string> = {};
  // The origin stream's name is bytes (written so by deadLetterEntry): kept as read, shown below.
  let origin: Buffer | undefined;
  let raw: RawFields;
  let declared: number | undefined;
  if (nameIs(all, 0, DLQ_MARKER)) {
    let i = 1;
    const n = pairCount(all);
    while (i < n && !nameIs(all, i, DLQ_BODY_COUNT)) {
      meta[all[2 * i]!.toString('utf8')] = all[2 * i + 1]!.toString('utf8');
      if (nameIs(all, i, DLQ_FIELDS.stream)) origin = all[2 * i + 1];
      i++;
    }
    declared = num(text(all[2 * i + 1]));
    raw = all.slice(2 * (i + 1));
  } else {
    // Before the header format: the x-dlq-* fields were appended after the message.
    raw = [];
    for (let i = 0; i + 1 < all.length; i += 2) {
      const name = all[i]!.toString('utf8');
      if (META_NAMES.has(name)) {
        meta[name] = all[i + 1]!.toString('utf8');
        if (name === DLQ_FIELDS.stream) origin = all[i + 1];
      } else raw.push(all[i]!, all[i + 1]!);
    }
  }
  const tail = splitReplayTail(raw);
  let { body, count } = tail;
  const of = tail.of;
  if (declared === undefined && count === 0) {
    // Old records: replay bookkeeping was one x-replay-count field anywhere.
    const at = raw.findIndex((b, i) => i % 2 === 0 && b.toString('latin1') === REPLAY_COUNT_FIELD);
    if (at >= 0) {
      count = Number(raw[at + 1]!.toString('utf8')) || 0;
      body = [...raw.slice(0, at), ...raw.slice(at + 2)];
    }
  }
  return {
    id: e.id,
    origin: origin?.length ? showName(origin) : undefined,
    group: meta[DLQ_FIELDS.group] || undefined,
    originalId: meta[DLQ_FIELDS.id] || undefined,
    deliveries: num(meta[DLQ_FIELDS.deliveries]),
    error: meta[DLQ_FIELDS.error],
    at: num(meta[DLQ_FIELDS.at]),
    consumer: meta[DLQ_FIELDS.consumer] || undefined,
    replayCount: count,
    replayOf: of,
    raw,
    body,
    fields: parseFields(body) ?? {},
    hasBody: body.length > 0 && (declared === undefined || declared > 0),
  };
}

/** What a replay of `letter` writes: its message, then `x-replay-count`, `x-replay-of`. */
export function replayBody(letter: DeadLetter): RawFields {
  return [...letter.body, ...rawOf(REPLAY_COUNT_FIELD, String(letter.replayCount + 1), REPLAY_OF_FIELD, letter.originalId ?? letter.id)];
}

// ---- moving a pending entry into the dead-letter stream ----

/**
 * KEYS[1] stream, KEYS[2] dlq. ARGV[1] group, ARGV[2] id, ARGV[3] '1' to XDEL from the stream,
 * ARGV[4] '1' to dead-letter an entry whose body is gone, ARGV[5..] the header pairs up to (not
 * including) x-dlq-fields. Returns the DLQ id; false when the entry is not pending in the group;
 * {'gone'} when its body is gone (not forced); {'big', n} when its n field arguments are more than
 * one script call may pass on (the caller then uses a transaction).
 */
const DEAD_LETTER = define('deadLetterEntry2', LUA_DEAD_LETTER_ENTRY, ['wrongtype', 'gone']);

export interface DeadLetterInput {
  stream: string;
  group: string;
  id: string;
  /** Dead-letter stream (default `<stream>:dlq`). */
  dlq?: string;
  deliveries?: number;
  error?: string;
  consumer?: string;
  /** XDEL from the source stream too. Default false. */
  deleteFromSource?: boolean;
  /** Dead-letter the entry even when its message was deleted from the stream (the record then has no body). Default false. */
  force?: boolean;
}

/** The entry's message was deleted or trimmed from the stream while it was pending (a refusal of {@link DEAD_LETTER}: see ../lua.ts). */
export { BodyGoneError };

/**
 * Moves one pending entry to its dead-letter stream and acks it, atomically: a script when the two
 * keys share a slot, a watched transaction for messages too large for a script. On a Cluster with
 * keys in different slots, write-once-then-ack (see deadLetterLarge): never lost, never two records.
 * Returns the DLQ id, or null when the entry was no longer pending (someone else acked or
 * dead-lettered it). Throws {@link BodyGoneError} for an entry whose message is gone unless
 * `force`, and WRONGTYPE (changing nothing) when the dead-letter key is not a stream.
 */
export async function deadLetterEntry(client: RedisClient, input: DeadLetterInput): Promise<string | null> {
  const dlq = input.dlq ?? defaultDeadLetterStream(input.stream);
  if (sameName(dlq, input.stream)) throw new BadInputError('The dead-letter stream must differ from the stream');
  const header: (string | Buffer)[] = [
    DLQ_MARKER, '1',
    // The stream's real bytes (input.stream is a shown name), so that a replay finds it again.
    DLQ_FIELDS.stream, nameBytes(input.stream),
    DLQ_FIELDS.group, input.group,
    DLQ_FIELDS.id, input.id,
    DLQ_FIELDS.deliveries, String(input.deliveries ?? 0),
    DLQ_FIELDS.error, (input.error ?? '').slice(0, 2000),
    DLQ_FIELDS.at, String(Date.now()),
    DLQ_FIELDS.consumer, input.consumer ?? '',
  ];
  const del = input.deleteFromSource ? '1' : '0';
  const ctx = { key: dlq, group: input.group, command: 'dead-letter' };
  try {
    if (!isCluster(client) || sameSlot(input.stream, dlq)) {
      const on = { stream: input.stream, id: input.id, key: dlq, what: 'dead-letter stream' };
      const r = await runScript(client, DEAD_LETTER, [input.stream, dlq], [input.group, input.id, del, input.force ? '1' : '0', ...header], on);
      if (r === null || r === undefined || r === false) return null;
      if (!Array.isArray(r)) return String(r);
      return await deadLetterLarge(client, input, dlq, header, del, true);
    }
    return await deadLetterLarge(client, input, dlq, header, del, false);
  } catch (e) {
    throw toQueueError(e, ctx);
  }
}

/**
 * Dead-letter outside a script. Same slot (a message too large for a script): the checks, then
 * XADD + XACK (+ XDEL) in MULTI/EXEC under WATCH of both keys. Across slots: (1) the record is
 * written to the DLQ at most once ({@link writeOnce}, a marker in the DLQ's slot naming the entry);
 * (2) XACK (+ XDEL) in the stream's slot. A crash between them leaves the entry pending and its
 * record written: the next dead-letter of it (by any worker) only acks it.
 */
async function deadLetterLarge(client: RedisClient, input: DeadLetterInput, dlq: string, header: (string | Buffer)[], del: string, atomic: boolean): Promise<string | null> {
  const read = async (c: RedisClient): Promise<RawFields | null | undefined> => {
    if (!(await xpendingOne(c, input.stream, input.group, input.id))) return undefined;
    await assertStreamOrNone(c, dlq, 'the dead-letter stream');
    const entries = (await c.callBuffer('XRANGE', input.stream, input.id, input.id)) as unknown[][];
    const body = entries[0] ? (parseRawFields(entries[0][1]) ?? []) : null;
    if (!body && !input.force) throw new BodyGoneError(input.stream, input.id);
    return body;
  };
  const record = (body: RawFields | null): (string | Buffer)[] => [...header, DLQ_BODY_COUNT, String(pairCount(body ?? [])), ...(body ?? [])];
  const ack: Command = ['XACK', input.stream, input.group, input.id];
  if (atomic) {
    return watched<string | null>(client, [input.stream, dlq], async (c) => {
      const body = await read(c);
      if (body === undefined) return { result: null };
      const commands = [['XADD', dlq, '*', ...record(body)], ack];
      if (del === '1') commands.push(['XDEL', input.stream, input.id]);
      return { commands, done: (replies) => String(replies[0]) };
    });
  }
  const body = await read(client);
  if (body === undefined) return null;
  const marker = markerKey(dlq, `dead-lettered:${input.stream}:${input.group}:${input.id}`);
  if (!marker) throw new BadInputError(`Cannot dead-letter to "${dlq}" safely across Cluster slots: give it a plain hash tag, e.g. {orders}:dlq`);
  const w = await writeOnce(client, dlq, marker, rawOf(...record(body)), 'dead-letter stream');
  await client.callBuffer('XACK', input.stream, input.group, input.id);
  if (del === '1') await client.xdel(input.stream, input.id);
  await markerDone(client, marker);
  return 'newId' in w ? w.newId : w.already;
}

/** Refuses, before anything changes, a key that holds another type than a stream (absent is fine). */
async function assertStreamOrNone(c: RedisClient, key: string, what: string): Promise<void> {
  await streamType(c, key, { expected: `stream (${what}); nothing was changed` });
}

type Command = (string | Buffer | number)[];
type Plan<T> = { result: T } | { commands: Command[]; done: (replies: unknown[]) => T };

/**
 * Runs `plan` (reads and checks) and then its commands in MULTI/EXEC, with `keys` WATCHed on a
 * connection of its own so that nothing interleaves: when a watched key changed in between, it
 * starts over (at most 50 times). With no keys, the commands run one after the other, in order.
 */
async function watched<T>(client: RedisClient, keys: string[], plan: (c: RedisClient) => Promise<Plan<T>>): Promise<T> {
  const c = (client as { duplicate(): RedisClient }).duplicate();
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      if (keys.length) await c.watch(...keys);
      const p = await plan(c);
      if ('result' in p) {
        if (keys.length) await c.unwatch();
        return p.result;
      }
      if (!keys.length) {
        const replies: unknown[] = [];
        for (const [name, ...args] of p.commands) replies.push(await c.callBuffer(String(name), ...args));
        return p.done(replies);
      }
      const r = await c.multi(p.commands.map(([name, ...args]) => ['call', name, ...args])).exec();
      if (r === null) continue; // a watched key changed: read again
      const failed = r.find(([e]) => e);
      if (failed) throw failed[0];
      return p.done(r.map(([, v]) => v));
    }
    throw new QueueError('REDIS', `"${keys.join('", "')}" kept changing: gave up after 50 attempts; nothing was changed`);
  } finally {
    c.disconnect();
  }
}

// ---- replay ----

/**
 * KEYS[1] dlq, KEYS[2] target. ARGV[1] DLQ id, ARGV[2] '1' to keep the record, ARGV[3..] the
 * message. Returns the new id, or false when the record is no longer in the DLQ (replayed by
 * someone else, or deleted). Checks the target's type before changing anything.
 */
const REPLAY = define('replayEntry', LUA_REPLAY_ENTRY, ['wrongtype']);

/**
 * Writes a message into a stream at most once, across Cluster slots: KEYS[1] the stream, KEYS[2]
 * a marker key in its slot. ARGV[1..] the message. Returns {id} (or {'written'}) when the marker
 * says it was written already, else XADDs it, sets the marker (no expiry: see {@link writeOnce})
 * and returns the new id. Checks the stream's type first.
 */
const WRITE_ONCE = define('writeOnce', LUA_WRITE_ONCE, ['wrongtype']);

/** How long a marker lives once the step it guards is complete (a racing replayer reads the record just before it writes). */
const MARKER_AFTER_MS = 3600_000;

/**
 * A marker key in `key`'s slot (its hash tag in braces), naming one move. Undefined when no such
 * name exists (a key whose braces change its tag): such a move is refused across slots.
 */
export function markerKey(key: string, what: string): string | undefined {
  const m = `{${showName(hashTagOf(key))}}:rq-${what}`;
  return keySlot(m) === keySlot(key) ? m : undefined;
}

/**
 * Step 1 of a move across slots: writes `body` to `target` unless `marker` says it was, in one
 * step on the target's slot (a script, or a watched transaction for messages too large for one).
 * The caller then removes the source (step 2) and calls {@link markerDone}. A crash between the
 * steps leaves the marker without expiry, so that a later attempt, however much later, only
 * finishes step 2. Returns the new id, or `{ already }` when the marker was there.
 */
async function writeOnce(client: RedisClient, target: string, marker: string, body: RawFields, what: string): Promise<{ newId: string } | { already: string }> {
  if (body.length + 2 <= MAX_SCRIPT_ARGS) {
    const r = await runScript(client, WRITE_ONCE, [target, marker], body, { key: target, what });
    return Array.isArray(r) ? { already: String(r[0]) } : { newId: String(r) };
  }
  return watched<{ newId: string } | { already: string }>(client, [target, marker], async (c) => {
    const done = await c.get(marker);
    if (done) return { result: { already: done } };
    await assertStreamOrNone(c, target, 'the target');
    return { commands: [['XADD', target, '*', ...body], ['SET', marker, 'written']], done: (r) => ({ newId: String(r[0]) }) };
  });
}

/** Step 3: the move is complete; its marker may go after a while. */
async function markerDone(client: RedisClient, marker: string): Promise<void> {
  await client.pexpire(marker, MARKER_AFTER_MS).catch(() => undefined);
}

export type ReplayOutcome = { newId: string } | { skipped: string };

/**
 * Sends one dead letter to `target`, atomically where the keys share a slot: the record must still
 * be in the DLQ (so two replays at once write it once), the target must be a stream or absent,
 * then XADD and (unless `keep`) XDEL in one step. Across slots on a Cluster: (1) one step in the
 * target's slot writes the message unless a marker key there says this record was written, and
 * sets that marker ({@link writeOnce}); (2) XDEL from the DLQ; (3) the marker expires an hour
 * later. A crash between (1) and (2) leaves the record in the DLQ and the marker, so the next
 * replay only removes it: one copy either way, also with replays running at once. A record with
 * no message is never written.
 */
export async function replayEntry(client: RedisClient, dlq: string, letter: DeadLetter, target: string, { keep = false }: { keep?: boolean } = {}): Promise<ReplayOutcome> {
  if (!letter.hasBody) return { skipped: 'no message: it was deleted from its stream before it was dead-lettered' };
  if (sameName(target, dlq)) throw new BadInputError('Replay into the dead-letter stream itself is not possible');
  const body = replayBody(letter);
  const ctx = { key: target, command: 'replay' };
  try {
    if (!isCluster(client) || sameSlot(dlq, target)) {
      if (body.length + 3 <= MAX_SCRIPT_ARGS) {
        const r = await runScript(client, REPLAY, [dlq, target], [letter.id, keep ? '1' : '0', ...body], { key: target, what: 'replay target' });
        return r ? { newId: String(r) } : { skipped: 'no longer in the dead-letter stream (replayed or deleted meanwhile)' };
      }
      return await watched<ReplayOutcome>(client, [dlq, target], async (c) => {
        if (!((await c.callBuffer('XRANGE', dlq, letter.id, letter.id)) as unknown[]).length) return { result: { skipped: 'no longer in the dead-letter stream (replayed or deleted meanwhile)' } };
        await assertStreamOrNone(c, target, 'the replay target');
        const commands: Command[] = [['XADD', target, '*', ...body]];
        if (!keep) commands.push(['XDEL', dlq, letter.id]);
        return { commands, done: (r) => ({ newId: String(r[0]) }) };
      });
    }
    // Across slots.
    if (!((await client.callBuffer('XRANGE', dlq, letter.id, letter.id)) as unknown[]).length) return { skipped: 'no longer in the dead-letter stream (replayed or deleted meanwhile)' };
    if (keep) {
      // A copy was asked for: no marker (a second replay of a kept record writes a second copy).
      await assertStreamOrNone(client, target, 'the replay target');
      return { newId: String(await client.callBuffer('XADD', target, '*', ...body)) };
    }
    const marker = markerKey(target, `replayed:${dlq}:${letter.id}`);
    if (!marker) throw new BadInputError(`Cannot replay to "${target}" from "${dlq}" safely across Cluster slots: give the target a plain hash tag, e.g. {orders}`);
    const w = await writeOnce(client, target, marker, body, 'replay target');
    await client.xdel(dlq, letter.id);
    await markerDone(client, marker);
    return 'newId' in w ? w : { skipped: `already written to "${target}" by an earlier or concurrent replay${w.already === 'written' ? '' : ` as ${w.already}`}; removed from the dead-letter stream` };
  } catch (e) {
    throw toQueueError(e, ctx);
  }
}
