// BullMQ in the explorer inside a real VS Code against a real Redis: the real BullMQ (npm) puts
// jobs in several states; once the streams walk found the queue's events stream, the connection
// row gets a BullMQ folder whose queue reads its counts as BullMQ's own getJobCounts() reports
// them, and whose Failed jobs lead with their failed reason.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type Job, Queue, Worker } from 'bullmq';
import * as vscode from 'vscode';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import { desc, label, tree, until } from '../helpers';

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
  let queue: Queue;
  let worker: Worker | undefined;

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    const u = new URL(process.env.REDIS_URL!);
    const connection = { host: u.hostname, port: Number(u.port), maxRetriesPerRequest: null };
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
    await vscode.commands.executeCommand('redisQueues.connection.add', { name: conn, url: process.env.REDIS_URL! });
    await until(`session ${conn}`, () => Boolean(api.services.sessions.get(conn)));
  });
  after(async () => {
    await worker?.close();
    await vscode.commands.executeCommand('redisQueues.connection.remove', conn, { confirm: false });
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
    const delayed = (await kids(await child(q, 'Delayed')))[0]!;
    assert.match(desc(delayed), /^runs in (59m|1h)/);
    // Its events stream, under Streams, says whose it is.
    await api.services.provider.refresh();
    assert.match(desc(await path(conn, 'Streams', `${prefix}:emails:events`)), /^events of BullMQ queue emails · /);
    const waiting = (await kids(await child(q, 'Waiting'))).map((n) => desc(n));
    assert.deepEqual(waiting.map((d) => /"to":"(\w)@/.exec(d)?.[1]), ['a', 'b'], 'the job a worker takes next on top');
  });
});
