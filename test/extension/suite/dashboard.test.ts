// The health dashboard inside a real VS Code against a real Redis: Show Dashboard on a group's
// row opens a webview that draws four uPlot charts from the background samples of its stream (the
// stream is sampled while the dashboard is open, shown in the tree or not), redraws as rounds
// come, and takes another range.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { open, quit } from '../../../src/core/redis/connection';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import type { DashboardPanel } from '../../../src/vscode/dashboard/dashboardPanel';
import { tree, until } from '../helpers';

const EXT = 'redis-queues.redis-queues';
let api: RedisQueuesApi;
const { child } = tree(() => api);

async function setting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('redisQueues').update(key, value, vscode.ConfigurationTarget.Global);
}

describe('(extension) health dashboard', function () {
  this.timeout(90_000);
  let client: Redis;
  const prefix = `dash-${randomUUID().slice(0, 8)}`;
  const conn = `dash-${prefix}`;
  const S = `${prefix}:orders`;

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    client = (await open({ url: process.env.REDIS_URL! })) as Redis;
    await client.xgroup('CREATE', S, 'billing', '$', 'MKSTREAM');
    await setting('streamFilter', `${prefix}:*`);
    await setting('refreshIntervalSeconds', 0);
    await setting('trends.intervalSeconds', 1);
    await vscode.commands.executeCommand('redisQueues.connection.add', { name: conn, url: process.env.REDIS_URL! });
    await until(`session ${conn}`, () => Boolean(api.services.sessions.get(conn)));
  });
  after(async () => {
    for (const p of api.services.dashboards.list()) p.dispose();
    await vscode.commands.executeCommand('redisQueues.connection.remove', conn, { confirm: false });
    for (const k of ['streamFilter', 'refreshIntervalSeconds', 'trends.intervalSeconds']) await setting(k, undefined);
    await client.del(S);
    await quit(client);
  });

  it('Show Dashboard on a group draws its charts from the samples as they come, and takes another range', async () => {
    let stop = false;
    const producing = (async () => {
      while (!stop) {
        await client.xadd(S, '*', 'n', '1');
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      const group = await child(await child(await child(await child(await child(undefined, conn), 'Streams'), S), 'Groups'), 'billing');
      const panel = await vscode.commands.executeCommand<DashboardPanel>('redisQueues.dashboard.show', group);
      assert.equal(panel.panel.title, `Dashboard: ${S} › billing`);
      await until('three rounds drawn in four charts', () => (panel.state.data?.x.length ?? 0) >= 3 && panel.state.shown?.charts === 4, 45_000);
      const shown = panel.state.shown!.text;
      for (const title of ['Messages per second', 'Lag (entries not yet read by the group)', 'Pending (read, not acknowledged)', 'Oldest pending entry, age (s)']) assert.ok(shown.includes(title), `no "${title}" in: ${shown}`);
      const lag = panel.state.data!.charts[1]!.lines[0]!;
      assert.equal(lag.name, 'billing');
      const known = lag.values.filter((v): v is number => v !== null);
      assert.ok(known.at(-1)! > known[0]!, `the lag grows: ${known.join(', ')}`);
      const posts = panel.state.posts;
      panel.handle({ type: 'range', range: '1h' });
      assert.equal(panel.state.data!.range, '1h');
      assert.equal(panel.state.posts, posts + 1);
      // A second Show Dashboard reveals the same panel.
      assert.equal(await vscode.commands.executeCommand<DashboardPanel>('redisQueues.dashboard.show', group), panel);
    } finally {
      stop = true;
      await producing;
    }
  });

  it("Show Dashboard on a list queue's row draws its lists' lengths from the samples, and its row reads its waiting trend", async () => {
    const Q = `${prefix}:emails`;
    await client.lpush(`${Q}:processing`, 'p1');
    await client.lpush(`${Q}:dead`, 'd1');
    try {
      const queue = await child(await child(await child(undefined, conn), 'List queues'), Q);
      const panel = await vscode.commands.executeCommand<DashboardPanel>('redisQueues.dashboard.show', queue);
      assert.equal(panel.panel.title, `Dashboard: ${Q} (list queue)`);
      // Jobs arrive faster than anyone takes them: waiting grows round after round.
      let stop = false;
      const producing = (async () => {
        while (!stop) {
          await client.lpush(Q, 'job');
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      try {
        await until('three rounds drawn in three charts', () => (panel.state.data?.x.length ?? 0) >= 3 && panel.state.shown?.charts === 3, 45_000);
      } finally {
        stop = true;
        await producing;
      }
      const shown = panel.state.shown!.text;
      for (const title of ['Jobs (waiting, processing, dead)', 'Moved to the dead list per second', 'Oldest running job, age (s)']) assert.ok(shown.includes(title), `no "${title}" in: ${shown}`);
      const waiting = panel.state.data!.charts[0]!.lines[0]!.values.filter((v): v is number => v !== null);
      assert.ok(waiting.at(-1)! > waiting[0]!, `waiting grows: ${waiting.join(', ')}`);
      assert.deepEqual(panel.state.data!.charts[0]!.lines[2]!.values.filter((v) => v !== null).slice(-1), [1], 'one dead job');
      // The tree's row, read again, says which way its waiting count goes.
      await api.services.provider.refresh();
      const row = await child(await child(await child(undefined, conn), 'List queues'), Q);
      assert.match(String(row.item().description), /^[\d,]+ waiting ↑ · 1 processing · 1 dead/);
      assert.match(String(row.item().tooltip), /waiting over the last minute: ↑/);
    } finally {
      await client.del(Q, `${Q}:processing`, `${Q}:dead`);
    }
  });

  it("Show Dashboard on the connection's row draws what its sampler watches: the streams' rates, the groups' lag, the list queues' waiting jobs", async () => {
    const panel = await vscode.commands.executeCommand<DashboardPanel>('redisQueues.dashboard.show', await child(undefined, conn));
    assert.equal(panel.panel.title, `Dashboard: ${conn} (connection)`);
    await until('the charts drawn with the stream sampled above', () => (panel.state.data?.charts[1]?.lines ?? []).some((l) => l.name === `${S} › billing`) && (panel.state.shown?.charts ?? 0) >= 4, 30_000);
    assert.ok(panel.state.data!.charts[0]!.lines.some((l) => l.name === S), 'messages in, by stream');
    assert.ok(panel.state.shown!.text.includes('Lag, by group'), panel.state.shown!.text);
  });
});
