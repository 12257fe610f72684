// `redis-queues work STREAM --group G [--consumer C] [--exec CMD] ...`: a consumer-group member
// built on the core StreamWorker. With --exec, CMD runs once per message (the message as JSON on
// stdin and in RQ_* variables); exit 0 acks, anything else fails the delivery (retried with
// backoff, dead-lettered after --max-deliveries). Without --exec each message is printed and acked.
// SIGINT/SIGTERM stop it gracefully (running commands finish) and print the stats.
// With --id ID it runs that one message through the same path (core runOneMessage) and exits with
// a code per outcome (see ONE_EXIT below).
import { spawn } from 'node:child_process';
import { type RunOneOutcome, type RunOneResult, type StreamHandler, StreamWorker, defaultConsumerName, execEnv, execInput, isValidId, runOneMessage } from '../core';
import { type CommandSpec, UsageError, printableArg } from './args';
import { type Command, type CommandContext, GLOBAL_OPTIONS, onceSignalled, preflight } from './common';
import { entryJson, entryLine, safe } from './format';

const spec: CommandSpec = {
  name: 'work',
  summary: 'Join a consumer group and process messages: run a command per message (--exec), or print and ack them.',
  positionals: [{ name: 'STREAM', description: 'Stream key (created with the group if missing)' }],
  options: [
    { name: 'group', type: 'string', value: 'G', description: 'Consumer group (created if missing) [required]' },
    { name: 'consumer', type: 'string', value: 'C', description: 'Consumer name; reuse one to resume its pending entries', default: '<host>-<pid>-<random>' },
    { name: 'exec', type: 'string', value: 'CMD', description: 'Shell command run per message: JSON on stdin, RQ_ID, RQ_STREAM, RQ_GROUP, RQ_CONSUMER, RQ_DELIVERIES, RQ_FIELDS in its environment; exit 0 acks' },
    { name: 'concurrency', type: 'int', value: 'N', min: 1, description: 'Messages processed at once', default: '1' },
    { name: 'max-deliveries', type: 'int', value: 'N', min: 1, description: 'Deliveries before a failing message is dead-lettered', default: '5' },
    { name: 'dlq', type: 'string', value: 'KEY', description: 'Dead-letter stream', default: 'STREAM:dlq' },
    { name: 'start', type: 'string', value: 'ID', description: 'Where a new group starts: "$" (new messages), "0" (everything) or an id', default: '$' },
    { name: 'backoff', type: 'int', value: 'MS', min: 0, description: 'First retry delay after a failure (doubles each time, up to 30 s)', default: '200' },
    { name: 'timeout', type: 'int', value: 'MS', min: 1, description: 'With --exec: kill the command after MS and count it as a failure' },
    { name: 'claim-idle', type: 'int', value: 'MS', min: 0, description: 'Take over entries idle this long in other consumers (0: never); live workers renew the entries they hold, so only dead ones\' entries get this idle', default: '60000' },
    { name: 'stop-timeout', type: 'int', value: 'MS', min: 0, description: 'On stop, wait this long for running messages', default: '10000' },
    { name: 'events', type: 'boolean', description: 'Record what happens to each message in STREAM:events (capped at about 10,000 events), shown by "redis-queues journey"' },
    { name: 'id', type: 'string', value: 'ID', description: 'Process only this message (with --exec) through the worker\'s own path, then exit with its outcome (exit codes below)' },
    { name: 'dry-run', type: 'boolean', description: 'With --id: write nothing at all (no claim, ack, dead letter or event); the command still runs on the exact message' },
    { name: 'claim', type: 'boolean', description: 'With --id: take the message over from the consumer it is pending at (refused without this)' },
    { name: 'deliver', type: 'boolean', description: 'With --id: a message not pending in the group is delivered first (only the group\'s next undelivered one) instead of a dry run' },
    ...GLOBAL_OPTIONS,
  ],
  details:
    'Ctrl-C or SIGTERM stops gracefully: no new messages are taken, running ones finish, acks are flushed, then the stats are printed. A second signal exits at once.\n\n' +
    'With --id ID: the message runs once, exactly as the worker would run it: a message pending at --consumer is claimed back to it (its delivery count goes up), one pending at another consumer is refused unless --claim, one not pending in the group (never delivered, or acked) runs as a dry run unless --deliver; exit 0 acks it, a failure below --max-deliveries leaves it pending for a retry, at --max-deliveries it is dead-lettered with the error as its reason. ' +
    'One line says what happened (JSON with --json). Exit codes with --id: 0 acked, 3 failed and left pending (will be retried), 4 dead-lettered, 5 dry run completed (nothing written; the command may have failed: see the line), 1 refused (pending at another consumer), lost, deleted from the stream, or a Redis error, 2 bad arguments.',
  examples: [
    'redis-queues work orders --group billing --consumer billing-1 --id 1700000000000-0 --exec "node bill.js"',
    'redis-queues work orders --group billing --id 1700000000000-0 --exec "node bill.js" --dry-run',
    'redis-queues work orders --group billing --exec "node bill.js"',
    'redis-queues work orders --group audit --start 0 --json',
    'redis-queues work orders --group billing --exec ./handle.sh --concurrency 4 --max-deliveries 3',
  ],
};

