// Fault suite: the list-queue repairs of src/core/ops.ts (requeueProcessing, retryDead) run in a
// child process over 200 jobs, and the child is SIGKILLed at a seeded random moment. Afterwards
// every id must be in exactly one of the queue's lists (waiting, processing, dead): none lost, none
// in two. Each script call is atomic, so a kill can only land before a call, after it, or while it
// is in flight (then the server runs it whole or not at all); partial progress is a multiple of the
// batch size.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { JOB_FIELDS, listQueueKeys, type ListQueueKeys } from '../../src/core/queue/list/keys';
import { LIST_SCRIPT_BATCH } from '../../src/core/queue/list/admin';
import { record } from './hooks';
import { type Child, prng, SEED, spawnChild as spawnShared, startThenKill, target } from './support';

const JOBS = 200;
const RUNS = 15;
type Op = 'requeue' | 'retry';
const FORMS: Record<Op, string[]> = { requeue: ['all', 'ids', 'older'], retry: ['all', 'ids'] };

/** A running fixtures/listOpsChild.js. */

function spawnChild(env: Record<string, string>): Child {
  return spawnShared('listOpsChild.js', env);
}

describe('(faults) list queue repairs: client SIGKILLed midway', function () {
  this.timeout(60_000);
  let t: Awaited<ReturnType<typeof target>>;
  const children: Child[] = [];
  before(async () => {
    t = await target('none');
  });
  after(async () => {
    for (const c of children) c.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await t?.close();
  });

  /** A fresh queue with JOBS jobs in processing (requeue) or dead (retry), as the worker leaves them. */
  async function seeded(op: Op): Promise<{ queue: string; k: ListQueueKeys; ids: string[] }> {
    const queue = `{fl:${randomUUID().slice(0, 8)}}`;
    const k = listQueueKeys(queue);
    const ids = Array.from({ length: JOBS }, (_, i) => `job-${i}`);
    const p = t.admin.pipeline();
    for (const id of ids) {
      if (op === 'requeue') {
        p.hset(k.job(id), JOB_FIELDS.attempts, '1', 'n', id);
        p.lpush(k.processing, id);
        p.zadd(k.started, Date.now() - 60_000, id);
      } else {
        p.hset(k.job(id), JOB_FIELDS.attempts, '5', JOB_FIELDS.deadAt, '1700000000000', JOB_FIELDS.lastError, 'boom', 'n', id);
        p.lpush(k.dead, id);
      }
    }
    await p.exec();
    return { queue, k, ids };
  }

  interface State {
    moved: number;
    lost: string[];
    duplicated: string[];
    /** Broken bookkeeping: stamps of ids not in processing, hashes not reset on retried ids... */
    problems: string[];
  }

  /** Where every id is now, and whether each id's stamp and hash match the list it is in. */
  async function inspect(op: Op, k: ListQueueKeys, ids: string[]): Promise<State> {
    const [waiting, processing, dead, started] = await Promise.all([t.admin.lrange(k.waiting, 0, -1), t.admin.lrange(k.processing, 0, -1), t.admin.lrange(k.dead, 0, -1), t.admin.zrange(k.started, 0, '-1')]);
    const count = new Map<string, number>();
    for (const id of [...waiting, ...processing, ...dead]) count.set(id, (count.get(id) ?? 0) + 1);
    const problems: string[] = [];
    for (const id of count.keys()) if (!ids.includes(id)) problems.push(`stranger ${id}`);
    const inProcessing = new Set(processing);
    if (op === 'requeue') {
      for (const id of started) if (!inProcessing.has(id)) problems.push(`${id} has a started-at stamp but is not in processing`);
      const stamped = new Set(started);
      for (const id of processing) if (!stamped.has(id)) problems.push(`${id} in processing lost its stamp`);
    } else {
      const p = t.admin.pipeline();
      for (const id of ids) p.hmget(k.job(id), JOB_FIELDS.attempts, JOB_FIELDS.deadAt);
      const hashes = new Map(((await p.exec()) ?? []).map(([, v], i) => [ids[i]!, v as [string | null, string | null]]));
      for (const id of waiting) if (hashes.get(id)?.[0] !== '0' || hashes.get(id)?.[1] !== null) problems.push(`${id} in waiting but its attempts/deadAt were not reset`);
      for (const id of dead) if (hashes.get(id)?.[0] !== '5' || hashes.get(id)?.[1] === null) problems.push(`${id} still dead but its hash changed`);
    }
    return {
      moved: waiting.length,
      lost: ids.filter((id) => !count.has(id)),
      duplicated: ids.filter((id) => (count.get(id) ?? 0) > 1),
      problems,
    };
  }

  /** Runs the child over a fresh queue; kills it `killAfterMs` after telling it to start (never, if undefined). */
  async function run(op: Op, form: string, killAfterMs?: number): Promise<State & { completed: boolean; ms: number }> {
    const { queue, k, ids } = await seeded(op);
    const child = spawnChild({ REDIS_URL: t.server.url, QUEUE: queue, OP: op, FORM: form, IDS: ids.join(',') });
    children.push(child);
    const ended = await startThenKill(child, killAfterMs);
    const state = await inspect(op, k, ids);
    return { ...state, completed: ended.completed, ms: ended.ms };
  }

  for (const op of ['requeue', 'retry'] as const) {
    it(`${op === 'requeue' ? 'requeueProcessing' : 'retryDead'} over ${JOBS} jobs, SIGKILL at a seeded random moment, ${RUNS} runs: no job lost or duplicated`, async () => {
      // Calibration: two runs without a kill, which must move every job (the first also loads the
      // script into the server); the kill moments are then drawn over 1.25 times the time the
      // second took, so that they fall before, during and after the work.
      let cal = await run(op, 'all');
      for (let i = 0; i < 2; i++) {
        if (i) cal = await run(op, 'all');
        assert.deepEqual({ moved: cal.moved, lost: cal.lost, duplicated: cal.duplicated, problems: cal.problems }, { moved: JOBS, lost: [], duplicated: [], problems: [] });
      }
      const windowMs = Math.max(3, Math.ceil(cal.ms * 1.25));
      const rnd = prng(SEED + (op === 'requeue' ? 71 : 72));
      const phases = { none: 0, partial: 0, all: 0 };
      let lost = 0;
      let duplicated = 0;
      const failures: string[] = [];
      for (let i = 0; i < RUNS; i++) {
        const form = FORMS[op][i % FORMS[op].length]!;
        const delay = rnd.int(0, windowMs);
        const r = await run(op, form, delay);
        lost += r.lost.length;
        duplicated += r.duplicated.length;
        phases[r.moved === 0 ? 'none' : r.moved === JOBS ? 'all' : 'partial']++;
        const what = `run ${i} (${form}, kill after ${delay} ms, moved ${r.moved}${r.completed ? ', had finished' : ''})`;
        if (r.lost.length || r.duplicated.length) failures.push(`${what}: lost ${r.lost.length}, duplicated ${r.duplicated.length}`);
        if (r.problems.length) failures.push(`${what}: ${r.problems.slice(0, 3).join('; ')}`);
        if (r.moved % LIST_SCRIPT_BATCH !== 0 && r.moved !== JOBS) failures.push(`${what}: ${r.moved} moved, not a whole number of script calls`);
      }
      record({
        fault: `list ${op === 'requeue' ? 'requeueProcessing' : 'retryDead'}: client SIGKILL midway`,
        runs: RUNS,
        messages: RUNS * JOBS,
        lost,
        duplicates: duplicated,
        recovery: 'none needed',
        notes: `kill 0–${windowMs} ms after start (op took ${cal.ms.toFixed(1)} ms unkilled); jobs moved at the kill: none ${phases.none}, some ${phases.partial}, all ${phases.all}`,
      });
      assert.deepEqual(failures, []);
    });
  }
});
