import type * as vscode from 'vscode';

/** globalState key: connection name → its recent search texts, most recent first. */
const KEY = 'redisQueues.search.recent';
/** How many recent searches are kept per connection. */
export const RECENT_MAX = 20;

type Recent = Record<string, string[]>;

/** The recent search texts of a connection, most recent first. */
export function recentSearches(state: vscode.Memento, connection: string): string[] {
  const all = state.get<Recent>(KEY, {});
  const list = all && typeof all === 'object' ? all[connection] : undefined;
  return Array.isArray(list) ? list.filter((t) => typeof t === 'string') : [];
}

/** Puts `text` first in the connection's recent searches (once: an earlier copy moves up), keeping at most {@link RECENT_MAX}. */
export async function rememberSearch(state: vscode.Memento, connection: string, text: string): Promise<void> {
  const t = text.trim();
  if (!t) return;
  const all = { ...state.get<Recent>(KEY, {}) };
  all[connection] = [t, ...recentSearches(state, connection).filter((x) => x !== t)].slice(0, RECENT_MAX);
  await state.update(KEY, all);
}

