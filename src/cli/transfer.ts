// `redis-queues export STREAM [--out FILE]` and `redis-queues import STREAM [--in FILE]`: messages
// to and from NDJSON files in the lossless form (src/core/transfer.ts), with progress on stderr.
import { once } from 'node:events';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { Writable } from 'node:stream';
import {
  type ExportResult,
  type ImportProgress,
  type RedisClient,
  type SearchQuery,
  type StreamEntry,
  MessageSearch,
  parseSearchQuery,
  BadInputError,
  QueueError,
  ImportLineError,
  TIME_SPEC_HINT,
  streamKey,
  describeTarget,
  entriesById,
  exportEntries,
  importEntries,
  newRunName,
  isValidId,
  parseTimeSpec,
  rangeEntries,
  toQueueError,
  compareIds,
} from '../core/internal';
import { type CommandSpec, type ParsedArgs, UsageError, printableArg } from './args';
import { type Command, type CommandContext, GLOBAL_OPTIONS, checkIds, onceSignalled, processIo, scrub, withClient } from './common';
import { safe } from './format';

const PROGRESS_OPTION = { name: 'progress', type: 'boolean' as const, description: 'Show progress on stderr (default: when stderr is a terminal)' };

const exportSpec: CommandSpec = {
  name: 'export',
  summary: 'Write messages of a stream to an NDJSON file (or stdout), byte for byte: a range, a time window, chosen ids or the whole stream.',
  positionals: [{ name: 'STREAM', description: 'Stream key (a dead-letter stream too)' }],
  options: [
    { name: 'out', type: 'string', value: 'FILE', description: 'Write here, replacing the file ("-": stdout)', default: '-' },
    { name: 'from', type: 'string', value: 'ID', description: 'First id (inclusive)' },
    { name: 'to', type: 'string', value: 'ID', description: 'Last id (inclusive)' },
    { name: 'since', type: 'string', value: 'TIME', description: 'Only messages added at or after TIME' },
    { name: 'until', type: 'string', value: 'TIME', description: 'Only messages added at or before TIME (inclusive, as search\'s until:)' },
    { name: 'ids', type: 'list', value: 'ID,ID,…', description: 'Only these entries, in this order' },
    { name: 'count', type: 'int', value: 'N', min: 1, description: 'At most N messages' },
    { name: 'query', type: 'string', value: 'QUERY', description: 'Only the messages this search finds (the terms of "redis-queues search", e.g. \'status=failed payload.sku == "kb"\')' },
    { name: 'newest', type: 'boolean', description: 'Newest first (with --count: the newest N)' },
    { name: 'no-header', type: 'boolean', description: 'Leave out the header line (stream, time, what was asked)' },
    PROGRESS_OPTION,
    ...GLOBAL_OPTIONS,
  ],
  details:
    `Each line is {"id": "...", "pairs": [[name, value], ...]}: the message in order, repeated names kept, a name or value that is not UTF-8 as {"base64": "..."}. A first header line {"redis-queues-export": 1, ...} says what was exported; "import" skips it. TIME is ${TIME_SPEC_HINT}; --since and --until are inclusive (--until 10:00 takes the messages of 10:00:00.000 too). A stream that does not exist is an error (exit 1) and no file is written. Reads in pages of at most 1,000 entries (fewer when they are large). Ids given with --ids that are not in the stream are named on stderr and make the exit code 1 (the others are written). Ctrl-C stops after the current message; what was written is complete lines.`,
  examples: [
    'redis-queues export orders --out orders.ndjson',
    'redis-queues export orders:dlq --out dead.ndjson',
    'redis-queues export orders --since 09:00 --until 10:00 > morning.ndjson',
    'redis-queues export orders --since 2h --count 100 --newest',
    'redis-queues export orders --ids 1700000000000-0,1700000000001-0',
    'redis-queues export orders:dlq --query \'x-dlq-error~Timeout\' --out timeouts.ndjson',
  ],
};

