// A throwaway Redis Sentinel deployment on loopback: one master, its replicas and a set of
// Sentinels that fail it over, for tests, fault drills and rehearsals (`redis-queues sandbox
// --sentinel`). The Cluster with replicas lives in sandbox.ts (startSandboxCluster).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from '../redis/connection';
import { QueueError } from '../redis/errors';
import { freePort, nodeCommand, nodeInfo, startSandbox, type Persistence, type Sandbox } from './sandbox';

const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface SandboxSentinelOptions {
  /** The name the Sentinels monitor the master under. Default `sandbox`. */
  masterName?: string;
  /** Replicas of the master. Default 1. */
  replicas?: number;
  /** Sentinels. Default 3. */
  sentinels?: number;
  /** Sentinels that must agree the master is down before a failover. Default 2. */
  quorum?: number;
  /** `down-after-milliseconds`: how long the master may not answer before it counts as down. Default 2000. */
  downAfterMs?: number;
  /**
   * `failover-timeout`, ms. Default 3000 (Sentinel's own is 3 minutes): a failover that stalls is
   * retried soon, and Sentinel may fail the same master over again 2 × this after the last one.
   */
  failoverTimeoutMs?: number;
  /** Persistence of the data nodes. Default 'none'. */
  persistence?: Persistence;
  /** Path of redis-server (also runs the Sentinels). Default from `REDIS_SERVER` or PATH. */
  redisServer?: string;
}

/** A running Sentinel deployment. Always stop it. */
export interface SandboxSentinel {
  readonly masterName: string;
  /** `127.0.0.1:port` of every Sentinel (for `ConnectionOptions.sentinel.sentinels`). */
  readonly sentinels: string[];
  readonly sentinelNodes: Sandbox[];
  /** The data nodes; `servers[0]` was the master at start (roles change with failovers: see {@link master}). */
  readonly servers: Sandbox[];
  /** `redis://127.0.0.1:<first Sentinel>`. */
  readonly url: string;
  /** Connection options for the deployment's master, through its Sentinels (mode `sentinel`). */
  readonly connection: ConnectionOptions;
  /** The data node on a port, if it is one of this deployment's. */
  serverAt(port: number): Sandbox | undefined;
  /** The master as most running Sentinels name it (`SENTINEL GET-MASTER-ADDR-BY-NAME`). */
  master(): Promise<Sandbox>;
  /**
   * `SENTINEL FAILOVER <name>`: a Sentinel promotes a replica at once, without agreement (the
   * old master keeps running and accepting writes until the Sentinels turn it into a replica,
   * several seconds later). Resolves to the master before the failover, once a Sentinel accepted it.
   */
  failover(): Promise<Sandbox>;
  /** Sends a signal (default SIGKILL: a crash) to the current master; resolves to it once the process is gone. */
  killMaster(signal?: NodeJS.Signals): Promise<Sandbox>;
  /** Waits until the Sentinels agree on a master other than `old` and it says it is one; resolves to it. */
  waitForNewMaster(old: Sandbox, timeoutMs?: number): Promise<Sandbox>;
  /**
   * Starts a killed or stopped data node again (same port and folder). When another node is the
   * master by then, it is made a replica of it at once (a restarted master without persistence is
   * empty: left a master, a replica could sync from it and lose everything).
   */
  restart(server: Sandbox): Promise<void>;
  /**
   * Waits until the deployment is settled: the running Sentinels agree on the master, it says it
   * is one, and every other running data node is its replica with its link up. Resolves to the
   * time waited, ms; rejects after `timeoutMs` (default 30 000) with what was still missing.
   */
  waitSettled(timeoutMs?: number): Promise<number>;
  /** Stops the Sentinels, then the data nodes, and removes their folders. Safe to call twice. */
  stop(): Promise<void>;
}

/** Free ports, all different. */
async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const p = await freePort();
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

/** A flat `[name, value, ...]` reply as a record. */
function record(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const a = Array.isArray(reply) ? reply : [];
  for (let i = 0; i + 1 < a.length; i += 2) out[String(a[i])] = String(a[i + 1]);
  return out;
}

async function until(what: string, timeoutMs: number, check: () => Promise<string>): Promise<number> {
  const started = Date.now();
  for (;;) {
    let missing: string;
    try {
      missing = await check();
    } catch (e) {
      missing = (e as Error).message;
    }
    if (!missing) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new QueueError('REDIS', `${what} after ${timeoutMs} ms: ${missing}`);
    await sleepMs(100);
  }
}

