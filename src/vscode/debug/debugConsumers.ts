import * as vscode from 'vscode';
import { wrap } from '../commands/command';
import { confirmImpact } from '../commands/target';
import type { Session } from '../connections/session';
import type { Services } from '../services';
import { DEBUG_SCHEME, DEFAULT_DLQ_REASON, DebugConsumerSession } from './debugSession';

/**
 * Context keys (lists of document URIs) for the editor title buttons: `resource in <key>`.
 * - live: sessions not ended (Stop);
 * - message: a message is shown (Ack & Next, Leave Pending & Next, Dead-letter);
 * - idle: nothing to show, or a read failed (Next).
 */
const KEY_LIVE = 'redisQueues.debug.live';
const KEY_MESSAGE = 'redisQueues.debug.message';
const KEY_IDLE = 'redisQueues.debug.idle';
/** True while any session runs (shows the actions in the command palette). */
const KEY_ANY = 'redisQueues.debug.active';

const OVER = '// This debug consumer session is over (it ended, or the window was reloaded).\n// Start a new one from a consumer group: "Step Through Queue as Debug Consumer…".\n';

/** The sessions of this window, once the first one started (it needs the extension's Services). */
let current: DebugConsumers | undefined;
/** Fires when a session's document should be read again. */
const docChanged = new vscode.EventEmitter<vscode.Uri>();
/** Once per extension host, even if this module were loaded twice. */
const REGISTERED = Symbol.for('redisQueues.debugConsumer.registered');
const host = globalThis as { [REGISTERED]?: vscode.Disposable };

/**
 * Registers the debug documents' content provider and the session commands (editor title, status
 * bar, palette). They are contributed in package.json, so they must exist from activation on, before
 * any session; a debug tab restored from a previous window finds its provider and says the session
 * is over. Called by activate() and again with the first session's Services (the same registration).
 * Idempotent; the returned disposable unregisters everything.
 */
export function registerDebugConsumer(): vscode.Disposable {
  const existing = host[REGISTERED];
  if (existing) return existing;
  /** Ack & Next and the like from the palette while nothing is shown: say why nothing happens. */
  const needsMessage = (d: DebugConsumerSession, reg: DebugConsumers): boolean => {
    if (d.state.kind === 'showing') return true;
    const why = d.state.kind === 'ended' ? 'its session has ended' : d.state.kind === 'waiting' ? 'it is waiting for a message' : 'no message is shown yet';
    reg.s.ui.info(`Debug consumer "${d.consumer}": nothing to act on, ${why}.`);
    return false;
  };
  const cmd = (id: string, fn: (target: DebugConsumerSession, reg: DebugConsumers) => unknown) =>
    vscode.commands.registerCommand(
      id,
      wrap(id, async (arg?: unknown) => {
        const reg = current;
        if (!reg) {
          void vscode.window.showInformationMessage('Redis Queues: no debug consumer session is running.');
          return undefined;
        }
        const target = await reg.resolve(arg);
        if (!target) return undefined;
        await fn(target, reg);
        return target;
      }),
    );
  const list: vscode.Disposable[] = [
    vscode.workspace.registerTextDocumentContentProvider(DEBUG_SCHEME, {
      onDidChange: docChanged.event,
      provideTextDocumentContent: (uri) => current?.get(uri)?.render() ?? OVER,
    }),
    cmd('redisQueues.debug.ackNext', async (d, reg) => {
      if (!needsMessage(d, reg)) return;
      await d.act('ack');
      await d.settled();
    }),
    cmd('redisQueues.debug.leaveNext', async (d, reg) => {
      if (!needsMessage(d, reg)) return;
      await d.act('leave');
      await d.settled();
    }),
    cmd('redisQueues.debug.deadLetter', async (d, reg) => {
      if (!needsMessage(d, reg) || d.state.kind !== 'showing') return;
      const id = d.state.entry.id;
      const reason = await reg.s.ui.input({ title: `Dead-letter ${id} to ${d.stream}:dlq: reason`, value: DEFAULT_DLQ_REASON, validate: (v) => (v.trim() ? undefined : 'A reason is required') });
      // Dismissing the question (or clicking elsewhere) dead-letters nothing; the session goes on.
      if (reason === undefined || d.state.kind !== 'showing' || d.state.entry.id !== id) return;
      await d.act('deadLetter', reason.trim());
      await d.settled();
    }),
    cmd('redisQueues.debug.next', async (d) => {
      d.next();
      await d.settled();
    }),
    cmd('redisQueues.debug.stop', (d) => d.stop()),
    cmd('redisQueues.debug.runHandler', async (d, reg) => {
      if (!needsMessage(d, reg)) return;
      await d.runHandler('run');
      await d.settled();
    }),
    cmd('redisQueues.debug.debugHandler', async (d, reg) => {
      if (!needsMessage(d, reg)) return;
      await d.runHandler('debug');
      await d.settled();
    }),
    cmd('redisQueues.debug.runHandlerOnEach', async (d, reg) => {
      if (!needsMessage(d, reg)) return;
      // Each success is acked without a question: on a production connection, say so and confirm once.
      await confirmImpact(reg.s, d.session, {
        message: `Run your handler on each message of "${d.group}" as ${d.consumer}, acknowledging each success?`,
        detail: 'It stops at the first failure (left pending, shown with its error) or when no message is waiting.',
        button: 'Run on Each',
        typeName: d.stream,
      });
      const n = await d.runHandlerOnEach();
      reg.s.ui.info(`Debug consumer "${d.consumer}": your handler ran ${n} time${n === 1 ? '' : 's'}; ${d.state.kind === 'showing' ? 'stopped at the message shown' : 'no message is waiting'}.`);
    }),
    cmd('redisQueues.debug.actions', (d, reg) => reg.actions(d)),
    cmd('redisQueues.debug.show', (d, reg) => reg.show(d)),
  ];
  const registration = {
    dispose: () => {
      for (const x of list) x.dispose();
      if (host[REGISTERED] === registration) host[REGISTERED] = undefined;
    },
  };
  host[REGISTERED] = registration;
  return registration;
}

