// RQ queues read as RQ sees them (core frameworks/rq.ts), against the real RQ 1.13 (Debian's
// python3-rq) on a real redis-server: RQ's own API and workers put jobs in every state (queued,
// started, abandoned, scheduled, deferred, finished, failed, canceled; test/fixtures/frameworks/
// rq/produce.py), and each count, page and job read from the keys is compared with what RQ's own
// API reports (report.py), not hand-copied. Then the actions: our scripts act, RQ's worker and
// API see the result.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { readRq, rqJobs, rqReader } from '../../src/core/frameworks/rq';
import { deleteRqJobs, requeueAllRqFailed, requeueRqFailed } from '../../src/core/frameworks/rqActions';
import type { FwJob, FwRow } from '../../src/core/frameworks/framework';
import { redisUrl } from '../support/integrationHooks';
import { agentTool, runAgentTool } from '../../src/agent/tools';
import { collect, renderInspection } from '../../src/cli/inspect';
import { DEFAULT_THRESHOLDS } from '../../src/core/inspect/health';
import { Inspector } from '../../src/core/inspect/inspect';
import { FIXTURES, PY, type Report, rqBurst, rqFailed, rqReport, run } from '../support/rqPython';

const STATES = ['queued', 'started', 'scheduled', 'deferred', 'finished', 'failed', 'canceled'] as const;
/** Our page order against RQ's get_job_ids order: finished and failed are shown newest first. */
const rqOrder = (state: string, ids: string[]) => (state === 'finished' || state === 'failed' ? [...ids].reverse() : ids);
const detail = (j: FwJob, label: string) => j.details.find(([l]) => l === label)?.[1];

