// Fault suite: the Sidekiq actions (src/core/frameworks/sidekiqActions.ts: Retry now, Kill (from
// Retries and from Scheduled), Add to queue, Delete) run in a child process over 60 jobs and the child is SIGKILLed at a seeded
// random moment, 15 runs per action. The jobs are put in Retries and Scheduled once by the real
// Sidekiq (its client, and a real `sidekiq` process failing them); each run copies those exact
// members with fresh jids (a jid is 24 hex digits wherever it appears). After each run every jid
// must be in exactly one place (a queue list or one of the sets), or gone for Delete: none lost,
// none in two. For Retry now and Add to queue, a real Sidekiq process then runs everything the
// runs pushed, once for all 15 runs at the end: each job at most once.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { record } from './hooks';
import { type Child, prng, SEED, spawnChild, startThenKill, target } from './support';
import { sidekiqSeed, startSidekiq } from '../support/sidekiq';
import { until } from '../support/until';

const JOBS = 60;
const RUNS = 15;
type Op = 'retry' | 'kill' | 'killScheduled' | 'add' | 'delete';
const FROM: Record<Op, 'retry' | 'schedule'> = { retry: 'retry', kill: 'retry', killScheduled: 'schedule', add: 'schedule', delete: 'retry' };
const OPS: readonly Op[] = ['retry', 'kill', 'add', 'delete', 'killScheduled'];
const QUEUES = ['fq-src', 'fq'];

