// Sidekiq read as Sidekiq reports it (core frameworks/sidekiq.ts), against the real Sidekiq 6.4.1
// (Debian's ruby-sidekiq) on a real redis-server: its own client API enqueues and schedules jobs,
// a real `sidekiq` process fails some (Retries, Dead) and holds one (Busy), and every count, job
// order and field we read is compared with what Sidekiq's own API reports (report.rb), not
// hand-copied. Then the actions (frameworks/sidekiqActions.ts) are taken by our code and the real
// Sidekiq process does what should follow. Everything lives in database 7 of the tier's server.
import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import type { FwRow } from '../../src/core/frameworks/framework';
import { readSidekiq, sidekiqJobs, sidekiqReader } from '../../src/core/frameworks/sidekiq';
import { type SidekiqEntryRef, sidekiqAddToQueue, sidekiqDelete, sidekiqKill, sidekiqRetryNow } from '../../src/core/frameworks/sidekiqActions';
import { redisUrl } from '../support/integrationHooks';
import { type ApiRecord, type SidekiqReport, sidekiqReport, sidekiqSeed, startSidekiq } from '../support/sidekiq';
import { until } from '../support/until';

const DB = 7;
const WORK = 'work';
/** Arguments JS numbers cannot hold or would rewrite, unicode (raw and escaped) and nesting: must survive byte for byte. */
const BIG = '[12345678901234567890123,1.10,-0.0,1.5e300,"h\\u00e9llo ✓ 😀","\\ud83d\\ude00",{"a":{"b":[1,2,{"c":null}]},"z":9007199254740993}]';

