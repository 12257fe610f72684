#!/usr/bin/env node
// redis-queues: the command line over src/core (see src/cli/main.ts; `redis-queues --help`).
import { run } from './cli/main';

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`redis-queues: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
