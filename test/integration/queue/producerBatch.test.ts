// publishBatch: chunks sent back to back (auto ids) or one at a time (explicit ids), and what the
// error says when some messages are not written. Against real redis-servers.
import * as assert from 'node:assert/strict';
import { open, quit, type IoRedisClient } from '../../../src/core/redis/connection';
import { parseEntries } from '../../../src/core/redis/replies';
import { StreamProducer, type MessageFields, type OutgoingMessage, type PartialBatchError } from '../../../src/core/queue/stream/producer';
import { XADD_BATCH } from '../../../src/core/queue/stream/scripts';
import { isPermanentScriptRefusal } from '../../../src/core/queue/lua';
import { startSandbox, type Sandbox } from '../../../src/core/dev/sandbox';
import { redisUrl, uniqueKey } from '../../support/integrationHooks';

async function entries(client: IoRedisClient, stream: string) {
  return parseEntries(await client.xrangeBuffer(stream, '-', '+'));
}

function isPartial(e: unknown): e is PartialBatchError {
  return e instanceof Error && typeof (e as PartialBatchError).written === 'number' && Array.isArray((e as PartialBatchError).failed);
}

describe('(integration) queue: publishBatch chunks', () => {
  let client: IoRedisClient;
  before(async () => (client = await open({ url: redisUrl() })));
  after(() => quit(client));

  for (const batchMode of ['script', 'pipeline'] as const) {
    it(`keeps the order of 10,000 auto-id messages sent as one-message chunks, beyond the in-flight window (${batchMode})`, async () => {
      const stream = uniqueKey('order');
      const p = new StreamProducer(client, { stream, chunkSize: 1, batchMode });
      const ids = await p.publishBatch(Array.from({ length: 10_000 }, (_, i) => ({ n: String(i) })));
      const es = await entries(client, stream);
      assert.equal(es.length, 10_000);
      assert.deepEqual(es.map((e) => e.id), ids);
      assert.ok(es.every((e, i) => e.fields?.['n'] === String(i)));
    });

    it(`stops at the first failing explicit id and says which messages were written (${batchMode})`, async () => {
      const stream = uniqueKey('explicit');
      const p = new StreamProducer(client, { stream, chunkSize: 3, batchMode });
      // #0–#4 get ids from Redis (now), #5 asks for 1000-0 (below them: refused by XADD), #6–#9 are far above.
      const batch = [
        ...Array.from({ length: 5 }, (_, i) => ({ n: String(i) })),
        { fields: { n: '5' }, id: '1000-0' },
        ...Array.from({ length: 4 }, (_, i) => ({ fields: { n: String(6 + i) }, id: `9999999999999-${i}` })),
      ];
      const err = await p.publishBatch(batch).then(
        () => assert.fail('publishBatch should fail'),
        (e: unknown) => e,
      );
      assert.ok(isPartial(err), String(err));
      assert.equal(err.code, 'BAD_ID');
      // Chunks [0–2] and [3–5]: the second stops at #5 after writing #3 and #4; [6–8] and [9] are not sent.
      assert.equal(err.written, 5);
      assert.deepEqual(err.failed, [[5, 10]]);
      assert.match(err.message, /5 of 10 messages were written; failed: #5–#9; #6–#9 were not sent after the failure/);
      const es = await entries(client, stream);
      assert.deepEqual(es.map((e) => e.fields?.['n']), ['0', '1', '2', '3', '4']);
      assert.deepEqual(es.map((e) => e.id), err.ids.slice(0, 5));
      assert.ok(err.ids.slice(5).every((id) => id === undefined));
    });
  }

  it('publishes in order right after SCRIPT FLUSH (chunks go by EVAL, never answered NOSCRIPT)', async () => {
    const stream = uniqueKey('noscript');
    const p = new StreamProducer(client, { stream, chunkSize: 10 });
    await client.script('FLUSH');
    const ids = await p.publishBatch(Array.from({ length: 200 }, (_, i) => ({ n: String(i) })));
    const es = await entries(client, stream);
    assert.deepEqual(es.map((e) => e.id), ids);
    assert.ok(es.every((e, i) => e.fields?.['n'] === String(i)));
  });

  it('keeps the order while another connection flushes and reloads the script cache mid-window', async function () {
    this.timeout(60_000);
    // Another connection empties the script cache and loads the script again, over and over, so
    // that some chunks of the window would meet NOSCRIPT and later ones not.
    const other = await open({ url: redisUrl() });
    try {
      for (let round = 0; round < 5; round++) {
        const stream = uniqueKey('flush');
        const p = new StreamProducer(client, { stream, chunkSize: 5 });
        const n = 20_000;
        let done = false;
        let flushes = 0;
        const churn = (async () => {
          while (!done) {
            await other.script('FLUSH');
            await other.script('LOAD', XADD_BATCH.lua);
            flushes++;
          }
        })();
        const ids = await p.publishBatch(Array.from({ length: n }, (_, i) => ({ n: String(i) }))).finally(() => (done = true));
        await churn;
        const es = await entries(client, stream);
        assert.equal(es.length, n);
        assert.deepEqual(es.map((e) => e.id), ids);
        const outOfOrder = es.findIndex((e, i) => e.fields?.['n'] !== String(i));
        assert.equal(outOfOrder, -1, `round ${round} (${flushes} flushes): entry #${outOfOrder} holds message ${es[outOfOrder]?.fields?.['n']}`);
      }
    } finally {
      await quit(other);
    }
  });

  for (const chunks of [1, 3] as const) {
    it(`reports a failed trim the same in the last chunk as in earlier ones; the messages are written and the batch goes on (${chunks} chunk${chunks > 1 ? 's' : ''})`, async () => {
      const stream = uniqueKey('trimfail');
      const user = `notrim${Date.now()}`;
      await client.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '&*', '+@all', '-xtrim');
      const c = await open({ url: redisUrl().replace('redis://', `redis://${user}:pw@`) });
      try {
        const p = new StreamProducer(c, { stream, chunkSize: 4, trim: { strategy: 'MAXLEN', threshold: 2, exact: true } });
        const n = chunks * 4;
        const err = await p.publishBatch(Array.from({ length: n }, (_, i) => ({ n: String(i) }))).then(
          () => assert.fail('publishBatch should report the failed trim'),
          (e: unknown) => e,
        );
        assert.ok(isPartial(err), String(err));
        // An ACL refusal inside a script has no NOPERM code, and its words differ by version (6.2 and
        // 7.0 "The user executing the script can't run this command", 7.2+ "ACL failure in script"):
        // the product's one rule for it tells it on each.
        assert.ok(isPermanentScriptRefusal(err), err.message);
        assert.equal(err.trimFailed, true);
        assert.equal(err.written, n);
        assert.deepEqual(err.failed, []);
        assert.deepEqual(err.unknown, []);
        assert.match(err.message, new RegExp(`\\(${n} of ${n} messages were written; trimming failed`));
        const es = await entries(client, stream);
        assert.deepEqual(es.map((e) => e.id), err.ids, 'every message written (untrimmed), once');
      } finally {
        await quit(c);
        await client.call('ACL', 'DELUSER', user);
      }
    });
  }

  it('sends messages with different field counts and explicit ids in one script chunk, binary-safe', async () => {
    const stream = uniqueKey('mixed');
    const bin = Buffer.from([0xff, 0x00, 0xc3, 0x28]);
    const p = new StreamProducer(client, { stream, chunkSize: 4 });
    const batch: (MessageFields | OutgoingMessage)[] = [{ a: '1' }, { a: '2', b: bin }, { fields: { a: '3', b: 'x', c: 'y' }, id: '9999999999999-1' }, { a: '4' }, { fields: { z: bin }, id: '9999999999999-5' }];
    const ids = await p.publishBatch(batch, { trim: { strategy: 'MAXLEN', threshold: 4, exact: true } });
    assert.equal(ids[2], '9999999999999-1');
    assert.equal(ids[4], '9999999999999-5');
    const es = await entries(client, stream);
    assert.deepEqual(es.map((e) => e.id), ids.slice(1), 'trimmed to 4 once the batch is in');
    assert.deepEqual(es[0]!.fields, { a: '2', b: bin });
    assert.deepEqual(es[1]!.fields, { a: '3', b: 'x', c: 'y' });
    assert.deepEqual(es[3]!.fields, { z: bin });
  });
});