/** Process groups (POSIX): on Windows the command is killed on its own (child.kill). */
const GROUPS = process.platform !== 'win32';

/** Between SIGTERM and SIGKILL when the process group of an --exec command is ended. */
const KILL_GRACE_MS = 2000;

/**
 * The process group of one --exec command: the shell runs detached (its own group, pgid = its
 * pid), so that a timeout, a stop or the end of this process reaches everything it started, not
 * only the shell.
 */
interface ExecGroup {
  pgid: number;
  /** SIGTERM was sent; SIGKILL follows after the grace if anything is left. */
  ending: boolean;
  /** Resolves once the group is gone (or was sent SIGKILL). */
  gone: Promise<void>;
  release(): void;
}

/** Groups that may still have processes: ended when this process exits (see `exitHook`). */
const liveGroups = new Set<ExecGroup>();
let exitHookInstalled = false;

/** process.kill on a whole group; false when nobody is left in it (ESRCH). */
function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

/** When this process exits (stop, a second signal, a crash) no --exec command may outlive it: SIGKILL what is left (there is no time left for a grace). */
function exitHook(): void {
  for (const g of liveGroups) signalGroup(g.pgid, 'SIGKILL');
  liveGroups.clear();
}

function trackGroup(pgid: number): ExecGroup {
  let release!: () => void;
  const gone = new Promise<void>((r) => (release = r));
  const g: ExecGroup = {
    pgid,
    ending: false,
    gone,
    release: () => {
      liveGroups.delete(g);
      release();
    },
  };
  liveGroups.add(g);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', exitHook);
  }
  return g;
}

/** Ends a group: SIGTERM now, SIGKILL after {@link KILL_GRACE_MS} to whatever is left. Timers do not keep this process alive. */
function endGroup(g: ExecGroup): void {
  if (g.ending || !liveGroups.has(g)) return;
  g.ending = true;
  if (!signalGroup(g.pgid, 'SIGTERM')) return g.release();
  const started = Date.now();
  const poll = setInterval(() => {
    if (!signalGroup(g.pgid, 0)) {
      clearInterval(poll);
      g.release();
    } else if (Date.now() - started >= KILL_GRACE_MS) {
      clearInterval(poll);
      signalGroup(g.pgid, 'SIGKILL');
      g.release();
    }
  }, 50);
  poll.unref();
}

/** Ends every --exec group still running and waits (at most the grace, plus a little) until they are gone. */
async function endAllGroups(): Promise<void> {
  const all = [...liveGroups];
  for (const g of all) endGroup(g);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(all.map((g) => g.gone)), new Promise<void>((r) => (timer = setTimeout(r, KILL_GRACE_MS + 500)))]);
  clearTimeout(timer);
}

