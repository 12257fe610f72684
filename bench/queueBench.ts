/**
 * Queue client benchmarks (issue 3): producer batches, worker drain, tail latency, memory, each
 * against a reference run in the same process on the same server.
 */
import { spawnSync } from 'node:child_process';
import Redis from 'ioredis';
import { Queue, Worker } from 'bullmq';
import { StreamProducer, StreamTail, StreamWorker } from '../src/core/queue';
import { open, quit } from '../src/core/connection';
import type { Section } from './report';
import { fmt, log, mem, median, nowMs, percentile, sleep, type Mem, type Sizes } from './util';

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
    const ours: number[] = [];
    const oursPipe: number[] = [];
    const rawRates: number[] = [];
    const bench: number[] = [];
    for (let round = 0; round < sizes.rounds; round++) {
      // ours (default: scripted batches)
      {
        const key = `bench:producer:ours:${round}`;
        const p = new StreamProducer(producerClient, { stream: key });
        const t0 = nowMs();
        for (let done = 0; done < N; done += B) await p.publishBatch(done + B <= N ? batch : batch.slice(0, N - done));
        const ms = nowMs() - t0;
        ours.push((N / ms) * 1000);
        if (Number(await client.xlen(key)) !== N) throw new Error(`producer wrote ${await client.xlen(key)} of ${N}`);
        await client.del(key);
      }
      // raw ioredis pipeline
      {
        const key = `bench:producer:raw:${round}`;
        const t0 = nowMs();
        for (let done = 0; done < N; done += B) {
          const n = Math.min(B, N - done);
          const pl = client.pipeline();
          for (let i = 0; i < n; i++) {
            const m = batch[i]!;
            pl.xadd(key, '*', 'a', m.a, 'b', m.b, 'c', m.c);
          }
          await pl.exec();
        }
        const ms = nowMs() - t0;
        rawRates.push((N / ms) * 1000);
        await client.del(key);
      }
      // ours, pipeline mode (informational)
      {
        const key = `bench:producer:ourspipe:${round}`;
        const p = new StreamProducer(producerClient, { stream: key, batchMode: 'pipeline' });
        const t0 = nowMs();
        for (let done = 0; done < N; done += B) await p.publishBatch(done + B <= N ? batch : batch.slice(0, N - done));
        oursPipe.push((N / (nowMs() - t0)) * 1000);
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
      log(`producer round ${round + 1}: ours ${fmt(ours[round]!)} /s, raw pipeline ${fmt(rawRates[round]!)} /s, ours pipeline mode ${fmt(oursPipe[round]!)} /s, redis-benchmark ${fmt(bench[round]!)} /s`);
    }
    await quit(producerClient);
    const o = median(ours);
    const r = median(rawRates);
    const b = median(bench);
    rows.push({
      figure: `Producer publishBatch (default scripted chunks of 500), ${fmt(N)} msgs × 3 fields, batches of ${fmt(B)}`,
      ours: `${fmt(o)} msg/s`,
      reference: `raw ioredis pipelined XADD, same batches: ${fmt(r)} msg/s`,
      ratio: o / r,
      target: '≥ 1.0×',
      met: o / r >= 1.0,
    });
    rows.push({
      figure: 'Producer publishBatch vs redis-benchmark',
      ours: `${fmt(o)} msg/s`,
      reference: `redis-benchmark -P 64 -n ${N} XADD key * f v (50 clients, 1 field): ${fmt(b)} req/s`,
      ratio: o / b,
    });
    rows.push({
      figure: "Producer publishBatch with batchMode 'pipeline' (informational)",
      ours: `${fmt(median(oursPipe))} msg/s`,
      reference: `raw ioredis pipelined XADD: ${fmt(r)} msg/s`,
      ratio: median(oursPipe) / r,
    });
  }

  // ---------------------------------------------------------------- worker drain
  const N = sizes.workerMessages;
  const C = sizes.workerConcurrency;
  let drainRate = NaN;
  {
    const ours: number[] = [];
    const rawRates: number[] = [];
    let memBefore: Mem | undefined;
    let memAfter: Mem | undefined;
    let memAfterGc: Mem | undefined;
    for (let round = 0; round < sizes.rounds; round++) {
      // ours
      {
        const key = `bench:drain:ours:${round}`;
        await fill(client, key, N);
        await client.xgroup('CREATE', key, 'g', '0');
        const before = mem(true);
        let acked = 0;
        let t0 = 0;
        const w = new StreamWorker({ connection: conn, stream: key, group: 'g', consumer: 'c', concurrency: C, handler: () => undefined });
        const errors: Error[] = [];
        w.on('error', (e) => errors.push(e));
        const done = new Promise<number>((resolve) => {
          w.on('acked', (n) => {
            acked += n;
            if (acked >= N) resolve(nowMs());
          });
        });
        w.on('ready', () => (t0 = nowMs()));
        await w.start();
        const t1 = await Promise.race([done, sleep(120_000).then(() => NaN)]);
        const after = mem(false);
        await w.stop();
        if (!Number.isFinite(t1)) throw new Error(`worker drained ${acked} of ${N} in 120 s; errors: ${errors.map((e) => e.message).join('; ')}`);
        ours.push((N / (t1 - t0)) * 1000);
        const pending = (await client.xpending(key, 'g')) as unknown[];
        if (Number(pending[0]) !== 0) throw new Error(`worker left ${String(pending[0])} pending`);
        await client.del(key);
        memBefore = before;
        memAfter = after;
        memAfterGc = mem(true);
      }
      // raw XREADGROUP COUNT 100 + XACK
      {
        const key = `bench:drain:raw:${round}`;
        await fill(client, key, N);
        await client.xgroup('CREATE', key, 'g', '0');
        const c2 = raw(main.port);
        await c2.ping();
        const t0 = nowMs();
        let n = 0;
        for (;;) {
          const r = await c2.xreadgroup('GROUP', 'g', 'c', 'COUNT', 100, 'STREAMS', key, '>');
          const entries = readEntries(r);
          if (!entries.length) break;
          await c2.xack(key, 'g', ...entries.map((e) => e[0]));
          n += entries.length;
        }
        const ms = nowMs() - t0;
        if (n !== N) throw new Error(`raw drain read ${n} of ${N}`);
        rawRates.push((N / ms) * 1000);
        c2.disconnect();
        await client.del(key);
      }
      log(`worker drain round ${round + 1}: ours ${fmt(ours[round]!)} /s, raw ${fmt(rawRates[round]!)} /s`);
    }
    const o = median(ours);
    const r = median(rawRates);
    rows.push({
      figure: `Worker drain, no-op handler, ${fmt(N)} pre-published entries, concurrency ${C} (defaults otherwise: COUNT = concurrency, acks batched ≤ 100 / 5 ms)`,
      ours: `${fmt(o)} msg/s`,
      reference: `raw ioredis XREADGROUP COUNT 100 + XACK loop: ${fmt(r)} msg/s`,
      ratio: o / r,
      target: '≥ 0.9×',
      met: o / r >= 0.9,
    });
    drainRate = o;
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
    const oursAdds: number[] = [];
    const bullRounds = Math.max(1, Math.min(sizes.rounds, 3));
    const batch = messages(1000);
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
      t0 = nowMs();
      const w = new Worker(name, async () => undefined, { connection, concurrency: C, autorun: true });
      w.on('completed', () => {
        if (++completed === J) finish(nowMs());
      });
      const t1 = await Promise.race([done, sleep(300_000).then(() => NaN)]);
      await w.close();
      if (!Number.isFinite(t1)) throw new Error(`BullMQ worker completed ${completed} of ${J} in 300 s`);
      works.push((J / (t1 - t0)) * 1000);
      await q.obliterate({ force: true });
      await q.close();
      log(`bullmq round ${round + 1}: add ${fmt(adds[round]!)} /s (ours on that server ${fmt(oursAdds[round]!)} /s), worker ${fmt(works[round]!)} /s`);
    }
    const drain = drainRate;
    const w = median(works);
    rows.push({
      figure: `Worker drain vs BullMQ Worker (concurrency ${C}, no-op processor, removeOnComplete)`,
      ours: `${fmt(drain)} msg/s`,
      reference: `BullMQ 5 Worker on ${fmt(J)} jobs (own sandbox server): ${fmt(w)} jobs/s`,
      ratio: drain / w,
      target: '≥ 8×',
      met: drain / w >= 8,
    });
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
    const pc = await open(conn, 'command');
    const producer = new StreamProducer(pc, { stream: 'bench:tail:ours' });
    const rawProducer = new StreamProducer(pc, { stream: 'bench:tail:raw' });
    await client.xadd('bench:tail:ours', '*', 'init', '1');
    await client.xadd('bench:tail:raw', '*', 'init', '1');

    async function publishAt(p: StreamProducer, consumer: () => number): Promise<void> {
      const start = nowMs();
      let sent = 0;
      while (sent < total) {
        const due = Math.min(total, Math.floor(((nowMs() - start) / 1000) * rate) + 1);
        while (sent < due) {
          sent++;
          void p.publish({ t: String(process.hrtime.bigint()), p: 'payload-0123456789' }).catch((e) => log(`publish failed: ${(e as Error).message}`));
        }
        await sleep(1);
      }
      const deadline = nowMs() + 10_000;
      while (consumer() < total && nowMs() < deadline) await sleep(5);
    }

    // ours: StreamTail (defaults: COUNT 100, BLOCK 5000, buffer 1000)
    const before = mem(true);
    const oursLat: number[] = [];
    const tail = new StreamTail({ connection: conn, stream: 'bench:tail:ours' });
    await tail.start();
    const reader = (async () => {
      for await (const e of tail) {
        const t = e.fields?.['t'];
        if (typeof t !== 'string') continue;
        oursLat.push(Number(process.hrtime.bigint() - BigInt(t)) / 1e6);
        if (oursLat.length >= total) break;
      }
    })();
    await sleep(50);
    const t0 = nowMs();
    await publishAt(producer, () => oursLat.length);
    const elapsed = (nowMs() - t0) / 1000;
    tail.close();
    await reader;
    const after = mem(false);
    memRows.push(memRow(`Tail run (${fmt(total)} messages over ${fmt(elapsed, 1)} s)`, before, after, mem(true)));

    // reference: raw ioredis XREAD BLOCK loop from the last id
    const rawLat: number[] = [];
    const rc = raw(main.port);
    const last = String(((await client.xrevrange('bench:tail:raw', '+', '-', 'COUNT', 1)) as [string, string[]][])[0]![0]);
    let stop = false;
    const rawReader = (async () => {
      let id = last;
      while (!stop && rawLat.length < total) {
        const r = await rc.xread('COUNT', 100, 'BLOCK', 1000, 'STREAMS', 'bench:tail:raw', id);
        for (const [eid, f] of readEntries(r)) {
          id = eid;
          const i = f.indexOf('t');
          if (i >= 0) rawLat.push(Number(process.hrtime.bigint() - BigInt(f[i + 1]!)) / 1e6);
        }
      }
    })();
    await sleep(50);
    await publishAt(rawProducer, () => rawLat.length);
    stop = true;
    await rawReader.catch(() => undefined);
    rc.disconnect();
    await quit(pc);
    await client.del('bench:tail:ours', 'bench:tail:raw');

    const p50 = percentile(oursLat, 50);
    const p99 = percentile(oursLat, 99);
    const r50 = percentile(rawLat, 50);
    const r99 = percentile(rawLat, 99);
    log(`tail: ours p50 ${p50.toFixed(3)} ms p99 ${p99.toFixed(3)} ms (${oursLat.length}/${total}); raw p50 ${r50.toFixed(3)} p99 ${r99.toFixed(3)} (${rawLat.length}/${total}); achieved ${fmt(oursLat.length / elapsed)} msg/s`);
    rows.push({
      figure: `Tail latency p50, publish→receive, ${rate} msg/s for ${fmt(sizes.tailSeconds, 1)} s (${fmt(oursLat.length)} of ${fmt(total)} received)`,
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
      met: p99 < 2 && oursLat.length === total,
    });
    rows.push({
      figure: 'Tail latency max, same run',
      ours: `${Math.max(...oursLat).toFixed(3)} ms`,
      reference: `raw XREAD loop: ${Math.max(...rawLat).toFixed(3)} ms`,
      ratio: Math.max(...rawLat) / Math.max(...oursLat),
    });
    notes.push(
      'Tail: the producer (our StreamProducer.publish, one XADD per message on a command connection) stamps each message with process.hrtime.bigint() ' +
        'in field `t`; the consumer runs in the same process and subtracts on receipt, so both ends use one clock. Publisher and reader share one event loop, as they would in an extension host.',
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

function memRow(what: string, before: Mem, after: Mem, afterGc: Mem): Section['rows'][number] {
  return {
    figure: what,
    ours: `after: RSS ${fmt(after.rssMiB, 1)} MiB, heap ${fmt(after.heapUsedMiB, 1)} MiB; after GC: RSS ${fmt(afterGc.rssMiB, 1)} MiB, heap ${fmt(afterGc.heapUsedMiB, 1)} MiB`,
    reference: `before: RSS ${fmt(before.rssMiB, 1)} MiB, heap ${fmt(before.heapUsedMiB, 1)} MiB`,
    ratioNote: undefined,
  };
}
