import * as vscode from 'vscode';
import { LiveTail, decodeName, decodeValue, entryBytes, parseId, toQueueError, type StreamEntry } from '../../core/internal';
import type { Journey } from '../journey/journeyPanel';
import type { HandlerCommandResult } from '../commands/handler';
import type { Session } from '../connections/session';
import type { ConnectionStore } from '../connections/connectionStore';
import { FROM_VIEW_TYPES, type FromView, type RowAction, type TailRow, type ToView } from './protocol';
import { openStreamEntry, streamEntryJson } from './rowActions';
import { webviewPage } from '../webviewPage';

export type { TailRow } from './protocol';

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
    fields.push([decodeName(raw[i]!), text]);
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
  /** Of `rendered`, the rows the view's filter lets through (as the webview reports; all without a filter). */
  shown?: number;
  /** The filter typed in the view, lower-cased ('' for none), as the webview last reported it. */
  filter?: string;
  lastId?: string;
  /** Entries per second arriving on the stream (shown or not). */
  rate: number;
  /** Entries not shown because the view could not keep up (it shows the newest). */
  skipped: number;
  /** False when `skipped` is a lower bound (Redis < 7, or a start at an id other than `$`/`0`). */
  skippedExact: boolean;
  /** The panel was closed (its connection too). */
  closed: boolean;
  /**
   * Why the tail stopped reading while its view stays open: its connection was removed or changed
   * ("the connection "x" no longer exists"). Its own connection is closed then.
   */
  stopped?: string;
  error?: string;
}

/** What a row action did: the document it opened or the text it copied; undefined when it did nothing. */
export type RowActionResult = vscode.TextDocument | string | Journey | HandlerCommandResult | undefined;

