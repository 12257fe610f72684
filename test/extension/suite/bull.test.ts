// Legacy Bull 3/4 queues in the explorer inside a real VS Code against a real Redis: the real
// `bull` (npm) puts jobs in several states; once the list-queue walk met the queue's lists, the
// connection row gets a Bull folder whose queue reads its counts as Bull's own getJobCounts()
// reports them, in Bull's states, and whose lists are not shown as list queues.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import Bull from 'bull';
import * as vscode from 'vscode';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import { desc, label, tree, until } from '../helpers';

const EXT = 'redis-queues.redis-queues';
let api: RedisQueuesApi;
const { kids, child, path } = tree(() => api);

async function setting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('redisQueues').update(key, value, vscode.ConfigurationTarget.Global);
}

describe('(extension) Bull 3/4 queues in the explorer', function () {
  this.timeout(90_000);
  const prefix = `b3${randomUUID().slice(0, 8)}`;
  const conn = `bull3-${prefix}`;
  let queue: Bull.Queue;

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    const u = new URL(process.env.REDIS_URL!);
    queue = new Bull('emails', { redis: { host: u.hostname, port: Number(u.port) }, prefix });
    // (Bull runs a named job only by a processor of its name, or '*'.)
    void queue.process('*', 1, async (job: Bull.Job) => {
      throw new Error(`SMTP 550: mailbox ${String(job.data.to)} unavailable`);
    });
    await queue.add('send', { to: 'bad@example.com' }, { attempts: 1 });
    await until('one failed job', async () => (await queue.getJobCounts()).failed === 1);
    await queue.pause(true);
    await queue.add('send', { to: 'a@example.com' });
    await queue.add('send', { to: 'b@example.com' });
    await queue.add('urgent', { to: 'c@example.com' }, { priority: 1 });
    await queue.add('reminder', { to: 'd@example.com' }, { delay: 60 * 60_000 });
    await setting('streamFilter', `${prefix}:*`);
    await setting('refreshIntervalSeconds', 0);
    await vscode.commands.executeCommand('redisQueues.connection.add', { name: conn, url: process.env.REDIS_URL! });
    await until(`session ${conn}`, () => Boolean(api.services.sessions.get(conn)));
  });
  after(async () => {
    await vscode.commands.executeCommand('redisQueues.connection.remove', conn, { confirm: false });
    for (const k of ['streamFilter', 'refreshIntervalSeconds']) await setting(k, undefined);
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  });

  it('once the list walk met its lists, the connection shows a Bull folder with the queue as Bull counts it (its lists not as list queues)', async () => {
    // The walk runs when List queues is read; the connection row then gets its Bull folder.
    const lists = await kids(await path(conn, 'List queues'));
    assert.deepEqual(lists.map(label).filter((l) => l.startsWith(prefix)), [], 'Bull\'s lists are no list queues');
    let folder: Awaited<ReturnType<typeof child>> | undefined;
    await until('the Bull folder', async () => {
      folder = (await kids(await child(undefined, conn))).find((n) => label(n) === 'Bull');
      return folder !== undefined;
    });
    assert.equal(desc(folder!), '1 queue · 1 failed');
    const q = await child(folder!, 'emails');
    const c = await queue.getJobCounts();
    assert.match(desc(q), new RegExp(`^${c.failed} failed · ${c.waiting} waiting \\(oldest [\\dms ]+\\) · ${c.active} active · ${c.delayed} delayed · ${c.completed} completed$`));
    assert.match(desc(q), /^1 failed · 3 waiting \(oldest [\dms ]+\) · 0 active · 1 delayed · 0 completed$/);
    assert.equal(q.item().contextValue, 'bull3Queue;hasFailed', 'no BullMQ command applies');
    assert.match(String(q.item().tooltip), /^Bull 3\/4 queue emails /);
    const states = (await kids(q)).map((n) => `${label(n)}: ${desc(n).split(' · ')[0]}`);
    assert.deepEqual(states, ['Waiting: 3', 'Active: 0', 'Delayed: 1', 'Completed: 0', 'Failed: 1'], 'Bull\'s states (no Prioritized: Bull keeps those jobs in waiting)');
    const failed = (await kids(await child(q, 'Failed')))[0]!;
    assert.match(label(failed), /^send #1$/);
    assert.match(desc(failed), /^SMTP 550: mailbox bad@example\.com unavailable · .* ago · 1 attempt · \{"to":"bad@example\.com"\}$/);
    assert.equal(failed.item().contextValue, 'bull3Job;failed');
    const waiting = (await kids(await child(q, 'Waiting'))).map((n) => desc(n));
    assert.deepEqual(waiting.map((d) => /"to":"(\w)@/.exec(d)?.[1]), ['c', 'a', 'b'], 'the job a worker takes next on top: the prioritized one');
    assert.match(waiting[0]!, /^priority 1 · /);
  });
});
