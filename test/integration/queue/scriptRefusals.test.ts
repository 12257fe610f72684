import * as assert from 'node:assert/strict';
import { open, quit, type IoRedisClient } from '../../../src/core/redis/connection';
import { BadInputError, NoGroupError, QueueError, WrongTypeError } from '../../../src/core/redis/errors';
import { parseEntries } from '../../../src/core/redis/replies';
import { runOneMessage } from '../../../src/core/queue';
import { BodyGoneError, deadLetterEntry, replayEntry, splitDeadLetter } from '../../../src/core/queue/stream/deadLetter';
import { redisUrl, uniqueKey } from '../../support/integrationHooks';

/**
 * Each refusal a script declares (queue/lua.ts: `wrongtype`, `gone`, `nogroup`, `not-next`),
 * reached for real on a redis-server: the caller gets the typed error it stands for, with the
 * message it always had, and the script wrote nothing.
 */
describe('(integration) queue: script refusals become typed errors, nothing written', () => {
  let client: IoRedisClient;
  before(async () => (client = await open({ url: redisUrl() })));
  after(() => quit(client));

  /** A stream (its hash tag shared by its `:dlq`) with group `g` and one entry delivered to `c`. */
  async function delivered(label: string): Promise<{ stream: string; dlq: string; id: string }> {
    const stream = uniqueKey(label);
    await client.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
    const id = String(await client.xadd(stream, '*', 'n', '1'));
    await client.xreadgroup('GROUP', 'g', 'c', 'COUNT', 1, 'STREAMS', stream, '>');
    return { stream, dlq: `${stream}:dlq`, id };
  }

  /** Everything a refusal must leave as it was: the stream's entries, the group's PEL and last id, another key's type and length. */
  async function snapshot(stream: string, other: string): Promise<string> {
    const entries = parseEntries(await client.xrangeBuffer(stream, '-', '+')).map((e) => e.id);
    // Each pending entry's id, consumer and delivery count (not its idle time, which goes on).
    const pel = await client.xpending(stream, 'g', '-', '+', 10).then((r) => (r as unknown[][]).map(([i, c, , n]) => [i, c, n]), (e: Error) => e.message);
    const groups = (await client.xinfo('GROUPS', stream)) as unknown;
    const type = await client.type(other);
    const len = type === 'list' ? await client.llen(other) : type === 'hash' ? await client.hlen(other) : type === 'stream' ? await client.xlen(other) : 0;
    return JSON.stringify({ entries, pel, groups, type, len });
  }

  it('dead-lettering into a key that is not a stream: WrongTypeError naming the dead-letter stream', async () => {
    const { stream, dlq, id } = await delivered('refuse-wrongtype');
    await client.rpush(dlq, 'a', 'b');
    const before = await snapshot(stream, dlq);
    await assert.rejects(deadLetterEntry(client, { stream, group: 'g', id, dlq, error: 'boom' }), (e: unknown) => {
      assert.ok(e instanceof WrongTypeError);
      assert.equal(e.code, 'WRONGTYPE');
      assert.equal(e.message, `Key "${dlq}" is a list, not a stream (the dead-letter stream); nothing was changed`);
      return true;
    });
    assert.equal(await snapshot(stream, dlq), before);
    assert.deepEqual(await client.lrange(dlq, 0, -1), ['a', 'b']);
  });

  it('dead-lettering an entry whose message is gone (not forced): BodyGoneError with its stream and id', async () => {
    const { stream, dlq, id } = await delivered('refuse-gone');
    await client.xdel(stream, id);
    const before = await snapshot(stream, dlq);
    await assert.rejects(deadLetterEntry(client, { stream, group: 'g', id, dlq }), (e: unknown) => {
      assert.ok(e instanceof BodyGoneError);
      assert.ok(e instanceof QueueError);
      assert.equal(e.code, 'BAD_INPUT');
      assert.equal(e.stream, stream);
      assert.equal(e.id, id);
      assert.equal(e.message, `Entry ${id} of "${stream}" is pending but its message was deleted or trimmed: nothing to dead-letter (ack it, or force to record it without a body)`);
      return true;
    });
    assert.equal(await snapshot(stream, dlq), before);
    assert.equal(await client.exists(dlq), 0);
  });

  it('replaying into a key that is not a stream: WrongTypeError naming the replay target, the record kept', async () => {
    const { stream, dlq, id } = await delivered('refuse-replay');
    assert.ok(await deadLetterEntry(client, { stream, group: 'g', id, dlq, error: 'boom' }));
    const letter = splitDeadLetter(parseEntries(await client.xrangeBuffer(dlq, '-', '+'))[0]!);
    const target = `${stream}:target`;
    await client.hset(target, 'f', 'v');
    const before = await snapshot(dlq, target);
    await assert.rejects(replayEntry(client, dlq, letter, target), (e: unknown) => {
      assert.ok(e instanceof WrongTypeError);
      assert.equal(e.message, `Key "${target}" is a hash, not a stream (the replay target); nothing was changed`);
      return true;
    });
    assert.equal(await snapshot(dlq, target), before);
    assert.equal(await client.xlen(dlq), 1);
    assert.deepEqual(await client.hgetall(target), { f: 'v' });
  });

  it('delivering an entry of a group that does not exist: NoGroupError', async () => {
    const stream = uniqueKey('refuse-nogroup');
    const id = String(await client.xadd(stream, '*', 'n', '1'));
    let ran = 0;
    await assert.rejects(runOneMessage({ connection: { url: redisUrl() }, stream, group: 'g', consumer: 'c', id, deliver: true, handler: () => void ran++ }), (e: unknown) => {
      assert.ok(e instanceof NoGroupError);
      assert.equal(e.code, 'NOGROUP');
      assert.equal(e.message, `No consumer group "g" on stream "${stream}" (or the stream does not exist)`);
      return true;
    });
    assert.equal(ran, 0);
    assert.deepEqual(await client.xinfo('GROUPS', stream), []);
    assert.equal(await client.xlen(stream), 1);
  });

  it('delivering an entry that is not the group\'s next undelivered one: BadInputError, nothing delivered', async () => {
    const stream = uniqueKey('refuse-notnext');
    await client.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
    const first = String(await client.xadd(stream, '*', 'n', '1'));
    const second = String(await client.xadd(stream, '*', 'n', '2'));
    const before = await snapshot(stream, `${stream}:none`);
    let ran = 0;
    await assert.rejects(runOneMessage({ connection: { url: redisUrl() }, stream, group: 'g', consumer: 'c', id: second, deliver: true, handler: () => void ran++ }), (e: unknown) => {
      assert.ok(e instanceof BadInputError);
      assert.equal(e.message, `Entry ${second} is not the next undelivered entry of group "g" (that is ${first}): it cannot be delivered alone; run it as a dry run`);
      return true;
    });
    assert.equal(ran, 0);
    assert.equal(await snapshot(stream, `${stream}:none`), before);
  });
});
