// `redis-queues sandbox [--port P] [--seed]`: a throwaway redis-server on 127.0.0.1 until Ctrl-C
// or SIGTERM; its URL goes to stdout (first line), notes to stderr.
// `--sentinel`: a master, replicas and 3 Sentinels; `--cluster [--replicas N]`: a Cluster. Both
// take lines on stdin to rehearse faults: `failover`, `kill`, `status`.
import { createInterface } from 'node:readline';
import {
  type Sandbox,
  type SandboxCluster,
  type SandboxSentinel,
  DEMO_EVENT_STREAMS,
  DEMO_LIST_QUEUE,
  DEMO_STREAMS,
  seedDemo,
  startSandbox,
  startSandboxCluster,
  startSandboxSentinel,
} from '../core/internal';
import { type CommandSpec, UsageError } from './args';
import { type Command, type CommandContext, JSON_OPTION, onceSignalled, processIo } from './common';

const spec: CommandSpec = {
  name: 'sandbox',
  summary: 'Start a throwaway local redis-server (no persistence, temporary folder) and print its URL; Ctrl-C or SIGTERM stops it.',
  positionals: [],
  options: [
    { name: 'port', type: 'int', value: 'P', min: 1, description: 'Port on 127.0.0.1 (a single server only)', default: 'a free one' },
    { name: 'seed', type: 'boolean', description: 'Add demo queues: streams with groups, pending, poison and dead-lettered entries, and a list queue (not with --cluster)' },
    { name: 'sentinel', type: 'boolean', description: 'Start a Sentinel deployment instead: a master, its replicas and 3 Sentinels (quorum 2)' },
    { name: 'cluster', type: 'boolean', description: 'Start a Redis Cluster instead (3 masters)' },
    { name: 'replicas', type: 'int', value: 'N', min: 0, description: 'Replicas per master (--cluster; default 0) or of the master (--sentinel; default 1)' },
    { name: 'master-name', type: 'string', value: 'NAME', description: 'Name the Sentinels monitor the master under (--sentinel)', default: 'sandbox' },
    { name: 'down-after', type: 'int', value: 'MS', min: 100, description: 'Sentinel down-after-milliseconds (--sentinel)', default: '2000' },
    { name: 'node-timeout', type: 'int', value: 'MS', min: 100, description: 'cluster-node-timeout (--cluster)', default: '2000' },
    JSON_OPTION,
  ],
  details: [
    'Needs redis-server on PATH (or REDIS_SERVER=/path/to/redis-server); --cluster also needs redis-cli.',
    'With --sentinel or --cluster, lines typed on stdin rehearse faults:',
    '  failover [KEY]  a planned failover: SENTINEL FAILOVER, or CLUSTER FAILOVER on a replica of the master of KEY\'s slot',
    '  kill [KEY]      SIGKILL the master (of KEY\'s slot), wait for the failover, restart it as a replica',
    '  status          who is master and who replicates whom',
  ].join('\n'),
  examples: [
    'redis-queues sandbox --seed',
    'redis-queues sandbox --port 6390   # then, elsewhere: redis-queues inspect --url redis://127.0.0.1:6390',
    'redis-queues sandbox --sentinel --seed',
    'redis-queues sandbox --cluster --replicas 1',
  ],
};

