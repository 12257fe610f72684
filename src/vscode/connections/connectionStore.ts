import * as vscode from 'vscode';
import { type ConnectionOptions, parseRedisUrl, stripPassword } from '../../core/internal';
import { type ConnectionConfig, type ConnectionOrigin, SECTION } from '../settings';

/** A connection as the extension knows it: its settings, origin, and (lazily) its secrets. */
export interface ConnectionEntry {
  config: ConnectionConfig;
  origin: ConnectionOrigin;
  /** For sandbox connections: a fixed password-less URL that lives only while the sandbox runs. */
  ephemeral?: boolean;
}

type SecretKind = 'password' | 'tlsPassphrase' | 'sentinelPassword';

/**
 * Connections from the `redisQueues.connections` setting (user and workspace) plus ephemeral
 * ones (the sandbox). Passwords live in SecretStorage only; a password typed into a URL is moved
 * there and stripped from the setting.
 */
export class ConnectionStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly ephemeral = new Map<string, ConnectionEntry>();
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.connections`)) {
          void this.migrateUrlPasswords().finally(() => this.changed.fire());
        }
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.changed.fire()),
    );
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  /** All connections: user settings, then workspace settings, then ephemeral ones. */
  list(): ConnectionEntry[] {
    const inspected = vscode.workspace.getConfiguration(SECTION).inspect<ConnectionConfig[]>('connections');
    const out: ConnectionEntry[] = [];
    const seen = new Set<string>();
    const add = (items: ConnectionConfig[] | undefined, origin: ConnectionOrigin) => {
      for (const c of items ?? []) {
        if (!c || typeof c.name !== 'string' || typeof c.url !== 'string' || seen.has(c.name)) continue;
        seen.add(c.name);
        out.push({ config: c, origin });
      }
    };
    add(inspected?.globalValue, 'user');
    add(inspected?.workspaceValue, 'workspace');
    add(inspected?.workspaceFolderValue, 'workspace');
    for (const e of this.ephemeral.values()) if (!seen.has(e.config.name)) out.push(e);
    return out;
  }

  get(name: string): ConnectionEntry | undefined {
    return this.list().find((e) => e.config.name === name);
  }

  /** Whether the extension may connect without asking: not a workspace-defined one in Restricted Mode. */
  mayAutoConnect(entry: ConnectionEntry): boolean {
    return entry.origin !== 'workspace' || vscode.workspace.isTrusted;
  }

  addEphemeral(config: ConnectionConfig): void {
    this.ephemeral.set(config.name, { config, origin: 'sandbox', ephemeral: true });
    this.changed.fire();
  }

  removeEphemeral(name: string): void {
    if (this.ephemeral.delete(name)) this.changed.fire();
  }

  /** Adds or replaces a connection in user settings; a password goes to SecretStorage. */
  async save(config: ConnectionConfig, password?: string, previousName?: string): Promise<void> {
    const { url, password: fromUrl } = stripPassword(config.url);
    const clean: ConnectionConfig = dropUndefined({ ...config, url });
    const secret = password ?? fromUrl;
    if (secret !== undefined && secret !== '') await this.setSecret(clean.name, 'password', secret);
    const cfg = vscode.workspace.getConfiguration(SECTION);
    const current = [...(cfg.inspect<ConnectionConfig[]>('connections')?.globalValue ?? [])];
    const idx = current.findIndex((c) => c.name === (previousName ?? clean.name));
    if (idx >= 0) current[idx] = clean;
    else current.push(clean);
    if (previousName && previousName !== clean.name) await this.moveSecrets(previousName, clean.name);
    await cfg.update('connections', current, vscode.ConfigurationTarget.Global);
    this.changed.fire();
  }

  /** Removes a connection from user settings and deletes its secrets. */
  async remove(name: string): Promise<void> {
    const cfg = vscode.workspace.getConfiguration(SECTION);
    const current = cfg.inspect<ConnectionConfig[]>('connections')?.globalValue ?? [];
    const next = current.filter((c) => c.name !== name);
    if (next.length !== current.length) await cfg.update('connections', next, vscode.ConfigurationTarget.Global);
    await this.deleteSecrets(name);
    this.changed.fire();
  }

  async getSecret(name: string, kind: SecretKind): Promise<string | undefined> {
    return this.secrets.get(secretKey(name, kind));
  }

  async setSecret(name: string, kind: SecretKind, value: string | undefined): Promise<void> {
    if (value === undefined || value === '') await this.secrets.delete(secretKey(name, kind));
    else await this.secrets.store(secretKey(name, kind), value);
  }

  async deleteSecrets(name: string): Promise<void> {
    for (const k of SECRET_KINDS) await this.secrets.delete(secretKey(name, k));
  }

  private async moveSecrets(from: string, to: string): Promise<void> {
    for (const k of SECRET_KINDS) {
      const v = await this.secrets.get(secretKey(from, k));
      if (v !== undefined) await this.secrets.store(secretKey(to, k), v);
      await this.secrets.delete(secretKey(from, k));
    }
  }

  /** Core connection options with secrets filled in from SecretStorage. */
  async resolve(entry: ConnectionEntry): Promise<ConnectionOptions> {
    const c = entry.config;
    const [password, passphrase, sentinelPassword] = await Promise.all(SECRET_KINDS.map((k) => this.getSecret(c.name, k)));
    let url = c.url;
    let fromUrl: string | undefined;
    try {
      const s = stripPassword(c.url);
      url = s.url;
      fromUrl = s.password;
    } catch {
      /* invalid URL: reported when connecting */
    }
    return {
      url,
      mode: c.mode ?? 'standalone',
      username: c.username || undefined,
      password: password ?? fromUrl,
      tls: c.tls ? { ...c.tls, passphrase } : undefined,
      sentinel: c.sentinel ? { ...c.sentinel, sentinelPassword } : undefined,
      readOnly: c.readOnly,
      clientName: 'redis-queues-vscode',
    };
  }

  /**
   * Moves any password typed into a URL in user settings to SecretStorage and strips it from the
   * setting. Workspace settings are reported, not rewritten (they may be shared files).
   */
  async migrateUrlPasswords(): Promise<number> {
    const cfg = vscode.workspace.getConfiguration(SECTION);
    const current = cfg.inspect<ConnectionConfig[]>('connections')?.globalValue;
    if (!current?.length) return 0;
    let moved = 0;
    const next = await Promise.all(
      current.map(async (c) => {
        try {
          if (!c?.url || !parseRedisUrl(c.url).password) return c;
          const { url, password } = stripPassword(c.url);
          await this.setSecret(c.name, 'password', password);
          moved++;
          return { ...c, url };
        } catch {
          return c;
        }
      }),
    );
    if (moved) await cfg.update('connections', next, vscode.ConfigurationTarget.Global);
    return moved;
  }
}

const SECRET_KINDS: SecretKind[] = ['password', 'tlsPassphrase', 'sentinelPassword'];

function secretKey(name: string, kind: SecretKind): string {
  return `redisQueues.connection.${kind}:${name}`;
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as T;
}
