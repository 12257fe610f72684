// The connection commands inside a real VS Code against a real Redis: adding a connection through
// its prompts (numbered steps, Back), editing and removing it, the test before saving and what a
// failure offers, "Connect to 127.0.0.1:6379". Prompts are answered by a scripted prompter that
// records what each question said. The commands on queues are commands.test.ts.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createConnection } from 'node:net';
import * as vscode from 'vscode';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import type { PickItem } from '../../../src/vscode/ui';
import { DEFAULT, scripted, until } from '../helpers';

const EXT = 'redis-queues.redis-queues';
let api: RedisQueuesApi;

async function run<T>(command: string, answers: unknown[], ...args: unknown[]): Promise<{ result: T | undefined; ui: ReturnType<typeof scripted> }> {
  const ui = scripted(answers);
  api.services.ui = ui;
  const result = await vscode.commands.executeCommand<T>(command, ...args);
  return { result, ui };
}

describe('(extension) connection commands', function () {
  this.timeout(60_000);
  const prefix = `cmd-${randomUUID().slice(0, 8)}`;

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    await vscode.workspace.getConfiguration('redisQueues').update('streamFilter', `${prefix}:*`, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('redisQueues').update('refreshIntervalSeconds', 0, vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    api.services.ui = (await import('../../../src/vscode/ui')).vscodePrompter;
    await vscode.workspace.getConfiguration('redisQueues').update('streamFilter', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('redisQueues').update('refreshIntervalSeconds', undefined, vscode.ConfigurationTarget.Global);
  });

  it('adds and edits a connection through its prompts (name, URL, mode, user, password, options)', async () => {
    const name = `prompted-${prefix}`;
    const url = process.env.REDIS_URL!;
    const settings = () => (vscode.workspace.getConfiguration('redisQueues').inspect<{ name: string; readOnly?: boolean }[]>('connections')?.globalValue ?? []).find((c) => c.name === name);
    const bad = await run('redisQueues.connection.add', [name, 'http://nope']);
    assert.equal(bad.result, undefined);
    assert.equal(settings(), undefined, 'an invalid URL saves nothing');
    const added = await run('redisQueues.connection.add', [name, url, 'standalone', '', '', ['readOnly']]);
    assert.equal(added.result, name);
    assert.match(added.ui.infos[0]!, /^Connected to .*: Redis \d+\.\d+\.\d+ \(standalone/);
    assert.equal(settings()!.readOnly, true);
    await until('session', () => Boolean(api.services.sessions.get(name)));
    assert.equal(api.services.sessions.get(name)!.readOnly, true);
    const edited = await run('redisQueues.connection.edit', [name, url, 'standalone', '', '', []], name);
    assert.equal(edited.result, name);
    assert.equal(edited.ui.asked[0]!.kind, 'input');
    assert.equal(settings()!.readOnly, undefined);
    const kept = await run('redisQueues.connection.remove', [false], name);
    assert.equal(kept.result, false, 'cancelling keeps it');
    assert.ok(settings());
    await run('redisQueues.connection.remove', [true], name);
    assert.equal(settings(), undefined);
  });

  it('add connection numbers its steps 1/6 … 6/6 consistently, and the picks offer ← Back', async () => {
    const name = `steps-${prefix}`;
    const url = process.env.REDIS_URL!;
    const back = (items: PickItem<unknown>[]) => items.find((i) => i.label === '← Back')!.value;
    const r = await run<string>('redisQueues.connection.add', [name, 'redis://127.0.0.1:1', back, url, 'standalone', DEFAULT, DEFAULT, ['\u0000back'], DEFAULT, []]);
    try {
      assert.equal(r.result, name);
      const steps = r.ui.asked.filter((a) => a.kind !== 'pick' || a.items!.includes('standalone')).map((a) => /\((\d)\/(\d)\)/.exec(a.text));
      assert.ok(steps.every(Boolean), `a question without a step number: ${r.ui.asked.map((a) => a.text).join(' | ')}`);
      assert.deepEqual(steps.map((m) => m![2]), steps.map(() => '6'), 'every step out of 6');
      assert.deepEqual(steps.map((m) => Number(m![1])), [1, 2, 3, 2, 3, 4, 5, 6, 5, 6], 'Back goes one step back');
      assert.ok(r.ui.asked[2]!.items!.includes('← Back'));
      // The options step ticks flags: its Back is the box's own Back button, not an item to tick.
      const options = r.ui.asked.find((a) => a.kind === 'pickMany')!;
      assert.equal(options.back, true);
      assert.ok(!options.items!.some((i) => i.startsWith('← Back')), options.items!.join(' | '));
      assert.equal(r.ui.asked[3]!.value, 'redis://127.0.0.1:1', 'going back keeps what was typed');
      assert.match(r.ui.infos[0]!, /^Connected to .*: Redis /);
    } finally {
      await vscode.commands.executeCommand('redisQueues.connection.remove', name, { confirm: false });
    }
  });

  it('"Connect to 127.0.0.1:6379" tests before saving, like Add Connection (Cancel saves nothing when nothing answers)', async () => {
    const answers = await new Promise<boolean>((resolve) => {
      const sock = createConnection({ host: '127.0.0.1', port: 6379 });
      sock.once('connect', () => (sock.destroy(), resolve(true)));
      sock.once('error', () => resolve(false));
    });
    const before = api.services.store.list().map((e) => e.config.name);
    const r = await run<string>('redisQueues.connection.addLocal', ['cancel']);
    if (answers) {
      // Something answers on this machine: it is tested, then saved.
      try {
        assert.match(r.result ?? '', /^localhost(-\d+)?$/);
        assert.equal(r.ui.asked.length, 0, 'nothing asked when the test passes');
        assert.match(r.ui.infos[0] ?? '', /^Connected to localhost/);
      } finally {
        if (r.result) await vscode.commands.executeCommand('redisQueues.connection.remove', r.result, { confirm: false });
      }
    } else {
      assert.equal(r.result, undefined);
      const offer = r.ui.asked.at(-1)!;
      assert.deepEqual(offer.items, ['Save anyway', 'Edit', 'Cancel']);
      assert.match(offer.text, /Nothing listens at 127\.0\.0\.1:6379/);
      assert.deepEqual(api.services.store.list().map((e) => e.config.name), before, 'Cancel saves nothing');
    }
  });

  it('add connection tests before saving; a failure offers Save anyway / Edit / Cancel with a hint (ECONNREFUSED: nothing listens)', async () => {
    const name = `failing-${prefix}`;
    const url = process.env.REDIS_URL!;
    const saved = () => vscode.workspace.getConfiguration('redisQueues').inspect<{ name: string; url: string }[]>('connections')!.globalValue?.find((c) => c.name === name);
    const refused = [name, 'redis://127.0.0.1:1', 'standalone', '', '', []];
    const cancelled = await run<string>('redisQueues.connection.add', [...refused, 'cancel']);
    assert.equal(cancelled.result, undefined);
    const offer = cancelled.ui.asked.at(-1)!;
    assert.equal(offer.kind, 'pick');
    assert.deepEqual(offer.items, ['Save anyway', 'Edit', 'Cancel']);
    assert.match(offer.text, /ECONNREFUSED/);
    assert.match(offer.text, /Nothing listens at 127\.0\.0\.1:1: is Redis running, and on this port\?/);
    assert.equal(saved(), undefined, 'Cancel saves nothing');
    // Edit: the steps again, filled with what was typed; fixed, it connects and saves.
    const edited = await run<string>('redisQueues.connection.add', [...refused, 'edit', DEFAULT, url, 'standalone', DEFAULT, DEFAULT, []]);
    try {
      assert.equal(edited.result, name);
      const again = edited.ui.asked.slice(7);
      assert.equal(again[0]!.value, name);
      assert.equal(again[1]!.value, 'redis://127.0.0.1:1');
      assert.equal(saved()!.url, url);
      assert.match(edited.ui.infos[0]!, /^Connected to /);
    } finally {
      await vscode.commands.executeCommand('redisQueues.connection.remove', name, { confirm: false });
    }
    const anyway = await run<string>('redisQueues.connection.add', [...refused, 'save']);
    try {
      assert.equal(anyway.result, name);
      assert.equal(saved()!.url, 'redis://127.0.0.1:1', 'Save anyway keeps it as typed');
    } finally {
      await vscode.commands.executeCommand('redisQueues.connection.remove', name, { confirm: false });
    }
    // Saved anyway: the row says it cannot connect (it never did), not that a connection was lost.
    const never = await run<string>('redisQueues.connection.add', [...refused, 'save']);
    try {
      const row = (await api.services.provider.getChildren()).find((n) => n.id.endsWith(`/${name}`))!;
      await api.services.provider.getChildren(row).catch(() => undefined);
      await until('the row to say it cannot connect', () => /^cannot connect… retrying$|^unreachable$/.test(String(api.services.provider.current(row)?.item().description ?? row.item().description)), 15_000);
      assert.doesNotMatch(String((api.services.provider.current(row) ?? row).item().description), /lost/);
    } finally {
      await vscode.commands.executeCommand('redisQueues.connection.remove', never.result ?? name, { confirm: false });
    }
    // The other usual causes get their hint too.
    const { addConnectionHint } = await import('../../../src/vscode/connectionHints');
    const timedOut = Object.assign(new Error('connect ETIMEDOUT 10.0.0.9:6379'), { code: 'ETIMEDOUT' });
    assert.match(addConnectionHint(timedOut, 'redis://10.0.0.9:6379')!, /No answer from 10\.0\.0\.9:6379/);
    const wrongPass = Object.assign(new Error('WRONGPASS invalid username-password pair or user is disabled.'), { name: 'ReplyError' });
    assert.match(addConnectionHint(wrongPass, 'redis://h:1')!, /Wrong username or password/);
  });
});
