#!/usr/bin/env node
// redis-queues: the command line over src/core (see src/cli/main.ts; `redis-queues --help`).
import { run } from './cli/main';

// `redis-queues tail s | head -3`: a closed pipe ends the command quietly, as for other tools.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`redis-queues: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
