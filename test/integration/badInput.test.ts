import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { open, quit, type IoRedisClient } from '../../src/core/redis/connection';
import { BadIdError, BadInputError, WrongTypeError, isNoSuchKey, redisErrorCode, toQueueError } from '../../src/core/redis/errors';
import { Inspector } from '../../src/core/inspect/inspect';
import * as ops from '../../src/core/ops';
import { StreamProducer } from '../../src/core/queue/stream/producer';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

describe('(integration) bad input and large keyspaces', function () {
  this.timeout(180_000);
  let client: Redis;
  let insp: Inspector;
  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
    insp = await Inspector.open({ url: redisUrl() });
  });
  after(async () => {
    insp.close();
    await quit(client);
  });

  it('names the real type of a key used as a stream (WRONGTYPE), for reads and writes', async () => {
    const k = `${uniqueKey('wt')}:list`;
    await client.rpush(k, 'x');
    await assert.rejects(insp.stream(k), (e: unknown) => e instanceof WrongTypeError && /is a list, not a stream/.test((e as Error).message));
    await assert.rejects(new StreamProducer(client, { stream: k }).publish({ a: '1' }), /WRONGTYPE|not a stream|another type/);
    assert.equal(await client.llen(k), 1, 'nothing written');
  });

  it('refuses malformed ids before sending anything', async () => {
    const s = `${uniqueKey('ids')}:s`;
    const t = { client };
    for (const bad of ['abc', '1-', '-1', '1-2-3', '18446744073709551616-0', '']) {
      await assert.rejects(ops.ack(t, s, 'g', [bad]), bad === '' ? BadIdError : BadIdError, bad);
      await assert.rejects(ops.claim(t, s, 'g', 'c', [bad]), BadIdError, bad);
    }
    await assert.rejects(ops.ack(t, s, 'g', []), BadInputError);
    await assert.rejects(ops.setGroupId(t, s, 'g', '1-'), BadIdError);
    await assert.rejects(new StreamProducer(client, { stream: s }).publish({ a: '1' }, { id: '0-0' }), /0-0|greater|id/i);
    assert.equal(await client.exists(s), 0, 'nothing written');
  });

  it('round-trips non-UTF-8 and binary values byte-exact', async () => {
    const s = `${uniqueKey('bin')}:s`;
    const values = [Buffer.from([0xff, 0xfe, 0x00, 0x80]), Buffer.from([0xc3, 0x28]), Buffer.alloc(0), Buffer.from('ünïcødé 🚀')];
    const producer = new StreamProducer(client, { stream: s });
    const ids = await producer.publishBatch(values.map((v, i) => ({ [`k${i}`]: v })));
    const page = await insp.entriesPage(s, { count: 10 });
    for (const [i, v] of values.entries()) {
      const e = page.entries.find((x) => x.id === ids[i])!;
      const got = e.fields![`k${i}`]!;
      assert.ok(Buffer.from(got as string | Buffer).equals(v), `value ${i}`);
    }
  });

  it('finds streams among 100,000 keys in bounded pages', async () => {
    const p = uniqueKey('many');
    for (let batch = 0; batch < 10; batch++) {
      const pipe = client.pipeline();
      for (let i = 0; i < 10_000; i++) {
        const n = batch * 10_000 + i;
        if (n % 100 === 0) pipe.xadd(`${p}:s${n}`, '*', 'a', '1');
        else pipe.set(`${p}:k${n}`, 'v');
      }
      await pipe.exec();
    }
    const first = await insp.scanStreams({ match: `${p}:*`, limit: 200 });
    assert.ok(first.keys.length <= 200 + 1000);
    let all = first.keys.length;
    let from = first.next;
    let pages = 1;
    while (from && pages < 100) {
      const page = await insp.scanStreams({ match: `${p}:*`, limit: 200, from });
      all += page.keys.length;
      from = page.next;
      pages++;
    }
    assert.equal(all, 1000);
  });

  it('pages a 1,000,000-entry PEL with bounded calls', async () => {
    const s = `${uniqueKey('pel')}:big`;
    const producer = new StreamProducer(client, { stream: s, chunkSize: 1000 });
    const batch = Array.from({ length: 10_000 }, () => ({ n: '1' }));
    for (let i = 0; i < 100; i++) await producer.publishBatch(batch);
    await client.xgroup('CREATE', s, 'g', '0');
    for (let i = 0; i < 100; i++) await client.call('XREADGROUP', 'GROUP', 'g', `c${i % 4}`, 'COUNT', 10_000, 'STREAMS', s, '>');
    const [g] = await insp.groups(s);
    assert.equal(g!.pending, 1_000_000);
    const first = await insp.pendingPage(s, 'g', { count: 100 });
    const mid = await insp.pendingPage(s, 'g', { after: first.entries[99]!.id, count: 100, consumer: 'c2' });
    assert.equal(first.entries.length, 100);
    assert.equal(mid.entries.length, 100);
    assert.ok(mid.entries.every((e) => e.consumer === 'c2'));
    await client.del(s);
  });
});

describe('(integration) Redis errors classified by their code, not their text', () => {
  let client: IoRedisClient;
  before(async () => {
    client = await open({ url: redisUrl() });
  });
  after(async () => quit(client));

  it('redisErrorCode reads the code of real replies, also through a QueueError made from one; isNoSuchKey only for a missing key', async () => {
    const k = uniqueKey('codes');
    await client.set(`${k}:string`, 'x');
    await client.xadd(`${k}:s`, '*', 'a', '1');
    await client.xgroup('CREATE', `${k}:s`, 'g', '0');
    const reply = async (p: Promise<unknown>) => p.then(() => assert.fail('expected a reply error'), (e: unknown) => e);
    const wrong = await reply(client.xlen(`${k}:string`));
    const nogroup = await reply(client.xreadgroup('GROUP', 'nope', 'c', 'STREAMS', `${k}:s`, '>'));
    const busy = await reply(client.xgroup('CREATE', `${k}:s`, 'g', '0'));
    const missing = await reply(client.xinfo('STREAM', `${k}:none`));
    assert.deepEqual([wrong, nogroup, busy, missing].map(redisErrorCode), ['WRONGTYPE', 'NOGROUP', 'BUSYGROUP', 'ERR']);
    assert.equal(redisErrorCode(toQueueError(wrong, { key: `${k}:string` })), 'WRONGTYPE');
    assert.deepEqual([wrong, nogroup, busy, missing, toQueueError(missing)].map(isNoSuchKey), [false, false, false, true, true]);
    // Not server replies: no code.
    assert.equal(redisErrorCode(new Error('WRONGTYPE lookalike thrown by code')), undefined);
    assert.equal(redisErrorCode('WRONGTYPE'), undefined);
  });
});
