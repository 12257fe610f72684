// The explorer's message rows: a pending entry (under a consumer, or a search's results) and a
// stream entry (under a stream's Entries folder, a search's results or a journey), with what they
// need of the row holding them (EntryHost, PendingHost), and the tree-item helpers the stream rows
// of explorerNodes.ts share with them (item, None, warn, bad). The folders and the stream, group
// and consumer rows above them are explorerNodes.ts.
import * as vscode from 'vscode';
import { type PendingEntry, type StreamEntry, formatDuration, idTime, isPoison, oneLine, previewRaw, splitDeadLetter } from '../../core/internal';
import type { Session } from '../connections/session';
import type { Settings } from '../settings';
import { MARK } from './health';
import { type Node, childId } from './node';
import { idLabel, localTime, timeTip } from '../times';

/**
 * Where an entry row lives: an Entries folder, or anything else that lists entries of one stream
 * (a search's results). The entry commands read `session` and `stream` from the row, never its
 * parent's class.
 */
export interface EntryHost extends Node {
  readonly session: Session;
  /** The stream the entries below are in. */
  readonly streamKey: string;
  /** Whether that stream is a dead-letter stream (its records are drawn as such). */
  readonly dlq: boolean;
}

/** Where a pending-entry row lives: a consumer, or a search's results. */
export interface PendingHost extends Node {
  readonly session: Session;
  /** The stream and group of the pending entries below. */
  readonly pendingOf: { stream: string; group: string };
  settings(): Settings;
}

export function item(node: Node, label: string, state: vscode.TreeItemCollapsibleState, icon: string | vscode.ThemeIcon, contextValue: string): vscode.TreeItem {
  const t = new vscode.TreeItem(label, state);
  t.id = node.id;
  t.iconPath = typeof icon === 'string' ? new vscode.ThemeIcon(icon) : icon;
  t.contextValue = contextValue;
  return t;
}

export const None = vscode.TreeItemCollapsibleState.None;
export const warn = (icon: string) => new vscode.ThemeIcon(icon, new vscode.ThemeColor('problemsWarningIcon.foreground'));
export const bad = (icon: string) => new vscode.ThemeIcon(icon, new vscode.ThemeColor('errorForeground'));

export class PendingEntryNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: PendingHost,
    readonly entry: PendingEntry,
    /** The message (null: deleted or trimmed; undefined: not read). */
    readonly body?: StreamEntry | null,
  ) {
    this.id = childId(parent, entry.id);
  }
  get session(): Session {
    return this.parent.session;
  }
  get stream(): string {
    return this.parent.pendingOf.stream;
  }
  get group(): string {
    return this.parent.pendingOf.group;
  }
  /** Pairs the row's preview shows first (a search hit: what it was found by). */
  protected leadPairs(): number[] {
    return [];
  }
  item(): vscode.TreeItem {
    const e = this.entry;
    const poison = isPoison(e, this.parent.settings().thresholds);
    // The deepest row, in a side bar about 290 px wide: the label is the id's time (readable, and
    // short), the description leads with what tells its health (POISON, deliveries "7×", idle),
    // then the message; the id itself ends the row (the tooltip and Copy ID have it too).
    const t = item(this, idLabel(e.id), None, poison ? bad('flame') : 'mail', `pendingEntry${poison ? ';poison' : ''}`);
    const age = idTime(e.id);
    const preview = this.body === undefined ? '' : ` · ${previewRaw(this.body?.raw ?? null, 80, this.leadPairs())}`;
    t.description = `${poison ? `${MARK} POISON · ` : ''}${e.deliveries}× · idle ${formatDuration(e.idle)}${preview} · ${e.id}`;
    t.tooltip = [
      `Pending entry ${e.id}`,
      `consumer: ${oneLine(e.consumer)}`,
      `idle: ${formatDuration(e.idle)}`,
      `deliveries: ${e.deliveries}`,
      Number.isNaN(age) ? '' : `created: ${timeTip(age)}`,
      poison ? `POISON: delivered ${e.deliveries} times (threshold ${this.parent.settings().thresholds.poisonDeliveries})` : '',
      this.body === undefined ? '' : `\n${previewRaw(this.body?.raw ?? null, 400)}`,
    ].filter(Boolean).join('\n');
    t.command = { command: 'redisQueues.entry.open', title: 'Open Entry', arguments: [this] };
    return t;
  }
}