const importSpec: CommandSpec = {
  name: 'import',
  summary: 'Add the messages of an NDJSON file (from "export", "tail --json" or copy-as-JSON) to a stream, with new ids or the original ones.',
  positionals: [{ name: 'STREAM', description: 'Stream key (created when missing)' }],
  options: [
    { name: 'in', type: 'string', value: 'FILE', description: 'Read from here ("-": stdin)', default: '-' },
    { name: 'keep-ids', type: 'boolean', description: 'Write each message with its id from the file (ids must increase and be above the stream\'s last id)' },
    { name: 'rate', type: 'int', value: 'N', min: 1, description: 'At most N messages per second' },
    { name: 'from-line', type: 'int', value: 'N', min: 1, description: 'Start at line N (to go on after an interruption)' },
    { name: 'run', type: 'string', value: 'NAME', description: 'Resume this run (new ids): start after the last line it wrote, as recorded in Redis' },
    { name: 'batch', type: 'int', value: 'N', min: 1, description: 'Messages per round trip', default: '200' },
    { name: 'max-line-mb', type: 'int', value: 'N', min: 1, description: 'Refuse a line longer than N MB', default: '256' },
    PROGRESS_OPTION,
    ...GLOBAL_OPTIONS,
  ],
  details:
    'Lines are read and checked a batch at a time: a bad line (not JSON, no "pairs", bad base64, longer than --max-line-mb) stops the import with its line number, and nothing of its batch is written. ' +
    'Without --keep-ids each message gets a new id, and each batch records in Redis, in the same step, the last line it wrote, under the run\'s name: the import names its run first, then says on stderr every few seconds "imported through line L; resume with --from-line L+1 --run NAME" (also on Ctrl-C and failures). Run it again with those options and it starts after the last line written, even if the process was killed. ' +
    'With --keep-ids, lines whose id is not above the stream\'s last id are compared with the stream: the same id with the same pairs is counted "already there"; an id the stream does not hold (deleted, trimmed) or holds with other pairs is "not written" (Redis cannot add an id below its last one), named with its line on stderr, and the exit code is 1. Running the same import again adds only what is missing. ' +
    'Exit 0 when every line was written or already there; 1 on a failure or a line not written, after saying what was imported; 130 on Ctrl-C.',
  examples: [
    'redis-queues import orders-copy --in orders.ndjson',
    'redis-queues import orders --in orders.ndjson --keep-ids',
    'redis-queues export orders | redis-queues import orders-copy --url redis://other:6379',
    'redis-queues tail orders --json --limit 100 | redis-queues import orders-sample --rate 50',
  ],
};

