// UI tier: BullMQ in the explorer on realistic data from the real BullMQ (npm), in a real VS Code
// (the side bar widened to 460 px): its folder appears once Streams was read, the queue's row
// leads with its counts, Failed lists the failed jobs with their reason. Screenshot: bullmq-tree.
// And a legacy Bull 3/4 queue (npm `bull`) beside them: its Bull folder appears once the List
// queues walk met its lists, in Bull's states. Screenshot: bull-tree.
import * as assert from 'node:assert/strict';
import { type Job, Queue, Worker } from 'bullmq';
import Bull from 'bull';
import { open, quit } from '../../src/core/redis/connection';
import { collapseRow, expandRow, screenshot, waitRows } from './harness';
import { uiSuite } from './suite';
import { until } from '../support/until';

const CONN = 'shop';

uiSuite('(ui) BullMQ queues in the explorer', { name: 'bullmq', timeout: 300_000, redis: true }, (ctx) => {
  const queues: Queue[] = [];
  let crashed: Worker | undefined;
  let legacy: Bull.Queue | undefined;
  const vs = ctx.vs;

  before(async () => {
    const u = new URL(ctx.redis.url);
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
    // A legacy Bull queue (another app of the same shop, on Bull 4): invoices failed and done, some waiting.
    legacy = new Bull('invoices', { redis: { host: u.hostname, port: Number(u.port) } });
    void legacy.process('*', 2, async (job: Bull.Job) => {
      if (job.data.customer === 'acme') throw new Error('PDF renderer timed out after 30000 ms');
      return { pages: 2 };
    });
    for (let i = 0; i < 6; i++) await legacy.add('render', { customer: i % 3 === 0 ? 'acme' : `c${i}`, invoice: `INV-${1040 + i}` }, { attempts: 1 });
    await until('Bull processed the 6 invoices', async () => {
      const n = await legacy!.getJobCounts();
      return n.completed + n.failed === 6;
    }, 30_000);
    await legacy.pause(true);
    for (let i = 0; i < 3; i++) await legacy.add('render', { customer: `c${10 + i}`, invoice: `INV-${1050 + i}` });
    const held = await started;
    await crashed!.close(true);
    const c = await open({ url: ctx.redis.url });
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
    await legacy?.obliterate({ force: true }).catch(() => undefined);
    await legacy?.close().catch(() => undefined);
    for (const q of queues) {
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
  });

  it('the BullMQ folder appears once Streams was read; the queue leads with its counts; Failed jobs lead with their reason', async () => {
    // A side bar widened to 460 px (as users do to read jobs), so that the picture shows whole rows.
    const page = await vs.open({ settings: { 'redisQueues.connections': [{ name: CONN, url: ctx.redis.url }], 'redisQueues.refreshIntervalSeconds': 0 }, sidebarWidth: 460 });
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
    // Bull 3/4: found among the lists the List queues walk meets.
    await collapseRow(page, 'BullMQ');
    await collapseRow(page, 'Streams');
    await expandRow(page, 'List queues');
    await waitRows(page, 'the Bull folder', (rs) => rs.some((r) => r.label === 'Bull'));
    await collapseRow(page, 'List queues');
    await expandRow(page, 'Bull');
    await expandRow(page, 'invoices');
    await expandRow(page, 'Failed');
    const bull = await waitRows(page, 'the failed invoices', (rs) => rs.filter((r) => /^render #\d+$/.test(r.label)).length === 2);
    const counts = (await legacy!.getJobCounts()) as unknown as Record<string, number>;
    assert.match(bull.find((r) => r.label === 'invoices')!.description, new RegExp(`${counts.failed} failed · ${counts.waiting! + (counts.paused ?? 0)} waiting`));
    assert.ok(bull.filter((r) => /^render #\d+$/.test(r.label)).every((r) => /^PDF renderer timed out after 30000 ms · /.test(r.description)));
    await screenshot(page, 'bull-tree');
  });
});
