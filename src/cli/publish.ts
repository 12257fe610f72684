// `redis-queues publish STREAM [field=value ...] [--json OBJECT] [--count N] [--maxlen N]`
import { readFileSync } from 'node:fs';
import { NotReplicatedError, REPUBLISHED_FROM_FIELD, type TrimOptions, StreamProducer, fromJsonBytes, fromJsonPairs } from '../core/internal';
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
    { name: 'json', type: 'string', value: 'JSON', description: 'Fields as a JSON object (non-string values stored as JSON text, {"base64": "…"} as bytes) or [[name, value], ...] pairs (order and repeated names kept); "-" reads it from stdin, "@FILE" from a file' },
    { name: 'count', type: 'int', value: 'N', min: 1, description: 'Publish N messages; only then "{{i}}" in a name or value becomes the message number (0..N-1), and "\\{{" a literal "{{"', default: '1' },
    { name: 'maxlen', type: 'int', value: 'N', min: 0, description: 'Trim the stream to about N entries (MAXLEN ~ N)' },
    { name: 'exact', type: 'boolean', description: 'With --maxlen: trim exactly (MAXLEN = N; slower)' },
    { name: 'wait-replicas', type: 'int', value: 'N', min: 1, description: 'Durability: wait (WAIT) until N replicas have the messages. When fewer confirm in time, each message is looked up on the current master (after a failover, the new one) and the exit code says what was found: 3 written, not yet replicated (in the stream: do not publish again), 4 lost (not in the stream: publish again), 5 unknown (could not be checked: look at the stream first); the worst one wins' },
    { name: 'wait-replicas-ms', type: 'int', value: 'MS', min: 1, description: 'With --wait-replicas: how long one WAIT waits', default: '1000' },
    { name: 'check-ms', type: 'int', value: 'MS', min: 1, description: 'With --wait-replicas: how long to keep looking up unconfirmed messages on the current master (default max(5000, 4 × --wait-replicas-ms))' },
    { name: 'republish-lost', type: 'boolean', description: `With --wait-replicas: publish lost messages again, with a new id and a last field "${REPUBLISHED_FROM_FIELD}" naming the lost id (their new ids are printed; exit 4 all the same)` },
    ...CONNECTION_OPTIONS,
  ],
  examples: [
    'redis-queues publish orders orderId=42 product=keyboard',
    `redis-queues publish orders --json '{"orderId": 42, "items": [1, 2]}'`,
    'redis-queues publish load-test n={{i}} --count 10000 --maxlen 5000',
  ],
};

type Pair = [string | Buffer, string | Buffer];

/** A `--json` value: text as-is, `{"base64": …}` or `{"$binary": hex}` as bytes, anything else as JSON text. */
function jsonValue(name: string, v: unknown): string | Buffer {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1) {
    if (typeof (v as { $binary?: unknown }).$binary === 'string') {
      const hex = (v as { $binary: string }).$binary;
      if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new UsageError(`--json field "${printableArg(name)}": $binary must be hex`, 'publish');
      return Buffer.from(hex, 'hex');
    }
    if ('base64' in v) return fromJsonBytes(v, `--json field "${printableArg(name)}"`);
  }
  return JSON.stringify(v);
}

/**
 * The message from `--json` (an object, or `[[name, value], ...]` pairs in the lossless form)
 * then the `field=value` arguments, in that order; a name given twice is sent twice (Redis keeps
 * both). Nothing is expanded here (see {@link templated}).
 */