/** Shows progress on stderr: rewritten in place on a terminal, else a line at most every 2 s. */
function progressPrinter(args: ParsedArgs, ctx: CommandContext): { show(text: string): void; end(): void } {
  const tty = ctx.io === processIo && process.stderr.isTTY === true;
  const on = args.options['progress'] === true || tty;
  let last = 0;
  let shown = false;
  return {
    show(text) {
      if (!on) return;
      const now = Date.now();
      if (now - last < (tty ? 200 : 2000)) return;
      last = now;
      shown = true;
      if (tty) ctx.io.stderr(`\r${text}\x1b[K`);
      else ctx.err(text);
    },
    end() {
      if (tty && shown) ctx.io.stderr('\n');
    },
  };
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`;
}

function timeOption(args: ParsedArgs, name: string, now: number): number | undefined {
  const text = args.options[name] as string | undefined;
  if (text === undefined) return undefined;
  try {
    return parseTimeSpec(text, now);
  } catch (e) {
    if (e instanceof BadInputError) throw new UsageError(`--${name}: ${e.message}`, 'export');
    throw e;
  }
}

function idOption(args: ParsedArgs, name: string): string | undefined {
  const v = (args.options[name] as string | undefined)?.trim();
  if (v === undefined || v === '-' || v === '+') return v;
  if (!isValidId(v)) throw new UsageError(`--${name} must be a stream id like 1700000000000-0 (got "${printableArg(v)}")`, 'export');
  return v;
}

export const exportCommand: Command = {
  spec: exportSpec,
  async run(args, ctx) {
    const stream = args.positionals['STREAM'] as string;
    const now = Date.now();
    const from = idOption(args, 'from');
    const to = idOption(args, 'to');
    const since = timeOption(args, 'since', now);
    const until = timeOption(args, 'until', now);
    const ids = (args.options['ids'] as string[] | undefined)?.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
    const count = args.options['count'] as number | undefined;
    const newest = args.options['newest'] === true;
    if (ids) {
      if (!ids.length) throw new UsageError('--ids needs at least one id', 'export');
      checkIds(ids, 'export');
      const other = ['from', 'to', 'since', 'until', 'newest'].find((o) => args.options[o] !== undefined);
      if (other) throw new UsageError(`--ids does not go with --${other}`, 'export');
    }
    if (since !== undefined && until !== undefined && until < since) throw new UsageError('--until must not be earlier than --since', 'export');
    const outPath = (args.options['out'] as string | undefined) ?? '-';
    const query: Record<string, unknown> = {};
    if (ids) query['ids'] = ids;
    if (from !== undefined) query['from'] = from;
    if (to !== undefined) query['to'] = to;
    if (since !== undefined) query['since'] = new Date(since).toISOString();
    if (until !== undefined) query['until'] = new Date(until).toISOString();
    if (count !== undefined) query['count'] = count;
    if (newest) query['direction'] = 'newest';
    const queryText = args.options['query'] as string | undefined;
    let search: SearchQuery | undefined;
    if (queryText !== undefined) {
      if (ids) throw new UsageError('--ids does not go with --query', 'export');
      try {
        search = parseSearchQuery(queryText);
      } catch (e) {
        throw new UsageError((e as Error).message, 'export');
      }
      // The options narrow the search (both bounds inclusive, as a search's).
      if (from !== undefined) search.from = search.from !== undefined && compareIds(search.from, from) > 0 ? search.from : from;
      if (to !== undefined) search.to = search.to !== undefined && compareIds(search.to, to) < 0 ? search.to : to;
      if (since !== undefined) search.since = Math.max(search.since ?? since, since);
      if (until !== undefined) search.until = Math.min(search.until ?? until, until);
      if (count !== undefined) search.limit = count;
      search.order = newest ? 'newest' : (search.order ?? 'oldest');
      query['search'] = queryText;
    }

    return withClient(ctx.connection, async (client) => {
      // The file is opened only once Redis answered and the key is a stream (or absent): a typo
      // in the URL or the key leaves no file behind.
      await streamKey(client, stream);
      const toStdout = outPath === '-';
      const out: NodeJS.WritableStream = toStdout
        ? ctx.io === processIo
          ? process.stdout
          : new Writable({
              write(chunk: Buffer, _enc, cb) {
                ctx.io.stdout(chunk.toString('utf8'));
                cb();
              },
            })
        : await openFile(outPath);
      const stop = new AbortController();
      const signals = onceSignalled();
      void signals.promise.then(() => stop.abort());
      const progress = progressPrinter(args, ctx);
      const missing: string[] = [];
      let sofar = { written: 0, bytes: 0 };
      let result: ExportResult | undefined;
      let failure: unknown;
      try {
        const source: AsyncIterable<StreamEntry> = search
          ? searchEntries(new MessageSearch(client, { kind: 'stream', key: stream }, search, { signal: stop.signal }))
          : ids
          ? limited(entriesById(client, stream, ids, { signal: stop.signal, onMissing: (id) => missing.push(id) }), count)
          : rangeEntries(client, stream, { from, to, since, until, count, direction: newest ? 'newest' : 'oldest', signal: stop.signal });
        result = await exportEntries(source, out, {
          signal: stop.signal,
          header: args.options['no-header'] === true ? undefined : { stream, query },
          onProgress: (p) => {
            sofar = p;
            progress.show(`exported ${p.written.toLocaleString('en-US')} messages (${mib(p.bytes)})`);
          },
        });
      } catch (e) {
        failure = e;
      } finally {
        signals.dispose();
        progress.end();
        if (!toStdout) await closeFile(out).catch((e: unknown) => (failure ??= e));
      }
      const where = toStdout ? 'stdout' : outPath;
      if (failure !== undefined) {
        const err = failure instanceof QueueError ? failure : toQueueError(failure);
        ctx.err(`redis-queues: ${scrub(err.message, ctx.secrets)} (${plural(sofar.written, 'message')} written to ${safe(where)} before the failure)`);
        return err.code === 'BAD_INPUT' || err.code === 'BAD_ID' ? 2 : 1;
      }
      const r = result!;
      for (const id of missing) ctx.err(`not in ${safe(stream)}: ${id}`);
      const summary = `exported ${plural(r.written, 'message')} from ${safe(stream)} to ${safe(where)} (${mib(r.bytes)})${r.skipped ? `, ${plural(r.skipped, 'deleted entry', 'deleted entries')} left out` : ''}${missing.length ? `; ${plural(missing.length, 'id')} not in the stream` : ''}${r.aborted ? '; stopped' : ''}`;
      if (toStdout) {
        // stdout carries the data: the summary goes to stderr, when progress is shown or something is off.
        if (args.options['progress'] === true || (ctx.io === processIo && process.stderr.isTTY) || missing.length || r.aborted) ctx.err(summary);
      } else if (ctx.json) {
        ctx.out(JSON.stringify({ stream, out: outPath, exported: r.written, bytes: r.bytes, skipped: r.skipped, missing, aborted: r.aborted }));
      } else {
        ctx.out(summary);
      }
      return r.aborted ? 130 : missing.length ? 1 : 0;
    });
  },
};

/** The entries a search finds. */
async function* searchEntries(search: MessageSearch): AsyncGenerator<StreamEntry> {
  for await (const hit of search) yield hit.entry;
}

/** Stops a source after `count` entries. */
async function* limited(source: AsyncIterable<StreamEntry>, count: number | undefined): AsyncGenerator<StreamEntry> {
  if (count === undefined) return yield* source;
  let n = 0;
  if (count <= 0) return;
  for await (const e of source) {
    yield e;
    if (++n >= count) return;
  }
}

/** A file opened for writing (created or truncated); a path that cannot be written is a usage error. */
async function openFile(path: string): Promise<NodeJS.WritableStream> {
  const out = createWriteStream(path);
  try {
    await once(out, 'open');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot write --out "${printableArg(path)}": ${code === 'ENOENT' ? 'no such folder' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message}`, 'export');
  }
  return out;
}