/**
 * A live view of one stream on its own blocking connection (core LiveTail). It reads only when
 * the webview has rendered what it was sent (and at most every POST_INTERVAL_MS), and then the
 * newest entries (at most PER_POST), so a fast stream costs the extension host what the view can
 * show, not what is published: the view skips ahead and says how many it did not show. Nothing
 * is read while the view is paused. A bounded number of rows in the view, an arrival rate per
 * second. Closing the panel ends the connection; so does removing or changing the connection it
 * was opened on (the view then says it stopped and keeps its rows).
 *
 * Rows can be opened, copied and copied as JSON. The panel keeps nothing of an entry for that: an
 * entry document reads it when shown, and Copy as JSON reads it by id (XRANGE id id), so the
 * memory bounds stay those of the rows in the view.
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
  /** The last filter set through setFilter (sent again when the view's script starts). */
  private filter: string | undefined;
  /** The connection's settings when the tail opened (JSON): any edit stops the tail, as it replaces the session. */
  private readonly entry: string;

  private constructor(
    readonly panel: vscode.WebviewPanel,
    readonly session: Session,
    readonly stream: string,
    tail: LiveTail,
    private readonly store: ConnectionStore,
    /** The connection options the tail was opened with (JSON, secrets included: compared, never shown). */
    private readonly resolved: string,
  ) {
    this.entry = JSON.stringify(session.entry);
    this.tail = tail;
    // Before the first read: the stream's last entry tells what its entries weigh.
    if (tail.sizeHint) this.perRead = perRead(tail.sizeHint);
    TailPanel.open.add(this);
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => void this.handle(m)),
      // A removed or edited connection (settings, secrets, a stopped sandbox) ends the tail's connection.
      store.onDidChange(() => void this.checkConnection()),
    );
    this.timer = setInterval(() => void this.tick(), 1000);
    void this.checkConnection();
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
    return new TailPanel(panel, session, stream, tail, store, JSON.stringify(options));
  }

  /**
   * Handles one message from the view. The webview's messages come here, and callers (tests) may
   * send the same ones: `{type: 'open' | 'copyId' | 'copyJson', id}` act on a row and resolve to
   * what they did (the document opened, the text copied), or undefined when they did nothing, the
   * view then saying why. Anything that is not a message of the protocol is ignored.
   */
  async handle(message: unknown): Promise<RowActionResult> {
    const m = message as FromView | null;
    if (!m || typeof m !== 'object' || typeof m.type !== 'string' || !FROM_VIEW_TYPES.has(m.type)) return undefined;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        // A filter set before the script ran would have been lost.
        if (this.filter !== undefined) this.post({ type: 'filter', text: this.filter });
        break;
      case 'pause':
        this.paused = m.paused === true;
        break;
      case 'rendered':
        this.inFlight = false;
        this.stats.rendered = num(m.rows);
        this.stats.shown = m.shown === undefined ? this.stats.rendered : num(m.shown);
        this.stats.renderedLastId = m.lastId;
        break;
      case 'count':
        this.stats.rendered = num(m.rows);
        this.stats.shown = num(m.shown);
        this.stats.filter = typeof m.filter === 'string' ? m.filter : '';
        return undefined;
      default:
        return this.act(m.type, m.id);
    }
    if (this.ready && !this.inFlight && !this.paused) this.wakeUp();
    return undefined;
  }

  /** Sets the view's filter as if typed (case-insensitive field text); the view reports its counts in `stats`. */
  setFilter(text: string): void {
    this.filter = text;
    if (this.ready) this.post({ type: 'filter', text });
  }

  /** Open (the entry document), Copy id, Copy as JSON (read by id now: lossless, never cut), Show Journey, or Run / Debug Handler. */
  private async act(action: RowAction, id: unknown): Promise<RowActionResult> {
    if (typeof id !== 'string' || !isId(id)) return undefined;
    try {
      if (action === 'copyId') {
        await vscode.env.clipboard.writeText(id);
        this.notice(`Copied ${id}.`);
        return id;
      }
      // Reading the entry needs the connection the tail was opened on, as it was.
      if (this.stats.stopped) {
        this.notice(`${id} cannot be read: ${this.stats.stopped}.`, true);
        return undefined;
      }
      if (action === 'open') return await openStreamEntry({ connection: this.session.name, stream: this.stream, id });
      if (action === 'journey') return await vscode.commands.executeCommand<Journey | undefined>('redisQueues.journey', undefined, { connection: this.session.name, stream: this.stream, id });
      // The workspace's handler on this message: a dry run (a tail row is not a pending entry).
      if (action === 'runHandler' || action === 'debugHandler') return await vscode.commands.executeCommand<HandlerCommandResult | undefined>(action === 'runHandler' ? 'redisQueues.handler.run' : 'redisQueues.handler.debug', undefined, undefined, { connection: this.session.name, stream: this.stream, id });
      const json = await streamEntryJson(this.session, this.stream, id);
      if (json === undefined) {
        this.notice(`${id} is no longer in the stream (deleted or trimmed): nothing copied.`, true);
        return undefined;
      }
      await vscode.env.clipboard.writeText(json);
      this.notice(`Copied ${id} as JSON.`);
      return json;
    } catch (e) {
      this.notice(`${action === 'open' ? 'Opening' : action === 'journey' ? 'The journey of' : action === 'runHandler' || action === 'debugHandler' ? 'Running the handler on' : 'Copying'} ${id} failed: ${toQueueError(e).message}`, true);
      return undefined;
    }
  }

  private notice(text: string, error = false): void {
    this.post({ type: 'notice', text, ...(error ? { error } : {}) });
  }

  private post(m: ToView): void {
    if (this.stats.closed) return;
    void this.panel.webview.postMessage(m);
  }

  /** Closed, or stopped because its connection went: nothing more is read. */
  private get done(): boolean {
    return this.stats.closed || this.stats.stopped !== undefined;
  }

  /** Stops reading when the connection the tail was opened on is removed, or its settings or secrets change. */
  private async checkConnection(): Promise<void> {
    if (this.done) return;
    const name = this.session.name;
    const entry = this.store.get(name);
    let cause: string | undefined;
    if (!entry) cause = `the connection "${name}" no longer exists`;
    else if (JSON.stringify(entry) !== this.entry) cause = `the connection "${name}" was changed`;
    else {
      // Same settings: a password (or other secret) changed in SecretStorage counts as an edit too.
      const now = await this.store.resolve(entry).then(JSON.stringify, () => '');
      if (now !== this.resolved) cause = `the connection "${name}" was changed`;
    }
    if (cause) this.stop(cause);
  }

  /** Ends the tail's connection and says so in the view, which keeps its rows (until closed). */
  private stop(cause: string): void {
    if (this.done) return;
    this.stats.stopped = cause;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.tail.close();
    this.wakeUp();
    this.panel.title = `Tail: ${this.stream} (stopped)`;
    this.post({ type: 'stopped', message: `Stopped: ${cause}. The tail's own connection to Redis is closed; its rows stay. Open a new tail to follow the stream again.` });
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Until the view can take a batch: it runs, is not paused, and rendered the last one (or 5 s went by). */
  private async viewFree(): Promise<void> {
    while (!this.done && (!this.ready || this.inFlight || this.paused)) {
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
        if (this.done) return;
        const r = await this.tail.read(this.perRead);
        if (!r || this.done) return;
        this.sized(r.entries);
        this.stats.received = this.tail.returned;
        this.stats.skipped = this.tail.skipped;
        this.stats.skippedExact = this.tail.skippedExact;
        this.stats.lastId = r.entries[r.entries.length - 1]?.id ?? this.stats.lastId;
        this.inFlight = true;
        this.lastPost = Date.now();
        this.post({ type: 'rows', rows: r.entries.map(toRow), ...this.status() });
      }
    } catch (e) {
      if (this.done) return;
      this.stats.error = toQueueError(e).message;
      this.post({ type: 'error', message: this.stats.error });
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
    if (this.done) return;
    const now = Date.now();
    const arrived = this.arrived();
    this.stats.rate = Math.max(0, arrived - this.rateFrom.arrived) / ((now - this.rateFrom.at) / 1000);
    this.rateFrom = { at: now, arrived };
    if (this.ready) this.post({ type: 'rate', ...this.status() });
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

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** A full entry id (`<ms>-<seq>`), as rows have. */
function isId(id: string): boolean {
  try {
    parseId(id, { allowMsOnly: false });
    return id === id.trim();
  } catch {
    return false;
  }
}

function html(webview: vscode.Webview, media: vscode.Uri, stream: string, connection: string, from: string, maxRows: number): string {
  // No inline script: configuration travels in data- attributes, read by tail.js.
  return webviewPage(webview, media, {
    name: 'tail',
    title: 'Tail',
    data: { stream, connection, from, 'max-rows': maxRows },
    body: `<div class="top">
<header>
  <span class="title" id="title"></span>
  <span class="spacer"></span>
  <input id="filter" type="search" placeholder="Filter by field text" aria-label="Filter by field text">
  <button id="pause" title="Pause the view (messages keep arriving, up to the row limit)">Pause</button>
  <button id="clear" title="Clear the rows shown">Clear</button>
</header>
<div class="status"><span id="rate">0.0 msg/s</span> · <span id="count">0 rows</span> · <span id="state">following</span><span id="notice" class="notice" role="status" aria-live="polite"></span></div>
<div class="error" id="error" hidden></div>
<div class="row head" id="colhead" role="row"><span class="id" role="columnheader" title="Click an id to open the entry; right-click a row to copy it">ID</span><span class="time" role="columnheader" title="Local time of the id's milliseconds; hover a time for UTC">Time (local)</span><span class="fields" role="columnheader">Fields</span></div>
</div>
<div class="table" role="table" aria-label="Stream entries, newest first" aria-owns="colhead rows">
<div id="rows" role="rowgroup"></div>
</div>
<div id="menu" class="menu" role="menu" aria-label="Entry" hidden>
  <button type="button" role="menuitem" data-action="open">Open Entry</button>
  <button type="button" role="menuitem" data-action="copyId">Copy ID</button>
  <button type="button" role="menuitem" data-action="copyJson">Copy as JSON</button>
  <button type="button" role="menuitem" data-action="journey">Show Journey</button>
  <button type="button" role="menuitem" data-action="debugHandler">Debug Handler on This Message</button>
  <button type="button" role="menuitem" data-action="runHandler">Run Handler on This Message</button>
</div>`,
  });
}