describe('(integration) RQ queues, read as RQ reports them', function () {
  this.timeout(60_000);
  let client: Redis;
  const name = `mail-${randomUUID().slice(0, 8)}`;
  let produced: { ids: Record<string, string[]>; workers: number[]; gate: string };

  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
    const { stdout } = await run(PY, [`${FIXTURES}/produce.py`, redisUrl(), name], { maxBuffer: 16 << 20 });
    produced = JSON.parse(stdout.trim().split('\n').at(-1)!) as typeof produced;
  });
  after(async () => {
    for (const pid of produced?.workers ?? []) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await quit(client);
  });

  async function row(): Promise<FwRow> {
    const d = await readRq(client);
    const r = d?.rows.find((x) => x.name === name);
    assert.ok(r, `queue ${name} found from rq:queues`);
    return r;
  }

  /** Every state's count, page (ids in order) and jobs equal RQ's own report. */
  async function compare(r: FwRow, ref: Report): Promise<void> {
    for (const s of STATES) {
      assert.equal(r.states.find((x) => x.state === s)?.count, ref.counts[s], `${s}: ours vs RQ's count`);
      const { jobs, total } = await rqJobs(client, r, s, { count: 50 });
      assert.equal(total, ref.counts[s], `${s} total`);
      assert.deepEqual(
        jobs.map((j) => j.id),
        rqOrder(s, ref.ids[s]!),
        `${s}: the same ids in order`,
      );
      for (const j of jobs) {
        const t = ref.jobs[j.id]!;
        assert.ok(t, `${j.id} fetched by RQ`);
        assert.equal(j.title, t.func_name, `${s} ${j.id} title`);
        assert.equal(j.args, t.description, `${s} ${j.id} args`);
        assert.equal(j.trace ?? null, t.exc_info || null, `${s} ${j.id} trace`);
        assert.equal(j.error ?? null, t.exc_info ? t.exc_info.trim().split('\n').at(-1)!.trim() : null, `${s} ${j.id} error`);
        assert.equal(j.enqueuedAt ?? null, t.enqueued_at, `${s} ${j.id} enqueued_at`);
        assert.equal(j.startedAt ?? null, t.started_at, `${s} ${j.id} started_at`);
        assert.equal(j.endedAt ?? null, t.ended_at, `${s} ${j.id} ended_at`);
        assert.equal(detail(j, 'status'), t.status, `${s} ${j.id} status`);
        assert.equal(detail(j, 'origin'), t.origin);
      }
    }
  }

  it("counts, pages (ids in order) and jobs in every state equal RQ's API; an expired started entry is ABANDONED, then RQ's own cleanup moves it to failed and both still agree", async () => {
    const r = await row();
    const abandoned = produced.ids['abandoned']![0]!;
    // Ours first: RQ's report runs StartedJobRegistry.count, whose cleanup moves the abandoned job.
    assert.deepEqual(r.marks, ['1 ABANDONED']);
    assert.equal(r.states.find((s) => s.state === 'abandoned')?.count, 1);
    assert.deepEqual((await rqJobs(client, r, 'abandoned')).jobs.map((j) => j.id), [abandoned]);
    const pages: Record<string, string[]> = {};
    for (const s of STATES) pages[s] = (await rqJobs(client, r, s, { count: 50 })).jobs.map((j) => j.id);
    const ref = await rqReport(redisUrl(), name);
    // Failed was counted by RQ before the started cleanup moved the abandoned job (2), started after it (1): both as we read them.
    assert.deepEqual({ failed: ref.counts['failed'], started: ref.counts['started'] }, { failed: 2, started: 1 });
    for (const s of STATES) {
      assert.equal(r.states.find((x) => x.state === s)?.count, ref.counts[s], `${s}: ours vs RQ`);
      assert.deepEqual(pages[s], rqOrder(s, ref.ids[s]!), `${s} ids`);
    }
    assert.deepEqual(
      Object.fromEntries(STATES.map((s) => [s, ref.counts[s]])),
      { queued: 5, started: 1, scheduled: 2, deferred: 2, finished: 2, failed: 2, canceled: 1 },
    );
    // After RQ's cleanup: the abandoned job is failed ("Moved to FailedJobRegistry at ..."), no mark, and every state agrees again.
    const after = await row();
    assert.deepEqual(after.marks, []);
    assert.equal(after.states.find((s) => s.state === 'failed')?.count, 3);
    const ref2 = await rqReport(redisUrl(), name);
    await compare(after, ref2);
    const moved = (await rqJobs(client, after, 'failed')).jobs.find((j) => j.id === abandoned)!;
    assert.match(moved.error!, /^Moved to FailedJobRegistry at /);
  });

  it("a failed job's error is the exception's last line (exc_info from RQ's results stream, zlib), the trace whole", async () => {
    const r = await row();
    const { jobs } = await rqJobs(client, r, 'failed');
    const boom = jobs.filter((j) => j.title === 'tasks.boom');
    assert.deepEqual(boom.map((j) => j.error).sort(), ['ValueError: boom 0', 'ValueError: boom 1']);
    assert.match(boom[0]!.trace!, /^Traceback \(most recent call last\):\n[\s\S]*raise ValueError\(message\)\nValueError: boom \d\n$/);
  });

  it('unicode, big ints and bytes survive in args as RQ describes them; oldest waiting and running times are the next queued and the started job', async () => {
    const r = await row();
    const ref = await rqReport(redisUrl(), name, produced.ids['queued']!);
    const { jobs } = await rqJobs(client, r, 'queued');
    const args = jobs.map((j) => j.args);
    assert.deepEqual(args, produced.ids['queued']!.map((id) => ref.jobs[id]!.description));
    assert.ok(args.includes("tasks.send('héllo wörld ✓ 日本語', emoji='🚀')"), args.join('\n'));
    assert.ok(args.includes('tasks.send(1267650600228229401496703205376, -1180591620717411303424, 3.5)'), args.join('\n'));
    assert.ok(args.some((a) => a!.startsWith("tasks.send(b'\\x00\\xff\\xfe binary'")), args.join('\n'));
    assert.equal(r.oldestWaitingAt, ref.jobs[produced.ids['queued']![0]!]!.enqueued_at);
    const held = await rqReport(redisUrl(), name, produced.ids['started']!);
    assert.equal(r.oldestRunningAt, held.jobs[produced.ids['started']![0]!]!.started_at);
    const scheduled = (await rqJobs(client, r, 'scheduled')).jobs;
    assert.ok(scheduled[0]!.dueAt! < scheduled[1]!.dueAt! && scheduled[0]!.dueAt! > Date.now() + 55 * 60_000, 'soonest first, an hour away');
  });

  it('pages are bounded: start and count honoured, total true', async () => {
    const r = await row();
    const ref = await rqReport(redisUrl(), name);
    const q = await rqJobs(client, r, 'queued', { start: 1, count: 2 });
    assert.deepEqual({ ids: q.jobs.map((j) => j.id), total: q.total }, { ids: ref.ids['queued']!.slice(1, 3), total: 5 });
    const f = await rqJobs(client, r, 'failed', { start: 1, count: 1 });
    assert.deepEqual({ ids: f.jobs.map((j) => j.id), total: f.total }, { ids: rqOrder('failed', ref.ids['failed']!).slice(1, 2), total: ref.counts['failed'] });
    assert.deepEqual((await rqJobs(client, r, 'queued', { start: 10, count: 5 })).jobs, []);
  });

  it("`inspect` and the agents' redisq_list_queues report the queue with RQ's own counts", async () => {
    const inspector = await Inspector.open({ url: redisUrl() });
    try {
      const ref = await rqReport(redisUrl(), name);
      const doc = await collect(inspector, { match: `${name}-none*`, limit: 5, pendingPerGroup: 5, thresholds: DEFAULT_THRESHOLDS });
      const row = doc.frameworks?.find((f) => f.framework === 'rq')?.rows.find((r) => r.name === name);
      assert.ok(row, 'the RQ queue in inspect --json');
      for (const st of STATES) assert.equal(row.counts[st], ref.counts[st], st);
      // The text table: the queue's line carries its counts in RQ's state order ('-' where a column is another row's).
      const line = renderInspection(doc).find((l) => l.startsWith(`  ${name} `));
      assert.deepEqual(line?.trim().split(/\s+/).filter((x) => x !== '-').slice(1, 1 + STATES.length).map(Number), STATES.map((st) => row.counts[st]));
      const listed = (await runAgentTool(agentTool('redisq_list_queues')!, { inspector, connection: 'test', readOnly: false, thresholds: DEFAULT_THRESHOLDS }, { match: `${name}-none*` })) as { summary: string; data: { frameworks?: Array<{ framework: string; rows: Array<{ name: string; counts: Record<string, number> }> }> } };
      assert.equal(listed.data.frameworks?.find((f) => f.framework === 'rq')?.rows.find((r) => r.name === name)?.counts.failed, ref.counts.failed);
      assert.match(listed.summary, new RegExp(`- RQ queue ${name}( \\([^)]*\\))?: ${ref.counts.queued} queued, `));
    } finally {
      inspector.close();
    }
  });

  it("the workers figure counts RQ's Worker.all() and its busy ones", async () => {
    const d = await readRq(client);
    const ref = await rqReport(redisUrl(), name);
    const fig = d!.figures.find(([k]) => k === 'workers')?.[1];
    assert.equal(fig, `${ref.workers.length} (busy ${ref.workers.filter((s) => s === 'busy').length})`);
  });

  it('read is undefined where RQ is not (no queues set under the prefix), and the reader is the FrameworkReader', async () => {
    assert.equal(await readRq(client, `none-${randomUUID().slice(0, 8)}:`), undefined);
    await client.set(`odd-${name}:queues`, 'a string');
    try {
      assert.equal(await rqReader.read(client, `odd-${name}:`), undefined);
    } finally {
      await client.del(`odd-${name}:queues`);
    }
    assert.equal((await rqReader.read(client))?.label, 'RQ');
  });
});

