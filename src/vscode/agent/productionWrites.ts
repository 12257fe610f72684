import * as vscode from 'vscode';
import { ReadOnlyError } from '../../core/internal';
import { required } from '../commands/command';
import { confirmImpact, sessionOf } from '../commands/target';
import type { Session } from '../connections/session';
import type { Services } from '../services';
import { SECTION } from '../settings';

/**
 * The setting naming the production connections whose MCP servers may write: connection names,
 * user settings only (scope "application": a workspace cannot add one). Set by
 * {@link allowProductionWrites}, which asks to type the connection's name.
 */
export const PRODUCTION_WRITES_SETTING = 'agent.productionWrites';

/** The production connections the user allowed agent writes on, by name. */
export function productionWritesAllowed(name: string): boolean {
  const names = vscode.workspace.getConfiguration(SECTION).get<unknown>(PRODUCTION_WRITES_SETTING, []);
  return Array.isArray(names) && names.includes(name);
}

/**
 * "Allow Agent Writes on a Production Connection…": the MCP server offered for a production
 * connection starts read-only (an MCP client confirms a call, but nobody types a name as the
 * commands and chat tools ask on production) until the user allows it here for that connection,
 * typing its name. The connection comes from the tree, a name, or a pick among the production ones.
 */
export async function allowProductionWrites(s: Services, arg?: unknown): Promise<void> {
  const session = await productionSession(s, arg);
  if (session.readOnly) throw new ReadOnlyError(session.name, 'allowing agent writes');
  const detail =
    `The MCP server offered for "${session.name}" will start with --allow-writes${vscode.workspace.getConfiguration(SECTION).get<boolean>('agent.allowWrites') ? '' : ' once redisQueues.agent.allowWrites is on'}: ` +
    'an AI agent may then acknowledge, claim, dead-letter, replay and requeue on this production connection, each call confirmed in its MCP client, without typing names. ' +
    `To take it back, remove "${session.name}" from the setting redisQueues.${PRODUCTION_WRITES_SETTING}.`;
  await confirmImpact(s, session, { message: 'Allow agent writes', detail, button: 'Allow', typeName: session.name });
  const c = vscode.workspace.getConfiguration(SECTION);
  const current = c.inspect<unknown>(PRODUCTION_WRITES_SETTING)?.globalValue;
  const names = Array.isArray(current) ? current.filter((x): x is string => typeof x === 'string') : [];
  if (!names.includes(session.name)) await c.update(PRODUCTION_WRITES_SETTING, [...names, session.name], vscode.ConfigurationTarget.Global);
  s.ui.info(`Agent writes allowed on the production connection "${session.name}" (its MCP server, while redisQueues.agent.allowWrites is on).`);
}

async function productionSession(s: Services, arg: unknown): Promise<Session> {
  const named = typeof arg === 'string' ? s.sessions.get(arg) : sessionOf(arg);
  if (typeof arg === 'string' && !named) throw new Error(`No Redis Queues connection named "${arg}"`);
  if (named) {
    if (!named.production) throw new Error(`"${named.name}" is not a production connection: its MCP server writes with redisQueues.agent.allowWrites alone`);
    return named;
  }
  const production = s.sessions.list().filter((x) => x.production && !x.readOnly);
  if (!production.length) throw new Error('No production connection that can write: mark a connection as production first (Edit Connection)');
  return required(await s.ui.pick(production.map((x) => ({ label: x.name, description: x.entry.config.url, value: x })), { title: 'Allow agent writes on which production connection?' }));
}
