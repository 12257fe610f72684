import { type WriteStream, createReadStream, createWriteStream, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import * as vscode from 'vscode';
import {
  BadInputError,
  EXPORT_HEADER_KEY,
  type ExportResult,
  type ImportProgress,
  type ImportResult,
  type StreamEntry,
  TIME_SPEC_HINT,
  compareIds,
  entriesById,
  exportEntries,
  formatCount,
  importEntries,
  parseId,
  parseTimeSpec,
  rangeEntries,
  type RedisClient,
  toQueueError,
} from '../../core/internal';
import type { Session } from '../connections/session';
import { SearchNode } from '../search/searchResults';
import type { Services } from '../services';
import { EntryNode, PendingEntryNode, localTime } from '../tree/explorerNodes';
import { required } from './command';
import { confirmImpact, plural, refuseReadOnly, resolveSession, resolveStream, streamOf } from './target';

/** Arguments for callers and tests in place of the dialogs and prompts. */
export interface ExportArgs {
  /** The file to write (instead of the save dialog). */
  file?: string;
  /** For a stream: the whole stream, a time range or an id range (instead of the quick pick). */
  range?: 'all' | 'time' | 'ids';
  /** Time range: from / until, as typed ({@link TIME_SPEC_HINT}); both inclusive. */
  since?: string;
  until?: string;
  /** Id range: first and last id (inclusive; "-" and "+" for the ends). */
  from?: string;
  to?: string;
}

export interface ExportSummary extends ExportResult {
  file: string;
  stream: string;
  /** What was exported, in words ("the whole stream", "3 selected entries", …). */
  what: string;
  /** Selected entries no longer in the stream (not written). */
  missing: string[];
}

export interface ImportArgs {
  /** The file to read (instead of the open dialog). */
  file?: string;
  /** New ids (appended now, the default) or the ids of the file (instead of the quick pick). */
  mode?: 'new' | 'keep';
  /** Messages per second at most; null: no limit (instead of the prompt). */
  ratePerSec?: number | null;
}

export interface ImportSummary extends ImportResult {
  file: string;
  stream: string;
  /** Messages the file holds at most, counted before the import (its lines, less a header line). */
  counted: number;
}

/** Opens `file` for writing, runs `write` on it, and waits until all is on disk; on a failure the stream is destroyed (what was written stays). */
export async function writeFileWith<T>(file: string, write: (out: WriteStream) => Promise<T>): Promise<T> {
  const out = createWriteStream(file);
  await new Promise<void>((resolve, reject) => {
    out.once('open', () => resolve());
    out.once('error', reject);
  });
  try {
    const r = await write(out);
    out.end();
    await finished(out);
    return r;
  } catch (e) {
    out.destroy();
    throw e;
  }
}

/** A file name for what is exported (`orders.ndjson`), safe on every system. */
export function fileName(stream: string): string {
  return `${stream.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'stream'}.ndjson`;
}

/** Where the last export or import file was (remembered per machine). */
const LAST_FOLDER = 'redisQueues.transfer.lastFolder';

/**
 * The folder a file dialog starts in: the last one used for an export or import, else Downloads
 * (else home). Never the workspace by default: exported messages in a repository get committed.
 */
export function defaultFolder(s: Services): vscode.Uri {
  const last = s.context.globalState.get<string>(LAST_FOLDER);
  if (last && existsSync(last)) return vscode.Uri.file(last);
  const downloads = join(homedir(), 'Downloads');
  return vscode.Uri.file(existsSync(downloads) ? downloads : homedir());
}

export function rememberFolder(s: Services, file: string): void {
  void s.context.globalState.update(LAST_FOLDER, dirname(file));
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

function idBound(v: string, end: '-' | '+'): string | undefined {
  const s = v.trim();
  if (s === end || s === '') return undefined;
  try {
    parseId(s, { allowMsOnly: true });
    return undefined;
  } catch (e) {
    return `${(e as Error).message} (or "${end}" for the ${end === '-' ? 'start' : 'end'})`;
  }
}

function timeProblem(v: string, now: number): string | undefined {
  try {
    parseTimeSpec(v, now);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** What a stream row exports: asks whole stream / time range / id range (or takes them from `args`). */
async function streamSource(s: Services, session: Session, stream: string, args: ExportArgs): Promise<{ what: string; query: Record<string, unknown>; source: (client: RedisClient, signal: AbortSignal) => AsyncIterable<StreamEntry> | Iterable<StreamEntry>; total?: number }> {
  const range =
    args.range ??
    (args.since !== undefined || args.until !== undefined ? 'time' : args.from !== undefined || args.to !== undefined ? 'ids' : undefined) ??
    required(
      await s.ui.pick<'all' | 'time' | 'ids'>(
        [
          { label: '$(database) Whole stream', description: 'every entry, oldest first', value: 'all' },
          { label: '$(history) Time range…', description: 'entries added between two times', value: 'time' },
          { label: '$(list-ordered) Id range…', description: 'entries between two ids', value: 'ids' },
        ],
        { title: `Export from "${stream}"` },
      ),
    );
  if (range === 'all') {
    const total = await session.run((insp) => insp.length(stream)).catch(() => undefined);
    return { what: 'the whole stream', query: { range: 'all' }, source: (client, signal) => rangeEntries(client, stream, { signal }), total };
  }
  if (range === 'time') {
    const now = Date.now();
    const sinceText =
      args.since ?? required(await s.ui.input({ title: `Export from "${stream}": entries added from`, prompt: `Write ${TIME_SPEC_HINT}`, value: '1h', validate: (v) => timeProblem(v, now) }));
    const untilText =
      args.until ?? required(await s.ui.input({ title: `Export from "${stream}": entries added up to (inclusive)`, prompt: `Write ${TIME_SPEC_HINT}`, value: 'now', validate: (v) => timeProblem(v, now) }));
    const since = parseTimeSpec(sinceText, now);
    const until = parseTimeSpec(untilText, now);
    if (until < since) throw new BadInputError(`Nothing to export: "${untilText}" (${localTime(until)}) is before "${sinceText}" (${localTime(since)})`);
    return {
      what: `entries from ${localTime(since)} to ${localTime(until)}`,
      query: { range: 'time', since: new Date(since).toISOString(), until: new Date(until).toISOString() },
      source: (client, signal) => rangeEntries(client, stream, { since, until, signal }),
    };
  }
  const from = (args.from ?? required(await s.ui.input({ title: `Export from "${stream}": first id`, prompt: 'An id like 1700000000000-0 (a time in ms alone means its first entry), or "-" for the start', value: '-', validate: (v) => idBound(v, '-') }))).trim() || '-';
  const to = (args.to ?? required(await s.ui.input({ title: `Export from "${stream}": last id`, prompt: 'An id like 1700000000000-5 (a time in ms alone means its last entry), or "+" for the end', value: '+', validate: (v) => idBound(v, '+') }))).trim() || '+';
  if (idBound(from, '-')) throw new BadInputError(`First id: ${idBound(from, '-')}`);
  if (idBound(to, '+')) throw new BadInputError(`Last id: ${idBound(to, '+')}`);
  return { what: `entries from ${from} to ${to}`, query: { range: 'ids', from, to }, source: (client, signal) => rangeEntries(client, stream, { from, to, signal }) };
}

/**
 * Export Messages: to an NDJSON file (the lossless form: pairs in order, repeated names, binary as
 * {"base64"}), from a stream or dead-letter stream row (whole, a time range or an id range), the
 * selected entry or pending rows (read again by id, in id order), or a search's row in the Search
 * Results view (its hits so far). A save dialog, a progress notification with cancel, a summary.
 * Only reads: allowed on read-only connections.
 */
export async function exportMessages(s: Services, node?: unknown, selectedOrArgs?: unknown, maybeArgs?: ExportArgs): Promise<ExportSummary | undefined> {
  const args: ExportArgs = (maybeArgs ?? (selectedOrArgs && typeof selectedOrArgs === 'object' && !Array.isArray(selectedOrArgs) ? selectedOrArgs : {})) as ExportArgs;
  const selected = Array.isArray(selectedOrArgs) ? selectedOrArgs : undefined;

  let session: Session;
  let stream: string;
  let what: string;
  let query: Record<string, unknown>;
  let total: number | undefined;
  let source: (client: RedisClient, signal: AbortSignal) => AsyncIterable<StreamEntry> | Iterable<StreamEntry>;
  const missing: string[] = [];

  const rows = (selected && selected.includes(node) ? selected : [node]).filter((n): n is EntryNode | PendingEntryNode => n instanceof EntryNode || n instanceof PendingEntryNode);
  if (node instanceof SearchNode) {
    // A search's results: the hits it found so far, as they are (lossless entries; a pending hit
    // whose message was deleted has none and is counted as skipped).
    const run = node.run;
    session = run.session;
    stream = run.key;
    const hits = [...run.hits];
    const running = run.running ? ' (so far: the search is still running)' : '';
    what = `${plural(hits.length, 'match', 'matches')} of the search "${run.text.trim() || '(everything)'}" in ${run.where}${running}`;
    query = { search: run.text, where: run.where, matches: hits.length, ...(run.group ? { group: run.group } : {}) };
    total = hits.length;
    source = () => hits.map((h) => h.entry);
  } else if (rows.length) {
    session = rows[0]!.session;
    stream = rows[0]!.stream;
    if (rows.some((r) => r.session !== session || r.stream !== stream)) throw new BadInputError('Select entries of one stream to export them together');
    const ids = [...new Set(rows.map((r) => r.entry.id))].sort(compareIds);
    what = plural(ids.length, 'selected entry', 'selected entries');
    query = { selection: ids };
    total = ids.length;
    source = (client, signal) => entriesById(client, stream, ids, { signal, onMissing: (id) => missing.push(id) });
  } else {
    ({ session, stream } = await resolveStream(s, node));
    ({ what, query, source, total } = await streamSource(s, session, stream, args));
  }

  let file = args.file;
  if (file === undefined) {
    // The count first (when known), so the size of what is about to be written is seen before a file is chosen.
    const count = total !== undefined && !/^\d/.test(what) ? ` (${plural(total, 'message')})` : '';
    const uri = await vscode.window.showSaveDialog({
      title: `Export ${what}${count} of "${stream}"`,
      defaultUri: vscode.Uri.joinPath(defaultFolder(s), fileName(stream)),
      filters: { 'NDJSON (one message per line)': ['ndjson', 'jsonl'], 'All files': ['*'] },
      saveLabel: 'Export',
    });
    file = required(uri?.fsPath);
    rememberFolder(s, file);
  }

  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Exporting ${what} of "${stream}"`, cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    let last = 0;
    return session.withOwnClient('export', (client) =>
      writeFileWith(file!, (out) =>
        exportEntries(source(client, abort.signal), out, {
          signal: abort.signal,
          header: { stream, query },
          onProgress: (p) => {
            const pct = total ? (p.written / total) * 100 : undefined;
            progress.report({ message: `${formatCount(p.written)}${total !== undefined ? ` of ${formatCount(total)}` : ''} messages · ${bytes(p.bytes)}`, increment: pct !== undefined ? Math.max(0, pct - last) : undefined });
            if (pct !== undefined) last = pct;
          },
        }),
      ),
    );
  });

  const name = basename(file);
  const parts = [`Exported ${plural(result.written, 'message')} of "${stream}" (${what}) to ${name} (${bytes(result.bytes)})`];
  if (result.skipped) parts.push(`${result.skipped} without a message (deleted) not written`);
  if (missing.length) parts.push(`${plural(missing.length, 'selected entry', 'selected entries')} no longer in the stream`);
  if (result.aborted) parts.push('cancelled: the file holds what was written before');
  s.ui.info(`${parts.join('; ')}. ${file}`);
  return { ...result, file, stream, what, missing };
}

/**
 * Messages a file holds at most: its lines (line breaks, and a last line without one), less a
 * header line first. Read in chunks: cheap, and never the whole file in memory.
 */
export async function countLines(file: string): Promise<number> {
  const marker = Buffer.from(`{"${EXPORT_HEADER_KEY}"`);
  let lines = 0;
  let last = 10;
  let header = false;
  let first = true;
  for await (const chunk of createReadStream(file)) {
    const b = chunk as Buffer;
    if (first && b.length) {
      first = false;
      const start = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
      header = b.subarray(start, start + marker.length).equals(marker);
    }
    for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) lines++;
    if (b.length) last = b[b.length - 1]!;
  }
  return lines + (last === 10 ? 0 : 1) - (header ? 1 : 0);
}

/**
 * Import Messages: from an NDJSON file into a stream, with new ids (appended now) or the file's
 * ids (which must be newer than the stream's last id; lines already there are skipped), at an
 * optional rate, after a confirmation that states the impact (typed on production connections),
 * with progress and cancel. Refused on a read-only connection before anything is asked or sent.
 */
export async function importMessages(s: Services, node?: unknown, selectedOrArgs?: unknown, maybeArgs?: ImportArgs): Promise<ImportSummary | undefined> {
  const args: ImportArgs = (maybeArgs ?? (selectedOrArgs && typeof selectedOrArgs === 'object' && !Array.isArray(selectedOrArgs) ? selectedOrArgs : {})) as ImportArgs;
  const session = await resolveSession(s, node);
  refuseReadOnly(session, 'import (XADD)');
  const { stream } = streamOf(node) ? { stream: streamOf(node)! } : await resolveStream(s, { session }, { allowNew: true });

  let file = args.file;
  if (file === undefined) {
    const uris = await vscode.window.showOpenDialog({
      title: `Import messages into "${stream}"`,
      defaultUri: defaultFolder(s),
      canSelectMany: false,
      filters: { 'NDJSON (one message per line)': ['ndjson', 'jsonl', 'json'], 'All files': ['*'] },
      openLabel: 'Import',
    });
    file = required(uris?.[0]?.fsPath);
    rememberFolder(s, file);
  }
  const name = basename(file);

  const mode =
    args.mode ??
    required(
      await s.ui.pick<'new' | 'keep'>(
        [
          { label: 'New ids (appended now)', description: 'each message gets a new id, after the stream\'s last entry', value: 'new' },
          { label: "Original ids (must be newer than the stream's last id; lines already there are skipped)", description: 'each message keeps the id it has in the file', value: 'keep' },
        ],
        { title: `Import ${name} into "${stream}": ids` },
      ),
    );
  let rate = args.ratePerSec === null ? undefined : args.ratePerSec;
  if (args.ratePerSec === undefined) {
    const text = required(
      await s.ui.input({
        title: `Import ${name} into "${stream}": rate limit`,
        prompt: 'Messages per second at most; empty for no limit',
        value: '',
        validate: (v) => (!v.trim() || (Number.isFinite(Number(v)) && Number(v) > 0) ? undefined : 'A positive number of messages per second, or empty'),
      }),
    ).trim();
    rate = text ? Number(text) : undefined;
  }
  if (rate !== undefined && !(Number.isFinite(rate) && rate > 0)) throw new BadInputError(`The rate must be a positive number of messages per second (got ${rate})`);

  const counted = await countLines(file).catch((e: unknown) => {
    throw new BadInputError(`Cannot read ${file}: ${(e as Error).message}`);
  });
  await confirmImpact(s, session, {
    message: `Add up to ${plural(counted, 'message')} from ${name} to stream "${stream}" on "${session.name}"?`,
    detail:
      (mode === 'keep'
        ? "Each message keeps the id it has in the file; ids must be newer than the stream's last id, lines already there are skipped."
        : "Each message is appended with a new id, after the stream's last entry; importing the same file again adds them again.") +
      ` ${rate !== undefined ? `At most ${rate} messages per second.` : 'No rate limit.'} A line that cannot be read stops the import, and the message says through which line it went.`,
    button: 'Import',
    typeName: stream,
  });

  let seen: ImportProgress = { read: 0, imported: 0, skipped: 0, notWritten: 0, line: 0 };
  let r: ImportResult;
  try {
    r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Importing ${name} into "${stream}"`, cancellable: true }, async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      let last = 0;
      return session.withOwnClient('import', (client) =>
        importEntries(client, stream, createReadStream(file!), {
          keepIds: mode === 'keep',
          ratePerSec: rate,
          signal: abort.signal,
          readOnly: session.readOnly,
          name: session.name,
          onProgress: (p) => {
            seen = p;
            const pct = counted ? Math.min(100, (p.read / counted) * 100) : 0;
            progress.report({ message: `${formatCount(p.imported)} imported${p.skipped ? ` · ${formatCount(p.skipped)} skipped` : ''} · line ${formatCount(p.line)} of ${formatCount(counted)}`, increment: Math.max(0, pct - last) });
            last = pct;
          },
        }),
      );
    });
  } catch (e) {
    s.provider.refresh();
    const err = toQueueError(e);
    err.message = `Import of ${name} into "${stream}" stopped: ${err.message}${/line \d/i.test(err.message) ? '' : ` (${seen.imported} imported, ${seen.skipped} skipped, through line ${seen.line})`}`;
    throw err;
  }
  s.provider.known.add(session.name, 'streams', [stream]);
  void s.provider.known.save(session.name);
  s.provider.refresh();
  const parts = [`Imported ${plural(r.imported, 'message')} from ${name} into "${stream}" (${mode === 'keep' ? 'original ids' : 'new ids'})`];
  if (r.skipped) parts.push(`${formatCount(r.skipped)} skipped, already there`);
  if (r.notWritten) parts.push(`${formatCount(r.notWritten)} not written (id not above the stream's last and not held with the same pairs; lines ${r.notWrittenLines.slice(0, 10).map((n) => n.line).join(', ')}${r.notWritten > 10 ? ', …' : ''})`);
  if (r.aborted) parts.push(`cancelled after line ${r.lastLine}${mode === 'keep' ? ': importing the file again skips what is there' : `: to go on, import again from line ${r.lastLine + 1}`}`);
  s.ui.info(`${parts.join('; ')}.`);
  return { ...r, file, stream, counted };
}

