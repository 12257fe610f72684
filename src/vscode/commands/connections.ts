import * as vscode from 'vscode';
import { Inspector, parseRedisUrl, scrubSecrets } from '../../core';
import type { ConnectionConfig } from '../settings';
import type { Services } from '../services';
import { ConnectionNode } from '../tree/explorerNodes';
import { Cancelled, required } from './command';

/** Arguments a caller (a test, another extension, a walkthrough) may pass to skip the prompts. */
export interface ConnectionInput extends ConnectionConfig {
  password?: string;
}

function nameOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof ConnectionNode) return arg.session.name;
  return undefined;
}

async function pickConnection(s: Services, arg: unknown, title: string): Promise<string> {
  const given = nameOf(arg);
  if (given) return given;
  const items = s.store.list().filter((e) => e.origin === 'user').map((e) => ({ label: e.config.name, description: e.config.url }));
  if (!items.length) throw new Cancelled();
  return required(await s.ui.pick(items.map((i) => ({ ...i, value: i.label })), { title }));
}

function validateUrl(v: string): string | undefined {
  try {
    parseRedisUrl(v);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

async function prompt(s: Services, base?: ConnectionInput): Promise<ConnectionInput> {
  const taken = new Set(s.store.list().map((e) => e.config.name));
  if (base) taken.delete(base.name);
  const name = required(
    await s.ui.input({
      title: 'Connection name (1/5)',
      value: base?.name ?? 'local',
      validate: (v) => (!v.trim() ? 'A name is required' : taken.has(v.trim()) ? 'A connection with this name exists' : undefined),
    }),
  ).trim();
  const url = required(
    await s.ui.input({
      title: 'Redis URL (2/5)',
      prompt: 'redis://host:port[/db], or rediss:// for TLS. A password typed here is moved to secret storage.',
      value: base?.url ?? 'redis://127.0.0.1:6379',
      validate: validateUrl,
    }),
  ).trim();
  const urlError = validateUrl(url);
  if (urlError) throw new Error(urlError);
  const mode = required(
    await s.ui.pick<NonNullable<ConnectionConfig['mode']>>(
      [
        { label: 'standalone', description: 'one server (or a replica)', value: 'standalone' },
        { label: 'cluster', description: 'Redis Cluster: any node as the seed', value: 'cluster' },
        { label: 'sentinel', description: 'the URL names a sentinel; you give the master name', value: 'sentinel' },
      ],
      { title: 'Mode (3/5)' },
    ),
  );
  let sentinel: ConnectionConfig['sentinel'];
  if (mode === 'sentinel') {
    const masterName = required(await s.ui.input({ title: 'Sentinel master name', value: base?.sentinel?.masterName ?? 'mymaster' }));
    const p = parseRedisUrl(url);
    sentinel = { masterName, sentinels: [`${p.host}:${p.port}`] };
  }
  const username = required(await s.ui.input({ title: 'ACL username (4/5), empty for the default user', value: base?.username ?? '' })).trim();
  const password = required(await s.ui.input({ title: 'Password (5/5), kept in VS Code secret storage; empty for none / unchanged', password: true, value: '' }));
  const flags = required(
    await s.ui.pickMany<string>(
      [
        { label: 'Read-only', description: 'refuse every write from this connection', picked: Boolean(base?.readOnly), value: 'readOnly' },
        { label: 'Production', description: 'destructive actions ask to type the stream name', picked: Boolean(base?.production), value: 'production' },
        ...(url.startsWith('rediss://') ? [{ label: 'Skip TLS certificate verification', description: 'insecure; shown on the connection', picked: base?.tls?.rejectUnauthorized === false, value: 'insecure' }] : []),
      ],
      { title: 'Options' },
    ),
  );
  const has = (k: string) => flags.includes(k);
  return {
    name,
    url,
    mode,
    sentinel,
    username: username || undefined,
    password: password || undefined,
    readOnly: has('readOnly') || undefined,
    production: has('production') || undefined,
    tls: has('insecure') ? { ...(base?.tls ?? {}), rejectUnauthorized: false } : base?.tls,
  };
}

/** Opens a connection, reads the server version, closes it. Throws a readable error. */
export async function testConnection(s: Services, input: ConnectionInput): Promise<string> {
  const options = await s.store.resolve({ config: input, origin: 'user' });
  if (input.password) options.password = input.password;
  const inspector = await Inspector.open(options);
  try {
    const srv = await inspector.serverSummary();
    return `Redis ${srv.version} (${srv.mode}${srv.mode === 'cluster' ? `, ${srv.masters} masters` : ''}, ${srv.role})`;
  } finally {
    inspector.close();
  }
}

export async function addConnection(s: Services, arg?: ConnectionInput): Promise<string> {
  const input = arg && typeof arg === 'object' && 'url' in arg ? arg : await prompt(s);
  const err = validateUrl(input.url);
  if (err) throw new Error(err);
  if (!arg) {
    try {
      const v = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Testing ${input.name}…` }, () => testConnection(s, input));
      s.ui.info(`Connected to ${input.name}: ${v}`);
    } catch (e) {
      if (!(await s.ui.confirm(`${scrubSecrets((e as Error).message)}. Save the connection anyway?`, 'The connection is saved as typed; fix it later with Edit Connection.', 'Save'))) throw new Cancelled();
    }
  }
  const { password, ...config } = input;
  await s.store.save(config, password);
  return input.name;
}

export async function editConnection(s: Services, arg?: unknown): Promise<string> {
  const name = await pickConnection(s, arg, 'Edit connection');
  const entry = s.store.get(name);
  if (!entry || entry.origin !== 'user') throw new Error(`"${name}" is not a connection from your user settings; edit it where it is defined.`);
  const input = await prompt(s, entry.config);
  const { password, ...config } = input;
  await s.store.save(config, password, name);
  s.sessions.get(input.name)?.retry();
  return input.name;
}

export async function removeConnection(s: Services, arg?: unknown, options?: { confirm?: boolean }): Promise<boolean> {
  const name = await pickConnection(s, arg, 'Remove connection');
  if (options?.confirm !== false) {
    if (!(await s.ui.confirm(`Remove the connection "${name}"?`, 'Its stored password is deleted. Nothing on the server changes.', 'Remove'))) return false;
  }
  await s.store.remove(name);
  await s.provider.known.drop(name);
  return true;
}

export async function testConnectionCommand(s: Services, arg?: unknown): Promise<string> {
  const name = nameOf(arg) ?? (await pickConnection(s, arg, 'Test connection'));
  const entry = s.store.get(name);
  if (!entry) throw new Error(`No connection "${name}"`);
  const v = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Testing ${name}…` }, () => testConnection(s, entry.config));
  s.ui.info(`${name}: ${v}`);
  return v;
}

export function retryConnection(s: Services, arg?: unknown, force = false): void {
  const name = nameOf(arg);
  const targets = name ? [s.sessions.get(name)].filter(Boolean) : s.sessions.list();
  for (const session of targets) session!.retry(force);
  s.provider.refresh();
}

/** Adds `redis://127.0.0.1:6379` (offered by the welcome view when something answers there). */
export async function addLocalConnection(s: Services): Promise<string> {
  return addConnection(s, { name: 'localhost', url: 'redis://127.0.0.1:6379' });
}
