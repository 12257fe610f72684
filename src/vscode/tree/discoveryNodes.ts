// Discovery in the tree: the keys a Streams or List queues folder shows (remembered, walked in
// budgets), and the "Scan more" row that goes on with the walk.
import * as vscode from 'vscode';
import { type DiscoveryProgress, type DiscoveryState, formatCount, formatShort, globMatch } from '../../core/internal';
import type { Session } from '../connections/session';
import type { TreeContext } from './explorerNode';
import type { KnownKind } from './knownKeys';
import { type Node, childId } from './node';

/**
 * The keys of one discovery for a folder: what is remembered (matching the filter, pinned ones
 * always), after a first budgeted walk when none ran yet for this filter. On a large keyspace
 * (more than redisQueues.discovery.smallKeyspace keys, by DBSIZE) drawing again never scans: new
 * keys come from "Scan more" / "Rescan". On a small one, a complete walk costs a few SCAN calls,
 * so each drawing walks it again and the folder stays as live as the keyspace.
 */
export async function knownKeys(
  session: Session,
  ctx: TreeContext,
  kind: KnownKind,
  match: string,
  walk: (state: DiscoveryState, small: boolean) => Promise<{ keys: string[] }>,
  keyspaceSize: () => Promise<number>,
): Promise<{ keys: string[]; pinned: Set<string>; scan: { state: DiscoveryState; done: boolean } }> {
  const set = ctx.known.set(session.name, kind, match);
  const small = (!set.scan || set.scan.position === null) && (await keyspaceSize()) <= ctx.settings().discovery.smallKeyspace;
  const again = set.scan?.position === null && small;
  if (!set.scan || again) {
    const state = ctx.known.startScan(session.name, kind);
    const r = await walk(state, small);
    // Discovery only adds: streams that are gone drop out when drawn (XINFO); list queues stay
    // (with zeros) until forgotten, also when all their lists are empty.
    ctx.known.add(session.name, kind, r.keys);
    await ctx.known.save(session.name);
  }
  const pinned = new Set(set.pinned);
  const keys = [...new Set([...set.pinned, ...set.keys.filter((k) => globMatch(match, k))])].sort();
  return { keys, pinned, scan: { state: set.scan!, done: set.scan!.position === null } };
}

/** "Scan more — about 1.2 M of 10 M keys": where a folder's discovery stands; click to go on. */
export class ScanMoreNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: Node & { readonly session: Session },
    readonly kind: KnownKind,
    private readonly progress: DiscoveryProgress,
  ) {
    this.id = childId(parent, '~scan');
  }
  item(): vscode.TreeItem {
    const p = this.progress;
    const t = new vscode.TreeItem('Scan more', vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.description = `about ${formatShort(p.scanned)} of ${formatShort(p.total)} keys`;
    t.iconPath = new vscode.ThemeIcon('search');
    t.tooltip =
      `Discovery walks the keyspace with SCAN … TYPE ${this.kind === 'streams' ? 'stream' : 'list'} a budget at a time (redisQueues.discovery.budgetMs, maxScanCalls), ` +
      `each call sized to about 2 ms of server time, and remembers what it found. Refreshes never scan. ${formatCount(p.calls)} SCAN calls so far.\n\n` +
      'Click to scan the next part; right-click to scan to the end (with progress, cancellable).';
    t.command = { command: 'redisQueues.discovery.scanMore', title: 'Scan more', arguments: [this] };
    t.contextValue = 'scanMore';
    return t;
  }
}
