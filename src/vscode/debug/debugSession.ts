import * as vscode from 'vscode';
import { close, entryToJson, formatDuration, idTime, open, toQueueError, type OpTarget, type RedisClient, type StreamEntry } from '../../core/internal';
import * as ops from '../../core/ops';
import { ackIfOwned, renewIfOwned } from '../../core/ops/ownEntry';
import { Cancelled } from '../commands/command';
import { type HandlerCommandResult, runHandlerAsHolder } from '../commands/handler';
import type { Session } from '../connections/session';
import type { Services } from '../services';
import { localAndUtc } from '../times';

/** The scheme of the one read-only document each debug consumer session shows (never an Untitled one). */
export const DEBUG_SCHEME = 'redis-queues-debug';

/**
 * How long one XREADGROUP BLOCK waits while no message comes (on the session's own connection).
 * Between two reads the session notices Next (re-read own pending); Stop closes the connection at once.
 */
const BLOCK_MS = 1000;

/**
 * While a message is shown its lease is renewed this often (XCLAIM to itself, JUSTID: idle back to
 * 0, no delivery counted), so workers that reclaim entries idle longer than their minimum (15 s in
 * the demo) leave it to you while you read it.
 */
export const LEASE_MS = 4000;

export type DebugEntry = StreamEntry & { deliveries: number };
/** Where a shown message came from: the consumer's own pending entries, or a new delivery (`>`). */
export type DebugSource = 'pending' | 'new';
/** `taken`: another consumer held it (reclaimed, acked or dead-lettered it) before you acted: nothing was done to it. */
export type DebugOutcome = 'acked' | 'left' | 'deadLettered' | 'taken';

export type DebugState =
  | { kind: 'reading'; source: DebugSource }
  | { kind: 'showing'; entry: DebugEntry; source: DebugSource; note?: string }
  | { kind: 'acting'; entry: DebugEntry; source: DebugSource; action: string }
  | { kind: 'waiting'; note?: string }
  | { kind: 'error'; message: string }
  | { kind: 'ended'; reason: string };

/** What the programmatic form (`steps`) reports, as before: one record per message acted on. */
export interface HandledStep {
  id: string;
  action: 'ack' | 'leave' | 'deadLetter' | 'next' | 'pending' | 'stop';
}

export interface DebugSummary {
  messages: number;
  acked: number;
  left: number;
  deadLettered: number;
  /** Taken by another consumer before you acted (nothing done to them). */
  taken: number;
  /** "Session ended: 3 messages (1 acked, 1 left pending, 1 dead-lettered)" (and ", 1 taken by others" when any) */
  text: string;
}

