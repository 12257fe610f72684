import * as vscode from 'vscode';
import * as ops from '../../core/ops';
import { formatDuration, parseConsumers } from '../../core';
import type { Services } from '../services';
import { ConsumerNode, GroupNode, PendingEntryNode } from '../tree/explorerNodes';
import { required } from './command';
import { confirmImpact, opTarget, plural, refuseReadOnly, resolveGroup, selection } from './target';

function refreshAround(s: Services, node: unknown): void {
  const n = node as { parent?: unknown } | undefined;
  // Redraw the group (pending counts) when we know it, else the whole tree.
  const group = node instanceof PendingEntryNode ? node.parent.parent : node instanceof ConsumerNode ? node.parent : node instanceof GroupNode ? node : undefined;
  s.provider.refresh(group?.parent ?? (n?.parent as never));
}

/** Ack: the selected pending entries, or all pending of a consumer / group idle at least N ms. */
export async function ackPending(s: Services, node?: unknown, selected?: unknown[]): Promise<ops.AckResult | { acked: number }> {
  const entries = selection(node, selected, PendingEntryNode);
  const { session, stream, group } = await resolveGroup(s, entries[0] ?? node);
  refuseReadOnly(session, 'XACK');
  const t = await opTarget(session);
  if (entries.length) {
    await confirmImpact(s, session, {
      message: `Acknowledge ${plural(entries.length, 'pending entry', 'pending entries')} in group "${group}" of "${stream}"?`,
      detail: 'They leave the pending entries list and will not be delivered again. The entries stay in the stream.',
      button: 'Acknowledge',
      typeName: stream,
    });
    const r = await ops.ack(t, stream, group, entries.map((e) => e.entry.id));
    s.ui.info(`Acknowledged ${plural(r.acked, 'entry', 'entries')}${r.notPending.length ? `; ${r.notPending.length} no longer pending: ${r.notPending.join(', ')}` : ''}.`);
    refreshAround(s, entries[0]);
    return r;
  }
  const consumer = node instanceof ConsumerNode ? node.consumer.name : undefined;
  const idleText = required(await s.ui.input({ title: `Acknowledge pending entries of ${consumer ? `consumer "${consumer}"` : `group "${group}"`} idle at least (seconds)`, value: '0', validate: (v) => (/^\d+(\.\d+)?$/.test(v.trim()) ? undefined : 'A number of seconds') }));
  const minIdleMs = Math.round(Number(idleText) * 1000);
  const count = await ops.countPending(t, stream, group, { consumer, minIdleMs });
  if (!count) {
    s.ui.info('No pending entries match.');
    return { acked: 0 };
  }
  await confirmImpact(s, session, {
    message: `Acknowledge ${count >= 100_000 ? 'up to 100,000' : plural(count, 'pending entry', 'pending entries')} of ${consumer ? `consumer "${consumer}"` : `group "${group}"`} on "${stream}"${minIdleMs ? ` idle ≥ ${formatDuration(minIdleMs)}` : ''}?`,
    detail: 'They leave the pending entries list and will not be delivered again.',
    button: 'Acknowledge',
    typeName: stream,
  });
  const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Acknowledging…' }, () => ops.ackMatching(t, stream, group, { consumer, minIdleMs }));
  s.ui.info(`Acknowledged ${plural(r.acked, 'entry', 'entries')}.`);
  refreshAround(s, node);
  return r;
}

async function pickConsumer(s: Services, t: ops.OpTarget, stream: string, group: string, exclude?: string): Promise<string> {
  const existing = parseConsumers(await t.client.call('XINFO', 'CONSUMERS', stream, group)).map((c) => c.name);
  const items = existing.filter((c) => c !== exclude).map((c) => ({ label: c, value: c }));
  items.unshift({ label: '$(add) New consumer name…', value: '\u0000new' });
  let name = required(await s.ui.pick(items, { title: `Claim to which consumer of "${group}"?` }));
  if (name === '\u0000new') name = required(await s.ui.input({ title: 'New consumer name', value: 'vscode-debug', validate: (v) => (v.trim() ? undefined : 'A name is required') })).trim();
  return name;
}

/** Claim the selected pending entries for a chosen (or new) consumer; entries active again are skipped. */
export async function claimPending(s: Services, node?: unknown, selected?: unknown[], args?: { consumer?: string; minIdleMs?: number }): Promise<ops.ClaimResult> {
  const entries = selection(node, selected, PendingEntryNode);
  if (!entries.length) throw new Error('Select one or more pending entries in the Redis Queues tree to claim them');
  const { session, stream, group } = await resolveGroup(s, entries[0]);
  refuseReadOnly(session, 'XCLAIM');
  const t = await opTarget(session);
  const consumer = args?.consumer ?? (await pickConsumer(s, t, stream, group));
  // Default min-idle: what the tree showed, so an entry that became active since is skipped.
  const shown = Math.min(...entries.map((e) => e.entry.idle));
  const minIdleMs = args?.minIdleMs ?? Math.round(Number(required(await s.ui.input({ title: 'Only claim entries idle at least (ms)', value: String(shown), validate: (v) => (/^\d+$/.test(v.trim()) ? undefined : 'A whole number of ms') }))));
  await confirmImpact(s, session, {
    message: `Claim ${plural(entries.length, 'pending entry', 'pending entries')} of "${stream}" for consumer "${consumer}"?`,
    detail: `Ownership moves from ${[...new Set(entries.map((e) => e.entry.consumer))].join(', ')} to ${consumer}; delivery counts stay as they are. Entries idle less than ${minIdleMs} ms are skipped.`,
    button: 'Claim',
    typeName: stream,
  });
  const r = await ops.claim(t, stream, group, consumer, entries.map((e) => e.entry.id), { minIdleMs });
  s.ui.info(`Claimed ${plural(r.claimed.length, 'entry', 'entries')} for ${consumer}${r.skipped.length ? `; skipped ${r.skipped.map((x) => `${x.id} (${x.reason})`).join(', ')}` : ''}.`);
  refreshAround(s, entries[0]);
  return r;
}

