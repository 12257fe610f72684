// Fault suite: the RQ actions (src/core/frameworks/rqActions.ts: Requeue failed, Delete) run in a
// child process over 60 jobs that RQ's own worker failed, and the child is SIGKILLed at a seeded
// random moment. Afterwards every job must be in exactly one place of RQ's layout (its queue list
// or one registry) with its record agreeing (status queued in the list, failed in the failed
// registry), or gone entirely for delete (record and results stream too: no record left without a place,
// no place without a record): none lost, none in two places, none half-moved. Then, for requeue, RQ's own burst
// worker runs what is queued: each job at most once, and every queued one.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { open, quit, type RedisClient } from '../../src/core/redis/connection';
import { rqBurst, rqFailed } from '../support/rqPython';
import { record } from './hooks';
import { type Child, prng, SEED, spawnChild, startThenKill, target } from './support';

const JOBS = 60;
const RUNS = 15;
type Op = 'requeue' | 'delete';
const REGISTRIES = ['wip', 'scheduled', 'deferred', 'finished', 'failed', 'canceled'] as const;

describe('(faults) RQ actions: client SIGKILLed midway', function () {
  this.timeout(120_000);
  let t: Awaited<ReturnType<typeof target>>;
  let client: RedisClient;
  const children: Child[] = [];
  before(async () => {
    t = await target('none');
    client = await open({ url: t.server.url });
  });
  after(async () => {
    for (const c of children) c.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await quit(client);
    await t?.close();
  });

  /** Where each job is now (the queue list, registries), its record's status ('' when its hash is gone) and whether its results stream is left. */
  async function inspect(q: string, ids: string[]): Promise<Map<string, { places: string[]; status: string; results: boolean }>> {
    const [queued, regs, statuses, results] = await Promise.all([
      client.lrange(`rq:queue:${q}`, 0, -1),
      Promise.all(REGISTRIES.map((r) => client.zrange(`rq:${r}:${q}`, '0', '-1'))),
      Promise.all(ids.map((id) => client.hget(`rq:job:${id}`, 'status'))),
      Promise.all(ids.map((id) => client.exists(`rq:results:${id}`))),
    ]);
    return new Map(
      ids.map((id, i) => {
        const places = queued.filter((x) => x === id).map(() => 'queued');
        REGISTRIES.forEach((r, j) => regs[j]!.includes(id) && places.push(r));
        return [id, { places, status: statuses[i] ?? '', results: results[i] === 1 }];
      }),
    );
  }

  async function run(op: Op, killAfterMs?: number): Promise<{ q: string; ids: string[]; broken: string[]; moved: number; ms: number; completed: boolean }> {
    const q = `fq-${randomUUID().slice(0, 8)}`;
    const ids = await rqFailed(t.server.url, q, JOBS);
    const child = spawnChild('rqChild.js', { REDIS_URL: t.server.url, QUEUE: q, OP: op, IDS: ids.join(',') });
    children.push(child);
    const ended = await startThenKill(child, killAfterMs);
    const where = await inspect(q, ids);
    const broken: string[] = [];
    let moved = 0;
    for (const [id, { places, status, results }] of where) {
      const ok =
        op === 'requeue'
          ? (places.length === 1 && places[0] === 'queued' && status === 'queued') || (places.length === 1 && places[0] === 'failed' && status === 'failed')
          : (places.length === 0 && status === '' && !results) || (places.length === 1 && places[0] === 'failed' && status === 'failed');
      if (!ok) broken.push(`${id}: in [${places.join(', ')}], status "${status}"`);
      if (op === 'requeue' ? places[0] === 'queued' : places.length === 0) moved++;
    }
    return { q, ids, broken, moved, ms: ended.ms, completed: ended.completed };
  }

  /** RQ's own burst worker runs what is queued; the runs each job made (tasks.flaky logs them in <q>:runs). */
  async function drain(q: string): Promise<{ queued: number; runs: Map<string, number> }> {
    const queued = await client.llen(`rq:queue:${q}`);
    await rqBurst(t.server.url, q);
    const runs = new Map<string, number>();
    for (const id of await client.lrange(`${q}:runs`, 0, -1)) runs.set(id, (runs.get(id) ?? 0) + 1);
    return { queued, runs };
  }

  for (const op of ['requeue', 'delete'] as const) {
    const claim = op === 'delete' ? 'each job is in its one place or deleted with its record' : "no job lost, in two places or half-moved, and RQ's worker then runs each queued job exactly once";
    it(`${op} over ${JOBS} jobs RQ failed, SIGKILL at a seeded random moment, ${RUNS} runs: ${claim}`, async () => {
      // Calibration: one run without a kill moves every job; the kill moments are then drawn over
      // 1.25 times the time it took, so that they fall before, during and after the work.
      const cal = await run(op);
      assert.deepEqual({ broken: cal.broken, moved: cal.moved }, { broken: [], moved: JOBS });
      const windowMs = Math.max(3, Math.ceil(cal.ms * 1.25));
      const rnd = prng(SEED + (op === 'requeue' ? 91 : 92));
      const phases = { none: 0, partial: 0, all: 0 };
      let broken = 0;
      let twice = 0;
      let neverRan = 0;
      const failures: string[] = [];
      for (let i = 0; i < RUNS; i++) {
        const delay = rnd.int(0, windowMs);
        const r = await run(op, delay);
        broken += r.broken.length;
        phases[r.moved === 0 ? 'none' : r.moved === JOBS ? 'all' : 'partial']++;
        const what = `run ${i} (kill after ${delay} ms, moved ${r.moved}${r.completed ? ', had finished' : ''})`;
        if (r.broken.length) failures.push(`${what}: ${r.broken.length} jobs lost, in two places or half-moved: ${r.broken.slice(0, 3).join('; ')}`);
        if (op === 'requeue') {
          const { queued, runs } = await drain(r.q);
          const over = [...runs.values()].filter((n) => n > 1).length;
          twice += over;
          neverRan += queued - runs.size;
          if (over) failures.push(`${what}: ${over} jobs ran twice`);
          if (runs.size !== queued) failures.push(`${what}: ${queued} queued, ${runs.size} ran`);
        }
      }
      record({
        fault: `RQ ${op}: client SIGKILL midway`,
        runs: RUNS,
        messages: RUNS * JOBS,
        lost: broken + neverRan,
        duplicates: twice,
        recovery: 'none needed',
        notes: `kill 0–${windowMs} ms after start (the action took ${cal.ms.toFixed(1)} ms unkilled); jobs moved at the kill: none ${phases.none}, some ${phases.partial}, all ${phases.all}`,
      });
      assert.deepEqual(failures, []);
    });
  }
});
