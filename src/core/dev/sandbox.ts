import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueError } from '../redis/errors';
import { keySlot } from '../queue/keys';

export type Persistence = 'none' | 'aof-always' | 'aof-everysec';

export interface SandboxOptions {
  /** Port on 127.0.0.1; a free one by default. */
  port?: number;
  /** Default 'none': no RDB, no AOF. */
  persistence?: Persistence;
  /** Path of redis-server; default from `REDIS_SERVER` or PATH. */
  redisServer?: string;
  /** Extra `--name value` arguments. */
  args?: string[];
  /** Folder for the server's files; a fresh temporary one (removed on stop) by default. */
  dir?: string;
  /** A configuration file, given to redis-server before the other arguments (a Sentinel needs a writable one). */
  configFile?: string;
  /** Run as a Sentinel (`redis-server <configFile> --sentinel`); needs `configFile`. */
  sentinel?: boolean;
}

/** A throwaway local redis-server. Always stop it; it is also killed if this process exits. */
export interface Sandbox {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number | undefined;
  /** The process is up (started, and neither killed nor stopped since). */
  readonly running: boolean;
  /** Stops the server and removes its folder if the sandbox created it. Safe to call twice. */
  stop(): Promise<void>;
  /** Sends a signal to the server process (e.g. SIGKILL to simulate a crash). */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same port and folder (after kill or stop({ keepDir })). */
  restart(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) {
      try { p.kill('SIGKILL'); } catch { /* gone */ }
    }
  });
}

/** Finds a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Locates redis-server, or throws an error that says how to install it. */
export function findRedisServer(explicit?: string): string {
  const candidates = [explicit, process.env.REDIS_SERVER, 'redis-server', '/usr/bin/redis-server', '/usr/local/bin/redis-server'].filter(Boolean) as string[];
  for (const c of candidates) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8' });
    if (r.status === 0 && /Redis server/i.test(r.stdout)) return c;
  }
  throw new QueueError(
    'UNSUPPORTED',
    'redis-server was not found. Install it (Debian/Ubuntu: "sudo apt-get install redis-server"; macOS: "brew install redis") or set REDIS_SERVER to its path.',
  );
}

/** The redis-server version, e.g. "7.0.15". */
export function redisServerVersion(redisServer?: string): string {
  const r = spawnSync(findRedisServer(redisServer), ['--version'], { encoding: 'utf8' });
  return /v=(\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
}

function persistenceArgs(p: Persistence): string[] {
  switch (p) {
    case 'none':
      return ['--save', '', '--appendonly', 'no'];
    case 'aof-always':
      return ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
    case 'aof-everysec':
      return ['--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'];
  }
}

/** Starts a throwaway redis-server on 127.0.0.1 and waits until it accepts connections. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  installExitHook();
  const bin = findRedisServer(options.redisServer);
  const ownDir = !options.dir;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'redis-queues-sandbox-'));
  const port = options.port ?? (await freePort());
  if (options.sentinel && !options.configFile) throw new QueueError('BAD_INPUT', 'A sandbox Sentinel needs a configuration file');
  const args = [
    ...(options.configFile ? [options.configFile] : []),
    ...(options.sentinel ? ['--sentinel'] : []),
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no',
    '--protected-mode', 'yes', '--logfile', join(dir, 'redis.log'), '--enable-debug-command', 'local',
    ...persistenceArgs(options.persistence ?? 'none'),
    ...(options.args ?? []),
  ];
  let proc: ChildProcess | undefined;
  let stopped = false;

  const launch = async (): Promise<void> => {
    let child: ChildProcess;
    let attempt = 0;
    for (;;) {
      child = spawn(bin, args, { stdio: 'ignore' });
      live.add(child);
      child.once('exit', () => live.delete(child));
      try {
        await waitReady(port, child, 10_000);
        break;
      } catch (e) {
        try { child.kill('SIGKILL'); } catch { /* gone */ }
        // "--enable-debug-command" appeared in Redis 7; retry without it on older servers.
        const i = args.indexOf('--enable-debug-command');
        if (attempt++ === 0 && i >= 0) {
          args.splice(i, 2);
          continue;
        }
        throw e;
      }
    }
    proc = child;
  };

  await launch();

  const sandbox: Sandbox = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return proc?.pid;
    },
    get running() {
      return proc !== undefined && proc.exitCode === null && proc.signalCode === null;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await terminate(proc);
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
    async kill(signal) {
      if (!proc) return;
      const p = proc;
      const exited = new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));
      p.kill(signal);
      if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') await exited;
    },
    async restart() {
      if (stopped) throw new QueueError('BAD_INPUT', 'The sandbox was stopped');
      await terminate(proc);
      await launch();
    },
  };
  return sandbox;
}

