import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import { stripPassword } from '../../core/internal';
import type { ConnectionEntry } from '../connections/connectionStore';
import type { Services } from '../services';
import { SECTION, readSettings } from '../settings';
import { writesAllowed } from './lmTools';
import { productionWritesAllowed } from './productionWrites';

/** The id under `contributes.mcpServerDefinitionProviders`. */
export const MCP_PROVIDER_ID = 'redisQueues.mcpServers';

const LABEL_PREFIX = 'Redis Queues: ';

/** Environment variables the server reads; each is set (or removed, null) so nothing leaks in from the editor's own environment. */
const ENV_NAMES = ['REDIS_URL', 'REDIS_USER', 'REDIS_PASSWORD', 'REDIS_SENTINELS', 'REDIS_MASTER_NAME', 'REDIS_SENTINEL_PASSWORD', 'REDIS_TLS_CA', 'REDIS_TLS_CERT', 'REDIS_TLS_KEY', 'REDIS_TLS_PASSPHRASE', 'RQ_READ_ONLY', 'RQ_TIMEOUT_MS'] as const;

/**
 * Offers `redis-queues mcp` to VS Code's MCP support, one stdio server per configured connection
 * (those of an untrusted workspace left out): `node <extension>/dist/cli.js mcp --url <url without
 * password> ...`. Secrets (password, TLS key material and passphrase, Sentinel password) are
 * read from SecretStorage only when VS Code starts a server, and passed in its environment,
 * never on its command line. Read-only connections get `--read-only`; writes are offered only
 * while redisQueues.agent.allowWrites is on, and on a production connection only once the user
 * allowed it for that connection by typing its name (productionWrites.ts). What starts is built
 * from the connection as it is then (resolveMcpServerDefinition), never from an older offer.
 */
export class McpServers implements vscode.McpServerDefinitionProvider<vscode.McpStdioServerDefinition>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeMcpServerDefinitions = this.changed.event;
  private readonly subs: vscode.Disposable[];

  constructor(private readonly s: Services) {
    this.subs = [
      s.store.onDidChange(() => this.changed.fire()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SECTION)) this.changed.fire();
      }),
    ];
  }

  dispose(): void {
    for (const d of this.subs) d.dispose();
    this.changed.dispose();
  }

  provideMcpServerDefinitions(): vscode.McpStdioServerDefinition[] {
    const out: vscode.McpStdioServerDefinition[] = [];
    for (const entry of this.s.store.list()) {
      if (!this.s.store.mayAutoConnect(entry)) continue;
      try {
        out.push(this.definition(entry));
      } catch (e) {
        console.warn(`[redis-queues] no MCP server for "${entry.config.name}": ${(e as Error).message}`);
      }
    }
    return out;
  }

  /** Fills the server's environment with the connection's secrets, just before VS Code starts it. */
  async resolveMcpServerDefinition(server: vscode.McpStdioServerDefinition): Promise<vscode.McpStdioServerDefinition | undefined> {
    const name = server.label.startsWith(LABEL_PREFIX) ? server.label.slice(LABEL_PREFIX.length) : server.label;
    const entry = this.s.store.get(name);
    if (!entry || !this.s.store.mayAutoConnect(entry)) return undefined;
    // The connection may have changed since it was offered (read-only, production, its URL): start it as it is now.
    server.args = this.definition(entry).args;
    const o = await this.s.store.resolve(entry);
    const tls = entry.config.tls;
    server.env = {
      ...server.env,
      REDIS_PASSWORD: o.password ?? null,
      REDIS_TLS_PASSPHRASE: o.tls?.passphrase ?? null,
      REDIS_SENTINEL_PASSWORD: o.sentinel?.sentinelPassword ?? null,
      // Paths or PEM text (a key in PEM text is a secret: never an argument).
      REDIS_TLS_CA: tls?.ca || null,
      REDIS_TLS_CERT: tls?.cert || null,
      REDIS_TLS_KEY: tls?.key || null,
    };
    return server;
  }

  /** The server of one connection, without its secrets (see {@link resolveMcpServerDefinition}). */
  definition(entry: ConnectionEntry): vscode.McpStdioServerDefinition {
    const c = entry.config;
    const settings = readSettings();
    const args = [vscode.Uri.joinPath(this.s.context.extensionUri, 'dist', 'cli.js').fsPath, 'mcp', '--url', stripPassword(c.url).url, '--name', c.name];
    if (c.mode === 'cluster') args.push('--cluster');
    if (c.mode === 'sentinel' && c.sentinel) args.push('--sentinel', c.sentinel.sentinels.join(','), '--master-name', c.sentinel.masterName);
    if (c.username) args.push('--user', c.username);
    if (c.tls?.servername) args.push('--tls-servername', c.tls.servername);
    if (c.tls?.rejectUnauthorized === false) args.push('--tls-insecure');
    if (c.readOnly) args.push('--read-only');
    else if (mcpWrites(c)) args.push('--allow-writes');
    const th = settings.thresholds;
    args.push('--poison-deliveries', String(th.poisonDeliveries), '--stuck-idle', String(Math.round(th.stuckIdleMs)), '--lag-warning', String(th.lagWarning), '--wait', String(settings.commandTimeoutMs));
    const names = [...new Set([...vscode.workspace.getConfiguration(SECTION).get<string[]>('listQueues.names', []), ...Object.keys(settings.listQueueLayouts)])];
    for (const n of names) args.push('--list-queue', n);
    const env: Record<string, string | number | null> = Object.fromEntries(ENV_NAMES.map((n) => [n, null]));
    // The editor's own runtime runs the bundled CLI (Electron acts as Node with this set).
    env['ELECTRON_RUN_AS_NODE'] = '1';
    const version = `${String(this.s.context.extension.packageJSON.version)}+${createHash('sha256').update(JSON.stringify([args, c.tls ?? null])).digest('hex').slice(0, 12)}`;
    return new vscode.McpStdioServerDefinition(`${LABEL_PREFIX}${c.name}`, process.execPath, args, env, version);
  }
}

/** Whether the MCP server of a connection that can write is offered the write tools. */
export function mcpWrites(c: { name: string; readOnly?: boolean; production?: boolean }): boolean {
  return !c.readOnly && writesAllowed() && (!c.production || productionWritesAllowed(c.name));
}

/** Registers the provider (in an editor without MCP support, does nothing). */
export function registerMcpServers(s: Services): { provider: McpServers; disposables: vscode.Disposable[] } {
  const provider = new McpServers(s);
  const disposables: vscode.Disposable[] = [provider];
  try {
    disposables.push(vscode.lm.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, provider));
  } catch (e) {
    console.warn(`[redis-queues] could not offer the MCP servers: ${(e as Error).message}`);
  }
  return { provider, disposables };
}
