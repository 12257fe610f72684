import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';

const root = join(__dirname, '..', '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

describe('(extension) walkthrough and welcome links', () => {
  it('every command linked from the walkthrough and the welcome view is registered, every media file exists', async () => {
    await vscode.extensions.getExtension('redis-queues.redis-queues')!.activate();
    const registered = new Set(await vscode.commands.getCommands(true));
    const texts: string[] = [
      ...manifest.contributes.walkthroughs.flatMap((w: { steps: { description: string; media: { markdown: string } }[] }) => w.steps.map((s) => s.description)),
      ...manifest.contributes.viewsWelcome.map((v: { contents: string }) => v.contents),
    ];
    const linked = texts.flatMap((t) => [...t.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]!));
    assert.ok(linked.length >= 8, `only ${linked.length} command links`);
    assert.deepEqual(linked.filter((c) => !registered.has(c)), []);
    for (const w of manifest.contributes.walkthroughs) for (const s of w.steps) assert.ok(existsSync(join(root, s.media.markdown)), s.media.markdown);
  });

  it('steps check themselves: every onCommand completion event names a registered command; Connect completes on a connection or the sandbox', async () => {
    await vscode.extensions.getExtension('redis-queues.redis-queues')!.activate();
    const registered = new Set(await vscode.commands.getCommands(true));
    const steps: { id: string; completionEvents?: string[] }[] = manifest.contributes.walkthroughs.flatMap((w: { steps: unknown[] }) => w.steps);
    for (const step of steps) assert.ok(step.completionEvents?.length, `step "${step.id}" has no completion events`);
    const onCommand = steps.flatMap((st) => st.completionEvents ?? []).filter((e) => e.startsWith('onCommand:')).map((e) => e.slice('onCommand:'.length));
    assert.deepEqual(onCommand.filter((c) => !registered.has(c)), []);
    const connect = steps.find((st) => st.id === 'connect')!;
    for (const e of ['onCommand:redisQueues.connection.add', 'onCommand:redisQueues.sandbox.start', 'onContext:redisQueues:hasConnections', 'onContext:redisQueues:sandboxRunning']) {
      assert.ok(connect.completionEvents!.includes(e), `Connect step misses ${e}`);
    }
    // The context keys those events watch are ones the extension sets.
    const bundle = readFileSync(join(root, 'dist', 'extension.js'), 'utf8');
    for (const e of connect.completionEvents!.filter((x) => x.startsWith('onContext:'))) assert.ok(bundle.includes(`'${e.slice('onContext:'.length)}'`) || bundle.includes(`"${e.slice('onContext:'.length)}"`), `nothing sets ${e}`);
  });

  it("the claim step's Acknowledge link passes no arguments: the command asks, offering the stuck threshold (see commands.test.ts)", () => {
    const claim = manifest.contributes.walkthroughs[0].steps.find((st: { id: string }) => st.id === 'claim');
    const links = [...(claim.description as string).matchAll(/\(command:([\w.]+)(\?[^)]*)?\)/g)];
    const ack = links.find((m) => m[1] === 'redisQueues.pending.ack');
    assert.ok(ack, 'the claim step links Acknowledge');
    assert.equal(ack![2], undefined, 'no arguments that could select everything');
    assert.match(claim.description, /minimum idle time .* stuck threshold/);
  });
});