async function terminate(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const t = setTimeout(() => { try { p.kill('SIGKILL'); } catch { /* gone */ } }, 3000);
  await exited;
  clearTimeout(t);
}

/** Waits until a TCP connect to the port answers PING with PONG. */
async function waitReady(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  let exitInfo: string | undefined;
  child.once('exit', (code, sig) => (exitInfo = `redis-server exited (${sig ?? code})`));
  while (Date.now() < deadline) {
    if (exitInfo) throw new QueueError('CANNOT_CONNECT', exitInfo);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      let buf = '';
      s.setTimeout(500);
      s.on('connect', () => s.write('PING\r\n'));
      s.on('data', (d) => {
        buf += d.toString();
        if (buf.includes('\r\n')) {
          s.destroy();
          resolve(buf.startsWith('+PONG'));
        }
      });
      s.on('error', () => resolve(false));
      s.on('timeout', () => { s.destroy(); resolve(false); });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new QueueError('CANNOT_CONNECT', `redis-server did not answer on port ${port} within ${timeoutMs} ms`);
}

/**
 * Sends one command to a local node on a fresh connection and resolves to its reply (RESP2:
 * strings, integers, arrays, null); an error reply rejects with an Error carrying its text. For
 * the sandboxes' own bookkeeping (cluster and sentinel state), never for application traffic: it
 * opens no ioredis client, so a node that is killed meanwhile costs nothing but a rejection.
 */
export function nodeCommand(port: number, args: (string | number)[], options: { host?: string; timeoutMs?: number } = {}): Promise<unknown> {
  const host = options.host ?? '127.0.0.1';
  const timeoutMs = options.timeoutMs ?? 2000;
  return new Promise((resolve, reject) => {
    const s = createConnection(port, host);
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (err: Error | undefined, value?: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(() => finish(new Error(`${host}:${port} did not answer ${String(args[0])} within ${timeoutMs} ms`)), timeoutMs);
    s.on('connect', () => {
      const parts = args.map((a) => Buffer.from(String(a)));
      s.write(Buffer.concat([Buffer.from(`*${parts.length}\r\n`), ...parts.flatMap((p) => [Buffer.from(`$${p.length}\r\n`), p, Buffer.from('\r\n')])]));
    });
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      let r: { value: unknown; next: number } | undefined;
      try {
        r = parseResp(buf, 0);
      } catch (e) {
        return finish(e as Error);
      }
      if (!r) return;
      if (r.value instanceof Error) finish(r.value);
      else finish(undefined, r.value);
    });
    s.on('error', (e) => finish(e));
    s.on('close', () => finish(new Error(`${host}:${port} closed the connection before answering ${String(args[0])}`)));
  });
}

/** Parses one RESP2 value at `at`; undefined while incomplete. Error replies come back as Error values. */
function parseResp(buf: Buffer, at: number): { value: unknown; next: number } | undefined {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString('utf8', at + 1, eol);
  switch (type) {
    case '+':
      return { value: line, next: eol + 2 };
    case '-':
      return { value: new Error(line), next: eol + 2 };
    case ':':
      return { value: Number(line), next: eol + 2 };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, next: eol + 2 };
      if (buf.length < eol + 2 + len + 2) return undefined;
      return { value: buf.toString('utf8', eol + 2, eol + 2 + len), next: eol + 2 + len + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, next: eol + 2 };
      const out: unknown[] = [];
      let next = eol + 2;
      for (let i = 0; i < n; i++) {
        const r = parseResp(buf, next);
        if (!r) return undefined;
        out.push(r.value);
        next = r.next;
      }
      return { value: out, next };
    }
    default:
      throw new Error(`unexpected reply type "${type}"`);
  }
}

