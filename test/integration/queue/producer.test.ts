import * as assert from 'node:assert/strict';
import { open, quit, type IoRedisClient } from '../../../src/core/redis/connection';
import { BadIdError, BadInputError } from '../../../src/core/redis/errors';
import { parseEntries } from '../../../src/core/redis/replies';
import { serverCapabilities } from '../../../src/core/redis/server';
import { StreamProducer } from '../../../src/core/queue';
import { redisUrl, uniqueKey } from '../../support/integrationHooks';

describe('(integration) queue: stream producer', () => {
  let client: IoRedisClient;
  before(async () => (client = await open({ url: redisUrl() })));
  after(() => quit(client));

  it('publishes one message and returns its id', async () => {
    const stream = uniqueKey('p1');
    const p = new StreamProducer(client, { stream });
    const id = await p.publish({ a: '1', b: 'two' });
    const [e] = parseEntries(await client.xrangeBuffer(stream, '-', '+'));
    assert.equal(e!.id, id);
    assert.deepEqual(e!.fields, { a: '1', b: 'two' });
  });

  for (const mode of ['script', 'pipeline'] as const) {
    it(`publishes a batch of 10,000 in order (${mode})`, async () => {
      const stream = uniqueKey('batch');
      const p = new StreamProducer(client, { stream, batchMode: mode });
      const ids = await p.publishBatch(Array.from({ length: 10_000 }, (_, i) => ({ n: String(i) })));
      assert.equal(ids.length, 10_000);
      assert.equal(await client.xlen(stream), 10_000);
      const first = parseEntries(await client.xrangeBuffer(stream, '-', '+', 'COUNT', 3));
      assert.deepEqual(first.map((e) => e.id), ids.slice(0, 3));
      assert.deepEqual(first.map((e) => e.fields?.['n']), ['0', '1', '2']);
      const [last] = parseEntries(await client.xrevrangeBuffer(stream, '+', '-', 'COUNT', 1));
      assert.equal(last!.id, ids[9999]);
      assert.equal(last!.fields?.['n'], '9999');
    });
  }

  it('trims with MAXLEN ~ (approximate), exact MAXLEN and MINID', async () => {
    const a = uniqueKey('trim');
    const approx = new StreamProducer(client, { stream: a, trim: { strategy: 'MAXLEN', threshold: 100 } });
    await approx.publishBatch(Array.from({ length: 1000 }, (_, i) => ({ n: String(i) })));
    const lenApprox = await client.xlen(a);
    assert.ok(lenApprox >= 100 && lenApprox < 1000, `approximate length ${lenApprox}`);

    const b = uniqueKey('trim');
    const exact = new StreamProducer(client, { stream: b, trim: { strategy: 'MAXLEN', threshold: 100, exact: true } });
    await exact.publishBatch(Array.from({ length: 1000 }, (_, i) => ({ n: String(i) })));
    assert.equal(await client.xlen(b), 100);
    await exact.publish({ n: 'x' }, { trim: null });
    assert.equal(await client.xlen(b), 101);

    const c = uniqueKey('trim');
    const minid = new StreamProducer(client, { stream: c });
    await minid.publishBatch(Array.from({ length: 10 }, (_, i) => ({ fields: { n: String(i) }, id: `${i + 1}-0` })));
    await minid.publish({ n: 'late' }, { id: '11-0', trim: { strategy: 'MINID', threshold: '6-0', exact: true } });
    const ids = parseEntries(await client.xrangeBuffer(c, '-', '+')).map((e) => e.id);
    assert.deepEqual(ids, ['6-0', '7-0', '8-0', '9-0', '10-0', '11-0']);

    const d = uniqueKey('trim');
    const limited = new StreamProducer(client, { stream: d, trim: { strategy: 'MAXLEN', threshold: 5, limit: 10 } });
    await limited.publishBatch(Array.from({ length: 300 }, (_, i) => ({ n: String(i) })));
    assert.equal(await client.xlen(d), 300, 'LIMIT 10 is below a node (100 entries): approximate trimming evicts nothing');
  });

  it('accepts explicit ids and refuses out-of-order ones with nothing written', async () => {
    const stream = uniqueKey('ids');
    const p = new StreamProducer(client, { stream });
    assert.equal(await p.publish({ a: '1' }, { id: '100-1' }), '100-1');
    if ((await serverCapabilities(client)).partialIds) {
      assert.deepEqual(await p.publishBatch([{ fields: { a: '2' }, id: '100-2' }, { a: '3' }, { fields: { a: '4' }, id: '9000000000000-*' }]).then((x) => x.length), 3);
    } else {
      // Before 7.0 the server refuses <ms>-* ids: refused before anything is sent.
      const len = await client.xlen(stream);
      await assert.rejects(p.publishBatch([{ fields: { a: '2' }, id: '100-2' }, { fields: { a: '4' }, id: '9000000000000-*' }]), /needs Redis 7.0 or later .*nothing was written/);
      assert.equal(await client.xlen(stream), len);
    }
    const before = await client.xlen(stream);
    await assert.rejects(p.publish({ a: 'x' }, { id: '50-0' }), (e: Error & { code?: string }) => e.code === 'BAD_ID');
    await assert.rejects(p.publishBatch([{ fields: { a: 'x' }, id: '10-0' }, { fields: { a: 'y' }, id: '20-0' }]), (e: Error & { code?: string }) => e.code === 'BAD_ID');
    assert.equal(await client.xlen(stream), before);
  });

  it('publishes a message with 10,000 fields in a batch (beyond the script, by plain XADD)', async () => {
    const stream = uniqueKey('wide');
    const wide: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) wide[`f${i}`] = `v${i}`;
    const ids = await new StreamProducer(client, { stream }).publishBatch([{ a: '1' }, wide, { b: '2' }], { trim: { strategy: 'MAXLEN', threshold: 2, exact: true } });
    assert.equal(ids.length, 3);
    const entries = await client.xrange(stream, '-', '+');
    assert.deepEqual(entries.map(([id]) => id), ids.slice(1), 'trimmed to 2 once the batch is in');
    assert.equal(entries[0]![1].length, 20_000);
  });

  it('round-trips binary values byte-exact', async () => {
    const stream = uniqueKey('bin');
    const p = new StreamProducer(client, { stream });
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const invalidUtf8 = Buffer.from([0xc3, 0x28, 0xff, 0x00, 0x0a]);
    await p.publish({ raw: bytes, text: 'héllo', bad: invalidUtf8 });
    await p.publishBatch([{ raw: bytes }]);
    const entries = parseEntries(await client.xrangeBuffer(stream, '-', '+'));
    for (const e of entries) {
      assert.ok(Buffer.isBuffer(e.fields!['raw']));
      assert.ok(bytes.equals(e.fields!['raw'] as Buffer));
    }
    assert.equal(entries[0]!.fields!['text'], 'héllo');
    assert.ok(invalidUtf8.equals(entries[0]!.fields!['bad'] as Buffer));
  });

  it('refuses bad input before sending anything', async () => {
    const stream = uniqueKey('bad');
    const p = new StreamProducer(client, { stream });
    const bad: unknown[] = [{}, { a: 1 }, { a: null }, null, ['a', 'b']];
    for (const b of bad) await assert.rejects(p.publish(b as Record<string, string>), BadInputError);
    await assert.rejects(p.publish({ a: '1' }, { id: 'nope' }), BadIdError);
    await assert.rejects(p.publishBatch([{ a: '1' }, { a: 2 as unknown as string }]), BadInputError);
    await assert.rejects(p.publishBatch([{ fields: { a: '1' }, id: '5-0' }, { fields: { a: '1' }, id: '4-0' }]), BadIdError);
    assert.throws(() => new StreamProducer(client, { stream, trim: { strategy: 'MAXLEN', threshold: -3 } }), BadInputError);
    assert.equal(await client.exists(stream), 0);
  });

  it('maps a wrong key type to a readable error', async () => {
    const key = uniqueKey('wt');
    await client.set(key, 'x');
    const p = new StreamProducer(client, { stream: key });
    await assert.rejects(p.publish({ a: '1' }), (e: Error & { code?: string }) => e.code === 'WRONGTYPE' && e.message.includes(key));
  });

  it('owns its connection when opened with StreamProducer.open', async () => {
    const stream = uniqueKey('own');
    const p = await StreamProducer.open({ url: redisUrl() }, { stream });
    await p.publish({ a: '1' });
    await p.close();
    await p.close();
    await assert.rejects(p.publish({ a: '2' }));
  });
});
