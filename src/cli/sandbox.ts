// `redis-queues sandbox [--port P] [--seed]`: a throwaway redis-server on 127.0.0.1 until Ctrl-C
// or SIGTERM; its URL goes to stdout (first line), notes to stderr.
import { type Sandbox, DEMO_LIST_QUEUE, DEMO_STREAMS, seedDemo, startSandbox } from '../core';
import { type CommandSpec, UsageError } from './args';
import { type Command, JSON_OPTION, onceSignalled } from './common';

const spec: CommandSpec = {
  name: 'sandbox',
  summary: 'Start a throwaway local redis-server (no persistence, temporary folder) and print its URL; Ctrl-C or SIGTERM stops it.',
  positionals: [],
  options: [
    { name: 'port', type: 'int', value: 'P', min: 1, description: 'Port on 127.0.0.1', default: 'a free one' },
    { name: 'seed', type: 'boolean', description: 'Add demo queues: streams with groups, pending, poison and dead-lettered entries, and a list queue' },
    JSON_OPTION,
  ],
  details: 'Needs redis-server on PATH (or REDIS_SERVER=/path/to/redis-server).',
  examples: ['redis-queues sandbox --seed', 'redis-queues sandbox --port 6390   # then, elsewhere: redis-queues inspect --url redis://127.0.0.1:6390'],
};

export const sandboxCommand: Command = {
  spec,
  async run(args, ctx) {
    const port = args.options['port'] as number | undefined;
    if (port !== undefined && port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`, 'sandbox');
    const signals = onceSignalled();
    const keepAlive = setInterval(() => undefined, 1 << 30);
    let sandbox: Sandbox | undefined;
    try {
      sandbox = await startSandbox({ port });
      if (args.options['seed']) await seedDemo(sandbox.url);
      if (ctx.json) ctx.out(JSON.stringify({ url: sandbox.url, port: sandbox.port, pid: sandbox.pid ?? null, seeded: Boolean(args.options['seed']) }));
      else ctx.out(sandbox.url);
      if (args.options['seed']) ctx.err(`seeded demo queues: streams ${Object.values(DEMO_STREAMS).join(', ')}; list queue ${DEMO_LIST_QUEUE}`);
      ctx.err(`redis-server (pid ${sandbox.pid}) listening on ${sandbox.url}; Ctrl-C to stop`);
      const sig = await signals.promise;
      ctx.err(`${sig}: stopping redis-server...`);
      return 0;
    } finally {
      clearInterval(keepAlive);
      signals.dispose();
      if (sandbox) {
        await sandbox.stop();
        ctx.err('sandbox stopped');
      }
    }
  },
};
