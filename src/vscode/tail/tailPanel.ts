import * as vscode from 'vscode';
import { LiveTail, decodeValue, entryBytes, toQueueError, toText, type StreamEntry } from '../../core';
import type { Session } from '../connections/session';
import type { ConnectionStore } from '../connections/connectionStore';

/**
 * A row as the webview gets it: text only (the webview renders with textContent). The time column
 * comes from the id's ms part, which the webview formats itself.
 */
export interface TailRow {
  id: string;
  fields: [string, string][];
}

const MAX_VALUE = 2000;
const MAX_FIELDS = 50;
/**
 * The view is refreshed at most every POST_INTERVAL_MS, with at most PER_POST rows (the newest):
 * up to 1,250 rows a second, more than anyone reads, while a fast stream can neither keep the
 * editor's UI thread busy nor make the extension host decode more than that (BENCHMARKS.md: tail view).
 */
const PER_POST = 250;
const POST_INTERVAL_MS = 200;
/**
 * Bytes of entries one read may bring, roughly: the count per read follows the stream's last entry
 * when the tail opens, then the largest entry of each read, so a stream of 1 MiB entries is read
 * (and shown) 4 at a time, not 250, the rest counted as not shown.
 */
const READ_BYTES = 4 * 2 ** 20;

/** Entries per read for entries of this size (READ_BYTES a read, 1 to PER_POST). */
function perRead(entryBytes: number): number {
  return Math.max(1, Math.min(PER_POST, Math.floor(READ_BYTES / entryBytes)));
}



export function toRow(e: StreamEntry): TailRow {
  const fields: [string, string][] = [];
  const raw = e.raw ?? [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (i / 2 >= MAX_FIELDS) {
      fields.push(['…', `${raw.length / 2 - MAX_FIELDS} more fields`]);
      break;
    }
    const v = decodeValue(raw[i + 1]);
    const text = typeof v === 'string' ? (v.length > MAX_VALUE ? `${v.slice(0, MAX_VALUE)}… (${v.length} chars)` : v) : `0x${v.subarray(0, MAX_VALUE / 2).toString('hex')}${v.length > MAX_VALUE / 2 ? '…' : ''} (${v.length} bytes)`;
    fields.push([toText(raw[i]!), text]);
  }
  return { id: e.id, fields };
}

export interface TailStats {
  /** Entries read from Redis (what the view was given). */
  received: number;
  /** Entries in the largest read so far (bounded by PER_POST and by the entry size, READ_BYTES). */
  largestRead: number;
  /** Rows the webview reports as rendered (its buffer size) and the last id it shows. */
  rendered: number;
  renderedLastId?: string;
  lastId?: string;
  /** Entries per second arriving on the stream (shown or not). */
  rate: number;
  /** Entries not shown because the view could not keep up (it shows the newest). */
  skipped: number;
  /** False when `skipped` is a lower bound (Redis < 7, or a start at an id other than `$`/`0`). */
  skippedExact: boolean;
  closed: boolean;
  error?: string;
}

/**
 * A live view of one stream on its own blocking connection (core LiveTail). It reads only when
 * the webview has rendered what it was sent (and at most every POST_INTERVAL_MS), and then the
 * newest entries (at most PER_POST), so a fast stream costs the extension host what the view can
 * show, not what is published: the view skips ahead and says how many it did not show. Nothing
 * is read while the view is paused. A bounded number of rows in the view, an arrival rate per
 * second. Closing the panel ends the connection.
 */
export class TailPanel implements vscode.Disposable {
  static readonly open = new Set<TailPanel>();
  readonly stats: TailStats = { received: 0, largestRead: 0, rendered: 0, rate: 0, skipped: 0, skippedExact: true, closed: false };
  private readonly tail: LiveTail;
  private timer?: NodeJS.Timeout;
  private rateFrom = { at: Date.now(), arrived: 0 };
  private readonly disposables: vscode.Disposable[] = [];
  /** Messages posted before the webview's script runs are lost: nothing is read until it says it runs. */
  private ready = false;
  /**
   * Flow control: one batch in flight until the webview reports it rendered (re-sent after 5 s in
   * case a report was lost). Without it a fast stream queues batches on their way to the webview.
   */
  private inFlight = false;
  private lastPost = 0;
  /** Entries per read: PER_POST, fewer for big entries (see READ_BYTES). */
  private perRead = PER_POST;
  /** Paused in the view: nothing is read until Resume (then the newest, counting what was passed over). */
  private paused = false;
  /** While paused: entries arrived and not read yet (LiveTail.backlog, once a second). */
  private backlog = 0;
  private wake: (() => void) | undefined;