export class EntryNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: EntryHost,
    readonly entry: StreamEntry,
  ) {
    this.id = childId(parent, entry.id);
  }
  get session(): Session {
    return this.parent.session;
  }
  get stream(): string {
    return this.parent.streamKey;
  }
  /** Pairs the row's preview shows first (a search hit: what it was found by). */
  protected leadPairs(): number[] {
    return [];
  }
  item(): vscode.TreeItem {
    const dlq = this.parent.dlq;
    // The label is the id's time (see the pending row); the id ends the description.
    const t = item(this, idLabel(this.entry.id), None, 'mail-read', `streamEntry${dlq ? ';dlq' : ''}`);
    if (dlq && this.deadLetter(t)) return t;
    t.description = `${previewRaw(this.entry.raw, 80, this.leadPairs())} · ${this.entry.id}`;
    const age = idTime(this.entry.id);
    t.tooltip = `${this.entry.id}${Number.isNaN(age) ? '' : `\nadded: ${timeTip(age)}`}\n${previewRaw(this.entry.raw, 400)}`;
    t.command = { command: 'redisQueues.entry.open', title: 'Open Entry', arguments: [this] };
    return t;
  }
  /**
   * A dead-letter record (x-dlq header, or the older appended x-dlq-* fields) leads with why and
   * where from: "<error> · from <origin> (<id>) · 5× · <local time>". False when it is not one.
   */
  private deadLetter(t: vscode.TreeItem): boolean {
    const d = splitDeadLetter(this.entry);
    if (d.origin === undefined && d.error === undefined && d.at === undefined) return false;
    const at = d.at !== undefined && Number.isFinite(d.at) ? d.at : undefined;
    const error = d.error !== undefined && d.error !== '' ? oneLine(d.error) : 'no error recorded';
    t.iconPath = warn('mail-read');
    t.description = [
      error.length > 120 ? `${error.slice(0, 119)}…` : error,
      d.origin !== undefined ? `from ${oneLine(d.origin)}${d.originalId ? ` (${d.originalId})` : ''}` : '',
      d.deliveries !== undefined && Number.isFinite(d.deliveries) ? `${d.deliveries}×` : '',
      at !== undefined ? `dead-lettered ${localTime(at)}` : '',
      this.entry.id,
    ].filter(Boolean).join(' · ');
    t.tooltip = [
      `Dead letter ${this.entry.id} in ${oneLine(this.stream)}`,
      `error: ${error}`,
      d.origin !== undefined ? `from: stream ${oneLine(d.origin)}${d.group ? `, group ${oneLine(d.group)}` : ''}${d.consumer ? `, consumer ${oneLine(d.consumer)}` : ''}` : '',
      d.originalId ? `original id: ${d.originalId}` : '',
      d.deliveries !== undefined ? `deliveries before dead-lettering: ${d.deliveries}` : '',
      at !== undefined ? `dead-lettered: ${timeTip(at)}` : '',
      d.replayCount ? `replayed before: ${d.replayCount}×${d.replayOf ? ` (last as ${d.replayOf})` : ''}` : '',
    ]
      .filter(Boolean)
      .join('\n')
      .concat(`\n\n${d.hasBody ? `message: ${previewRaw(d.body, 400)}` : 'message: none (the entry was gone when it was dead-lettered)'}`);
    t.command = { command: 'redisQueues.entry.open', title: 'Open Entry', arguments: [this] };
    return true;
  }
}
