/**
 * Export and import benchmarks (issue 13): a stream of 1,000,000 entries (BENCH_TRANSFER_ENTRIES,
 * or 1 M × BENCH_SCALE) exported to an NDJSON file and imported back, each against a raw reference
 * measured in the same run on the same server, rounds interleaved:
 *
 * - export: `exportEntries(rangeEntries(...))` against a raw loop of `XRANGE key start + COUNT
 *   1000` writing the same lines (the lossless JSON form; the two files are compared byte for byte);
 * - import: `importEntries(...)` (new ids) against a raw loop that reads the file with readline,
 *   JSON.parse + fromJsonPairs, and pipelines XADDs in batches of the same size;
 * - memory: RSS of this process before, at its peak (sampled every 20 ms) and after each run;
 * - server cost per call: INFO commandstats (µs per XRANGE / XADD call) and SLOWLOG (calls over 2 ms).
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Redis from 'ioredis';
import { open, quit, type RedisClient } from '../src/core/redis/connection';
import { fromJsonPairs, sameRaw, toJsonPairs } from '../src/core/messages/message';
import { parseEntries } from '../src/core/redis/replies';
import { exportEntries, importEntries, rangeEntries } from '../src/core/transfer';
import type { Row, Section } from './report';
import { fmt, log, median, mem, nowMs, type Sizes } from './util';

interface Server {
  url: string;
  port: number;
}

/** Entries of the bench stream: BENCH_TRANSFER_ENTRIES, else 1 M × BENCH_SCALE (at least 1,000). */
export function transferEntries(sizes: Sizes): number {
  const v = process.env['BENCH_TRANSFER_ENTRIES'];
  if (v !== undefined && v !== '') {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`BENCH_TRANSFER_ENTRIES must be a positive whole number (got "${v}")`);
    return n;
  }
  return Math.max(1000, Math.round(1_000_000 * sizes.scale));
}

/** Import batch of both the library (its default) and the raw reference. */
const BATCH = 200;
/** Calls slower than this (µs) are counted from SLOWLOG (with their longest). */
const SLOW_US = 1000;

interface Run {
  ms: number;
  /** Client CPU (user + system) of this process, ms. */
  cpuMs: number;
  rssBefore: number;
  rssPeak: number;
  rssAfter: number;
  /** Server µs and calls per command (INFO commandstats, this run only). */
  stats: Map<string, { calls: number; usec: number }>;
  /** Calls over SLOW_US (SLOWLOG), by command: how many, and the longest (µs). */
  slow: Map<string, { n: number; maxUs: number }>;
}

function parseCommandStats(info: string): Map<string, { calls: number; usec: number }> {
  const out = new Map<string, { calls: number; usec: number }>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) out.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  return out;
}

/** Runs `fn` with the server's statistics reset before, memory sampled during, and CPU measured. */
async function measure(admin: Redis, fn: () => Promise<void>): Promise<Run> {
  mem(true);
  await admin.config('RESETSTAT');
  await admin.slowlog('RESET');
  const rssBefore = process.memoryUsage.rss();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 20);
  const cpu0 = process.cpuUsage();
  const t0 = nowMs();
  try {
    await fn();
  } finally {
    clearInterval(sampler);
  }
  const ms = nowMs() - t0;
  const cpu = process.cpuUsage(cpu0);
  const rssAfter = process.memoryUsage.rss();
  rssPeak = Math.max(rssPeak, rssAfter);
  const stats = parseCommandStats(String(await admin.info('commandstats')));
  const slow = new Map<string, { n: number; maxUs: number }>();
  for (const e of (await admin.slowlog('GET', 100_000)) as unknown[][]) {
    const cmd = String((e[3] as unknown[])[0]).toLowerCase();
    if (cmd === 'config' || cmd === 'slowlog' || cmd === 'info') continue;
    const s = slow.get(cmd) ?? { n: 0, maxUs: 0 };
    s.n++;
    s.maxUs = Math.max(s.maxUs, Number(e[2]));
    slow.set(cmd, s);
  }
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, rssBefore, rssPeak, rssAfter, stats, slow };
}

