// RQ, Sidekiq and Celery in the explorer inside a real VS Code against a real Redis (a database of
// its own, emptied before and after): the real RQ (Debian's python3-rq), Sidekiq (ruby-sidekiq)
// and Celery (python3-celery) put jobs there with their own APIs; the connection row gets a folder for each, whose rows count
// as the framework's own API reports; the actions run from the tree with their confirmations and
// read-only refusals, and the framework's own worker then does the expected thing.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import { join } from 'node:path';
import { mkdirSync, readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { celerySend, killWorker, runsOf, startCeleryWorker, unackedOf } from '../../support/celery';
import { rqBurst, rqFailed, rqReport } from '../../support/rqPython';
import { sidekiqReport, sidekiqSeed, startSidekiq } from '../../support/sidekiq';
import { commandFailure, desc, label, scripted, tree, until } from '../helpers';

const EXT = 'redis-queues.redis-queues';
let api: RedisQueuesApi;
const { kids, child } = tree(() => api);
type TreeNode = Awaited<ReturnType<typeof child>>;

describe('(extension) RQ, Sidekiq and Celery in the explorer', function () {
  this.timeout(120_000);
  const tag = randomUUID().slice(0, 8);
  const conn = `frameworks-${tag}`;
  const ro = `frameworks-ro-${tag}`;
  let url: string;
  let redis: Redis;
  const rqQueue = `mail${tag}`;
  let failedIds: string[];
  let sidekiqJids: string[];
  const celeryQueue = `exports${tag}`;
  const gate = `celery-fx-gate:${tag}`;
  let celeryIds: string[];
  let celeryWorker: ChildProcess | undefined;

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    const u = new URL(process.env.REDIS_URL!);
    u.pathname = '/11';
    url = u.toString();
    redis = new Redis(url);
    await redis.flushdb();
    failedIds = await rqFailed(url, rqQueue, 2);
    sidekiqJids = await sidekiqSeed(url, [
      { via: 'async', args: ['ok', { to: 'a@example.com' }] },
      { via: 'async', args: ['ok', '__BIG__'] },
      { via: 'in', seconds: 3600, args: ['ok', 'later-1'] },
      { via: 'in', seconds: 7200, args: ['ok', 'later-2'] },
    ], { '"__BIG__"': '12345678901234567890' });
    // Celery: a worker SIGKILLed while it holds three tasks (one running): they stay unacknowledged.
    celeryIds = (await celerySend(url, [{ task: 'fx.block', queue: celeryQueue, args: [gate] }, { task: 'fx.record', queue: celeryQueue, args: ['export-1', { big: 1 }] }, { task: 'fx.record', queue: celeryQueue, args: ['export-2'] }], join(__dirname, '..', '..', '..', '..', '.test-output', 'ext-celery'))).map((t) => t.id);
    celeryWorker = startCeleryWorker(url, celeryQueue, 3);
    await until('the Celery worker holds 3 tasks', async () => (await unackedOf(redis, celeryQueue)).length === 3, 30_000);
    await killWorker(celeryWorker);
    celeryWorker = undefined;
    await vscode.workspace.getConfiguration('redisQueues').update('refreshIntervalSeconds', 0, vscode.ConfigurationTarget.Global);
    for (const [name, extra] of [[conn, {}], [ro, { readOnly: true }]] as const) {
      await vscode.commands.executeCommand('redisQueues.connection.add', { name, url, ...extra });
      await until(`session ${name}`, () => Boolean(api.services.sessions.get(name)));
    }
  });
  after(async () => {
    if (celeryWorker) await killWorker(celeryWorker);
    for (const name of [conn, ro]) await vscode.commands.executeCommand('redisQueues.connection.remove', name, { confirm: false });
    await vscode.workspace.getConfiguration('redisQueues').update('refreshIntervalSeconds', undefined, vscode.ConfigurationTarget.Global);
    await redis.flushdb();
    redis.disconnect();
  });

  /** A framework's folder on a connection row, read again. */
  type Fw = 'RQ' | 'Sidekiq' | 'Celery';
  async function folder(name: string, fw: Fw): Promise<TreeNode> {
    await api.services.provider.refresh();
    const all = await kids(await child(undefined, name));
    const f = all.find((n) => label(n) === fw);
    assert.ok(f, `${fw} folder on ${name}: ${all.map(label).join(', ')}; keys ${(await redis.keys('*')).sort().join(' ')}`);
    return f;
  }
  const rows = async (name: string, fw: Fw) => kids(await folder(name, fw));
  const row = async (name: string, fw: Fw, title: string) => {
    const r = (await rows(name, fw)).find((n) => label(n) === title);
    assert.ok(r, `${title} under ${fw}`);
    return r;
  };
  const jobOf = (n: TreeNode) => (n as unknown as { job: { id: string } }).job;

  it('the connection row has an RQ, a Sidekiq and a Celery folder (found by their registry keys), counted as their own APIs count', async () => {
    const names = (await kids(await child(undefined, conn))).map(label);
    assert.deepEqual(names, ['Streams', 'List queues', 'RQ', 'Sidekiq', 'Celery']);
    // RQ: the queue's states as RQ's Queue.count and registries count them; failed jobs lead with their error.
    const rep = await rqReport(url, rqQueue);
    const q = await row(conn, 'RQ', rqQueue);
    assert.match(desc(q), /^2 failed · 0 queued$/);
    const states = Object.fromEntries((await kids(q)).map((n) => [label(n).toLowerCase(), Number(desc(n).split(' · ')[0])]));
    for (const s of ['queued', 'started', 'scheduled', 'deferred', 'finished', 'failed', 'canceled']) assert.equal(states[s], rep.counts[s], s);
    const failed = await kids(await child(q, 'Failed'));
    assert.deepEqual(failed.map((n) => jobOf(n).id).sort(), [...failedIds].sort());
    assert.match(label(failed[0]!), /^tasks\.flaky #/);
    assert.match(desc(failed[0]!), /^ValueError: flaky: .* is set · /);
    assert.match(String(failed[0]!.item().tooltip), /trace:\nTraceback \(most recent call last\)/);
    // Sidekiq: the queue and the sets as Sidekiq's API sizes them; args as stored (a big integer intact).
    const sk = await sidekiqReport(url);
    const def = await row(conn, 'Sidekiq', 'default');
    assert.match(desc(def), new RegExp(`^${sk.queues.find((x) => x.name === 'default')!.size} enqueued \\(oldest [\\dms ]+\\)$`));
    assert.equal(desc(await row(conn, 'Sidekiq', 'Scheduled')), `${sk.sets.schedule.size} jobs`);
    const enqueued = await kids(def);
    assert.deepEqual(
      enqueued.map((n) => jobOf(n).id),
      sidekiqJids.slice(0, 2),
      'the job a process takes next on top',
    );
    assert.match(desc(enqueued[1]!), /\["ok",12345678901234567890\]/);
    assert.match(label((await rows(conn, 'Sidekiq'))[0]!), /^Processed 0 · Failed 0 · Processes 0/);
    // Find Jobs: on a one-state row (Scheduled) and on a state (RQ's Failed), by a value in the arguments or the error.
    const found = await vscode.commands.executeCommand<{ hits: Array<{ id: string }>; examined: number; stopped: string }>('redisQueues.frameworks.findJobs', await row(conn, 'Sidekiq', 'Scheduled'), { text: 'LATER-2', open: false });
    assert.deepEqual([found.hits.map((h) => h.id), found.examined, found.stopped], [[sidekiqJids[3]], 2, 'end']);
    const flaky = await vscode.commands.executeCommand<{ hits: Array<{ id: string }> }>('redisQueues.frameworks.findJobs', await child(q, 'Failed'), { text: 'valueerror: flaky', open: false });
    assert.deepEqual(flaky.hits.map((h) => h.id).sort(), [...failedIds].sort());
    api.services.ui = scripted([]);
    await vscode.commands.executeCommand('redisQueues.frameworks.findJobs', await child(q, 'Failed'), { text: 'no such words', open: false });
    assert.match((api.services.ui as ReturnType<typeof scripted>).infos.at(-1)!, /^No job of RQ queue "mail\w+" \(Failed\) holds "no such words" \(2 jobs of 2 read\)\.$/);
  });

  it('on a read-only connection every RQ and Sidekiq action is refused before anything is asked or sent', async () => {
    const failed = (await kids(await child(await row(ro, 'RQ', rqQueue), 'Failed')))[0]!;
    const scheduled = (await kids(await row(ro, 'Sidekiq', 'Scheduled')))[0]!;
    const before = await redis.dbsize();
    for (const [cmd, node] of [
      ['redisQueues.rq.requeue', failed],
      ['redisQueues.rq.delete', failed],
      ['redisQueues.sidekiq.addToQueue', scheduled],
      ['redisQueues.sidekiq.kill', scheduled],
      ['redisQueues.sidekiq.delete', scheduled],
    ] as const) {
      const ui = scripted([]);
      api.services.ui = ui;
      const e = await commandFailure(api, () => vscode.commands.executeCommand(cmd, node, [node]), cmd);
      assert.match(e.message, /read-only: .* was refused before anything was sent/, cmd);
      assert.equal(ui.asked.length, 0, `${cmd} asked before refusing`);
    }
    assert.equal(await redis.dbsize(), before);
    assert.equal((await rqReport(url, rqQueue)).counts.failed, 2);
  });

  it('Export Jobs (also on a read-only connection): RQ\'s failed jobs and Sidekiq\'s Scheduled to NDJSON, a header then one line per job, the Sidekiq entries byte for byte', async () => {
    const dir = join(__dirname, '..', '..', '..', '..', '.test-output', 'ext-export');
    mkdirSync(dir, { recursive: true });
    const read = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const rqFile = join(dir, `rq-failed-${tag}.ndjson`);
    const r = await vscode.commands.executeCommand<{ written: number; stopped: string }>('redisQueues.frameworks.exportJobs', await child(await row(ro, 'RQ', rqQueue), 'Failed'), { file: rqFile });
    assert.deepEqual([r.written, r.stopped], [2, 'end']);
    const [head, ...jobs] = read(rqFile);
    assert.deepEqual(head, { 'redis-queues-jobs': { ...(head!['redis-queues-jobs'] as object), connection: ro, framework: 'rq', queue: rqQueue, state: 'failed', stateLabel: 'Failed' } });
    assert.deepEqual(jobs.map((j) => j.id).sort(), [...failedIds].sort());
    assert.match(String(jobs[0]!.error), /^ValueError: flaky/);
    const skFile = join(dir, `sidekiq-scheduled-${tag}.ndjson`);
    await vscode.commands.executeCommand('redisQueues.frameworks.exportJobs', await row(conn, 'Sidekiq', 'Scheduled'), { file: skFile });
    const members = (await redis.zrange('schedule', '0', '-1')).sort();
    assert.deepEqual(read(skFile).slice(1).map((j) => (j.entry as { member: string }).member).sort(), members, 'the members as Sidekiq stored them');
  });

  it("RQ: Requeue a failed job, RQ's worker then runs it once; Delete another, RQ no longer knows it; a job that moved is skipped and named", async () => {
    const failed = await kids(await child(await row(conn, 'RQ', rqQueue), 'Failed'));
    const [a, b] = failed;
    let ui = scripted([true]);
    api.services.ui = ui;
    assert.deepEqual(await vscode.commands.executeCommand('redisQueues.rq.requeue', a, [a]), { done: [jobOf(a!).id], skipped: [] });
    assert.match(ui.asked[0]!.text, /^Requeue 1 job of RQ queue "mail\w+" \(Failed\)\? RQ's FailedJobRegistry\.requeue/);
    ui = scripted([true]);
    api.services.ui = ui;
    assert.deepEqual(await vscode.commands.executeCommand('redisQueues.rq.delete', b, [b]), { done: [jobOf(b!).id], skipped: [] });
    await rqBurst(url, rqQueue);
    const rep = await rqReport(url, rqQueue, [jobOf(a!).id, jobOf(b!).id]);
    assert.deepEqual(await redis.lrange(`${rqQueue}:runs`, 0, -1), [jobOf(a!).id], 'the requeued job ran once');
    assert.equal(rep.jobs[jobOf(a!).id]?.status, 'finished');
    assert.equal(rep.jobs[jobOf(b!).id], null, 'RQ no longer knows the deleted job');
    assert.deepEqual([rep.counts.failed, rep.counts.finished, rep.counts.queued], [0, 1, 0]);
    // The rows are stale now: acting on them again changes nothing and says why.
    ui = scripted([true]);
    api.services.ui = ui;
    assert.deepEqual(await vscode.commands.executeCommand('redisQueues.rq.requeue', a, [a]), { done: [], skipped: [{ id: jobOf(a!).id, reason: 'now finished' }] });
    assert.match(ui.infos.at(-1)!, /^Requeued 0 jobs; left as they were: \S+ \(now finished\)\.$/);
    assert.match(desc(await row(conn, 'RQ', rqQueue)), /^0 queued · 1 finished$/);
  });

  it("Sidekiq: Add to Queue a scheduled job, Kill the other, Retry Now it from Dead; a real Sidekiq process then runs the four jobs once each", async () => {
    const [s1, s2] = await kids(await row(conn, 'Sidekiq', 'Scheduled'));
    api.services.ui = scripted([true]);
    assert.deepEqual(await vscode.commands.executeCommand('redisQueues.sidekiq.addToQueue', s1, [s1]), { done: [sidekiqJids[2]], skipped: [] });
    const ui = scripted([true]);
    api.services.ui = ui;
    assert.deepEqual(await vscode.commands.executeCommand('redisQueues.sidekiq.kill', s2, [s2]), { done: [sidekiqJids[3]], skipped: [] });
    assert.match(ui.asked[0]!.text, /^Kill 1 job of Sidekiq Scheduled\? As Sidekiq Web's Kill/);
    let sk = await sidekiqReport(url);
    assert.deepEqual([sk.queues.find((x) => x.name === 'default')!.size, sk.sets.schedule.size, sk.sets.dead.size], [3, 0, 1]);
    assert.deepEqual(sk.sets.dead.entries.map((e) => e.jid), [sidekiqJids[3]]);
    const dead = (await kids(await row(conn, 'Sidekiq', 'Dead')))[0]!;
    api.services.ui = scripted([true]);
    assert.deepEqual(await vscode.commands.executeCommand('redisQueues.sidekiq.retry', dead, [dead]), { done: [sidekiqJids[3]], skipped: [] });
    const sidekiq = startSidekiq(url, ['default']);
    try {
      await until('four runs', async () => (await redis.llen('sidekiq-test:runs')) >= 4, 30_000);
      await until('the queue drained', async () => (await sidekiqReport(url)).stats.processed >= 4, 30_000);
    } finally {
      await sidekiq.stop();
    }
    const runs = await redis.lrange('sidekiq-test:runs', 0, -1);
    assert.deepEqual([...runs].sort(), [...sidekiqJids].sort(), 'each job ran once');
    sk = await sidekiqReport(url);
    assert.deepEqual([sk.sets.schedule.size, sk.sets.retry.size, sk.sets.dead.size, sk.queues.find((x) => x.name === 'default')?.size ?? 0], [0, 0, 0, 0]);
    assert.match(label((await rows(conn, 'Sidekiq'))[0]!), /^Processed 4 · Failed 0/);
  });

  it('Celery: the tasks a killed worker held are Reserved; Requeue waits out the visibility timeout, Requeue Anyway puts them back and a worker runs each once', async () => {
    const q = await row(conn, 'Celery', celeryQueue);
    assert.match(desc(q), /^0 waiting · 3 reserved$/);
    const reserved = await kids(await child(q, 'Reserved'));
    assert.deepEqual(reserved.map((n) => jobOf(n).id), celeryIds, 'oldest delivery on top');
    assert.match(desc(reserved[0]!), /^running \d+(ms|s) · \['celery-fx-gate:/);
    let ui = scripted([true]);
    api.services.ui = ui;
    const kept = await vscode.commands.executeCommand<{ done: string[]; skipped: Array<{ id: string; reason: string }> }>('redisQueues.celery.requeue', reserved[0], reserved);
    assert.deepEqual(kept.done, []);
    assert.ok(kept.skipped.every((x) => /^not past the visibility timeout \(3600 s\)/.test(x.reason)), JSON.stringify(kept.skipped));
    ui = scripted([true]);
    api.services.ui = ui;
    const r = await vscode.commands.executeCommand<{ done: string[]; skipped: unknown[] }>('redisQueues.celery.requeueAnyway', reserved[0], reserved);
    assert.deepEqual(r, { done: celeryIds, skipped: [] });
    assert.match(ui.asked[0]!.text, /^Requeue Anyway 3 jobs of Celery queue "exports\w+" \(Reserved\)\? .*may then run twice/);
    // Nothing is unacknowledged now: the queue stays shown (seen this session), its tasks waiting.
    assert.match(desc(await row(conn, 'Celery', celeryQueue)), /^3 waiting$/);
    // A worker then runs each once (the blocking task's gate is open).
    const before = (await runsOf(redis, celeryQueue)).length;
    await redis.rpush(gate, 'go');
    celeryWorker = startCeleryWorker(url, celeryQueue, 1);
    try {
      await until('three runs', async () => (await runsOf(redis, celeryQueue)).length >= before + 3, 30_000);
      await until('acknowledged', async () => (await redis.hlen('unacked')) === 0, 30_000);
    } finally {
      await killWorker(celeryWorker);
      celeryWorker = undefined;
    }
    const after = (await runsOf(redis, celeryQueue)).slice(before).map((x) => x.id);
    assert.deepEqual([...after].sort(), [...celeryIds].sort(), 'each requeued task ran once');
  });

  it('a Celery queue nobody configured and no worker holds is found once the List queues walk sampled its waiting task', async () => {
    const q = `walk${tag}`;
    const walker = `frameworks-walk-${tag}`;
    const [sent] = await celerySend(url, [{ task: 'fx.record', queue: q, args: ['found by the walk'] }], join(__dirname, '..', '..', '..', '..', '.test-output', 'ext-celery'));
    await vscode.commands.executeCommand('redisQueues.connection.add', { name: walker, url });
    try {
      await until(`session ${walker}`, () => Boolean(api.services.sessions.get(walker)));
      const celeryRow = async () => (await rows(walker, 'Celery')).find((n) => label(n) === q);
      await kids(await child(await child(undefined, walker), 'List queues')); // the walk samples the queue's list
      await until('the walked queue under Celery', async () => Boolean(await celeryRow().catch(() => undefined)), 30_000);
      assert.match(desc((await celeryRow())!), /^1 waiting/);
      assert.deepEqual((await kids(await child((await celeryRow())!, 'Waiting'))).map((n) => jobOf(n).id), [sent!.id]);
    } finally {
      await vscode.commands.executeCommand('redisQueues.connection.remove', walker, { confirm: false });
      await redis.del(q, '_kombu.binding.' + q);
    }
  });

  it('while a real Sidekiq fails jobs, Retries reads "N jobs ↑" with its trend in the tooltip, and the status bar says "retries ↑", from the background samples of the expanded folder', async () => {
    const setting = (k: string, v: unknown) => vscode.workspace.getConfiguration('redisQueues').update(k, v, vscode.ConfigurationTarget.Global);
    await setting('trends.intervalSeconds', 1);
    const q = `grow${tag}`;
    const sidekiq = startSidekiq(url, [q], 2);
    let stop = false;
    // About one job a second fails into Retries (retried in an hour: the set only grows).
    const failing = (async () => {
      for (let i = 0; !stop; i++) {
        const n = await redis.zcard('retry');
        await sidekiqSeed(url, [{ via: 'async', args: ['fail', i], opts: { queue: q, retry: 3 } }]);
        await until('the failure in Retries', async () => stop || (await redis.zcard('retry')) > n, 30_000);
      }
    })();
    try {
      await rows(conn, 'Sidekiq'); // the folder was read: its rows are sampled from now on
      let retries: TreeNode | undefined;
      await until('the Retries trend ↑', async () => {
        retries = await row(conn, 'Sidekiq', 'Retries');
        return /^[\d,]+ jobs ↑$/.test(desc(retries));
      }, 60_000);
      assert.match(String(retries!.item().tooltip), /\nRetries over the last minute: ↑ \+\d+ \(from \d+ to \d+\) [▁▂▃▄▅▆▇█·]+/);
      // The read-only connection to the same database sees the same set grow once its folder was read: "2 failed sets ↑" then.
      await until('the status bar alert', () => /retries ↑|failed sets ↑/.test(api.services.alerts.shown?.text ?? ''), 30_000);
      assert.match(api.services.alerts.shown!.tooltip, new RegExp(`Sidekiq Retries \\(${conn}\\): [\\d,]+ jobs, \\+[\\d,]+ over the last 6 samples, never down`));
    } finally {
      stop = true;
      await failing;
      await sidekiq.stop();
      await setting('trends.intervalSeconds', undefined);
    }
  });
});
