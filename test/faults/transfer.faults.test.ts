// Fault suite: `redis-queues import` SIGKILLed at a seeded random moment once some lines are in,
// with new ids and with the file's ids; then run again as its output told (the --run it named,
// the last --from-line it printed, if any). The stream must then hold every line of the file
// exactly once, in order, byte for byte: nothing lost, nothing duplicated.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { exportLine } from '../../src/core/transfer';
import { parseEntries } from '../../src/core/redis/replies';
import { type Sandbox, startSandbox } from '../../src/core/dev/sandbox';
import { rawOf } from '../../src/core/messages/message';
import { record } from './hooks';
import { SEED, prng } from './support';

const root = join(__dirname, '..', '..', '..');
const CLI = join(root, 'dist', 'cli.js');
const LINES = 4000;
const RUNS = 6;

interface Ran {
  code: number | string;
  stdout: string;
  stderr: string;
}

/** Starts the CLI; `killWhen` (polled between round trips) decides when to SIGKILL it. */
function runCli(args: string[], url: string): { done: Promise<Ran>; kill(): void; stderr(): string } {
  const child = spawn(process.execPath, [CLI, ...args, '--url', url], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Ran>((resolve) => child.on('close', (code, sig) => resolve({ code: code ?? sig ?? -1, stdout, stderr })));
  return { done, kill: () => child.kill('SIGKILL'), stderr: () => stderr };
}

describe('(faults) import killed midway, resumed as its output said', function () {
  this.timeout(600_000);
  let box: Sandbox;
  let client: Redis;
  let dir: string;
  let file: string;
  const rnd = prng(SEED ^ 0x1f2e);
  const ids = Array.from({ length: LINES }, (_, i) => `${1_700_000_000_000 + Math.floor(i / 3)}-${i % 3}`);
  const pairs = (i: number) => rawOf('n', String(i), 'pad', 'x'.repeat(100 + (i % 50)), 'bin', Buffer.from([0xff, i % 256]));

  before(async () => {
    box = await startSandbox();
    client = (await open({ url: box.url })) as Redis;
    mkdirSync(join(root, '.test-output'), { recursive: true });
    dir = mkdtempSync(join(root, '.test-output', 'import-faults-'));
    file = join(dir, 'in.ndjson');
    writeFileSync(file, ids.map((id, i) => exportLine({ id, raw: pairs(i) })).join('\n') + '\n');
  });
  after(async () => {
    await quit(client);
    await box.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const keepIds of [false, true]) {
    it(`${keepIds ? 'with the file\'s ids' : 'with new ids'}: ${RUNS} kills, each resumed; every line once, in order`, async () => {
      let lost = 0;
      let duplicates = 0;
      let kills = 0;
      for (let run = 0; run < RUNS; run++) {
        const key = `imp:${keepIds ? 'keep' : 'new'}:${run}`;
        const threshold = 5 + Math.floor(rnd.next() * (LINES * 0.8));
        const extra = keepIds ? ['--keep-ids'] : [];
        const first = runCli(['import', key, '--in', file, '--batch', '25', '--rate', '8000', ...extra], box.url);
        let killed = false;
        // The moment: once `threshold` lines are in (polled by XLEN between round trips).
        const killer = (async () => {
          for (;;) {
            const n = await client.xlen(key);
            if (n >= threshold) {
              first.kill();
              killed = true;
              return;
            }
            const out = await Promise.race([first.done.then(() => 'done'), client.ping()]);
            if (out === 'done') return;
          }
        })();
        const r1 = await first.done;
        await killer;
        if (killed && r1.code === 'SIGKILL') kills++;
        // What the output told: the run, and the last "resume with --from-line L" it printed.
        const said = [...r1.stderr.matchAll(/resume with --from-line (\d+)(?: --run (\S+))?/g)].pop();
        const runName = /import run ([0-9a-f]+)/.exec(r1.stderr)?.[1];
        const resume = ['import', key, '--in', file, ...extra, ...(said ? ['--from-line', said[1]!] : []), ...(runName ? ['--run', runName] : [])];
        const r2 = await runCli(resume, box.url).done;
        assert.equal(r2.code, 0, `run ${run} (killed: ${killed}, at ${threshold}): ${r2.stderr}`);
        const got = parseEntries(await client.xrangeBuffer(key, '-', '+'));
        const seen = got.map((e) => Number(e.raw![1]!.toString()));
        const counts = new Map<number, number>();
        for (const n of seen) counts.set(n, (counts.get(n) ?? 0) + 1);
        lost += LINES - counts.size;
        duplicates += seen.length - counts.size;
        assert.deepEqual(seen, Array.from({ length: LINES }, (_, i) => i), `run ${run}: every line once, in order (killed: ${killed}, at ${threshold}; resumed with ${resume.slice(3).join(' ')})`);
        got.forEach((e, i) => assert.ok(e.raw!.every((b, j) => b.equals(pairs(i)[j]!)), `line ${i + 1} byte for byte`));
        if (keepIds) assert.deepEqual(got.map((e) => e.id), ids);
        await client.del(key);
      }
      assert.ok(kills >= RUNS - 1, `${kills} of ${RUNS} runs were killed midway`);
      record({ fault: `import ${keepIds ? '--keep-ids' : 'new ids'} SIGKILLed, resumed`, runs: kills, messages: RUNS * LINES, lost, duplicates, recovery: 'one re-run as told' });
    });
  }
});
