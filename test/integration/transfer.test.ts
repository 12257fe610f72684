// Export and import (src/core/transfer.ts, `redis-queues export` / `import`): a round trip is byte
// for byte, with new ids or the original ones; time ranges and whole dead-letter streams; an
// interrupted keep-ids import resumes without duplicates; a bad line writes nothing of its batch
// and names its line; the rate limit holds by the limiter's own clock; a read-only connection
// sends nothing; pages stay small; a Cluster. The CLI's export and import are transferCli.test.ts.
import * as assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import fc from 'fast-check';
import type Redis from 'ioredis';
import { type RedisClient, open, quit } from '../../src/core/redis/connection';
import { BadInputError, ReadOnlyError, WrongTypeError } from '../../src/core/redis/errors';
import { type RawFields, messageObject, rawOf, sameRaw, toJsonPairs } from '../../src/core/messages/message';
import * as ops from '../../src/core/ops';
import { splitDeadLetter } from '../../src/core/queue/stream/deadLetter';
import { type StreamEntry, parseEntries } from '../../src/core/redis/replies';
import { startSandboxCluster } from '../../src/core/dev/sandbox';
import {
  EXPORT_HEADER_KEY,
  ImportLineError,
  type ImportOptions,
  RANGE_MAX_PAGE,
  TokenBucket,
  entriesById,
  exportEntries,
  exportLine,
  importEntries,
  rangeEntries,
} from '../../src/core/transfer';
import { redisUrl, uniqueKey } from '../support/integrationHooks';
import { cli, lines, streamClient } from '../support/transfer';

/** Names people and tools really use, and ones that collide with bookkeeping or JS objects (as in integrity.test.ts). */
const trickyName = fc.constantFrom('__proto__', 'constructor', 'x-dlq-stream', 'x-dlq', 'x-dlq-fields', 'x-replay-count', 'id', 'pairs', 'base64', '10', '1', '0', '', 'a b', 'é', '\n', '{"a":1}');
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((u) => Buffer.from(u));
const name = fc.oneof(trickyName.map((s) => Buffer.from(s)), bytes(8), fc.string({ maxLength: 8 }).map((s) => Buffer.from(s)));
const value = fc.oneof(
  bytes(64),
  fc.string({ maxLength: 40 }).map((s) => Buffer.from(s)),
  fc.string({ unit: 'binary', maxLength: 20 }).map((s) => Buffer.from(s)),
  fc.constant(Buffer.alloc(0)),
  fc.constantFrom('1', '{"base64":"AA=="}', '\r\n', '\u2028', 'sid=abc; theme=dark').map((s) => Buffer.from(s)),
);
/** A message: 1–12 pairs; names drawn from a small pool, so they repeat. */
const message: fc.Arbitrary<RawFields> = fc.array(fc.tuple(name, value), { minLength: 1, maxLength: 12 }).map((ps) => ps.flatMap(([n, v]) => [n, v]));

