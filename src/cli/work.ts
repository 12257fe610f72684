// `redis-queues work STREAM --group G [--consumer C] [--exec CMD] ...`: a consumer-group member
// built on the core StreamWorker. With --exec, CMD runs once per message (the message as JSON on
// stdin and in RQ_* variables); exit 0 acks, anything else fails the delivery (retried with
// backoff, dead-lettered after --max-deliveries). Without --exec each message is printed and acked.
// SIGINT/SIGTERM stop it gracefully (running commands finish) and print the stats.
// With --id ID it runs that one message through the same path (core runOneMessage) and exits with
// a code per outcome (see ONE_EXIT below).
import { type RunOneOutcome, type RunOneResult, type StreamHandler, StreamWorker, defaultConsumerName, endAllCommands, execCommand, isValidId, runOneMessage } from '../core/internal';
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

/** Runs each message through `cmd` (core execCommand: its own process group, a watchdog that ends it if this process dies). */
function execHandler(cmd: string, ctx: CommandContext, group: string, consumer: () => string, timeoutMs: number | undefined): StreamHandler {
  return (m, { signal }) =>
    execCommand(cmd, m, { group, consumer: consumer(), env: ctx.io.env, timeoutMs, signal, abortedWhy: 'stopped with the worker', stdout: 'inherit', stderr: (d) => process.stderr.write(d) });
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
    await endAllCommands();
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
      await endAllCommands(); // commands released by the stop (past --stop-timeout) were sent SIGTERM: give them the grace
      const s = w.stats;
      if (ctx.json) ctx.out(JSON.stringify({ event: 'stopped', stats: s }));
      log(`stopped: processed ${s.processed}, failed ${s.failed}, acked ${s.acked}, retried ${s.retried}, dead-lettered ${s.deadLettered}, claimed ${s.claimed}`);
      return 0;
    } finally {
      signals.dispose();
      await w.stop().catch(() => undefined);
      await endAllCommands();
    }
  },
};
