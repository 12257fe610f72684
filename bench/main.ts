/**
 * Benchmark entry (run through `npm run bench`, i.e. `node scripts/bench.mjs`): starts throwaway
 * redis-servers, runs the queue client and explorer benchmarks against references measured in the
 * same run, writes BENCHMARKS.md, and stops the servers.
 *
 * Sizes: BENCH_SCALE=0.1 for a quick run; single sizes via BENCH_* (see util.ts).
 * Parts: `node out/bench/main.js queue durability explorer discovery search transfer metrics tailview` (default all); BENCH_OUT=path to write elsewhere.
 * discovery fills a server with 10 M keys (about 1 GB; BENCH_DISCOVERY_KEYS=1000000 for a quick run).
 * transfer exports and imports a stream of 1 M entries (BENCH_TRANSFER_ENTRIES=100000 for a quick run).
 * A run of some parts only replaces those parts' sections of an existing BENCHMARKS.md.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { redisServerVersion, startSandbox, type Sandbox } from '../src/core/dev/sandbox';
import { discoveryBench } from './discoveryBench';
import { durabilityBench } from './durabilityBench';
import { explorerBench } from './explorerBench';
import { metricsBench } from './metricsBench';
import { queueBench } from './queueBench';
import { searchBench } from './searchBench';
import { writeReport, type Section } from './report';
import { tailViewBench } from './tailView/tailViewBench';
import { transferBench } from './transferBench';
import { fmt, log, sizesFromEnv } from './util';

async function main(): Promise<void> {
  const parts = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const want = (p: string) => parts.length === 0 || parts.includes(p);
  const sizes = sizesFromEnv();
  const startedAt = new Date();
  const load0 = loadavg()[0]!;
  log(`sizes: ${JSON.stringify(sizes)}`);
  const servers: Sandbox[] = [];
  const stopAll = async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop().catch(() => undefined)));
  };
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
  process.once('SIGTERM', () => void stopAll().finally(() => process.exit(143)));
  const sections: Section[] = [];
  try {
    if (want('queue')) {
      const main = await startSandbox({ persistence: 'none' });
      servers.push(main);
      const bull = await startSandbox({ persistence: 'none' });
      servers.push(bull);
      log(`queue servers on ports ${main.port} (ours and raw) and ${bull.port} (BullMQ)`);
      const q = await queueBench(main, bull, sizes);
      sections.push(q.section, q.memory);
      await main.stop();
      await bull.stop();
    }
    if (want('durability')) sections.push(await durabilityBench());
    if (want('explorer')) {
      const ex = await startSandbox({ persistence: 'none' });
      servers.push(ex);
      log(`explorer server on port ${ex.port}`);
      sections.push(await explorerBench(ex, sizes));
      await ex.stop();
    }
    if (want('discovery')) {
      const ds = await startSandbox({ persistence: 'none' });
      servers.push(ds);
      log(`discovery server on port ${ds.port}`);
      sections.push(await discoveryBench(ds, sizes));
      // Stopping the server frees its memory (about 1 GB for 10 M keys).
      await ds.stop();
    }
    if (want('search')) {
      const ss = await startSandbox({ persistence: 'none' });
      servers.push(ss);
      log(`search server on port ${ss.port}`);
      sections.push(await searchBench(ss, sizes));
      await ss.stop();
    }
    if (want('transfer')) {
      const xs = await startSandbox({ persistence: 'none' });
      servers.push(xs);
      log(`transfer server on port ${xs.port}`);
      sections.push(await transferBench(xs, sizes));
      await xs.stop();
    }
    if (want('metrics')) {
      const ms = await startSandbox({ persistence: 'none' });
      servers.push(ms);
      log(`metrics server on port ${ms.port}`);
      sections.push(await metricsBench(ms));
      await ms.stop();
    }
    if (want('tailview')) {
      const tv = await startSandbox({ persistence: 'none' });
      servers.push(tv);
      log(`tail view server on port ${tv.port}`);
      sections.push(await tailViewBench(tv, sizes.scale));
      await tv.stop();
    }
  } finally {
    await stopAll();
  }
  const durationS = (Date.now() - startedAt.getTime()) / 1000;
  const env = Object.entries(process.env)
    .filter(([k]) => k.startsWith('BENCH_') && k !== 'BENCH_OUT')
    .map(([k, v]) => `${k}=${v} `)
    .join('');
  const command = `${env}npm run bench${parts.length ? ` -- ${parts.join(' ')}` : ''}`;
  const out = process.env.BENCH_OUT ?? join(__dirname, '..', '..', 'BENCHMARKS.md');
  writeReport(out, { startedAt, durationS, command, redisVersion: redisServerVersion(), sizes, sections, load: [load0, loadavg()[0]!] }, { merge: parts.length > 0 });
  log(`wrote ${out} (${fmt(durationS)} s)`);
  for (const s of sections) {
    for (const r of s.rows) {
      const ratio = r.ratio === undefined ? '' : ` ratio ${r.ratio.toFixed(2)}×`;
      const met = r.met === undefined ? '' : r.met ? ' [target met]' : ' [TARGET MISSED]';
      log(`${r.figure}: ${r.ours} | ${r.reference}${ratio}${r.target ? ` target ${r.target}` : ''}${met}`);
    }
  }
}

main().then(
  // Clients of libraries under test (BullMQ) may keep sockets open; the run is over.
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