/** Writes a string or buffer, waiting for 'drain' when the stream asks. */
function write(out: NodeJS.WritableStream, chunk: Buffer): Promise<void> | undefined {
  if (out.write(chunk)) return undefined;
  return new Promise((r) => out.once('drain', () => r()));
}

function closed(out: ReturnType<typeof createWriteStream>): Promise<void> {
  return new Promise((resolve, reject) => {
    out.once('error', reject);
    out.once('close', () => resolve());
    out.end();
  });
}

/** Raw reference: XRANGE COUNT 1000 pages, each entry written as the same line as ours. */
async function rawExport(c: Redis, key: string, path: string): Promise<void> {
  const out = createWriteStream(path);
  let start = '-';
  let parts: string[] = [];
  let size = 0;
  for (;;) {
    const page = (await c.xrangeBuffer(key, start, '+', 'COUNT', 1000)) as unknown as [Buffer, Buffer[]][];
    for (const [id, raw] of page) {
      const line = `${JSON.stringify({ id: id.toString('latin1'), pairs: toJsonPairs(raw) })}\n`;
      parts.push(line);
      size += line.length;
      if (size >= 64 * 1024) {
        const p = write(out, Buffer.from(parts.join(''), 'utf8'));
        parts = [];
        size = 0;
        if (p) await p;
      }
    }
    if (page.length < 1000) break;
    start = `(${page[page.length - 1]![0].toString('latin1')}`;
  }
  if (parts.length) await write(out, Buffer.from(parts.join(''), 'utf8'));
  await closed(out);
}

async function oursExport(c: RedisClient, key: string, path: string): Promise<number> {
  const out = createWriteStream(path);
  const r = await exportEntries(rangeEntries(c, key), out);
  await closed(out);
  return r.written;
}

/** Raw reference: readline, JSON.parse + fromJsonPairs, pipelined XADD in batches of BATCH, one batch at a time. */
async function rawImport(c: Redis, key: string, path: string): Promise<number> {
  const rl = createInterface({ input: createReadStream(path, { highWaterMark: 256 * 1024 }), crlfDelay: Infinity });
  let p = c.pipeline();
  let n = 0;
  let inBatch = 0;
  for await (const line of rl) {
    if (!line) continue;
    const raw = fromJsonPairs((JSON.parse(line) as { pairs: unknown }).pairs);
    p.callBuffer('XADD', [key, '*', ...raw]);
    n++;
    if (++inBatch >= BATCH) {
      await p.exec();
      p = c.pipeline();
      inBatch = 0;
    }
  }
  if (inBatch) await p.exec();
  return n;
}

async function oursImport(c: RedisClient, key: string, path: string): Promise<number> {
  const r = await importEntries(c, key, createReadStream(path, { highWaterMark: 256 * 1024 }), { batch: BATCH });
  return r.imported;
}

/**
 * What the process holds (heap + external, after a full GC) at every 100,000 entries of one more,
 * untimed, export and import: the retained memory, which "flat" is about (the RSS peaks above also
 * count garbage not yet collected, which the GC leaves to grow with the allocation rate).
 */
async function retained(c: RedisClient, key: string, dir: string): Promise<{ export: number[]; import: number[] }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return { export: [], import: [] };
  const held = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return mib(m.heapUsed + m.external);
  };
  const ex: number[] = [held()];
  const file = join(dir, 'retained.ndjson');
  const out = createWriteStream(file);
  let next = 100_000;
  await exportEntries(rangeEntries(c, key), out, { onProgress: (p) => void (p.written >= next && ((next += 100_000), ex.push(held()))) });
  await closed(out);
  ex.push(held());
  const im: number[] = [held()];
  next = 100_000;
  const copy = `${key}:retained`;
  await importEntries(c, copy, createReadStream(file, { highWaterMark: 256 * 1024 }), { batch: BATCH, onProgress: (p) => void (p.imported >= next && ((next += 100_000), im.push(held()))) });
  im.push(held());
  await c.call('UNLINK', copy);
  return { export: ex, import: im };
}

