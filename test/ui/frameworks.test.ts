// UI tier: RQ, Sidekiq and Celery in the explorer on realistic data from the real frameworks
// (Debian's python3-rq, ruby-sidekiq, python3-celery), in a real VS Code (the side bar widened to
// 460 px): each framework's folder on the connection row, its queues and sets leading with
// trouble, failed jobs with their error. Screenshots: rq-tree, sidekiq-tree, celery-tree.
import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { open, quit, type RedisClient } from '../../src/core/redis/connection';
import { celerySend, killWorker, startCeleryWorker, unackedOf } from '../support/celery';
import { rqFailed, run, FIXTURES as RQ_FIXTURES, PY } from '../support/rqPython';
import { sidekiqSeed, startSidekiq } from '../support/sidekiq';
import { until } from '../support/until';
import { expandRow, screenshot, waitRows } from './harness';
import { uiSuite } from './suite';

const CONN = 'shop';

uiSuite('(ui) RQ, Sidekiq and Celery in the explorer', { name: 'frameworks', timeout: 300_000, redis: true }, (ctx) => {
  let client: RedisClient;
  let sidekiq: ReturnType<typeof startSidekiq> | undefined;
  let celeryWorker: ChildProcess | undefined;
  let rqWorkers: number[] = [];
  const vs = ctx.vs;

  before(async () => {
    client = await open({ url: ctx.redis.url });
    // RQ: a queue in every state (a worker holds one job, another died holding one), and 3 failed
    // jobs in a second queue.
    const { stdout } = await run(PY, [join(RQ_FIXTURES, 'produce.py'), ctx.redis.url, 'emails'], { maxBuffer: 16 << 20 });
    rqWorkers = (JSON.parse(stdout.trim().split('\n').at(-1)!) as { workers: number[] }).workers;
    await rqFailed(ctx.redis.url, 'thumbnails', 3);
    // Sidekiq: jobs waiting in two queues, scheduled ones, and a real process failing some into
    // Retries and Dead.
    sidekiq = startSidekiq(ctx.redis.url, ['critical'], 2);
    await sidekiqSeed(ctx.redis.url, [
      ...Array.from({ length: 6 }, (_, i) => ({ via: 'async' as const, args: ['ok', { user_id: 1000 + i, template: 'welcome' }], opts: { queue: 'mailers' } })),
      ...Array.from({ length: 2 }, (_, i) => ({ via: 'async' as const, args: ['ok', `invoice-${i}`], opts: { queue: 'default' } })),
      { via: 'in', seconds: 3 * 3600, args: ['ok', 'weekly-digest'], opts: { queue: 'mailers' } },
      { via: 'in', seconds: 20 * 60, args: ['ok', 'reminder'], opts: { queue: 'mailers' } },
      ...Array.from({ length: 3 }, (_, i) => ({ via: 'async' as const, args: ['fail', { order_id: 7700 + i }], opts: { queue: 'critical', retry: 5, backtrace: true } })),
      { via: 'async', args: ['fail', { order_id: 7799 }], opts: { queue: 'critical', retry: 0 } },
    ]);
    await until('3 retries and 1 dead', async () => (await client.zcard('retry')) === 3 && (await client.zcard('dead')) === 1, 30_000);
    await sidekiq.stop();
    sidekiq = undefined;
    // Celery: tasks waiting, and a worker SIGKILLed while it held 3 (reserved, unacknowledged).
    const tmp = join(__dirname, '..', '..', '..', '.test-output', 'ui-celery');
    await celerySend(ctx.redis.url, Array.from({ length: 4 }, (_, i) => ({ task: 'fx.record', queue: 'reports', args: [`2026-11-${10 + i}`, { format: 'pdf' }] })), tmp);
    const held = await celerySend(ctx.redis.url, [{ task: 'fx.block', queue: 'exports', args: ['celery-fx-gate:ui'] }, ...Array.from({ length: 2 }, (_, i) => ({ task: 'fx.record', queue: 'exports', args: [`export-${i}`] }))], tmp);
    celeryWorker = startCeleryWorker(ctx.redis.url, 'exports', 3);
    await until('the Celery worker holds 3 tasks', async () => (await unackedOf(client, 'exports')).length === held.length, 30_000);
    await killWorker(celeryWorker);
    celeryWorker = undefined;
  });
  after(async () => {
    for (const pid of rqWorkers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await sidekiq?.stop();
    if (celeryWorker) await killWorker(celeryWorker);
    if (client) await quit(client);
  });

  it('each framework has its folder; queues and sets lead with trouble; failed jobs with their error', async () => {
    const page = await vs.open({
      settings: { 'redisQueues.connections': [{ name: CONN, url: ctx.redis.url }], 'redisQueues.refreshIntervalSeconds': 0, 'redisQueues.frameworks.prefixes': { celery: ['celery', 'reports', 'exports'] } },
      sidebarWidth: 460,
    });
    await expandRow(page, CONN);
    await waitRows(page, 'the framework folders', (rs) => ['RQ', 'Sidekiq', 'Celery'].every((f) => rs.some((r) => r.label === f)));

    await expandRow(page, 'RQ');
    await expandRow(page, 'thumbnails');
    await expandRow(page, 'Failed');
    let rows = await waitRows(page, 'the failed RQ jobs', (rs) => rs.filter((r) => /^tasks\.flaky #/.test(r.label)).length === 3);
    assert.match(rows.find((r) => r.label === 'emails')!.description, /^⚠ 1 ABANDONED · .*queued/);
    assert.match(rows.find((r) => r.label === 'thumbnails')!.description, /^3 failed · 0 queued$/);
    assert.ok(rows.filter((r) => /^tasks\.flaky #/.test(r.label)).every((r) => /^ValueError: flaky: .* is set · /.test(r.description)));
    await screenshot(page, 'rq-tree');
    await expandRow(page, 'RQ'); // collapse

    await expandRow(page, 'Sidekiq');
    await expandRow(page, 'Retries');
    rows = await waitRows(page, 'the Sidekiq retries', (rs) => rs.filter((r) => r.label.startsWith('TestJob #')).length === 3);
    assert.match(rows.find((r) => r.label === 'mailers')!.description, /^6 enqueued \(oldest [\dms ]+\)$/);
    assert.match(rows.find((r) => r.label === 'Retries')!.description, /3 jobs$/);
    assert.match(rows.find((r) => r.label === 'Dead')!.description, /1 job$/);
    assert.ok(rows.filter((r) => r.label.startsWith('TestJob #')).every((r) => /^ArgumentError: SMTP 550: mailbox \S+ unavailable · queue critical · retries in/.test(r.description)));
    await screenshot(page, 'sidekiq-tree');
    await expandRow(page, 'Sidekiq');

    await expandRow(page, 'Celery');
    await expandRow(page, 'exports');
    await expandRow(page, 'Reserved');
    rows = await waitRows(page, 'the reserved Celery tasks', (rs) => rs.filter((r) => /^fx\.(block|record) #/.test(r.label)).length === 3);
    assert.match(rows.find((r) => r.label === 'reports')!.description, /^4 waiting$/);
    assert.match(rows.find((r) => r.label === 'exports')!.description, /3 reserved/);
    await screenshot(page, 'celery-tree');
  });
});