/** `INFO <section>` of a local node as name → value. */
export async function nodeInfo(port: number, section: string, timeoutMs = 2000): Promise<Record<string, string>> {
  const text = String(await nodeCommand(port, ['INFO', section], { timeoutMs }));
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs a program without blocking the event loop (the sandboxes' helpers run beside live clients). */
function runProgram(cmd: string, args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    let out = '';
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      resolve({ status: null, out: String(e) });
      return;
    }
    child.stdout?.on('data', (d) => (out += d.toString()));
    child.stderr?.on('data', (d) => (out += d.toString()));
    child.on('error', (e) => resolve({ status: null, out: `${out}${String(e)}` }));
    child.on('close', (status) => resolve({ status, out }));
  });
}

/** Options of {@link startSandboxCluster}. */
export interface SandboxClusterOptions {
  /** Masters. Default 3 (the fewest `redis-cli --cluster create` accepts). */
  masters?: number;
  /** Replicas per master. Default 0. With 1, a master that dies is replaced by its replica (failover). */
  replicas?: number;
  /** `cluster-node-timeout`, ms: how long a node may be unreachable before it is failed over. Default 2000. */
  nodeTimeoutMs?: number;
  /** Default 'none'. */
  persistence?: Persistence;
  /** Path of redis-cli. Default `redis-cli` from PATH. */
  redisCli?: string;
  /** Path of redis-server. Default from `REDIS_SERVER` or PATH. */
  redisServer?: string;
}

/** One node as the cluster sees it. */
export interface SandboxClusterNode {
  node: Sandbox;
  port: number;
  /** The process is up. */
  running: boolean;
  /** Its role by its own account (`INFO replication`); `down` when it does not answer. */
  role: 'master' | 'replica' | 'down';
  /** For a replica: its master's port, and whether the replication link is up. */
  masterPort?: number;
  linkUp?: boolean;
}