describe('(integration) RQ actions: our scripts act, RQ sees the result', function () {
  this.timeout(60_000);
  let client: Redis;
  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
  });
  after(async () => {
    await quit(client);
  });
  const rowOf = (q: string) => ({ name: q, key: `rq:queue:${q}` });
  const where = (ref: Report, id: string) => Object.entries(ref.ids).filter(([, ids]) => ids.includes(id)).map(([s]) => s);

  it("Requeue failed: the job is queued as RQ's requeue leaves it, RQ's burst worker runs it exactly once; requeued again it is skipped and named", async () => {
    const q = `rq-requeue-${randomUUID().slice(0, 8)}`;
    const [a, b, c] = await rqFailed(redisUrl(), q, 3);
    const out = await requeueRqFailed(client, rowOf(q), [a!, b!, b!]);
    assert.deepEqual(out, [
      { id: a, outcome: 'requeued' },
      { id: b, outcome: 'requeued' },
      { id: b, outcome: 'skipped', now: 'now queued' },
    ]);
    const ref = await rqReport(redisUrl(), q, [a!, b!, c!]);
    assert.deepEqual(ref.ids['queued'], [a, b], 'at the back of the queue, in order');
    assert.deepEqual(ref.ids['failed'], [c]);
    assert.deepEqual([ref.jobs[a!]!.status, ref.jobs[a!]!.started_at, ref.jobs[a!]!.ended_at], ['queued', null, null]);
    assert.ok(ref.jobs[a!]!.enqueued_at! > Date.now() - 60_000);
    await rqBurst(redisUrl(), q);
    assert.deepEqual((await client.lrange(`${q}:runs`, 0, -1)).sort(), [a, b].sort(), 'each requeued job ran once');
    const done = await rqReport(redisUrl(), q, [a!, b!]);
    assert.deepEqual([done.jobs[a!]!.status, done.jobs[b!]!.status], ['finished', 'finished']);
    assert.deepEqual(await requeueRqFailed(client, rowOf(q), [a!]), [{ id: a, outcome: 'skipped', now: 'now finished' }]);
    // Requeue all failed: the rest, then RQ runs it once more.
    assert.deepEqual(await requeueAllRqFailed(client, rowOf(q)), [{ id: c, outcome: 'requeued' }]);
    await rqBurst(redisUrl(), q);
    assert.deepEqual((await client.lrange(`${q}:runs`, 0, -1)).sort(), [a, b, c].sort());
  });

  it("Delete: RQ's Job.fetch then finds no such job and no registry lists it; deleted again it is gone", async () => {
    const q = `rq-delete-${randomUUID().slice(0, 8)}`;
    const [a, b] = await rqFailed(redisUrl(), q, 2);
    assert.deepEqual(await deleteRqJobs(client, rowOf(q), [a!]), [{ id: a, outcome: 'deleted' }]);
    const ref = await rqReport(redisUrl(), q, [a!, b!]);
    assert.equal(ref.jobs[a!], null, 'Job.fetch raises NoSuchJobError');
    assert.deepEqual(where(ref, a!), []);
    assert.deepEqual(where(ref, b!), ['failed']);
    assert.equal(await client.exists(`rq:job:${a}`, `rq:results:${a}`), 0);
    assert.deepEqual(await deleteRqJobs(client, rowOf(q), [a!]), [{ id: a, outcome: 'skipped', now: 'gone' }]);
    // A queued job: out of the queue list too.
    assert.deepEqual(await requeueRqFailed(client, rowOf(q), [b!]), [{ id: b, outcome: 'requeued' }]);
    assert.deepEqual(await deleteRqJobs(client, rowOf(q), [b!]), [{ id: b, outcome: 'deleted' }]);
    const after = await rqReport(redisUrl(), q, [b!]);
    assert.deepEqual([after.jobs[b!], after.counts['queued'], after.counts['failed']], [null, 0, 0]);
  });

  it('called on no job, nothing is sent (a closed connection is not touched)', async () => {
    const closed = await open({ url: redisUrl() });
    await quit(closed);
    const row = rowOf('nothing');
    assert.deepEqual(await requeueRqFailed(closed, row, []), []);
    assert.deepEqual(await deleteRqJobs(closed, row, []), []);
  });
});
