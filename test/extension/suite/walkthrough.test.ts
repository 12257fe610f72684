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
});
