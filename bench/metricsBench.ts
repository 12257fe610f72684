/**
 * Health-over-time benchmark (issue 25): what one sampling round (core sampleRound) costs the
 * server on a keyspace of 1,000 streams (two groups each, one holding entries): its total server
 * time (INFO commandstats) and its largest single call (SLOWLOG at a 0 µs threshold), for the
 * default watched maximum (50 streams) and, to show the bound is the list and not the keyspace, for
 * all 1,000. The reference is the same calls sent raw (ioredis, one pipeline) in the same run.
 */
import Redis from 'ioredis';
import { DEFAULT_MAX_STREAMS, sampleRound } from '../src/core/metrics/sampler';
import { open, quit } from '../src/core/redis/connection';
import type { Section } from './report';
import { fmt, log, median, nowMs } from './util';

const STREAMS = 1000;
const ROUNDS = 20;

interface Server {
  url: string;
  port: number;
}

/** Server time (µs) of the round's commands (XINFO, XPENDING, XLEN, INFO) since the last CONFIG RESETSTAT, and their calls. */
async function serverTime(c: Redis): Promise<{ usec: number; calls: number }> {
  const stats = String(await c.info('commandstats'));
  let usec = 0;
  let calls = 0;
  // (the INFO commandstats reading this is not counted yet: INFO's own stats are updated after it answers)
  for (const m of stats.matchAll(/cmdstat_(xinfo|xpending|xlen|info)(?:\|\w+)?:calls=(\d+),usec=(\d+)/g)) {
    calls += Number(m[2]);
    usec += Number(m[3]);
  }
  return { usec, calls };
}

/** The longest call the slow log holds (µs, and which command), then the log emptied. */
async function largestCall(c: Redis): Promise<{ us: number; command: string }> {
  const entries = (await c.call('SLOWLOG', 'GET', '100000')) as [number, number, number, string[]][];
  await c.call('SLOWLOG', 'RESET');
  let best = { us: 0, command: '' };
  for (const e of entries) {
    if (!(/^(XINFO|XPENDING|XLEN)$/i.test(String(e[3]?.[0])) || /^INFO server$/i.test(`${e[3]?.[0]} ${e[3]?.[1]}`))) continue;
    if (Number(e[2]) > best.us) best = { us: Number(e[2]), command: e[3].slice(0, 2).join(' ') };
  }
  return best;
}

export async function metricsBench(server: Server): Promise<Section> {
  const admin = new Redis({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 3 });
  log(`metrics: ${STREAMS} streams of 100 entries, 2 groups each`);
  let p = admin.pipeline();
  const keys: string[] = [];
  for (let s = 0; s < STREAMS; s++) {
    const k = `orders:${s}`;
    keys.push(k);
    for (let e = 0; e < 100; e++) p.xadd(k, '*', 'n', String(e), 'kind', 'order.created', 'payload', 'x'.repeat(200));
    p.xgroup('CREATE', k, 'billing', '0');
    p.xgroup('CREATE', k, 'audit', '0');
    p.xreadgroup('GROUP', 'billing', 'w1', 'COUNT', 10, 'STREAMS', k, '>');
    if (s % 50 === 49) {
      await p.exec();
      p = admin.pipeline();
    }
  }
  await p.exec();
  await admin.config('SET', 'slowlog-log-slower-than', '0');
  await admin.config('SET', 'slowlog-max-len', '100000');
  const client = await open({ url: server.url });
  const rows: Section['rows'] = [];
  try {
    for (const watched of [DEFAULT_MAX_STREAMS, STREAMS]) {
      const list = keys.slice(0, watched);
      const ours: number[] = [];
      const raw: number[] = [];
      let usec = 0;
      let calls = 0;
      let largest = { us: 0, command: '' };
      const overMs: string[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        // Ours, then the raw reference, alternately (the same load for both).
        await admin.config('RESETSTAT');
        await admin.call('SLOWLOG', 'RESET');
        let t = nowMs();
        await sampleRound(client, list, { maxStreams: watched });
        ours.push(nowMs() - t);
        const st = await serverTime(admin);
        usec += st.usec;
        calls += st.calls;
        const l = await largestCall(admin);
        if (l.us >= 1000) overMs.push(`${l.command} ${fmt(l.us)} µs`);
        if (l.us > largest.us) largest = l;
        t = nowMs();
        const rp = admin.pipeline();
        rp.call('INFO', 'server');
        for (const k of list) {
          rp.call('XLEN', `${k}:dlq`);
          rp.call('XINFO', 'STREAM', k);
          rp.call('XINFO', 'GROUPS', k);
          rp.call('XPENDING', k, 'billing');
          rp.call('XINFO', 'CONSUMERS', k, 'billing');
        }
        await rp.exec();
        raw.push(nowMs() - t);
      }
      const m = median(ours);
      const mr = median(raw);
      rows.push({
        figure: `one round over ${fmt(watched)} watched streams (of ${fmt(STREAMS)}): wall time, median of ${ROUNDS}`,
        ours: `${fmt(m, 2)} ms`,
        reference: `the same calls raw, one pipeline: ${fmt(mr, 2)} ms`,
        ratio: mr / m,
      });
      rows.push({
        figure: `one round over ${fmt(watched)} streams: server time in all (${fmt(calls / ROUNDS)} calls), and its largest call`,
        ours: `${fmt(usec / ROUNDS / 1000, 2)} ms in all; largest call ${fmt(largest.us)} µs (${largest.command}); rounds whose largest call took 1 ms or more: ${overMs.length} of ${ROUNDS}${overMs.length ? ` (${overMs.join(', ')})` : ''}`,
        reference: 'target: a few ms a round for the default watched list, every call well under 1 ms',
        target: watched === DEFAULT_MAX_STREAMS ? '≤ 5 ms a round, each call < 1 ms' : 'each call < 1 ms',
        met: watched === DEFAULT_MAX_STREAMS ? usec / ROUNDS / 1000 <= 5 && largest.us < 1000 : largest.us < 1000,
      });
    }
  } finally {
    await quit(client);
    admin.disconnect();
  }
  return {
    title: 'Health over time: a sampling round',
    intro: `A round of core sampleRound (INFO server once; XINFO STREAM, XINFO GROUPS and XLEN of its dead-letter stream per watched stream; XPENDING and XINFO CONSUMERS per group holding entries; sent together) on a server holding ${fmt(STREAMS)} streams of 100 entries with two groups each. The editor and \`redis-queues top\` watch at most ${DEFAULT_MAX_STREAMS} streams by default: the cost follows that list, not the keyspace.`,
    rows,
  };
}