/**
 * The debug consumer sessions of this window, and the context keys the editor title buttons use.
 * Created on the first session (the COMMANDS table and activate() stay as they are) and disposed
 * with the extension.
 */
export class DebugConsumers implements vscode.Disposable {
  private readonly sessions = new Map<string, DebugConsumerSession>();
  private readonly disposables: vscode.Disposable[] = [];
  private counter = 0;

  private constructor(readonly s: Services) {
    this.disposables.push(
      // The session ends when its document's last tab closes, not when focus moves elsewhere.
      // (onDidCloseTextDocument is not used: VS Code does not promise when, or whether, it fires for a closed tab.)
      vscode.window.tabGroups.onDidChangeTabs((e) => {
        if (!e.closed.length) return;
        const open = new Set(
          vscode.window.tabGroups.all.flatMap((g) => g.tabs).flatMap((t) => (t.input instanceof vscode.TabInputText ? [t.input.uri.toString()] : [])),
        );
        for (const t of e.closed) {
          const uri = t.input instanceof vscode.TabInputText ? t.input.uri : undefined;
          if (!uri || uri.scheme !== DEBUG_SCHEME || open.has(uri.toString())) continue;
          const d = this.sessions.get(uri.toString());
          if (d?.live) void d.stop('its document was closed');
        }
      }),
    );
    s.context.subscriptions.push(registerDebugConsumer(), this);
  }

  /** The registry, created (with its provider and commands) on first use. */
  static of(s: Services): DebugConsumers {
    current ??= new DebugConsumers(s);
    return current;
  }

  /** Live sessions. */
  live(): DebugConsumerSession[] {
    return [...this.sessions.values()].filter((d) => d.live);
  }

  get(uri: vscode.Uri | string): DebugConsumerSession | undefined {
    return this.sessions.get(uri.toString());
  }

  /**
   * Starts a session (or reveals the live one of the same consumer): opens its blocking
   * connection, shows its document and starts reading. Resolves once the first read settled.
   */
  async start(session: Session, stream: string, group: string, consumer: string): Promise<DebugConsumerSession> {
    const same = this.live().find((d) => d.session === session && d.stream === stream && d.group === group && d.consumer === consumer);
    if (same) {
      await this.show(same);
      return same;
    }
    // Ended sessions keep their summary for their document; the oldest are forgotten.
    const ended = [...this.sessions.values()].filter((d) => !d.live);
    for (const d of ended.slice(0, Math.max(0, ended.length - 20))) this.sessions.delete(d.uri.toString());
    const blocking = await DebugConsumerSession.connect(this.s, session);
    const d = new DebugConsumerSession(this.s, session, stream, group, consumer, blocking, ++this.counter);
    this.sessions.set(d.uri.toString(), d);
    d.onDidChange(() => {
      docChanged.fire(d.uri);
      this.updateContext();
    });
    void d.ended.then(() => this.updateContext());
    this.updateContext();
    d.begin();
    try {
      // Shown at once ("Reading…"), so Stop is at hand even if the server is slow to answer.
      await this.show(d);
    } catch (e) {
      await d.stop('its document could not be shown');
      throw e;
    }
    // A change fired while VS Code was still opening the document is not read again: refresh it once now.
    docChanged.fire(d.uri);
    await d.settled();
    return d;
  }