export interface SandboxCluster {
  /** Seed URL (first node); connect with mode "cluster". */
  readonly url: string;
  /** Every node, masters and replicas (roles change with failovers: see {@link topology}). */
  readonly nodes: Sandbox[];
  /** The node on a port, if it is one of this cluster's. */
  nodeAt(port: number): Sandbox | undefined;
  /** The master of the key's hash slot, as most running nodes see it. */
  masterOf(key: string | Buffer): Promise<Sandbox>;
  /** Replicas of a master, by their own account. */
  replicasOf(master: Sandbox): Promise<Sandbox[]>;
  /** Every node: running or not, and its role. */
  topology(): Promise<SandboxClusterNode[]>;
  /** Sends a signal to a node (default SIGKILL: a crash); resolves once the process is gone for SIGKILL/SIGTERM/SIGINT. */
  kill(node: Sandbox, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped or killed node again (same port and folder: it rejoins with its nodes.conf, as a replica if it was replaced). */
  restart(node: Sandbox): Promise<void>;
  /**
   * `CLUSTER FAILOVER [FORCE|TAKEOVER]` on a replica; resolves once it says it is a master (its
   * old master becomes its replica). Rejects after `timeoutMs` (default 15 000).
   */
  failover(replica: Sandbox, how?: 'default' | 'force' | 'takeover', timeoutMs?: number): Promise<void>;
  /**
   * Waits until the cluster is whole again: every running node says `cluster_state:ok` and maps
   * every slot to the same running master; with `synced` (default true) every running replica's
   * link to its master is up as well. Resolves to the time waited, ms; rejects after `timeoutMs`
   * (default 30 000) with what was still missing.
   */
  waitOk(options?: { timeoutMs?: number; synced?: boolean }): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts a local Redis Cluster on free ports: `masters` masters (default 3), each with `replicas`
 * replicas (default 0), joined with `redis-cli --cluster create`, and waits until every node says
 * `cluster_state:ok` (and every replica has synced). `cluster-node-timeout` is `nodeTimeoutMs`
 * (default 2000). For tests, fault drills and local experiments. Replicas sync without the default
 * 5 s wait for more replicas (`repl-diskless-sync-delay 0`). Always stop it; a failure while
 * starting stops every node it started.
 */
export async function startSandboxCluster(options: SandboxClusterOptions = {}): Promise<SandboxCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicas ?? 0;
  const nodeTimeout = options.nodeTimeoutMs ?? 2000;
  if (!Number.isInteger(masters) || masters < 3) throw new QueueError('BAD_INPUT', `A cluster needs at least 3 masters (got ${masters})`);
  if (!Number.isInteger(replicas) || replicas < 0) throw new QueueError('BAD_INPUT', `replicas must be a whole number ≥ 0 (got ${replicas})`);
  if (!Number.isInteger(nodeTimeout) || nodeTimeout < 100) throw new QueueError('BAD_INPUT', `nodeTimeoutMs must be at least 100 (got ${nodeTimeout})`);
  const n = masters * (1 + replicas);
  const nodes: Sandbox[] = [];
  const cluster = sandboxClusterOf(nodes);
  try {
    for (let i = 0; i < n; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'redis-queues-cluster-'));
      const port = await freePort();
      const args = ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', String(nodeTimeout), '--repl-diskless-sync-delay', '0'];
      nodes.push(await startSandbox({ port, dir, persistence: options.persistence, redisServer: options.redisServer, args }));
    }
    const cli = options.redisCli ?? 'redis-cli';
    const r = await runProgram(cli, ['--cluster', 'create', ...nodes.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', String(replicas), '--cluster-yes']);
    if (r.status !== 0) throw new QueueError('REDIS', `redis-cli --cluster create failed: ${r.out.slice(-400)}`);
    await cluster.waitOk({ timeoutMs: 30_000 });
  } catch (e) {
    await Promise.all(nodes.map((s) => stopAndClean(s)));
    throw e;
  }
  return cluster;
}

function sandboxClusterOf(nodes: Sandbox[]): SandboxCluster {
  const nodeAt = (port: number) => nodes.find((s) => s.port === port);
  /** CLUSTER SLOTS of one node as [start, end, master port] ranges. */
  const slotsOf = async (port: number): Promise<[number, number, number][]> => {
    const raw = (await nodeCommand(port, ['CLUSTER', 'SLOTS'])) as unknown[][];
    return raw.map((r) => [Number(r[0]), Number(r[1]), Number((r[2] as unknown[])[1])] as [number, number, number]).sort((a, b) => a[0] - b[0]);
  };
  const cluster: SandboxCluster = {
    get url() {
      return nodes[0]!.url;
    },
    nodes,
    nodeAt,
    async masterOf(key) {
      const slot = keySlot(key);
      const votes = new Map<number, number>();
      for (const s of nodes.filter((x) => x.running)) {
        try {
          const owner = (await slotsOf(s.port)).find(([a, z]) => a <= slot && slot <= z)?.[2];
          if (owner !== undefined) votes.set(owner, (votes.get(owner) ?? 0) + 1);
        } catch {
          /* not answering: no vote */
        }
      }
      const best = [...votes].sort((a, b) => b[1] - a[1])[0];
      const node = best && nodeAt(best[0]);
      if (!node) throw new QueueError('REDIS', `no running node of the cluster knows the master of slot ${slot}`);
      return node;
    },
    async replicasOf(master) {
      const topo = await cluster.topology();
      return topo.filter((t) => t.role === 'replica' && t.masterPort === master.port).map((t) => t.node);
    },
    async topology() {
      return Promise.all(
        nodes.map(async (node): Promise<SandboxClusterNode> => {
          const base = { node, port: node.port, running: node.running };
          if (!node.running) return { ...base, role: 'down' };
          try {
            const info = await nodeInfo(node.port, 'replication');
            if (info['role'] === 'slave') return { ...base, role: 'replica', masterPort: Number(info['master_port']), linkUp: info['master_link_status'] === 'up' };
            return { ...base, role: 'master' };
          } catch {
            return { ...base, role: 'down' };
          }
        }),
      );
    },
    async kill(node, signal = 'SIGKILL') {
      await node.kill(signal);
    },
    async restart(node) {
      await node.restart();
    },
    async failover(replica, how = 'default', timeoutMs = 15_000) {
      await nodeCommand(replica.port, how === 'default' ? ['CLUSTER', 'FAILOVER'] : ['CLUSTER', 'FAILOVER', how.toUpperCase()]);
      // The command only starts it: wait until the replica says it is a master.
      const started = Date.now();
      while ((await nodeInfo(replica.port, 'replication').catch(() => ({} as Record<string, string>)))['role'] !== 'master') {
        if (Date.now() - started > timeoutMs) throw new QueueError('REDIS', `CLUSTER FAILOVER: ${replica.port} was not a master after ${timeoutMs} ms`);
        await sleepMs(50);
      }
    },
    async waitOk(options = {}) {
      const timeoutMs = options.timeoutMs ?? 30_000;
      const synced = options.synced ?? true;
      const started = Date.now();
      let missing = '';
      for (;;) {
        missing = await clusterNotOk(nodes, slotsOf, synced);
        if (!missing) return Date.now() - started;
        if (Date.now() - started > timeoutMs) throw new QueueError('REDIS', `the sandbox cluster was not ok after ${timeoutMs} ms: ${missing}`);
        await sleepMs(100);
      }
    },
    stop: () => Promise.all(nodes.map((s) => stopAndClean(s))).then(() => undefined),
  };
  return cluster;
}

/** What keeps the cluster from being whole ('' when it is). */
async function clusterNotOk(nodes: Sandbox[], slotsOf: (port: number) => Promise<[number, number, number][]>, synced: boolean): Promise<string> {
  const running = nodes.filter((s) => s.running);
  const live = new Set(running.map((s) => s.port));
  let reference: string | undefined;
  for (const s of running) {
    try {
      const info = String(await nodeCommand(s.port, ['CLUSTER', 'INFO']));
      if (!/cluster_state:ok/.test(info)) return `node ${s.port} is not ok`;
      const slots = await slotsOf(s.port);
      let covered = 0;
      for (const [a, z, owner] of slots) {
        if (!live.has(owner)) return `node ${s.port} maps slots ${a}-${z} to ${owner}, which is down`;
        covered += z - a + 1;
      }
      if (covered !== 16384) return `node ${s.port} maps ${covered} of 16384 slots`;
      // Roles as this node sees them (a master that does not know its replica yet refuses a
      // manual failover it asks for): every running node must see the same.
      const nodesText = String(await nodeCommand(s.port, ['CLUSTER', 'NODES']));
      const rows = nodesText.split('\n').filter(Boolean).map((line) => line.split(' '));
      const portOf = new Map(rows.map((r) => [r[0]!, Number(/:(\d+)@/.exec(r[1]!)?.[1])]));
      const roles = rows
        .filter((r) => live.has(portOf.get(r[0]!)!))
        .map((r) => `${portOf.get(r[0]!)}:${/slave/.test(r[2]!) ? `replica of ${portOf.get(r[3]!)}` : /fail/.test(r[2]!) ? 'failed' : 'master'}`)
        .sort();
      const view = `${JSON.stringify(slots)} ${roles.join(', ')}`;
      if (reference === undefined) reference = view;
      else if (view !== reference) return `node ${s.port} sees the cluster differently (${roles.join(', ')})`;
      if (synced) {
        const repl = await nodeInfo(s.port, 'replication');
        if (repl['role'] === 'slave') {
          if (!live.has(Number(repl['master_port']))) return `replica ${s.port} follows ${repl['master_port']}, which is down`;
          if (repl['master_link_status'] !== 'up') return `replica ${s.port} has not synced with ${repl['master_port']}`;
        }
      }
    } catch (e) {
      return `node ${s.port}: ${(e as Error).message}`;
    }
  }
  return running.length ? '' : 'no node is running';
}

async function stopAndClean(s: Sandbox): Promise<void> {
  await s.stop();
  if (existsSync(s.dir)) rmSync(s.dir, { recursive: true, force: true });
}
