// The sandbox's replicated deployments: a Sentinel set (master + replica + 3 Sentinels) and a
// Cluster with replicas start, serve, fail over and stop (every process gone, folders removed);
// and `redis-queues sandbox --sentinel` / `--cluster --replicas 1` rehearse a kill from stdin.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { open, quit, type RedisClient } from '../../src/core/redis/connection';
import { startSandboxCluster, type SandboxCluster } from '../../src/core/dev/sandbox';
import { startSandboxSentinel, type SandboxSentinel } from '../../src/core/dev/sandboxHa';
import { uniqueKey } from '../support/integrationHooks';
import { until } from '../support/until';

const root = join(__dirname, '..', '..', '..');
const CLI = join(root, 'dist', 'cli.js');

const alive = (pid: number | undefined | null) => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('(integration) sandbox: Sentinel set and Cluster with replicas', function () {
  this.timeout(60_000);
  const clients: RedisClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await quit(c);
  });

  describe('Sentinel set', () => {
    let s: SandboxSentinel | undefined;
    after(async () => s?.stop());

    it('starts (master, replica, 3 Sentinels), serves through the Sentinels, fails over (SENTINEL FAILOVER, then SIGKILL) and stops', async () => {
      s = await startSandboxSentinel({ downAfterMs: 1000 });
      assert.equal(s.sentinels.length, 3);
      assert.equal(s.servers.length, 2);
      assert.match(s.sentinels[0]!, /^127\.0\.0\.1:\d+$/);
      const first = await s.master();
      assert.equal(first, s.servers[0]);
      const key = uniqueKey('sent');
      const c1 = await open(s.connection);
      clients.push(c1);
      await c1.set(key, 'before');
      assert.equal(Number(await c1.call('WAIT', 1, 2000)), 1, 'the replica confirms the write');

      // A planned failover: the replica becomes master with the data; the old master becomes its replica.
      const old = await s.failover();
      assert.equal(old, first);
      const second = await s.waitForNewMaster(old, 15_000);
      assert.notEqual(second, first);
      await s.waitSettled(30_000);
      const c2 = await open(s.connection);
      clients.push(c2);
      assert.equal(await c2.get(key), 'before');
      await c2.set(key, 'after-failover');
      assert.equal(Number(await c2.call('WAIT', 1, 2000)), 1, 'the old master replicates the new one');

      // A crash: SIGKILL of the master; the Sentinels promote the other node; a restart rejoins as replica.
      const killed = await s.killMaster();
      assert.equal(killed, second);
      assert.equal(killed.running, false);
      const third = await s.waitForNewMaster(killed, 20_000);
      assert.equal(third, first);
      await s.restart(killed);
      await s.waitSettled(30_000);
      const c3 = await open(s.connection);
      clients.push(c3);
      assert.equal(await c3.get(key), 'after-failover');

      const pids = [...s.servers, ...s.sentinelNodes].map((x) => x.pid);
      const dir = join(s.servers[0]!.dir, '..');
      assert.ok(pids.every(alive));
      for (const c of clients.splice(0)) await quit(c);
      await s.stop();
      await s.stop(); // twice is fine
      assert.deepEqual(pids.filter(alive), [], 'every process is gone');
      assert.equal(existsSync(dir), false, 'the folders are removed');
      s = undefined;
    });

    it('refuses a quorum above the number of Sentinels before starting anything', async () => {
      await assert.rejects(startSandboxSentinel({ sentinels: 3, quorum: 4 }), /quorum must be between 1 and 3/);
    });
  });

  describe('Cluster with replicas', () => {
    let c: SandboxCluster | undefined;
    after(async () => c?.stop());

    it('starts (3 masters + 3 replicas), serves, fails over a killed master to its replica, takes the node back as a replica, and stops', async () => {
      c = await startSandboxCluster({ masters: 3, replicas: 1, nodeTimeoutMs: 1000 });
      assert.equal(c.nodes.length, 6);
      const topo = await c.topology();
      assert.equal(topo.filter((n) => n.role === 'master').length, 3);
      assert.equal(topo.filter((n) => n.role === 'replica' && n.linkUp).length, 3);
      const key = uniqueKey('clu');
      const master = await c.masterOf(key);
      const [replica] = await c.replicasOf(master);
      assert.ok(replica, 'the master of the key has a replica');
      const client = await open({ url: c.url, mode: 'cluster' });
      clients.push(client);
      await client.set(key, 'v1');
      // Replicated before the kill: WAIT on a direct connection to the master.
      const direct = await open({ url: master.url });
      clients.push(direct);
      await direct.set(key, 'v2');
      assert.equal(Number(await direct.call('WAIT', 1, 2000)), 1);
      await quit(direct);

      await c.kill(master);
      assert.equal(master.running, false);
      const waited = await c.waitOk({ timeoutMs: 20_000, synced: false });
      assert.ok(waited > 0, 'the cluster noticed the failure before it was ok again');
      assert.equal(await c.masterOf(key), replica, 'the replica took over the slot');
      assert.equal(await client.get(key), 'v2', 'the data survived the failover');
      await c.restart(master);
      await c.waitOk({ timeoutMs: 20_000 });
      assert.deepEqual(await c.replicasOf(replica), [master], 'the restarted node is a replica of its replacement');

      // A planned failover back (CLUSTER FAILOVER on the replica).
      await c.failover(master);
      await until('the planned failover', async () => (await c!.masterOf(key)) === master, 15_000);
      await c.waitOk({ timeoutMs: 20_000 });
      assert.equal(await client.get(key), 'v2');

      const pids = c.nodes.map((n) => n.pid);
      const dirs = c.nodes.map((n) => n.dir);
      for (const x of clients.splice(0)) await quit(x);
      await c.stop();
      assert.deepEqual(pids.filter(alive), []);
      assert.deepEqual(dirs.filter((d) => existsSync(d)), []);
      c = undefined;
    });

    it('refuses a cluster of fewer than 3 masters before starting anything', async () => {
      await assert.rejects(startSandboxCluster({ masters: 2 }), /at least 3 masters/);
    });
  });

  describe('CLI: redis-queues sandbox --sentinel / --cluster --replicas 1', () => {
    before(function () {
      if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "node esbuild.js" first`);
    });

    for (const mode of ['sentinel', 'cluster'] as const) {
      it(`--${mode}: prints the deployment, "kill" on stdin fails the master over and restarts it, SIGTERM stops everything`, async () => {
        const args = mode === 'sentinel' ? ['sandbox', '--sentinel', '--down-after', '1000', '--json'] : ['sandbox', '--cluster', '--replicas', '1', '--node-timeout', '1000', '--json'];
        const child = spawn(process.execPath, [CLI, ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
        try {
          const info = await until('the deployment on stdout', () => {
            const line = out.split('\n')[0];
            return line && out.includes('\n') ? (JSON.parse(line) as { url: string; mode: string; sentinels?: string[]; masterName?: string; servers?: { pid: number }[]; sentinelPids?: number[]; nodes?: { pid: number; role: string }[] }) : undefined;
          }, 30_000);
          assert.equal(info.mode, mode);
          const pids = mode === 'sentinel' ? [...info.servers!.map((x) => x.pid), ...info.sentinelPids!] : info.nodes!.map((n) => n.pid);
          assert.equal(pids.length, mode === 'sentinel' ? 5 : 6);
          assert.ok(pids.every(alive));
          const conn = mode === 'sentinel' ? { url: info.url, mode: 'sentinel' as const, sentinel: { masterName: info.masterName!, sentinels: info.sentinels! } } : { url: info.url, mode: 'cluster' as const };
          const client = await open(conn);
          clients.push(client);
          await client.set('{k}', '1');
          // Replication is asynchronous: the key must be on the replica before its master is killed,
          // or the promoted replica rightly lacks it (WAIT on every master: the cluster client has several).
          const masters = 'nodes' in client ? client.nodes('master') : [client];
          for (const m of masters) assert.equal(Number(await m.call('WAIT', 1, 5000)), 1, 'the replica confirms the write');
          child.stdin!.write('kill\n');
          await until('"settled" on stderr', () => /settled .* after the kill/.test(err), 30_000);
          // A command in flight while the client moves to the new master may fail with a transient
          // error ("Connection is closed."): callers retry those (QueueError.transient), so does this.
          await until('the key read on the new master', () => client.get('{k}').then((v) => v === '1', () => false), 30_000);
          child.stdin!.write('status\n');
          await until('a status line', () => (mode === 'sentinel' ? /^master redis:\/\//m : /^\d+ (master|replica of \d+), /m).test(err.split('settled').pop()!), 10_000);
          await quit(client);
          clients.splice(0);
          child.kill('SIGTERM');
          assert.equal(await exited, 0, err);
          assert.match(err, /sandbox stopped/);
          assert.deepEqual(pids.filter(alive), [], 'every process is gone');
        } finally {
          if (child.exitCode === null) child.kill('SIGKILL');
        }
      });
    }
  });
});
