// Fault suite: Celery's Requeue (src/core/frameworks/celeryActions.ts, one Lua script per task)
// run in a child process over 60 tasks a real Celery worker held unacknowledged when it was
// SIGKILLed, the child SIGKILLed at a seeded random moment. The 60 unacknowledged tasks are made
// once for real (Celery's apply_async, a real worker with prefetch 60 killed while it ran the
// first), and copied back before each run with their exact bytes (the `unacked` hash entries and
// `unacked_index` scores, as Buffers): a real worker per run would cost seconds of start-up each
// to make the same bytes. After each run every task must be in exactly one place (its queue list
// or `unacked`, with its `unacked_index` entry iff in `unacked`): none lost, none in two. Then a
// real Celery worker (per run) runs what was requeued: each task at most once, exactly those.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { celerySend, killWorker, runsOf, startCeleryWorker, unackedOf } from '../support/celery';
import { until } from '../support/until';
import { record } from './hooks';
import { type Child, prng, SEED, spawnChild, startThenKill, target } from './support';

const TASKS = 60;
const RUNS = 15;
const TMP = join(__dirname, '..', '..', '..', '.test-output', 'celery-faults');

describe('(faults) Celery Requeue: client SIGKILLed midway', function () {
  this.timeout(120_000);
  let t: Awaited<ReturnType<typeof target>>;
  let client: Redis;
  const queue = `fq-${randomUUID().slice(0, 8)}`;
  const gate = `celery-fx-gate:${queue}`;
  let ids: string[] = [];
  let snapshot: { unacked: Array<[Buffer, Buffer]>; index: Array<[Buffer, string]> };
  const children: Child[] = [];

  before(async () => {
    t = await target('none');
    client = (await open({ url: t.server.url })) as Redis;
    const sent = await celerySend(t.server.url, [{ task: 'fx.block', queue, args: [gate] }, ...Array.from({ length: TASKS - 1 }, (_, i) => ({ task: 'fx.record', queue, args: [i, `ü${i}`, { bigint: `${2n ** 70n + BigInt(i)}` }] }))], TMP);
    ids = sent.map((s) => s.id).sort();
    const worker = startCeleryWorker(t.server.url, queue, TASKS);
    try {
      await until('the worker holds all 60 tasks', async () => (await unackedOf(client, queue)).length === TASKS, 30_000);
    } finally {
      await killWorker(worker);
    }
    const flat = await client.hgetallBuffer('unacked');
    const unacked = Object.entries(flat).map(([k, v]) => [Buffer.from(k), v] as [Buffer, Buffer]);
    const z = await client.zrangeBuffer('unacked_index', '0', '-1', 'WITHSCORES');
    const index: Array<[Buffer, string]> = [];
    for (let i = 0; i < z.length; i += 2) index.push([z[i]!, z[i + 1]!.toString()]);
    snapshot = { unacked, index };
    assert.equal(unacked.length, TASKS);
  });
  after(async () => {
    for (const c of children) c.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await quit(client);
    await t?.close();
  });

  /** The held state copied back byte for byte: the queue empty, the 60 entries unacknowledged. */
  async function reset(): Promise<void> {
    await client.del(queue, 'unacked', 'unacked_index', `celery-fx-runs:${queue}`, gate);
    await client.hset('unacked', ...snapshot.unacked.flat());
    await client.zadd('unacked_index', ...snapshot.index.flatMap(([m, s]) => [s, m] as [string, Buffer]));
  }

  /** Where each task is: its queue list, `unacked` (with or without its index entry). */
  async function where(): Promise<{ places: Map<string, string[]>; unindexed: number; waiting: string[] }> {
    const places = new Map<string, string[]>(ids.map((id) => [id, []]));
    const waiting = (await client.lrange(queue, 0, -1)).map((raw) => (JSON.parse(raw) as { headers: { id: string } }).headers.id);
    for (const id of waiting) places.get(id)?.push('queue');
    const h = await client.hgetall('unacked');
    let unindexed = 0;
    for (const [tag, v] of Object.entries(h)) {
      places.get((JSON.parse(v) as [{ headers: { id: string } }])[0].headers.id)?.push('unacked');
      if ((await client.zscore('unacked_index', tag)) === null) unindexed++;
    }
    unindexed += Math.abs((await client.zcard('unacked_index')) - Object.keys(h).length);
    return { places, unindexed, waiting };
  }

  async function run(killAfterMs?: number): Promise<{ lost: string[]; twice: string[]; unindexed: number; moved: number; ms: number; completed: boolean; ranTwice: number; ranOther: number }> {
    await reset();
    const child = spawnChild('celeryChild.js', { REDIS_URL: t.server.url, QUEUE: queue });
    children.push(child);
    const ended = await startThenKill(child, killAfterMs, /^ready 60$/m);
    const w = await where();
    const lost = ids.filter((id) => w.places.get(id)!.length === 0);
    const twice = ids.filter((id) => w.places.get(id)!.length > 1);
    // A real worker runs what was requeued (the gate open for the blocking task): each at most once.
    let ranTwice = 0;
    let ranOther = 0;
    if (w.waiting.length) {
      await client.rpush(gate, 'go');
      const left = (await unackedOf(client, queue)).join();
      const worker = startCeleryWorker(t.server.url, queue, TASKS);
      try {
        await until('the worker ran what was requeued', async () => (await runsOf(client, queue)).length >= w.waiting.length && (await client.llen(queue)) === 0 && (await unackedOf(client, queue)).join() === left, 30_000);
      } finally {
        await killWorker(worker);
      }
      const runs = (await runsOf(client, queue)).map((r) => r.id);
      ranTwice = runs.length - new Set(runs).size;
      const requeued = new Set(w.waiting);
      ranOther = runs.filter((id) => !requeued.has(id)).length + [...requeued].filter((id) => !runs.includes(id)).length;
    }
    return { lost, twice, unindexed: w.unindexed, moved: w.waiting.length, ms: ended.ms, completed: ended.completed, ranTwice, ranOther };
  }

  it(`Requeue over ${TASKS} unacknowledged tasks, SIGKILL at a seeded random moment, ${RUNS} runs: each task in exactly one place, and a real worker then runs each requeued task once`, async () => {
    // Calibration: one run without a kill requeues every task; the kill moments are then drawn
    // over 1.25 times the time it took, so that they fall before, during and after the work.
    const cal = await run();
    assert.deepEqual({ lost: cal.lost, twice: cal.twice, unindexed: cal.unindexed, moved: cal.moved, ranTwice: cal.ranTwice, ranOther: cal.ranOther }, { lost: [], twice: [], unindexed: 0, moved: TASKS, ranTwice: 0, ranOther: 0 });
    const windowMs = Math.max(3, Math.ceil(cal.ms * 1.25));
    const rnd = prng(SEED + 91);
    const phases = { none: 0, partial: 0, all: 0 };
    const kills: string[] = [];
    let lost = 0;
    let twice = 0;
    const failures: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const delay = rnd.int(0, windowMs);
      const r = await run(delay);
      lost += r.lost.length;
      twice += r.twice.length + r.ranTwice;
      phases[r.moved === 0 ? 'none' : r.moved === TASKS ? 'all' : 'partial']++;
      kills.push(`| ${i} | ${delay} ms | ${r.moved} | ${TASKS - r.moved} | ${r.completed ? 'yes' : 'no'} |`);
      const what = `run ${i} (kill after ${delay} ms, requeued ${r.moved}${r.completed ? ', had finished' : ''})`;
      if (r.lost.length || r.twice.length || r.unindexed) failures.push(`${what}: lost ${r.lost.length}, in two places ${r.twice.length}, unacked/index mismatches ${r.unindexed}`);
      if (r.ranTwice || r.ranOther) failures.push(`${what}: ${r.ranTwice} ran twice, ${r.ranOther} ran though not requeued or not run though requeued`);
    }
    console.log(['      | run | kill after | requeued | still unacked | child finished |', '      |---|---|---|---|---|', ...kills.map((k) => `      ${k}`)].join('\n'));
    record({
      fault: 'Celery requeue: client SIGKILL midway',
      runs: RUNS,
      messages: RUNS * TASKS,
      lost,
      duplicates: twice,
      recovery: 'none needed',
      notes: `kill 0–${windowMs} ms after start (the action took ${cal.ms.toFixed(1)} ms unkilled); tasks requeued at the kill: none ${phases.none}, some ${phases.partial}, all ${phases.all}; 60 held tasks made once by a real worker, copied byte-exact per run; a real worker per run`,
    });
    assert.deepEqual(failures, []);
  });
});