describe('(integration) queue: publishBatch when the server runs out of memory mid-batch', () => {
  let server: Sandbox;
  let client: IoRedisClient;
  before(async function () {
    this.timeout(20_000);
    server = await startSandbox();
    client = await open({ url: server.url });
  });
  after(async () => {
    await quit(client);
    await server?.stop();
  });

  for (const batchMode of ['script', 'pipeline'] as const) {
    it(`reports how many auto-id messages were written and which failed, chunks sent back to back (${batchMode})`, async () => {
      const stream = `oom:${batchMode}`;
      await client.config('SET', 'maxmemory', '0');
      await client.flushall();
      const used = Number(/used_memory:(\d+)/.exec(String(await client.info('memory')))![1]);
      await client.config('SET', 'maxmemory-policy', 'noeviction');
      await client.config('SET', 'maxmemory', String(used + 2 * 2 ** 20));
      const value = 'x'.repeat(32 * 1024);
      const n = 200; // 6.4 MB: far beyond the 2 MB left
      const p = new StreamProducer(client, { stream, chunkSize: 5, batchMode });
      let err: unknown;
      try {
        await p.publishBatch(Array.from({ length: n }, (_, i) => ({ n: String(i), v: value })));
      } catch (e) {
        err = e;
      } finally {
        await client.config('SET', 'maxmemory', '0');
      }
      assert.ok(isPartial(err), String(err));
      assert.match(err.message, /OOM/);
      const es = await entries(client, stream);
      assert.ok(err.written > 0 && err.written < n, `written ${err.written}`);
      assert.equal(es.length, err.written, 'the count in the error is what the stream holds');
      assert.match(err.message, new RegExp(`\\(${err.written} of ${n} messages were written; failed: #`));
      // The ids in the error are exactly the entries of the stream, and the failed ranges cover the rest.
      const written = err.ids.flatMap((id, i) => (id === undefined ? [] : [[id, String(i)]]));
      assert.deepEqual(written, es.map((e) => [e.id, e.fields?.['n']]));
      const failedCount = err.failed.reduce((k, [a, z]) => k + z - a, 0);
      assert.equal(failedCount, n - err.written);
      for (const [a, z] of err.failed) for (let i = a; i < z; i++) assert.equal(err.ids[i], undefined);
    });
  }
});

