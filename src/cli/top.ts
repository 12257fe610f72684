// `redis-queues top`: streams and their groups as they move: messages in and out per second, lag
// and its trend, pending and the oldest pending entry's age, refreshed every few seconds (core
// metrics: sampleRound into a MetricsHistory). `q` or Ctrl-C quits. `--once` samples twice, one
// interval apart (so that there are rates), prints one table (or JSON) and exits.
import { type Inspector, type Metric, type Round, Inspector as InspectorClass, MetricsHistory, formatCount, formatDuration, sampleRound, sparkline, trendOf } from '../core/internal';
import { type CommandSpec, UsageError } from './args';
import { type Command, type CommandContext, GLOBAL_OPTIONS } from './common';
import { safe, table } from './format';

/** One group's row. */
export interface TopGroup {
  name: string;
  /** Entries read per second over the last interval (Redis ≥ 7; null before, or right after a reset). */
  outPerSec: number | null;
  lag: number | null;
  /** ↑ ↓ or → over the rounds seen (at most the last 5 minutes). */
  lagTrend: '↑' | '↓' | '→';
  pending: number;
  oldestPendingAgeMs: number | null;
}

/** One stream's row. */
export interface TopStream {
  key: string;
  length: number;
  /** Entries added per second over the last interval; "about" (from the length) before Redis 7. */
  inPerSec: number | null;
  inAbout: boolean;
  groups: TopGroup[];
}

export interface TopDoc {
  at: string;
  intervalMs: number;
  streams: TopStream[];
  /** Streams that went away (or are not streams), with why. */
  missing: Record<string, string>;
}

const TREND_WINDOW_MS = 5 * 60_000;

/** The table's data from the history after `round`. */
export function topDoc(h: MetricsHistory, round: Round, intervalMs: number): TopDoc {
  const last = (key: string, group: string | undefined, m: Metric) => {
    const p = h.points(key, group, m, intervalMs * 2, round.at).at(-1);
    return p && p.t === round.at ? p.v : null;
  };
  return {
    at: new Date(round.at).toISOString(),
    intervalMs,
    streams: round.streams.map((s) => ({
      key: s.key,
      length: s.length,
      inPerSec: last(s.key, undefined, 'in'),
      inAbout: s.entriesAdded === undefined,
      groups: s.groups.map((g) => ({
        name: g.name,
        outPerSec: last(s.key, g.name, 'out'),
        lag: g.lag ?? null,
        lagTrend: trendOf(h.points(s.key, g.name, 'lag', TREND_WINDOW_MS, round.at)).arrow,
        pending: g.pending,
        oldestPendingAgeMs: g.oldestPendingAgeMs ?? null,
      })),
    })),
    missing: round.missing,
  };
}

function rate(v: number | null, about = false): string {
  if (v === null) return '-';
  return `${about ? '~' : ''}${v >= 100 ? Math.round(v) : v.toFixed(1)}`;
}

/** The table as lines. */
export function renderTop(doc: TopDoc, h: MetricsHistory, header: string): string[] {
  const rows: (string | number)[][] = [];
  for (const s of doc.streams) {
    rows.push([safe(s.key), s.length, rate(s.inPerSec, s.inAbout), '', '', '', '', '', sparkline(h.points(s.key, undefined, 'in', TREND_WINDOW_MS), 12)]);
    for (const g of s.groups) {
      rows.push([
        `  › ${safe(g.name)}`,
        '',
        '',
        rate(g.outPerSec),
        g.lag === null ? '?' : formatCount(g.lag),
        g.lagTrend,
        formatCount(g.pending),
        g.oldestPendingAgeMs === null ? '' : formatDuration(g.oldestPendingAgeMs),
        sparkline(h.points(s.key, g.name, 'lag', TREND_WINDOW_MS), 12),
      ]);
    }
  }
  const lines = [header, '', ...table(['STREAM › GROUP', 'LENGTH', 'IN/S', 'OUT/S', 'LAG', 'TREND', 'PENDING', 'OLDEST', 'LAST 5 MIN (in; lag)'], rows)];
  for (const [key, why] of Object.entries(doc.missing)) lines.push(`${safe(key)}: ${why}`);
  if (!doc.streams.length && !Object.keys(doc.missing).length) lines.push('(no streams)');
  return lines;
}

