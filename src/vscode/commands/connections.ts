import * as vscode from 'vscode';
import { Inspector, parseRedisUrl, scrubSecrets, toQueueError } from '../../core/internal';
import { addConnectionHint } from '../connectionHints';
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

/** The value a "← Back" item of a pick returns. */
const BACK = '\u0000back';
const STEPS = 6;
const step = (n: number, title: string) => `${title} (${n}/${STEPS})`;

/**
 * The connection's questions, numbered 1 to 6 (name, URL, mode — with the sentinel master name —,
 * ACL user, password, options). The picks (mode, options) offer "← Back" to the question before;
 * input boxes have no such button in this prompt API (Escape cancels the whole flow).
 */
async function prompt(s: Services, base?: ConnectionInput): Promise<ConnectionInput> {
  const taken = new Set(s.store.list().map((e) => e.config.name));
  if (base) taken.delete(base.name);
  const v: Partial<ConnectionInput> & { flags?: string[] } = { ...base };
  let at = 1;
  while (at <= STEPS) {
    if (at === 1) {
      v.name = required(
        await s.ui.input({
          title: step(1, 'Connection name'),
          value: v.name ?? 'local',
          validate: (x) => (!x.trim() ? 'A name is required' : taken.has(x.trim()) ? 'A connection with this name exists' : undefined),
        }),
      ).trim();
    } else if (at === 2) {
      v.url = required(
        await s.ui.input({
          title: step(2, 'Redis URL'),
          prompt: 'redis://host:port[/db], or rediss:// for TLS. A password typed here is moved to secret storage.',
          value: v.url ?? 'redis://127.0.0.1:6379',
          validate: validateUrl,
        }),
      ).trim();
      const urlError = validateUrl(v.url);
      if (urlError) throw new Error(urlError);
    } else if (at === 3) {
      const mode = required(
        await s.ui.pick<NonNullable<ConnectionConfig['mode']> | typeof BACK>(
          [
            { label: 'standalone', description: 'one server (or a replica)', value: 'standalone' },
            { label: 'cluster', description: 'Redis Cluster: any node as the seed', value: 'cluster' },
            { label: 'sentinel', description: 'the URL names a sentinel; you give the master name', value: 'sentinel' },
            { label: '← Back', description: 'to the Redis URL', value: BACK },
          ],
          { title: step(3, 'Mode') },
        ),
      );
      if (mode === BACK) {
        at--;
        continue;
      }
      v.mode = mode;
      v.sentinel = undefined;
      if (mode === 'sentinel') {
        const masterName = required(await s.ui.input({ title: step(3, 'Sentinel master name'), value: base?.sentinel?.masterName ?? 'mymaster' }));
        const p = parseRedisUrl(v.url!);
        v.sentinel = { masterName, sentinels: [`${p.host}:${p.port}`] };
      }
    } else if (at === 4) {
      v.username = required(await s.ui.input({ title: `${step(4, 'ACL username')}, empty for the default user`, value: v.username ?? '' })).trim() || undefined;
    } else if (at === 5) {
      v.password = required(await s.ui.input({ title: `${step(5, 'Password')}, kept in VS Code secret storage; empty for none / unchanged`, password: true, value: v.password ?? '' })) || undefined;
    } else {
      const was = (k: string, fallback: boolean) => (v.flags ? v.flags.includes(k) : fallback);
      const flags = required(
        await s.ui.pickMany<string>(
          [
            { label: 'Read-only', description: 'refuse every write from this connection', picked: was('readOnly', Boolean(base?.readOnly)), value: 'readOnly' },
            { label: 'Production', description: 'destructive actions ask to type the stream name', picked: was('production', Boolean(base?.production)), value: 'production' },
            ...(v.url!.startsWith('rediss://') ? [{ label: 'Skip TLS certificate verification', description: 'insecure; shown on the connection', picked: was('insecure', base?.tls?.rejectUnauthorized === false), value: 'insecure' }] : []),
          ],
          { title: step(6, 'Options'), back: BACK },
        ),
      );
      if (flags.includes(BACK)) {
        v.flags = flags.filter((f) => f !== BACK);
        at--;
        continue;
      }
      v.flags = flags;
    }
    at++;
  }
  const has = (k: string) => v.flags!.includes(k);
  return {
    name: v.name!,
    url: v.url!,
    mode: v.mode,
    sentinel: v.sentinel,
    username: v.username,
    password: v.password,
    readOnly: has('readOnly') || undefined,
    production: has('production') || undefined,
    tls: has('insecure') ? { ...(base?.tls ?? {}), rejectUnauthorized: false } : base?.tls?.rejectUnauthorized === false ? { ...base.tls, rejectUnauthorized: undefined } : base?.tls,
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

/**
 * Add Connection. Asked step by step (see {@link prompt}), then tested (with progress) before it is
 * saved; a failed test offers Save anyway / Edit / Cancel with a hint for the usual causes. With an
 * object argument (`{ name, url, … }`: tests, other extensions, the welcome view) it saves without
 * asking or testing.
 */
export async function addConnection(s: Services, arg?: ConnectionInput): Promise<string> {
  if (arg && typeof arg === 'object' && 'url' in arg) {
    const err = validateUrl(arg.url);
    if (err) throw new Error(err);
    const { password, ...config } = arg;
    await s.store.save(config, password);
    return arg.name;
  }
  return testThenSave(s, await prompt(s));
}

/**
 * Tests a connection before saving it; when the test fails, says why and offers Save anyway,
 * Edit (the steps again, with what was typed) or Cancel.
 */
async function testThenSave(s: Services, first: ConnectionInput): Promise<string> {
  let input = first;
  for (;;) {
    try {
      const v = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Testing ${input.name}…` }, () => testConnection(s, input));
      s.ui.info(`Connected to ${input.name}: ${v}`);
      break;
    } catch (e) {
      const message = scrubSecrets(toQueueError(e).message);
      const hint = addConnectionHint(e, input.url);
      const choice = required(
        await s.ui.pick(
          [
            { label: 'Save anyway', description: 'fix it later with Edit Connection', value: 'save' as const },
            { label: 'Edit', description: 'go through the steps again, with what you typed', value: 'edit' as const },
            { label: 'Cancel', description: 'save nothing', value: 'cancel' as const },
          ],
          { title: `${message}${hint ? ` — ${hint}` : ''}`, placeHolder: hint },
        ),
      );
      if (choice === 'cancel') throw new Cancelled();
      if (choice === 'save') break;
      input = await prompt(s, input);
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
/** "Connect to 127.0.0.1:6379": tested before it is saved, like Add Connection (nothing may listen there any more). */
export async function addLocalConnection(s: Services): Promise<string> {
  const taken = new Set(s.store.list().map((e) => e.config.name));
  let name = 'localhost';
  for (let i = 2; taken.has(name); i++) name = `localhost-${i}`;
  return testThenSave(s, { name, url: 'redis://127.0.0.1:6379' });
}