export function messageFields(args: ParsedArgs): Pair[] {
  const pairs: Pair[] = [];
  let json = args.options['json'] as string | undefined;
  if (json === '-' || json?.startsWith('@')) {
    // Messages larger than a command line holds (about 128 KiB per argument): from stdin or a file.
    try {
      json = readFileSync(json === '-' ? 0 : json.slice(1), 'utf8');
    } catch (e) {
      throw new UsageError(`--json ${json === '-' ? '-: cannot read standard input' : `${printableArg(json)}: cannot read the file`} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'publish');
    }
  }
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      throw new UsageError(`--json is not valid JSON: ${(e as Error).message}`, 'publish');
    }
    if (Array.isArray(parsed)) {
      try {
        const raw = fromJsonPairs(parsed, '--json');
        for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
      } catch (e) {
        throw new UsageError((e as Error).message, 'publish');
      }
    } else if (parsed && typeof parsed === 'object') {
      for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) pairs.push([k, jsonValue(k, v)]);
    } else {
      throw new UsageError('--json must be a JSON object of fields, e.g. {"orderId": "42"}, or [[name, value], ...] pairs', 'publish');
    }
  }
  for (const arg of (args.positionals['FIELD=VALUE'] as string[] | undefined) ?? []) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new UsageError(`"${printableArg(arg)}" is not FIELD=VALUE`, 'publish');
    pairs.push([arg.slice(0, eq), arg.slice(eq + 1)]);
  }
  if (!pairs.length) throw new UsageError('a message needs at least one FIELD=VALUE (or --json)', 'publish');
  return pairs;
}

/**
 * Message `i` of a batch: `{{i}}` in text names and values becomes `i`; `\{{` stands for a literal
 * `{{`. Bytes (Buffers) are never changed.
 */
export function templated(pairs: Pair[], i: number): Pair[] {
  const expand = (x: string | Buffer): string | Buffer =>
    typeof x === 'string' ? x.replace(/\\\{\{|\{\{i\}\}/g, (m) => (m === '{{i}}' ? String(i) : '{{')) : x;
  return pairs.map(([k, v]) => [expand(k), expand(v)]);
}

/** Exit codes of durable publishing: 3 written, not yet replicated; 4 lost in a failover; 5 unknown (the worst fate wins). */
export function notReplicatedExit(e: NotReplicatedError): number {
  return e.unknown.length ? 5 : e.lost.length ? 4 : 3;
}

export const publishCommand: Command = {
  spec,
  async run(args, ctx) {
    const stream = args.positionals['STREAM'] as string;
    const fields = messageFields(args);
    const count = (args.options['count'] as number | undefined) ?? 1;
    // Templates expand only in a batch (--count given): a single message is sent exactly as typed.
    const message = args.options['count'] === undefined ? (): Pair[] => fields : (i: number): Pair[] => templated(fields, i);
    const maxlen = args.options['maxlen'] as number | undefined;
    if (args.options['exact'] && maxlen === undefined) throw new UsageError('--exact only applies with --maxlen', 'publish');
    const trim: TrimOptions | undefined = maxlen === undefined ? undefined : { strategy: 'MAXLEN', threshold: maxlen, exact: Boolean(args.options['exact']) };
    const replicas = args.options['wait-replicas'] as number | undefined;
    const replicasMs = args.options['wait-replicas-ms'] as number | undefined;
    const checkMs = args.options['check-ms'] as number | undefined;
    const republishLost = Boolean(args.options['republish-lost']);
    for (const [set, name] of [[replicasMs !== undefined, 'wait-replicas-ms'], [checkMs !== undefined, 'check-ms'], [republishLost, 'republish-lost']] as const) {
      if (set && replicas === undefined) throw new UsageError(`--${name} only applies with --wait-replicas`, 'publish');
    }
    const durability = replicas === undefined ? undefined : { replicas, timeoutMs: replicasMs ?? 1000, checkMs, republishLost };
    const producer = await StreamProducer.open(ctx.connection, { stream, trim, durability });
    let exit = 0;
    /**
     * When replication was not confirmed: the ids of messages in the stream are printed (written,
     * republished), not those of lost or unknown ones; the exit code is the worst fate found.
     */
    const publishing = async (send: () => Promise<string[]>): Promise<void> => {
      let ids: string[];
      try {
        ids = await send();
      } catch (e) {
        if (!(e instanceof NotReplicatedError)) throw e;
        ctx.err(`redis-queues publish: ${e.message}`);
        exit = Math.max(exit, notReplicatedExit(e));
        const fresh = new Map(e.republished.map((r) => [r.from, r.id]));
        const gone = new Set([...e.lost, ...e.unknown]);
        ids = e.ids.flatMap((id) => (fresh.has(id) ? [fresh.get(id)!] : gone.has(id) ? [] : [id]));
      }
      if (ids.length) ctx.out(ids.join('\n'));
    };
    try {
      if (count === 1) {
        await publishing(async () => [await producer.publish(message(0))]);
      } else {
        const batch = 5000;
        for (let i = 0; i < count; i += batch) {
          const n = Math.min(batch, count - i);
          await publishing(() => producer.publishBatch(Array.from({ length: n }, (_, j) => message(i + j))));
        }
      }
      return exit;
    } finally {
      await producer.close();
    }
  },
};