describe('(integration) queue: publishBatch when the connection is killed mid-batch', () => {
  let server: Sandbox;
  let admin: IoRedisClient;
  before(async function () {
    this.timeout(20_000);
    server = await startSandbox();
    admin = await open({ url: server.url });
  });
  after(async () => {
    await quit(admin);
    await server?.stop();
  });

  /** Publishes `n` messages (`n` = index) and kills every normal client but `admin` once the stream holds `killAt`. */
  async function publishAndKill(p: StreamProducer, stream: string, n: number, killAt: number) {
    let killed = false;
    const batch = p.publishBatch(Array.from({ length: n }, (_, i) => ({ n: String(i), pad: 'x'.repeat(20) })));
    const settled = batch.then(() => undefined, () => undefined);
    let done = false;
    void settled.then(() => (done = true));
    while (!done) {
      if (Number(await admin.xlen(stream)) >= killAt) {
        await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
        killed = true;
        break;
      }
      await new Promise((r) => setImmediate(r));
    }
    const result = await batch.then((ids) => ({ ids, err: undefined }), (err: unknown) => ({ ids: undefined, err }));
    // What the stream holds: message index -> ids.
    const held = new Map<number, string[]>();
    for (const e of await entries(admin, stream)) {
      const i = Number(e.fields?.['n']);
      held.set(i, [...(held.get(i) ?? []), e.id]);
    }
    return { ...result, held, killed };
  }

  it('with the client StreamProducer.open makes: exactly N entries, or an error whose written/failed/unknown partition the batch and match the stream, never a duplicate', async function () {
    this.timeout(120_000);
    const n = 100_000;
    let partials = 0;
    for (let round = 0; round < 6; round++) {
      const stream = `kill:own:${round}`;
      const p = await StreamProducer.open({ url: server.url }, { stream });
      try {
        const { ids, err, held, killed } = await publishAndKill(p, stream, n, 5_000 + round * 12_000);
        assert.ok(killed, 'the kill landed before the batch ended');
        for (const [i, got] of held) assert.equal(got.length, 1, `message #${i} written ${got.length} times`);
        if (ids) {
          assert.equal(held.size, n);
          for (let i = 0; i < n; i++) assert.deepEqual(held.get(i), [ids[i]]);
          continue;
        }
        partials++;
        assert.ok(isPartial(err), String(err));
        assert.ok(Array.isArray(err.unknown));
        // written + failed + unknown partition the batch.
        const kind = new Array<string | undefined>(n);
        for (let i = 0; i < n; i++) if (err.ids[i] !== undefined) kind[i] = 'written';
        for (const [name, ranges] of [['failed', err.failed], ['unknown', err.unknown]] as const) {
          for (const [a, z] of ranges) for (let i = a; i < z; i++) {
            assert.equal(kind[i], undefined, `#${i} is both ${kind[i]} and ${name}`);
            kind[i] = name;
          }
        }
        assert.ok(kind.every((k) => k !== undefined), 'every message is written, failed or unknown');
        assert.equal(kind.filter((k) => k === 'written').length, err.written);
        // The stream holds exactly the written ones (with their ids) plus some of the unknown ones.
        for (let i = 0; i < n; i++) {
          if (kind[i] === 'written') assert.deepEqual(held.get(i), [err.ids[i]], `#${i}`);
          else if (kind[i] === 'failed') assert.equal(held.has(i), false, `#${i} reported failed but written`);
        }
        if (err.unknown.length) assert.match(err.message, /may have been written/);
        assert.equal(err.code, 'CANNOT_CONNECT');
      } finally {
        await p.close();
      }
    }
    assert.ok(partials > 0, 'at least one kill hit a chunk in flight');
  });

  it('with a client that re-sends unanswered commands (ioredis default): duplicates stay within the in-flight window', async function () {
    this.timeout(120_000);
    const n = 100_000;
    for (let round = 0; round < 3; round++) {
      const stream = `kill:resend:${round}`;
      const c = await open({ url: server.url });
      try {
        const p = new StreamProducer(c, { stream });
        const { held, killed } = await publishAndKill(p, stream, n, 10_000 + round * 20_000);
        assert.ok(killed);
        let dupes = 0;
        for (const got of held.values()) dupes += got.length - 1;
        assert.ok(dupes <= 1000, `${dupes} duplicates, more than the 1,000 messages in flight`);
      } finally {
        await quit(c);
      }
    }
  });
});