describe('(faults) Sidekiq actions: client SIGKILLed midway', function () {
  this.timeout(120_000);
  let t: Awaited<ReturnType<typeof target>>;
  let admin: Redis;
  const templates: Record<'retry' | 'schedule', Array<{ jid: string; member: string; score: string }>> = { retry: [], schedule: [] };
  const children: Child[] = [];

  before(async () => {
    t = await target('none');
    admin = t.admin as Redis;
    const sk = startSidekiq(t.server.url, ['fq-src'], 10);
    try {
      await sidekiqSeed(t.server.url, [
        ...Array.from({ length: JOBS }, (_, i) => ({ via: 'async' as const, args: ['fail', i, '__BIG__'], opts: { queue: 'fq-src', retry: 5, backtrace: true } })),
        ...Array.from({ length: JOBS }, (_, i) => ({ via: 'in' as const, seconds: 3600 + i, args: ['ok', i, '__BIG__'], opts: { queue: 'fq' } })),
      ], { '"__BIG__"': '12345678901234567890123' });
      await until('Sidekiq failed every job into Retries', async () => (await admin.zcard('retry')) === JOBS, 30_000);
    } finally {
      await sk.stop();
    }
    for (const set of ['retry', 'schedule'] as const) {
      const flat = await admin.zrange(set, '0', '-1', 'WITHSCORES');
      for (let i = 0; i < flat.length; i += 2) templates[set].push({ jid: /"jid":"([0-9a-f]{24})"/.exec(flat[i]!)![1]!, member: flat[i]!, score: flat[i + 1]! });
      await admin.del(set);
    }
    await admin.del('sidekiq-test:runs', 'stat:processed', 'stat:failed');
  });
  after(async () => {
    for (const c of children) c.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await t?.close();
  });

  /** Copies the template entries of `set` with fresh jids into it; their jids. */
  async function seeded(set: 'retry' | 'schedule'): Promise<Array<[string, string, string]>> {
    const out: Array<[string, string, string]> = [];
    for (const tpl of templates[set]) {
      const jid = randomBytes(12).toString('hex');
      const member = tpl.member.split(tpl.jid).join(jid);
      await admin.zadd(set, tpl.score, member);
      out.push([jid, Buffer.from(member).toString('base64'), tpl.score]);
    }
    return out;
  }

  /** Where each jid is: the queue lists and the three sets. */
  async function where(jids: string[]): Promise<Map<string, string[]>> {
    const at = new Map<string, string[]>(jids.map((j) => [j, []]));
    const places: Array<[string, string[]]> = [
      ...(await Promise.all(QUEUES.map(async (q) => [`queue:${q}`, await admin.lrange(`queue:${q}`, 0, -1)] as [string, string[]]))),
      ...(await Promise.all(['retry', 'schedule', 'dead'].map(async (s) => [s, await admin.zrange(s, '0', '-1')] as [string, string[]]))),
    ];
    for (const [place, members] of places) {
      for (const m of members) {
        const jid = /"jid":"([0-9a-f]{24})"/.exec(m)?.[1];
        if (jid && at.has(jid)) at.get(jid)!.push(place);
      }
    }
    return at;
  }

  async function run(op: Op, killAfterMs?: number): Promise<{ jids: string[]; lost: string[]; duplicated: string[]; moved: number; ms: number; completed: boolean }> {
    const entries = await seeded(FROM[op]);
    const jids = entries.map((e) => e[0]);
    const child = spawnChild('sidekiqChild.js', { REDIS_URL: t.server.url, OP: op === 'killScheduled' ? 'kill' : op, FROM: FROM[op], ENTRIES: JSON.stringify(entries) });
    children.push(child);
    const ended = await startThenKill(child, killAfterMs);
    const at = await where(jids);
    const lost = op === 'delete' ? [] : jids.filter((j) => at.get(j)!.length === 0);
    const duplicated = jids.filter((j) => at.get(j)!.length > 1);
    const moved = jids.filter((j) => (op === 'delete' ? at.get(j)!.length === 0 : !at.get(j)!.includes(FROM[op]))).length;
    return { jids, lost, duplicated, moved, ms: ended.ms, completed: ended.completed };
  }

  /** A real Sidekiq process runs what the runs pushed; how many times each jid ran. */
  async function drain(): Promise<Map<string, number>> {
    const queued = (await Promise.all(QUEUES.map((q) => admin.llen(`queue:${q}`)))).reduce((a, b) => a + b, 0);
    const sk = startSidekiq(t.server.url, QUEUES, 10);
    try {
      await until('Sidekiq ran every queued job', async () => (await admin.llen('sidekiq-test:runs')) >= queued && (await Promise.all(QUEUES.map((q) => admin.llen(`queue:${q}`)))).every((n) => n === 0), 60_000);
    } finally {
      await sk.stop();
    }
    const runs = new Map<string, number>();
    for (const jid of await admin.lrange('sidekiq-test:runs', 0, -1)) runs.set(jid, (runs.get(jid) ?? 0) + 1);
    await admin.del('sidekiq-test:runs');
    return runs;
  }

  const claims: Record<Op, string> = {
    retry: "each job in its queue or still in Retries, never both nor neither; Sidekiq then runs each at most once",
    kill: 'each job in Retries or Dead, never both nor neither',
    killScheduled: 'Kill from Scheduled: each job in Scheduled or Dead, never both nor neither',
    add: "each job in its queue or still in Scheduled, never both nor neither; Sidekiq then runs each at most once",
    delete: 'each job in Retries or gone, never anywhere else',
  };
  for (const op of OPS) {
    it(`${op} over ${JOBS} jobs, SIGKILL at a seeded random moment, ${RUNS} runs: ${claims[op]}`, async () => {
      // Calibration: one run without a kill moves every job; the kill moments are then drawn over
      // 1.25 times the time it took, so that they fall before, during and after the work.
      const cal = await run(op);
      assert.deepEqual({ lost: cal.lost, duplicated: cal.duplicated, moved: cal.moved }, { lost: [], duplicated: [], moved: JOBS });
      const windowMs = Math.max(3, Math.ceil(cal.ms * 1.25));
      const rnd = prng(SEED + 90 + OPS.indexOf(op));
      const phases = { none: 0, partial: 0, all: 0 };
      let lost = 0;
      let duplicated = 0;
      const moved: string[] = op === 'retry' || op === 'add' ? [...cal.jids] : [];
      const failures: string[] = [];
      for (let i = 0; i < RUNS; i++) {
        const delay = rnd.int(0, windowMs);
        const r = await run(op, delay);
        lost += r.lost.length;
        duplicated += r.duplicated.length;
        phases[r.moved === 0 ? 'none' : r.moved === JOBS ? 'all' : 'partial']++;
        if (r.lost.length || r.duplicated.length) failures.push(`run ${i} (kill after ${delay} ms, moved ${r.moved}${r.completed ? ', had finished' : ''}): lost ${r.lost.length}, in two places ${r.duplicated.length}`);
        if (op === 'retry' || op === 'add') moved.push(...r.jids);
      }
      let twice = 0;
      if (op === 'retry' || op === 'add') {
        const runs = await drain();
        const queuedJids = moved.filter((j) => runs.has(j));
        twice = [...runs.values()].filter((n) => n > 1).length;
        if (twice) failures.push(`${twice} jobs ran twice`);
        assert.ok(queuedJids.length >= JOBS, 'at least the calibration run\'s jobs ran');
      }
      record({
        fault: `Sidekiq ${op === 'killScheduled' ? 'kill from Scheduled' : op}: client SIGKILL midway`,
        runs: RUNS,
        messages: RUNS * JOBS,
        lost,
        duplicates: duplicated + twice,
        recovery: 'none needed',
        notes: `kill 0–${windowMs} ms after start (the action took ${cal.ms.toFixed(1)} ms unkilled); kills landed before any job moved ${phases.none}, midway ${phases.partial}, after all ${phases.all}${op === 'retry' || op === 'add' ? '; a real sidekiq then ran what was queued, once for all runs' : ''}`,
      });
      assert.deepEqual(failures, []);
    });
  }
});
