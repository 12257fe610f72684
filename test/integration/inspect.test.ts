import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { Inspector } from '../../src/core/inspect/inspect';
import { WrongTypeError } from '../../src/core/redis/errors';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

describe('(integration) inspector', () => {
  let client: Redis;
  let inspector: Inspector;
  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
    inspector = await Inspector.open({ url: redisUrl() });
  });
  after(async () => {
    inspector.close();
    await quit(client);
  });

  it('finds streams by SCAN TYPE with a pattern, in pages that continue to the end', async () => {
    const p = uniqueKey('scan');
    for (let i = 0; i < 25; i++) await client.xadd(`${p}:s${i}`, '*', 'n', String(i));
    await client.rpush(`${p}:list`, 'x');
    const seen: string[] = [];
    let from = null;
    let pages = 0;
    do {
      const page = await inspector.scanStreams({ match: `${p}:*`, limit: 10, from });
      seen.push(...page.keys);
      from = page.next;
      pages++;
    } while (from && pages < 1000);
    assert.equal(new Set(seen).size, 25);
    assert.ok(!seen.includes(`${p}:list`));
  });

  it('reports groups with pending, lag and oldest pending, consumers with idle', async () => {
    const s = `${uniqueKey('grp')}:orders`;
    for (let i = 0; i < 10; i++) await client.xadd(s, '*', 'n', String(i));
    await client.xgroup('CREATE', s, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'alice', 'COUNT', 4, 'STREAMS', s, '>');
    const info = await inspector.stream(s);
    assert.equal(info.length, 10);
    assert.equal(info.groups, 1);
    const [g] = await inspector.groups(s);
    assert.equal(g!.name, 'g');
    assert.equal(g!.pending, 4);
    assert.equal(g!.lag, (await inspector.caps()).lag ? 6 : undefined, 'lag on Redis 7.0+ only');
    assert.ok(g!.oldestPendingId);
    assert.ok((g!.oldestPendingIdleMs ?? -1) >= 0);
    const consumers = await inspector.consumers(s, 'g');
    assert.deepEqual(consumers.map((c) => [c.name, c.pending]), [['alice', 4]]);
  });

  it('pages the PEL by id with a fixed page size, per consumer and by idle time', async () => {
    const s = `${uniqueKey('pel')}:jobs`;
    const pipe = client.pipeline();
    for (let i = 0; i < 250; i++) pipe.xadd(s, '*', 'n', String(i));
    await pipe.exec();
    await client.xgroup('CREATE', s, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'a', 'COUNT', 150, 'STREAMS', s, '>');
    await client.xreadgroup('GROUP', 'g', 'b', 'COUNT', 100, 'STREAMS', s, '>');
    const ids: string[] = [];
    let after: string | null = null;
    do {
      const page = await inspector.pendingPage(s, 'g', { after, count: 100 });
      assert.ok(page.entries.length <= 100);
      ids.push(...page.entries.map((e) => e.id));
      after = page.next;
    } while (after);
    assert.equal(ids.length, 250);
    assert.equal(new Set(ids).size, 250);
    const onlyB = await inspector.pendingPage(s, 'g', { consumer: 'b', count: 1000 });
    assert.equal(onlyB.entries.length, 100);
    assert.ok(onlyB.entries.every((e) => e.consumer === 'b'));
    const idle = await inspector.pendingPage(s, 'g', { minIdleMs: 60_000 });
    assert.equal(idle.entries.length, 0);
  });

  it('pages entries newest first and keeps binary values byte-exact', async () => {
    const s = `${uniqueKey('ent')}:bin`;
    const bin = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
    for (let i = 0; i < 5; i++) await client.xadd(s, '*', 'n', String(i));
    const binId = (await client.xadd(s, '*', 'payload', bin)) as string;
    const p1 = await inspector.entriesPage(s, { count: 4 });
    assert.equal(p1.entries[0]!.id, binId);
    assert.ok(Buffer.isBuffer(p1.entries[0]!.fields!['payload']));
    assert.ok((p1.entries[0]!.fields!['payload'] as Buffer).equals(bin));
    const p2 = await inspector.entriesPage(s, { before: p1.next, count: 4 });
    assert.equal(p1.entries.length + p2.entries.length, 6);
    assert.equal(p2.next, null);
    assert.equal(await inspector.entry(s, '1-1'), null);
  });

  it('explains wrong types and missing groups', async () => {
    const k = `${uniqueKey('wt')}:list`;
    await client.rpush(k, 'x');
    await assert.rejects(inspector.groups(k), (e: unknown) => e instanceof WrongTypeError && /is a list, not a stream/.test((e as Error).message));
    const s = `${uniqueKey('ng')}:s`;
    await client.xadd(s, '*', 'a', '1');
    await assert.rejects(inspector.consumers(s, 'nope'), /NOGROUP|No consumer group "nope"/);
    // A stream's length: its entries, 0 for a key that is not there, a wrong type said as such.
    assert.equal(await inspector.length(s), 1);
    assert.equal(await inspector.length(`${uniqueKey('none')}:s`), 0);
    await assert.rejects(inspector.length(k), (e: unknown) => e instanceof WrongTypeError && /is a list, not a stream/.test((e as Error).message));
  });
});
