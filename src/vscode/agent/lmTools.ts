import * as vscode from 'vscode';
import { AGENT_TOOLS, type AgentTool, type ToolResultText, describeImpact, runAgentTool } from '../../agent/tools';
import { BadInputError, ReadOnlyError, connectionSecrets } from '../../core/internal';
import { Cancelled } from '../commands/command';
import { confirmImpact, sessionOf } from '../commands/target';
import type { Session } from '../connections/session';
import type { Services } from '../services';
import { SECTION, readSettings } from '../settings';

/** The setting that turns the write tools on (off by default; user settings only). */
export const ALLOW_WRITES_SETTING = 'agent.allowWrites';

/** The input every editor tool takes besides its own: which connection (by name). */
export const CONNECTION_INPUT = 'connection';

export type QueueToolInput = Record<string, unknown> & { connection?: string };

export function writesAllowed(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>(ALLOW_WRITES_SETTING, false) === true;
}

/**
 * The connection a tool call acts on: the one named by its `connection` input, else the only
 * one, else the one selected in the Redis Queues tree. Throws a BadInputError naming the choices.
 */
export function sessionFor(s: Services, input: QueueToolInput | undefined): Session {
  const sessions = s.sessions.list();
  const names = () => sessions.map((x) => `"${x.name}"`).join(', ');
  const name = input?.[CONNECTION_INPUT];
  // A "connection" that is given names one: never an empty or odd value that falls back to the selection.
  if (name !== undefined && name !== null && (typeof name !== 'string' || !name)) {
    throw new BadInputError(`Input "connection" must be a connection's name${sessions.length ? `, one of ${names()}` : ''} (or left out)`);
  }
  if (typeof name === 'string') {
    const found = s.sessions.get(name);
    if (!found) throw new BadInputError(`No Redis Queues connection named "${name}"${sessions.length ? `: the connections are ${names()}` : ': none is configured'}`);
    return found;
  }
  if (sessions.length === 1) return sessions[0]!;
  if (!sessions.length) throw new BadInputError('No Redis Queues connection: add one (Redis Queues: Add Connection) or start the local sandbox first');
  const selected = s.view.selection.map(sessionOf).find((x) => x !== undefined);
  if (selected) return selected;
  throw new BadInputError(`Several Redis Queues connections: give "connection", one of ${names()}`);
}

/**
 * One agent tool (src/agent/tools/) as a VS Code language-model tool. Reads run on the
 * connection's session. Writes exist only while redisQueues.agent.allowWrites is on; their
 * prepareInvocation states the impact as a confirmation (the chat asks "Continue?"), they are
 * refused on read-only connections before anything is sent, and on production connections
 * `invoke` asks to type the stream or queue name, like the commands do.
 *
 * The connection is resolved once per call, in prepareInvocation, and `invoke` runs on exactly
 * that one (the confirmation names it): a tree selection changed in between cannot move the call
 * to another connection. A call whose connection is gone or changed since is refused.
 */
export class QueueTool implements vscode.LanguageModelTool<QueueToolInput> {
  /** The last preparation returned (the extension-host tests read it to see what was confirmed). */
  lastPrepared?: vscode.PreparedToolInvocation;

  constructor(
    readonly def: AgentTool,
    private readonly s: Services,
  ) {}

  /**
   * What prepareInvocation resolved, by the call's input, until invoke takes it. The latest wins:
   * VS Code prepares, confirms and invokes one call at a time, and a call whose confirmation was
   * declined is prepared but never invoked.
   */
  private readonly resolved = new Map<string, { session: Session | undefined }>();

  prepareInvocation(options: vscode.LanguageModelToolInvocationPrepareOptions<QueueToolInput>): vscode.PreparedToolInvocation {
    let session: Session | undefined;
    try {
      session = sessionFor(this.s, options.input);
    } catch {
      session = undefined; // invoke() says why
    }
    const key = callKey(options.input);
    this.resolved.delete(key);
    this.resolved.set(key, { session });
    if (this.resolved.size > MAX_PREPARED) this.resolved.delete(this.resolved.keys().next().value!);
    this.lastPrepared = this.prepare(options.input, session);
    return this.lastPrepared;
  }

  /**
   * The session a call runs on: the one its preparation resolved (and its confirmation named).
   * Refused when that connection was removed or replaced since, or when the preparation resolved
   * none. A read that was never prepared resolves now; a write that was never prepared (so never
   * confirmed) is refused.
   */
  private sessionToRun(input: QueueToolInput): Session {
    const key = callKey(input);
    const entry = this.resolved.get(key);
    this.resolved.delete(key);
    if (!entry) {
      if (this.def.write) throw new BadInputError(`${this.def.title} was refused: it was not prepared for confirmation first (VS Code prepares every tool call it runs). Nothing was sent.`);
      return sessionFor(this.s, input);
    }
    const prepared = entry.session;
    if (!prepared) {
      const now = sessionFor(this.s, input); // throws the reason it could not be resolved
      throw new BadInputError(`${this.def.title} was refused: when it was prepared no connection could be chosen, and now it would run on "${now.name}", which nobody confirmed. Give "connection". Nothing was sent.`);
    }
    if (this.s.sessions.get(prepared.name) !== prepared) {
      throw new BadInputError(`${this.def.title} was refused: the connection "${prepared.name}" it was prepared for was removed or changed since. Nothing was sent.`);
    }
    return prepared;
  }

