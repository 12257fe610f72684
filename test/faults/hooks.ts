// Mocha root hooks of the fault suite (--require out/test/faults/hooks.js): one redis-server for
// the handler logs, which no test ever kills, and the results table, written to
// .test-output/faults.md and printed when the run ends.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../src/core/dev/sandbox';

export interface FaultResult {
  fault: string;
  /** Faults injected (kills, restarts, pauses...). */
  runs: number;
  /** Acknowledged publishes checked. */
  messages: number;
  /**
   * Acknowledged publishes not in the final stream (a failover threw them away); undefined where
   * the fault cannot lose a write (one server, no failover) and it is not counted.
   */
  ackedLost?: number;
  /** Acknowledged publishes the handler never saw. */
  lost: number;
  /** Handler runs beyond the first, per message. */
  duplicates: number;
  /** Recovery time, formatted. */
  recovery: string;
  notes?: string;
}

const results: FaultResult[] = [];
let logServer: Sandbox | undefined;
let started = 0;

/** Adds a row to the results table. */
export function record(r: FaultResult): void {
  results.push(r);
  console.log(`      [fault] ${r.fault}: runs ${r.runs}, messages ${r.messages}, acknowledged lost ${r.ackedLost ?? '–'}, never handled ${r.lost}, extra handlings ${r.duplicates}, recovery ${r.recovery}${r.notes ? ` (${r.notes})` : ''}`);
}

/** URL of the log server (handler logs live there, out of reach of the faults). */
export function logUrl(): string {
  if (!logServer) throw new Error('the fault suite log server is not running (run with --require out/test/faults/hooks.js)');
  return logServer.url;
}

/** The results as a Markdown table. */
export function table(): string {
  const rows = results.map((r) => `| ${r.fault} | ${r.runs} | ${r.messages} | ${r.ackedLost ?? '–'} | ${r.lost} | ${r.duplicates} | ${r.recovery} | ${r.notes ?? ''} |`);
  return [
    `Fault suite, ${new Date().toISOString()}, seed ${process.env.FAULT_SEED ?? 'default'}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    '',
    '| fault | runs | messages acknowledged | acknowledged lost | never handled | extra handlings | recovery time | notes |',
    '|---|---:|---:|---:|---:|---:|---|---|',
    ...rows,
    '',
    '"–" in "acknowledged lost": not counted (one server, no failover: the fault cannot lose an acknowledged write).',
    '',
  ].join('\n');
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(20_000);
    started = Date.now();
    logServer = await startSandbox();
  },
  async afterAll() {
    await logServer?.stop();
    logServer = undefined;
    const text = table();
    const dir = join(__dirname, '..', '..', '..', '.test-output');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'faults.md'), text);
    console.log(`\n${text}\n(written to .test-output/faults.md)`);
  },
};