/** Ends a file stream and waits until its data is on disk (or it failed). */
function closeFile(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = out as Writable;
    if (w.closed || w.destroyed) return resolve();
    w.once('error', reject);
    w.once('close', () => resolve());
    w.end();
  });
}

/** Where to go on from, as the import says it: the option(s) to run it again with. */
function resumeHint(line: number, run: string | undefined): string {
  return `imported through line ${line}; resume with --from-line ${line + 1}${run ? ` --run ${run}` : ''}`;
}

/** Resume lines on stderr, terminal or not: at most every 5 s or 10,000 lines. */
const RESUME_EVERY_MS = 5000;
const RESUME_EVERY_LINES = 10_000;

export const importCommand: Command = {
  spec: importSpec,
  async run(args, ctx) {
    const stream = args.positionals['STREAM'] as string;
    const inPath = (args.options['in'] as string | undefined) ?? '-';
    const keepIds = args.options['keep-ids'] === true;
    const ratePerSec = args.options['rate'] as number | undefined;
    const fromLine = args.options['from-line'] as number | undefined;
    const batch = args.options['batch'] as number | undefined;
    const maxLineMb = args.options['max-line-mb'] as number | undefined;
    const runOption = args.options['run'] as string | undefined;
    if (runOption !== undefined && keepIds) throw new UsageError('--run is for imports with new ids; with --keep-ids the ids say what is there (run the same import again)', 'import');
    if (runOption !== undefined && !/^[0-9a-z-]{1,40}$/i.test(runOption)) throw new UsageError(`--run is the name an import gave (letters, digits, "-"; got "${printableArg(runOption)}")`, 'import');
    const run = keepIds ? undefined : (runOption ?? newRunName());
    if (inPath !== '-') {
      let isFile = false;
      try {
        isFile = statSync(inPath).isFile();
      } catch (e) {
        throw new UsageError(`cannot read --in "${printableArg(inPath)}": ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 'import');
      }
      if (!isFile) throw new UsageError(`--in "${printableArg(inPath)}" is not a file`, 'import');
    }
    return withClient(ctx.connection, async (client: RedisClient) => {
      const input = inPath === '-' ? process.stdin : createReadStream(inPath, { highWaterMark: 256 * 1024 });
      const stop = new AbortController();
      const signals = onceSignalled();
      void signals.promise.then(() => stop.abort());
      const progress = progressPrinter(args, ctx);
      const tty = ctx.io === processIo && process.stderr.isTTY === true;
      let sofar: ImportProgress = { read: 0, imported: 0, skipped: 0, notWritten: 0, line: 0 };
      let said = { at: Date.now(), line: 0 };
      const summary = (p: { imported: number; skipped: number; notWritten: number; lines: number }) =>
        `imported ${p.imported}, already there ${p.skipped} (same id and pairs), not written ${p.notWritten}, lines ${p.lines}`;
      if (run) ctx.err(`import run ${run}: if it is cut off, resume with the --from-line and --run it names (lines written are recorded in Redis with them)`);
      try {
        const r = await importEntries(client, stream, input, {
          keepIds,
          ratePerSec,
          fromLine,
          batch,
          run,
          maxLineBytes: maxLineMb === undefined ? undefined : maxLineMb * 2 ** 20,
          signal: stop.signal,
          readOnly: ctx.connection.readOnly,
          name: describeTarget(ctx.connection),
          onProgress: (p) => {
            sofar = p;
            const hint = resumeHint(p.line, run);
            progress.show(`imported ${p.imported.toLocaleString('en-US')}, already there ${p.skipped.toLocaleString('en-US')}, not written ${p.notWritten.toLocaleString('en-US')}, line ${p.read.toLocaleString('en-US')}; ${hint.replace(/^imported through/, 'done through')}`);
            const now = Date.now();
            if (!tty && p.line > said.line && (now - said.at >= RESUME_EVERY_MS || p.line - said.line >= RESUME_EVERY_LINES)) {
              said = { at: now, line: p.line };
              ctx.err(hint);
            }
          },
        });
        progress.end();
        const runText = r.run ?? run;
        if (r.resumedAfter !== undefined && (fromLine === undefined || r.resumedAfter + 1 > fromLine)) ctx.err(`run ${runText} had written through line ${r.resumedAfter}: started at line ${r.resumedAfter + 1}`);
        if (ctx.json) {
          ctx.out(JSON.stringify({ stream, imported: r.imported, skipped: r.skipped, notWritten: r.notWritten, notWrittenLines: r.notWrittenLines, lines: r.lines, lastLine: r.lastLine, lastId: r.lastId ?? null, run: r.run ?? null, aborted: r.aborted }));
        } else {
          ctx.out(`${summary(r)}${r.aborted ? ` (stopped; ${resumeHint(r.lastLine, r.run)})` : ''}`);
        }
        for (const n of r.notWrittenLines) ctx.err(`not written: line ${n.line} (id ${n.id}): ${n.reason}`);
        if (r.notWritten > r.notWrittenLines.length) ctx.err(`not written: ${r.notWritten - r.notWrittenLines.length} more lines (the first ${r.notWrittenLines.length} are named)`);
        return r.aborted ? 130 : r.notWritten ? 1 : 0;
      } catch (e) {
        progress.end();
        const err = e instanceof QueueError ? e : toQueueError(e);
        ctx.err(`redis-queues: ${scrub(err.message, ctx.secrets)}`);
        if (e instanceof ImportLineError) sofar = e.progress;
        if (sofar.imported || sofar.skipped || sofar.notWritten) {
          ctx.err(`${summary({ ...sofar, lines: sofar.read })} before the failure; ${resumeHint(sofar.line, run)}`);
        } else if (sofar.read) {
          ctx.err(`nothing imported (lines ${sofar.read} read)`);
        }
        return 1;
      } finally {
        signals.dispose();
        if (input !== process.stdin) (input as ReturnType<typeof createReadStream>).destroy();
      }
    });
  },
};
