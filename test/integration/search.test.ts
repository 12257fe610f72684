// Search on a real server: each kind of term finds exactly the seeded matches, across page
// boundaries, newest or oldest first; limits, budgets and cancels stop the walk and say where to
// resume; pending searches filter by owner and deliveries and keep deleted bodies; every call
// is a small page.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { sameRaw } from '../../src/core/messages/message';
import { MessageSearch, findMessages, parseSearchQuery, type SearchHit, type SearchSource } from '../../src/core/search';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

const BASE = 1_700_000_000_000;
const N = 2_500;

describe('(integration) search', () => {
  let client: Redis;
  let stream: string;
  /** Seeded matches by kind: entry index → what it carries. */
  const special: Record<number, string[]> = {
    7: ['status', 'failed'],
    333: ['status', 'failed'],
    1201: ['payload', JSON.stringify({ sku: 'kb', qty: 2 })],
    1202: ['payload', JSON.stringify({ sku: 'kbd', qty: 9 })],
    2000: ['note', 'upstream Timeout after 30s'],
    2499: ['status', 'failed'],
  };
  const idOf = (i: number) => `${BASE + i}-0`;

  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
    stream = `${uniqueKey('search')}:orders`;
    for (let i = 0; i < N; i += 500) {
      const pipe = client.pipeline();
      for (let j = i; j < Math.min(N, i + 500); j++) {
        const extra = special[j] ?? ['status', 'ok'];
        pipe.xadd(stream, idOf(j), 'order', String(j), ...extra, 'order', `dup-${j}`);
      }
      await pipe.exec();
    }
  });
  after(async () => quit(client));

  const run = async (q: string, source: SearchSource = { kind: 'stream', key: stream }, options = {}) => {
    const s = new MessageSearch(client, source, parseSearchQuery(q), options);
    const hits: SearchHit[] = [];
    for await (const h of s) hits.push(h);
    return { hits, summary: s.summary!, ids: hits.map((h) => h.entry.id) };
  };

  it('finds exactly the seeded matches of each kind, newest first by default, across pages', async () => {
    const failed = await run('status=failed');
    assert.deepEqual(failed.ids, [idOf(2499), idOf(333), idOf(7)]);
    assert.equal(failed.summary.stopped, 'end');
    assert.equal(failed.summary.examined, N);
    assert.equal(failed.summary.total, N);
    assert.ok(failed.summary.largestPage <= 1000, 'pages of at most 1,000 entries');
    assert.deepEqual((await run('status=failed order:oldest')).ids, [idOf(7), idOf(333), idOf(2499)]);
    assert.deepEqual((await run('note~Timeout')).ids, [idOf(2000)]);
    assert.deepEqual((await run('note=/timeout after \\d+s/i')).ids, [idOf(2000)]);
    assert.deepEqual((await run('payload.sku == "kb"')).ids, [idOf(1201)]);
    assert.deepEqual((await run('payload.qty>5')).ids, [idOf(1202)]);
    assert.deepEqual((await run('*~kbd')).ids, [idOf(1202)]);
    assert.deepEqual((await run('order=dup-42')).ids, [idOf(42)], 'the second of a repeated name');
    // Hits carry the message whole, as Redis holds it.
    const [hit] = (await run('order=dup-42')).hits;
    const [[, held]] = (await client.xrangeBuffer(stream, idOf(42), idOf(42))) as [Buffer, Buffer[]][];
    assert.ok(sameRaw(hit!.entry.raw, held!));
  });

  it('bounds by time and by id, inclusive', async () => {
    const t = await run(`status=failed since:${BASE + 300} until:${BASE + 2499}`);
    assert.deepEqual(t.ids, [idOf(2499), idOf(333)]);
    assert.ok(t.summary.examined <= 2200, 'only the range is read');
    const r = await run(`from:${idOf(0)} to:${idOf(333)} status=failed`);
    assert.deepEqual(r.ids, [idOf(333), idOf(7)]);
    const none = await run(`since:${BASE + 5000}`);
    assert.deepEqual(none.ids, []);
    assert.equal(none.summary.stopped, 'end');
  });

  it('stops after N matches and resumes exactly after the last one examined', async () => {
    const first = await run('status=failed limit:2');
    assert.deepEqual(first.ids, [idOf(2499), idOf(333)]);
    assert.equal(first.summary.stopped, 'limit');
    assert.equal(first.summary.resume, idOf(333));
    const rest = await run('status=failed', { kind: 'stream', key: stream }, { resume: first.summary.resume });
    assert.deepEqual(rest.ids, [idOf(7)]);
  });

  it('stops at a budget of entries examined and says where to resume', async () => {
    const part = await run('status=failed order:oldest', { kind: 'stream', key: stream }, { maxExamined: 300 });
    assert.equal(part.summary.stopped, 'budget');
    assert.deepEqual(part.ids, [idOf(7)]);
    assert.ok(part.summary.resume);
    const rest = await run('status=failed order:oldest', { kind: 'stream', key: stream }, { resume: part.summary.resume });
    assert.deepEqual(rest.ids, [idOf(333), idOf(2499)]);
    assert.ok((part.summary.fraction ?? 0) > 0 && (part.summary.fraction ?? 1) < 1, 'progress is part of the way');
  });

  it('a cancel stops the walk: no call to Redis after it', async () => {
    const ac = new AbortController();
    const s = new MessageSearch(client, { kind: 'stream', key: stream }, parseSearchQuery('status=ok order:oldest'), { signal: ac.signal });
    let seen = 0;
    for await (const hit of s) if (hit && ++seen === 1) ac.abort();
    const calls = s.summary!.calls;
    assert.equal(s.summary!.stopped, 'cancelled');
    assert.ok(s.summary!.examined < N);
    // 4 calls for the key's existence, the range's ends and length, the first page, and at most one page read ahead.
    assert.ok(calls <= 6, `calls after a cancel: ${calls}`);
  });

  it('searches a group\'s pending entries: owner, deliveries, deleted bodies', async () => {
    const s = `${uniqueKey('pending')}:jobs`;
    for (let i = 0; i < 450; i++) await client.xadd(s, idOf(i), 'n', String(i), 'kind', i % 150 === 0 ? 'rare' : 'common');
    await client.xgroup('CREATE', s, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'w1', 'COUNT', 300, 'STREAMS', s, '>');
    await client.xreadgroup('GROUP', 'g', 'w2', 'COUNT', 150, 'STREAMS', s, '>');
    // Deliver entry 150 twice more (claimed twice by w2) and delete the body of entry 0.
    await client.xclaim(s, 'g', 'w2', 0, idOf(150));
    await client.xclaim(s, 'g', 'w2', 0, idOf(150));
    await client.xdel(s, idOf(0));
    const src: SearchSource = { kind: 'pending', key: s, group: 'g' };
    const rare = await run('kind=rare', src);
    assert.deepEqual(rare.ids, [idOf(150), idOf(300)], 'pending searches go oldest first; a deleted body matches no condition');
    assert.deepEqual(rare.hits.map((h) => h.pending!.consumer), ['w2', 'w2']);
    assert.equal(rare.summary.examined, 450);
    assert.deepEqual((await run('kind=rare consumer:w2 deliveries:2', src)).ids, [idOf(150)]);
    const all = await run('consumer:w1 limit:1', src);
    assert.equal(all.ids[0], idOf(0));
    assert.equal(all.hits[0]!.entry.raw, null, 'a deleted body is reported, not hidden');
  });

  it('searches a dead-letter stream by its bookkeeping and by the original pairs', async () => {
    const dlq = `${uniqueKey('dlq')}:orders:dlq`;
    await client.xadd(dlq, '*', 'x-dlq', '1', 'x-dlq-stream', 'orders', 'x-dlq-id', '1-0', 'x-dlq-error', 'TimeoutError: 30s', 'x-dlq-fields', '1', 'order', '42');
    await client.xadd(dlq, '*', 'x-dlq', '1', 'x-dlq-stream', 'orders', 'x-dlq-id', '2-0', 'x-dlq-error', 'Bad card', 'x-dlq-fields', '1', 'order', '43');
    const { hits } = await findMessages(client, { kind: 'stream', key: dlq }, parseSearchQuery('x-dlq-error~Timeout'));
    assert.deepEqual(hits.map((h) => h.entry.fields?.order), ['42']);
    const { hits: by } = await findMessages(client, { kind: 'stream', key: dlq }, parseSearchQuery('order=43'));
    assert.deepEqual(by.map((h) => h.entry.fields?.['x-dlq-id']), ['2-0']);
  });

  it('refuses a key that is not a stream, naming its type', async () => {
    const k = `${uniqueKey('wrong')}:list`;
    await client.rpush(k, 'x');
    await assert.rejects(run('a=1', { kind: 'stream', key: k }), /WRONGTYPE|not a stream|is a list/i);
  });

  it('refuses pending-only terms (consumer:, idle:, deliveries:) on a stream instead of ignoring them', async () => {
    for (const text of ['consumer:alice', 'idle:5m status=failed', 'deliveries:3']) {
      assert.throws(() => new MessageSearch(client, { kind: 'stream', key: stream }, parseSearchQuery(text)), { name: 'BadInputError', message: /consumer:, idle: and deliveries: apply to pending entries/ });
      await assert.rejects(findMessages(client, { kind: 'stream', key: stream }, parseSearchQuery(text)), /apply to pending entries/);
    }
  });
});

