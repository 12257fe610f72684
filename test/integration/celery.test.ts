// Celery's Redis broker read as Celery and kombu see it (core frameworks/celery.ts), and its
// Requeue action (frameworks/celeryActions.ts), against the real Celery 5.2 / kombu 5.2 (Debian)
// on a real redis-server: Celery's own apply_async sends tasks to two queues (unicode, big ints,
// kwargs, countdown, priority), a real worker runs some (a failure, a running task) and is
// SIGKILLed while it holds tasks, and every count and task read is compared with what kombu
// reports (Channel._size, queue_declare, its own Message decoding) and Celery returned.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { celeryReader, celeryReaderWith, kombuQueueOfList, markers, PAST_VISIBILITY, priorityLists } from '../../src/core/frameworks/celery';
import { newDiscoveryState } from '../../src/core/inspect/discovery';
import { Inspector } from '../../src/core/inspect/inspect';
import { DEFAULT_THRESHOLDS } from '../../src/core/inspect/health';
import { agentTool, runAgentTool } from '../../src/agent/tools';
import { collect } from '../../src/cli/inspect';
import { celeryRequeue, celeryRequeueWith, requeueCeleryTasks } from '../../src/core/frameworks/celeryActions';
import type { FwRow } from '../../src/core/frameworks/framework';
import { startSandbox } from '../../src/core/dev/sandbox';
import { celeryPy, celerySend, kombuReport, killWorker, runsOf, startCeleryWorker, unackedOf } from '../support/celery';
import { until } from '../support/until';
import { redisUrl } from '../support/integrationHooks';

const TMP = join(__dirname, '..', '..', '..', '.test-output', 'celery');
const BIG = '1180591620717411303424';