/** Everything written to it, kept; `maxBuffered` is the most it ever held unflushed. */
class Sink extends Writable {
  readonly chunks: Buffer[] = [];
  maxBuffered = 0;
  constructor(o: { highWaterMark?: number; slow?: boolean } = {}) {
    super({
      highWaterMark: o.highWaterMark ?? 16 * 1024,
      write: (chunk: Buffer, _enc, cb) => {
        this.chunks.push(Buffer.from(chunk));
        if (o.slow) setImmediate(cb);
        else cb();
      },
    });
  }
  override write(chunk: unknown, ...rest: unknown[]): boolean {
    const r = (super.write as (...a: unknown[]) => boolean)(chunk, ...rest);
    this.maxBuffered = Math.max(this.maxBuffered, this.writableLength);
    return r;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
  buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** A readable of `data` cut into pieces of the given sizes (cycled), to cut lines and characters anywhere. */
function pieces(data: Buffer, sizes: number[] = [64 * 1024]): Readable {
  const parts: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    parts.push(data.subarray(at, at + n));
    at += n;
  }
  return Readable.from(parts);
}

describe('(integration) transfer: export and import', function () {
  this.timeout(120_000);
  const { client: clientOf, fill, all } = streamClient();
  let client: Redis;
  before(() => {
    client = clientOf();
  });

  async function exported(source: AsyncIterable<StreamEntry> | Iterable<StreamEntry>, header?: { stream: string }): Promise<Buffer> {
    const sink = new Sink();
    await exportEntries(source, sink, { header });
    return sink.buffer();
  }

  async function xaddCalls(): Promise<number> {
    const info = String(await client.info('commandstats'));
    return Number(/^cmdstat_xadd:calls=(\d+)/m.exec(info)?.[1] ?? 0);
  }

  describe('library', () => {
    it('export → import is byte-exact, with new ids and with the original ids (property)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(message, { minLength: 1, maxLength: 15 }),
          fc.integer({ min: 1, max: 7 }),
          fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 5 }),
          fc.integer({ min: 1, max: 6 }),
          async (messages, pageSize, cuts, batch) => {
            const s = uniqueKey('prop');
            const ids = await fill(s, messages);
            const file = await exported(rangeEntries(client, s, { pageSize }), { stream: s });
            // The file: a header, then one line per message in order.
            const ls = lines(file.toString('utf8'));
            assert.equal(ls.length, messages.length + 1);
            assert.equal(JSON.parse(ls[0]!)[EXPORT_HEADER_KEY], 1);
            // New ids.
            const a = `${s}:new`;
            const r1 = await importEntries(client, a, pieces(file, cuts), { batch });
            assert.deepEqual([r1.imported, r1.skipped, r1.lines, r1.lastLine], [messages.length, 0, messages.length + 1, messages.length + 1]);
            const copyA = await all(a);
            assert.equal(copyA.length, messages.length);
            copyA.forEach((e, i) => assert.ok(sameRaw(e.raw, messages[i]!), `new-id copy #${i}`));
            assert.equal(r1.lastId, copyA[copyA.length - 1]!.id);
            // Kept ids.
            const b = `${s}:kept`;
            const r2 = await importEntries(client, b, pieces(file, [...cuts].reverse()), { keepIds: true, batch });
            assert.equal(r2.imported, messages.length);
            const copyB = await all(b);
            assert.deepEqual(copyB.map((e) => e.id), ids);
            copyB.forEach((e, i) => assert.ok(sameRaw(e.raw, messages[i]!), `kept-id copy #${i}`));
            await client.del(s, a, b);
          },
        ),
        { numRuns: 40, seed: 13 },
      );
    });

    it('a 3 MB value, a 100 KB binary value and 5,000 fields round-trip whole, a page at a time', async () => {
      const s = uniqueKey('big');
      const big = [
        rawOf('big', 'v'.repeat(3_000_000)),
        [Buffer.from('bin'), Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919) & 0xff))],
        Array.from({ length: 5_000 }, (_, i) => rawOf(i % 3 === 0 ? 'dup' : `f${i}`, String(i))).flat(),
        rawOf('small', '1'),
      ];
      const ids = await fill(s, big);
      const file = await exported(rangeEntries(client, s));
      const copy = `${s}:copy`;
      const r = await importEntries(client, copy, pieces(file, [1000, 7, 65_536]), { keepIds: true });
      assert.equal(r.imported, 4);
      const got = await all(copy);
      assert.deepEqual(got.map((e) => e.id), ids);
      got.forEach((e, i) => assert.ok(sameRaw(e.raw, big[i]!), `#${i}`));
    });

    it('imports tail --json / copy-as-JSON objects (extra keys ignored), bare pairs, blank lines, CRLF and a BOM', async () => {
      const s = uniqueKey('objs');
      const msgs = [rawOf('a', '1', 'a', '2'), [Buffer.from('__proto__'), Buffer.from([0xff, 0x00, 0xfe])], rawOf('x', '')];
      const ids = await fill(s, msgs);
      const entries = await all(s);
      const text = [
        `\ufeff${JSON.stringify(messageObject({ stream: s, id: ids[0], time: 'x' }, entries[0]!.raw))}`,
        '',
        `${JSON.stringify(messageObject({ stream: s, id: ids[1] }, entries[1]!.raw))}\r`,
        '   ',
        JSON.stringify({ id: ids[2], pairs: toJsonPairs(entries[2]!.raw!), fields: { wrong: 'view' }, extra: [1, 2] }),
      ].join('\n');
      const kept = `${s}:kept`;
      const r = await importEntries(client, kept, Readable.from([Buffer.from(text)]), { keepIds: true });
      assert.deepEqual([r.imported, r.lines], [3, 5]);
      const got = await all(kept);
      assert.deepEqual(got.map((e) => e.id), ids);
      got.forEach((e, i) => assert.ok(sameRaw(e.raw, msgs[i]!)));
      // Pretty-printed values (copy-as-JSON) among one-line ones.
      const pretty = [
        JSON.stringify(messageObject({ id: ids[0], stream: s }, entries[0]!.raw), null, 2),
        exportLine({ id: ids[1]!, raw: entries[1]!.raw! }),
        JSON.stringify({ id: ids[2], pairs: toJsonPairs(entries[2]!.raw!) }, null, 4),
      ].join('\n');
      const fromPretty = `${s}:pretty`;
      const rp = await importEntries(client, fromPretty, pieces(Buffer.from(pretty), [5, 17]), { keepIds: true, batch: 2 });
      assert.equal(rp.imported, 3);
      assert.equal(rp.lines, pretty.split('\n').length);
      const gotPretty = await all(fromPretty);
      assert.deepEqual(gotPretty.map((e) => e.id), ids);
      gotPretty.forEach((e, i) => assert.ok(sameRaw(e.raw, msgs[i]!)));
      // A bare [[name, value], ...] array is a message without an id.
      const bare = `${s}:bare`;
      await importEntries(client, bare, Readable.from([JSON.stringify(toJsonPairs(msgs[0]!))]));
      assert.ok(sameRaw((await all(bare))[0]!.raw, msgs[0]!));
    });

    it('a time range: since and until (both inclusive), ids, ms-only bounds, newest first, count', async () => {
      const s = uniqueKey('range');
      const base = 1_700_000_000_000;
      const ids = [...Array.from({ length: 10 }, (_, i) => `${base + i * 1000}-0`), `${base + 9000}-1`];
      await fill(s, ids.map((_, i) => rawOf('i', String(i))), ids);
      const got = async (o: Parameters<typeof rangeEntries>[2]) => {
        const out: string[] = [];
        for await (const e of rangeEntries(client, s, o)) out.push(e.id);
        return out;
      };
      assert.deepEqual(await got({ since: base + 2000, until: base + 5000 }), ids.slice(2, 6));
      assert.deepEqual(await got({ since: base + 2001, until: base + 4999 }), ids.slice(3, 5));
      assert.deepEqual(await got({ from: ids[1], to: ids[3] }), ids.slice(1, 4));
      assert.deepEqual(await got({ from: String(base + 9000) }), ids.slice(9));
      assert.deepEqual(await got({ to: String(base + 9000), since: base + 8000 }), ids.slice(8));
      assert.deepEqual(await got({ direction: 'newest', count: 3 }), [ids[10], ids[9], ids[8]]);
      assert.deepEqual(await got({ direction: 'newest', since: base + 7000, pageSize: 1 }), [ids[10], ids[9], ids[8], ids[7]]);
      assert.deepEqual(await got({ count: 4, pageSize: 3 }), ids.slice(0, 4));
      assert.deepEqual(await got({ since: base + 5000, until: base + 5000 }), [ids[5]]);
      assert.deepEqual(await got({ since: base + 5001, until: base + 5999 }), []);
      assert.deepEqual(await got({ from: ids[5], to: ids[4] }), []);
      assert.deepEqual(await got({ since: base + 20_000 }), []);
      // The entries' `fields` view is the one parseEntries builds.
      const viaRange: StreamEntry[] = [];
      for await (const e of rangeEntries(client, s, { count: 3 })) viaRange.push(e);
      assert.deepEqual(viaRange.map((e) => [e.id, e.raw, e.fields]), (await all(s)).slice(0, 3).map((e) => [e.id, e.raw, e.fields]));
      // The range as a file, imported elsewhere with its ids.
      const file = await exported(rangeEntries(client, s, { since: base + 3000, until: base + 5999 }));
      const copy = `${s}:copy`;
      await importEntries(client, copy, Readable.from([file]), { keepIds: true });
      assert.deepEqual((await all(copy)).map((e) => e.id), ids.slice(3, 6));
      // A missing key has no entries; a key of another type says so.
      assert.deepEqual(await got({}), ids);
      assert.deepEqual(await (async () => {
        const out: string[] = [];
        for await (const e of rangeEntries(client, `${s}:none`)) out.push(e.id);
        return out;
      })(), []);
      await client.rpush(`${s}:list`, 'x');
      await assert.rejects(async () => {
        for await (const _ of rangeEntries(client, `${s}:list`)) void _;
      }, WrongTypeError);
      await assert.rejects(async () => {
        for await (const _ of rangeEntries(client, s, { from: 'abc' })) void _;
      }, BadInputError);
    });

    it('chosen ids, in the order given; missing ones reported', async () => {
      const s = uniqueKey('ids');
      const ids = await fill(s, Array.from({ length: 5 }, (_, i) => rawOf('i', String(i))));
      const missing: string[] = [];
      const want = [ids[3]!, '1-1', ids[0]!, ids[4]!];
      const file = await exported(entriesById(client, s, want, { chunk: 2, onMissing: (id) => missing.push(id) }));
      assert.deepEqual(lines(file.toString()).map((l) => JSON.parse(l).id), [ids[3], ids[0], ids[4]]);
      assert.deepEqual(missing, ['1-1']);
    });

    it('a whole dead-letter stream: exported and imported with its records intact', async () => {
      const s = uniqueKey('dlq');
      const msgs = [rawOf('order', '1', 'x-dlq', 'user field'), [Buffer.from('bin'), Buffer.from([0, 0xff, 0x80])], rawOf('a', '1', 'a', '2')];
      const ids = await fill(s, msgs);
      await client.xgroup('CREATE', s, 'g', '0');
      await client.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 10, 'STREAMS', s, '>');
      const moved = await ops.deadLetter({ client }, s, 'g', ids, { reason: 'boom' });
      assert.equal(moved.moved.length, 3);
      const dlq = `${s}:dlq`;
      const file = await exported(rangeEntries(client, dlq), { stream: dlq });
      const copy = `${s}:dlq-copy`;
      const r = await importEntries(client, copy, Readable.from([file]), { keepIds: true });
      assert.equal(r.imported, 3);
      const original = await all(dlq);
      const got = await all(copy);
      assert.deepEqual(got.map((e) => e.id), original.map((e) => e.id));
      got.forEach((e, i) => {
        assert.ok(sameRaw(e.raw, original[i]!.raw), `record #${i}`);
        const letter = splitDeadLetter(e);
        assert.equal(letter.origin, s);
        assert.equal(letter.originalId, ids[i]);
        assert.equal(letter.error, 'boom');
        assert.ok(sameRaw(letter.raw, msgs[i]!), `message #${i}`);
      });
    });

    it('an interrupted keep-ids import, run again, adds only what is missing (nothing duplicated)', async () => {
      const s = uniqueKey('resume');
      const ids = await fill(s, Array.from({ length: 50 }, (_, i) => rawOf('i', String(i), 'pad', 'x'.repeat(i))));
      const file = await exported(rangeEntries(client, s), { stream: s });
      const text = file.toString('utf8');
      const copy = `${s}:copy`;
      // "Interrupted" after line 21 (the header and 20 messages).
      const first = lines(text).slice(0, 21).join('\n');
      const r1 = await importEntries(client, copy, Readable.from([first]), { keepIds: true, batch: 7 });
      assert.equal(r1.imported, 20);
      const progress: number[] = [];
      const r2 = await importEntries(client, copy, Readable.from([file]), { keepIds: true, batch: 7, onProgress: (p) => progress.push(p.imported) });
      assert.deepEqual([r2.imported, r2.skipped, r2.lines, r2.lastLine], [30, 20, 51, 51]);
      assert.equal(progress[progress.length - 1], 30);
      const got = await all(copy);
      assert.deepEqual(got.map((e) => e.id), ids);
      const r3 = await importEntries(client, copy, Readable.from([file]), { keepIds: true });
      assert.deepEqual([r3.imported, r3.skipped], [0, 50]);
      assert.equal(await client.xlen(copy), 50);
    });

    it('a bad line: BadInputError naming it, nothing of its batch written, what came before reported; resume with fromLine', async () => {
      const s = uniqueKey('bad');
      const good = Array.from({ length: 30 }, (_, i) => exportLine({ id: `${1000 + i}-0`, raw: rawOf('i', String(i)) }));
      const text = [...good.slice(0, 24), 'not json {', ...good.slice(24)].join('\n');
      const before = await xaddCalls();
      let err: ImportLineError | undefined;
      await importEntries(client, s, Readable.from([text]), { batch: 10 }).catch((e: ImportLineError) => (err = e));
      assert.ok(err instanceof ImportLineError && err instanceof BadInputError, String(err));
      assert.equal(err.lineNumber, 25);
      // Lines 1–20 went in two batches; 21–24 were waiting with line 25 and were not sent.
      assert.match(err.message, /^Line 25: not JSON .*Nothing after line 20 was written; 20 messages were imported, through line 20 \(to go on, import again from line 21\)/);
      assert.equal(await client.xlen(s), 20);
      assert.equal((await xaddCalls()) - before, 20, 'no XADD of the bad batch was sent');
      assert.deepEqual(err.progress, { read: 25, imported: 20, skipped: 0, notWritten: 0, line: 20 });
      // Fixed, and resumed from line 21: every message once, in order.
      const fixed = [...good.slice(0, 24), '', ...good.slice(24)].join('\n');
      const r = await importEntries(client, s, Readable.from([fixed]), { batch: 10, fromLine: 21 });
      assert.deepEqual([r.imported, r.lines], [10, 31]);
      const values = (await all(s)).map((e) => e.fields!['i']);
      assert.deepEqual(values, Array.from({ length: 30 }, (_, i) => String(i)));
    });

    it('every kind of bad line is refused before its batch is sent', async () => {
      const ok = exportLine({ id: '5-0', raw: rawOf('a', '1') });
      const cases: [string | Buffer, RegExp, Partial<ImportOptions>?][] = [
        ['{"id":"6-0"}', /no "pairs"/],
        ['{"id":"6-0","fields":{"a":"1"}}', /no "pairs".*"fields" is a lossy view/],
        ['{"id":"6-0","pairs":null}', /"pairs" is null/],
        ['{"id":"6-0","pairs":[]}', /"pairs" is empty/],
        ['{"id":"6-0","pairs":{"a":"1"}}', /"pairs" must be an array/],
        ['{"id":"6-0","pairs":[["a"]]}', /Pair #1 of "pairs" must be \[name, value\]/],
        ['{"id":"6-0","pairs":[["a",1]]}', /The value of pair #1 must be a string or \{"base64"/],
        ['{"id":"6-0","pairs":[["a",{"base64":"!!!"}]]}', /The value of pair #1/],
        ['{"id":"6-0","pairs":[[{"base64":"AA="},"x"]]}', /The name of pair #1/],
        ['"just a string"', /expected a JSON object/],
        ['42', /expected a JSON object/],
        ['null', /expected a JSON object/],
        ['{"redis-queues-export":2}', /format version 2/],
        [Buffer.from([0x7b, 0xff, 0x7d]), /not valid UTF-8/],
        ['{"pairs":[["a","1"]]}', /no "id"/, { keepIds: true }],
        ['{"id":"x","pairs":[["a","1"]]}', /Invalid stream id "x"/, { keepIds: true }],
        ['{"id":"0-0","pairs":[["a","1"]]}', /0-0 is not allowed/, { keepIds: true }],
        ['{"id":"4-0","pairs":[["a","1"]]}', /id 4-0 is not greater than 5-0 of line 1/, { keepIds: true }],
        ['{"id":"5-0","pairs":[["a","1"]]}', /id 5-0 is not greater than 5-0 of line 1/, { keepIds: true }],
        ['{"id":"6-0","pairs":[["a","1"', /a JSON value starts here and is not closed before line 3 starts another/],
        ['{"id":"6-0",\n  "pairs": [["a", "1"]]\n}}', /not JSON/],
      ];
      for (const [bad, why, o] of cases) {
        const s = uniqueKey('badkind');
        const input = Buffer.concat([Buffer.from(`${ok}\n`), Buffer.isBuffer(bad) ? bad : Buffer.from(bad), Buffer.from(`\n${ok.replace('5-0', '9-0')}\n`)]);
        const before = await xaddCalls();
        await assert.rejects(importEntries(client, s, Readable.from([input]), { batch: 10, ...o }), (e: unknown) => {
          assert.ok(e instanceof ImportLineError, `${String(bad)}: ${String(e)}`);
          assert.equal(e.lineNumber, 2);
          assert.match(e.message, /^Line 2: /);
          assert.match(e.message, why);
          assert.match(e.message, /Nothing was imported\.$/);
          return true;
        });
        assert.equal(await xaddCalls(), before, `${String(bad)}: nothing sent`);
        assert.equal(await client.exists(s), 0);
      }
    });

    it('a value cut off at the end of the input (an interrupted export) is named', async () => {
      const s = uniqueKey('cut');
      const text = `${exportLine({ id: '1-0', raw: rawOf('a', '1') })}\n{"id":"2-0","pairs":[["a","`;
      await assert.rejects(importEntries(client, s, Readable.from([text])), /^ImportLineError: Line 2: a JSON value starts here and is not closed by the end of the input\. Nothing was imported\.$/);
      assert.equal(await client.exists(s), 0);
    });

    it('the rate limit holds by the limiter\'s own clock, and Ctrl-C (abort) stops a waiting import', async () => {
      const s = uniqueKey('rate');
      const text = Array.from({ length: 60 }, (_, i) => exportLine({ id: `${i + 1}-0`, raw: rawOf('i', String(i)) })).join('\n');
      const r = await importEntries(client, s, Readable.from([text]), { ratePerSec: 200 });
      assert.equal(r.imported, 60);
      const rate = r.rate!;
      assert.equal(rate.ratePerSec, 200);
      assert.equal(rate.burst, 20);
      assert.equal(rate.granted, 60);
      assert.ok(rate.maxExcess <= 1e-6, `granted ahead of the rate by ${rate.maxExcess}`);
      assert.ok(rate.waits >= 2, 'it waited for tokens');
      // A slow rate and an abort: the import stops after what was sent, and says so.
      const slow = uniqueKey('slow');
      const limiter = new TokenBucket({ ratePerSec: 1, burst: 1 });
      const stop = new AbortController();
      const res = await importEntries(client, slow, Readable.from([text]), {
        limiter,
        signal: stop.signal,
        onProgress: (p) => {
          if (p.imported === 1) stop.abort();
        },
      });
      assert.equal(res.aborted, true);
      assert.equal(res.imported, 1);
      assert.equal(res.lastLine, 1);
      assert.equal(await client.xlen(slow), 1);
    });

    it('a token bucket never grants ahead of its rate (fake clock) and never waits when tokens are there', async () => {
      let now = 0;
      const b = new TokenBucket({ ratePerSec: 10, burst: 5, now: () => now });
      assert.equal(await b.take(5), true);
      assert.equal(b.accounting().waits, 0);
      now = 300; // 3 tokens accrued
      assert.equal(await b.take(3), true);
      assert.equal(b.accounting().waits, 0);
      assert.ok(b.accounting().maxExcess <= 1e-9);
      assert.throws(() => new TokenBucket({ ratePerSec: 0 }), BadInputError);
      assert.throws(() => new TokenBucket({ ratePerSec: NaN }), BadInputError);
    });

    it('a read-only connection exports, and refuses to import before anything is sent', async () => {
      const s = uniqueKey('ro');
      await fill(s, [rawOf('a', '1')]);
      const ro = await open({ url: redisUrl(), readOnly: true });
      try {
        const file = await exported(rangeEntries(ro, s));
        assert.equal(lines(file.toString()).length, 1);
        const before = await xaddCalls();
        const input = Readable.from([file]);
        await assert.rejects(importEntries(ro, `${s}:copy`, input, { readOnly: true, name: 'prod' }), (e: unknown) => e instanceof ReadOnlyError && /Connection "prod" is read-only: import was refused before anything was sent/.test(e.message));
        assert.equal(await xaddCalls(), before);
        assert.equal(await client.exists(`${s}:copy`), 0);
        assert.equal(input.readableDidRead, false, 'the input was not even read');
      } finally {
        await quit(ro);
      }
    });

    it('a key of another type is refused before anything is read or written', async () => {
      const s = uniqueKey('wt');
      await client.rpush(s, 'x');
      const input = Readable.from([exportLine({ id: '1-0', raw: rawOf('a', '1') })]);
      await assert.rejects(importEntries(client, s, input), (e: unknown) => e instanceof WrongTypeError && /is a list, not a stream/.test(e.message));
      assert.equal(input.readableDidRead, false);
      assert.equal(await client.llen(s), 1);
    });

    it('export honours backpressure (memory flat) and stops on abort', async () => {
      const s = uniqueKey('bp');
      await fill(s, Array.from({ length: 400 }, (_, i) => rawOf('i', String(i), 'pad', 'p'.repeat(1000))));
      const sink = new Sink({ highWaterMark: 8 * 1024, slow: true });
      const r = await exportEntries(rangeEntries(client, s), sink);
      assert.equal(r.written, 400);
      assert.equal(r.bytes, sink.buffer().length);
      assert.equal(lines(sink.text()).length, 400);
      // One 64 KB chunk at most beyond the sink's own buffer: export waited for 'drain'.
      assert.ok(sink.maxBuffered <= 8 * 1024 + 80 * 1024, `buffered ${sink.maxBuffered}`);
      const stop = new AbortController();
      const entries = await all(s);
      const source = (function* () {
        for (const [i, e] of entries.entries()) {
          if (i === 5) stop.abort();
          yield e;
        }
      })();
      const partial = await exportEntries(source, new Sink(), { signal: stop.signal });
      assert.deepEqual([partial.written, partial.aborted], [5, true]);
      // An entry without a message (deleted, still pending somewhere) is left out and counted.
      const withGone = await exportEntries([entries[0]!, { id: '1-1', raw: null, fields: null }], new Sink());
      assert.deepEqual([withGone.written, withGone.skipped], [1, 1]);
    });

    it('pages stay small: they grow to 1,000 small entries and shrink to one for large entries', async () => {
      const s = uniqueKey('pages');
      const pipe = client.pipeline();
      for (let i = 0; i < 3000; i++) pipe.xadd(s, '*', 'i', String(i));
      await pipe.exec();
      const big = `${s}:big`;
      for (let i = 0; i < 6; i++) await client.xadd(big, '*', 'v', 'x'.repeat(700_000));
      const counts = () => {
        const seen: number[] = [];
        const spy = new Proxy(client, {
          get(target, p, recv) {
            if (p === 'xrangeBuffer') {
              return (...a: unknown[]) => {
                seen.push(Number(a[a.length - 1]));
                return (target.xrangeBuffer as (...x: unknown[]) => Promise<unknown>).apply(target, a);
              };
            }
            const v = Reflect.get(target, p, recv) as unknown;
            return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
          },
        }) as unknown as RedisClient;
        return { spy, seen };
      };
      const small = counts();
      let n = 0;
      for await (const e of rangeEntries(small.spy, s)) n += e.id ? 1 : 0;
      assert.equal(n, 3000);
      assert.equal(Math.max(...small.seen), RANGE_MAX_PAGE);
      assert.ok(small.seen.length <= 8, `pages: ${small.seen.join(',')}`);
      const large = counts();
      n = 0;
      for await (const e of rangeEntries(large.spy, big)) n += e.id ? 1 : 0;
      assert.equal(n, 6);
      assert.ok(Math.max(...large.seen) <= 2, `pages of 700 KB entries: ${large.seen.join(',')}`);
    });
  });

  describe('cluster', () => {
    it('exports from one slot and imports into another, byte-exact', async function () {
      this.timeout(60_000);
      const cluster = await startSandboxCluster({ masters: 3 });
      let c: RedisClient | undefined;
      try {
        c = await open({ url: cluster.url, mode: 'cluster' });
        const msgs = Array.from({ length: 300 }, (_, i) => [Buffer.from('i'), Buffer.from(String(i)), Buffer.from('b'), Buffer.from([i & 0xff, 0xff])]);
        const ids: string[] = [];
        for (const m of msgs) ids.push(String(await c.callBuffer('XADD', '{a}src', '*', ...m)));
        const sink = new Sink();
        await exportEntries(rangeEntries(c, '{a}src'), sink);
        const r = await importEntries(c, '{b}dst', Readable.from([sink.buffer()]), { keepIds: true, batch: 50 });
        assert.equal(r.imported, 300);
        const got = parseEntries(await c.xrangeBuffer('{b}dst', '-', '+'));
        assert.deepEqual(got.map((e) => e.id), ids);
        got.forEach((e, i) => assert.ok(sameRaw(e.raw, msgs[i]!)));
        const viaCli = await cli(['export', '{a}src', '--cluster', '--count', '5', '--no-header'], undefined, cluster.url);
        assert.equal(viaCli.code, 0, viaCli.stderr);
        assert.equal(lines(viaCli.stdout).length, 5);
      } finally {
        await quit(c);
        await cluster.stop();
      }
    });
  });
});