/** Auto-claim sweep for a group: preview what would move (ids, owner, idle, deliveries), then XAUTOCLAIM. */
export async function autoClaim(s: Services, node?: unknown, args?: { consumer?: string; minIdleMs?: number }): Promise<ops.AutoClaimSweep | undefined> {
  const { session, stream, group } = await resolveGroup(s, node);
  refuseReadOnly(session, 'XAUTOCLAIM');
  const t = await opTarget(session);
  const caps = await session.run((insp) => insp.caps());
  const consumer = args?.consumer ?? (await pickConsumer(s, t, stream, group));
  const minIdleMs = args?.minIdleMs ?? Math.round(Number(required(await s.ui.input({ title: 'Claim entries idle at least (seconds)', value: '60', validate: (v) => (/^\d+(\.\d+)?$/.test(v.trim()) ? undefined : 'A number of seconds') }))) * 1000);
  const preview = await ops.autoClaimPreview(t, stream, group, { minIdleMs, count: 100 });
  if (!preview.length) {
    s.ui.info(`No pending entries in "${group}" idle at least ${formatDuration(minIdleMs)}.`);
    return { claimed: [], deleted: [] };
  }
  const picked = await s.ui.pickMany(
    preview.map((p) => ({ label: p.id, description: `${p.consumer} · idle ${formatDuration(p.idle)} · delivered ${p.deliveries}×`, picked: true, value: p.id })),
    { title: `Auto-claim preview: ${preview.length}${preview.length === 100 ? '+' : ''} entries would move to "${consumer}" (uncheck to leave some)` },
  );
  if (!picked?.length) return undefined;
  await confirmImpact(s, session, {
    message: `Claim ${plural(picked.length, 'entry', 'entries')} of group "${group}" for "${consumer}"?`,
    detail: `From: ${[...new Set(preview.filter((p) => picked.includes(p.id)).map((p) => p.consumer))].join(', ')}. Entries deleted or trimmed from the stream are dropped from the PEL and reported.`,
    button: 'Claim',
    typeName: stream,
  });
  let r: ops.AutoClaimSweep;
  if (picked.length === preview.length) {
    r = await ops.autoClaim(t, stream, group, consumer, { minIdleMs, maxEntries: picked.length, supportsAutoClaim: caps.autoClaim });
  } else {
    const c = await ops.claim(t, stream, group, consumer, picked, { minIdleMs });
    r = { claimed: c.claimed, deleted: c.skipped.filter((x) => x.reason.startsWith('deleted')).map((x) => x.id) };
  }
  s.ui.info(`Claimed ${plural(r.claimed.length, 'entry', 'entries')} for ${consumer}${r.deleted.length ? `; ${r.deleted.length} had been deleted or trimmed: ${r.deleted.join(', ')}` : ''}.`);
  refreshAround(s, node);
  return r;
}

/** Dead-letter the selected pending entries (atomic per entry: XADD to the DLQ + XACK). */
export async function deadLetterPending(s: Services, node?: unknown, selected?: unknown[], args?: { dlq?: string; reason?: string }): Promise<{ moved: { id: string; dlqId: string }[]; skipped: string[]; gone: string[] }> {
  const entries = selection(node, selected, PendingEntryNode);
  if (!entries.length) throw new Error('Select one or more pending entries in the Redis Queues tree to dead-letter them');
  const { session, stream, group } = await resolveGroup(s, entries[0]);
  refuseReadOnly(session, 'dead-letter');
  const dlq = args?.dlq ?? `${stream}:dlq`;
  await confirmImpact(s, session, {
    message: `Dead-letter ${plural(entries.length, 'pending entry', 'pending entries')} of group "${group}" to "${dlq}"?`,
    detail: 'Each entry is copied to the dead-letter stream with its origin, group, id, delivery count and reason, and acknowledged, atomically. Replay it later from the dead-letter stream.',
    button: 'Dead-letter',
    typeName: stream,
  });
  const t = await opTarget(session);
  const r = await ops.deadLetter(t, stream, group, entries.map((e) => e.entry.id), { dlq, reason: args?.reason ?? 'dead-lettered from VS Code' });
  s.ui.info(
    `Moved ${plural(r.moved.length, 'entry', 'entries')} to ${dlq}${r.skipped.length ? `; ${r.skipped.length} no longer pending: ${r.skipped.join(', ')}` : ''}` +
      `${r.gone.length ? `; not moved, their message was deleted from the stream (ack them instead): ${r.gone.join(', ')}` : ''}.`,
  );
  s.provider.refresh();
  return r;
}
