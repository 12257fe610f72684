/**
 * The producer's `durability` option (WAIT for 1 replica, group commit) against the same producer
 * without it, in the same run, on one master and one replica on loopback: messages per second for
 * publish() one at a time, publish() with 64 in flight (concurrent callers share WAITs) and
 * publishBatch() of 1,000, as the ratio durable / plain (median of interleaved rounds).
 *
 * Part `durability` of `npm run bench` (a section of BENCHMARKS.md); DURABILITY_BENCH_ROUNDS
 * (default 5) and DURABILITY_BENCH_MESSAGES (default 5,000) size it.
 */
import type Redis from 'ioredis';
import { open, quit } from '../src/core/redis/connection';
import { StreamProducer } from '../src/core/queue';
import { startSandbox } from '../src/core/dev/sandbox';
import type { Row, Section } from './report';
import { fmt, log, median, nowMs } from './util';

type Mode = 'one at a time' | '64 in flight' | 'batches of 1,000';
const MODES: Mode[] = ['one at a time', '64 in flight', 'batches of 1,000'];

const fields = (i: number) => ({ a: String(i), b: 'order.created', c: '0123456789abcdef' });

/** Publishes `n` messages in `mode`; resolves to messages per second. */
async function run(p: StreamProducer, mode: Mode, n: number): Promise<number> {
  const t0 = nowMs();
  if (mode === 'one at a time') {
    for (let i = 0; i < n; i++) await p.publish(fields(i));
  } else if (mode === '64 in flight') {
    let next = 0;
    const lane = async () => {
      while (next < n) await p.publish(fields(next++));
    };
    await Promise.all(Array.from({ length: 64 }, lane));
  } else {
    for (let i = 0; i < n; i += 1000) await p.publishBatch(Array.from({ length: Math.min(1000, n - i) }, (_, j) => fields(i + j)));
  }
  return (n / (nowMs() - t0)) * 1000;
}

/** The durability section: each mode's durable / plain ratio, and the WAITs it took. */
export async function durabilityBench(): Promise<Section> {
  const rows: Row[] = [];
  const rounds = Number(process.env.DURABILITY_BENCH_ROUNDS ?? 5);
  const n = Number(process.env.DURABILITY_BENCH_MESSAGES ?? 5000);
  const master = await startSandbox();
  const replica = await startSandbox();
  const admin = (await open({ url: master.url })) as Redis;
  const rc = (await open({ url: replica.url })) as Redis;
  try {
    await rc.replicaof('127.0.0.1', String(master.port));
    for (let i = 0; !/master_link_status:up/.test(String(await rc.info('replication'))); i++) {
      if (i > 200) throw new Error('the replica did not sync');
      await new Promise((r) => setTimeout(r, 50));
    }
    const plain = await StreamProducer.open({ url: master.url }, { stream: 'bench:plain' });
    const durable = await StreamProducer.open({ url: master.url }, { stream: 'bench:durable', durability: { replicas: 1, timeoutMs: 1000 } });
    const waits = async () => Number(/cmdstat_wait:calls=(\d+)/.exec(String(await admin.info('commandstats')))?.[1] ?? 0);
    for (const mode of MODES) {
      const a: number[] = [];
      const b: number[] = [];
      let waitCalls = 0;
      for (let r = 0; r < rounds; r++) {
        // Interleaved, order alternating, so that drift on a shared machine hits both alike.
        const first = r % 2 === 0;
        if (first) a.push(await run(plain, mode, n));
        const w0 = await waits();
        b.push(await run(durable, mode, n));
        waitCalls += (await waits()) - w0;
        if (!first) a.push(await run(plain, mode, n));
        await admin.del('bench:plain', 'bench:durable');
      }
      const pa = median(a);
      const pb = median(b);
      log(`${mode}: plain ${fmt(pa)} msg/s, durable ${fmt(pb)} msg/s, ratio ${(pb / pa).toFixed(2)}; WAITs ${fmt(waitCalls / rounds)} per ${fmt(n)} messages`);
      rows.push({
        figure: `publish ${mode}, durability { replicas: 1 } (${fmt(waitCalls / rounds)} WAITs per ${fmt(n)} messages)`,
        ours: `${fmt(pb)} msg/s`,
        reference: `the same producer without durability: ${fmt(pa)} msg/s`,
        ratio: pb / pa,
      });
    }
    await plain.close();
    await durable.close();
  } finally {
    await quit(admin);
    await quit(rc);
    await replica.stop();
    await master.stop();
  }
  return {
    title: 'Producer durability (WAIT, group commit)',
    intro: `One master and one replica on loopback; ${fmt(n)} messages per round, median of ${rounds} interleaved rounds. A durable publish resolves once a replica confirmed it; concurrent publishes share one WAIT (group commit), so the cost falls with concurrency and batching.`,
    rows,
  };
}
