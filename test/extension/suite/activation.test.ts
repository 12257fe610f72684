// Runs inside the extension host of a real VS Code (code-server), driven by test/extension/index.ts.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { open, quit } from '../../../src/core/redis/connection';
import { until } from '../helpers';

const root = join(__dirname, '..', '..', '..', '..');
interface Manifest {
  publisher: string;
  name: string;
  version: string;
  contributes: { commands: { command: string }[]; views: Record<string, { id: string }[]> };
}
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
const extensionId = `${manifest.publisher}.${manifest.name}`;


describe('(extension) activation in a real VS Code', () => {
  it(`finds the development extension ${extensionId} (the manifest's publisher.name)`, () => {
    assert.equal(extensionId, 'redis-queues.redis-queues');
    const ext = vscode.extensions.getExtension(extensionId);
    assert.ok(ext, `extension ${extensionId} is not installed; found: ${vscode.extensions.all.map((e) => e.id).filter((id) => !id.startsWith('vscode.')).join(', ')}`);
    assert.equal(ext.packageJSON.version, manifest.version);
  });

  it('activates when its view is focused, through redisQueues.explorer.focus', async () => {
    const ext = vscode.extensions.getExtension(extensionId)!;
    // The view's focus command exists as soon as the contribution is registered, active or not.
    await vscode.commands.executeCommand('redisQueues.explorer.focus');
    await until('the extension to activate after focusing its view', () => ext.isActive);
  });

  it('returns its API from activate()', async () => {
    const ext = vscode.extensions.getExtension<{ version: string }>(extensionId)!;
    const api = await ext.activate();
    assert.equal(api.version, manifest.version);
  });

  it('registers every command its manifest contributes', async () => {
    await vscode.extensions.getExtension(extensionId)!.activate();
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = manifest.contributes.commands.map((c) => c.command);
    assert.ok(contributed.length > 0, 'the manifest contributes no commands');
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  it('contributes the explorer view in the redisQueues container', async () => {
    assert.ok(manifest.contributes.views.redisQueues?.some((v) => v.id === 'redisQueues.explorer'));
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.ok(registered.has('redisQueues.explorer.focus'), 'the view redisQueues.explorer is not registered');
    assert.ok(registered.has('workbench.view.extension.redisQueues'), 'the activity-bar container redisQueues is not registered');
  });

  it('reaches the test redis-server given in REDIS_URL from the extension host', async function () {
    const url = process.env.REDIS_URL;
    assert.ok(url, 'REDIS_URL was not passed to the extension host');
    const client = await open({ url });
    try {
      const key = `{exthost}:${process.pid}:${Date.now()}`;
      const id = await client.xadd(key, '*', 'hello', 'exthost');
      assert.match(String(id), /^\d+-\d+$/);
      const entries = await client.xrange(key, '-', '+');
      assert.equal(entries.length, 1);
      await client.del(key);
    } finally {
      await quit(client);
    }
  });
});
