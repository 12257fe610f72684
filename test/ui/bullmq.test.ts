// UI tier: BullMQ in the explorer on realistic data from the real BullMQ (npm), in a real VS Code
// (the side bar widened to 460 px): its folder appears once Streams was read, the queue's row
// leads with its counts, Failed lists the failed jobs with their reason. Screenshot: bullmq-tree.
import * as assert from 'node:assert/strict';
import { type Job, Queue, Worker } from 'bullmq';
import { open, quit } from '../../src/core/connection';
import { startSandbox, type Sandbox } from '../../src/core/sandbox';
import { expandRow, screenshot, uiVsCode, waitRows } from './harness';

const CONN = 'shop';

describe('(ui) BullMQ queues in the explorer', function () {
  this.timeout(300_000);
  let redis: Sandbox;
  const queues: Queue[] = [];
  let crashed: Worker | undefined;
  const vs = uiVsCode('bullmq');

  before(async () => {
    redis = await startSandbox();
    const u = new URL(redis.url);
    const connection = { host: u.hostname, port: Number(u.port), maxRetriesPerRequest: null };
    const emails = new Queue('emails', { connection });
    const thumbs = new Queue('thumbnails', { connection });
    queues.push(emails, thumbs);
    const worker = new Worker(
      'emails',
      async (job: Job) => {
        if (String(job.data.to).endsWith('@old.example.com')) throw new Error(`SMTP 550: mailbox ${String(job.data.to)} unavailable`);
        return { messageId: `<${job.id}@mail.example.com>` };
      },
      { connection, concurrency: 4 },
    );
    for (let i = 0; i < 12; i++) await emails.add('welcome', { to: `user${i}@${i % 4 === 0 ? 'old.' : ''}example.com`, template: 'welcome-v2' }, { attempts: 1 });
    const deadline = Date.now() + 30_000;
    while ((await emails.getJobCounts()).completed + (await emails.getJobCounts()).failed < 12) {
      assert.ok(Date.now() < deadline, 'the worker processed the 12 jobs');
      await new Promise((r) => setTimeout(r, 50));
    }
    await worker.close();
    for (let i = 0; i < 5; i++) await emails.add('digest', { to: `user${i}@example.com`, week: 49 });
    await emails.add('reminder', { to: 'user3@example.com' }, { delay: 2 * 60 * 60_000 });
    for (let i = 0; i < 3; i++) await thumbs.add('resize', { image: `img-${i}.jpg`, sizes: [128, 512] });
    await thumbs.pause();
    // A worker that dies holding a job: its lock (2 s) runs out, the job is stalled.
    const reports = new Queue('reports', { connection });
    queues.push(reports);
    const started = new Promise<string>((resolve) => {
      const w = new Worker(
        'reports',
        async (job: Job) => {
          resolve(job.id!);
          await new Promise(() => undefined);
        },
        { connection, lockDuration: 2000 },
      );
      crashed = w;
    });
    await reports.add('monthly', { month: '2026-11' });
    const held = await started;
    await crashed!.close(true);
    const c = await open({ url: redis.url });
    try {
      const lockGone = Date.now() + 30_000;
      while (await c.exists(`bull:reports:${held}:lock`)) {
        assert.ok(Date.now() < lockGone, 'the dead worker\'s lock ran out');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await quit(c);
    }
  });
  after(async () => {
    for (const q of queues) {
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
    await redis?.stop();
  });

  it('the BullMQ folder appears once Streams was read; the queue leads with its counts; Failed jobs lead with their reason', async () => {
    // A side bar widened to 460 px (as users do to read jobs), so that the picture shows whole rows.
    const page = await vs.open({ settings: { 'redisQueues.connections': [{ name: CONN, url: redis.url }], 'redisQueues.refreshIntervalSeconds': 0 }, sidebarWidth: 460 });
    await expandRow(page, CONN);
    await expandRow(page, 'Streams');
    await waitRows(page, 'the BullMQ folder', (rs) => rs.some((r) => r.label === 'BullMQ'));
    await expandRow(page, 'BullMQ');
    await expandRow(page, 'emails');
    await expandRow(page, 'Failed');
    const rows = await waitRows(page, 'the failed jobs', (rs) => rs.filter((r) => /^welcome #\d+$/.test(r.label)).length === 3);
    assert.match(rows.find((r) => r.label === 'emails')!.description, /^3 failed · 5 waiting \(oldest [\dms ]+\) · 0 active · 1 delayed · 9 completed$/);
    assert.match(rows.find((r) => r.label === 'thumbnails')!.description, /^PAUSED · 3 waiting/);
    assert.match(rows.find((r) => r.label === 'reports')!.description, /^⚠ 1 STALLED · 0 waiting · 1 active/);
    assert.ok(rows.filter((r) => /^welcome #\d+$/.test(r.label)).every((r) => /^SMTP 550: mailbox user\d+@old\.example\.com unavailable · /.test(r.description)));
    assert.match(rows.find((r) => r.label === 'bull:emails:events')?.description ?? '', /^events of BullMQ queue emails/);
    await screenshot(page, 'bullmq-tree');
  });
});
