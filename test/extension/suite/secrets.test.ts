// Secrets inside a real VS Code: a connection with an ACL user and a password (given to
// `redisQueues.connection.add` as its own field) is used, made to fail authentication (a wrong
// stored secret) and made to fail a command (NOPERM); neither the real nor the wrong password may
// then appear in the user settings (as VS Code reports them and as the file on disk), in anything
// the extension logged to the console, in the errors the commands produced, or in the tree's
// labels, descriptions and tooltips.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { format, inspect } from 'node:util';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { open, quit } from '../../../src/core/redis/connection';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import type { Node } from '../../../src/vscode/tree/node';
import type { PickItem, Prompter } from '../../../src/vscode/ui';
import { commandFailure, desc, label, tree, until } from '../helpers';

const EXT = 'redis-queues.redis-queues';
let api: RedisQueuesApi;
const { kids, child } = tree(() => api);

/** Confirms every confirmation, cancels every other prompt; keeps what it was told. */
function yesPrompter(): Prompter & { said: string[] } {
  const said: string[] = [];
  return {
    said,
    async pick<T>(_items: PickItem<T>[], o: { title: string }) {
      said.push(o.title);
      return undefined;
    },
    async pickMany<T>(_items: PickItem<T>[], o: { title: string }) {
      said.push(o.title);
      return undefined;
    },
    async input(o: { title: string; prompt?: string }) {
      said.push(`${o.title} ${o.prompt ?? ''}`);
      return undefined;
    },
    async confirm(message: string, detail: string) {
      said.push(`${message} ${detail}`);
      return true;
    },
    info: (m: string) => void said.push(m),
    warn: (m: string) => void said.push(m),
  };
}

/** The text a tree item shows: label, description and tooltip (plain or markdown). */
function itemText(n: Node): string {
  const t = n.item();
  const tip = t.tooltip instanceof vscode.MarkdownString ? t.tooltip.value : String(t.tooltip ?? '');
  return `${label(n)} | ${desc(n)} | ${tip}`;
}

/** The texts of a node and its descendants down to `depth` levels. */
async function subtreeText(n: Node, depth: number): Promise<string[]> {
  const out = [itemText(n)];
  if (depth > 0) for (const c of await kids(n).catch(() => [] as Node[])) out.push(...(await subtreeText(c, depth - 1)));
  return out;
}

/** `<user-data-dir>/User/settings.json`, found above the extension's global storage. */
function userSettingsFile(): string {
  let dir = api.services.context.globalStorageUri.fsPath;
  for (let i = 0; i < 5; i++) {
    dir = dirname(dir);
    const f = join(dir, 'settings.json');
    if (existsSync(f)) return f;
    const g = join(dir, 'User', 'settings.json');
    if (existsSync(g)) return g;
  }
  throw new Error(`no settings.json above ${api.services.context.globalStorageUri.fsPath}`);
}

/** Every string a thrown value carries: message, stack, and the same for its causes. */
function errorText(e: unknown, depth = 0): string {
  if (!(e instanceof Error) || depth > 5) return String(e);
  return [e.message, e.stack ?? '', ...(e.cause === undefined ? [] : [errorText(e.cause, depth + 1)])].join('\n');
}

