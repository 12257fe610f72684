/**
 * Queue client benchmarks (issue 3): producer batches, worker drain, tail latency, memory, each
 * against a reference run in the same process on the same server.
 */
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import Redis from 'ioredis';
import { StreamProducer, StreamTail, StreamWorker } from '../src/core/queue';
import { open, quit } from '../src/core/redis/connection';
import type { Section } from './report';
import { fmt, log, mem, median, nowMs, percentile, sleep, timeout, type Mem, type Sizes } from './util';

/**
 * BullMQ, the reference, is not a project dependency (some of its optional native builds are not on
 * every registry, which would break `npm ci`): scripts/bench.mjs installs it into .tools/bench.
 */
interface BullQueue {
  waitUntilReady(): Promise<unknown>;
  addBulk(jobs: { name: string; data: unknown }[]): Promise<unknown>;
  obliterate(o: { force: boolean }): Promise<void>;
  close(): Promise<void>;
}
interface BullWorker {
  on(event: 'completed', fn: () => void): void;
  close(): Promise<void>;
}
interface BullMQ {
  Queue: new (name: string, o: object) => BullQueue;
  Worker: new (name: string, fn: () => Promise<unknown>, o: object) => BullWorker;
}
function loadBullmq(): BullMQ {
  const path = require.resolve('bullmq', { paths: [join(__dirname, '..', '..', '.tools', 'bench')] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved at run time from .tools/bench
  return require(path) as BullMQ;
}

interface Server {
  url: string;
  port: number;
}

type Msg = { a: string; b: string; c: string };

function messages(n: number): Msg[] {
  return Array.from({ length: n }, (_, i) => ({ a: String(i), b: 'order.created', c: '0123456789abcdef' }));
}

function raw(port: number): Redis {
  return new Redis({ host: '127.0.0.1', port, lazyConnect: false, maxRetriesPerRequest: 3 });
}

/** Pre-publishes `n` entries with raw pipelines (not timed). */
async function fill(client: Redis, key: string, n: number, batch = 2000): Promise<void> {
  const m = messages(batch);
  for (let done = 0; done < n; done += batch) {
    const p = client.pipeline();
    for (let i = 0; i < Math.min(batch, n - done); i++) p.xadd(key, '*', 'a', m[i]!.a, 'b', m[i]!.b, 'c', m[i]!.c);
    await p.exec();
  }
}

/** Entries of an XREAD/XREADGROUP reply in either shape (RESP2 nested pairs or a flat map). */
function readEntries(r: unknown): [string, string[]][] {
  if (!Array.isArray(r) || r.length === 0) return [];
  if (Array.isArray(r[0])) return ((r[0] as unknown[])[1] ?? []) as [string, string[]][];
  return (r[1] ?? []) as [string, string[]][];
}

export interface QueueResults {
  section: Section;
  memory: Section;
}

export async function queueBench(main: Server, bull: Server, sizes: Sizes): Promise<QueueResults> {
  const rows: Section['rows'] = [];
  const notes: string[] = [];
  const memRows: Section['rows'] = [];
  const client = raw(main.port);
  const conn = { url: main.url };

  // ---------------------------------------------------------------- producer
  {
    const N = sizes.producerMessages;
    const B = sizes.producerBatch;
    const batch = messages(B);
    const producerClient = await open(conn, 'command');
    const ours: Run[] = [];
    const oursPipe: Run[] = [];
    const rawRuns: Run[] = [];
    const bench: number[] = [];
    const publishOurs = async (key: string, n: number, mode: 'script' | 'pipeline') => {
      const p = new StreamProducer(producerClient, { stream: key, batchMode: mode });
      for (let done = 0; done < n; done += B) await p.publishBatch(done + B <= n ? batch : batch.slice(0, n - done));
    };
    const publishRaw = async (key: string, n: number) => {
      for (let done = 0; done < n; done += B) {
        const pl = client.pipeline();
        for (let i = 0; i < Math.min(B, n - done); i++) {
          const m = batch[i]!;
          pl.xadd(key, '*', 'a', m.a, 'b', m.b, 'c', m.c);
        }
        await pl.exec();
      }
    };
    // Warm-up (JIT, script cache), not counted.
    await publishOurs('bench:producer:warm', Math.min(N, 20_000), 'script');
    await publishOurs('bench:producer:warm', Math.min(N, 20_000), 'pipeline');
    await publishRaw('bench:producer:warm', Math.min(N, 20_000));
    await client.del('bench:producer:warm');
    for (let round = 0; round < sizes.rounds; round++) {
      // ours (default: scripted batches)
      {
        const key = `bench:producer:ours:${round}`;
        // The script's XADDs (and XTRIMs) are inside EVAL's time: not counted again.
        ours.push(await measure(client, N, () => publishOurs(key, N, 'script'), ['xadd', 'xtrim']));
        if (Number(await client.xlen(key)) !== N) throw new Error(`producer wrote ${await client.xlen(key)} of ${N}`);
        await client.del(key);
      }
      // raw ioredis pipeline
      {
        const key = `bench:producer:raw:${round}`;
        rawRuns.push(await measure(client, N, () => publishRaw(key, N)));
        await client.del(key);
      }
      // ours, pipeline mode (informational)
      {
        const key = `bench:producer:ourspipe:${round}`;
        oursPipe.push(await measure(client, N, () => publishOurs(key, N, 'pipeline')));
        await client.del(key);
      }
      // redis-benchmark
      {
        const key = `bench:producer:rb:${round}`;
        const r = spawnSync('redis-benchmark', ['-h', '127.0.0.1', '-p', String(main.port), '-P', '64', '-n', String(N), '--csv', 'XADD', key, '*', 'f', 'v'], { encoding: 'utf8' });
        const m = /"XADD[^"]*","([\d.]+)"/.exec(r.stdout ?? '');
        if (!m) throw new Error(`cannot parse redis-benchmark output: ${(r.stdout || r.stderr || String(r.error)).slice(0, 300)}`);
        bench.push(Number(m[1]));
        await client.del(key);
      }
      log(`producer round ${round + 1}: ours ${show(ours[round]!)}; raw pipeline ${show(rawRuns[round]!)}; ours pipeline mode ${show(oursPipe[round]!)}; redis-benchmark ${fmt(bench[round]!)} /s`);
    }
    await quit(producerClient);
    const o = med(ours);
    const r = med(rawRuns);
    const op = med(oursPipe);
    const b = median(bench);
    rows.push({
      figure: `Producer publishBatch (default: scripted chunks of 250, sent back to back), ${fmt(N)} msgs × 3 fields, batches of ${fmt(B)}`,
      ours: `${fmt(o.rate)} msg/s`,
      reference: `raw ioredis pipelined XADD, same batches: ${fmt(r.rate)} msg/s`,
      ratio: o.rate / r.rate,
      target: '≥ 1.0×',
      met: o.rate / r.rate >= 1.0,
    });
    rows.push(cpuRow('… client CPU per message (Node)', o, r, 'client'));
    rows.push(cpuRow('… server time per message (INFO commandstats, top-level commands: the XADDs a script runs count once, inside EVAL)', o, r, 'server'));
    rows.push(cpuRow('… redis-server CPU per message (INFO CPU: commands plus reading requests and writing replies)', o, r, 'serverCpu'));
    rows.push({
      figure: 'Producer publishBatch vs redis-benchmark',
      ours: `${fmt(o.rate)} msg/s`,
      reference: `redis-benchmark -P 64 -n ${N} XADD key * f v (50 clients, 1 field): ${fmt(b)} req/s`,
      ratio: o.rate / b,
    });
    rows.push({
      figure: "Producer publishBatch with batchMode 'pipeline' (informational)",
      ours: `${fmt(op.rate)} msg/s (client ${op.clientUs.toFixed(2)} µs/msg, server ${op.serverUs.toFixed(2)} µs/msg, redis-server CPU ${op.serverCpuUs.toFixed(2)} µs/msg)`,
      reference: `raw ioredis pipelined XADD: ${fmt(r.rate)} msg/s`,
      ratio: op.rate / r.rate,
    });
  }

  // ---------------------------------------------------------------- worker drain
  const N = sizes.workerMessages;
  const C = sizes.workerConcurrency;
  type DrainOptions = { scriptedReads?: boolean; connection?: { url: string }; batchSize?: number; prefetch?: number };
  let drainOurs: (key: string, n: number, o?: DrainOptions) => Promise<{ after: Mem; stop: Promise<void> }>;
  let prepare: (key: string, n: number, c?: Redis) => Promise<void>;
  {
    const ours: Run[] = [];
    const rawRuns: Run[] = [];
    let memBefore: Mem | undefined;
    let memAfter: Mem | undefined;
    let memAfterGc: Mem | undefined;
    const oursScripted: Run[] = [];
    drainOurs = async (key: string, n: number, { scriptedReads, connection = conn, batchSize = 100, prefetch = 100 }: DrainOptions = {}) => {
      let acked = 0;
      // By default like the raw loop (COUNT 100): reads of 100 and one read ahead of the running handlers.
      const w = new StreamWorker({ connection, stream: key, group: 'g', consumer: 'c', concurrency: C, batchSize, prefetch, scriptedReads, handler: () => undefined });
      const errors: Error[] = [];
      w.on('error', (e) => errors.push(e));
      const done = new Promise<boolean>((resolve) => {
        w.on('acked', (k) => {
          acked += k;
          if (acked >= n) resolve(true);
        });
      });
      await w.start();
      const ok = await Promise.race([done, timeout(120_000).then(() => false)]);
      const after = mem(false);
      // stop() is not part of the drain time (the acks are all confirmed already).
      const stop = w.stop();
      if (!ok) throw new Error(`worker drained ${acked} of ${n} in 120 s; errors: ${errors.map((e) => e.message).join('; ')}`);
      return { after, stop };
    };
    const drainRaw = async (key: string, n: number) => {
      const c2 = raw(main.port);
      await c2.ping();
      let got = 0;
      for (;;) {
        const r = await c2.xreadgroup('GROUP', 'g', 'c', 'COUNT', 100, 'STREAMS', key, '>');
        const entries = readEntries(r);
        if (!entries.length) break;
        await c2.xack(key, 'g', ...entries.map((e) => e[0]));
        got += entries.length;
      }
      c2.disconnect();
      if (got !== n) throw new Error(`raw drain read ${got} of ${n}`);
    };
    prepare = async (key: string, n: number, c: Redis = client) => {
      await fill(c, key, n);
      await c.xgroup('CREATE', key, 'g', '0');
    };
    // Warm-up, not counted.
    await prepare('bench:drain:warm:o', Math.min(N, 20_000));
    await (await drainOurs('bench:drain:warm:o', Math.min(N, 20_000))).stop;
    await prepare('bench:drain:warm:r', Math.min(N, 20_000));
    await drainRaw('bench:drain:warm:r', Math.min(N, 20_000));
    await client.del('bench:drain:warm:o', 'bench:drain:warm:r');
    for (let round = 0; round < sizes.rounds; round++) {
      // ours (timed from start(): connect, INFO, XGROUP CREATE (BUSYGROUP), own-PEL read, then '>' reads)
      {
        const key = `bench:drain:ours:${round}`;
        await prepare(key, N);
        const before = mem(true);
        let result: { after: Mem; stop: Promise<void> } | undefined;
        ours.push(await measure(client, N, async () => void (result = await drainOurs(key, N))));
        await result!.stop;
        const pending = (await client.xpending(key, 'g')) as unknown[];
        if (Number(pending[0]) !== 0) throw new Error(`worker left ${String(pending[0])} pending`);
        await client.del(key);
        memBefore = before;
        memAfter = result!.after;
        memAfterGc = mem(true);
      }
      // raw XREADGROUP COUNT 100 + XACK
      {
        const key = `bench:drain:raw:${round}`;
        await prepare(key, N);
        rawRuns.push(await measure(client, N, () => drainRaw(key, N)));
        await client.del(key);
      }
      // ours with scripted reads (informational)
      {
        const key = `bench:drain:scripted:${round}`;
        await prepare(key, N);
        let result: { after: Mem; stop: Promise<void> } | undefined;
        // The XREADGROUP and XACK each script runs are inside EVALSHA's time, not counted again
        // (which also leaves out the few top-level ones: the blocking read once the stream is
        // dry, acks flushed by the timer; the redis-server CPU figure has everything).
        oursScripted.push(await measure(client, N, async () => void (result = await drainOurs(key, N, { scriptedReads: true })), ['xreadgroup', 'xack']));
        await result!.stop;
        await client.del(key);
      }
      log(`worker drain round ${round + 1}: ours ${show(ours[round]!)}; raw ${show(rawRuns[round]!)}; ours with scripted reads ${show(oursScripted[round]!)}`);
    }
    const o = med(ours);
    const r = med(rawRuns);
    const os = med(oursScripted);
    rows.push({
      figure: `Worker drain, no-op handler, ${fmt(N)} pre-published entries, concurrency ${C}, batchSize 100, prefetch 100 (defaults: plain XREADGROUP, acks batched and sent just before the next read on the same connection)`,
      ours: `${fmt(o.rate)} msg/s`,
      reference: `raw ioredis XREADGROUP COUNT 100 + XACK loop: ${fmt(r.rate)} msg/s`,
      ratio: o.rate / r.rate,
      target: '≥ 0.9×',
      met: o.rate / r.rate >= 0.9,
    });
    rows.push(cpuRow('… client CPU per message (Node)', o, r, 'client'));
    rows.push(cpuRow('… server time per message (INFO commandstats)', o, r, 'server'));
    rows.push(cpuRow('… redis-server CPU per message (INFO CPU: commands plus reading requests and writing replies)', o, r, 'serverCpu'));
    rows.push({
      figure: 'Worker drain with scriptedReads true (one script call XACKs the previous batch and reads the next, entries packed with cmsgpack; server time counts the script\'s XREADGROUP/XACK once, inside EVALSHA) (informational)',
      ours: `${fmt(os.rate)} msg/s (client ${os.clientUs.toFixed(2)} µs/msg, server ${os.serverUs.toFixed(2)} µs/msg, redis-server CPU ${os.serverCpuUs.toFixed(2)} µs/msg)`,
      reference: `raw ioredis XREADGROUP COUNT 100 + XACK loop: ${fmt(r.rate)} msg/s`,
      ratio: os.rate / r.rate,
    });
    if (memBefore && memAfter && memAfterGc) {
      memRows.push(memRow(`Worker drain of ${fmt(N)} entries (last round)`, memBefore, memAfter, memAfterGc));
    }
  }

  // ---------------------------------------------------------------- BullMQ
  {
    const J = sizes.bullmqJobs;
    const connection = { host: '127.0.0.1', port: bull.port, maxRetriesPerRequest: null };
    const adds: number[] = [];
    const works: number[] = [];
    /** CPU per job of the BullMQ worker phase: its redis-server (INFO CPU) and this process. */
    const bullServerCpu: number[] = [];
    const bullClientCpu: number[] = [];
    const bc = raw(bull.port);
    const oursOnBull: Run[] = [];
    const oursOnBull100: Run[] = [];
    const oursOnBullPlain: Run[] = [];
    const oursAdds: number[] = [];
    const bullRounds = Math.max(1, Math.min(sizes.rounds, 3));
    const batch = messages(1000);
    const { Queue, Worker } = loadBullmq();
    for (let round = 0; round < bullRounds; round++) {
      const name = `bench${round}`;
      const q = new Queue(name, { connection, defaultJobOptions: { removeOnComplete: true, removeOnFail: true } });
      await q.waitUntilReady();
      let t0 = nowMs();
      for (let done = 0; done < J; done += 1000) {
        const n = Math.min(1000, J - done);
        await q.addBulk(batch.slice(0, n).map((data) => ({ name: 'j', data })));
      }
      adds.push((J / (nowMs() - t0)) * 1000);
      // ours on the same (BullMQ) server for the add comparison
      {
        const pc = await open({ url: bull.url }, 'command');
        const p = new StreamProducer(pc, { stream: `bench:oursadd:${round}` });
        const s0 = nowMs();
        for (let done = 0; done < J; done += 1000) await p.publishBatch(batch.slice(0, Math.min(1000, J - done)));
        oursAdds.push((J / (nowMs() - s0)) * 1000);
        await pc.del(`bench:oursadd:${round}`);
        await quit(pc);
      }
      let completed = 0;
      let finish: (t: number) => void = () => undefined;
      const done = new Promise<number>((resolve) => (finish = resolve));
      const scpu0 = await serverCpu(bc);
      const cpu0 = process.cpuUsage();
      t0 = nowMs();
      const w = new Worker(name, async () => undefined, { connection, concurrency: C, autorun: true });
      w.on('completed', () => {
        if (++completed === J) finish(nowMs());
      });
      const t1 = await Promise.race([done, timeout(300_000).then(() => NaN)]);
      await w.close();
      if (!Number.isFinite(t1)) throw new Error(`BullMQ worker completed ${completed} of ${J} in 300 s`);
      works.push((J / (t1 - t0)) * 1000);
      const cpu = process.cpuUsage(cpu0);
      bullClientCpu.push((cpu.user + cpu.system) / J);
      bullServerCpu.push(((await serverCpu(bc)) - scpu0) * 1e6 / J);
      await q.obliterate({ force: true });
      await q.close();
      // Right after it, ours drains as many entries on the same server, at the same concurrency,
      // so that each round compares the two under the same conditions: configured for throughput as
      // README says (reads of 500, 500 read ahead, scripted reads), the same with plain reads, and
      // as in the raw comparison (reads of 100, 100 ahead, plain).
      const variants = [
        [oursOnBull, { batchSize: 500, prefetch: 500, scriptedReads: true }],
        [oursOnBullPlain, { batchSize: 500, prefetch: 500 }],
        [oursOnBull100, {}],
      ] as const;
      for (const [runs, o] of variants) {
        const key = `bench:bulldrain:${round}`;
        await prepare(key, J, bc);
        let result: { after: Mem; stop: Promise<void> } | undefined;
        const nested = 'scriptedReads' in o ? ['xreadgroup', 'xack'] : [];
        runs.push(await measure(bc, J, async () => void (result = await drainOurs(key, J, { ...o, connection: { url: bull.url } })), nested));
        await result!.stop;
        await bc.del(key);
      }
      log(`bullmq round ${round + 1}: add ${fmt(adds[round]!)} /s (ours on that server ${fmt(oursAdds[round]!)} /s), worker ${fmt(works[round]!)} /s (ours right after, same server, throughput configuration: ${show(oursOnBull[round]!)}; same with plain reads ${fmt(oursOnBullPlain[round]!.rate)} /s; reads of 100, plain: ${fmt(oursOnBull100[round]!.rate)} /s)`);
    }
    const perRound = works.map((w, i) => oursOnBull[i]!.rate / w);
    const perRound100 = works.map((w, i) => oursOnBull100[i]!.rate / w);
    const perRoundPlain = works.map((w, i) => oursOnBullPlain[i]!.rate / w);
    const ob = med(oursOnBull);
    const x = (xs: number[]) => xs.map((v) => `${v.toFixed(2)}×`).join(', ');
    rows.push({
      figure: `Worker drain vs BullMQ Worker (concurrency ${C}, no-op handler / processor, ${fmt(J)} entries / jobs, removeOnComplete), same server, one after the other in each of ${bullRounds} rounds; ours configured for throughput as README says: batchSize 500, prefetch 500, scriptedReads true; ratio = median of the per-round ratios (${x(perRound)})`,
      ours: `${fmt(ob.rate)} msg/s`,
      reference: `BullMQ 5 Worker: ${fmt(median(works))} jobs/s`,
      ratio: median(perRound),
      target: '≥ 8×',
      met: median(perRound) >= 8,
    });
    rows.push({
      figure: `… ours with batchSize 500, prefetch 500 and plain reads (the server-friendly default), same rounds (${x(perRoundPlain)})`,
      ours: `${fmt(median(oursOnBullPlain.map((r) => r.rate)))} msg/s`,
      reference: `BullMQ 5 Worker: ${fmt(median(works))} jobs/s`,
      ratio: median(perRoundPlain),
    });
    rows.push({
      figure: `… ours with batchSize 100, prefetch 100, plain reads (as in the raw comparison), same rounds (${x(perRound100)})`,
      ours: `${fmt(median(oursOnBull100.map((r) => r.rate)))} msg/s`,
      reference: `BullMQ 5 Worker: ${fmt(median(works))} jobs/s`,
      ratio: median(perRound100),
    });
    rows.push({
      figure: '… redis-server CPU per message, throughput configuration, same rounds (INFO CPU of that server)',
      ours: `${ob.serverCpuUs.toFixed(2)} µs/msg`,
      reference: `BullMQ: ${median(bullServerCpu).toFixed(2)} µs/job`,
      ratio: median(bullServerCpu) / ob.serverCpuUs,
    });
    rows.push({
      figure: '… client CPU per message, throughput configuration, same rounds (Node, this process; BullMQ from Worker start to close)',
      ours: `${ob.clientUs.toFixed(2)} µs/msg`,
      reference: `BullMQ: ${median(bullClientCpu).toFixed(2)} µs/job`,
      ratio: median(bullClientCpu) / ob.clientUs,
    });
    bc.disconnect();
    rows.push({
      figure: `Producer publishBatch vs BullMQ Queue.addBulk (batches of 1000, ${fmt(J)} each, both on the BullMQ sandbox)`,
      ours: `${fmt(median(oursAdds))} msg/s`,
      reference: `BullMQ addBulk: ${fmt(median(adds))} jobs/s`,
      ratio: median(oursAdds) / median(adds),
    });
    notes.push(`BullMQ ran ${bullRounds} round(s) of ${fmt(J)} jobs on its own sandbox redis-server (same binary and flags), so its keys never met ours.`);
  }

  // ---------------------------------------------------------------- tail latency
  {
    const rate = sizes.tailRate;
    const total = Math.round(rate * sizes.tailSeconds);
    const segments = 4;
    const perSegment = Math.ceil(total / segments);
    const pc = await open(conn, 'command');
    const oursKey = 'bench:tail:ours';
    const rawKey = 'bench:tail:raw';
    const producerOurs = new StreamProducer(pc, { stream: oursKey });
    const producerRaw = new StreamProducer(pc, { stream: rawKey });
    await client.xadd(oursKey, '*', 'init', '1');
    await client.xadd(rawKey, '*', 'init', '1');

    /** Publishes `n` messages at `rate`/s, each stamped with hrtime; waits until the reader has them. */
    async function publishAt(p: StreamProducer, n: number, received: () => number): Promise<void> {
      const target = received() + n;
      const start = nowMs();
      let sent = 0;
      while (sent < n) {
        const due = Math.min(n, Math.floor(((nowMs() - start) / 1000) * rate) + 1);
        while (sent < due) {
          sent++;
          void p.publish({ t: String(process.hrtime.bigint()), p: 'payload-0123456789' }).catch((e) => log(`publish failed: ${(e as Error).message}`));
        }
        await sleep(1);
      }
      const deadline = nowMs() + 10_000;
      while (received() < target && nowMs() < deadline) await sleep(5);
    }

    const before = mem(true);
    // ours: StreamTail with its defaults (COUNT 100, BLOCK 5000, buffer 1000), consumed with for await.
    const oursLat: number[] = [];
    const tail = new StreamTail({ connection: conn, stream: oursKey });
    await tail.start();
    const reader = (async () => {
      for await (const e of tail) {
        const t = e.fields?.['t'];
        if (typeof t !== 'string') continue;
        oursLat.push(Number(process.hrtime.bigint() - BigInt(t)) / 1e6);
      }
    })();
    // reference: raw ioredis XREAD COUNT 100 BLOCK loop from the last id, on its own connection.
    const rawLat: number[] = [];
    const rc = raw(main.port);
    let stopRaw = false;
    const lastRaw = String(((await client.xrevrange(rawKey, '+', '-', 'COUNT', 1)) as [string, string[]][])[0]![0]);
    const rawReader = (async () => {
      let id = lastRaw;
      while (!stopRaw) {
        const r = await rc.xread('COUNT', 100, 'BLOCK', 200, 'STREAMS', rawKey, id);
        for (const [eid, f] of readEntries(r)) {
          id = eid;
          const i = f.indexOf('t');
          if (i >= 0) rawLat.push(Number(process.hrtime.bigint() - BigInt(f[i + 1]!)) / 1e6);
        }
      }
    })();
    await sleep(100);
    // Event-loop lag sampler: how late a 1 ms timer fires, attributed to the side being measured.
    const lag: Record<'ours' | 'raw', number[]> = { ours: [], raw: [] };
    let side: 'ours' | 'raw' | undefined;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const t = nowMs();
        await sleep(1);
        if (side) lag[side].push(nowMs() - t);
      }
    })();
    const t0 = nowMs();
    // Interleaved segments (ours, raw, ours, raw, ...) so that both see the same machine load.
    for (let seg = 0; seg < segments; seg++) {
      side = 'ours';
      await publishAt(producerOurs, perSegment, () => oursLat.length);
      side = 'raw';
      await publishAt(producerRaw, perSegment, () => rawLat.length);
      side = undefined;
    }
    sampling = false;
    await sampler;
    const elapsed = (nowMs() - t0) / 1000;
    tail.close();
    await reader;
    stopRaw = true;
    await rawReader.catch(() => undefined);
    rc.disconnect();
    const after = mem(false);
    memRows.push(memRow(`Tail run (${fmt(oursLat.length + rawLat.length)} messages, ours and raw interleaved, over ${fmt(elapsed, 1)} s)`, before, after, mem(true)));
    await quit(pc);
    await client.del(oursKey, rawKey);

    const sent = perSegment * segments;
    const p50 = percentile(oursLat, 50);
    const p99 = percentile(oursLat, 99);
    const r50 = percentile(rawLat, 50);
    const r99 = percentile(rawLat, 99);
    const eld = (xs: number[]) => `${percentile(xs, 50).toFixed(2)} / ${percentile(xs, 99).toFixed(2)} / ${Math.max(...xs).toFixed(2)} ms`;
    log(`tail: ours p50 ${p50.toFixed(3)} ms p99 ${p99.toFixed(3)} ms (${oursLat.length}/${sent}); raw p50 ${r50.toFixed(3)} p99 ${r99.toFixed(3)} (${rawLat.length}/${sent}); event loop ours ${eld(lag.ours)}, raw ${eld(lag.raw)}`);
    rows.push({
      figure: `Tail latency p50, publish→receive, ${rate} msg/s, ${fmt(sent)} messages each side in ${segments} interleaved segments (${fmt(oursLat.length)} / ${fmt(rawLat.length)} received)`,
      ours: `${p50.toFixed(3)} ms`,
      reference: `raw ioredis XREAD COUNT 100 BLOCK loop, same load: ${r50.toFixed(3)} ms`,
      ratio: r50 / p50,
    });
    rows.push({
      figure: 'Tail latency p99, same run',
      ours: `${p99.toFixed(3)} ms`,
      reference: `raw XREAD loop: ${r99.toFixed(3)} ms`,
      ratio: r99 / p99,
      target: 'p99 < 2 ms',
      met: p99 < 2 && oursLat.length === sent,
    });
    rows.push({
      figure: 'Tail latency max, same run',
      ours: `${Math.max(...oursLat).toFixed(3)} ms`,
      reference: `raw XREAD loop: ${Math.max(...rawLat).toFixed(3)} ms`,
      ratio: Math.max(...rawLat) / Math.max(...oursLat),
    });
    rows.push({
      figure: 'Event-loop lag during those segments (how long a 1 ms timer took to fire; ≈ 1.1 ms on an idle loop): p50 / p99 / max',
      ours: eld(lag.ours),
      reference: `during the raw segments: ${eld(lag.raw)}`,
    });
    notes.push(
      'Tail: the producer (our StreamProducer.publish, one XADD per message on a command connection) stamps each message with process.hrtime.bigint() ' +
        'in field `t`; both readers run in the bench process and subtract on receipt, so both ends use one clock. Publisher and readers share one event loop, ' +
        'as they would in an extension host, so a stalled loop (GC, a descheduled process on a loaded machine) shows up in the latency; the event-loop delay row says how much.',
    );
  }

  client.disconnect();
  return {
    section: { title: 'Queue client (issue 3)', rows, notes },
    memory: {
      title: 'Memory of the bench process (queue client runs)',
      intro: 'RSS and V8 heapUsed of the bench process (node --expose-gc): before the run (after a full GC), right after it (no GC) and after a full GC. The reference column repeats the before-figures.',
      rows: memRows,
    },
  };
}