describe('(integration) go to time', () => {
  it('shows the entries around a moment, then pages both ways', async () => {
    const { Inspector } = await import('../../src/core/inspect/inspect');
    const inspector = await Inspector.open({ url: redisUrl() });
    const c = (await open({ url: redisUrl() })) as Redis;
    try {
      const s = `${uniqueKey('goto')}:orders`;
      const pipe = c.pipeline();
      for (let i = 0; i < 50; i++) pipe.xadd(s, `${BASE + i * 10}-0`, 'n', String(i));
      await pipe.exec();
      const { older, newer } = await inspector.entriesAround(s, BASE + 205, { count: 5 });
      assert.deepEqual(newer.entries.map((e) => e.fields?.n), ['21', '22', '23', '24', '25']);
      assert.deepEqual(older.entries.map((e) => e.fields?.n), ['20', '19', '18', '17', '16']);
      const more = await inspector.entriesAfter(s, { after: newer.next!, count: 5 });
      assert.deepEqual(more.entries.map((e) => e.fields?.n), ['26', '27', '28', '29', '30']);
      const back = await inspector.entriesPage(s, { before: older.next!, count: 5 });
      assert.deepEqual(back.entries.map((e) => e.fields?.n), ['15', '14', '13', '12', '11']);
      const exact = await inspector.entriesAround(s, BASE + 200, { count: 1 });
      assert.deepEqual(exact.newer.entries.map((e) => e.fields?.n), ['20'], 'the moment itself is in "newer"');
    } finally {
      inspector.close();
      await quit(c);
    }
  });
});

