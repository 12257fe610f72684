// `redis-queues search STREAM QUERY [--group G] [--limit N] [--oldest] [--max-entries N]`
import { MessageSearch, QUERY_HINT, TIME_RANGE_RULE, TIME_SPEC_HINT, checkQueryFor, describeQuery, formatCount, parseSearchQuery, type SearchSource } from '../core/internal';
import { type CommandSpec, UsageError } from './args';
import { type Command, GLOBAL_OPTIONS, onceSignalled, withClient } from './common';
import { entryJson, entryLine, safe } from './format';

const spec: CommandSpec = {
  name: 'search',
  summary: 'Find messages in a stream, a dead-letter stream or a group\'s pending entries by content, time or id.',
  positionals: [
    { name: 'STREAM', description: 'Stream (or dead-letter stream) to search' },
    { name: 'QUERY', description: 'What to find (terms, as one quoted argument or several; none: everything in the range)', required: false, variadic: true },
  ],
  options: [
    { name: 'group', type: 'string', value: 'GROUP', description: 'Search this group\'s pending entries instead of the whole stream' },
    { name: 'limit', type: 'int', value: 'N', min: 1, description: 'Stop after N matches', default: '100' },
    { name: 'oldest', type: 'boolean', description: 'Oldest first (default: newest first)' },
    { name: 'max-entries', type: 'int', value: 'N', min: 1, description: 'Examine at most N entries, then say where to resume' },
    { name: 'resume', type: 'string', value: 'ID', description: 'Go on after this id (printed by a search that stopped early)' },
    ...GLOBAL_OPTIONS,
  ],
  details: [
    `QUERY terms, all of which must hold: ${QUERY_HINT}.`,
    'name=value (exact), name!=value (no field name equal to value; a message without the field matches), name~text (contains), name=/regex/flags (RE2 syntax, linear time; flags i, m, s; no backreferences or lookaround), name>n (>=, <, <=: only values that are decimal numbers: optional sign, digits, optional fraction and exponent; not blank, hex or Infinity), field.path == "v" (JSON in a field; own keys only), *~text or a bare word (any field; *=v some value is v, *!=v no value is v), has:name, since:TIME until:TIME, from:ID to:ID (both ends included), and for --group: consumer:NAME idle:5m deliveries:3. Quote names or values with spaces: "order id"="A 1".',
    `TIME is ${TIME_SPEC_HINT}; written with spaces it is read as one (since:1h ago, until:2026-12-01 14:00) or quote it. until: is inclusive: ${TIME_RANGE_RULE}. Bounds that leave nothing (from: after to:, since: after until:) are refused, and a stream that does not exist is an error (exit code 2).`,
    '--resume ID goes on after ID within the same bounds (it moves only the start of the walk). Each call to Redis reads a small page (one entry first, then as many as fit in about 1 MB, at most 1,000), so a search never blocks the server, whatever the stream\'s size. --json prints one lossless JSON line per match (pairs in order, binary as base64), then a summary line. Ctrl-C stops and prints where to resume.',
  ].join('\n'),
  examples: [
    'redis-queues search orders \'status=failed since:14:00 until:14:05\'',
    'redis-queues search orders \'payload.sku == "kb"\' --limit 10',
    'redis-queues search orders:dlq \'x-dlq-error~Timeout\' --json',
    'redis-queues search orders \'deliveries:3\' --group billing',
    'redis-queues search orders \'status!=ok since:1h ago\'',
  ],
};

export const searchCommand: Command = {
  spec,
  async run(args, ctx) {
    const key = args.positionals['STREAM'] as string;
    const q = args.positionals['QUERY'] as string[] | string | undefined;
    const text = Array.isArray(q) ? q.join(' ') : (q ?? '');
    let query;
    try {
      query = parseSearchQuery(text);
    } catch (e) {
      throw new UsageError((e as Error).message, 'search');
    }
    const group = args.options['group'] as string | undefined;
    try {
      checkQueryFor(group ? 'pending' : 'stream', query, 'add --group GROUP');
    } catch (e) {
      throw new UsageError((e as Error).message, 'search');
    }
    if (query.limit === undefined) query.limit = (args.options['limit'] as number | undefined) ?? 100;
    if (args.options['oldest']) query.order = 'oldest';
    const source: SearchSource = group ? { kind: 'pending', key, group } : { kind: 'stream', key };
    const stop = new AbortController();
    const signals = onceSignalled();
    void signals.promise.then(() => stop.abort());
    try {
      return await withClient(ctx.connection, async (client) => {
        const search = new MessageSearch(client, source, query, {
          signal: stop.signal,
          maxExamined: args.options['max-entries'] as number | undefined,
          resume: args.options['resume'] as string | undefined,
        });
        for await (const hit of search) {
          const p = hit.pending;
          if (ctx.json) ctx.out(entryJson(key, hit.entry, p ? { consumer: p.consumer, idleMs: p.idle, deliveries: p.deliveries } : {}));
          else ctx.out(p ? `${entryLine(hit.entry)}  [${safe(p.consumer)}, ${p.deliveries} deliveries, idle ${formatCount(Math.round(p.idle / 1000))}s]` : entryLine(hit.entry));
        }
        const s = search.summary!;
        const what = `${s.matched} match${s.matched === 1 ? '' : 'es'} in ${formatCount(s.examined)} entries examined`;
        const why =
          s.stopped === 'end' ? 'searched to the end' : s.stopped === 'limit' ? `stopped at the limit of ${query.limit}` : s.stopped === 'budget' ? 'stopped at --max-entries' : 'cancelled';
        if (ctx.json) ctx.out(JSON.stringify({ summary: { query: describeQuery(query), stream: key, group: group ?? null, ...s } }));
        else ctx.err(`${what}; ${why}${s.resume ? ` (go on with --resume ${s.resume})` : ''}`);
        return s.stopped === 'cancelled' ? 130 : 0;
      });
    } finally {
      signals.dispose();
    }
  },
};
