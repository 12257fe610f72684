/** Writing entries as NDJSON with backpressure. */
import { type StreamEntry } from '../redis/replies';
import { exportHeaderLine, exportLine } from './format';


/** What an export has written so far. */
export interface ExportProgress {
  /** Messages written. */
  written: number;
  /** Bytes written (UTF-8), header included. */
  bytes: number;
}

export interface ExportResult extends ExportProgress {
  /** Entries of the source without a message (deleted, still named by a pending list): not written. */
  skipped: number;
  /** `signal` stopped the export before the source ended (everything counted was written). */
  aborted: boolean;
}

export interface ExportOptions {
  /** Stops after the message being written (the result says `aborted`). */
  signal?: AbortSignal;
  /** Called as data is handed to `out` (about every 64 KB) and once at the end. */
  onProgress?(p: ExportProgress): void;
  /** Writes a header line first (see the module comment): the stream and what was exported. */
  header?: { stream: string; query?: unknown; exportedAt?: Date };
}

/** Bytes gathered before one write to the output. */
const WRITE_CHUNK = 64 * 1024;

/**
 * Writes messages as NDJSON lines to `out`, in the order the source gives them, honouring `out`'s
 * backpressure (waits for `drain`): memory stays flat whatever the size, as long as the source
 * pages (as {@link rangeEntries} does). Entries without a message (`raw: null`) are counted as
 * skipped. Does not end `out`. If the source or `out` fails, the lines gathered so far are handed
 * to `out` first (when it still takes them), then the error is thrown.
 */
export async function exportEntries(
  source: AsyncIterable<StreamEntry> | Iterable<StreamEntry>,
  out: NodeJS.WritableStream,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const { signal, onProgress, header } = options;
  let written = 0;
  let bytes = 0;
  let skipped = 0;
  let aborted = false;
  let parts: string[] = [];
  let pending = 0;
  let outError: unknown;
  const onError = (e: unknown) => (outError ??= e);
  out.on('error', onError);

  const flush = async () => {
    if (outError) throw outError;
    if (!parts.length) return;
    const chunk = Buffer.from(parts.join(''), 'utf8');
    parts = [];
    pending = 0;
    bytes += chunk.length;
    if (!out.write(chunk)) await drained(out, () => outError);
    if (outError) throw outError;
    onProgress?.({ written, bytes });
  };

  try {
    if (header) {
      parts.push(`${exportHeaderLine(header)}\n`);
      pending += parts[0]!.length;
    }
    for await (const e of source as AsyncIterable<StreamEntry>) {
      if (signal?.aborted) {
        aborted = true;
        break;
      }
      if (!e.raw) {
        skipped++;
        continue;
      }
      const line = `${exportLine({ id: e.id, raw: e.raw })}\n`;
      parts.push(line);
      pending += line.length;
      written++;
      if (pending >= WRITE_CHUNK) await flush();
    }
    if (signal?.aborted) aborted = true;
    await flush();
    onProgress?.({ written, bytes });
    return { written, bytes, skipped, aborted };
  } catch (e) {
    // Keep what was gathered: the file then holds every line counted before the failure.
    if (!outError && parts.length) {
      try {
        await flush();
      } catch {
        /* the first error is the one to report */
      }
    }
    throw e;
  } finally {
    out.off('error', onError);
  }
}

/** Resolves when `out` drains; rejects when it fails or closes first. */
function drained(out: NodeJS.WritableStream, failed: () => unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (e?: unknown) => {
      out.off('drain', onDrain);
      out.off('error', onErr);
      out.off('close', onClose);
      if (e) reject(e);
      else resolve();
    };
    const onDrain = () => done();
    const onErr = (e: unknown) => done(e);
    const onClose = () => done(failed() ?? new Error('The output was closed before the export ended'));
    out.on('drain', onDrain);
    out.on('error', onErr);
    out.on('close', onClose);
  });
}
