/** Consumer groups and consumers: create, set id, destroy, delete a consumer (claiming its entries first), delete entries. */
import { xinfoConsumers, xinfoGroups, xpendingRange } from '../redis/commands';
import { BadInputError, isNoSuchKey, NoGroupError } from '../redis/errors';
import { parseId } from '../messages/ids';
import { NoConsumerError } from '../redis/missing';
import { type OpTarget, assertWritable, call, checkIds, chunks } from './target';
import { claim } from './pending';

// ---- groups and consumers ----

/** XGROUP CREATE (MKSTREAM by default). `from`: `$` (new entries only), `0` (everything) or an id. */
export async function createGroup(t: OpTarget, stream: string, group: string, { from = '$', mkstream = true }: { from?: string; mkstream?: boolean } = {}): Promise<void> {
  assertWritable(t, 'XGROUP CREATE');
  if (!group) throw new BadInputError('A group name is required');
  if (from !== '$') parseId(from);
  const args: string[] = ['CREATE', stream, group, from];
  if (mkstream) args.push('MKSTREAM');
  await call(t, { key: stream, group, command: 'XGROUP' }, () => t.client.call('XGROUP', ...args));
}

/** XGROUP SETID: where the group reads next (`$`, `0` or an id). */
export async function setGroupId(t: OpTarget, stream: string, group: string, id: string): Promise<void> {
  assertWritable(t, 'XGROUP SETID');
  if (id !== '$') parseId(id);
  await call(t, { key: stream, group, command: 'XGROUP' }, () => t.client.call('XGROUP', 'SETID', stream, group, id));
}

/** XGROUP DESTROY; returns how many pending entries the group held (now forgotten). */
export async function destroyGroup(t: OpTarget, stream: string, group: string): Promise<{ destroyed: boolean; pendingLost: number }> {
  assertWritable(t, 'XGROUP DESTROY');
  const groups = await call(t, { key: stream, command: 'XINFO' }, () => xinfoGroups(t.client, stream));
  const g = groups.find((x) => x.name === group);
  if (!g) throw new NoGroupError(stream, group);
  const n = Number(await call(t, { key: stream, group, command: 'XGROUP' }, () => t.client.call('XGROUP', 'DESTROY', stream, group)));
  return { destroyed: n === 1, pendingLost: g.pending };
}

/**
 * XGROUP DELCONSUMER. Refused while the consumer holds pending entries (they would be forgotten),
 * unless `force`, or `claimTo` names a consumer that takes them over first. A consumer that is not
 * in the group is a {@link NoConsumerError} (XGROUP DELCONSUMER answers 0 for it as for an idle
 * consumer, so XINFO CONSUMERS is asked first); a missing group or stream a NoGroupError.
 */
export async function deleteConsumer(
  t: OpTarget,
  stream: string,
  group: string,
  consumer: string,
  { force = false, claimTo }: { force?: boolean; claimTo?: string } = {},
): Promise<{ deleted: boolean; pendingLost: number; claimed: number }> {
  assertWritable(t, 'XGROUP DELCONSUMER');
  const consumers = await call(t, { key: stream, group, command: 'XINFO' }, () => xinfoConsumers(t.client, stream, group)).catch((e: unknown) => {
    // No stream: the group is not there either.
    throw isNoSuchKey(e) ? new NoGroupError(stream, group, { cause: e }) : e;
  });
  if (!consumers.some((c) => c.name === consumer)) throw new NoConsumerError(stream, group, consumer);
  let claimed = 0;
  if (claimTo) {
    if (claimTo === consumer) throw new BadInputError('Claim to another consumer than the one being deleted');
    for (;;) {
      const page = await call(t, { key: stream, group }, () => xpendingRange(t.client, stream, group, { count: 500, consumer }));
      if (!page.length) break;
      const r = await claim(t, stream, group, claimTo, page.map((p) => p.id));
      claimed += r.claimed.length;
      if (!r.claimed.length) break;
    }
  }
  const holding = (await call(t, { key: stream, group }, () => xpendingRange(t.client, stream, group, { count: 1, consumer }))).length;
  if (holding && !force) {
    throw new BadInputError(`Consumer "${consumer}" still holds pending entries: claim them to another consumer first, or force the deletion (they would be forgotten by the group)`);
  }
  const lost = Number(await call(t, { key: stream, group, command: 'XGROUP' }, () => t.client.call('XGROUP', 'DELCONSUMER', stream, group, consumer)));
  return { deleted: true, pendingLost: lost, claimed };
}

/** XDEL ids; returns how many existed. */
export async function deleteEntries(t: OpTarget, stream: string, ids: string[]): Promise<number> {
  assertWritable(t, 'XDEL');
  checkIds(ids);
  let n = 0;
  for (const c of chunks(ids, 1000)) n += Number(await call(t, { key: stream, command: 'XDEL' }, () => t.client.xdel(stream, ...c)));
  return n;
}