describe('(integration) Sidekiq, read as Sidekiq reports it', function () {
  this.timeout(60_000);
  let url: string;
  let client: Redis;
  let sidekiq: ReturnType<typeof startSidekiq>;

  const row = async (name: string): Promise<FwRow> => {
    const d = await readSidekiq(client);
    const r = d?.rows.find((x) => x.name === name);
    assert.ok(r, `row ${name}`);
    return r;
  };

  before(async () => {
    url = `${redisUrl()}/${DB}`;
    client = (await open({ url })) as Redis;
    await client.flushdb();
    sidekiq = startSidekiq(url, [WORK], 3);
    await sidekiqSeed(url, [
      { via: 'async', args: ['ok', '__BIG__', 1.5, 'héllo ✓ 😀', { a: [1, { b: null }] }], opts: { queue: 'mailers' } },
      { via: 'async', args: ['ok', 2], opts: { queue: 'mailers' } },
      { via: 'push', job: { class: 'ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper', wrapped: 'SignupMailerJob', queue: 'mailers', args: [{ job_class: 'SignupMailerJob', job_id: 'x1', arguments: [42, 'welcome'] }] } },
      { via: 'push', job: { class: 'ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper', wrapped: 'ActionMailer::MailDeliveryJob', queue: 'mailers', args: [{ job_class: 'ActionMailer::MailDeliveryJob', arguments: ['UserMailer', 'welcome', 'deliver_now', { args: [7, 'x'] }] }] } },
      ...Array.from({ length: 7 }, (_, i) => ({ via: 'async' as const, args: ['ok', i], opts: { queue: 'paged' } })),
      { via: 'in', seconds: 3600, args: ['ok', 'a'], opts: { queue: WORK } },
      { via: 'in', seconds: 7200, args: ['ok', 'b'], opts: { queue: WORK } },
      { via: 'in', seconds: 1800, args: ['ok', 'c'], opts: { queue: WORK } },
      ...Array.from({ length: 4 }, (_, i) => ({ via: 'async' as const, args: ['fail', i], opts: { queue: WORK, retry: 3, backtrace: true } })),
      ...Array.from({ length: 2 }, (_, i) => ({ via: 'async' as const, args: ['fail', i], opts: { queue: WORK, retry: 0 } })),
      { via: 'async', args: ['hold'], opts: { queue: WORK } },
    ], { '"__BIG__"': '12345678901234567890123' });
    // Busy shows at the process's next heartbeat (every 5 s).
    await until('4 retries, 2 dead, 1 busy', async () => (await client.zcard('retry')) === 4 && (await client.zcard('dead')) === 2 && Number(await client.hget((await client.smembers('processes'))[0] ?? 'none', 'busy')) === 1, 20_000);
  });
  after(async () => {
    await client?.rpush('sidekiq-test:release', '1');
    await sidekiq?.stop();
    await quit(client);
  });

  /** Our job fields against Sidekiq's JobRecord's. */
  function sameJob(ours: Awaited<ReturnType<typeof sidekiqJobs>>['jobs'][number], theirs: ApiRecord, where: string): void {
    assert.equal(ours.id, theirs.jid, where);
    assert.equal(ours.title, theirs.display_class, `${where} title`);
    assert.equal(ours.args, theirs.display_args, `${where} args`);
    assert.equal(ours.queue, theirs.queue, `${where} queue`);
    assert.equal(ours.enqueuedAt, theirs.enqueued_at === null ? undefined : theirs.enqueued_at * 1000, `${where} enqueued_at`);
    assert.equal(ours.error, theirs.error_class ? `${theirs.error_class}: ${theirs.error_message}` : undefined, `${where} error`);
    assert.equal(ours.trace, theirs.error_backtrace?.join('\n'), `${where} backtrace`);
    assert.equal(ours.failures, theirs.retry_count === null ? undefined : theirs.retry_count + 1, `${where} failures`);
    assert.equal(ours.entry?.member.toString('utf8'), theirs.value, `${where} the entry as stored`);
  }

  async function compare(report: SidekiqReport): Promise<void> {
    const d = await readSidekiq(client);
    assert.ok(d);
    const queues = d.rows.filter((r) => r.kind === 'queue');
    assert.deepEqual(
      queues.map((r) => [r.name, r.states[0]!.count]),
      report.queues.map((q) => [q.name, q.size]),
    );
    for (const q of report.queues) {
      const r: FwRow = queues.find((x) => x.name === q.name)!;
      const { jobs, total } = await sidekiqJobs(client, r, 'enqueued', { count: 100 });
      assert.equal(total, q.size);
      // Queue#each goes from the left (newest); ours, next first, from the right.
      const theirs = [...q.jobs].reverse();
      assert.deepEqual(jobs.map((j) => j.id), theirs.map((j) => j.jid), `${q.name}: the same jobs, next first`);
      jobs.forEach((j, i) => sameJob(j, theirs[i]!, `${q.name} ${j.id}`));
      if (q.size) {
        // Queue#latency: now − enqueued_at of the job Sidekiq takes next.
        assert.equal(r.oldestWaitingAt, theirs[0]!.enqueued_at! * 1000);
        assert.ok(Math.abs((report.now * 1000 - r.oldestWaitingAt!) / 1000 - q.latency) < 0.05, `${q.name} latency`);
      }
    }
    for (const [set, title] of [['schedule', 'Scheduled'], ['retry', 'Retries'], ['dead', 'Dead']] as const) {
      const r: FwRow = d.rows.find((x) => x.name === title)!;
      assert.equal(r.states[0]!.count, report.sets[set].size, `${title} count`);
      const { jobs, total } = await sidekiqJobs(client, r, r.states[0]!.state, { count: 100 });
      assert.equal(total, report.sets[set].size);
      // JobSet#each goes from the highest score down.
      const theirs = set === 'dead' ? report.sets[set].entries : [...report.sets[set].entries].reverse();
      assert.deepEqual(jobs.map((j) => j.id), theirs.map((j) => j.jid), `${title}: the same jobs in order`);
      jobs.forEach((j, i) => {
        sameJob(j, theirs[i]!, `${title} ${j.id}`);
        if (set === 'dead') assert.equal(j.endedAt, theirs[i]!.score! * 1000);
        else assert.equal(j.dueAt, theirs[i]!.score! * 1000);
      });
    }
    const busy = d.rows.find((x) => x.name === 'Busy')!;
    assert.equal(busy.states[0]!.count, report.workers.size, 'Busy = Workers#size');
    const { jobs } = await sidekiqJobs(client, busy, 'busy');
    assert.deepEqual(jobs.map((j) => j.id), report.workers.entries.map((w) => w.jid));
    jobs.forEach((j, i) => {
      assert.equal(j.startedAt, report.workers.entries[i]!.run_at * 1000);
      assert.equal(j.queue, report.workers.entries[i]!.queue);
    });
    if (jobs.length) assert.equal(busy.oldestRunningAt, Math.min(...report.workers.entries.map((w) => w.run_at)) * 1000);
    const fig = Object.fromEntries(d.figures);
    assert.equal(fig['Processed'], String(report.stats.processed));
    assert.equal(fig['Failed'], String(report.stats.failed));
    assert.match(fig['Processes']!, new RegExp(`^${report.stats.processes_size}\\b`));
    assert.equal(fig['Busy'], String(report.stats.workers_size));
  }

  it('every queue, Scheduled, Retries, Dead and Busy: counts, jobs in order, class, args, error, backtrace, times as Sidekiq\'s API reports them', async () => {
    const report = await sidekiqReport(url);
    assert.deepEqual([report.sets.schedule.size, report.sets.retry.size, report.sets.dead.size, report.workers.size], [3, 4, 2, 1]);
    await compare(report);
    const d = (await readSidekiq(client))!;
    assert.deepEqual(d.rows.find((r) => r.name === 'Retries')!.states.map((s) => [s.tone, s.count]), [['failed', 4]]);
    assert.deepEqual(d.rows.find((r) => r.name === 'Dead')!.states.map((s) => [s.tone, s.count]), [['dead', 2]]);
    // The ActiveJob wrapper unwrapped as Sidekiq Web shows it; args text as stored (a big integer intact).
    const mailers = await sidekiqJobs(client, d.rows.find((r) => r.name === 'mailers')!, 'enqueued');
    assert.deepEqual(mailers.jobs.map((j) => j.title), ['TestJob', 'TestJob', 'SignupMailerJob', 'UserMailer#welcome']);
    assert.equal(mailers.jobs[0]!.args, '["ok",12345678901234567890123,1.5,"héllo ✓ 😀",{"a":[1,{"b":null}]}]');
    assert.equal(mailers.jobs[3]!.args, '[7,"x"]');
    const retries = await sidekiqJobs(client, d.rows.find((r) => r.name === 'Retries')!, 'retry');
    assert.match(retries.jobs[0]!.error!, /^ArgumentError: SMTP 550: mailbox [0-9a-f]{24} unavailable$/);
    assert.match(retries.jobs[0]!.trace!, /worker\.rb:\d+:in `block in perform'/);
    assert.equal(retries.jobs[0]!.failures, 1);
    assert.equal(sidekiqReader.framework, 'sidekiq');
  });

  it('pages are bounded and their totals true; nothing of Sidekiq under a prefix (or in an empty database): undefined', async () => {
    const report = await sidekiqReport(url);
    const paged = report.queues.find((q) => q.name === 'paged')!;
    const { jobs, total } = await sidekiqJobs(client, await row('paged'), 'enqueued', { start: 2, count: 3 });
    assert.equal(total, 7);
    assert.deepEqual(jobs.map((j) => j.id), [...paged.jobs].reverse().slice(2, 5).map((j) => j.jid));
    const sched = await sidekiqJobs(client, await row('Scheduled'), 'scheduled', { start: 1, count: 1 });
    assert.equal(sched.total, 3);
    assert.deepEqual(sched.jobs.map((j) => j.id), [[...report.sets.schedule.entries].reverse()[1]!.jid]);
    assert.equal(await readSidekiq(client, 'nothing-here:'), undefined);
    const empty = (await open({ url: `${redisUrl()}/${DB + 1}` })) as Redis;
    try {
      assert.equal(await empty.dbsize(), 0);
      assert.equal(await readSidekiq(empty), undefined);
    } finally {
      await quit(empty);
    }
  });

  it('a namespace prefix (redis-namespace\'s `myapp:`) reads the same deployment', async () => {
    for (const k of ['queues', 'queue:paged', 'schedule', 'retry', 'dead']) await client.copy(k, `myapp:${k}`);
    try {
      const d = (await readSidekiq(client, 'myapp:'))!;
      assert.equal(d.prefix, 'myapp:');
      assert.deepEqual(d.rows.find((r) => r.name === 'paged')!.key, 'myapp:queue:paged');
      assert.equal(d.rows.find((r) => r.name === 'paged')!.states[0]!.count, 7);
      assert.equal(d.rows.find((r) => r.name === 'Retries')!.states[0]!.count, 4);
      assert.equal((await sidekiqJobs(client, d.rows.find((r) => r.name === 'Dead')!, 'dead')).total, 2);
    } finally {
      await client.del(...['queues', 'queue:paged', 'schedule', 'retry', 'dead'].map((k) => `myapp:${k}`));
    }
  });

  it('processes without a heartbeat for 60 s are marked gone on Busy, their jobs still listed as Sidekiq::Workers lists them', async () => {
    const stale = 'ghost-host:4242:0f0f0f0f';
    const vanished = 'vanished-host:1:abab';
    const payload = JSON.stringify({ retry: true, queue: WORK, args: ['hold'], class: 'TestJob', jid: 'aaaaaaaaaaaaaaaaaaaaaaaa', created_at: 1700000000.5, enqueued_at: 1700000000.5 });
    const beat = Date.now() / 1000 - 120;
    await client.sadd('processes', stale, vanished);
    await client.hset(stale, 'info', JSON.stringify({ hostname: 'ghost-host', identity: stale, queues: [WORK], concurrency: 1 }), 'busy', '1', 'beat', String(beat), 'quiet', 'false');
    await client.hset(`${stale}:workers`, 'tid1', JSON.stringify({ queue: WORK, payload, run_at: 1700000001 }));
    try {
      const report = await sidekiqReport(url);
      await compare(report);
      const busy = await row('Busy');
      assert.deepEqual(busy.marks, ['2 processes gone']);
      assert.equal(busy.oldestRunningAt, 1700000001 * 1000);
      const { jobs } = await sidekiqJobs(client, busy, 'busy');
      assert.equal(jobs[0]!.id, 'aaaaaaaaaaaaaaaaaaaaaaaa');
      assert.deepEqual(jobs[0]!.details.slice(0, 2), [['Process', stale], ['Thread', 'tid1']]);
    } finally {
      await client.srem('processes', stale, vanished);
      await client.del(stale, `${stale}:workers`);
    }
  });

  /** The entries of a set as read, by jid. */
  async function entries(title: string): Promise<Map<string, SidekiqEntryRef>> {
    const { jobs } = await sidekiqJobs(client, await row(title), '', { count: 100 });
    return new Map(jobs.map((j) => [j.id, { id: j.id, member: j.entry!.member, score: j.entry!.score! }]));
  }
  const runsOf = async (jid: string) => (await client.lrange('sidekiq-test:runs', 0, -1)).filter((x) => x === jid).length;

  it('Retry now keeps every byte of the payload but retry_count (− 1) and enqueued_at (now), as SortedEntry#retry: big integers, 1.10, unicode, nesting intact', async () => {
    const jid = 'b16b16b16b16b16b16b16b16';
    const member = `{"retry":5,"queue":"exact","args":${BIG},"class":"TestJob","jid":"${jid}","created_at":1700000000.25,"enqueued_at":1700000000.5,"error_message":"boom ✗","error_class":"RuntimeError","failed_at":1700000001.125,"retry_count":2,"retried_at":1700000002.0}`;
    await client.zadd('retry', '1800000000.75', member);
    const e = (await entries('Retries')).get(jid)!;
    assert.equal(e.member.toString('utf8'), member);
    const [out] = await sidekiqRetryNow(client, 'retry', [e]);
    assert.equal(out!.outcome, 'enqueued');
    assert.equal(out!.now, 'queue exact');
    const pushed = await client.lrangeBuffer('queue:exact', 0, -1);
    assert.equal(pushed.length, 1);
    const m = /"enqueued_at":(\d+\.\d{6}),/.exec(pushed[0]!.toString('utf8'));
    assert.ok(m, pushed[0]!.toString('utf8'));
    assert.ok(Math.abs(Number(m[1]) * 1000 - Date.now()) < 5000);
    assert.deepEqual(pushed[0], Buffer.from(member.replace('"enqueued_at":1700000000.5', `"enqueued_at":${m[1]}`).replace('"retry_count":2', '"retry_count":1')));
    assert.equal(await client.zscore('retry', member), null);
    assert.equal(await client.sismember('queues', 'exact'), 1);
    // Sidekiq's API reads it as a job of that queue.
    const q = (await sidekiqReport(url)).queues.find((x) => x.name === 'exact')!;
    assert.deepEqual([q.size, q.jobs[0]!.jid, q.jobs[0]!.retry_count], [1, jid, 1]);
    const ours = (await sidekiqJobs(client, await row('exact'), 'enqueued')).jobs[0]!;
    assert.equal(ours.args, BIG);
    await client.del('queue:exact');
    await client.srem('queues', 'exact');
  });

  it('Retry now (Retries and Dead): the real Sidekiq process runs each job exactly once', async () => {
    const retry = [...(await entries('Retries')).values()][0]!;
    const dead = [...(await entries('Dead')).values()][0]!;
    await client.sadd('sidekiq-test:healed', retry.id, dead.id);
    const before = [await runsOf(retry.id), await runsOf(dead.id)];
    assert.deepEqual(before, [1, 1], 'each failed once');
    assert.deepEqual((await sidekiqRetryNow(client, 'retry', [retry])).map((o) => o.outcome), ['enqueued']);
    assert.deepEqual((await sidekiqRetryNow(client, 'dead', [dead])).map((o) => o.outcome), ['enqueued']);
    await until('both ran again', async () => (await runsOf(retry.id)) === 2 && (await runsOf(dead.id)) === 2, 20_000);
    // Healed, they succeed: in no set and no queue, they cannot run again.
    await until('the queue drained', async () => (await client.llen(`queue:${WORK}`)) === 0, 20_000);
    const report = await sidekiqReport(url);
    for (const set of ['retry', 'dead', 'schedule'] as const) assert.ok(!report.sets[set].entries.some((x) => x.jid === retry.id || x.jid === dead.id), set);
    assert.deepEqual([await runsOf(retry.id), await runsOf(dead.id)], [2, 2]);
  });

  it('Add to queue (Scheduled): the real Sidekiq process runs it now, once', async () => {
    const [first] = [...(await entries('Scheduled')).values()];
    const [out] = await sidekiqAddToQueue(client, [first!]);
    assert.deepEqual(out, { id: first!.id, outcome: 'enqueued', now: `queue ${WORK}` });
    await until('it ran', async () => (await runsOf(first!.id)) === 1, 20_000);
    assert.ok(!(await sidekiqReport(url)).sets.schedule.entries.some((x) => x.jid === first!.id));
  });

  it('Kill (Retries): in DeadSet as Sidekiq\'s API sees it, bytes unchanged; Delete (Scheduled): gone', async () => {
    const r = [...(await entries('Retries')).values()][0]!;
    const s = [...(await entries('Scheduled')).values()][0]!;
    assert.deepEqual((await sidekiqKill(client, 'retry', [r])).map((o) => [o.outcome, o.now]), [['killed', 'Dead']]);
    assert.deepEqual(await sidekiqDelete(client, 'schedule', [s]), [{ id: s.id, outcome: 'deleted' }]);
    const report = await sidekiqReport(url);
    const dead = report.sets.dead.entries.find((x) => x.jid === r.id);
    assert.ok(dead, 'in DeadSet');
    assert.equal(dead.value, r.member.toString('utf8'));
    assert.ok(Math.abs(dead.score! - report.now) < 5);
    assert.ok(!report.sets.retry.entries.some((x) => x.jid === r.id));
    assert.ok(!report.sets.schedule.entries.some((x) => x.jid === s.id));
    assert.ok(!report.sets.dead.entries.some((x) => x.jid === s.id));
  });

  it('a job that moved meanwhile is skipped and named: now in Dead, rescheduled, or no longer in the set', async () => {
    const [a, b] = [...(await entries('Retries')).values()];
    assert.ok(a && b, 'two retries left');
    await sidekiqKill(client, 'retry', [a]);
    await client.zadd('retry', 'XX', '1999999999', b.member.toString('utf8'));
    const out = await sidekiqRetryNow(client, 'retry', [a, b, { id: 'c', member: Buffer.from('{"jid":"c"}'), score: '1' }]);
    assert.deepEqual(out, [
      { id: a.id, outcome: 'skipped', now: 'in Dead' },
      { id: b.id, outcome: 'skipped', now: 'rescheduled in Retries (score 1999999999)' },
      { id: 'c', outcome: 'skipped', now: 'not a Sidekiq job (class, args and jid)' },
    ]);
    assert.deepEqual(await sidekiqDelete(client, 'schedule', [{ ...a, score: '1' }]), [{ id: a.id, outcome: 'skipped', now: 'in Dead' }]);
    await client.zrem('retry', b.member);
    assert.deepEqual(await sidekiqKill(client, 'retry', [b]), [{ id: b.id, outcome: 'skipped', now: 'no longer in Retries' }]);
  });
});