/**
 * Starts a Sentinel deployment on free loopback ports, each process in its own folder under one
 * temporary folder: a master, `replicas` replicas (default 1), and `sentinels` Sentinels (default
 * 3, quorum 2, `down-after-milliseconds` 2000, `failover-timeout` 3000). Resolves once the
 * replicas have synced and every Sentinel knows the replicas and the other Sentinels (so a
 * failover can start at once). A failure while starting stops everything it started.
 */
export async function startSandboxSentinel(options: SandboxSentinelOptions = {}): Promise<SandboxSentinel> {
  const masterName = options.masterName ?? 'sandbox';
  const replicas = options.replicas ?? 1;
  const sentinelCount = options.sentinels ?? 3;
  const quorum = options.quorum ?? 2;
  const downAfter = options.downAfterMs ?? 2000;
  const failoverTimeout = options.failoverTimeoutMs ?? 3000;
  if (!/^[A-Za-z0-9._-]+$/.test(masterName)) throw new QueueError('BAD_INPUT', `masterName may hold letters, digits, ".", "_" and "-" (got "${masterName}")`);
  if (!Number.isInteger(replicas) || replicas < 1) throw new QueueError('BAD_INPUT', `a Sentinel deployment needs at least 1 replica (got ${replicas})`);
  if (!Number.isInteger(sentinelCount) || sentinelCount < 1) throw new QueueError('BAD_INPUT', `sentinels must be at least 1 (got ${sentinelCount})`);
  if (!Number.isInteger(quorum) || quorum < 1 || quorum > sentinelCount) throw new QueueError('BAD_INPUT', `quorum must be between 1 and ${sentinelCount} (got ${quorum})`);
  for (const [k, v] of [['downAfterMs', downAfter], ['failoverTimeoutMs', failoverTimeout]] as const) {
    if (!Number.isInteger(v) || v < 100) throw new QueueError('BAD_INPUT', `${k} must be a whole number of ms, at least 100 (got ${v})`);
  }

  const root = mkdtempSync(join(tmpdir(), 'redis-queues-sentinel-'));
  const servers: Sandbox[] = [];
  const sentinelNodes: Sandbox[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Sentinels first: they must not fail over a master that is merely being stopped.
    await Promise.all(sentinelNodes.map((s) => s.stop()));
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(root, { recursive: true, force: true });
  };
  const dataArgs = ['--repl-diskless-sync-delay', '0'];

  try {
    const [masterPort, ...rest] = await freePorts(1 + replicas + sentinelCount);
    const replicaPorts = rest.slice(0, replicas);
    const sentinelPorts = rest.slice(replicas);
    const dirFor = (name: string) => {
      const d = join(root, name);
      mkdirSync(d, { recursive: true });
      return d;
    };
    servers.push(await startSandbox({ port: masterPort, dir: dirFor('server-0'), persistence: options.persistence, redisServer: options.redisServer, args: dataArgs }));
    for (const [i, port] of replicaPorts.entries()) {
      servers.push(await startSandbox({ port, dir: dirFor(`server-${i + 1}`), persistence: options.persistence, redisServer: options.redisServer, args: [...dataArgs, '--replicaof', '127.0.0.1', String(masterPort)] }));
    }
    await until('the replicas did not sync', 20_000, async () => {
      for (const r of servers.slice(1)) {
        if ((await nodeInfo(r.port, 'replication'))['master_link_status'] !== 'up') return `replica ${r.port} has not synced`;
      }
      return '';
    });
    for (const [i, port] of sentinelPorts.entries()) {
      const dir = dirFor(`sentinel-${i}`);
      const configFile = join(dir, 'sentinel.conf');
      writeFileSync(
        configFile,
        [
          `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} ${quorum}`,
          `sentinel down-after-milliseconds ${masterName} ${downAfter}`,
          `sentinel failover-timeout ${masterName} ${failoverTimeout}`,
          `sentinel parallel-syncs ${masterName} 1`,
          '',
        ].join('\n'),
      );
      sentinelNodes.push(await startSandbox({ port, dir, configFile, sentinel: true, redisServer: options.redisServer }));
    }
    // Ready when every Sentinel knows every replica and the other Sentinels (hello messages go
    // every 2 s), and a failover would be authorised (CKQUORUM).
    await until('the Sentinels did not find each other', 20_000, async () => {
      for (const s of sentinelNodes) {
        const m = record(await nodeCommand(s.port, ['SENTINEL', 'MASTER', masterName]));
        if (Number(m['num-slaves']) < replicas) return `sentinel ${s.port} knows ${m['num-slaves']} of ${replicas} replicas`;
        if (Number(m['num-other-sentinels']) < sentinelCount - 1) return `sentinel ${s.port} knows ${m['num-other-sentinels']} of ${sentinelCount - 1} other sentinels`;
        const reps = ((await nodeCommand(s.port, ['SENTINEL', 'REPLICAS', masterName])) as unknown[]).map(record);
        const bad = reps.find((r) => /s_down|disconnected/.test(r['flags'] ?? '') || r['master-link-status'] !== 'ok');
        if (bad) return `sentinel ${s.port} sees replica ${bad['port']} as ${bad['flags']} (link ${bad['master-link-status']})`;
      }
      await nodeCommand(sentinelNodes[0]!.port, ['SENTINEL', 'CKQUORUM', masterName]);
      return '';
    });
  } catch (e) {
    await stop();
    throw e;
  }

  const sentinels = sentinelNodes.map((s) => `127.0.0.1:${s.port}`);
  const serverAt = (port: number) => servers.find((s) => s.port === port);

  /** The master's port per running Sentinel. */
  const views = async (): Promise<number[]> => {
    const out: number[] = [];
    for (const s of sentinelNodes.filter((x) => x.running)) {
      try {
        const r = (await nodeCommand(s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName])) as unknown[] | null;
        if (r) out.push(Number(r[1]));
      } catch {
        /* not answering */
      }
    }
    return out;
  };
  const majority = (ports: number[]): number | undefined => {
    const votes = new Map<number, number>();
    for (const p of ports) votes.set(p, (votes.get(p) ?? 0) + 1);
    return [...votes].sort((a, b) => b[1] - a[1])[0]?.[0];
  };
  const master = async (): Promise<Sandbox> => {
    const port = majority(await views());
    const node = port === undefined ? undefined : serverAt(port);
    if (!node) throw new QueueError('REDIS', `no running Sentinel names a master of "${masterName}"${port ? ` (port ${port} is not a data node of the sandbox)` : ''}`);
    return node;
  };

  return {
    masterName,
    sentinels,
    sentinelNodes,
    servers,
    url: `redis://${sentinels[0]}`,
    connection: { url: `redis://${sentinels[0]}`, mode: 'sentinel', sentinel: { masterName, sentinels } },
    serverAt,
    master,
    async failover() {
      const old = await master();
      let lastError: Error | undefined;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        for (const s of sentinelNodes.filter((x) => x.running)) {
          try {
            await nodeCommand(s.port, ['SENTINEL', 'FAILOVER', masterName]);
            return old;
          } catch (e) {
            lastError = e as Error;
          }
        }
        // NOGOODSLAVE while the replica's state is not fresh in the Sentinel's eyes, INPROG while one runs.
        await sleepMs(200);
      }
      throw new QueueError('REDIS', `SENTINEL FAILOVER ${masterName} was refused: ${lastError?.message ?? 'no Sentinel is running'}`);
    },
    async killMaster(signal = 'SIGKILL') {
      const old = await master();
      await old.kill(signal);
      return old;
    },
    async waitForNewMaster(old, timeoutMs = 30_000) {
      let found: Sandbox | undefined;
      await until(`no new master of "${masterName}"`, timeoutMs, async () => {
        const ports = await views();
        const port = majority(ports);
        if (port === undefined) return 'no Sentinel answers';
        if (port === old.port) return `the Sentinels still name ${old.port}`;
        if (!ports.every((p) => p === port)) return `the Sentinels disagree (${ports.join(', ')})`;
        const node = serverAt(port);
        if (!node?.running) return `the Sentinels name ${port}, which is not running`;
        if ((await nodeInfo(port, 'replication'))['role'] !== 'master') return `${port} is not a master yet`;
        found = node;
        return '';
      });
      return found!;
    },
    async restart(server) {
      await server.restart();
      const m = await master().catch(() => undefined);
      if (m && m !== server) await nodeCommand(server.port, ['REPLICAOF', '127.0.0.1', m.port]);
    },
    waitSettled(timeoutMs = 30_000) {
      return until(`the Sentinel deployment "${masterName}" did not settle`, timeoutMs, async () => {
        const ports = await views();
        const port = majority(ports);
        if (port === undefined) return 'no Sentinel answers';
        if (!ports.every((p) => p === port)) return `the Sentinels disagree (${ports.join(', ')})`;
        const m = serverAt(port);
        if (!m?.running) return `the master ${port} is not running`;
        if ((await nodeInfo(port, 'replication'))['role'] !== 'master') return `${port} is not a master`;
        for (const s of servers.filter((x) => x.running && x !== m)) {
          const r = await nodeInfo(s.port, 'replication');
          if (r['role'] !== 'slave') return `${s.port} is a ${r['role']}, not a replica of ${port}`;
          if (Number(r['master_port']) !== port) return `${s.port} replicates ${r['master_port']}, not ${port}`;
          if (r['master_link_status'] !== 'up') return `${s.port} has not synced with ${port}`;
        }
        return '';
      });
    },
    stop,
  };
}
