// `redis-queues publish STREAM [field=value ...] [--json OBJECT] [--count N] [--maxlen N]`
import { type MessageFields, type TrimOptions, StreamProducer, setField } from '../core';
import { type CommandSpec, type ParsedArgs, UsageError, printableArg } from './args';
import { type Command, CONNECTION_OPTIONS } from './common';

const spec: CommandSpec = {
  name: 'publish',
  summary: 'Add messages to a stream (XADD) and print their ids, one per line.',
  positionals: [
    { name: 'STREAM', description: 'Stream key' },
    { name: 'FIELD=VALUE', required: false, variadic: true, description: 'Message fields (split at the first "=")' },
  ],
  options: [
    { name: 'json', type: 'string', value: 'OBJECT', description: 'Fields as a JSON object; non-string values are stored as JSON text, {"$binary": "<hex>"} as bytes' },
    { name: 'count', type: 'int', value: 'N', min: 1, description: 'Publish N messages; "{{i}}" in a value becomes the message number (0..N-1)', default: '1' },
    { name: 'maxlen', type: 'int', value: 'N', min: 0, description: 'Trim the stream to about N entries (MAXLEN ~ N)' },
    { name: 'exact', type: 'boolean', description: 'With --maxlen: trim exactly (MAXLEN = N; slower)' },
    ...CONNECTION_OPTIONS,
  ],
  examples: [
    'redis-queues publish orders orderId=42 product=keyboard',
    `redis-queues publish orders --json '{"orderId": 42, "items": [1, 2]}'`,
    'redis-queues publish load-test n={{i}} --count 10000 --maxlen 5000',
  ],
};

/** The message fields from `field=value` arguments and `--json` (arguments win on a clash). */
export function messageFields(args: ParsedArgs): MessageFields {
  const fields: MessageFields = {};
  const json = args.options['json'] as string | undefined;
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      throw new UsageError(`--json is not valid JSON: ${(e as Error).message}`, 'publish');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError('--json must be a JSON object of fields, e.g. {"orderId": "42"}', 'publish');
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length >= 1 && typeof (v as { $binary?: unknown }).$binary === 'string') {
        const hex = (v as { $binary: string }).$binary;
        if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new UsageError(`--json field "${printableArg(k)}": $binary must be hex`, 'publish');
        setField<string | Buffer>(fields, k, Buffer.from(hex, 'hex'));
      } else {
        setField<string | Buffer>(fields, k, typeof v === 'string' ? v : JSON.stringify(v));
      }
    }
  }
  for (const pair of (args.positionals['FIELD=VALUE'] as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`"${printableArg(pair)}" is not FIELD=VALUE`, 'publish');
    fields[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  if (!Object.keys(fields).length) throw new UsageError('a message needs at least one FIELD=VALUE (or --json)', 'publish');
  return fields;
}

/** Message `i` of a batch: `{{i}}` in text values replaced by `i`. */
export function templated(fields: MessageFields, i: number): MessageFields {
  const out: MessageFields = {};
  for (const [k, v] of Object.entries(fields)) setField(out, k.split('{{i}}').join(String(i)), typeof v === 'string' ? v.split('{{i}}').join(String(i)) : v);
  return out;
}

export const publishCommand: Command = {
  spec,
  async run(args, ctx) {
    const stream = args.positionals['STREAM'] as string;
    const fields = messageFields(args);
    const count = (args.options['count'] as number | undefined) ?? 1;
    const maxlen = args.options['maxlen'] as number | undefined;
    if (args.options['exact'] && maxlen === undefined) throw new UsageError('--exact only applies with --maxlen', 'publish');
    const trim: TrimOptions | undefined = maxlen === undefined ? undefined : { strategy: 'MAXLEN', threshold: maxlen, exact: Boolean(args.options['exact']) };
    const producer = await StreamProducer.open(ctx.connection, { stream, trim });
    try {
      if (count === 1) {
        ctx.out(await producer.publish(templated(fields, 0)));
      } else {
        const batch = 5000;
        for (let i = 0; i < count; i += batch) {
          const n = Math.min(batch, count - i);
          const ids = await producer.publishBatch(Array.from({ length: n }, (_, j) => templated(fields, i + j)));
          ctx.out(ids.join('\n'));
        }
      }
      return 0;
    } finally {
      await producer.close();
    }
  },
};
