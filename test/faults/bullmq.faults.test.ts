// Fault suite: the BullMQ actions (src/core/frameworks/bullmqActions.ts: retry failed, promote
// delayed, remove) run in a child process over 60 jobs the real BullMQ put in that state, and the
// child is SIGKILLed at a seeded random moment. Afterwards every job must be in exactly one of
// BullMQ's states (or gone, for remove, when the child removed it): none lost, none in two. Then
// BullMQ's own worker runs what is waiting: each job at most once.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type Job, Queue, Worker } from 'bullmq';
import { record } from './hooks';
import { type Child, prng, SEED, spawnChild, startThenKill, target } from './support';

const JOBS = 60;
const RUNS = 15;
type Op = 'retry' | 'promote' | 'remove';
const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children', 'completed', 'failed'] as const;

describe('(faults) BullMQ actions: client SIGKILLed midway', function () {
  this.timeout(120_000);
  let t: Awaited<ReturnType<typeof target>>;
  let connection: { host: string; port: number; maxRetriesPerRequest: null };
  const children: Child[] = [];
  before(async () => {
    t = await target('none');
    const u = new URL(t.server.url);
    connection = { host: u.hostname, port: Number(u.port), maxRetriesPerRequest: null };
  });
  after(async () => {
    for (const c of children) c.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await t?.close();
  });

  /** A fresh queue with JOBS jobs in the state the action is for (failed by BullMQ's own worker, delayed, waiting). */
  async function seeded(op: Op): Promise<{ queue: Queue; ids: string[] }> {
    const queue = new Queue(`fq-${randomUUID().slice(0, 8)}`, { connection });
    const jobs = await queue.addBulk(Array.from({ length: JOBS }, (_, i) => ({ name: 'send', data: { n: i }, opts: op === 'promote' ? { delay: 60 * 60_000 } : { attempts: 1 } })));
    if (op === 'retry') {
      const w = new Worker(
        queue.name,
        async () => {
          throw new Error('SMTP 550');
        },
        { connection, concurrency: 20 },
      );
      const deadline = Date.now() + 30_000;
      while ((await queue.getJobCounts('failed')).failed < JOBS) {
        assert.ok(Date.now() < deadline, 'BullMQ failed every job');
        await new Promise((r) => setTimeout(r, 20));
      }
      await w.close();
    }
    return { queue, ids: jobs.map((j) => j.id!) };
  }

  /** Where every job is now: in exactly one state, or gone. */
  async function inspect(queue: Queue, ids: string[]): Promise<Map<string, string[]>> {
    const where = new Map<string, string[]>(ids.map((id) => [id, []]));
    for (const s of STATES) for (const j of await queue.getJobs([s], 0, -1)) if (j && where.has(j.id!)) where.get(j.id!)!.push(s);
    // (getJobs(['waiting']) includes the paused list: none is paused here.)
    return where;
  }

  async function run(op: Op, killAfterMs?: number): Promise<{ lost: string[]; duplicated: string[]; moved: number; ms: number; queue: Queue; completed: boolean }> {
    const { queue, ids } = await seeded(op);
    const child = spawnChild('bullmqChild.js', { REDIS_URL: t.server.url, QUEUE: queue.name, OP: op, IDS: ids.join(',') });
    children.push(child);
    const ended = await startThenKill(child, killAfterMs);
    const where = await inspect(queue, ids);
    const from = op === 'retry' ? 'failed' : op === 'promote' ? 'delayed' : 'waiting';
    const lost = op === 'remove' ? [] : ids.filter((id) => where.get(id)!.length === 0);
    const duplicated = ids.filter((id) => where.get(id)!.length > 1);
    const moved = ids.filter((id) => (op === 'remove' ? where.get(id)!.length === 0 : !where.get(id)!.includes(from))).length;
    return { lost, duplicated, moved, ms: ended.ms, queue, completed: ended.completed };
  }

  /** BullMQ's own worker runs what waits: each job at most once. */
  async function drain(queue: Queue): Promise<number[]> {
    const runs = new Map<string, number>();
    const waiting = (await queue.getJobCounts('waiting')).waiting;
    const w = new Worker(
      queue.name,
      async (job: Job) => {
        runs.set(job.id!, (runs.get(job.id!) ?? 0) + 1);
      },
      { connection, concurrency: 20 },
    );
    const deadline = Date.now() + 30_000;
    while ((await queue.getJobCounts('completed')).completed < waiting) {
      assert.ok(Date.now() < deadline, 'the worker ran every waiting job');
      await new Promise((r) => setTimeout(r, 20));
    }
    await w.close();
    return [...runs.values()];
  }

  for (const op of ['retry', 'promote', 'remove'] as const) {
    const claim = op === 'remove' ? 'no job in two states (each is there or removed)' : "no job lost or in two states, and BullMQ's worker then runs each at most once";
    it(`${op} over ${JOBS} jobs, SIGKILL at a seeded random moment, ${RUNS} runs: ${claim}`, async () => {
      // Calibration: one run without a kill must move every job; the kill moments are then drawn
      // over 1.25 times the time it took, so that they fall before, during and after the work.
      const cal = await run(op);
      assert.deepEqual({ lost: cal.lost, duplicated: cal.duplicated, moved: cal.moved }, { lost: [], duplicated: [], moved: JOBS });
      await cal.queue.obliterate({ force: true });
      await cal.queue.close();
      const windowMs = Math.max(3, Math.ceil(cal.ms * 1.25));
      const rnd = prng(SEED + (op === 'retry' ? 81 : op === 'promote' ? 82 : 83));
      const phases = { none: 0, partial: 0, all: 0 };
      let lost = 0;
      let duplicated = 0;
      let twice = 0;
      const failures: string[] = [];
      for (let i = 0; i < RUNS; i++) {
        const delay = rnd.int(0, windowMs);
        const r = await run(op, delay);
        lost += r.lost.length;
        duplicated += r.duplicated.length;
        phases[r.moved === 0 ? 'none' : r.moved === JOBS ? 'all' : 'partial']++;
        const what = `run ${i} (kill after ${delay} ms, moved ${r.moved}${r.completed ? ', had finished' : ''})`;
        if (r.lost.length || r.duplicated.length) failures.push(`${what}: lost ${r.lost.length}, in two states ${r.duplicated.length}`);
        if (op !== 'remove') {
          const ran = await drain(r.queue);
          const over = ran.filter((n) => n > 1).length;
          twice += over;
          if (over) failures.push(`${what}: ${over} jobs ran twice`);
        }
        await r.queue.obliterate({ force: true });
        await r.queue.close();
      }
      record({
        fault: `BullMQ ${op}: client SIGKILL midway`,
        runs: RUNS,
        messages: RUNS * JOBS,
        lost,
        duplicates: duplicated + twice,
        recovery: 'none needed',
        notes: `kill 0–${windowMs} ms after start (the action took ${cal.ms.toFixed(1)} ms unkilled); jobs moved at the kill: none ${phases.none}, some ${phases.partial}, all ${phases.all}`,
      });
      assert.deepEqual(failures, []);
    });
  }
});
