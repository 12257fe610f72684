import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueError } from './errors';

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
}

/** A throwaway local redis-server. Always stop it; it is also killed if this process exits. */
export interface Sandbox {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number | undefined;
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
  const args = [
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

export interface SandboxCluster {
  /** Seed URL (first master); connect with mode "cluster". */
  readonly url: string;
  readonly nodes: Sandbox[];
  stop(): Promise<void>;
}

/**
 * Starts a local Redis Cluster of `masters` redis-server processes (no replicas) on free ports,
 * joined with `redis-cli --cluster create`. For tests and local experiments.
 */
export async function startSandboxCluster(options: { masters?: number; redisCli?: string } = {}): Promise<SandboxCluster> {
  const n = options.masters ?? 3;
  const nodes: Sandbox[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'redis-queues-cluster-'));
      const port = await freePort();
      nodes.push(await startSandbox({ port, dir, args: ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', '2000'] }));
    }
    const cli = options.redisCli ?? 'redis-cli';
    const r = spawnSync(cli, ['--cluster', 'create', ...nodes.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
    if (r.status !== 0) throw new QueueError('REDIS', `redis-cli --cluster create failed: ${(r.stderr || r.stdout || String(r.error)).slice(0, 400)}`);
    // Wait until every node reports cluster_state:ok.
    const deadline = Date.now() + 15_000;
    for (const s of nodes) {
      for (;;) {
        const info = spawnSync(cli, ['-p', String(s.port), 'cluster', 'info'], { encoding: 'utf8' }).stdout;
        if (/cluster_state:ok/.test(info)) break;
        if (Date.now() > deadline) throw new QueueError('REDIS', `cluster node ${s.port} did not reach cluster_state:ok`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  } catch (e) {
    await Promise.all(nodes.map((s) => stopAndClean(s)));
    throw e;
  }
  return {
    url: nodes[0]!.url,
    nodes,
    stop: () => Promise.all(nodes.map((s) => stopAndClean(s))).then(() => undefined),
  };
}

async function stopAndClean(s: Sandbox): Promise<void> {
  await s.stop();
  if (existsSync(s.dir)) rmSync(s.dir, { recursive: true, force: true });
}