export const sandboxCommand: Command = {
  spec,
  async run(args, ctx) {
    const o = args.options;
    const port = o['port'] as number | undefined;
    if (port !== undefined && port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`, 'sandbox');
    if (o['sentinel'] && o['cluster']) throw new UsageError('--sentinel and --cluster exclude each other', 'sandbox');
    const ha = o['sentinel'] ? 'sentinel' : o['cluster'] ? 'cluster' : undefined;
    if (ha && port !== undefined) throw new UsageError(`--port is for a single server; --${ha} uses free ports`, 'sandbox');
    if (o['cluster'] && o['seed']) throw new UsageError('--seed is not available with --cluster (the demo keys span several slots)', 'sandbox');
    for (const [name, only] of [['replicas', ha], ['master-name', o['sentinel']], ['down-after', o['sentinel']], ['node-timeout', o['cluster']]] as const) {
      if (o[name] !== undefined && !only) throw new UsageError(`--${name} needs ${name === 'replicas' ? '--sentinel or --cluster' : name === 'node-timeout' ? '--cluster' : '--sentinel'}`, 'sandbox');
    }
    const masterName = o['master-name'] as string | undefined;
    if (masterName !== undefined && !/^[A-Za-z0-9._-]+$/.test(masterName)) throw new UsageError('--master-name may hold letters, digits, ".", "_" and "-"', 'sandbox');
    if (o['sentinel'] && o['replicas'] === 0) throw new UsageError('--replicas must be at least 1 with --sentinel', 'sandbox');
    if (o['sentinel']) return runSentinel(ctx, { masterName, replicas: o['replicas'] as number | undefined, downAfterMs: o['down-after'] as number | undefined, seed: Boolean(o['seed']) });
    if (o['cluster']) return runCluster(ctx, { replicas: o['replicas'] as number | undefined, nodeTimeoutMs: o['node-timeout'] as number | undefined });

    const signals = onceSignalled();
    const keepAlive = setInterval(() => undefined, 1 << 30);
    let sandbox: Sandbox | undefined;
    try {
      sandbox = await startSandbox({ port });
      if (o['seed']) await seedDemo(sandbox.url);
      if (ctx.json) ctx.out(JSON.stringify({ url: sandbox.url, port: sandbox.port, pid: sandbox.pid ?? null, seeded: Boolean(o['seed']) }));
      else ctx.out(sandbox.url);
      if (o['seed']) ctx.err(`seeded demo queues: streams ${Object.values(DEMO_STREAMS).join(', ')}; list queue ${DEMO_LIST_QUEUE}; their history as worker events in ${DEMO_EVENT_STREAMS.join(', ')}`);
      ctx.err(`redis-server (pid ${sandbox.pid}) listening on ${sandbox.url}; Ctrl-C to stop`);
      const sig = await signals.promise;
      ctx.err(`${sig}: stopping redis-server...`);
      return 0;
    } finally {
      clearInterval(keepAlive);
      signals.dispose();
      if (sandbox) {
        await sandbox.stop();
        ctx.err('sandbox stopped');
      }
    }
  },
};

/** Runs `handle` for each line typed on stdin (only when the CLI runs as a process), until disposed. */
function controlLines(ctx: CommandContext, handle: (words: string[]) => Promise<void>): () => void {
  if (ctx.io !== processIo) return () => undefined;
  const rl = createInterface({ input: process.stdin, terminal: false });
  let busy: Promise<void> = Promise.resolve();
  rl.on('line', (line) => {
    const words = line.trim().split(/\s+/).filter(Boolean);
    if (!words.length) return;
    busy = busy.then(() => handle(words)).catch((e: unknown) => ctx.err(`${words[0]}: ${(e as Error).message}`));
  });
  return () => rl.close();
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function runSentinel(ctx: CommandContext, options: { masterName?: string; replicas?: number; downAfterMs?: number; seed: boolean }): Promise<number> {
  const signals = onceSignalled();
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let set: SandboxSentinel | undefined;
  let stopControl = () => undefined as void;
  try {
    set = await startSandboxSentinel({ masterName: options.masterName, replicas: options.replicas, downAfterMs: options.downAfterMs });
    const s = set;
    const master = await s.master();
    if (options.seed) await seedDemo(master.url);
    if (ctx.json) {
      ctx.out(
        JSON.stringify({
          url: s.url,
          mode: 'sentinel',
          masterName: s.masterName,
          sentinels: s.sentinels,
          master: master.url,
          servers: s.servers.map((x) => ({ url: x.url, pid: x.pid ?? null })),
          sentinelPids: s.sentinelNodes.map((x) => x.pid ?? null),
          seeded: options.seed,
        }),
      );
    } else {
      ctx.out(s.url);
    }
    if (options.seed) ctx.err(`seeded demo queues: streams ${Object.values(DEMO_STREAMS).join(', ')}; list queue ${DEMO_LIST_QUEUE}; their history as worker events in ${DEMO_EVENT_STREAMS.join(', ')}`);
    ctx.err(`Sentinel deployment "${s.masterName}": master ${master.url}, replicas ${s.servers.filter((x) => x !== master).map((x) => x.url).join(', ')}; Sentinels ${s.sentinels.join(', ')}`);
    ctx.err(`connect with: --sentinel ${s.sentinels.join(',')} --master-name ${s.masterName}`);
    ctx.err(`  (VS Code: { "url": "${s.url}", "mode": "sentinel", "sentinel": { "masterName": "${s.masterName}", "sentinels": ${JSON.stringify(s.sentinels)} } })`);
    ctx.err('type "failover", "kill" or "status" (and Enter) to rehearse; Ctrl-C to stop');
    stopControl = controlLines(ctx, async ([cmd]) => {
      const t0 = Date.now();
      if (cmd === 'status') {
        const m = await s.master();
        ctx.err(`master ${m.url}; ${s.servers.map((x) => `${x.port}${x.running ? '' : ' (down)'}`).join(', ')}`);
      } else if (cmd === 'failover') {
        const old = await s.failover();
        const now = await s.waitForNewMaster(old);
        ctx.err(`SENTINEL FAILOVER: ${old.port} → ${now.port} in ${secs(Date.now() - t0)}; waiting until ${old.port} is a replica...`);
        await s.waitSettled(60_000);
        ctx.err(`settled ${secs(Date.now() - t0)} after the failover`);
      } else if (cmd === 'kill') {
        const old = await s.killMaster();
        ctx.err(`SIGKILL ${old.port}; waiting for the Sentinels...`);
        const now = await s.waitForNewMaster(old);
        ctx.err(`${now.port} is the master ${secs(Date.now() - t0)} after the kill; restarting ${old.port} as its replica`);
        await s.restart(old);
        await s.waitSettled(60_000);
        ctx.err(`settled ${secs(Date.now() - t0)} after the kill`);
      } else {
        ctx.err(`unknown: "${cmd}" (failover, kill, status)`);
      }
    });
    const sig = await signals.promise;
    ctx.err(`${sig}: stopping the Sentinel deployment...`);
    return 0;
  } finally {
    stopControl();
    clearInterval(keepAlive);
    signals.dispose();
    if (set) {
      await set.stop();
      ctx.err('sandbox stopped');
    }
  }
}

async function runCluster(ctx: CommandContext, options: { replicas?: number; nodeTimeoutMs?: number }): Promise<number> {
  const signals = onceSignalled();
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let cluster: SandboxCluster | undefined;
  let stopControl = () => undefined as void;
  try {
    cluster = await startSandboxCluster({ replicas: options.replicas ?? 0, nodeTimeoutMs: options.nodeTimeoutMs });
    const c = cluster;
    const describe = async () =>
      (await c.topology()).map((n) => `${n.port} ${n.role === 'replica' ? `replica of ${n.masterPort}${n.linkUp ? '' : ' (syncing)'}` : n.role}`).join(', ');
    if (ctx.json) {
      const topo = await c.topology();
      ctx.out(JSON.stringify({ url: c.url, mode: 'cluster', nodes: topo.map((n) => ({ url: n.node.url, pid: n.node.pid ?? null, role: n.role, master: n.masterPort ?? null })) }));
    } else {
      ctx.out(c.url);
    }
    ctx.err(`Redis Cluster: ${await describe()}`);
    ctx.err(`connect with: --cluster --url ${c.url}`);
    if (options.replicas) ctx.err('type "failover [KEY]", "kill [KEY]" or "status" (and Enter) to rehearse; Ctrl-C to stop');
    else ctx.err('Ctrl-C to stop (start with --replicas 1 to rehearse failovers)');
    stopControl = controlLines(ctx, async ([cmd, key = 'orders']) => {
      const t0 = Date.now();
      if (cmd === 'status') {
        ctx.err(await describe());
      } else if (cmd === 'failover') {
        const m = await c.masterOf(key);
        const [replica] = await c.replicasOf(m);
        if (!replica) throw new Error(`${m.port} (master of "${key}") has no replica`);
        await c.failover(replica);
        await c.waitOk({ timeoutMs: 60_000 });
        ctx.err(`CLUSTER FAILOVER: ${m.port} → ${replica.port} in ${secs(Date.now() - t0)}; ${await describe()}`);
      } else if (cmd === 'kill') {
        const m = await c.masterOf(key);
        await c.kill(m);
        ctx.err(`SIGKILL ${m.port} (master of "${key}"); waiting for the failover...`);
        await c.waitOk({ timeoutMs: 60_000, synced: false });
        ctx.err(`cluster ok ${secs(Date.now() - t0)} after the kill; restarting ${m.port}`);
        await c.restart(m);
        await c.waitOk({ timeoutMs: 60_000 });
        ctx.err(`settled ${secs(Date.now() - t0)} after the kill; ${await describe()}`);
      } else {
        ctx.err(`unknown: "${cmd}" (failover [KEY], kill [KEY], status)`);
      }
    });
    const sig = await signals.promise;
    ctx.err(`${sig}: stopping the cluster...`);
    return 0;
  } finally {
    stopControl();
    clearInterval(keepAlive);
    signals.dispose();
    if (cluster) {
      await cluster.stop();
      ctx.err('sandbox stopped');
    }
  }
}