function execHandler(cmd: string, ctx: CommandContext, group: string, consumer: () => string, timeoutMs: number | undefined): StreamHandler {
  return (m, { signal }) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(new Error('worker stopped'));
      const child = spawn(cmd, {
        shell: true,
        // Its own process group (and session): signals reach the whole command, a Ctrl-C in the
        // terminal reaches only the worker (which stops gracefully, letting running commands finish).
        detached: GROUPS,
        stdio: ['pipe', 'inherit', 'pipe'],
        env: { ...ctx.io.env, ...execEnv(m, group, consumer()) },
      });
      // A detached child does not hold this process open (a stop ends its group; exitHook the rest).
      child.unref();
      const pg = GROUPS && child.pid ? trackGroup(child.pid) : undefined;
      child.stderr!.on('error', () => undefined);
      let stderrTail = '';
      child.stderr!.on('data', (d: Buffer) => {
        process.stderr.write(d);
        stderrTail = (stderrTail + d.toString()).slice(-1000);
      });
      child.stdin!.on('error', () => undefined); // the command need not read its stdin
      child.stdin!.end(execInput(m, group, consumer()));
      let timedOut = false;
      let aborted = false;
      const timer = timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            if (pg) endGroup(pg);
            else child.kill('SIGKILL');
          }, timeoutMs)
        : undefined;
      const onAbort = () => {
        aborted = true;
        if (pg) endGroup(pg);
        else child.kill('SIGKILL');
      };
      signal.addEventListener('abort', onAbort, { once: true });
      /** After the shell exited: how long its stderr may stay open (held by a process that left its group) before it is closed. */
      let pipeTimer: NodeJS.Timeout | undefined;
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(pipeTimer);
        signal.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve();
      };
      child.on('error', (e) => {
        if (pg) endGroup(pg);
        settle(new Error(`cannot run the command: ${e.message}`));
      });
      child.on('exit', () => {
        // The shell is gone; whatever it left running in its group (background jobs) goes too.
        if (pg) endGroup(pg);
        pipeTimer = setTimeout(() => {
          child.stdin!.destroy();
          child.stderr!.destroy();
        }, KILL_GRACE_MS + 500);
        pipeTimer.unref();
      });
      child.on('close', (code, sig) => {
        if (code === 0 && !timedOut) return settle();
        const last = stderrTail.trim().split('\n').pop()?.trim();
        const why = timedOut ? `timed out after ${timeoutMs} ms` : aborted ? 'stopped with the worker' : sig ? `killed by ${sig}` : `exit code ${code}`;
        settle(new Error(`command failed (${why})${last ? `: ${last.slice(0, 300)}` : ''}`));
      });
    });
}

/** Exit codes of `work --id` per outcome (1 and 2 as everywhere: error or refusal, bad arguments). */
export const ONE_EXIT: Record<RunOneOutcome, number> = { acked: 0, 'left-pending': 3, 'dead-lettered': 4, 'dry-run': 5, lost: 1, deleted: 1 };

/** `work --id`: one message through runOneMessage. */
async function workOne(stream: string, group: string, id: string, cmd: string, args: Parameters<Command['run']>[0], ctx: CommandContext): Promise<number> {
  const o = args.options;
  const consumer = (o['consumer'] as string | undefined) ?? defaultConsumerName();
  const backoff = o['backoff'] as number | undefined;
  const signals = onceSignalled();
  void signals.promise.then((sig) => ctx.err(`${sig}: waiting for the command to finish (again to exit at once)`));
  let r: RunOneResult;
  try {
    await preflight(ctx.connection);
    r = await runOneMessage({
      connection: ctx.connection,
      stream,
      group,
      consumer,
      id,
      handler: execHandler(cmd, ctx, group, () => consumer, o['timeout'] as number | undefined),
      maxDeliveries: (o['max-deliveries'] as number | undefined) ?? 5,
      deadLetterStream: o['dlq'] as string | undefined,
      backoff: backoff === undefined ? undefined : { initialMs: backoff },
      claimMinIdleMs: (o['claim-idle'] as number | undefined) ?? 60_000,
      events: o['events'] === true,
      dryRun: o['dry-run'] === true,
      claim: o['claim'] === true,
      deliver: o['deliver'] === true,
    });
  } finally {
    signals.dispose();
    await endAllGroups();
  }
  if (ctx.json) ctx.out(JSON.stringify(r));
  else ctx.out(safe(r.summary));
  return ONE_EXIT[r.outcome];
}

