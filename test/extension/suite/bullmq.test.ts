// BullMQ in the explorer inside a real VS Code against a real Redis: the real BullMQ (npm) puts
// jobs in several states; once the streams walk found the queue's events stream, the connection
// row gets a BullMQ folder whose queue reads its counts as BullMQ's own getJobCounts() reports
// them, and whose Failed jobs lead with their failed reason; its job schedulers under Repeatable.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Job, Queue, Worker } from 'bullmq';
import * as vscode from 'vscode';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import { commandFailure, desc, label, scripted, tree, until } from '../helpers';

const EXT = 'redis-queues.redis-queues';
let api: RedisQueuesApi;
const { kids, child, path } = tree(() => api);

async function setting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('redisQueues').update(key, value, vscode.ConfigurationTarget.Global);
}

describe('(extension) BullMQ queues in the explorer', function () {
  this.timeout(90_000);
  const prefix = `bq${randomUUID().slice(0, 8)}`;
  const conn = `bullmq-${prefix}`;
  const ro = `bullmq-ro-${prefix}`;
  let connection: { host: string; port: number; maxRetriesPerRequest: null };
  let queue: Queue;
  let worker: Worker | undefined;

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    const u = new URL(process.env.REDIS_URL!);
    connection = { host: u.hostname, port: Number(u.port), maxRetriesPerRequest: null };
    queue = new Queue('emails', { connection, prefix });
    worker = new Worker(
      'emails',
      async (job: Job) => {
        throw new Error(`SMTP 550: mailbox ${String(job.data.to)} unavailable`);
      },
      { connection, prefix },
    );
    await queue.add('send', { to: 'bad@example.com' }, { attempts: 1 });
    await until('one failed job', async () => (await queue.getJobCounts()).failed === 1);
    await worker.close();
    worker = undefined;
    await queue.add('send', { to: 'a@example.com' });
    await queue.add('send', { to: 'b@example.com' });
    await queue.add('reminder', { to: 'c@example.com' }, { delay: 60 * 60_000 });
    await setting('streamFilter', `${prefix}:*`);
    await setting('refreshIntervalSeconds', 0);
    for (const [name, extra] of [[conn, {}], [ro, { readOnly: true }]] as const) {
      await vscode.commands.executeCommand('redisQueues.connection.add', { name, url: process.env.REDIS_URL!, ...extra });
      await until(`session ${name}`, () => Boolean(api.services.sessions.get(name)));
    }
  });
  after(async () => {
    await worker?.close();
    for (const name of [conn, ro]) await vscode.commands.executeCommand('redisQueues.connection.remove', name, { confirm: false });
    for (const k of ['streamFilter', 'refreshIntervalSeconds']) await setting(k, undefined);
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  });

  it('once the streams walk found its events stream, the connection shows a BullMQ folder with the queue as BullMQ counts it', async () => {
    // The walk runs when Streams is read; the connection row then gets its BullMQ folder.
    await kids(await path(conn, 'Streams'));
    let folder: Awaited<ReturnType<typeof child>> | undefined;
    await until('the BullMQ folder', async () => {
      folder = (await kids(await child(undefined, conn))).find((n) => label(n) === 'BullMQ');
      return folder !== undefined;
    });
    assert.equal(desc(folder!), '1 queue · 1 failed');
    const q = await child(folder!, 'emails');
    const c = await queue.getJobCounts();
    assert.match(desc(q), new RegExp(`^${c.failed} failed · ${c.waiting} waiting \\(oldest [\\dms ]+\\) · ${c.active} active · ${c.delayed} delayed · ${c.completed} completed$`));
    assert.match(desc(q), /^1 failed · 2 waiting \(oldest [\dms ]+\) · 0 active · 1 delayed · 0 completed$/);
    const states = (await kids(q)).map((n) => `${label(n)}: ${desc(n).split(' · ')[0]}`);
    assert.deepEqual(states, ['Waiting: 2', 'Active: 0', 'Delayed: 1', 'Prioritized: 0', 'Waiting children: 0', 'Completed: 0', 'Failed: 1']);
    const failed = (await kids(await child(q, 'Failed')))[0]!;
    assert.match(label(failed), /^send #\d+$/);
    assert.match(desc(failed), /^SMTP 550: mailbox bad@example\.com unavailable · .* ago · 1 attempt · \{"to":"bad@example\.com"\}$/);
    assert.match(String(failed.item().tooltip), /stack trace \(last failure\):\nError: SMTP 550/);
    // Its history, from the queue's events stream: added, waiting, active, failed with its reason, its attempts exhausted.
    const h = await vscode.commands.executeCommand<{ events: Array<{ event: string; fields: [string, string][] }>; complete: boolean }>('redisQueues.bullmq.history', failed);
    assert.deepEqual(h.events.map((e) => e.event), ['added', 'waiting', 'active', 'failed', 'retries-exhausted']);
    assert.deepEqual(h.events[3]!.fields.find(([k]) => k === 'failedReason'), ['failedReason', 'SMTP 550: mailbox bad@example.com unavailable']);
    assert.equal(h.complete, true);
    assert.match(vscode.window.activeTextEditor!.document.getText(), /^BullMQ job \d+ \(send\) of queue emails: 5 events in .*\n[\s\S]*  failed +.*failedReason=SMTP 550/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    const delayed = (await kids(await child(q, 'Delayed')))[0]!;
    assert.match(desc(delayed), /^runs in (59m|1h)/);
    // Its events stream, under Streams, says whose it is.
    await api.services.provider.refresh();
    assert.match(desc(await path(conn, 'Streams', `${prefix}:emails:events`)), /^events of BullMQ queue emails · /);
    const waiting = (await kids(await child(q, 'Waiting'))).map((n) => desc(n));
    assert.deepEqual(waiting.map((d) => /"to":"(\w)@/.exec(d)?.[1]), ['a', 'b'], 'the job a worker takes next on top');
  });

  /** The BullMQ folder's queue row of a connection, read again. */
  async function queueRow(name: string) {
    await api.services.provider.refresh();
    await kids(await path(name, 'Streams'));
    let folder: Awaited<ReturnType<typeof child>> | undefined;
    await until('the BullMQ folder', async () => {
      folder = (await kids(await child(undefined, name))).find((n) => label(n) === 'BullMQ');
      return folder !== undefined;
    });
    return child(folder!, 'emails');
  }
  const jobRows = async (name: string, state: string) => kids(await child(await queueRow(name), state));

  it('on a read-only connection every BullMQ action is refused before anything is asked or sent', async () => {
    const failed = (await jobRows(ro, 'Failed'))[0]!;
    const row = await queueRow(ro);
    const before = await queue.getJobCounts();
    for (const [cmd, node] of [
      ['redisQueues.bullmq.retry', failed],
      ['redisQueues.bullmq.remove', failed],
      ['redisQueues.bullmq.clean', await child(row, 'Failed')],
      ['redisQueues.bullmq.pause', row],
    ] as const) {
      const ui = scripted([]);
      api.services.ui = ui;
      const e = await commandFailure(api, () => vscode.commands.executeCommand(cmd, node, [node]), cmd);
      assert.match(e.message, /read-only: .* was refused before anything was sent/, cmd);
      assert.equal(ui.asked.length, 0, `${cmd} asked before refusing`);
    }
    assert.deepEqual(await queue.getJobCounts(), before, 'nothing changed');
    assert.equal(await queue.isPaused(), false);
  });

  it("Find Jobs by a value in a job's data, and Export Jobs of a state (on the read-only connection), as BullMQ's getJobs() lists them", async () => {
    const waiting = await child(await queueRow(ro), 'Waiting');
    const found = await vscode.commands.executeCommand<{ hits: Array<{ id: string; args?: string }>; stopped: string }>('redisQueues.frameworks.findJobs', waiting, { text: 'B@EXAMPLE', open: false });
    const theirs = await queue.getJobs(['waiting'], 0, -1, true);
    assert.deepEqual(found.hits.map((h) => h.id), theirs.filter((j) => j.data.to === 'b@example.com').map((j) => j.id));
    assert.equal(found.stopped, 'end');
    const failed = await child(await queueRow(ro), 'Failed');
    const dir = join(__dirname, '..', '..', '..', '..', '.test-output', 'ext-export');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `bullmq-failed-${prefix}.ndjson`);
    const r = await vscode.commands.executeCommand<{ written: number }>('redisQueues.frameworks.exportJobs', failed, { file });
    const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual((head!['redis-queues-jobs'] as Record<string, unknown>).framework, 'bullmq');
    const failedJobs = await queue.getJobs(['failed'], 0, -1, false);
    assert.equal(r.written, failedJobs.length);
    assert.deepEqual(
      lines.map((j) => [j.id, j.title, JSON.parse(String(j.args)), j.error]),
      failedJobs.map((j) => [j.id, j.name, j.data, j.failedReason]),
    );
  });

  it('Retry on a failed job: BullMQ moves it back to waiting, and its worker then runs it once; Promote runs a delayed job now', async () => {
    const failed = (await jobRows(conn, 'Failed'))[0]!;
    const failedId = (failed as unknown as { job: { id: string } }).job.id;
    let ui = scripted([true]);
    api.services.ui = ui;
    const r = await vscode.commands.executeCommand<{ done: string[]; skipped: unknown[] }>('redisQueues.bullmq.retry', failed, [failed]);
    assert.deepEqual(r, { done: [failedId], skipped: [] });
    assert.match(ui.asked[0]!.text, /^Retry 1 job of BullMQ queue "emails"\? BullMQ moves them back to waiting/);
    assert.equal(await (await queue.getJob(failedId))!.getState(), 'waiting');
    const delayed = (await jobRows(conn, 'Delayed'))[0]!;
    const delayedId = (delayed as unknown as { job: { id: string } }).job.id;
    ui = scripted([true]);
    api.services.ui = ui;
    assert.deepEqual(await vscode.commands.executeCommand('redisQueues.bullmq.promote', delayed, [delayed]), { done: [delayedId], skipped: [] });
    // BullMQ's own worker: every job runs once, the retried and the promoted among them.
    const runs = new Map<string, number>();
    worker = new Worker(
      'emails',
      async (job: Job) => {
        runs.set(job.id!, (runs.get(job.id!) ?? 0) + 1);
        return 'sent';
      },
      { connection, prefix },
    );
    await until('4 jobs completed', async () => (await queue.getJobCounts()).completed === 4);
    await worker.close();
    worker = undefined;
    assert.equal(runs.get(failedId), 1, 'the retried job ran once');
    assert.equal(runs.get(delayedId), 1, 'the promoted job ran now, once');
    assert.deepEqual([...runs.values()], [1, 1, 1, 1]);
    // A job that moved meanwhile is skipped, and said so: the failed row is stale now.
    ui = scripted([true]);
    api.services.ui = ui;
    assert.deepEqual(await vscode.commands.executeCommand('redisQueues.bullmq.retry', failed, [failed]), { done: [], skipped: [{ id: failedId, reason: 'now completed' }] });
    assert.match(ui.infos.at(-1)!, /^Retried 0 jobs; left as they were: #\d+ \(now completed\)\.$/);
  });

  it('Pause and Resume the queue, Clean its completed jobs, Remove a job: as BullMQ reports them after', async () => {
    api.services.ui = scripted([true]);
    await vscode.commands.executeCommand('redisQueues.bullmq.pause', await queueRow(conn));
    assert.equal(await queue.isPaused(), true);
    const paused = await queueRow(conn);
    assert.match(desc(paused), /^PAUSED · /);
    api.services.ui = scripted([true]);
    await vscode.commands.executeCommand('redisQueues.bullmq.resume', paused);
    assert.equal(await queue.isPaused(), false);
    await queue.add('send', { to: 'z@example.com' });
    const waiting = (await jobRows(conn, 'Waiting'))[0]!;
    api.services.ui = scripted([true]);
    const removed = await vscode.commands.executeCommand<{ done: string[] }>('redisQueues.bullmq.remove', waiting, [waiting]);
    assert.equal(removed!.done.length, 1);
    assert.equal(await queue.getJob(removed!.done[0]!), undefined);
    const ui = scripted(['0', true]);
    api.services.ui = ui;
    const cleaned = await vscode.commands.executeCommand<string[]>('redisQueues.bullmq.clean', await child(await queueRow(conn), 'Completed'));
    assert.equal(cleaned!.length, 4);
    assert.match(ui.asked[1]!.text, /^Remove the completed jobs of BullMQ queue "emails" that finished over 0 s ago \(of 4 completed jobs; at most 10,000 jobs\)\?/);
    assert.equal((await queue.getJobCounts()).completed, 0);
  });

  // Added last, so that the jobs they make change none of the figures above.
  it('its job schedulers (upsertJobScheduler) under Repeatable beside Delayed, next run first as getJobSchedulers() lists them', async () => {
    await queue.upsertJobScheduler('nightly', { pattern: '0 3 * * *', tz: 'Europe/Paris' }, { name: 'digest', data: { kind: 'digest' } });
    await queue.upsertJobScheduler('every-5m', { every: 5 * 60_000 });
    const q = await queueRow(conn);
    assert.doesNotMatch(desc(q), /repeat|schedul/i, 'the queue row stays short');
    assert.match(String(q.item().tooltip), /\nrepeatable \(job schedulers\): 2\n/);
    const states = (await kids(q)).map((n) => `${label(n)}: ${desc(n).split(' · ')[0]}`);
    assert.equal(states[states.findIndex((s) => s.startsWith('Delayed:')) + 1], 'Repeatable: 2');
    const rows = await kids(await child(q, 'Repeatable'));
    const theirs = await queue.getJobSchedulers(0, -1, true);
    assert.deepEqual(rows.map(label), theirs.map((s) => s.key));
    const by = Object.fromEntries(rows.map((n) => [label(n), n]));
    assert.match(desc(by['every-5m']!), /^every 5m · (next in|due) [\dms ]+/);
    assert.match(desc(by.nightly!), /^0 3 \* \* \* · next in [\dhms ]+ · digest$/);
    const tip = String(by.nightly!.item().tooltip);
    assert.match(tip, /^BullMQ job scheduler nightly\njobs named: digest\npattern: 0 3 \* \* \*\ntime zone: Europe\/Paris\nnext run: /);
    assert.match(tip, /\ndata: \{"kind":"digest"\}\n/);
    assert.ok(tip.includes(`its next job: repeat:nightly:${theirs.find((s) => s.key === 'nightly')!.next}`));
  });
});