  private prepare(input: QueueToolInput, session: Session | undefined): vscode.PreparedToolInvocation {
    const where = session ? ` on "${session.name}"` : '';
    if (!this.def.write) return { invocationMessage: `${this.def.title}${where}` };
    if (!writesAllowed()) return { invocationMessage: `${this.def.title}${where} (refused: write tools are off, see the redisQueues.agent.allowWrites setting)` };
    if (session?.readOnly) return { invocationMessage: `${this.def.title}${where} (refused: the connection is read-only)` };
    let impact: { impact: string; confirmName: string };
    try {
      impact = describeImpact(this.def, input, { ignore: [CONNECTION_INPUT] });
    } catch {
      return { invocationMessage: `${this.def.title}${where}` }; // a bad input: invoke() reports it, nothing runs
    }
    const production = session?.production ? `\n\n"${session.name}" is a production connection: you will be asked to type "${impact.confirmName}" to go ahead.` : '';
    return {
      invocationMessage: `${this.def.title}${where}`,
      confirmationMessages: { title: `${this.def.title}${where}?`, message: `${impact.impact}${session ? `\n\nConnection: "${session.name}".` : ''}${production}` },
    };
  }

  async invoke(options: vscode.LanguageModelToolInvocationOptions<QueueToolInput>, token: vscode.CancellationToken): Promise<vscode.LanguageModelToolResult> {
    const input = options.input ?? {};
    const session = this.sessionToRun(input);
    if (this.def.write) {
      // Refused before anything is sent: no connection is even opened.
      if (!writesAllowed()) {
        throw new BadInputError(`${this.def.title} was refused: the Redis Queues write tools are off. A person can turn them on with the setting redisQueues.agent.allowWrites. Nothing was sent.`);
      }
      if (session.readOnly) throw new ReadOnlyError(session.name, this.def.title.toLowerCase());
      const { impact, confirmName } = describeImpact(this.def, input, { ignore: [CONNECTION_INPUT] });
      if (session.production) {
        try {
          await confirmImpact(this.s, session, { message: `${this.def.title}?`, detail: impact, button: 'Continue', typeName: confirmName });
        } catch (e) {
          if (e instanceof Cancelled) throw new Error(`The user did not confirm by typing "${confirmName}" on the production connection "${session.name}": nothing was changed.`);
          throw e;
        }
      }
    }
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort());
    try {
      const settings = readSettings();
      const resolved = await this.s.store.resolve(session.entry);
      const secrets = connectionSecrets(resolved);
      const listQueueNames = [...new Set([...vscode.workspace.getConfiguration(SECTION).get<string[]>('listQueues.names', []), ...Object.keys(settings.listQueueLayouts)])];
      const r: ToolResultText = await session.run((inspector) => {
        inspector.setListQueueLayouts(settings.listQueueLayouts);
        return runAgentTool(this.def, { inspector, connection: session.name, readOnly: session.readOnly, thresholds: settings.thresholds, listQueueNames, secrets, signal: ac.signal }, input, { ignore: [CONNECTION_INPUT] });
      });
      if (this.def.write) this.s.provider.refresh();
      return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(r.summary), new vscode.LanguageModelTextPart(r.json)]);
    } finally {
      sub.dispose();
    }
  }
}

/** Preparations kept per tool (calls prepared and never run, e.g. declined, are forgotten past this). */
const MAX_PREPARED = 50;

/** The same input gives the same key (VS Code passes one input to prepareInvocation and invoke). */
function callKey(input: QueueToolInput | undefined): string {
  return JSON.stringify(input ?? {});
}

/** Registers every agent tool with vscode.lm (names as contributed in package.json). */
export function registerLmTools(s: Services): { tools: Map<string, QueueTool>; disposables: vscode.Disposable[] } {
  const tools = new Map<string, QueueTool>();
  const disposables: vscode.Disposable[] = [];
  for (const def of AGENT_TOOLS) {
    const tool = new QueueTool(def, s);
    tools.set(def.name, tool);
    try {
      disposables.push(vscode.lm.registerTool(def.name, tool));
    } catch (e) {
      // An editor without the language-model API (or a second activation in one host): the rest of the extension works on.
      console.warn(`[redis-queues] could not register the tool ${def.name}: ${(e as Error).message}`);
    }
  }
  return { tools, disposables };
}
