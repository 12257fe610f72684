import * as vscode from 'vscode';
import { type JobJourney, type ListQueueLayout, type MessageJourney, jobJourney, messageJourney, toQueueError } from '../../core/internal';
import type { Session, SessionManager } from '../connections/session';
import { entryUri } from '../entryDocument';
import { PanelRegistry, webviewPage } from '../webviewPage';
import { EntryNode, type EntryHost } from '../tree/explorerNodes';
import { renderJourney, renderJourneyError } from './journeyHtml';

/** What a journey panel follows: a stream message (its dead-letter stream: default `<stream>:dlq`), or a list-queue job. */
export type JourneyTarget = { kind: 'message'; stream: string; id: string; dlq?: string | null } | { kind: 'job'; queue: string; id: string; layout?: ListQueueLayout };

export type Journey = MessageJourney | JobJourney;

/** What a panel shows, for callers and tests. */
export interface JourneyViewState {
  key: string;
  title: string;
  /** The page body last rendered (escaped HTML, inside `<main>`). */
  html: string;
  /** The text the webview reported after it drew the page (`document.body.innerText`); undefined until it did. */
  shown?: string;
  /** Times the page was rendered (1 after the first load; each Refresh adds one). */
  renders: number;
  journey?: Journey;
  error?: string;
}

/** Webview → extension: a click on an action (`data-action` and the element's other data- attributes), or the text drawn. */
type FromView = { type: 'action'; action: string; data: Record<string, string> } | { type: 'rendered'; renders: number; text: string };

function keyOf(connection: string, target: JourneyTarget): string {
  return [connection, target.kind, target.kind === 'message' ? target.stream : target.queue, target.id].join('\u0000');
}

function titleOf(target: JourneyTarget): string {
  return target.kind === 'message' ? `Journey: ${target.id}` : `Journey: job ${target.id}`;
}

/** The open journey panels, one per message (a second Show Journey of the same message reveals and refreshes it). */
export class JourneyPanels extends PanelRegistry<JourneyPanel> {
  constructor(
    private readonly extensionUri: vscode.Uri,
    readonly sessions: SessionManager,
  ) {
    super();
  }

  /** Shows (or reveals and refreshes) the journey of `target` on `session`; resolves to the journey read. Rejects when it cannot be read. */
  async show(session: Session, target: JourneyTarget): Promise<Journey> {
    const key = keyOf(session.name, target);
    const { panel: p, fresh } = this.open(key, () => new JourneyPanel(this, this.extensionUri, session.name, target, key));
    await p.load();
    if (p.state.error !== undefined || !p.state.journey) {
      const err = toQueueError(p.lastError ?? new Error(p.state.error ?? 'the journey could not be read'));
      // A journey that could not be read at all is said once, as an error; an open panel keeps
      // its error page (and its Refresh button).
      if (fresh) p.dispose();
      throw err;
    }
    return p.state.journey;
  }

  /** The panel of a message (or job), if open. */
  find(connection: string, target: JourneyTarget): JourneyPanel | undefined {
    return this.get(keyOf(connection, target));
  }
}

/**
 * One journey in a webview: drawn in the extension (escaped text, no remote resources, a strict
 * CSP, one local script for the clicks), read with the core's messageJourney / jobJourney through
 * the connection's session (reads only: fine on read-only connections). Refresh reads it again;
 * links open the entry, another message's journey (replays), or the Replay command.
 */