/** One timed run: wall-clock rate, client CPU (this process) and server time per message. */
interface Run {
  rate: number;
  clientUs: number;
  /** Command time (INFO commandstats), top-level commands only. */
  serverUs: number;
  /** CPU of the redis-server process (INFO CPU): commands plus reading requests and writing replies. */
  serverCpuUs: number;
}

/**
 * Server-side usec of all commands since the last CONFIG RESETSTAT. Commands a script runs are
 * counted by Redis both on their own line and inside EVAL/EVALSHA's time: name them in `nested`
 * (the commands this run issues only from scripts) so that they are not counted twice.
 */
async function serverUsec(client: Redis, nested: string[] = []): Promise<number> {
  const text = String(await client.info('commandstats'));
  let sum = 0;
  for (const m of text.matchAll(/^cmdstat_(\w+):calls=\d+,usec=(\d+)/gm)) if (m[1] !== 'info' && m[1] !== 'config' && !nested.includes(m[1]!)) sum += Number(m[2]);
  return sum;
}

/** CPU seconds (user + system) the redis-server process has used. */
async function serverCpu(client: Redis): Promise<number> {
  const text = String(await client.info('cpu'));
  const get = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(text)?.[1] ?? NaN);
  return get('used_cpu_user') + get('used_cpu_sys');
}

