/**
 * Explorer benchmarks (issue 4): first paint of the streams level on a large keyspace, and pending
 * pages on a large and a small PEL, each against the raw Redis commands timed in the same run.
 */
import Redis from 'ioredis';
import { Inspector } from '../src/core/inspect/inspect';
import type { Section } from './report';
import { fmt, log, median, nowMs, percentile, type Sizes } from './util';

interface Server {
  url: string;
  port: number;
}

function raw(port: number): Redis {
  return new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 3 });
}

const FILL_STREAM = `local n = tonumber(ARGV[1])
local id
for i = 1, n do id = redis.call('XADD', KEYS[1], '*', 'f', 'v') end
return id`;

const READ_GROUP = `local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if not r then return 0 end
return #r[1][2]`;

/** Builds `keys` keys, `streams` of them streams (10 entries and one group each), the rest strings and hashes. */
async function buildKeyspace(c: Redis, keys: number, streams: number): Promise<void> {
  const every = Math.floor(keys / streams);
  let p = c.pipeline();
  let queued = 0;
  let s = 0;
  for (let i = 0; i < keys; i++) {
    if (i % every === 0 && s < streams) {
      const k = `orders:${s++}`;
      for (let e = 0; e < 10; e++) p.xadd(k, '*', 'n', String(e), 'kind', 'order.created');
      p.xgroup('CREATE', k, 'g', '0');
    } else if (i % 2 === 0) {
      p.set(`cache:${i}`, 'some cached value');
    } else {
      p.hset(`user:${i}`, 'name', 'Ada', 'email', 'ada@example.com');
    }
    if (++queued >= 5000) {
      await p.exec();
      p = c.pipeline();
      queued = 0;
    }
  }
  await p.exec();
}

/** A stream with a PEL of `n` entries in group g (one consumer), built server-side. Returns the id in the middle. */
async function buildPel(c: Redis, key: string, n: number): Promise<string> {
  const chunk = 10_000;
  let mid = '';
  for (let done = 0; done < n; ) {
    const m = Math.min(chunk, Math.floor(n / 2) > done ? Math.floor(n / 2) - done : n - done);
    const last = String(await c.eval(FILL_STREAM, 1, key, m));
    done += m;
    if (done === Math.floor(n / 2)) mid = last;
  }
  await c.xgroup('CREATE', key, 'g', '0');
  let read = 0;
  for (;;) {
    let got: number;
    try {
      got = Number(await c.eval(READ_GROUP, 1, key, 'g', 'c1', 10_000));
    } catch {
      // Fallback when a server refuses XREADGROUP in scripts: read through the client.
      const r = (await c.callBuffer('XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', 10_000, 'STREAMS', key, '>')) as unknown[] | null;
      got = r ? ((Array.isArray(r[0]) ? (r[0] as unknown[])[1] : r[1]) as unknown[]).length : 0;
    }
    if (got === 0) break;
    read += got;
  }
  const pending = (await c.xpending(key, 'g')) as unknown[];
  if (Number(pending[0]) !== n || read !== n) throw new Error(`PEL of ${key} has ${String(pending[0])} entries, wanted ${n}`);
  return mid;
}