export class JourneyPanel implements vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  readonly state: JourneyViewState;
  /** The error of the last load, as thrown. */
  lastError?: unknown;
  private loading?: Promise<void>;
  private again = false;
  private disposed = false;
  private readonly media: vscode.Uri;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly owner: JourneyPanels,
    extensionUri: vscode.Uri,
    readonly connection: string,
    readonly target: JourneyTarget,
    readonly key: string,
  ) {
    this.media = vscode.Uri.joinPath(extensionUri, 'media');
    this.panel = vscode.window.createWebviewPanel('redisQueues.journey', titleOf(target), { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, { enableScripts: true, localResourceRoots: [this.media] });
    this.state = { key, title: titleOf(target), html: '', renders: 0 };
    this.disposables.push(
      this.panel.onDidDispose(() => this.dispose()),
      this.panel.webview.onDidReceiveMessage((m: unknown) => void this.handle(m)),
    );
  }

  /** Reads the journey and draws it (a load already running is followed by one more). */
  load(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      try {
        do {
          this.again = false;
          await this.read();
        } while (this.again && !this.disposed);
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  private async read(): Promise<void> {
    const session = this.owner.sessions.get(this.connection);
    let body: string;
    try {
      if (!session) throw new Error(`The connection "${this.connection}" no longer exists`);
      const target = this.target;
      const journey = await session.run<Journey>((insp) =>
        target.kind === 'message' ? messageJourney(insp.client, target.stream, target.id, { dlq: target.dlq }) : jobJourney(insp.client, target.queue, target.id, target.layout),
      );
      body = renderJourney(journey, { connection: this.connection, readOnly: session.readOnly, now: Date.now() });
      this.state.journey = journey;
      this.state.error = undefined;
      this.lastError = undefined;
    } catch (e) {
      const err = toQueueError(e);
      this.lastError = err;
      this.state.error = err.message;
      this.state.journey = undefined;
      const what = this.target.kind === 'message' ? `${this.target.id} in ${this.target.stream}` : `job ${this.target.id} of ${this.target.queue}`;
      body = renderJourneyError(what, err.message);
    }
    if (this.disposed) return;
    this.state.renders++;
    this.state.html = body;
    this.state.shown = undefined;
    this.panel.webview.html = this.page(body, this.state.renders);
  }

  /** Handles a message of the webview (tests may send the same ones). Resolves when the action is done. */
  async handle(message: unknown): Promise<unknown> {
    const m = message as FromView | null;
    if (!m || typeof m !== 'object') return undefined;
    if (m.type === 'rendered') {
      // Only the report of the page now drawn counts (a report of an older page may arrive late).
      if (m.renders === this.state.renders && typeof m.text === 'string') this.state.shown = m.text;
      return undefined;
    }
    if (m.type !== 'action' || typeof m.action !== 'string') return undefined;
    const d = m.data && typeof m.data === 'object' ? m.data : {};
    try {
      return await this.act(m.action, d);
    } catch (e) {
      void vscode.window.showErrorMessage(`Redis Queues: ${toQueueError(e).message}`);
      return undefined;
    }
  }

  private async act(action: string, d: Record<string, string>): Promise<unknown> {
    const str = (k: string) => (typeof d[k] === 'string' ? d[k] : undefined);
    switch (action) {
      case 'refresh':
        return this.load();
      case 'openEntry': {
        const stream = str('stream');
        const id = str('id');
        if (!stream || !id) return undefined;
        return vscode.commands.executeCommand('redisQueues.entry.open', { connection: this.connection, stream, id });
      }
      case 'openJob': {
        if (this.target.kind !== 'job') return undefined;
        let doc = await vscode.workspace.openTextDocument(entryUri({ connection: this.connection, kind: 'job', key: this.target.queue, id: this.target.id }));
        doc = await vscode.languages.setTextDocumentLanguage(doc, 'json');
        await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });
        return doc;
      }
      case 'journey': {
        const id = str('id');
        if (!id || this.target.kind !== 'message') return undefined;
        const session = this.owner.sessions.get(this.connection);
        if (!session) throw new Error(`The connection "${this.connection}" no longer exists`);
        return this.owner.show(session, { kind: 'message', stream: this.target.stream, id, dlq: this.target.dlq });
      }
      case 'replay': {
        const dlq = str('dlq');
        const id = str('id');
        const session = this.owner.sessions.get(this.connection);
        if (!dlq || !id || !session) return undefined;
        // The replay command, on the record as the tree would pass it: it refuses on read-only
        // connections, shows the impact and asks to confirm.
        const node = recordNode(session, dlq, id);
        const r = await vscode.commands.executeCommand('redisQueues.dlq.replay', node, [node], { ids: [id] });
        await this.load();
        return r;
      }
      default:
        return undefined;
    }
  }

  private page(body: string, renders: number): string {
    return webviewPage(this.panel.webview, this.media, { name: 'journey', title: 'Journey', data: { renders }, body: `<main id="journey">\n${body}\n</main>` });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.owner.forget(this);
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}

/** A dead-letter record as an entry row of its dead-letter stream (what the Replay command takes). */
function recordNode(session: Session, dlq: string, id: string): EntryNode {
  const host: EntryHost = {
    id: `rq-journey/${encodeURIComponent(session.name)}/${encodeURIComponent(dlq)}`,
    session,
    streamKey: dlq,
    dlq: true,
    item: () => new vscode.TreeItem(dlq),
  };
  return new EntryNode(host, { id, raw: null, fields: null });
}