async function measure(client: Redis, n: number, fn: () => Promise<void>, nested: string[] = []): Promise<Run> {
  await client.config('RESETSTAT');
  const scpu0 = await serverCpu(client);
  const cpu0 = process.cpuUsage();
  const t0 = nowMs();
  await fn();
  const ms = nowMs() - t0;
  const cpu = process.cpuUsage(cpu0);
  const scpu = await serverCpu(client);
  const server = await serverUsec(client, nested);
  return { rate: (n / ms) * 1000, clientUs: (cpu.user + cpu.system) / n, serverUs: server / n, serverCpuUs: ((scpu - scpu0) * 1e6) / n };
}

function med(runs: Run[]): Run {
  return {
    rate: median(runs.map((r) => r.rate)),
    clientUs: median(runs.map((r) => r.clientUs)),
    serverUs: median(runs.map((r) => r.serverUs)),
    serverCpuUs: median(runs.map((r) => r.serverCpuUs)),
  };
}

function show(r: Run): string {
  return `${fmt(r.rate)} /s, client ${r.clientUs.toFixed(2)} µs/msg, server ${r.serverUs.toFixed(2)} µs/msg (process CPU ${r.serverCpuUs.toFixed(2)})`;
}

function cpuRow(figure: string, o: Run, r: Run, which: 'client' | 'server' | 'serverCpu'): Section['rows'][number] {
  const pick = (x: Run) => (which === 'client' ? x.clientUs : which === 'server' ? x.serverUs : x.serverCpuUs);
  const a = pick(o);
  const b = pick(r);
  return { figure, ours: `${a.toFixed(2)} µs/msg`, reference: `raw: ${b.toFixed(2)} µs/msg`, ratio: b / a };
}

function memRow(what: string, before: Mem, after: Mem, afterGc: Mem): Section['rows'][number] {
  return {
    figure: what,
    ours: `after: RSS ${fmt(after.rssMiB, 1)} MiB, heap ${fmt(after.heapUsedMiB, 1)} MiB; after GC: RSS ${fmt(afterGc.rssMiB, 1)} MiB, heap ${fmt(afterGc.heapUsedMiB, 1)} MiB`,
    reference: `before: RSS ${fmt(before.rssMiB, 1)} MiB, heap ${fmt(before.heapUsedMiB, 1)} MiB`,
    ratioNote: undefined,
  };
}