  /** Shows the session's document (not as a preview: opening something else must not replace it). */
  async show(d: DebugConsumerSession): Promise<vscode.TextEditor> {
    let doc = await vscode.workspace.openTextDocument(d.uri);
    if (doc.languageId !== 'jsonc') doc = await vscode.languages.setTextDocumentLanguage(doc, 'jsonc');
    return vscode.window.showTextDocument(doc, { preview: false, preserveFocus: false });
  }

  /** The status bar item's menu: the actions of the session's state. Dismissing it changes nothing. */
  async actions(d: DebugConsumerSession): Promise<void> {
    type A = 'ack' | 'leave' | 'deadLetter' | 'runHandler' | 'debugHandler' | 'runHandlerOnEach' | 'next' | 'stop' | 'show';
    const items: { label: string; description?: string; value: A }[] = [];
    if (d.state.kind === 'showing') {
      items.push(
        { label: '$(check) Ack & Next', description: `XACK ${d.state.entry.id}, then the next message`, value: 'ack' },
        { label: '$(debug-step-over) Leave Pending & Next', description: `keep it in ${d.consumer}'s pending entries`, value: 'leave' },
        { label: '$(archive) Dead-letter…', description: `to ${d.stream}:dlq, atomically`, value: 'deadLetter' },
        { label: '$(debug-alt) Debug Handler on This Message', description: 'your handler (redisQueues.handlers) under the debugger, then ack, leave or dead-letter', value: 'debugHandler' },
        { label: '$(play) Run Handler on This Message', description: 'your handler, then ack, leave or dead-letter', value: 'runHandler' },
        { label: '$(run-all) Run Handler on Each', description: 'ack each success, stop at the first failure', value: 'runHandlerOnEach' },
      );
    }
    if (d.state.kind === 'waiting' || d.state.kind === 'error') items.push({ label: '$(debug-continue) Next', description: `${d.consumer}'s pending entries first, then new ones`, value: 'next' });
    if (d.live) items.push({ label: '$(debug-stop) Stop', description: 'a shown message stays pending', value: 'stop' });
    items.push({ label: '$(go-to-file) Show the Message', value: 'show' });
    const picked = await this.s.ui.pick(items, { title: `Debug consumer "${d.consumer}" · ${d.stream} › ${d.group}` });
    const ids: Record<A, string> = {
      ack: 'redisQueues.debug.ackNext',
      leave: 'redisQueues.debug.leaveNext',
      deadLetter: 'redisQueues.debug.deadLetter',
      runHandler: 'redisQueues.debug.runHandler',
      debugHandler: 'redisQueues.debug.debugHandler',
      runHandlerOnEach: 'redisQueues.debug.runHandlerOnEach',
      next: 'redisQueues.debug.next',
      stop: 'redisQueues.debug.stop',
      show: 'redisQueues.debug.show',
    };
    if (picked) await vscode.commands.executeCommand(ids[picked], d.uri);
  }

  /** The session a command is for: its document (editor title), a session, the active editor's, the only one, or a pick. */
  async resolve(arg: unknown): Promise<DebugConsumerSession | undefined> {
    if (arg instanceof DebugConsumerSession) return arg;
    const key = arg instanceof vscode.Uri ? arg.toString() : typeof arg === 'string' ? arg : (arg as { uri?: unknown } | undefined)?.uri instanceof vscode.Uri ? String((arg as { uri: vscode.Uri }).uri) : undefined;
    if (key) return this.sessions.get(key);
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active?.scheme === DEBUG_SCHEME) {
      const d = this.sessions.get(active.toString());
      if (d) return d;
    }
    const live = this.live();
    if (live.length <= 1) {
      if (!live.length) this.s.ui.info('No debug consumer session is running.');
      return live[0];
    }
    return this.s.ui.pick(
      live.map((d) => ({ label: `${d.consumer} · ${d.stream} › ${d.group}`, description: d.session.name, value: d })),
      { title: 'Debug consumer session' },
    );
  }

  private updateContext(): void {
    const all = [...this.sessions.values()];
    const uris = (f: (d: DebugConsumerSession) => boolean) => all.filter(f).map((d) => d.uri.toString());
    void vscode.commands.executeCommand('setContext', KEY_LIVE, uris((d) => d.live));
    void vscode.commands.executeCommand('setContext', KEY_MESSAGE, uris((d) => d.state.kind === 'showing'));
    void vscode.commands.executeCommand('setContext', KEY_IDLE, uris((d) => d.state.kind === 'waiting' || d.state.kind === 'error'));
    void vscode.commands.executeCommand('setContext', KEY_ANY, all.some((d) => d.live));
  }

  dispose(): void {
    for (const d of this.sessions.values()) d.dispose();
    this.sessions.clear();
    for (const x of this.disposables) x.dispose();
    if (current === this) current = undefined;
  }
}

