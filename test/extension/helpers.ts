// Helpers shared by the extension-host suites: waiting, and reading the real tree.
import * as assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import type { RedisQueuesApi } from '../../src/vscode/activate';
import type { Node } from '../../src/vscode/tree/node';
import type { PickItem, Prompter } from '../../src/vscode/ui';

export { until } from '../support/until';

export function label(n: Node): string {
  const l = n.item().label;
  return typeof l === 'string' ? l : ((l as vscode.TreeItemLabel | undefined)?.label ?? '');
}
/** The id of an entry row (its label is the id's time), else the row's label. */
export function idOf(n: Node): string {
  const e = (n as { entry?: { id?: unknown } }).entry;
  return typeof e?.id === 'string' ? e.id : label(n);
}
export function desc(n: Node): string {
  return String(n.item().description ?? '');
}
export function ctxv(n: Node): string {
  return n.item().contextValue ?? '';
}

/** The extension's own tree provider, read as VS Code reads it. */
export function tree(api: () => RedisQueuesApi) {
  const kids = (n?: Node): Promise<Node[]> => api().services.provider.getChildren(n);
  const child = async (n: Node | undefined, name: string | RegExp): Promise<Node> => {
    // A row by its label; an entry's row (labelled with its time) by its id too.
    const is = (c: Node) => (typeof name === 'string' ? label(c) === name || idOf(c) === name : name.test(label(c)));
    // Right after the tree redrew a row, its first read is answered with the children just read
    // (VS Code's re-read): a key the test wrote a moment ago shows from the next read, from Redis.
    let list = await kids(n);
    for (let i = 0; i < 3 && !list.some(is); i++) list = await kids(n);
    const found = list.find(is);
    assert.ok(found, `no child ${name} under ${n ? label(n) : 'root'}; children: ${list.map(label).join(' | ')}`);
    return found;
  };
  const path = async (...names: string[]): Promise<Node> => {
    let node: Node | undefined;
    for (const name of names) node = await child(node, name);
    return node!;
  };
  return { kids, child, path };
}

/**
 * Runs a command that must fail and returns its error: a wrapped command shows the error, resolves
 * to undefined and fires `onDidFailCommand`, which this listens to while the command runs.
 */
export async function commandFailure(api: RedisQueuesApi, run: () => Thenable<unknown>, what = 'the command'): Promise<Error> {
  const failed: Error[] = [];
  const sub = api.services.onDidFailCommand((f) => failed.push(f.error));
  let result: unknown;
  try {
    result = await run();
  } finally {
    sub.dispose();
  }
  if (!failed[0]) throw new Error(`${what} did not fail (it returned ${JSON.stringify(result)?.slice(0, 200)})`);
  if (result !== undefined) throw new Error(`${what} failed but resolved to ${JSON.stringify(result)?.slice(0, 200)}, not undefined`);
  return failed[0];
}

export type Asked = { kind: string; text: string; items?: string[]; ticked?: boolean[]; back?: boolean; value?: string; validate?: (v: string) => string | undefined };
/** An answer to an input box: keep the default it offers. */
export const DEFAULT = Symbol('keep the default');
/** Answers prompts from a script, in order; records each question (and an input's default). Runs out → cancel (undefined / false). */
export function scripted(answers: unknown[]): Prompter & { asked: Asked[]; infos: string[] } {
  const asked: Asked[] = [];
  const infos: string[] = [];
  const next = () => answers.shift();
  return {
    asked,
    infos,
    async pick<T>(items: PickItem<T>[], o: { title: string }) {
      asked.push({ kind: 'pick', text: o.title, items: items.map((i) => i.label) });
      const a = next();
      if (a === undefined) return undefined;
      if (typeof a === 'function') return (a as (i: PickItem<T>[]) => T)(items);
      return a as T;
    },
    async pickMany<T>(items: PickItem<T>[], o: { title: string; back?: T }) {
      asked.push({ kind: 'pickMany', text: o.title, items: items.map((i) => `${i.label} ${i.description ?? ''}`), ticked: items.map((i) => i.picked === true), back: o.back !== undefined });
      const a = next();
      if (a === undefined) return undefined;
      // 'all': every item; 'ticked': the items ticked to begin with (Enter without a change).
      return a === 'all' ? items.map((i) => i.value) : a === 'ticked' ? items.filter((i) => i.picked).map((i) => i.value) : (a as T[]);
    },
    async input(o: { title: string; prompt?: string; value?: string; validate?: (v: string) => string | undefined }) {
      asked.push({ kind: 'input', text: `${o.title} ${o.prompt ?? ''}`, value: o.value, validate: o.validate });
      const a = next();
      return a === DEFAULT ? o.value : (a as string | undefined);
    },
    async confirm(message: string, detail: string) {
      asked.push({ kind: 'confirm', text: `${message} ${detail}` });
      return next() === true;
    },
    info: (m: string) => void infos.push(m),
    warn: (m: string) => void infos.push(m),
  };
}