export const workCommand: Command = {
  spec,
  async run(args, ctx) {
    const stream = args.positionals['STREAM'] as string;
    const o = args.options;
    const group = o['group'] as string | undefined;
    if (!group) throw new UsageError('--group is required', 'work');
    const one = o['id'] as string | undefined;
    for (const flag of ['dry-run', 'claim', 'deliver']) if (o[flag] !== undefined && one === undefined) throw new UsageError(`--${flag} only applies with --id`, 'work');
    if (one !== undefined) {
      if (!isValidId(one, { allowMsOnly: false })) throw new UsageError(`--id must be a stream id such as 1700000000000-0 (got "${printableArg(one)}")`, 'work');
      const exec = o['exec'] as string | undefined;
      if (exec === undefined) throw new UsageError('--id needs --exec CMD (the command to run on the message)', 'work');
      for (const flag of ['concurrency', 'start', 'stop-timeout']) if (o[flag] !== undefined) throw new UsageError(`--${flag} does not apply with --id`, 'work');
      if (o['dlq'] === stream) throw new UsageError('--dlq must differ from the stream', 'work');
      return workOne(stream, group, one, exec, args, ctx);
    }
    const start = (o['start'] as string | undefined) ?? '$';
    if (start !== '$' && start !== '0' && !isValidId(start)) {
      throw new UsageError(`--start must be "$", "0" or a stream id (got "${printableArg(start)}")`, 'work');
    }
    const dlq = o['dlq'] as string | undefined;
    if (dlq === stream) throw new UsageError('--dlq must differ from the stream', 'work');
    const cmd = o['exec'] as string | undefined;
    if (o['timeout'] !== undefined && cmd === undefined) throw new UsageError('--timeout only applies with --exec', 'work');
    const maxDeliveries = (o['max-deliveries'] as number | undefined) ?? 5;
    const consumerName = (): string => worker.consumer;
    const print: StreamHandler = (m) => {
      const e = { id: m.id, raw: m.raw };
      ctx.out(ctx.json ? entryJson(m.stream, e, { deliveries: m.deliveries }) : entryLine(e));
    };
    const backoff = o['backoff'] as number | undefined;
    const worker: StreamWorker = new StreamWorker({
      connection: ctx.connection,
      stream,
      group,
      consumer: o['consumer'] as string | undefined,
      handler: cmd ? execHandler(cmd, ctx, group, consumerName, o['timeout'] as number | undefined) : print,
      startId: start,
      concurrency: (o['concurrency'] as number | undefined) ?? 1,
      maxDeliveries,
      deadLetterStream: dlq,
      backoff: backoff === undefined ? undefined : { initialMs: backoff },
      claimMinIdleMs: (o['claim-idle'] as number | undefined) ?? 60_000,
      stopTimeoutMs: (o['stop-timeout'] as number | undefined) ?? 10_000,
      events: o['events'] === true,
    });
    const w = worker;
    const log = (line: string) => ctx.err(line);
    w.on('error', (e) => log(`redis-queues: warning: ${e.message}`));
    w.on('failed', ({ id, deliveries, error }) =>
      log(`failed ${id} (delivery ${deliveries} of ${maxDeliveries}): ${safe(error.message)}${deliveries >= maxDeliveries ? '' : '; will retry'}`),
    );
    w.on('deadLettered', ({ id, deliveries, dlqId }) => log(`dead-lettered ${id} after ${deliveries} deliveries to ${safe(w.deadLetterStream)}${dlqId ? ` as ${dlqId}` : ''}`));
    w.on('claimed', (n) => log(`claimed ${n} idle entries from other consumers`));
    w.on('lost', ({ id, owner, reason }) => {
      if (owner === null) log(`lost ${id}: ${safe(reason)}; its result is ignored`); // (taken over: already warned as an error)
    });

    const signals = onceSignalled();
    try {
      await preflight(ctx.connection);
      await w.start();
      log(
        `working on ${safe(stream)} as ${safe(group)}/${safe(w.consumer)} (concurrency ${(o['concurrency'] as number | undefined) ?? 1}, ` +
          `max deliveries ${maxDeliveries}, dead letters to ${safe(w.deadLetterStream)}); Ctrl-C to stop`,
      );
      const sig = await signals.promise;
      log(`${sig}: stopping (waiting for running messages)...`);
      await w.stop();
      await endAllGroups(); // commands released by the stop (past --stop-timeout) were sent SIGTERM: give them the grace
      const s = w.stats;
      if (ctx.json) ctx.out(JSON.stringify({ event: 'stopped', stats: s }));
      log(`stopped: processed ${s.processed}, failed ${s.failed}, acked ${s.acked}, retried ${s.retried}, dead-lettered ${s.deadLettered}, claimed ${s.claimed}`);
      return 0;
    } finally {
      signals.dispose();
      await w.stop().catch(() => undefined);
      await endAllGroups();
    }
  },
};
