// Every path carries a message whole: generated messages (binary and integer-like names, repeated
// names, empty values, __proto__, names that look like this project's bookkeeping, up to 3 MB
// values and 5,000 fields) through publish → worker → dead-letter → replay → tail, library and
// CLI, each compared byte for byte with what Redis holds. And the moves are atomic: concurrent
// replays write each entry once; a target of another type changes nothing.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { type RawFields, fromJsonPairs, pairsOf, rawOf, sameRaw, toJsonPairs } from '../../src/core/messages/message';
import * as ops from '../../src/core/ops';
import { StreamProducer } from '../../src/core/queue/stream/producer';
import { StreamWorker } from '../../src/core/queue/stream/worker';
import { tailStream } from '../../src/core/queue/stream/tail';
import { type DeadLetter, REPLAY_COUNT_FIELD, REPLAY_OF_FIELD, splitDeadLetter } from '../../src/core/queue/stream/deadLetter';
import { rangeEntries } from '../../src/core/transfer/read';
import { parseEntries } from '../../src/core/redis/replies';
import { redisUrl, uniqueKey } from '../support/integrationHooks';
import { message } from '../support/randomMessages';
import { waitFor } from './queue/helpers';

/** The records of a dead-letter stream, message included (a replay plan keeps only their bookkeeping). */
async function deadLetters(client: Redis, dlq: string): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  for await (const e of rangeEntries(client, dlq)) out.push(splitDeadLetter(e));
  return out;
}

const root = join(__dirname, '..', '..', '..');
const CLI = join(root, 'dist', 'cli.js');
const tmpRoot = join(root, '.test-output');


async function rawOfEntry(client: Redis, key: string, id: string): Promise<RawFields | null> {
  const e = parseEntries(await client.xrangeBuffer(key, id, id))[0];
  return e?.raw ?? null;
}

function withReplayTail(raw: RawFields, count: number, of: string): RawFields {
  return [...raw, ...rawOf(REPLAY_COUNT_FIELD, String(count), REPLAY_OF_FIELD, of)];
}