/** Both streams hold the same messages in the same order (walked a page at a time). */
async function sameMessages(c: Redis, a: string, b: string): Promise<boolean> {
  let sa = '-';
  let sb = '-';
  for (;;) {
    const pa = parseEntries(await c.xrangeBuffer(a, sa, '+', 'COUNT', 1000));
    const pb = parseEntries(await c.xrangeBuffer(b, sb, '+', 'COUNT', 1000));
    if (pa.length !== pb.length) return false;
    for (let i = 0; i < pa.length; i++) if (!sameRaw(pa[i]!.raw, pb[i]!.raw)) return false;
    if (pa.length < 1000) return true;
    sa = `(${pa[pa.length - 1]!.id}`;
    sb = `(${pb[pb.length - 1]!.id}`;
  }
}

const mib = (b: number) => b / 2 ** 20;
const perCall = (r: Run, cmd: string) => {
  const s = r.stats.get(cmd);
  return s && s.calls ? s.usec / s.calls : NaN;
};

export async function transferBench(server: Server, sizes: Sizes): Promise<Section> {
  const N = transferEntries(sizes);
  const rounds = Math.max(1, Math.min(sizes.rounds, 3));
  const admin = new Redis({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 3 });
  const raw = new Redis({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 3 });
  const ours = await open({ url: server.url }, 'command');
  const dir = mkdtempSync(join(tmpdir(), 'rq-transfer-bench-'));
  const src = 'bench:transfer';
  try {
    await admin.config('SET', 'slowlog-log-slower-than', String(SLOW_US));
    await admin.config('SET', 'slowlog-max-len', '100000');
    // The stream: 3 small fields per entry, as the queue bench's messages, and a binary one every 10th.
    const t = nowMs();
    for (let done = 0; done < N; done += 2000) {
      const p = raw.pipeline();
      for (let i = done; i < Math.min(N, done + 2000); i++) {
        if (i % 10 === 0) p.xadd(src, '*', 'a', String(i), 'b', 'order.created', 'c', Buffer.from([i & 0xff, 0xff, 0xfe, 0x00]));
        else p.xadd(src, '*', 'a', String(i), 'b', 'order.created', 'c', '0123456789abcdef');
      }
      await p.exec();
    }
    log(`transfer: filled ${fmt(N)} entries in ${fmt(nowMs() - t)} ms`);

    const oursFile = join(dir, 'ours.ndjson');
    const rawFile = join(dir, 'raw.ndjson');
    const exO: Run[] = [];
    const exR: Run[] = [];
    const imO: Run[] = [];
    const imR: Run[] = [];
    let identical = true;
    let imported = true;
    for (let round = 0; round < rounds; round++) {
      // Interleaved, alternating who goes first.
      const order = round % 2 === 0 ? ['ours', 'raw'] : ['raw', 'ours'];
      for (const who of order) {
        if (who === 'ours') {
          let n = 0;
          exO.push(await measure(admin, async () => void (n = await oursExport(ours, src, oursFile))));
          if (n !== N) throw new Error(`ours exported ${n} of ${N}`);
        } else {
          exR.push(await measure(admin, () => rawExport(raw, src, rawFile)));
        }
      }
      log(`transfer round ${round + 1}: export ours ${fmt(exO[round]!.ms)} ms, raw ${fmt(exR[round]!.ms)} ms`);
      if (round === 0) {
        // The same bytes: compare the files (streamed, not loaded whole).
        identical = await sameFile(oursFile, rawFile);
      }
      for (const who of order) {
        const key = `bench:transfer:${who}:${round}`;
        let n = 0;
        const run = await measure(admin, async () => void (n = who === 'ours' ? await oursImport(ours, key, oursFile) : await rawImport(raw, key, oursFile)));
        if (n !== N) throw new Error(`${who} imported ${n} of ${N}`);
        (who === 'ours' ? imO : imR).push(run);
        if (who === 'ours' && round === 0) imported = await sameMessages(raw, src, key);
        await raw.call('UNLINK', key);
      }
      log(`transfer round ${round + 1}: import ours ${fmt(imO[round]!.ms)} ms, raw ${fmt(imR[round]!.ms)} ms`);
    }
    const fileMiB = mib(statSync(oursFile).size);
    const rate = (runs: Run[]) => median(runs.map((r) => N / (r.ms / 1000)));
    const cpuUs = (runs: Run[]) => median(runs.map((r) => (r.cpuMs * 1000) / N));
    const growth = (runs: Run[]) => Math.max(...runs.map((r) => mib(r.rssPeak - r.rssBefore)));
    const slow = (runs: Run[], cmd: string) => {
      const n = runs.reduce((a, r) => a + (r.slow.get(cmd)?.n ?? 0), 0);
      const max = Math.max(0, ...runs.map((r) => r.slow.get(cmd)?.maxUs ?? 0));
      return n ? `${n} over ${SLOW_US / 1000} ms, longest ${(max / 1000).toFixed(1)} ms` : `none over ${SLOW_US / 1000} ms`;
    };
    const rows: Row[] = [];
    const exRatio = rate(exO) / rate(exR);
    rows.push({
      figure: `Export of ${fmt(N)} entries to an NDJSON file (${fileMiB.toFixed(0)} MiB; files byte-identical: ${identical ? 'yes' : 'NO'})`,
      ours: `${fmt(rate(exO))} entries/s (client CPU ${cpuUs(exO).toFixed(2)} µs/entry)`,
      reference: `raw XRANGE … COUNT 1000 loop writing the same lines: ${fmt(rate(exR))} entries/s (client CPU ${cpuUs(exR).toFixed(2)} µs/entry)`,
      ratio: exRatio,
      target: '≥ 0.8×, same bytes',
      met: exRatio >= 0.8 && identical,
    });
    const imRatio = rate(imO) / rate(imR);
    rows.push({
      figure: `Import of the ${fmt(N)}-line file into a new stream (new ids, batches of ${BATCH}; copy equal to the source message for message: ${imported ? 'yes' : 'NO'})`,
      ours: `${fmt(rate(imO))} entries/s (client CPU ${cpuUs(imO).toFixed(2)} µs/entry)`,
      reference: `raw readline + JSON.parse + pipelined XADD (${BATCH} per round trip): ${fmt(rate(imR))} entries/s (client CPU ${cpuUs(imR).toFixed(2)} µs/entry)`,
      ratio: imRatio,
      target: '≥ 0.8×, byte-exact',
      met: imRatio >= 0.8 && imported,
    });
    const held = await retained(ours, src, dir);
    const spread = (xs: number[]) => (xs.length ? Math.max(...xs) - Math.min(...xs) : NaN);
    const series = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(', ');
    for (const [what, xs] of [['an export', held.export], ['an import', held.import]] as const) {
      rows.push({
        figure: `Memory held during ${what} of ${fmt(N)} entries (heap + external after a full GC, at the start, every 100,000 entries and the end)`,
        ours: xs.length ? `${series(xs)} MiB: spread ${spread(xs).toFixed(1)} MiB` : 'not measured (run with node --expose-gc)',
        reference: '-',
        target: 'flat: spread ≤ 16 MiB',
        met: spread(xs) <= 16,
      });
    }
    rows.push({
      figure: 'Memory: largest RSS growth of this process during an export (peak − before, sampled every 20 ms; includes garbage not yet collected)',
      ours: `${growth(exO).toFixed(1)} MiB (before ${mib(exO[0]!.rssBefore).toFixed(0)} MiB, after ${mib(exO[exO.length - 1]!.rssAfter).toFixed(0)} MiB)`,
      reference: `raw loop: ${growth(exR).toFixed(1)} MiB; the file is ${fileMiB.toFixed(0)} MiB`,
    });
    rows.push({
      figure: 'Memory: largest RSS growth during an import (same; ours makes a Buffer per name and value, which the GC collects later than the raw loop\'s strings)',
      ours: `${growth(imO).toFixed(1)} MiB (before ${mib(imO[0]!.rssBefore).toFixed(0)} MiB, after ${mib(imO[imO.length - 1]!.rssAfter).toFixed(0)} MiB)`,
      reference: `raw loop: ${growth(imR).toFixed(1)} MiB`,
    });
    const xr = median(exO.map((r) => perCall(r, 'xrange')));
    const xa = median(imO.map((r) => perCall(r, 'xadd')));
    rows.push({
      figure: `Server time per call (INFO commandstats, mean; SLOWLOG: calls over ${SLOW_US / 1000} ms in all rounds, which on a shared machine include waits for a core)`,
      ours: `XRANGE ${xr.toFixed(0)} µs (${slow(exO, 'xrange')}); XADD ${xa.toFixed(1)} µs (${slow(imO, 'xadd')})`,
      reference: `raw: XRANGE ${median(exR.map((r) => perCall(r, 'xrange'))).toFixed(0)} µs (${slow(exR, 'xrange')}); XADD ${median(imR.map((r) => perCall(r, 'xadd'))).toFixed(1)} µs (${slow(imR, 'xadd')})`,
      target: 'a few ms at most per call: mean ≤ 1 ms',
      met: xr <= 1000 && xa <= 1000,
    });
    return {
      title: 'Export and import (NDJSON)',
      intro:
        `\`redis-queues export\` / \`import\` (src/core/transfer.ts) on a stream of ${fmt(N)} entries of 3 small fields (every 10th with a binary value, written as base64), against raw ioredis loops in the same process on the same server; ${rounds} interleaved rounds, medians. The export reads adaptive XRANGE pages (up to 1,000 entries, about 1 MB) and writes with backpressure; the import reads 256 KB chunks, checks each batch of ${BATCH} lines whole, then pipelines its XADDs (one batch in flight while the next is read).`,
      rows,
      notes: [
        `Sizes: BENCH_TRANSFER_ENTRIES=${N} (default 1,000,000 × BENCH_SCALE). Files in ${tmpdir()}, removed afterwards.`,
        'Both exports write the same lines (the lossless JSON form); the raw loop skips the entry model (the `fields` view) and the adaptive first pages. The raw import has no validation beyond fromJsonPairs, no line numbers and no progress.',
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await raw.call('UNLINK', src).catch(() => undefined);
    await admin.config('SET', 'slowlog-log-slower-than', '10000').catch(() => undefined);
    await quit(ours);
    raw.disconnect();
    admin.disconnect();
  }
}

/** Whether two files hold the same bytes (compared a chunk at a time). */
async function sameFile(a: string, b: string): Promise<boolean> {
  if (statSync(a).size !== statSync(b).size) return false;
  const ia = createReadStream(a, { highWaterMark: 1 << 20 })[Symbol.asyncIterator]();
  const ib = createReadStream(b, { highWaterMark: 1 << 20 });
  let pending: Buffer = Buffer.alloc(0);
  for await (const cb of ib) {
    let chunk = cb as Buffer;
    while (chunk.length) {
      if (!pending.length) {
        const n = await ia.next();
        if (n.done) return false;
        pending = n.value as Buffer;
      }
      const k = Math.min(pending.length, chunk.length);
      if (!pending.subarray(0, k).equals(chunk.subarray(0, k))) return false;
      pending = pending.subarray(k);
      chunk = chunk.subarray(k);
    }
  }
  return pending.length === 0 && (await ia.next()).done === true;
}
