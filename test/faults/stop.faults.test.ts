// Fault suite: a server that stops answering (SIGSTOP: the connection stays open, nothing comes
// back; CLIENT PAUSE WRITE: reads answer, writes wait), against the real `node dist/cli.js`. Every
// command ends within its bound (--wait) with exit 1 and a message naming the server; a write
// whose outcome is unknown says so; tail and work, whose blocking reads are not bounded, carry on
// across the outage. And --exec commands run in their own process group: a stop, a --timeout or
// the end of the worker leaves no process of that group behind.
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, quit, type RedisClient } from '../../src/core/redis/connection';
import { startSandbox, type Sandbox } from '../../src/core/dev/sandbox';
import { record } from './hooks';
import { waitFor } from './support';

const root = join(__dirname, '..', '..', '..');
const CLI = join(root, 'dist', 'cli.js');
/** The bound the commands are given (short, to keep the suite fast). */
const WAIT_MS = 1500;
/** What "ends within its bound" allows on top of it: starting node and the CLI, and exiting. */
const SLACK_MS = 3500;

interface Running {
  child: ChildProcess;
  out(): string;
  err(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Resolves once its stdout and stderr have ended (everything it printed has been read). */
  outputEnded: Promise<unknown>;
}

function start(args: string[]): Running {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REDIS_') && k !== 'RQ_TIMEOUT_MS'));
  const child = spawn(process.execPath, [CLI, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  const outputEnded = Promise.all([child.stdout!, child.stderr!].map((s) => new Promise((r) => s.once('close', r))));
  return { child, out: () => out, err: () => err, exited, outputEnded };
}

/** Runs the CLI to its end (SIGKILLed after `killAfterMs`, which fails the test's bound anyway). */
async function cli(args: string[], killAfterMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const r = start(args);
  const t = setTimeout(() => r.child.kill('SIGKILL'), killAfterMs);
  const { code, at } = await r.exited;
  clearTimeout(t);
  await r.outputEnded; // the last output events
  return { code, stdout: r.out(), stderr: r.err(), ms: at - started };
}

/** Processes of process group `pgid` that are alive (not zombies waiting to be reaped), from /proc. */
function liveMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ")".
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') out.push(Number(name));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** Whether process.kill(-pgid, 0) says the group is gone (ESRCH). */
function groupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

describe('(faults) a server that does not answer: every CLI command ends within its bound', function () {
  this.timeout(60_000);
  let server: Sandbox;
  let admin: RedisClient;
  let url: string;
  let stopped = false;
  const S = 'stop:s';
  /** Entries pending for c1: one per write test (a paused write may still run once the pause ends). */
  let pendingIds: string[];

  const pause = () => {
    process.kill(server.pid!, 'SIGSTOP');
    stopped = true;
  };
  const resume = () => {
    if (stopped) process.kill(server.pid!, 'SIGCONT');
    stopped = false;
  };

  before(async function () {
    this.timeout(20_000);
    server = await startSandbox();
    url = server.url;
    admin = await open({ url });
    for (let i = 0; i < 5; i++) await admin.xadd(S, '*', 'n', String(i));
    await admin.xgroup('CREATE', S, 'g', '0');
    const read = (await admin.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 5, 'STREAMS', S, '>')) as [string, [string, string[]][]][];
    pendingIds = read[0]![1].map(([id]) => id);
    // A dead letter, for replay.
    await admin.xadd(`${S}:dlq`, '*', 'n', 'x');
  });
  afterEach(() => resume());
  after(async () => {
    resume();
    await quit(admin);
    await server?.stop();
  });

  const COMMANDS: [string, string[]][] = [
    ['ack', ['ack', S, 'g', '1-0']],
    ['claim', ['claim', S, 'g', 'c2', '1-0']],
    ['publish', ['publish', S, 'a=1']],
    ['dead-letter', ['dead-letter', S, 'g', '1-0']],
    ['replay', ['replay', `${S}:dlq`, '--to', S]],
    ['tail', ['tail', S]],
    ['inspect', ['inspect']],
    ['work', ['work', S, '--group', 'g']],
    ['autoclaim', ['autoclaim', S, 'g', 'c2', '--min-idle', '1']],
  ];

  describe('server stopped (SIGSTOP) before the command starts', () => {
    const times: number[] = [];
    after(() =>
      record({ fault: 'server SIGSTOPped: CLI commands', runs: times.length, messages: 0, lost: 0, duplicates: 0, recovery: `each ended in ≤ ${Math.max(...times)} ms (--wait ${WAIT_MS})`, notes: COMMANDS.map(([n]) => n).join(', ') }),
    );
    for (const [name, args] of COMMANDS) {
      it(`${name}: exit 1 within its bound, saying the server did not answer`, async () => {
        pause();
        const r = await cli([...args, '--url', url, '--wait', String(WAIT_MS)]);
        times.push(r.ms);
        assert.equal(r.code, 1, `${name}: ${r.stderr}`);
        assert.ok(r.ms < WAIT_MS + SLACK_MS, `${name} took ${r.ms} ms (bound ${WAIT_MS} ms)`);
        assert.match(r.stderr, /^redis-queues: Cannot connect to redis:\/\/127\.0\.0\.1:\d+: the server accepted the connection but did not answer within 1\.5 s .*--wait MS/);
        assert.equal(r.stderr.split('\n').length, 2, `one line: ${JSON.stringify(r.stderr)}`);
        assert.equal(r.stdout, '');
      });
    }

    it('RQ_TIMEOUT_MS is the bound when --wait is not given', async () => {
      pause();
      const started = Date.now();
      const child = spawn(process.execPath, [CLI, 'inspect', '--url', url], { cwd: root, env: { ...process.env, RQ_TIMEOUT_MS: '1000' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
      assert.equal(code, 1);
      assert.match(err, /did not answer within 1 s/);
      assert.ok(Date.now() - started < 1000 + SLACK_MS + 1000);
    });
  });

  describe('writes not answered (CLIENT PAUSE WRITE: reads answer, writes wait)', () => {
    let pauser: RedisClient;
    before(async () => (pauser = await open({ url })));
    afterEach(async () => {
      await pauser.call('CLIENT', 'UNPAUSE');
    });
    after(() => quit(pauser));

    const WRITES: [string, string[], RegExp][] = [
      ['ack', ['ack', S, 'g', '<pending:0>'], /the XACK may or may not have been applied/],
      ['claim', ['claim', S, 'g', 'c2', '<pending:1>'], /the XCLAIM may or may not have been applied/],
      ['publish', ['publish', S, 'a=1'], /the XADD may or may not have been applied/],
      ['publish --count', ['publish', S, 'a={{i}}', '--count', '300'], /may or may not have been applied \(0 of 300 messages were written; .*#0–#299/],
      ['dead-letter', ['dead-letter', S, 'g', '<pending:2>'], /the (script call \(EVAL(SHA)?\)|transaction \(MULTI\/EXEC\)|[A-Z]+) may or may not have been applied/],
      ['replay', ['replay', `${S}:dlq`, '--to', S], /may or may not have been applied/],
    ];
    for (const [name, args, outcome] of WRITES) {
      it(`${name}: exit 1 within its bound, saying the write may or may not have been applied`, async () => {
        await pauser.call('CLIENT', 'PAUSE', 60_000, 'WRITE');
        const argv = args.map((a) => (a.startsWith('<pending:') ? pendingIds[Number(a.slice(9, -1))]! : a));
        const r = await cli([...argv, '--url', url, '--wait', String(WAIT_MS)]);
        assert.equal(r.code, 1, `${name}: ${r.stderr}`);
        assert.ok(r.ms < WAIT_MS + SLACK_MS, `${name} took ${r.ms} ms (bound ${WAIT_MS} ms)`);
        assert.match(r.stderr, /^redis-queues: The server redis:\/\/127\.0\.0\.1:\d+ did not answer within 1\.5 s; /);
        assert.match(r.stderr, outcome);
        assert.equal(r.stderr.split('\n').length, 2, `one line: ${JSON.stringify(r.stderr)}`);
      });
    }
  });

  describe('blocking reads are not cut by the bound: tail and work carry on across an outage', () => {
    for (const kind of ['tail', 'work'] as const) {
      it(`${kind} keeps running while the server is stopped for longer than --wait, then shows the next message`, async () => {
        const stream = `stop:${kind}`;
        await admin.xadd(stream, '*', 'n', 'before');
        const args = kind === 'tail' ? ['tail', stream, '--json'] : ['work', stream, '--group', 'gw', '--start', '$', '--json'];
        const r = start([...args, '--url', url, '--wait', String(WAIT_MS)]);
        try {
          // Blocked in its read: the server shows a client named …:blocking waiting in XREAD/XREADGROUP.
          await waitFor(async () => String(await admin.call('CLIENT', 'LIST')).split('\n').some((l) => l.includes('name=redis-queues-cli:blocking') && /cmd=xread(group)? /.test(l)), 10_000, `${kind} blocked in its read`);
          pause();
          // Fault injection: the outage lasts twice the bound (--wait); that the command is still running at its end is the point.
          const exitedEarly = await Promise.race([r.exited.then(() => true), new Promise<false>((res) => setTimeout(() => res(false), WAIT_MS * 2))]);
          resume();
          assert.equal(exitedEarly, false, `${kind} ended during the outage: ${r.err()}`);
          await admin.xadd(stream, '*', 'n', 'after');
          await waitFor(() => r.out().includes('"after"'), 15_000, `${kind} to show the message published after the outage`);
          r.child.kill('SIGTERM');
          const { code } = await r.exited;
          assert.equal(code, 0, r.err());
        } finally {
          r.child.kill('SIGKILL');
        }
      });
    }
  });
});

describe('(faults) work --exec: each command in its own process group, none left behind', function () {
  this.timeout(60_000);
  let server: Sandbox;
  let admin: RedisClient;
  let dir: string;
  const running: Running[] = [];

  before(async function () {
    this.timeout(20_000);
    server = await startSandbox();
    admin = await open({ url: server.url });
    dir = mkdtempSync(join(tmpdir(), 'rq-exec-'));
  });
  afterEach(() => {
    for (const r of running.splice(0)) r.child.kill('SIGKILL');
  });
  after(async () => {
    await quit(admin);
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts `work` on a fresh stream with `exec`, publishes one message, and resolves with the pid (= process group) of its shell. */
  async function started(label: string, exec: string, extra: string[] = [], running2 = true): Promise<{ r: Running; pgid: number; stream: string }> {
    const stream = `exec:${label}`;
    const pidFile = join(dir, `${label}.pid`);
    const r = start(['work', stream, '--group', 'g', '--start', '0', '--exec', `echo $$ > ${pidFile}; ${exec}`, ...extra, '--url', server.url]);
    running.push(r);
    await waitFor(() => r.err().includes('working on'), 10_000, 'the worker to start');
    await admin.xadd(stream, '*', 'n', '1');
    let pgid = 0;
    await waitFor(() => {
      try {
        pgid = Number(readFileSync(pidFile, 'utf8').trim());
      } catch {
        return false;
      }
      return pgid > 0;
    }, 10_000, 'the command to start');
    if (running2) await waitFor(() => liveMembers(pgid).length >= 2, 5000, 'the shell and its child');
    return { r, pgid, stream };
  }

  /** The group has no live process left; and once the zombies are reaped, kill(-pgid, 0) says ESRCH. */
  async function assertGroupGone(pgid: number, withinMs: number): Promise<void> {
    await waitFor(() => liveMembers(pgid).length === 0, withinMs, `no live process left in group ${pgid} (left: ${liveMembers(pgid).join(', ')})`);
    await waitFor(() => groupGone(pgid), 15_000, `kill(-${pgid}, 0) to fail with ESRCH`);
  }

  it('runs the command in its own process group (not the worker\'s)', async () => {
    const { r, pgid } = await started('group', 'sleep 30');
    assert.notEqual(pgid, r.child.pid);
    assert.ok(liveMembers(pgid).length >= 2, 'the shell and sleep share the group');
    r.child.kill('SIGTERM');
    await waitFor(() => r.err().includes('SIGTERM: stopping'), 5000, 'the first SIGTERM to be handled');
    r.child.kill('SIGTERM'); // a second signal: exit at once (the command is still running)
    const { code } = await r.exited;
    assert.equal(code, 143);
    await assertGroupGone(pgid, SLACK_MS);
  });

  it('SIGTERM: the worker stops (past --stop-timeout it ends the command) and no process of the group is left', async () => {
    const { r, pgid } = await started('term', 'sleep 9', ['--stop-timeout', '300']);
    const t0 = Date.now();
    r.child.kill('SIGTERM');
    const { code, at } = await r.exited;
    assert.equal(code, 0, r.err());
    assert.ok(at - t0 < 300 + 2000 + SLACK_MS, `the worker took ${at - t0} ms to stop`);
    assert.match(r.err(), /stopped: processed 0/);
    await assertGroupGone(pgid, SLACK_MS);
  });

  it('a command that ignores SIGTERM is killed (SIGKILL) after the grace', async () => {
    const { r, pgid } = await started('trap', 'trap "" TERM; sleep 30', ['--stop-timeout', '200']);
    r.child.kill('SIGTERM');
    const { code } = await r.exited;
    assert.equal(code, 0, r.err());
    await assertGroupGone(pgid, SLACK_MS);
  });

  it('--timeout 1000 kills `sleep 6` (the whole group) after about 1 s and counts a failure', async () => {
    const { r, pgid, stream } = await started('timeout', 'sleep 6', ['--timeout', '1000', '--max-deliveries', '1']);
    const t0 = Date.now();
    await waitFor(() => /failed \S+ \(delivery 1 of 1\): command failed \(timed out after 1000 ms\)/.test(r.err()), 1000 + SLACK_MS, `the timeout to fail the command: ${r.err()}`);
    const took = Date.now() - t0;
    // Generous, yet well short of the 6 s after which `sleep 6` would have ended by itself.
    assert.ok(took < 1000 + SLACK_MS, `failed after ${took} ms, not about 1 s`);
    await assertGroupGone(pgid, SLACK_MS);
    await waitFor(async () => (await admin.xlen(`${stream}:dlq`)) === 1, 5000, 'the message to be dead-lettered');
    r.child.kill('SIGTERM');
    assert.equal((await r.exited).code, 0, r.err());
    record({ fault: 'work --exec --timeout 1000 on sleep 6', runs: 1, messages: 1, lost: 0, duplicates: 0, recovery: `failed after ${took} ms`, notes: 'process group gone' });
  });

  it('the worker SIGKILLed mid-command (no exit hook runs): the watchdog ends the command\'s group, and the worker that takes the message over never runs it beside the old one', async () => {
    const log = join(dir, 'kill.log');
    // Each run logs its start and end with the time (ms) and the consumer; the first one takes 30 s.
    const exec = `echo "start $RQ_CONSUMER $(date +%s%3N)" >> ${log}; [ "$RQ_CONSUMER" = a ] && sleep 30; echo "end $RQ_CONSUMER $(date +%s%3N)" >> ${log}`;
    const { r, pgid, stream } = await started('sigkill', exec, ['--consumer', 'a', '--claim-idle', '1000']);
    const t0 = Date.now();
    r.child.kill('SIGKILL');
    await r.exited;
    await assertGroupGone(pgid, SLACK_MS);
    const goneAt = Date.now();
    // The message stays pending at the dead consumer: nothing lost.
    assert.equal(Number((await admin.xpending(stream, 'g'))[0]), 1);
    // Another worker takes it over (idle past 1 s) and runs it once.
    const b = start(['work', stream, '--group', 'g', '--consumer', 'b', '--claim-idle', '1000', '--exec', exec, '--url', server.url]);
    running.push(b);
    await waitFor(async () => Number((await admin.xpending(stream, 'g'))[0]) === 0, 15_000, 'the message to be taken over and acked');
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' '));
    assert.deepEqual(lines.map(([what, who]) => `${what} ${who}`), ['start a', 'start b', 'end b'], 'a never ended; b ran it once');
    const bStart = Number(lines[1]![2]);
    assert.ok(bStart >= goneAt - 50, `b started at ${bStart}, before a's command was gone at ${goneAt}: twice at once`);
    b.child.kill('SIGTERM');
    assert.equal((await b.exited).code, 0, b.err());
    record({ fault: 'work --exec: the worker SIGKILLed mid-command, another takes over', runs: 1, messages: 1, lost: 0, duplicates: 0, recovery: `command ended ${goneAt - t0} ms after the kill; taken over ${bStart - goneAt} ms later`, notes: 'never two runs at once' });
  });

  it('processes a command leaves running in its group are ended when it exits', async () => {
    const { r, pgid } = await started('bg', 'sleep 30 & exit 0', [], false);
    await waitFor(() => liveMembers(pgid).length === 0, 5000, 'the background sleep to be ended');
    await waitFor(async () => Number((await admin.xpending('exec:bg', 'g'))[0]) === 0, 5000, 'the message to be acked');
    r.child.kill('SIGTERM');
    assert.equal((await r.exited).code, 0, r.err());
  });
});