function cli(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REDIS_')));
  const child = spawn(process.execPath, [CLI, ...args, '--url', redisUrl()], { cwd: root, env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('(integration) integrity: every message arrives whole', function () {
  this.timeout(120_000);
  let client: Redis;
  let t: ops.OpTarget;
  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
    t = { client, name: 'test' };
  });
  after(() => quit(client));

  /** Publishes `messages`, lets a library worker handle them (failing each once into the DLQ when `fail`), and returns what it saw. */
  async function throughWorker(s: string, messages: RawFields[], { fail = false } = {}): Promise<{ ids: string[]; seen: Map<string, RawFields> }> {
    const producer = new StreamProducer(client, { stream: s });
    const ids = await producer.publishBatch(messages.map((m) => ({ fields: toPairs(m) })));
    const seen = new Map<string, RawFields>();
    const worker = new StreamWorker({
      connection: { url: redisUrl() },
      stream: s,
      group: 'g',
      startId: '0',
      maxDeliveries: 1,
      claimMinIdleMs: 0,
      blockMs: 200,
      handler: (m) => {
        seen.set(m.id, m.raw);
        if (fail) throw new Error(`refused ${m.id}`);
      },
    });
    let dead = 0;
    worker.on('deadLettered', () => dead++);
    await worker.start();
    await waitFor(() => seen.size === messages.length && (!fail || dead === messages.length), 30_000, 'every message handled');
    await worker.stop();
    return { ids, seen };
  }

  function toPairs(raw: RawFields): [Buffer, Buffer][] {
    const out: [Buffer, Buffer][] = [];
    for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
    return out;
  }

  it('library: publish → worker → dead-letter → replay → dead-letter → replay → tail, byte for byte (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 8 }), async (messages) => {
        const s = uniqueKey('prop');
        const dlq = `${s}:dlq`;
        const { ids, seen } = await throughWorker(s, messages, { fail: true });
        // Redis holds exactly what was published; the handler got exactly that.
        for (const [i, id] of ids.entries()) {
          assert.ok(sameRaw(await rawOfEntry(client, s, id), messages[i]!), `stored ${id}`);
          assert.ok(sameRaw(seen.get(id)!, messages[i]!), `handled ${id}`);
        }
        // The DLQ records keep the message verbatim and the bookkeeping apart.
        const letters = await deadLetters(client, dlq);
        assert.equal(letters.length, messages.length);
        for (const l of letters) {
          const i = ids.indexOf(l.originalId!);
          assert.ok(i >= 0);
          assert.ok(sameRaw(l.raw, messages[i]!), 'dead letter body');
          assert.equal(l.origin, s);
        }
        // Replay: the message, then x-replay-count 1, x-replay-of <original id>.
        const r1 = await ops.replay(t, dlq, { ratePerSecond: 1e6 });
        assert.equal(r1.replayed.length, messages.length);
        assert.equal(await client.xlen(dlq), 0);
        const firstCopies = new Map<string, string>();
        for (const x of r1.replayed) {
          const letter = letters.find((l) => l.id === x.id)!;
          const i = ids.indexOf(letter.originalId!);
          assert.ok(sameRaw(await rawOfEntry(client, s, x.newId), withReplayTail(messages[i]!, 1, ids[i]!)), 'replayed copy');
          firstCopies.set(x.newId, ids[i]!);
        }
        // Dead-letter the replayed copies (by hand, as an operator would) and replay again: the replay bookkeeping is replaced, not repeated.
        await client.xreadgroup('GROUP', 'g', 'op', 'COUNT', 1000, 'STREAMS', s, '>');
        const moved = await ops.deadLetter(t, s, 'g', [...firstCopies.keys()], { reason: 'again' });
        assert.equal(moved.moved.length, firstCopies.size);
        const r2 = await ops.replay(t, dlq, { ratePerSecond: 1e6 });
        for (const x of r2.replayed) {
          const firstId = moved.moved.find((m) => m.dlqId === x.id)!.id;
          const i = ids.indexOf(firstCopies.get(firstId)!);
          assert.ok(sameRaw(await rawOfEntry(client, s, x.newId), withReplayTail(messages[i]!, 2, firstId)), 'second replay');
        }
        // The library tail reads every entry of the stream as Redis holds it.
        const tail = tailStream({ connection: { url: redisUrl() }, stream: s, from: '0' });
        const all = parseEntries(await client.xrangeBuffer(s, '-', '+'));
        let n = 0;
        for await (const e of tail) {
          assert.ok(sameRaw(e.raw, all[n]!.raw), `tail ${e.id}`);
          if (++n === all.length) break;
        }
        await client.del(s, dlq);
      }),
      { numRuns: 12, seed: 11 },
    );
  });

  it('a 3 MB value, a 100 KB binary value and 5,000 fields go through worker, dead-letter and replay whole', async () => {
    const s = uniqueKey('big');
    const big = [
      rawOf('big', 'v'.repeat(3_000_000)),
      [Buffer.from('bin'), Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919) & 0xff))],
      Array.from({ length: 5_000 }, (_, i) => rawOf(i % 3 === 0 ? 'dup' : `f${i}`, String(i))).flat(),
    ];
    const { ids, seen } = await throughWorker(s, big, { fail: true });
    for (const [i, id] of ids.entries()) assert.ok(sameRaw(seen.get(id)!, big[i]!), `handled ${i}`);
    const letters = await deadLetters(client, `${s}:dlq`);
    assert.equal(letters.length, 3, 'all three dead-lettered (none stuck as poison)');
    for (const l of letters) assert.ok(sameRaw(l.raw, big[ids.indexOf(l.originalId!)]!), `DLQ ${l.originalId}`);
    const r = await ops.replay(t, `${s}:dlq`, { ratePerSecond: 1e6 });
    assert.equal(r.replayed.length, 3);
    for (const x of r.replayed) {
      const l = letters.find((e) => e.id === x.id)!;
      assert.ok(sameRaw(await rawOfEntry(client, s, x.newId), withReplayTail(big[ids.indexOf(l.originalId!)]!, 1, l.originalId!)));
    }
  });

  it('two to four replays at once write every entry exactly once', async () => {
    for (const n of [2, 3, 4]) {
      const s = uniqueKey(`conc${n}`);
      const { ids } = await throughWorker(s, Array.from({ length: 50 }, (_, i) => rawOf('n', String(i))), { fail: true });
      const clients = await Promise.all(Array.from({ length: n }, () => open({ url: redisUrl() })));
      const results = await Promise.all(clients.map((c) => ops.replay({ client: c }, `${s}:dlq`, { ratePerSecond: 1e6 })));
      await Promise.all(clients.map((c) => quit(c)));
      assert.equal(results.reduce((a, r) => a + r.replayed.length, 0), 50, `${n} replayers: 50 replayed in all`);
      assert.equal(await client.xlen(s), 100, `${n} replayers: 50 originals + 50 copies`);
      assert.equal(await client.xlen(`${s}:dlq`), 0);
      const values = parseEntries(await client.xrangeBuffer(s, '-', '+')).map((e) => e.fields!['n']);
      assert.deepEqual(values.slice(50).map(Number).sort((a, b) => a - b), ids.map((_, i) => i));
    }
  });

  it('replay to a key of another type changes nothing and says so', async () => {
    const s = uniqueKey('wt');
    await throughWorker(s, [rawOf('a', '1')], { fail: true });
    const list = uniqueKey('list');
    await client.rpush(list, 'x');
    const r = await ops.replay(t, `${s}:dlq`, { to: list });
    assert.equal(r.replayed.length, 0);
    assert.match(r.failed[0]!.reason, /is a list, not a stream.*nothing was changed; left in the dead-letter stream/);
    assert.equal(await client.xlen(`${s}:dlq`), 1);
    assert.deepEqual(await client.lrange(list, 0, -1), ['x']);
    // The same when the recorded origin itself changed type.
    await client.del(s);
    await client.rpush(s, 'y');
    const r2 = await ops.replay(t, `${s}:dlq`);
    assert.equal(r2.failed.length, 1);
    assert.equal(await client.xlen(`${s}:dlq`), 1);
    const cliRun = await cli(['replay', `${s}:dlq`, '--to', list]);
    assert.equal(cliRun.code, 1, cliRun.stdout + cliRun.stderr);
    assert.match(cliRun.stderr, /failed .*is a list/);
    assert.equal(await client.xlen(`${s}:dlq`), 1);
  });

  it('a pending entry whose message was deleted is not dead-lettered unless forced, and such a record is never replayed', async () => {
    const s = uniqueKey('gone');
    const id = String(await client.xadd(s, '*', 'a', '1'));
    await client.xgroup('CREATE', s, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'c', 'STREAMS', s, '>');
    await client.xdel(s, id);
    const r = await ops.deadLetter(t, s, 'g', [id]);
    assert.deepEqual(r, { moved: [], skipped: [], gone: [id] });
    assert.equal(await client.exists(`${s}:dlq`), 0);
    const forced = await ops.deadLetter(t, s, 'g', [id], { force: true });
    assert.equal(forced.moved.length, 1);
    const plan = await ops.planReplay(t, `${s}:dlq`);
    assert.deepEqual(plan.withoutBody, [forced.moved[0]!.dlqId]);
    const rep = await ops.replay(t, `${s}:dlq`);
    assert.equal(rep.replayed.length, 0);
    assert.match(rep.skipped[0]!.reason, /no message/);
    assert.equal(await client.xlen(s), 0);
  });

  it('reads dead letters of the earlier format (bookkeeping after the fields)', async () => {
    const dlq = uniqueKey('legacy');
    const origin = uniqueKey('origin');
    await client.xadd(dlq, '*', 'orderId', '7', 'x-dlq-stream', origin, 'x-dlq-group', 'g', 'x-dlq-id', '1-0', 'x-dlq-deliveries', '3', 'x-dlq-error', 'boom', 'x-replay-count', '1');
    const r = await ops.replay(t, dlq);
    assert.equal(r.replayed.length, 1);
    assert.ok(sameRaw(await rawOfEntry(client, origin, r.replayed[0]!.newId), rawOf('orderId', '7', REPLAY_COUNT_FIELD, '2', REPLAY_OF_FIELD, '1-0')));
    assert.equal(await client.xlen(dlq), 0);
  });

  describe('CLI', () => {
    let dir: string;
    before(() => {
      mkdirSync(tmpRoot, { recursive: true });
      dir = mkdtempSync(join(tmpRoot, 'integrity-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const nasty: RawFields[] = [
      rawOf('z', '1', '10', '2', '1', '3', 'a', 'x', 'a', 'y'),
      [Buffer.from([0xff, 0xfe]), Buffer.from([0, 1, 2, 0xff]), ...rawOf('x-dlq-stream', 'mine', '__proto__', 'p', '', '')],
      rawOf('tpl', 'item {{i}}', 'cookie', 'sid=abc; theme=dark'),
      rawOf('big', 'w'.repeat(3_000_000)),
      Array.from({ length: 2_000 }, (_, i) => rawOf(`f${i}`, String(i))).flat(),
    ];

    it('publish --json pairs stores exactly the pairs; tail --json and work --exec stdin carry every byte', async () => {
      const s = uniqueKey('cli');
      const ids: string[] = [];
      for (const [i, m] of nasty.entries()) {
        const file = join(dir, `m${i}.json`);
        writeFileSync(file, JSON.stringify(toJsonPairs(m)));
        const r = await cli(['publish', s, '--json', `@${file}`]);
        assert.equal(r.code, 0, r.stderr);
        ids.push(r.stdout.trim());
        assert.ok(sameRaw(await rawOfEntry(client, s, ids.at(-1)!), m), `stored ${ids.length}`);
      }
      const tail = await cli(['tail', s, '--from', '0', '--limit', String(nasty.length), '--json']);
      assert.equal(tail.code, 0, tail.stderr);
      const rows = tail.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; pairs: unknown });
      assert.deepEqual(rows.map((r) => r.id), ids);
      rows.forEach((r, i) => assert.ok(sameRaw(fromJsonPairs(r.pairs), nasty[i]!), `tail --json ${i}`));
      // work --exec: the handler saves its stdin; exit 0 acks.
      const out = join(dir, 'exec');
      writeFileSync(join(dir, 'h.sh'), `cat > "${out}-$RQ_ID.json"\n`);
      const work = spawn(process.execPath, [CLI, 'work', s, '--group', 'g', '--start', '0', '--exec', `sh ${join(dir, 'h.sh')}`, '--url', redisUrl()], { stdio: 'ignore' });
      try {
        const acked = async () => (await client.exists(s)) === 1 && Number(((await client.xpending(s, 'g').catch(() => [-1])) as [number])[0]) === 0;
        const handled = () => readdirSync(dir).filter((f) => f.startsWith('exec-')).length === nasty.length;
        await waitFor(async () => handled() && (await acked()), 30_000, 'every message handled and acked');
      } finally {
        work.kill('SIGTERM');
      }
      ids.forEach((id, i) => {
        const got = JSON.parse(readFileSync(`${out}-${id}.json`, 'utf8')) as { id: string; pairs: unknown };
        assert.equal(got.id, id);
        assert.ok(sameRaw(fromJsonPairs(got.pairs), nasty[i]!), `--exec stdin ${i}`);
      });
    });

    it('publish: order and repeated names kept from arguments; templates only with --count, with an escape', async () => {
      const s = uniqueKey('pub');
      const one = await cli(['publish', s, 'z=1', '10=2', '1=3', 'z=4', '__proto__=x', 'k=v', 'tpl=item {{i}}']);
      assert.equal(one.code, 0, one.stderr);
      assert.ok(sameRaw(await rawOfEntry(client, s, one.stdout.trim()), rawOf('z', '1', '10', '2', '1', '3', 'z', '4', '__proto__', 'x', 'k', 'v', 'tpl', 'item {{i}}')));
      const many = await cli(['publish', s, 'n={{i}}', 'lit=\\{{i}}', '--count', '2']);
      assert.equal(many.code, 0, many.stderr);
      const [a, b] = many.stdout.trim().split('\n');
      assert.ok(sameRaw(await rawOfEntry(client, s, a!), rawOf('n', '0', 'lit', '{{i}}')));
      assert.ok(sameRaw(await rawOfEntry(client, s, b!), rawOf('n', '1', 'lit', '{{i}}')));
    });
  });

  it('the lossless JSON form round-trips any bytes (copy-as-JSON, --json, --exec stdin use it)', () => {
    fc.assert(
      fc.property(message, (m) => {
        const back = fromJsonPairs(JSON.parse(JSON.stringify(toJsonPairs(m))));
        assert.ok(sameRaw(back, m));
        assert.deepEqual(pairsOf(back.reduce<[Buffer, Buffer][]>((acc, x, i) => (i % 2 ? acc : [...acc, [x, back[i + 1]!]]), [])), back);
      }),
      { numRuns: 500 },
    );
  });
});