describe('(extension) secrets stay secret', function () {
  this.timeout(60_000);
  const prefix = `sec-${randomUUID().slice(0, 8)}`;
  const user = `rq-${prefix}`;
  const name = `acl-${prefix}`;
  const password = `pw-${randomUUID()}`;
  const wrong = `wrong-${randomUUID()}`;
  const stream = `${prefix}:orders`;
  const redisUrl = new URL(process.env.REDIS_URL!);
  let client: Redis;
  const logged: string[] = [];
  const errors: unknown[] = [];
  const realConsole = globalThis.console;

  const noSecret = (where: string, text: string) => {
    for (const [what, secret] of [['password', password], ['wrong password', wrong]] as const) {
      assert.ok(!text.includes(secret), `the ${what} appears in ${where}: ${text.slice(0, 2000)}`);
    }
  };

  /** Runs a command that must fail and returns its error (see commandFailure). */
  async function thrown(command: string, ...args: unknown[]): Promise<unknown> {
    const e = await commandFailure(api, () => vscode.commands.executeCommand(command, ...args), command);
    errors.push(e);
    return e;
  }

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    client = (await open({ url: process.env.REDIS_URL! })) as Redis;
    // Everything but XTRIM, so a trim is a command error after a good login.
    await client.call('ACL', 'SETUSER', user, 'on', `>${password}`, '~*', '&*', '+@all', '-xtrim');
    for (let i = 0; i < 5; i++) await client.xadd(stream, '*', 'n', String(i));
    await client.xgroup('CREATE', stream, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'alice', 'COUNT', 2, 'STREAMS', stream, '>');
    const cfg = vscode.workspace.getConfiguration('redisQueues');
    await cfg.update('streamFilter', `${prefix}:*`, vscode.ConfigurationTarget.Global);
    await cfg.update('refreshIntervalSeconds', 0, vscode.ConfigurationTarget.Global);
    // From here on, everything the extension host prints is kept (and still printed). VS Code's
    // console forwarder defines console.log & co. as getters whose setters ignore assignments, so
    // the global `console` itself is replaced by a recording one (code looks it up at call time).
    const recording = Object.create(realConsole) as Console;
    for (const k of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      Object.defineProperty(recording, k, {
        value: (...a: unknown[]) => {
          logged.push(format(...a));
          (realConsole[k] as (...x: unknown[]) => void)(...a);
        },
      });
    }
    Object.defineProperty(globalThis, 'console', { value: recording, writable: true, configurable: true });
  });

  after(async () => {
    Object.defineProperty(globalThis, 'console', { value: realConsole, writable: true, configurable: true });
    api.services.ui = (await import('../../../src/vscode/ui')).vscodePrompter;
    await vscode.commands.executeCommand('redisQueues.connection.remove', name, { confirm: false });
    const cfg = vscode.workspace.getConfiguration('redisQueues');
    await cfg.update('streamFilter', undefined, vscode.ConfigurationTarget.Global);
    await cfg.update('refreshIntervalSeconds', undefined, vscode.ConfigurationTarget.Global);
    await client.call('ACL', 'DELUSER', user);
    await client.del(stream);
    await quit(client);
  });

  it('connects with the password kept in SecretStorage only', async () => {
    await vscode.commands.executeCommand('redisQueues.connection.add', { name, url: `redis://${redisUrl.host}`, username: user, password });
    await until(`session ${name}`, () => Boolean(api.services.sessions.get(name)));
    assert.equal(await api.services.context.secrets.get(`redisQueues.connection.password:${name}`), password);
    const conn = await child(undefined, name);
    assert.deepEqual((await kids(conn)).map(label), ['Streams', 'List queues']);
    const s = await child(await child(conn, 'Streams'), stream);
    assert.match(desc(s), /^5 entries\b/);
    assert.match(desc(await child(await child(s, 'Groups'), 'g')), /2 pending/);
    const tested = await vscode.commands.executeCommand<string>('redisQueues.connection.test', name);
    assert.match(tested ?? '', /^Redis \d/);
    // The session logged in as the ACL user.
    const clients = String(await client.client('LIST'));
    const mine = clients.split('\n').filter((l) => l.includes(' name=redis-queues-vscode') && l.includes(` user=${user} `));
    assert.ok(mine.length > 0, `no client of the extension logged in as the ACL user: ${clients}`);
    for (const t of await subtreeText(await child(undefined, name), 4)) noSecret('the tree (connected)', t);
  });

  it('a command refused by the server (NOPERM) reports it without the password', async () => {
    const node = await child(await child(await child(undefined, name), 'Streams'), stream);
    api.services.ui = yesPrompter();
    const e = await thrown('redisQueues.stream.trim', node, { maxlen: 1 });
    assert.match((e as Error).message, /NOPERM|permission/i);
    noSecret('the NOPERM error', errorText(e));
    assert.equal(await client.xlen(stream), 5, 'the refused trim changed the stream');
    // The same failure as the user meets it: an error message and a console line.
    await vscode.commands.executeCommand('redisQueues.stream.trim', node, { maxlen: 1 });
    assert.ok(logged.some((l) => /redisQueues\.stream\.trim: .*(NOPERM|permission)/i.test(l)), `nothing logged for the refused trim: ${logged.join('\n')}`);
  });

  it('a wrong stored password fails authentication without showing either password', async () => {
    await api.services.context.secrets.store(`redisQueues.connection.password:${name}`, wrong);
    api.services.sessions.get(name)!.retry();
    const failed = await kids(await child(undefined, name));
    assert.equal(failed.length, 1);
    assert.match(label(failed[0]!), /Authentication failed|WRONGPASS|invalid username-password/i);
    assert.match(desc(await child(undefined, name)), /auth failed/);
    for (const t of await subtreeText(await child(undefined, name), 2)) noSecret('the tree (auth failed)', t);
    const state = api.services.sessions.get(name)!.state;
    assert.equal(state.kind, 'error');
    noSecret('the session error message', state.kind === 'error' ? state.error.message : '');
    // The session keeps this error (reachable through the extension's exported API): checked below with the thrown ones.
    if (state.kind === 'error') errors.push(state.error);

    const e = await thrown('redisQueues.connection.test', name);
    assert.match((e as Error).message, /Authentication failed|WRONGPASS|invalid username-password/i);
    noSecret('the error message of redisQueues.connection.test', (e as Error).message);
    await vscode.commands.executeCommand('redisQueues.connection.test', name);
    assert.ok(logged.some((l) => /redisQueues\.connection\.test: /.test(l)), `nothing logged for the failed test: ${logged.join('\n')}`);
  });

  it('errors thrown to callers (and the session\'s error) carry neither password, in their message, stack or causes', () => {
    assert.ok(errors.length >= 3);
    for (const e of errors) noSecret(`a thrown error (${(e as Error).message})`, errorText(e));
  });

  // A past finding, fixed: ioredis attaches the failed command to its ReplyError ({ name: 'hello',
  // args: ['3', 'AUTH', user, password] }), which an error kept as `cause` would carry along.
  it('errors thrown to callers (and the session\'s error) carry neither password anywhere, as util.inspect shows them (properties of their causes too)', () => {
    for (const e of errors) noSecret(`util.inspect of a thrown error (${(e as Error).message})`, inspect(e, { depth: 8, showHidden: true }));
  });

  it('the user settings hold the connection without its password (as VS Code reports them and on disk)', () => {
    const inspected = vscode.workspace.getConfiguration('redisQueues').inspect('connections');
    const json = JSON.stringify(inspected);
    assert.ok(json.includes(name), `the connection is not in the settings: ${json}`);
    noSecret('the redisQueues.connections setting', json);
    const file = userSettingsFile();
    const text = readFileSync(file, 'utf8');
    assert.ok(text.includes(name), `${file} does not hold the connection: ${text}`);
    noSecret(file, text);
  });

  it('nothing the extension host printed during the test holds a password', () => {
    assert.ok(logged.length > 0, 'nothing was captured');
    noSecret('the extension host console', logged.join('\n'));
  });
});
