#!/usr/bin/env node
// redis-queues: the command line over src/core (see src/cli/main.ts; `redis-queues --help`).
import { run } from './cli/main';

// `redis-queues tail s | head -3`: a closed pipe ends the command quietly, as for other tools.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

/**
 * Exits once stdout and stderr have handed everything to the OS: on a pipe, Node writes
 * asynchronously, and process.exit() right away would cut a long output (a `tail --json` of
 * 1 MB entries) mid-line.
 */
function exitAfterFlush(code: number): void {
  let left = 2;
  const done = () => {
    if (--left === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

run(process.argv.slice(2)).then(exitAfterFlush, (e: unknown) => {
  process.stderr.write(`redis-queues: ${e instanceof Error ? e.message : String(e)}\n`);
  exitAfterFlush(1);
});
