/** The figures a bench run collects, and BENCHMARKS.md written from them. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, type as osType, release } from 'node:os';
import { fmt, type Sizes } from './util';

export interface Row {
  /** What is measured. */
  figure: string;
  /** Our figure, formatted with its unit. */
  ours: string;
  /** The reference it is compared with, and its figure. */
  reference: string;
  /** ours / reference expressed so that > 1 means "ours is better" unless stated in `ratioNote`. */
  ratio?: number;
  ratioNote?: string;
  target?: string;
  met?: boolean;
}

export interface Section {
  title: string;
  intro?: string;
  rows: Row[];
  notes?: string[];
}

export interface Report {
  startedAt: Date;
  durationS: number;
  command: string;
  redisVersion: string;
  sizes: Sizes;
  sections: Section[];
  extra?: string[];
  /** 1-minute load averages at start and end of the run. */
  load?: [number, number];
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

export function renderMarkdown(r: Report): string {
  const cpu = cpus();
  const lines: string[] = [];
  lines.push('# Benchmarks');
  lines.push('');
  lines.push('Written by `npm run bench` (`node scripts/bench.mjs`); do not edit by hand. Every figure is compared with a');
  lines.push('reference measured in the same run, against the same throwaway `redis-server` (started by the bench on a free');
  lines.push('loopback port, no persistence), so ratios are meaningful even where absolute numbers depend on the machine.');
  lines.push('Throughputs and times are medians over the rounds stated; ratios are ours ÷ reference for throughputs and');
  lines.push('reference ÷ ours for times (so > 1 always means ours is faster).');
  lines.push('');
  lines.push('## Run');
  lines.push('');
  lines.push(`- Command: \`${r.command}\``);
  lines.push(`- Date: ${r.startedAt.toISOString()} (bench took ${fmt(r.durationS)} s)`);
  lines.push(`- Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${fmt(totalmem() / 2 ** 30, 1)} GiB RAM, ${osType()} ${release()}`);
  lines.push(`- Node ${process.version}; Redis ${r.redisVersion} (redis-server and redis-benchmark on 127.0.0.1, \`--save '' --appendonly no\`)`);
  const load = r.load ? ` (1-minute load average ${r.load[0].toFixed(1)} at the start, ${r.load[1].toFixed(1)} at the end)` : '';
  lines.push(`- Other processes (other engineers' builds and tests) shared the machine${load}; medians damp that, they do not remove it. The per-message CPU figures (process.cpuUsage of the bench process; server usec from INFO commandstats) are steadier than wall-clock rates under such load.`);
  const s = r.sizes;
  lines.push(
    `- Sizes (BENCH_SCALE=${s.scale}): producer ${fmt(s.producerMessages)} messages of 3 small fields in batches of ${fmt(s.producerBatch)}; ` +
      `worker drain ${fmt(s.workerMessages)} entries, concurrency ${s.workerConcurrency}; BullMQ ${fmt(s.bullmqJobs)} jobs; ` +
      `tail ${s.tailRate} msg/s for ${fmt(s.tailSeconds, 1)} s; keyspace ${fmt(s.keyspaceKeys)} keys of which ${fmt(s.keyspaceStreams)} streams; ` +
      `PEL ${fmt(s.pelLarge)} and ${fmt(s.pelSmall)} entries; discovery ${fmt(s.discoveryKeys)} strings + ${fmt(s.discoveryStreams)} streams + ${fmt(s.discoveryQueues)} list queues; ` +
      `${s.rounds} rounds for throughputs, ${s.firstPaintRepeats} repeats for first paint, ${s.pageRepeats} for pending pages.`,
  );
  lines.push('');
  for (const sec of r.sections) {
    lines.push(`## ${sec.title}`);
    lines.push('');
    if (sec.intro) {
      lines.push(sec.intro);
      lines.push('');
    }
    lines.push('| Figure | Ours | Reference (same run) | Ratio | Target | Met |');
    lines.push('|---|---|---|---|---|---|');
    for (const row of sec.rows) {
      const ratio = row.ratio === undefined ? '–' : `${row.ratio.toFixed(2)}×${row.ratioNote ? ` ${row.ratioNote}` : ''}`;
      const met = row.met === undefined ? '–' : row.met ? 'yes' : '**no**';
      lines.push(`| ${cell(row.figure)} | ${cell(row.ours)} | ${cell(row.reference)} | ${cell(ratio)} | ${cell(row.target ?? '–')} | ${met} |`);
    }
    lines.push('');
    for (const n of sec.notes ?? []) lines.push(`- ${n}`);
    if (sec.notes?.length) lines.push('');
  }
  for (const e of r.extra ?? []) {
    lines.push(e);
  }
  return lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

/** Splits a rendered report at its `## ` headings: the preamble, then [title, text] per section. */
function splitSections(md: string): { head: string; sections: [string, string][] } {
  const parts = md.split(/^(?=## )/m);
  const head = parts[0]!.startsWith('## ') ? '' : parts.shift()!;
  return { head, sections: parts.map((p) => [p.slice(3, p.indexOf('\n')).trim(), p]) };
}

/**
 * Writes BENCHMARKS.md. With `merge` (a run of some parts only) an existing file keeps its preamble,
 * its "Run" section and every other section; the sections of this run replace those of the same
 * title (or are appended), each stating the command, date and load of this run.
 */
export function writeReport(path: string, r: Report, o: { merge?: boolean } = {}): void {
  const fresh = renderMarkdown(r);
  if (!o.merge || !existsSync(path)) {
    writeFileSync(path, fresh);
    return;
  }
  const old = splitSections(readFileSync(path, 'utf8'));
  const mine = splitSections(fresh).sections.filter(([t]) => t !== 'Run');
  const load = r.load ? `; 1-minute load average ${r.load[0].toFixed(1)} at the start, ${r.load[1].toFixed(1)} at the end` : '';
  const stamp = `_From a separate run: \`${r.command}\`, ${r.startedAt.toISOString()}, ${fmt(r.durationS)} s, Node ${process.version}, Redis ${r.redisVersion}${load}._\n\n`;
  const sections = old.sections.map(([t, text]): [string, string] => {
    const i = mine.findIndex(([m]) => m === t);
    if (i < 0) return [t, text];
    const [[, replacement]] = mine.splice(i, 1) as [[string, string]];
    return [t, withStamp(replacement, stamp)];
  });
  for (const [t, text] of mine) sections.push([t, withStamp(text, stamp)]);
  const body = old.head + sections.map(([, text]) => (text.endsWith('\n\n') ? text : `${text.trimEnd()}\n\n`)).join('');
  writeFileSync(path, body.trimEnd() + '\n');
}

function withStamp(section: string, stamp: string): string {
  const nl = section.indexOf('\n\n');
  return nl < 0 ? `${section}\n\n${stamp}` : `${section.slice(0, nl + 2)}${stamp}${section.slice(nl + 2)}`;
}
