import * as vscode from 'vscode';
import { formatShort } from '../../core/internal';
import type { Services } from '../services';
import { ScanMoreNode } from '../tree/discoveryNodes';
import { StreamNode, StreamsFolderNode } from '../tree/explorerNodes';
import type { KnownKind } from '../tree/knownKeys';
import { ListQueueNode, ListQueuesFolderNode } from '../tree/listQueueNodes';
import type { Node } from '../tree/node';
import { required } from './command';

/** The folder a discovery command acts on, and what it finds. */
function folderOf(node: unknown): { folder: (StreamsFolderNode | ListQueuesFolderNode) & Node; kind: KnownKind } {
  const n = node instanceof ScanMoreNode ? node.parent : node;
  if (n instanceof StreamsFolderNode) return { folder: n, kind: 'streams' };
  if (n instanceof ListQueuesFolderNode) return { folder: n, kind: 'listQueues' };
  throw new Error('Run this from the Streams or List queues folder of a connection in the Redis Queues tree');
}

/**
 * Goes on with a folder's discovery: one budget (Scan more), or to the end of the keyspace
 * (`all`), with progress and Cancel; what it finds is remembered. Returns the keys found.
 */
export async function scanMore(s: Services, node?: unknown, options?: { all?: boolean }): Promise<string[]> {
  const { folder, kind } = folderOf(node);
  const session = folder.session;
  const settings = s.provider.settings();
  const set = s.provider.known.set(session.name, kind, settings.streamFilter);
  const state = set.scan ?? s.provider.known.startScan(session.name, kind);
  const all = options?.all === true;
  const what = kind === 'streams' ? 'streams' : 'list queues';
  const found = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Looking for ${what} on ${session.name}`, cancellable: true },
    async (progress, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      let last = 0;
      const r = await session.run((insp) =>
        insp.discover(kind, state, {
          match: settings.streamFilter,
          maxMs: all ? Infinity : settings.discovery.budgetMs,
          maxCalls: all ? Infinity : settings.discovery.maxScanCalls,
          signal: ac.signal,
          onProgress: (p) => {
            const pct = p.total ? Math.floor((100 * p.scanned) / p.total) : 100;
            if (pct > last) {
              progress.report({ increment: pct - last, message: `about ${formatShort(p.scanned)} of ${formatShort(p.total)} keys, ${p.found} found` });
              last = pct;
            }
          },
        }),
      );
      return r.keys;
    },
  );
  s.provider.known.add(session.name, kind, found);
  await s.provider.known.save(session.name);
  s.provider.refresh(folder);
  return found;
}

/** Scans a folder's keyspace to the end, with progress. */
export function scanAll(s: Services, node?: unknown): Promise<string[]> {
  return scanMore(s, node, { all: true });
}

/** Forgets what a folder found and starts its walk again (one budget). */
export async function rescan(s: Services, node?: unknown): Promise<string[]> {
  const { folder, kind } = folderOf(node);
  const known = s.provider.known;
  const set = known.get(folder.session.name)[kind];
  known.remove(folder.session.name, kind, set.keys.filter((k) => !set.pinned.includes(k)));
  known.startScan(folder.session.name, kind);
  return scanMore(s, folder);
}

/** Pins a stream or list queue by name: always shown, without a scan. */
export async function pin(s: Services, node?: unknown, args?: { key?: string }): Promise<string> {
  const { folder, kind } = folderOf(node);
  const what = kind === 'streams' ? 'stream' : 'list queue';
  const key = args?.key ?? required(await s.ui.input({ title: `Pin a ${what} of ${folder.session.name} by name`, validate: (v) => (v.trim() ? undefined : 'A key name is required') })).trim();
  s.provider.known.pin(folder.session.name, kind, key);
  await s.provider.known.save(folder.session.name);
  s.provider.refresh(folder);
  return key;
}

/** Forgets a stream or list queue (it comes back if a later scan finds it). */
export async function forget(s: Services, node?: unknown, selected?: unknown[]): Promise<string[]> {
  const nodes = (selected?.length ? selected : [node]).filter((n): n is StreamNode | ListQueueNode => n instanceof StreamNode || n instanceof ListQueueNode);
  if (!nodes.length) throw new Error('Select a stream or list queue in the Redis Queues tree to forget it');
  const out: string[] = [];
  for (const n of nodes) {
    const kind: KnownKind = n instanceof StreamNode ? 'streams' : 'listQueues';
    const key = n instanceof StreamNode ? n.key : n.queue.name;
    s.provider.known.remove(n.session.name, kind, [key]);
    await s.provider.known.save(n.session.name);
    out.push(key);
    s.provider.refresh(n.parent);
  }
  return out;
}