describe('(integration) CLI search', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rq-search-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const cli = async (argv: string[]) => {
    const { run } = await import('../../src/cli/main');
    let stdout = '';
    let stderr = '';
    const code = await run([...argv, '--url', redisUrl()], { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {} });
    return { code, stdout, stderr };
  };

  it('prints matches (text and lossless JSON), a summary, and where to resume', async () => {
    const c = (await open({ url: redisUrl() })) as Redis;
    const s = `${uniqueKey('clisearch')}:orders`;
    try {
      for (let i = 0; i < 30; i++) await c.xadd(s, `${BASE + i}-0`, 'order', String(i), 'status', i % 10 === 3 ? 'failed' : 'ok', 'bin', Buffer.from([0xff, i]));
      const text = await cli(['search', s, 'status=failed', 'since:' + String(BASE + 5)]);
      assert.equal(text.code, 0, text.stderr);
      assert.deepEqual(text.stdout.trim().split('\n').map((l) => l.split(' ')[0]), [`${BASE + 23}-0`, `${BASE + 13}-0`]);
      assert.match(text.stderr, /2 matches in 25 entries examined; searched to the end/);
      const json = await cli(['search', s, 'status=failed', '--json', '--limit', '1', '--oldest']);
      const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(lines[0]!.id, `${BASE + 3}-0`);
      assert.deepEqual(lines[0]!.pairs, [['order', '3'], ['status', 'failed'], ['bin', { base64: Buffer.from([0xff, 3]).toString('base64') }]]);
      const summary = lines[1]!.summary as Record<string, unknown>;
      assert.equal(summary.stopped, 'limit');
      assert.equal(summary.resume, `${BASE + 3}-0`);
      const resumed = await cli(['search', s, 'status=failed', '--oldest', '--resume', String(summary.resume)]);
      assert.deepEqual(resumed.stdout.trim().split('\n').map((l) => l.split(' ')[0]), [`${BASE + 13}-0`, `${BASE + 23}-0`]);
      const bad = await cli(['search', s, 'status=/(/']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /regular expression/);
      // A search's results exported, then imported elsewhere: the same messages, byte for byte.
      const file = join(dir, 'failed.ndjson');
      const exp = await cli(['export', s, '--query', 'status=failed', '--out', file]);
      assert.equal(exp.code, 0, exp.stderr);
      const exported = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(exported[0]!['redis-queues-export'], 1);
      assert.deepEqual(exported.slice(1).map((l) => l.id), [`${BASE + 3}-0`, `${BASE + 13}-0`, `${BASE + 23}-0`]);
      const copy = `${s}:copy`;
      const imp = await cli(['import', copy, '--in', file, '--keep-ids']);
      assert.equal(imp.code, 0, imp.stderr);
      const held = (await c.xrangeBuffer(s, '-', '+')).filter(([, f]) => f.some((b) => b.toString() === 'failed'));
      assert.deepEqual(await c.xrangeBuffer(copy, '-', '+'), held);
      const noGroup = await cli(['search', s, 'deliveries:2']);
      assert.equal(noGroup.code, 2);
      assert.match(noGroup.stderr, /--group/);
    } finally {
      await quit(c);
    }
  });
});

