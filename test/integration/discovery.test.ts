// Discovery on a keyspace much larger than what it looks for: budgets, resuming, progress, one
// walk for list queues (a waiting-only queue found by sampling lists), and SCAN calls sized to the
// per-call target.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { open, parseRedisUrl, quit } from '../../src/core/redis/connection';
import { Discovery, SAMPLES_PER_CALL, listQueueMatch, listQueueNamesOf, listQueueSelector, newDiscoveryState, nextCount } from '../../src/core/inspect/discovery';
import { Inspector } from '../../src/core/inspect/inspect';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

describe('(integration) discovery: budgeted, resumable keyspace walks', function () {
  this.timeout(60_000);
  let client: Redis;
  let inspector: Inspector;
  const p = uniqueKey('disc');
  const streams: string[] = [];
  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
    inspector = await Inspector.open({ url: redisUrl() });
    // 30,000 other keys around 40 streams and 5 list queues.
    for (let b = 0; b < 30; b++) {
      const pipe = client.pipeline();
      for (let i = 0; i < 1000; i++) pipe.set(`${p}:noise:${b}:${i}`, 'x');
      await pipe.exec();
    }
    for (let i = 0; i < 40; i++) {
      streams.push(`${p}:s${i}`);
      await client.xadd(`${p}:s${i}`, '*', 'n', String(i));
    }
    for (let i = 0; i < 5; i++) await client.rpush(`${p}:q${i}:${i % 2 ? 'dead' : 'processing'}`, 'j');
    await client.rpush(`${p}:q0:dead`, 'j'); // both lists of one queue: found once
    await client.rpush(`${p}:plain`, 'x'); // a list that is no queue
  });
  after(async () => {
    inspector.close();
    await quit(client);
  });

  it('stops at its SCAN-call budget, says how far it got, and goes on from there to every stream, exactly', async () => {
    const d = new Discovery(client, { type: 'stream', match: `${p}:*` });
    const first = await d.run({ maxCalls: 3 });
    assert.equal(first.stopped, 'calls');
    assert.equal(d.state.calls, 3);
    assert.ok(first.progress.total >= 30_000);
    assert.ok(first.progress.scanned < first.progress.total && !first.progress.done);
    const found = new Set(first.keys);
    // Resume from the saved state (as the editor does after a restart).
    const saved = JSON.parse(JSON.stringify(d.state));
    const d2 = new Discovery(client, { type: 'stream', match: `${p}:*` }, saved);
    let runs = 0;
    let last = first.progress.scanned;
    while (!d2.done && runs++ < 10_000) {
      const r = await d2.run({ maxCalls: 5 });
      for (const k of r.keys) found.add(k);
      assert.ok(r.progress.scanned >= last || r.progress.done, 'progress only moves forward');
      last = r.progress.scanned;
    }
    assert.ok(d2.done);
    assert.deepEqual([...found].sort(), [...streams].sort());
    const end = await d2.progress();
    assert.deepEqual([end.done, end.scanned], [true, end.total]);
  });

  it('sizes SCAN calls to the per-call target: COUNT grows from its start while calls stay fast, and shrinks for a tight target', async () => {
    const d = new Discovery(client, { type: 'stream', match: `${p}:*`, targetCallMs: 2 });
    await d.run({ maxCalls: 6 });
    assert.ok(d.state.count > newDiscoveryState().count, `COUNT grew (${d.state.count})`);
    const tight = new Discovery(client, { type: 'stream', match: `${p}:*`, targetCallMs: 0.001 });
    await tight.run({ maxCalls: 6 });
    assert.ok(tight.state.count < newDiscoveryState().count, `COUNT shrank (${tight.state.count})`);
  });

  it('stops at its time budget and when enough keys were found', async () => {
    const d = new Discovery(client, { type: 'stream', match: `${p}:*` });
    const r = await d.run({ maxFound: 5, maxCalls: 100_000, maxMs: Infinity });
    assert.ok(r.keys.length >= 5 && (r.stopped === 'found' || r.stopped === 'done'));
    const t = await new Discovery(client, { type: 'stream', match: `${p}:*` }).run({ maxMs: 0 });
    assert.equal(t.stopped, 'time');
  });

  it('finds list queues in one walk over lists, by their processing and dead lists', async () => {
    const state = newDiscoveryState();
    const r = await inspector.discover('listQueues', state, { match: `${p}:*`, maxCalls: 100_000, maxMs: Infinity });
    assert.equal(r.stopped, 'done');
    assert.deepEqual(r.keys.sort(), [0, 1, 2, 3, 4].map((i) => `${p}:q${i}`));
    assert.deepEqual(listQueueNamesOf([`a:processing`, `a:dead`, `b:processed`, `c:dead-letters`, `:dead`]), ['a']);
    assert.deepEqual([listQueueMatch('orders*'), listQueueMatch('orders'), listQueueMatch('*')], ['orders*', 'orders*', '*']);
    const summaries = await inspector.discoverListQueues({ match: `${p}:*`, names: [`${p}:named`] });
    assert.deepEqual(summaries.queues.map((q) => q.name).sort(), [...[0, 1, 2, 3, 4].map((i) => `${p}:q${i}`), `${p}:named`].sort());
    const named = summaries.queues.find((q) => q.name === `${p}:named`)!;
    assert.deepEqual([named.waiting, named.processing, named.dead], [0, 0, 0], 'a named queue with no lists yet: zeros, not an error');
  });

  it('sizes each call from the cost per unit of COUNT of its walk: grows by half at most, stops growing near the target, halves at once over it', async () => {
    const r = (x: { count: number; unitMs: number }) => ({ count: Math.round(x.count), unitMs: x.unitMs });
    assert.deepEqual(r(nextCount(1000, 4, [0.001, 0.001, 0.004], 2)), { count: 250, unitMs: 0.004 }, 'over the target: sized from the costliest recent unit, for half the target');
    assert.equal(Math.round(nextCount(1000, 0.5, [0.0005, 0.0005, 0.0005], 2).count), 1500, 'growth capped at ×1.5');
    assert.equal(Math.round(nextCount(1000, 0.8, [0.0008, 0.0008, 0.0008], 2).count), 1250, 'sized for half the target');
    assert.equal(Math.round(nextCount(1000, 1.5, [0.0005, 0.0005, 0.0015], 2).count), 1000, 'no growth after a call over half the target (one late reply does not shrink it either)');
    // On the server: the COUNT each call asks for, as the walk sets it.
    const counts: number[] = [];
    const d = new Discovery(client, { type: 'stream', match: `${p}:*` });
    await d.run({ maxCalls: 30, onProgress: () => counts.push(Math.round(d.state.count)) });
    [newDiscoveryState().count, ...counts].reduce((prev, c) => (assert.ok(c <= prev * 1.5 + 1, `COUNT ${prev} → ${c}`), c));
    const tight: number[] = [];
    const t = new Discovery(client, { type: 'stream', match: `${p}:*`, targetCallMs: 0.001 });
    await t.run({ maxCalls: 5, onProgress: () => tight.push(Math.round(t.state.count)) });
    [newDiscoveryState().count, ...tight].reduce((prev, c) => (assert.ok(c <= Math.max(10, Math.ceil(prev / 2)), `every call is over a 1 µs target: COUNT ${prev} → ${c}`), c));
  });

  describe("a list queue with only its waiting list (the seeds' email_queue with job:<id> hashes), among many other lists", () => {
    const s = uniqueKey('seeds');
    const queue = `${s}:email_queue`;
    const own = `${s}:own`;
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    /** Lists that are no queue: JSON payloads or long strings at their oldest end, names of nothing. */
    const OTHER = 200;
    const LISTS = OTHER + 4;
    const calls = async (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(String(await client.info('commandstats')))?.[1] ?? 0);
    before(async () => {
      const pipe = client.pipeline();
      // What the seeds' producer leaves: job hashes job:<uuid>, ids LPUSHed to the queue, nothing taken yet.
      for (const [i, id] of ids.entries()) {
        pipe.hset(`job:${id}`, { recipient: `user${i}@example.com`, subject: 'Welcome', body: 'Thanks for signing up!', status: 'pending', created_at: String(Date.now() / 1000) });
        pipe.lpush(queue, id);
      }
      // This project's layout, nothing processing or dead yet.
      pipe.hset(`${own}:job:7`, 'to', 'x@example.com');
      pipe.lpush(own, '7');
      for (let i = 0; i < OTHER; i++) pipe.rpush(`${s}:other:${i}`, JSON.stringify({ n: i }), i % 2 ? `item-${i}` : 'x'.repeat(300));
      pipe.rpush(`${s}:plain`, 'x');
      const notHash = randomUUID();
      pipe.set(`job:${notHash}`, 'a string, not a job hash');
      pipe.rpush(`${s}:ids`, notHash);
      await pipe.exec();
    });

    it('is found by the list walk, by inspect and by the CLI; lists that are no queue are not reported', async () => {
      const lindex = await calls('lindex');
      const state = newDiscoveryState();
      const r = await inspector.discover('listQueues', state, { match: `${s}:*`, maxCalls: 100_000, maxMs: Infinity });
      assert.equal(r.stopped, 'done');
      assert.deepEqual(r.keys.sort(), [queue, own].sort());
      assert.equal(r.progress.unchecked, undefined, 'every list was sampled');
      assert.ok((state.sampled ?? 0) >= LISTS, `every list sampled (${state.sampled})`);
      assert.equal((await calls('lindex')) - lindex, state.sampled, 'one LINDEX per sampled list');
      const found = await inspector.discoverListQueues({ match: `${s}:*`, maxMs: Infinity });
      const email = found.queues.find((q) => q.name === queue)!;
      assert.deepEqual([email.waiting, email.processing, email.dead, email.layout], [3, 0, 0, { jobPrefix: 'job:', started: null }]);
      assert.deepEqual(found.queues.map((q) => q.name).sort(), [queue, own].sort());
      const cli = join(__dirname, '..', '..', '..', 'dist', 'cli.js');
      const out = spawnSync(process.execPath, [cli, 'inspect', '--url', redisUrl(), '--match', `${s}:*`, '--all', '--json'], { encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      const doc = JSON.parse(out.stdout) as { listQueues: { name: string; waiting: number }[] };
      assert.deepEqual(doc.listQueues.map((q) => [q.name, q.waiting]).sort(), [[queue, 3], [own, 1]].sort());
    });

    it('samples a few lists per SCAN call and at most its cap per walk; the lists over the cap are reported unchecked', async () => {
      const lindex = await calls('lindex');
      const d = new Discovery(client, { type: 'list', match: listQueueMatch(`${s}:*`), select: listQueueSelector(client, `${s}:*`) });
      const perCall: number[] = [];
      let last = 0;
      const r = await d.run({ maxCalls: 100_000, maxMs: Infinity, onProgress: () => void (perCall.push((d.state.sampled ?? 0) - last), (last = d.state.sampled ?? 0)) });
      assert.equal(r.stopped, 'done');
      // The walk's last call also samples what it left for later, SAMPLES_PER_CALL per round trip.
      assert.ok(perCall.slice(0, -1).every((n) => n <= SAMPLES_PER_CALL), `lists sampled per call: ${perCall.join(' ')}`);
      assert.equal((await calls('lindex')) - lindex, d.state.sampled);
      const capped = new Discovery(client, { type: 'list', match: listQueueMatch(`${s}:*`), select: listQueueSelector(client, `${s}:*`, 20) });
      const before = await calls('lindex');
      const c = await capped.run({ maxCalls: 100_000, maxMs: Infinity });
      assert.equal(capped.state.sampled, 20);
      assert.equal((await calls('lindex')) - before, 20, 'one LINDEX per sampled list, no more');
      assert.ok((c.progress.unchecked ?? 0) >= LISTS - 20, `unchecked ${c.progress.unchecked}`);
    });
  });

  it('CLI inspect keeps its budget, says how far it got, and --continue goes on to every stream', () => {
    const cli = join(__dirname, '..', '..', '..', 'dist', 'cli.js');
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'inspect', '--url', redisUrl(), '--match', `${p}:*`, '--json', ...args], { encoding: 'utf8' });
    const found = new Set<string>();
    let r = run('--scan-calls', '2');
    assert.equal(r.status, 0, r.stderr);
    let doc = JSON.parse(r.stdout) as { streams: { key: string }[]; scan: { streams: { done: boolean; calls: number; scannedKeys: number; totalKeys: number }; continue: string | null }; truncated: boolean };
    assert.equal(doc.scan.streams.calls, 2);
    assert.ok(!doc.scan.streams.done && doc.truncated && doc.scan.continue);
    assert.ok(doc.scan.streams.scannedKeys < doc.scan.streams.totalKeys);
    for (const s of doc.streams) found.add(s.key);
    for (let i = 0; doc.scan.continue && i < 1000; i++) {
      r = run('--scan-calls', '20', '--continue', doc.scan.continue);
      assert.equal(r.status, 0, r.stderr);
      doc = JSON.parse(r.stdout);
      for (const s of doc.streams) found.add(s.key);
    }
    assert.deepEqual([...found].sort(), [...streams].sort());
    const human = spawnSync(process.execPath, [cli, 'inspect', '--url', redisUrl(), '--match', `${p}:*`, '--scan-calls', '1'], { encoding: 'utf8' });
    assert.match(human.stdout, /Scanned within the budget \(streams: about \S+( k| M)? of \S+( k| M)? keys; list queues: about .*\)\.\nGo on with: --continue \S+/);
    const bad = run('--continue', 'nope');
    assert.equal(bad.status, 2);
  });

  it('measures calls by their round trip where INFO is refused (an ACL user without it): the walk still finds every stream, and COUNT grows', async () => {
    const user = `noinfo${Date.now()}`;
    await client.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '&*', '+@all', '-info');
    const c = (await open({ url: redisUrl().replace('redis://', `redis://${user}:pw@`) })) as Redis;
    try {
      const d = new Discovery(c, { type: 'stream', match: `${p}:*` });
      const r = await d.run({ maxCalls: 100_000, maxMs: Infinity });
      assert.equal(r.stopped, 'done');
      assert.deepEqual(r.keys.sort(), [...streams].sort());
      assert.ok(d.state.count > newDiscoveryState().count, `COUNT grew (${Math.round(d.state.count)})`);
    } finally {
      await quit(c);
      await client.call('ACL', 'DELUSER', user);
    }
  });

  it('over a slow link (3 ms more each way) COUNT still grows to the per-call target: the round trip is not taken for server time', async () => {
    const { host, port } = parseRedisUrl(redisUrl());
    const sockets: Socket[] = [];
    const later = (to: Socket) => (d: Buffer) => void setTimeout(() => to.write(d), 3);
    const relay = createServer((c) => {
      const up = connect(port, host);
      sockets.push(c, up);
      c.on('data', later(up));
      up.on('data', later(c));
      for (const x of [c, up]) x.on('error', () => undefined);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const slow = (await open({ url: `redis://127.0.0.1:${(relay.address() as { port: number }).port}` })) as Redis;
    try {
      const d = new Discovery(slow, { type: 'stream', match: `${p}:*` });
      await d.run({ maxCalls: 8 });
      // 3 ms each way, as Node's timers count it: a timer starts from the loop's cached clock, so a
      // delay can be up to about 1 ms shorter in real time. A local round trip is ~0.1 ms.
      assert.ok((d.state.baselineMs ?? 0) >= 4, `the round trip was measured (${d.state.baselineMs} ms)`);
      // Taking the round trip (≥ 4 ms) for server time, COUNT fell to its minimum (10) within these calls.
      assert.ok(d.state.count > 30, `COUNT kept up (${Math.round(d.state.count)}), it did not shrink to its minimum`);
    } finally {
      await quit(slow);
      for (const x of sockets) x.destroy();
      await new Promise((r) => relay.close(r));
    }
  });
});