describe('(integration) Celery on Redis, read as Celery and kombu report it', function () {
  this.timeout(60_000);
  let client: Redis;
  let url: string;
  const id = randomUUID().slice(0, 8);
  const qa = `mail-${id}`;
  const qb = `reports-${id}`;
  const qc = `held-${id}`;
  const gate = `celery-fx-gate:${id}`;
  let sentA: Array<{ id: string }>;
  let sentC: Array<{ id: string; task: string }>;
  let worker: ChildProcess | undefined;
  let failedId: string;

  before(async () => {
    url = redisUrl();
    client = (await open({ url })) as Redis;
    sentA = await celerySend(
      url,
      [
        { task: 'fx.record', queue: qa, args: [1, 'héllo ✓ 日本 "q"', { bigint: BIG }], kwargs: { k: [1.5, null, true], 'ключ': 'значение' } },
        { task: 'fx.record', queue: qa, args: [2], countdown: 3600 },
        { task: 'fx.record', queue: qa, args: [3], priority: 5 },
        { task: 'fx.record', queue: qa, args: [4], priority: 9 },
        { task: 'fx.record', queue: qa, args: [5] },
      ],
      TMP,
    );
    await celerySend(url, [{ task: 'fx.record', queue: qb, args: ['x'] }], TMP);
    // A worker on qc: runs a failing task, then a blocking one (STARTED, unacknowledged: late
    // acks), and prefetches three more; SIGKILLed, all four stay in `unacked`.
    sentC = await celerySend(
      url,
      [
        { task: 'fx.fail', queue: qc, args: ['SMTP 550: mailbox unavailable'] },
        { task: 'fx.block', queue: qc, args: [gate] },
        { task: 'fx.record', queue: qc, args: [10, 'ü', { bigint: BIG }] },
        { task: 'fx.record', queue: qc, args: [11] },
        { task: 'fx.record', queue: qc, args: [12] },
      ],
      TMP,
    );
    failedId = sentC[0]!.id;
    worker = startCeleryWorker(url, qc, 4);
    await until('the worker holds 4 tasks, the blocking one running', async () => JSON.stringify(await unackedOf(client, qc)) === JSON.stringify(sentC.slice(1).map((s) => s.id).sort()) && (await runsOf(client, qc)).some((r) => r.id === sentC[1]!.id), 30_000);
    await killWorker(worker);
    // The failed task sent again by hand (same id) to qb: its result (FAILURE) shows there.
    await celerySend(url, [{ task: 'fx.fail', queue: qb, args: ['again'], task_id: failedId }], TMP);
  });
  after(async () => {
    if (worker) await killWorker(worker);
    await quit(client);
  });

  const rowOf = async (q: string, vt?: number): Promise<FwRow> => {
    const d = await (vt === undefined ? celeryReader : celeryReaderWith({ visibilityTimeout: vt })).read(client, `${qa},${qb}`);
    const row = d?.rows.find((r) => r.name === q);
    assert.ok(row, `row ${q} in ${JSON.stringify(d?.rows.map((r) => r.name))}`);
    return row;
  };
  const count = (row: FwRow, s: string) => row.states.find((x) => x.state === s)!.count;

  it("counts as kombu counts them (Channel._size over the priority lists, queue_declare), reserved = unacked per queue; the worker's queue found from unacked", async () => {
    const rep = await kombuReport(url, [qa, qb, qc]);
    const d = await celeryReader.read(client, `${qa},${qb}`);
    assert.deepEqual(d!.rows.map((r) => r.name).filter((n) => n.endsWith(id)), [qa, qb, qc]);
    for (const q of [qa, qb, qc]) {
      const row = d!.rows.find((r) => r.name === q)!;
      assert.equal(count(row, 'waiting'), rep.sizes[q], `${q} waiting`);
      // (A passive queue_declare of a queue with no list left is refused by kombu: nothing waits.)
      if (typeof rep.declared[q] === 'number') assert.equal(count(row, 'waiting'), rep.declared[q], `${q} queue_declare`);
      else assert.equal(count(row, 'waiting'), 0);
      assert.equal(count(row, 'reserved'), rep.unacked.filter((u) => u.routing_key === q).length, `${q} reserved`);
    }
    assert.deepEqual([count(d!.rows.find((r) => r.name === qa)!, 'waiting'), count(d!.rows.find((r) => r.name === qc)!, 'reserved')], [5, 4]);
    assert.deepEqual(markers(`${qa},${qb}`), [[`_kombu.binding.${qa}`, 'set'], [`_kombu.binding.${qb}`, 'set'], ['unacked', 'hash'], ['unacked_index', 'zset']]);
    assert.deepEqual(priorityLists(qa), [qa, `${qa}\x06\x163`, `${qa}\x06\x166`, `${qa}\x06\x169`]);
  });

  it('queues nobody configured are found by the list walk from their waiting messages (priority lists named by their queue), never as list queues; inspect and redisq_list_queues then report them as kombu counts them', async () => {
    const insp = await Inspector.open({ url });
    try {
      const state = newDiscoveryState();
      const r = await insp.discover('listQueues', state, { match: `*${id}*`, maxMs: 10_000 });
      assert.equal(r.stopped, 'done');
      assert.deepEqual(r.keys, [], 'no list queue');
      // qa waits in its own list and two priority lists, qb in its own; qc's tasks are all held by its (killed) worker: no list.
      assert.deepEqual([...(state.celeryQueues ?? [])].sort(), [qa, qb].sort());
      const rep = await kombuReport(url, [qa, qb, qc]);
      const doc = await collect(insp, { match: `*${id}*`, limit: 50, pendingPerGroup: 5, thresholds: DEFAULT_THRESHOLDS });
      const rows = doc.frameworks?.find((f) => f.framework === 'celery')?.rows ?? [];
      for (const q of [qa, qb, qc]) assert.equal(rows.find((x) => x.name === q)?.counts.waiting, rep.sizes[q], `${q} in inspect`);
      const listed = (await runAgentTool(agentTool('redisq_list_queues')!, { inspector: insp, connection: 'test', readOnly: false, thresholds: DEFAULT_THRESHOLDS }, { match: `*${id}*` })) as { data: { frameworks?: Array<{ framework: string; rows: Array<{ name: string; counts: Record<string, number> }> }> } };
      const agentRows = listed.data.frameworks?.find((f) => f.framework === 'celery')?.rows ?? [];
      assert.deepEqual(agentRows.filter((x) => x.name.endsWith(id)).map((x) => [x.name, x.counts.waiting]).sort(), [qa, qb, qc].map((q) => [q, rep.sizes[q]]).sort());
    } finally {
      insp.close();
    }
  });

  it('a list is a Celery queue only when its message is a kombu envelope', () => {
    const env = JSON.stringify({ body: 'W10=', 'content-encoding': 'utf-8', 'content-type': 'application/json', headers: {}, properties: { delivery_tag: 'x', delivery_info: { exchange: '', routing_key: 'q' }, priority: 0 } });
    assert.equal(kombuQueueOfList('mail', env), 'mail');
    assert.equal(kombuQueueOfList('mail\x06\x163', env), 'mail');
    assert.equal(kombuQueueOfList('\x06\x163', env), undefined);
    for (const other of [null, '', '42', 'job-17', '{"body": 1}', '{"properties": {"delivery_tag": "x", "delivery_info": {}}}', '{"body": 1, "properties": {"delivery_tag": 5, "delivery_info": {}}}', '{not json', '[1,2]']) {
      assert.equal(kombuQueueOfList('mail', other), undefined, String(other));
    }
  });

  it("waiting tasks next-first (kombu BRPOPs the priority lists in order) with the fields kombu decodes and Celery's ids; arguments as Celery shows them", async () => {
    const rep = await kombuReport(url, [qa]);
    const row = await rowOf(qa);
    const { jobs, total } = await celeryReader.jobs(client, row, 'waiting');
    assert.equal(total, 5);
    assert.deepEqual(jobs.map((j) => j.id), rep.waiting[qa]!.map((m) => m.id));
    assert.deepEqual(new Set(jobs.map((j) => j.id)), new Set(sentA.map((s) => s.id)));
    // Priority 0 first (oldest first), then priority 5 (kombu's step 3 list), then priority 9.
    assert.deepEqual(jobs.map((j) => j.details.find(([k]) => k === 'args')![1]), ["[1, 'héllo ✓ 日本 \"q\"', 1180591620717411303424]", '[2]', '[5]', '[3]', '[4]']);
    for (const [i, j] of jobs.entries()) {
      const m = rep.waiting[qa]![i]!;
      assert.equal(j.title, m.task);
      assert.equal(j.args, m.kwargsrepr === '{}' ? m.argsrepr : `${m.argsrepr} ${m.kwargsrepr}`);
      assert.equal(j.failures, m.retries);
      assert.equal(j.dueAt, m.eta ? Date.parse(m.eta) : undefined);
    }
    assert.ok(jobs[1]!.dueAt! > Date.now() + 3500_000, 'countdown → eta');
    // Pages: bounded, and the same order across the priority lists.
    const page = await celeryReader.jobs(client, row, 'waiting', { start: 2, count: 2 });
    assert.deepEqual(page.jobs.map((j) => j.id), jobs.slice(2, 4).map((j) => j.id));
    assert.equal(page.total, 5);
  });

  it('arguments decoded from the body without re-serialising numbers when a message has no argsrepr (kombu decodes the same body)', async () => {
    const rep = await kombuReport(url, [qa]);
    const m = rep.waiting[qa]![0]!;
    const msg = JSON.parse(m.raw) as { headers: Record<string, unknown> };
    delete msg.headers['argsrepr'];
    delete msg.headers['kwargsrepr'];
    const { celeryJobOf } = await import('../../src/core/frameworks/celery');
    const j = celeryJobOf(msg as never, '');
    const [args, kwargs] = JSON.parse(m.body.replace(BIG, `"${BIG}"`)) as unknown[];
    assert.ok(j.args!.includes(BIG));
    assert.deepEqual(JSON.parse(j.args!.split(' {')[0]!.replace(BIG, `"${BIG}"`)), args);
    assert.deepEqual(JSON.parse(`{${j.args!.split(' {')[1]!}`), kwargs);
  });

  it(`reserved tasks after a killed worker: kombu's unacked entries, oldest delivery first, startedAt = delivery; "${PAST_VISIBILITY}" once past a (short) visibility timeout; results from the backend`, async () => {
    const rep = await kombuReport(url, [qc], sentC.map((s) => s.id));
    const mine = rep.unacked.filter((u) => u.routing_key === qc).sort((a, b) => a.delivered - b.delivered);
    const row = await rowOf(qc);
    assert.deepEqual(row.marks, [], 'not past 3600 s');
    const { jobs, total } = await celeryReader.jobs(client, row, 'reserved');
    assert.equal(total, 4);
    assert.deepEqual(jobs.map((j) => j.id), mine.map((u) => u.id));
    assert.deepEqual(new Set(jobs.map((j) => j.id)), new Set(sentC.slice(1).map((s) => s.id)));
    for (const [i, j] of jobs.entries()) {
      assert.equal(j.title, mine[i]!.task);
      assert.equal(j.startedAt, Math.round(mine[i]!.delivered * 1000));
    }
    const block = jobs.find((j) => j.id === sentC[1]!.id)!;
    assert.equal(block.details.find(([k]) => k === 'result status')?.[1], rep.results[sentC[1]!.id]!.status);
    assert.equal(rep.results[sentC[1]!.id]!.status, 'STARTED');
    // A 1 s visibility timeout: all four are past it once a second has gone by since delivery.
    await until('a second past the last delivery', async () => Date.now() / 1000 > Math.max(...mine.map((u) => u.delivered)) + 1.05, 20_000);
    const short = await rowOf(qc, 1);
    assert.deepEqual(short.marks, [`4 ${PAST_VISIBILITY}`]);
    const page = await celeryReaderWith({ visibilityTimeout: 1 }).jobs(client, short, 'reserved', { start: 1, count: 2 });
    assert.deepEqual(page.jobs.map((j) => j.id), mine.slice(1, 3).map((u) => u.id));
    assert.ok(page.jobs.every((j) => j.details.some(([k, v]) => k === 'visibility timeout' && v.startsWith(PAST_VISIBILITY))));
    // The failed task's result (sent again by hand to qb): status, error and traceback as Celery's AsyncResult has them.
    const failed = (await celeryReader.jobs(client, await rowOf(qb), 'waiting')).jobs.find((j) => j.id === failedId)!;
    assert.equal(rep.results[failedId]!.status, 'FAILURE');
    assert.equal(failed.error, 'ValueError: SMTP 550: mailbox unavailable');
    assert.equal(failed.trace, rep.results[failedId]!.traceback);
  });

  it('read is undefined on a server without Celery', async () => {
    const server = await startSandbox();
    const other = await open({ url: server.url });
    try {
      assert.equal(await celeryReader.read(other), undefined);
      assert.equal(await celeryReader.read(other, 'celery,mail'), undefined);
    } finally {
      await quit(other);
      await server.stop();
    }
  });

  it('Requeue: only past the visibility timeout unless forced; pushes exactly what kombu\'s restore pushes (byte for byte); a real worker then runs each task once with its arguments intact', async () => {
    const vt = 1;
    const reader = celeryReaderWith({ visibilityTimeout: vt });
    const row = await rowOf(qc, vt);
    const { jobs } = await reader.jobs(client, row, 'reserved');
    assert.equal(jobs.length, 4);
    // Kombu's default timeout (3600 s): nothing is past it, nothing moves.
    const early = await celeryRequeue.run(client, row, 'reserved', jobs.slice(0, 1));
    assert.deepEqual(early.done, []);
    assert.match(early.skipped[0]!.reason, /^not past the visibility timeout/);
    // What kombu's own _do_restore_message would push, for each tag.
    const tags = jobs.map((j) => j.details.find(([k]) => k === 'delivery tag')![1]);
    const expected = await celeryPy<Record<string, Array<[string, string, string]>>>('kombu_restore.py', [url, tags.join(',')]);
    const before = await client.llen(qc);
    const r = await celeryRequeueWith({ visibilityTimeout: vt }).run(client, row, 'reserved', jobs);
    assert.deepEqual(r, { done: jobs.map((j) => j.id), skipped: [] });
    const pushed = await client.lrange(qc, before, -1);
    assert.deepEqual(pushed, tags.map((t) => { assert.equal(expected[t]!.length, 1); assert.equal(expected[t]![0]![0], 'RPUSH'); assert.equal(expected[t]![0]![1], qc); return expected[t]![0]![2]; }));
    assert.deepEqual(await unackedOf(client, qc), []);
    // Again: no longer unacknowledged.
    const again = await requeueCeleryTasks(client, jobs.slice(0, 1), { force: true });
    assert.match(again.skipped[0]!.reason, /^gone/);
    const rep = await kombuReport(url, [qc]);
    assert.equal(rep.waiting[qc]!.length, 4);
    assert.ok(rep.waiting[qc]!.every((m) => m.redelivered === true));
    // The worker runs them: the gate is open; each exactly once more (the blocking one ran once before the kill).
    await client.rpush(gate, 'go');
    const ranBefore = (await runsOf(client, qc)).length;
    worker = startCeleryWorker(url, qc, 4);
    await until('the four requeued tasks ran and were acknowledged', async () => (await runsOf(client, qc)).length >= ranBefore + 4 && (await client.llen(qc)) === 0 && (await unackedOf(client, qc)).length === 0, 30_000);
    await killWorker(worker);
    worker = undefined;
    const runs = (await runsOf(client, qc)).slice(ranBefore);
    assert.deepEqual(runs.map((x) => x.id).sort(), jobs.map((j) => j.id).sort());
    const rec = runs.find((x) => x.id === sentC[2]!.id)!;
    assert.deepEqual((JSON.parse(rec.raw.replace(BIG, '"BIG"')) as { args: unknown }).args, [10, 'ü', 'BIG']);
    assert.ok(rec.raw.includes(`, ${BIG}]`), 'the big integer reached the task exact');
  });
});
