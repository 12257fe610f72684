/**
 * The messages between the tail view's script (media/tail.js, plain JavaScript) and TailPanel.
 * Everything is text; the webview renders it with textContent only.
 */

/** A row as the webview gets it. The time column comes from the id's ms part, formatted by the webview. */
export interface TailRow {
  id: string;
  fields: [string, string][];
}

/** What the status line carries with every batch and once a second. */
export interface TailStatus {
  rate: number;
  received: number;
  skipped: number;
  skippedExact: boolean;
}

/** Extension → webview. */
export type ToView =
  | ({ type: 'rows'; rows: TailRow[] } & TailStatus)
  | ({ type: 'rate' } & TailStatus)
  /** Reading failed for good (the stream's key holds another type, …): the rows stay, nothing more comes. */
  | { type: 'error'; message: string }
  /** The tail stopped reading because its connection was removed or changed: the rows stay. */
  | { type: 'stopped'; message: string }
  /** The outcome of a row action, shown briefly in the status line. */
  | { type: 'notice'; text: string; error?: boolean }
  /** Sets the filter as if typed (an API for callers and tests; the view reports a `count`). */
  | { type: 'filter'; text: string };

/** The actions on one row (context menu, or a click on its id for `open`). */
export type RowAction = 'open' | 'copyId' | 'copyJson' | 'journey' | 'runHandler' | 'debugHandler';

/** Webview → extension. */
export type FromView =
  /** The script runs: messages sent before it are lost, so nothing is read until then. */
  | { type: 'ready' }
  | { type: 'pause'; paused: boolean }
  /**
   * A batch is in the DOM (flow control: the next one may come), or the rows were cleared.
   * `rows` is how many rows the view keeps, `shown` how many of them the filter lets through.
   */
  | { type: 'rendered'; rows: number; shown?: number; lastId?: string; at?: number; added?: number; firstId?: string }
  /** The rows kept or shown changed without a batch (a filter was typed): not flow control. */
  | { type: 'count'; rows: number; shown: number; filter: string }
  | { type: RowAction; id: string };

/** Every message type the view may send (anything else is ignored). */
export const FROM_VIEW_TYPES: ReadonlySet<string> = new Set<FromView['type']>(['ready', 'pause', 'rendered', 'count', 'open', 'copyId', 'copyJson', 'journey', 'runHandler', 'debugHandler']);
