import * as vscode from 'vscode';
import { openStreamEntry } from '../tail/rowActions';
import { entryUri, type EntryRef } from '../entryDocument';
import type { Services } from '../services';
import { EntryNode, PendingEntryNode } from '../tree/explorerNodes';
import { JobNode } from '../tree/listQueueNodes';
import { LoadMoreNode, type Node } from '../tree/node';
import { readSettings } from '../settings';

export function refresh(s: Services, node?: Node): void {
  s.provider.refresh(node);
}

export function loadMore(s: Services, node: LoadMoreNode): void {
  if (!(node instanceof LoadMoreNode) || !node.parent) return;
  const settings = readSettings();
  const isStreams = node.parent.id.endsWith('/streams');
  s.provider.loadMore(node.parent, isStreams ? settings.scanPageSize : settings.pageSize);
}

export async function setFilter(s: Services, pattern?: unknown): Promise<string> {
  const cfg = vscode.workspace.getConfiguration('redisQueues');
  // From the view's title bar VS Code passes no string (nothing, or the view's context): ask then.
  const value =
    (typeof pattern === 'string' ? pattern : undefined) ??
    (await s.ui.input({
      title: 'Show streams and list queues whose key matches (SCAN MATCH pattern)',
      value: cfg.get<string>('streamFilter', '*'),
      prompt: 'Glob-style: * any, ? one character, [abc] a set. Empty shows all.',
    }));
  if (value === undefined) return cfg.get<string>('streamFilter', '*');
  await cfg.update('streamFilter', value.trim() || '*', vscode.ConfigurationTarget.Global);
  s.provider.refresh();
  return value.trim() || '*';
}

export function refOf(node: Node): EntryRef | undefined {
  if (node instanceof PendingEntryNode) {
    const e = node.entry;
    return { connection: node.session.name, kind: 'stream', key: node.stream, id: e.id, pending: { group: node.group, consumer: e.consumer, idle: e.idle, deliveries: e.deliveries } };
  }
  if (node instanceof EntryNode) return { connection: node.session.name, kind: 'stream', key: node.stream, id: node.entry.id };
  if (node instanceof JobNode) {
    const q = node.parent.parent;
    return { connection: q.session.name, kind: 'job', key: q.queue.name, id: node.job.id };
  }
  return undefined;
}

/** Opens an entry (or job) as read-only JSON beside the tree. */
/** Opens an entry: a tree node, or `{ connection, stream, id }` (the tail view, other callers). */
export async function openEntry(_s: Services, node: Node | { connection: string; stream: string; id: string }): Promise<vscode.TextDocument | undefined> {
  if (node && typeof node === 'object' && 'connection' in node && 'stream' in node && 'id' in node && typeof node.id === 'string') {
    return openStreamEntry({ connection: node.connection, stream: node.stream, id: node.id }, { preview: true, preserveFocus: true });
  }
  const ref = refOf(node as Node);
  if (!ref) return undefined;
  const doc = await vscode.workspace.openTextDocument(entryUri(ref));
  await vscode.languages.setTextDocumentLanguage(doc, 'json');
  await vscode.window.showTextDocument(doc, { preview: true, preserveFocus: true });
  return doc;
}

export async function copyId(_s: Services, node: Node): Promise<string | undefined> {
  const ref = refOf(node);
  if (!ref) return undefined;
  await vscode.env.clipboard.writeText(ref.id);
  return ref.id;
}