describe('(integration) search on a Cluster', () => {
  it('finds the same matches in a stream and a PEL on a 3-master Cluster, in small pages', async function () {
    this.timeout(60_000);
    const { startSandboxCluster } = await import('../../src/core/dev/sandbox');
    const cluster = await startSandboxCluster({ masters: 3 });
    let c: Awaited<ReturnType<typeof open>> | undefined;
    try {
      c = await open({ url: cluster.url, mode: 'cluster' });
      // Streams on different masters (hash tags spread over the slots).
      for (const tag of ['a', 'b', 'c']) {
        const key = `{${tag}}orders`;
        for (let i = 0; i < 1200; i++) await c.xadd(key, `${BASE + i}-0`, 'n', String(i), 'status', i % 400 === 7 ? 'failed' : 'ok');
        const s = new MessageSearch(c, { kind: 'stream', key }, parseSearchQuery('status=failed order:oldest'), { maxPage: 250 });
        const ids: string[] = [];
        for await (const h of s) ids.push(h.entry.id);
        assert.deepEqual(ids, [7, 407, 807].map((i) => `${BASE + i}-0`), key);
        assert.ok(s.summary!.largestPage <= 250);
        await c.xgroup('CREATE', key, 'g', '0');
        await c.xreadgroup('GROUP', 'g', 'w', 'COUNT', 500, 'STREAMS', key, '>');
        const { hits } = await findMessages(c, { kind: 'pending', key, group: 'g' }, parseSearchQuery('status=failed'));
        assert.deepEqual(hits.map((h) => h.entry.id), [7, 407].map((i) => `${BASE + i}-0`));
      }
    } finally {
      c?.disconnect();
      await cluster.stop();
    }
  });
});
