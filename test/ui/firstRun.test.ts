// First run (issue 6): `node scripts/start.mjs` as a user runs it (npm start) — builds, starts a
// seeded sandbox with demo traffic and code-server, prints the URL. Open that URL in Chromium,
// find the demo in the Redis Queues view, then SIGTERM it and check that nothing it started is
// left: no process of its tree, the redis port closed, the temporary folders gone.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  childrenOf,
  codeServerLib,
  expandRow,
  loggable,
  openRedisQueues,
  reveal,
  root,
  row,
  screenshot,
  treeRows,
  waitRows,
  waitViewContent,
  widenSidebar,
} from './harness';
import { uiSuite } from './suite';

interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  args: string;
}

function processes(): Proc[] {
  const out = spawnSync('ps', ['-eo', 'pid=,ppid=,pgid=,args='], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .map((l) => l.trim().match(/^(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => !!m)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), pgid: Number(m[3]), args: m[4]! }));
}

/** `pid` and every process below it. */
function tree(pid: number, all = processes()): Proc[] {
  const out: Proc[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    for (const c of all) {
      if (c.pid === p && !out.includes(c)) out.push(c);
      if (c.ppid === p) queue.push(c.pid);
    }
  }
  return out;
}

function alive(pid: number): boolean {
  const s = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();
  return s !== '' && !s.startsWith('Z');
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.setTimeout(2000, () => {
      s.destroy();
      resolve(false);
    });
  });
}

