import * as vscode from 'vscode';
import { StreamTail, idTime, toQueueError, type StreamEntry } from '../../core';
import type { Session } from '../connections/session';
import type { ConnectionStore } from '../connections/connectionStore';

/** A row as the webview gets it: text only (the webview renders with textContent). */
export interface TailRow {
  id: string;
  time: string;
  fields: [string, string][];
}

const MAX_VALUE = 2000;
const MAX_FIELDS = 50;
/** Rows per batch sent to the view (the newest); ~0.5 s of rendering in a busy webview. */
const PER_POST = 500;

export function toRow(e: StreamEntry): TailRow {
  const t = idTime(e.id);
  const fields: [string, string][] = [];
  for (const [k, v] of Object.entries(e.fields ?? {})) {
    if (fields.length >= MAX_FIELDS) {
      fields.push(['…', `${Object.keys(e.fields ?? {}).length - MAX_FIELDS} more fields`]);
      break;
    }
    const text = Buffer.isBuffer(v) ? `0x${v.subarray(0, MAX_VALUE / 2).toString('hex')}${v.length > MAX_VALUE / 2 ? '…' : ''} (${v.length} bytes)` : v.length > MAX_VALUE ? `${v.slice(0, MAX_VALUE)}… (${v.length} chars)` : v;
    fields.push([k, text]);
  }
  return { id: e.id, time: Number.isNaN(t) ? '' : new Date(t).toISOString().slice(11, 23), fields };
}

export interface TailStats {
  received: number;
  /** Rows the webview reports as rendered (its buffer size) and the last id it shows. */
  rendered: number;
  renderedLastId?: string;
  lastId?: string;
  rate: number;
  /** Entries not shown because the view could not keep up (it shows the newest). */
  skipped: number;
  closed: boolean;
  error?: string;
}

/**
 * A live view of one stream: its own blocking connection (core StreamTail, dropping the oldest
 * entries when the view cannot keep up), batches posted every 100 ms, a bounded number of rows in
 * the view, a messages-per-second rate. Closing the panel ends the connection.
 */
export class TailPanel implements vscode.Disposable {
  static readonly open = new Set<TailPanel>();
  readonly stats: TailStats = { received: 0, rendered: 0, rate: 0, skipped: 0, closed: false };
  private readonly tail: StreamTail;
  /** Entries not yet posted, newest last (converted to rows only when posted). */
  private batch: StreamEntry[] = [];
  private timer?: NodeJS.Timeout;
  private readonly perSecond: number[] = [];
  private secondStart = Date.now();
  private secondCount = 0;
  private readonly disposables: vscode.Disposable[] = [];
  /** Messages posted before the webview's script runs are lost: hold rows (bounded) until it says so. */
  private ready = false;
  /**
   * Flow control: one batch in flight until the webview reports it rendered. Without it a fast
   * stream queues batches on their way to the webview (latency and memory grow without bound);
   * with it the view shows the newest rows and counts the ones it skipped.
   */
  private inFlightSince = 0;

  private constructor(
    readonly panel: vscode.WebviewPanel,
    readonly session: Session,
    readonly stream: string,
    tail: StreamTail,
  ) {
    this.tail = tail;
    TailPanel.open.add(this);
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: { type: string; rows?: number; lastId?: string }) => {
        if (m.type === 'ready') this.ready = true;
        if (m.type === 'rendered') {
          this.inFlightSince = 0;
          this.stats.rendered = m.rows ?? 0;
          this.stats.renderedLastId = m.lastId;
        }
      }),
    );
    this.timer = setInterval(() => this.flush(), 100);
    void this.pump();
  }

  static async create(extensionUri: vscode.Uri, store: ConnectionStore, session: Session, stream: string, from: string, maxRows: number): Promise<TailPanel> {
    const options = await store.resolve(session.entry);
    // A small read buffer: the view posts at most PER_POST rows at a time and drops older ones anyway.
    const tail = new StreamTail({ connection: options, stream, from, bufferSize: 2 * PER_POST, overflow: 'dropOldest', count: PER_POST });
    // "From now" means from when the command ran: resolve `$` to a concrete id before returning.
    try {
      await tail.start();
    } catch (e) {
      tail.close();
      throw e;
    }
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel('redisQueues.tail', `Tail: ${stream}`, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, {
      enableScripts: true,
      localResourceRoots: [media],
      retainContextWhenHidden: true,
    });
    panel.webview.html = html(panel.webview, media, stream, session.name, from, maxRows);
    return new TailPanel(panel, session, stream, tail);
  }

  private async pump(): Promise<void> {
    try {
      for await (const e of this.tail) {
        this.stats.received++;
        this.stats.lastId = e.id;
        this.secondCount++;
        this.batch.push(e);
        if (this.batch.length > PER_POST) {
          this.stats.skipped += this.batch.length - PER_POST;
          this.batch.splice(0, this.batch.length - PER_POST);
        }
      }
    } catch (e) {
      this.stats.error = toQueueError(e).message;
      void this.panel.webview.postMessage({ type: 'error', message: this.stats.error });
    }
  }

  private flush(): void {
    const now = Date.now();
    if (now - this.secondStart >= 1000) {
      this.perSecond.push(this.secondCount / ((now - this.secondStart) / 1000));
      if (this.perSecond.length > 3) this.perSecond.shift();
      this.secondCount = 0;
      this.secondStart = now;
      this.stats.rate = this.perSecond[this.perSecond.length - 1] ?? 0;
    }
    if (!this.ready) return;
    // The previous batch is still being rendered (re-post after 5 s in case a reply was lost).
    if (this.inFlightSince && now - this.inFlightSince < 5000) return;
    const skipped = this.stats.skipped + this.tail.dropped;
    const entries = this.batch;
    if (!entries.length) {
      void this.panel.webview.postMessage({ type: 'rate', rate: this.stats.rate, received: this.stats.received, skipped });
      return;
    }
    this.batch = [];
    this.inFlightSince = now;
    const rows = entries.map(toRow);
    void this.panel.webview.postMessage({ type: 'rows', rows, rate: this.stats.rate, received: this.stats.received, skipped });
  }

  dispose(): void {
    if (this.stats.closed) return;
    this.stats.closed = true;
    TailPanel.open.delete(this);
    if (this.timer) clearInterval(this.timer);
    this.tail.close();
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
<table><thead><tr><th class="id">ID</th><th class="time">Time (UTC)</th><th>Fields</th></tr></thead><tbody id="rows"></tbody></table>
<script src="${script}"></script>
</body>
</html>`;
}