export async function explorerBench(server: Server, sizes: Sizes): Promise<Section> {
  const rows: Section['rows'] = [];
  const notes: string[] = [];
  const c = raw(server.port);
  await c.flushall();

  // ---------------------------------------------------------------- first paint
  {
    let t = nowMs();
    await buildKeyspace(c, sizes.keyspaceKeys, sizes.keyspaceStreams);
    const dbsize = await c.dbsize();
    log(`keyspace: ${fmt(dbsize)} keys built in ${fmt(nowMs() - t)} ms`);

    // Cold: open the inspector (connect, INFO) and paint once; reference: connect a raw client and run the raw commands.
    const rawPaint = async (rc: Redis) => {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = (await rc.scan(cursor, 'MATCH', '*', 'COUNT', 1000, 'TYPE', 'stream')) as [string, string[]];
        keys.push(...found);
        cursor = next;
      } while (cursor !== '0' && keys.length < 200);
      const p = rc.pipeline();
      for (const k of keys) p.xinfo('STREAM', k);
      const res = (await p.exec()) ?? [];
      if (res.some(([e]) => e)) throw new Error('XINFO failed');
      return keys.length;
    };
    const oursPaint = async (insp: Inspector) => {
      const page = await insp.scanStreams({ limit: 200 });
      const infos = await insp.streams(page.keys);
      if (infos.some((i) => i instanceof Error)) throw new Error('streams() returned an error');
      return page.keys.length;
    };

    t = nowMs();
    const insp = await Inspector.open({ url: server.url });
    const oursKeys = await oursPaint(insp);
    const coldOurs = nowMs() - t;
    t = nowMs();
    const rc = raw(server.port);
    const rawKeys = await rawPaint(rc);
    const coldRaw = nowMs() - t;

    const ours: number[] = [];
    const refs: number[] = [];
    const scanOnly: number[] = [];
    const scanOnlyRaw: number[] = [];
    for (let i = 0; i < sizes.firstPaintRepeats; i++) {
      t = nowMs();
      await oursPaint(insp);
      ours.push(nowMs() - t);
      t = nowMs();
      await rawPaint(rc);
      refs.push(nowMs() - t);
      t = nowMs();
      await insp.scanStreams({ limit: 200 });
      scanOnly.push(nowMs() - t);
      t = nowMs();
      let cursor = '0';
      let n = 0;
      do {
        const [next, found] = (await rc.scan(cursor, 'MATCH', '*', 'COUNT', 1000, 'TYPE', 'stream')) as [string, string[]];
        n += found.length;
        cursor = next;
      } while (cursor !== '0' && n < 200);
      scanOnlyRaw.push(nowMs() - t);
    }
    const o = median(ours);
    const r = median(refs);
    log(`first paint: ours ${o.toFixed(2)} ms (${oursKeys} keys), raw ${r.toFixed(2)} ms (${rawKeys} keys); cold ${coldOurs.toFixed(1)} / ${coldRaw.toFixed(1)} ms`);
    rows.push({
      figure: `First paint of the streams level, warm session: scanStreams({limit: 200}) + streams(keys) on ${fmt(dbsize)} keys / ${fmt(sizes.keyspaceStreams)} streams (${oursKeys} keys shown)`,
      ours: `${o.toFixed(2)} ms (p90 ${percentile(ours, 90).toFixed(2)})`,
      reference: `raw SCAN … COUNT 1000 TYPE stream to ≥ 200 keys + pipelined XINFO STREAM: ${r.toFixed(2)} ms (p90 ${percentile(refs, 90).toFixed(2)})`,
      ratio: r / o,
    });
    rows.push({
      figure: '… of which the SCAN part: scanStreams({limit: 200})',
      ours: `${median(scanOnly).toFixed(2)} ms`,
      reference: `raw SCAN loop: ${median(scanOnlyRaw).toFixed(2)} ms`,
      ratio: median(scanOnlyRaw) / median(scanOnly),
    });
    rows.push({
      figure: 'First paint, cold: Inspector.open (connect, INFO server + replication) + the same',
      ours: `${coldOurs.toFixed(2)} ms`,
      reference: `new raw ioredis client + the raw commands: ${coldRaw.toFixed(2)} ms`,
      ratio: coldRaw / coldOurs,
    });
    notes.push(`First paint: ${sizes.firstPaintRepeats} warm repeats, ours and raw interleaved; keys named orders:N (streams, 10 entries and a group each), cache:N (strings), user:N (hashes), so MATCH * as the tree's default filter.`);
    rc.disconnect();
    insp.close();
    await c.flushall();
  }

  // ---------------------------------------------------------------- pending pages
  {
    const insp = await Inspector.open({ url: server.url });
    const middleMedian: Record<string, number> = {};
    for (const [label, n] of [
      ['large', sizes.pelLarge],
      ['small', sizes.pelSmall],
    ] as const) {
      const key = `pel:${label}`;
      const t = nowMs();
      const mid = await buildPel(c, key, n);
      log(`PEL ${fmt(n)} built in ${fmt(nowMs() - t)} ms (middle id ${mid})`);
      const start: number[] = [];
      const middle: number[] = [];
      const rawStart: number[] = [];
      const rawMiddle: number[] = [];
      // warm-up
      await insp.pendingPage(key, 'g', { count: 100 });
      await c.call('XPENDING', key, 'g', '-', '+', 100);
      for (let i = 0; i < sizes.pageRepeats; i++) {
        let t0 = nowMs();
        const a = await insp.pendingPage(key, 'g', { count: 100 });
        start.push(nowMs() - t0);
        t0 = nowMs();
        const b = await insp.pendingPage(key, 'g', { after: mid, count: 100 });
        middle.push(nowMs() - t0);
        t0 = nowMs();
        const ra = (await c.call('XPENDING', key, 'g', '-', '+', 100)) as unknown[];
        rawStart.push(nowMs() - t0);
        t0 = nowMs();
        const rb = (await c.call('XPENDING', key, 'g', `(${mid}`, '+', 100)) as unknown[];
        rawMiddle.push(nowMs() - t0);
        if (i === 0 && (a.entries.length !== 100 || b.entries.length !== 100 || ra.length !== 100 || rb.length !== 100)) throw new Error('a pending page did not have 100 entries');
      }
      const fig = (xs: number[]) => `${(median(xs) * 1000).toFixed(0)} µs (p90 ${(percentile(xs, 90) * 1000).toFixed(0)})`;
      log(`PEL ${label}: ours start ${fig(start)}, middle ${fig(middle)}; raw ${fig(rawStart)}, ${fig(rawMiddle)}`);
      rows.push({
        figure: `pendingPage(count 100) from the start, PEL of ${fmt(n)}`,
        ours: fig(start),
        reference: `raw XPENDING key g - + 100: ${fig(rawStart)}`,
        ratio: median(rawStart) / median(start),
      });
      rows.push({
        figure: `pendingPage(count 100) from the middle, PEL of ${fmt(n)}`,
        ours: fig(middle),
        reference: `raw XPENDING key g (mid + 100: ${fig(rawMiddle)}`,
        ratio: median(rawMiddle) / median(middle),
      });
      middleMedian[label] = median(middle);
      await c.del(key);
    }
    const growth = middleMedian['large']! / middleMedian['small']!;
    rows.push({
      figure: `Page time growth: middle page on ${fmt(sizes.pelLarge)} ÷ on ${fmt(sizes.pelSmall)} entries`,
      ours: `${growth.toFixed(2)}×`,
      reference: `PEL size ratio ${fmt(sizes.pelLarge / sizes.pelSmall)}×`,
      target: 'does not grow with PEL size (≈ 1×)',
      met: growth < 1.5,
    });
    notes.push(`Pending pages: ${sizes.pageRepeats} repeats each, ours and raw interleaved on a warm inspect client. The PELs are built server-side (scripted XADD batches of 10,000, XGROUP CREATE at 0, scripted XREADGROUP COUNT 10000 without ack).`);
    insp.close();
  }
  c.disconnect();
  return { title: 'Explorer (issue 4)', rows, notes };
}