export const DEFAULT_DLQ_REASON = 'dead-lettered while debugging';
const SETTLED = new Set<DebugState['kind']>(['showing', 'waiting', 'error', 'ended']);
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * A debug consumer session: joins `group` on `stream` as `consumer` and shows one message at a
 * time in its own read-only document (scheme {@link DEBUG_SCHEME}), refreshed in place. It reads
 * the consumer's own pending entries first, then new ones, on a blocking connection of its own
 * (never the tree's). Actions come from the editor title and the status bar, so focus can move
 * anywhere: the session ends only on Stop or when its document's tab is closed, and then says so
 * in the document and in a message.
 */
export class DebugConsumerSession implements vscode.Disposable {
  state: DebugState = { kind: 'reading', source: 'pending' };
  readonly handled: HandledStep[] = [];
  /** Final outcome per message id (a message left pending and acked later counts as acked). */
  readonly outcomes = new Map<string, DebugOutcome>();
  /** Who held a `taken` message when you acted (undefined: nobody, it was acked or dead-lettered). */
  readonly takenBy = new Map<string, string | undefined>();
  private lease?: NodeJS.Timeout;
  private renewing = false;
  readonly uri: vscode.Uri;
  readonly startedAt = Date.now();
  private phase: DebugSource = 'pending';
  private cursor = '0';
  private rescan = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private inFlight?: Promise<boolean>;
  private readonly changed = new vscode.EventEmitter<DebugConsumerSession>();
  readonly onDidChange = this.changed.event;
  private readonly status: vscode.StatusBarItem;
  private endedResolve!: () => void;
  /** Resolves when the session has ended (Stop, or its document's tab closed). */
  readonly ended = new Promise<void>((r) => (this.endedResolve = r));

  constructor(
    private readonly s: Services,
    readonly session: Session,
    readonly stream: string,
    readonly group: string,
    readonly consumer: string,
    private readonly blocking: RedisClient,
    readonly n: number,
  ) {
    const name = `${consumer} · ${stream} › ${group}`.replace(/[/\\?#%]/g, '_');
    // The tab shows the path's last segment; the language (JSON with comments) is set when shown.
    this.uri = vscode.Uri.from({ scheme: DEBUG_SCHEME, path: `/Debug ${name}`, query: `session=${n}` });
    this.status = vscode.window.createStatusBarItem(`redisQueues.debug.${n}`, vscode.StatusBarAlignment.Left, 100);
    this.status.name = 'Redis Queues: debug consumer';
    this.status.command = { title: 'Debug Consumer Actions', command: 'redisQueues.debug.actions', arguments: [this.uri] };
    this.updateStatus();
    this.status.show();
  }

  /** Opens the session's blocking connection (closed when it ends). */
  static async connect(s: Services, session: Session): Promise<RedisClient> {
    const options = await s.store.resolve(session.entry);
    return open(options, 'blocking');
  }

  get live(): boolean {
    return this.state.kind !== 'ended';
  }

  get summary(): DebugSummary {
    let acked = 0;
    let left = 0;
    let deadLettered = 0;
    let taken = 0;
    for (const o of this.outcomes.values()) {
      if (o === 'acked') acked++;
      else if (o === 'left') left++;
      else if (o === 'taken') taken++;
      else deadLettered++;
    }
    const messages = this.outcomes.size;
    const counts = `${acked} acked, ${left} left pending, ${deadLettered} dead-lettered${taken ? `, ${taken} taken by others` : ''}`;
    return { messages, acked, left, deadLettered, taken, text: `Session ended: ${plural(messages, 'message')} (${counts})` };
  }

  /** Resolves once the session shows a message, waits for one, shows an error, or has ended. */
  async settled(): Promise<DebugState> {
    while (!SETTLED.has(this.state.kind)) {
      await new Promise<void>((r) => {
        const sub = this.onDidChange(() => {
          sub.dispose();
          r();
        });
      });
    }
    return this.state;
  }

  /** Starts the session's read loop (once). */
  begin(): void {
    this.loop ??= this.run();
    this.lease ??= setInterval(() => void this.renew(), LEASE_MS);
  }

  /** Renews the shown message's lease; notes it when another consumer holds it now. */
  private async renew(): Promise<void> {
    const st = this.state;
    if (st.kind !== 'showing' || this.renewing) return;
    this.renewing = true;
    try {
      const r = await renewIfOwned(await this.target(), this.stream, this.group, this.consumer, st.entry.id);
      const now = this.state;
      if (r.done || now.kind !== 'showing' || now.entry.id !== st.entry.id) return;
      this.setState({ ...now, note: `${this.takenWords(r.owner)}: Ack & Next and Dead-letter will not touch it.` });
    } catch {
      /* the next tick tries again; an action says what fails */
    } finally {
      this.renewing = false;
    }
  }

  private takenWords(owner: string | undefined): string {
    return owner ? `Taken by ${owner} meanwhile` : 'No longer pending (acked or dead-lettered by another consumer)';
  }

  /** Records a message another consumer holds (or finished) before you acted, and says so. */
  private taken(id: string, owner: string | undefined, what: string): void {
    this.outcomes.set(id, 'taken');
    this.takenBy.set(id, owner);
    this.s.ui.warn(`${id}: ${owner ? `taken by ${owner}` : 'no longer pending'} in "${this.group}" before you acted: not ${what}.`);
  }

  /** Ack & Next, Leave Pending & Next, Dead-letter (with a reason). False when no message is shown. */
  async act(action: 'ack' | 'leave' | 'deadLetter', reason?: string): Promise<boolean> {
    const st = this.state;
    if (st.kind !== 'showing') return false;
    const { entry, source } = st;
    this.setState({ kind: 'acting', entry, source, action: action === 'ack' ? 'Acknowledging (XACK)…' : action === 'deadLetter' ? 'Dead-lettering…' : 'Leaving it pending…' });
    const work = this.apply(action, entry, reason);
    this.inFlight = work;
    let done: boolean;
    try {
      done = await work;
    } catch (e) {
      // Nothing was done to it: it stays pending (and in the summary as such until you act again).
      if (!this.outcomes.has(entry.id)) this.outcomes.set(entry.id, 'left');
      if (this.live) this.setState({ kind: 'showing', entry, source, note: `Failed: ${toQueueError(e).message}` });
      throw e;
    } finally {
      this.inFlight = undefined;
    }
    if (!done) {
      this.setState({ kind: 'showing', entry, source, note: 'Not dead-lettered: its message was deleted from the stream.' });
      return false;
    }
    this.handled.push({ id: entry.id, action });
    this.s.provider.refresh();
    if (!this.live) return true;
    this.setState({ kind: 'reading', source: this.phase });
    this.wakeUp();
    return true;
  }

  private async apply(action: 'ack' | 'leave' | 'deadLetter', entry: DebugEntry, reason?: string): Promise<boolean> {
    if (action === 'leave') {
      this.outcomes.set(entry.id, 'left');
      return true;
    }
    const t = await this.target();
    if (action === 'ack') {
      // Acked only while this consumer holds it (atomic): acked means XACK returned 1.
      const r = await ackIfOwned(t, this.stream, this.group, this.consumer, entry.id);
      if (r.done) this.outcomes.set(entry.id, 'acked');
      else this.taken(entry.id, r.owner, 'acked');
      return true;
    }
    const owner = (await ops.pendingOf(t, this.stream, this.group, [entry.id])).get(entry.id)?.consumer;
    if (owner !== this.consumer) {
      this.taken(entry.id, owner, 'dead-lettered');
      return true;
    }
    const r = await ops.deadLetter(t, this.stream, this.group, [entry.id], { reason: reason ?? DEFAULT_DLQ_REASON, consumer: this.consumer });
    if (r.gone.length) {
      // Its body was deleted from the stream: refused here (the tree's Dead-letter… can force it).
      this.outcomes.set(entry.id, 'left');
      this.s.ui.warn(`${entry.id} was deleted from "${this.stream}": not dead-lettered, it stays pending.`);
      return false;
    }
    if (r.skipped.length) this.taken(entry.id, undefined, 'dead-lettered');
    else this.outcomes.set(entry.id, 'deadLettered');
    return true;
  }

  /**
   * Runs the workspace's handler on the shown message as this consumer (it holds it), plainly or
   * under the debugger. The outcome chosen after it is this session's too: acked or dead-lettered
   * moves on to the next message; left pending (a failure, or a choice) or a dry run stays shown,
   * with what the handler did beside the message: a failure stops the stepping there.
   */
  async runHandler(mode: 'run' | 'debug', auto = false): Promise<HandlerCommandResult | undefined> {
    const st = this.state;
    if (st.kind !== 'showing') return undefined;
    const { entry, source } = st;
    this.setState({ kind: 'acting', entry, source, action: mode === 'debug' ? 'Debugging your handler on it…' : 'Running your handler on it…' });
    let r: HandlerCommandResult;
    try {
      r = await runHandlerAsHolder(this.s, mode, { session: this.session, stream: this.stream, group: this.group, consumer: this.consumer, id: entry.id, auto });
    } catch (e) {
      if (this.live) this.setState({ kind: 'showing', entry, source, ...(e instanceof Cancelled ? {} : { note: `The handler did not run: ${toQueueError(e).message}` }) });
      throw e;
    }
    const o = r.result;
    if (o.outcome === 'acked' || o.outcome === 'dead-lettered') {
      this.outcomes.set(entry.id, o.outcome === 'acked' ? 'acked' : 'deadLettered');
      this.handled.push({ id: entry.id, action: o.outcome === 'acked' ? 'ack' : 'deadLetter' });
      this.s.provider.refresh();
      if (this.live) {
        this.setState({ kind: 'reading', source: this.phase });
        this.wakeUp();
      }
      return r;
    }
    if (o.outcome === 'lost') this.taken(entry.id, undefined, 'handled');
    const note =
      o.error !== undefined
        ? `Your handler failed on delivery ${o.deliveries} after ${o.durationMs} ms: ${o.error}${o.outcome === 'dry-run' ? ' (dry run: nothing written)' : ' · left pending'}`
        : `Your handler succeeded in ${o.durationMs} ms${o.outcome === 'dry-run' ? ' (dry run: nothing written)' : ' · left pending, as chosen'}`;
    if (this.live) this.setState({ kind: 'showing', entry: { ...entry, deliveries: o.outcome === 'dry-run' ? entry.deliveries : o.deliveries }, source, note });
    return r;
  }

  /**
   * Run Handler on Each: the handler on every message as it comes, decided as a worker decides
   * (a success acked, a failure left pending), until the first failure, which stays shown with
   * its error beside it, or until no message is waiting. How many ran is returned.
   */
  async runHandlerOnEach(): Promise<number> {
    let ran = 0;
    for (;;) {
      if ((await this.settled()).kind !== 'showing') return ran;
      const r = await this.runHandler('run', true);
      if (!r) return ran;
      ran += r.runs;
      if (r.result.error !== undefined || (r.result.outcome !== 'acked' && r.result.outcome !== 'dead-lettered')) return ran;
    }
  }

  /** Next (when no message is shown): re-read the consumer's own pending entries from the oldest, then new ones. */
  next(): boolean {
    const kind = this.state.kind;
    if (kind !== 'waiting' && kind !== 'error') return false;
    this.phase = 'pending';
    this.cursor = '0';
    this.rescan = true;
    this.setState({ kind: 'reading', source: 'pending' });
    // From 'waiting' the loop is in a blocked read and goes on when it returns (≤ BLOCK_MS).
    if (kind === 'error') this.wakeUp();
    return true;
  }

  /** Ends the session: a shown message stays pending; the connection is closed; the document says so. */
  async stop(reason = 'stopped'): Promise<boolean> {
    if (!this.live) return false;
    if (this.inFlight) await this.inFlight.catch(() => undefined);
    if (!this.live) return false;
    const st = this.state;
    if (st.kind === 'showing') {
      this.outcomes.set(st.entry.id, 'left');
      this.handled.push({ id: st.entry.id, action: 'stop' });
    }
    this.setState({ kind: 'ended', reason });
    clearInterval(this.lease);
    close(this.blocking);
    this.wakeUp();
    this.status.dispose();
    this.s.provider.refresh();
    this.s.ui.info(`Debug consumer "${this.consumer}" on ${this.stream} › ${this.group}: ${this.summary.text}.`);
    this.endedResolve();
    return true;
  }

  dispose(): void {
    void this.stop('the extension was deactivated');
    this.changed.dispose();
  }

  private async target(): Promise<OpTarget> {
    const insp = await this.session.inspector();
    return { client: insp.client, readOnly: this.session.readOnly, name: this.session.name };
  }

  private setState(st: DebugState): void {
    if (!this.live) return;
    this.state = st;
    this.updateStatus();
    this.changed.fire(this);
  }

  private signal(): Promise<void> {
    return new Promise((r) => (this.wake = r));
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /**
   * The read loop, for the session's life: own pending entries after the cursor, then new ones
   * (at once, then BLOCK on the session's own connection); after showing one, it waits for an action.
   */
  private async run(): Promise<void> {
    const t: OpTarget = { client: this.blocking, readOnly: this.session.readOnly, name: this.session.name };
    let waited = false;
    while (this.live) {
      try {
        let entry: DebugEntry | null = null;
        let source: DebugSource = 'new';
        if (this.phase === 'pending') {
          entry = await ops.readOne(t, this.stream, this.group, this.consumer, { ownPending: true, after: this.cursor });
          if (entry) {
            this.cursor = entry.id;
            source = 'pending';
          } else {
            this.phase = 'new';
          }
        }
        if (!entry) {
          this.rescan = false;
          entry = await ops.readOne(t, this.stream, this.group, this.consumer, waited ? { blockMs: BLOCK_MS } : {});
        }
        if (!this.live) return;
        if (entry) {
          this.rescan = false;
          this.setState({ kind: 'showing', entry, source });
          await this.signal();
          waited = false;
          continue;
        }
        if (this.rescan) {
          waited = false;
          continue;
        }
        if (!waited) this.setState({ kind: 'waiting' });
        waited = true;
      } catch (e) {
        if (!this.live) return; // Stop closed the connection under a blocked read.
        this.setState({ kind: 'error', message: toQueueError(e).message });
        await this.signal();
        waited = false;
      }
    }
  }

  private updateStatus(): void {
    const st = this.state;
    const what =
      st.kind === 'showing' || st.kind === 'acting' ? st.entry.id : st.kind === 'waiting' ? 'waiting for a message' : st.kind === 'error' ? 'error' : st.kind === 'reading' ? 'reading…' : 'ended';
    this.status.text = `$(debug-alt) ${this.consumer} · ${this.group}: ${what}`;
    this.status.tooltip = new vscode.MarkdownString(
      `**Debug consumer** "${this.consumer}" in group "${this.group}" of "${this.stream}" (${this.session.name})\n\n${this.progressLine()}\n\nClick for Ack & Next, Leave Pending & Next, Dead-letter, Next, Stop.`,
    );
    this.status.backgroundColor = st.kind === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : new vscode.ThemeColor('statusBarItem.warningBackground');
  }

  private progressLine(): string {
    return this.summary.text.replace(/^Session ended: /, 'So far: ');
  }

  private outcomeWords(id: string, o: DebugOutcome): string {
    if (o === 'taken') {
      const by = this.takenBy.get(id);
      return by ? `taken by ${by} before you acted (not acked by you)` : 'no longer pending before you acted (acked or dead-lettered by another consumer)';
    }
    return o === 'acked' ? 'acked' : o === 'left' ? 'left pending' : 'dead-lettered';
  }

  /** The document's text for the current state (JSON with comments). */
  render(): string {
    const st = this.state;
    // Short lines: the document is read beside the tree, at VS Code's default width.
    const who = `// Debug consumer "${this.consumer}" · ${this.stream} › ${this.group} · connection "${this.session.name}"`;
    if (st.kind === 'ended') {
      // Read beside the tree: a long summary goes on two lines.
      const head = this.summary.text.length > 80 ? this.summary.text.replace(' (', '\n// (') : this.summary.text;
      const lines = [`// ${head}`, who, `// Ended: ${st.reason}, after ${formatDuration(Date.now() - this.startedAt)}.`];
      if (this.summary.left) {
        lines.push(`// Left pending: ${this.consumer}'s now. A new session as "${this.consumer}" shows them first,`);
        lines.push(`// unless a worker of "${this.group}" reclaims them before (a reclaiming worker`, '// takes entries idle longer than its minimum: nobody renews them now).');
      }
      const outcomes = [...this.outcomes];
      if (outcomes.length) {
        lines.push('//');
        for (const [id, o] of outcomes.slice(-50)) lines.push(`//   ${id}  ${this.outcomeWords(id, o)}`);
        if (outcomes.length > 50) lines.push(`//   … and ${outcomes.length - 50} earlier`);
      }
      return `${lines.join('\n')}\n`;
    }
    const lines = [who];
    if (st.kind === 'showing' || st.kind === 'acting') {
      const created = idTime(st.entry.id);
      const from = st.source === 'pending' ? `re-read from ${this.consumer}'s pending entries` : 'new';
      lines.push(`// Message ${st.entry.id} · delivered ${st.entry.deliveries}× · ${from}`);
      if (!Number.isNaN(created)) lines.push(`// Created ${localAndUtc(created)}`);
      lines.push(`// Kept yours while shown: idle reset every ${LEASE_MS / 1000} s (XCLAIM JUSTID,`, '// no delivery counted), so reclaiming workers leave it to you.');
      lines.push(`// ${this.progressLine()}`);
      if (st.kind === 'acting') lines.push(`// ${st.action}`);
      else lines.push(`// Title bar: Debug Handler (your code on it) · ✓ Ack & Next · ↷ Leave Pending & Next · Dead-letter · ■ Stop${st.note ? `\n${st.note.split('\n').map((l) => `// ${l}`).join('\n')}` : ''}`);
      if (!st.entry.fields) lines.push('// Its message was deleted from the stream: only its pending record remains.');
      return `${lines.join('\n')}\n${entryToJson(st.entry, { stream: this.stream, group: this.group, consumer: this.consumer, deliveries: st.entry.deliveries })}\n`;
    }
    if (st.kind === 'reading') lines.push(st.source === 'pending' ? `// Reading ${this.consumer}'s own pending entries…` : '// Reading the next message…');
    if (st.kind === 'waiting') {
      lines.push(`// No message: nothing pending for ${this.consumer}, nothing new for ${this.group}.`);
      lines.push('// Waiting: a new message shows here as soon as it arrives.');
      lines.push('// Title bar: Next re-reads the messages you left pending · ■ Stop');
    }
    if (st.kind === 'error') lines.push(`// Could not read: ${st.message}`, '// Next tries again, Stop ends the session.');
    lines.push(`// ${this.progressLine()}`);
    return `${lines.join('\n')}\n`;
  }
}