const spec: CommandSpec = {
  name: 'top',
  summary: 'Watch streams and groups as they move: messages in and out per second, lag and its trend, pending, the oldest pending entry.',
  positionals: [{ name: 'STREAM', description: 'Streams to watch (default: those --match finds, up to --limit)', variadic: true, required: false }],
  options: [
    { name: 'match', type: 'string', value: 'PATTERN', description: 'SCAN MATCH pattern for the streams watched when none is named', default: '*' },
    { name: 'limit', type: 'int', value: 'N', min: 1, description: 'Most streams watched (each costs two small calls a round)', default: '20' },
    { name: 'interval', type: 'int', value: 'MS', min: 200, description: 'Time between rounds', default: '2000' },
    { name: 'once', type: 'boolean', description: 'Two rounds one interval apart, one table (or --json), then exit' },
    ...GLOBAL_OPTIONS,
  ],
  details:
    'Each round sends XINFO STREAM and XINFO GROUPS per stream and XPENDING (summary) per group holding entries, together: its cost does not grow with the keyspace. Streams are found once with a bounded SCAN (1 s, 1,000 calls). Rates come from Redis 7 counters (entries-added, entries-read); before 7.0 the in rate is about (the length\'s growth) and the out rate unknown. A stream recreated or a group reset shows no rate for that round, not a spike. Press q (or Ctrl-C) to quit.',
  examples: ['redis-queues top', 'redis-queues top orders emails:events --interval 5000', 'redis-queues top --match "orders*" --once --json'],
};

export const topCommand: Command = {
  spec,
  async run(args, ctx) {
    const o = args.options;
    const intervalMs = (o['interval'] as number | undefined) ?? 2000;
    const limit = (o['limit'] as number | undefined) ?? 20;
    const once = Boolean(o['once']);
    if (!once && ctx.json) throw new UsageError('--json needs --once (a live table is for a terminal)', 'top');
    const inspector = await InspectorClass.open(ctx.connection);
    try {
      const named = (args.positionals['STREAM'] as string[] | undefined) ?? [];
      const keys = named.length ? named.slice(0, limit) : await findStreams(inspector, (o['match'] as string | undefined) ?? '*', limit);
      const h = new MetricsHistory({ intervalMs });
      const target = `${safe(inspector.target)}`;
      const sample = async () => {
        const r = await sampleRound(inspector.client, keys, { maxStreams: limit });
        h.add(r);
        return r;
      };
      if (once) {
        await sample();
        await sleep(intervalMs);
        const r = await sample();
        const doc = topDoc(h, r, intervalMs);
        if (ctx.json) ctx.out(JSON.stringify(doc, null, 2));
        else for (const l of renderTop(doc, h, `${target}, ${new Date(r.at).toLocaleTimeString()} (rates over ${intervalMs / 1000} s)`)) ctx.out(l);
        return 0;
      }
      return await live(ctx, sample, h, intervalMs, target);
    } finally {
      inspector.close();
    }
  },
};

async function findStreams(inspector: Inspector, match: string, limit: number): Promise<string[]> {
  const page = await inspector.scanStreams({ match, limit, maxMs: 1000, maxCalls: 1000 });
  return page.keys.sort();
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Redraws every interval until q, Ctrl-C or SIGTERM. */
async function live(ctx: CommandContext, sample: () => Promise<Round>, h: MetricsHistory, intervalMs: number, target: string): Promise<number> {
  const tty = process.stdout.isTTY === true;
  let quit: () => void = () => undefined;
  const quitting = new Promise<void>((r) => (quit = r));
  const stdin = process.stdin;
  const onKey = (d: Buffer) => {
    const k = d.toString();
    if (k === 'q' || k === 'Q' || k === '\u0003') quit();
  };
  if (stdin.isTTY) {
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onKey);
  }
  process.once('SIGINT', quit);
  process.once('SIGTERM', quit);
  try {
    for (;;) {
      const r = await sample();
      const lines = renderTop(topDoc(h, r, intervalMs), h, `${target}, ${new Date(r.at).toLocaleTimeString()}, every ${intervalMs / 1000} s; q to quit`);
      if (tty) ctx.io.stdout('\u001b[H\u001b[2J');
      for (const l of lines) ctx.out(l);
      if (!tty) ctx.out('');
      let timer: NodeJS.Timeout | undefined;
      const next = await Promise.race([quitting.then(() => 'quit' as const), new Promise<'tick'>((res) => (timer = setTimeout(() => res('tick'), intervalMs)))]);
      clearTimeout(timer);
      if (next === 'quit') return 0;
    }
  } finally {
    process.removeListener('SIGINT', quit);
    process.removeListener('SIGTERM', quit);
    if (stdin.isTTY) {
      stdin.removeListener('data', onKey);
      stdin.setRawMode(false);
      stdin.pause();
    }
  }
}