uiSuite('(ui) first run: npm start (scripts/start.mjs)', { name: 'first-run', timeout: 300_000 }, (ctx) => {
  let child: ChildProcess | undefined;
  let started: Proc[] = [];
  let out = '';
  const vs = ctx.vs;

  afterEach(async function () {
    // A failed run must not leave its servers behind: kill what it started, by pid.
    if (child?.pid && alive(child.pid)) {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    for (const p of started) {
      if (alive(p.pid)) {
        try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
      }
    }
    if (this.currentTest?.state === 'failed') console.log(`      start.mjs output:\n${out.split('\n').slice(-40).join('\n')}`);
  });

  it('opens on the seeded demo (sandbox → orders → billing with pending entries, orders:dlq) and leaves nothing behind on SIGTERM', async () => {
    const lib = await codeServerLib();
    const port = await lib.freePort();
    const t0 = Date.now();
    child = spawn(process.execPath, [join(root, 'scripts', 'start.mjs')], {
      cwd: root,
      env: { ...process.env, PORT: String(port) },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child!.once('exit', (code, signal) => resolve({ code, signal })));
    child.stdout!.on('data', (d) => (out += d.toString()));
    child.stderr!.on('data', (d) => (out += d.toString()));

    // Up: the URL on a line of its own, indented by two spaces.
    const deadline = Date.now() + 200_000;
    let url: string | undefined;
    while (!url && Date.now() < deadline) {
      url = out.match(/^ {2}(http\S+)\s*$/m)?.[1];
      if (child.exitCode !== null) throw new Error(`start.mjs exited (${child.exitCode}) before printing the URL:\n${out}`);
      if (!url) await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(url, `no URL printed within 200 s:\n${out}`);
    const upMs = Date.now() - t0;
    assert.ok(url.startsWith(`http://127.0.0.1:${port}/`), `URL ${url} is not on PORT=${port}`);
    const redisPort = Number(out.match(/\[start\] redis-server: redis:\/\/127\.0\.0\.1:(\d+)/)?.[1]);
    assert.ok(redisPort > 0, `no redis-server URL in the output:\n${out}`);
    const logPath = out.match(/\[start\] code-server log: (\S+\/code-server\.log)/)?.[1];
    assert.ok(logPath, `no code-server log path in the output:\n${out}`);
    const codeServerDir = dirname(logPath);
    assert.ok(existsSync(codeServerDir), `code-server's folder ${codeServerDir} does not exist while it runs`);

    // What it started: its own process tree (code-server runs in a process group of its own).
    started = tree(child.pid!);
    const codeServer = started.find((p) => /code-server.*entry\.js/.test(p.args) && p.args.includes(`${port}`));
    const redisServer = started.find((p) => /redis-server/.test(p.args) && p.args.includes(String(redisPort)));
    assert.ok(codeServer, `no code-server on port ${port} among its processes: ${started.map((p) => p.args).join(' | ')}`);
    assert.ok(redisServer, `no redis-server on port ${redisPort} among its processes`);
    // redis-server rewrites its process title (no --dir left in it), but it runs in its --dir.
    const sandboxDir = readlinkSync(`/proc/${redisServer.pid}/cwd`);
    assert.ok(sandboxDir && existsSync(sandboxDir), `redis-server's folder ${sandboxDir} does not exist while it runs`);
    assert.notEqual(codeServer.pgid, child.pid, 'code-server is expected in a process group of its own');

    // The browser: the demo, as a first-time user sees it.
    const page: Page = await vs.open({ url, view: 'closed' });
    await openRedisQueues(page);
    if ((await waitViewContent(page, 90_000)) === 'welcome') await row(page, 'sandbox').waitFor({ state: 'visible', timeout: 60_000 });
    await widenSidebar(page, 640);
    await expandRow(page, 'sandbox');
    await reveal(page, 'orders:dlq', 'Streams');
    await expandRow(page, 'orders');
    await expandRow(page, await reveal(page, 'billing', 'Groups'));
    // Demo traffic runs (auto-refresh every 5 s): billing's consumers come and go, its pending count moves.
    const rows = await waitRows(page, 'billing with pending entries and its consumers', (rs) => {
      const b = rs.find((r) => r.label === 'billing');
      return !!b && /(^|· )[1-9][\d,]* pending/.test(b.description) && childrenOf(rs, b.index).length > 0;
    }, 60_000);
    const find = (label: string) => rows.find((r) => r.label === label);
    // Rows may lead with their health marks ("⚠ 3 stuck · 2 poison · "), from the background check.
    const marks = String.raw`(?:⚠ (?:\d+ [a-z]+ · )+)?`;
    assert.match(find('sandbox')?.description ?? '', new RegExp(String.raw`^${marks}Redis \d+\.\d+\.\d+ · standalone$`));
    assert.match(find('orders')?.description ?? '', new RegExp(String.raw`^${marks}[\d,]+ entries · last \S+ ago · 3 groups$`));
    assert.match(find('orders:dlq')?.description ?? '', /^\d+ entries · /);
    assert.ok(find('fraud-check') && find('shipping'), `groups of orders: ${loggable(rows.map((r) => r.text))}`);
    assert.ok(!rows.some((r) => /cannot connect|unreachable|error/i.test(r.text)), `the tree shows an error: ${loggable(rows.map((r) => r.text))}`);
    const consumers = childrenOf(rows, find('billing')!.index);
    assert.ok(consumers.some((c) => /(^|· )[1-9]\d* pending/.test(c.description)), `no billing consumer holds pending entries: ${loggable(consumers.map((c) => c.text))}`);
    await screenshot(page, 'first-run');
    console.log(`      up in ${(upMs / 1000).toFixed(1)} s; tree: ${loggable(await treeRows(page))}`);
    assert.deepEqual(vs.pageErrors, []);

    const browserProcs = tree(process.pid).filter((p) => /chrom/i.test(p.args));
    assert.ok(browserProcs.length > 0, 'no chromium process found under the test');
    await vs.close();

    // SIGTERM to start.mjs itself, as a service manager or `kill <pid>` would. (Ctrl-C in a
    // terminal signals the whole foreground group, redis-server included: not this case.)
    const t1 = Date.now();
    process.kill(child.pid!, 'SIGTERM');
    const result = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
    assert.notEqual(result, 'timeout', `start.mjs still running 30 s after SIGTERM:\n${out.split('\n').slice(-15).join('\n')}`);
    assert.deepEqual(result, { code: 0, signal: null });
    assert.match(out, /\[start\] stopped/);
    console.log(`      stopped ${((Date.now() - t1) / 1000).toFixed(1)} s after SIGTERM`);

    // Nothing left: every process it had (code-server and its children, redis-server), its two
    // process groups, the browser; the ports; the folders.
    const settle = Date.now() + 10_000;
    let left: Proc[] = [];
    for (;;) {
      const all = processes();
      left = all.filter((p) => (started.some((s) => s.pid === p.pid) || browserProcs.some((b) => b.pid === p.pid) || p.pgid === child!.pid || p.pgid === codeServer.pgid) && alive(p.pid));
      if (!left.length || Date.now() > settle) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual(left.map((p) => `${p.pid} ${p.pgid} ${p.args.slice(0, 120)}`), [], 'processes left after SIGTERM');
    const groups = spawnSync('ps', ['-o', 'pid,pgid,cmd', '-g', `${child.pid},${codeServer.pgid}`], { encoding: 'utf8' }).stdout.trim().split('\n').slice(1);
    assert.deepEqual(groups, [], 'processes left in its process groups');
    assert.equal(await portAnswers(redisPort), false, `redis port ${redisPort} still answers`);
    assert.equal(await portAnswers(port), false, `code-server port ${port} still answers`);
    assert.equal(existsSync(codeServerDir), false, `${codeServerDir} is left`);
    assert.equal(existsSync(sandboxDir), false, `${sandboxDir} is left`);
    started = [];
  });
});