  private constructor(
    readonly panel: vscode.WebviewPanel,
    readonly session: Session,
    readonly stream: string,
    tail: LiveTail,
  ) {
    this.tail = tail;
    // Before the first read: the stream's last entry tells what its entries weigh.
    if (tail.sizeHint) this.perRead = perRead(tail.sizeHint);
    TailPanel.open.add(this);
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: { type: string; rows?: number; lastId?: string; paused?: boolean }) => {
        if (m.type === 'ready') this.ready = true;
        if (m.type === 'pause') this.paused = m.paused === true;
        if (m.type === 'rendered') {
          this.inFlight = false;
          this.stats.rendered = m.rows ?? 0;
          this.stats.renderedLastId = m.lastId;
        }
        if (this.ready && !this.inFlight && !this.paused) this.wakeUp();
      }),
    );
    this.timer = setInterval(() => void this.tick(), 1000);
    void this.pump();
  }

  static async create(extensionUri: vscode.Uri, store: ConnectionStore, session: Session, stream: string, from: string, maxRows: number): Promise<TailPanel> {
    const options = await store.resolve(session.entry);
    const tail = new LiveTail({ connection: options, stream, from });
    // "From now" means from when the command ran: resolve `$` to a concrete id before returning.
    await tail.start();
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel('redisQueues.tail', `Tail: ${stream}`, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, {
      enableScripts: true,
      localResourceRoots: [media],
      retainContextWhenHidden: true,
    });
    panel.webview.html = html(panel.webview, media, stream, session.name, from, maxRows);
    return new TailPanel(panel, session, stream, tail);
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Until the view can take a batch: it runs, is not paused, and rendered the last one (or 5 s went by). */
  private async viewFree(): Promise<void> {
    while (!this.stats.closed && (!this.ready || this.inFlight || this.paused)) {
      const lost = this.inFlight ? setTimeout(() => ((this.inFlight = false), this.wakeUp()), 5000) : undefined;
      await new Promise<void>((r) => (this.wake = r));
      clearTimeout(lost);
    }
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        await this.viewFree();
        const early = this.lastPost + POST_INTERVAL_MS - Date.now();
        if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
        if (this.stats.closed) return;
        const r = await this.tail.read(this.perRead);
        if (!r || this.stats.closed) return;
        this.sized(r.entries);
        this.stats.received = this.tail.returned;
        this.stats.skipped = this.tail.skipped;
        this.stats.skippedExact = this.tail.skippedExact;
        this.stats.lastId = r.entries[r.entries.length - 1]?.id ?? this.stats.lastId;
        this.inFlight = true;
        this.lastPost = Date.now();
        void this.panel.webview.postMessage({ type: 'rows', rows: r.entries.map(toRow), ...this.status() });
      }
    } catch (e) {
      this.stats.error = toQueueError(e).message;
      void this.panel.webview.postMessage({ type: 'error', message: this.stats.error });
    }
  }

  /** Adapts the count per read to the largest entry of this read (a burst of big entries shrinks it at once). */
  private sized(entries: StreamEntry[]): void {
    if (entries.length > this.stats.largestRead) this.stats.largestRead = entries.length;
    let largest = 0;
    for (const e of entries) largest = Math.max(largest, entryBytes(e));
    if (largest > 0) this.perRead = perRead(largest);
  }

  /** Entries that arrived since the start: read, passed over, or (while paused) not read yet. */
  private arrived(): number {
    return this.tail.arrived + (this.paused ? this.backlog : 0);
  }

  private status() {
    return { rate: this.stats.rate, received: this.arrived(), skipped: this.tail.skipped, skippedExact: this.tail.skippedExact };
  }

  /** Once a second: the arrival rate (entries read or passed over, or waiting while paused), to the view. */
  private async tick(): Promise<void> {
    if (this.paused) this.backlog = (await this.tail.backlog()) ?? this.backlog;
    else this.backlog = 0;
    if (this.stats.closed) return;
    const now = Date.now();
    const arrived = this.arrived();
    this.stats.rate = Math.max(0, arrived - this.rateFrom.arrived) / ((now - this.rateFrom.at) / 1000);
    this.rateFrom = { at: now, arrived };
    if (this.ready) void this.panel.webview.postMessage({ type: 'rate', ...this.status() });
  }

  dispose(): void {
    if (this.stats.closed) return;
    this.stats.closed = true;
    TailPanel.open.delete(this);
    if (this.timer) clearInterval(this.timer);
    this.tail.close();
    this.wakeUp();
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}

function html(webview: vscode.Webview, media: vscode.Uri, stream: string, connection: string, from: string, maxRows: number): string {
  const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'tail.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'tail.css'));
  const csp = `default-src 'none'; img-src ${webview.cspSource}; style-src ${webview.cspSource}; script-src ${webview.cspSource}; font-src ${webview.cspSource};`;
  const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  // No inline script: configuration travels in data- attributes, read by tail.js.
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>Tail</title>
</head>
<body data-stream="${attr(stream)}" data-connection="${attr(connection)}" data-from="${attr(from)}" data-max-rows="${maxRows}">
<header>
  <span class="title" id="title"></span>
  <span class="spacer"></span>
  <input id="filter" type="search" placeholder="Filter by field text" aria-label="Filter by field text">
  <button id="pause" title="Pause the view (messages keep arriving, up to the row limit)">Pause</button>
  <button id="clear" title="Clear the rows shown">Clear</button>
</header>
<div class="status"><span id="rate">0.0 msg/s</span> · <span id="count">0 rows</span> · <span id="state">following</span></div>
<div class="error" id="error" hidden></div>
<div class="table" role="table" aria-label="Stream entries, newest first">
<div class="row head" role="row"><span class="id" role="columnheader">ID</span><span class="time" role="columnheader">Time (UTC)</span><span class="fields" role="columnheader">Fields</span></div>
<div id="rows" role="rowgroup"></div>
</div>
<script src="${script}"></script>
</body>
</html>`;
}
