import * as vscode from 'vscode';
import * as ops from '../../core/ops';
import { DURATION_HINT, defaultDeadLetterStream, durationProblem, formatDuration, isPoison, isStuck, parseDuration } from '../../core/internal';
import type { Session } from '../connections/session';
import type { Services } from '../services';
import { ConsumerNode, GroupNode, PendingEntryNode } from '../tree/explorerNodes';
import type { Node } from '../tree/node';
import { required } from './command';
import { TREE_REDRAWN, confirmImpact, opTarget, ownConsumerName, plural, refuseReadOnly, resolveGroup, selection } from './target';

function refreshAround(s: Services, node: unknown): void {
  const n = node as { parent?: Node } | undefined;
  // A row of the Search Results view: the explorer is redrawn (the result row notes what was done).
  if (node instanceof PendingEntryNode && !(node.parent instanceof ConsumerNode)) return void s.provider.refresh();
  // Read the group's folder again (pending counts, owners) when we know it, else the whole tree:
  // the node drawn for that row now (the rows are kept by id across refreshes).
  const group = node instanceof PendingEntryNode ? node.parent.parent : node instanceof ConsumerNode ? node.parent : node instanceof GroupNode ? node : undefined;
  const around = group?.parent ?? n?.parent;
  void s.provider.refresh(around && (s.provider.current(around) ?? around));
}

/**
 * The pending-entry rows a command applies to, as drawn now. A command offered only on rows
 * (`rowsOnly`: not in the palette) that got no row while the tree was being redrawn says so:
 * VS Code hands over no row when the menu was opened on a row it was reading again.
 */
function pendingRows(s: Services, node: unknown, selected: unknown, rowsOnly = false): PendingEntryNode[] {
  if (rowsOnly && node === undefined && selected === undefined && s.provider.redrawnWithin()) throw new Error(TREE_REDRAWN);
  return selection(node, selected, PendingEntryNode, (n) => s.provider.current(n));
}

/**
 * Asks for a duration the one way every prompt does (`90s`, `5m`, `1h 30m`, `250ms`, `2d`, a plain
 * number = seconds), with `defaultMs` shown as {@link formatDuration} writes it. Returns ms.
 */
export async function askDuration(s: Services, o: { title: string; prompt: string; defaultMs: number; min?: number }): Promise<number> {
  const text = required(await s.ui.input({ title: o.title, prompt: `${o.prompt} (${DURATION_HINT})`, value: formatDuration(o.defaultMs), validate: (v) => durationProblem(v, { min: o.min }) }));
  return parseDuration(text);
}

/**
 * Ack: the selected pending entries, or all pending of a consumer / group idle at least a duration.
 * That duration defaults to the stuck threshold (thresholds.stuckConsumerIdleSeconds), never 0: a 0
 * must be typed, and the confirmation then says it is every pending entry.
 */
export async function ackPending(s: Services, node?: unknown, selected?: unknown[]): Promise<ops.AckResult | { acked: number }> {
  const entries = pendingRows(s, node, selected);
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
    s.search.noted(entries.filter((e) => !r.notPending.includes(e.entry.id)), 'acknowledged');
    s.ui.info(`Acknowledged ${plural(r.acked, 'entry', 'entries')}${r.notPending.length ? `; ${r.notPending.length} no longer pending: ${r.notPending.join(', ')}` : ''}.`);
    refreshAround(s, entries[0]);
    return r;
  }
  const consumer = node instanceof ConsumerNode ? node.consumer.name : undefined;
  const whose = consumer ? `consumer "${consumer}"` : `group "${group}"`;
  const minIdleMs = await askDuration(s, {
    title: `Acknowledge pending entries of ${whose} idle at least`,
    prompt: 'Only entries idle this long or longer are acknowledged; the default is the stuck threshold (redisQueues.thresholds.stuckConsumerIdleSeconds). Type 0 for every pending entry',
    defaultMs: s.provider.settings().thresholds.stuckIdleMs,
  });
  const count = await ops.countPending(t, stream, group, { consumer, minIdleMs });
  if (!count) {
    s.ui.info(`No pending entries of ${whose} idle at least ${formatDuration(minIdleMs)}.`);
    return { acked: 0 };
  }
  const howMany = count >= 100_000 ? 'up to 100,000' : plural(count, 'pending entry', 'pending entries');
  await confirmImpact(s, session, {
    message: minIdleMs
      ? `Acknowledge ${howMany} of ${whose} on "${stream}" idle at least ${formatDuration(minIdleMs)}?`
      : `Acknowledge every pending entry of ${whose} on "${stream}" (${howMany}, whatever their idle time)?`,
    detail: `They leave the pending entries list and will not be delivered again.${minIdleMs ? '' : ' With a minimum idle time of 0, entries a consumer is working on right now are acknowledged too.'}`,
    button: 'Acknowledge',
    typeName: stream,
  });
  const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Acknowledging…' }, () => ops.ackMatching(t, stream, group, { consumer, minIdleMs }));
  s.ui.info(`Acknowledged ${plural(r.acked, 'entry', 'entries')}.`);
  refreshAround(s, node);
  return r;
}

/**
 * The consumer to claim to: the group's consumers (XINFO CONSUMERS) with their pending count and
 * idle time, without `owners` (the current owners of the entries being claimed), or a new name.
 */
async function pickConsumer(s: Services, session: Session, stream: string, group: string, owners: string[] = []): Promise<string> {
  const thresholds = s.provider.settings().thresholds;
  const consumers = (await session.run((insp) => insp.consumers(stream, group))).filter((c) => !owners.includes(c.name));
  const items = consumers.map((c) => ({
    label: c.name,
    description: `${c.pending} pending · idle ${formatDuration(c.idle)}${isStuck(c, thresholds) ? ' · STUCK' : ''}`,
    value: c.name,
  }));
  items.unshift({ label: '$(add) New consumer name…', description: 'claim to a consumer that does not exist yet', value: '\u0000new' });
  const ownedBy = owners.length ? ` (now owned by ${owners.join(', ')})` : '';
  let name = required(await s.ui.pick(items, { title: `Claim to which consumer of "${group}"?${ownedBy}` }));
  if (name === '\u0000new') {
    const taken = (v: string) => (owners.includes(v.trim()) ? `"${v.trim()}" already owns ${owners.length > 1 ? 'some of ' : ''}these entries: choose another consumer` : undefined);
    name = required(await s.ui.input({ title: 'New consumer name', value: ownConsumerName(), validate: (v) => (v.trim() ? taken(v) : 'A name is required') })).trim();
  }
  return name;
}

/** Claim the selected pending entries for a chosen (or new) consumer; entries active again are skipped. */
export async function claimPending(s: Services, node?: unknown, selected?: unknown[], args?: { consumer?: string; minIdleMs?: number }): Promise<ops.ClaimResult> {
  const entries = pendingRows(s, node, selected, true);
  if (!entries.length) throw new Error('Select one or more pending entries in the Redis Queues tree to claim them');
  const { session, stream, group } = await resolveGroup(s, entries[0]);
  refuseReadOnly(session, 'XCLAIM');
  const t = await opTarget(session);
  const owners = [...new Set(entries.map((e) => e.entry.consumer))];
  const consumer = args?.consumer ?? (await pickConsumer(s, session, stream, group, owners));
  // Default min-idle: the smallest idle time the tree showed, so an entry that became active since
  // is skipped (formatDuration rounds down, so the entries shown still qualify).
  const shown = Math.min(...entries.map((e) => e.entry.idle));
  const minIdleMs =
    args?.minIdleMs ??
    (await askDuration(s, {
      title: 'Only claim entries idle at least',
      prompt: `Entries that became active again (idle less than this) are skipped; the default is the smallest idle time of the ${entries.length === 1 ? 'entry' : 'entries'} as the tree showed it`,
      defaultMs: shown,
    }));
  await confirmImpact(s, session, {
    message: `Claim ${plural(entries.length, 'pending entry', 'pending entries')} of "${stream}" for consumer "${consumer}"?`,
    detail: `Ownership moves from ${owners.join(', ')} to ${consumer}; delivery counts stay as they are. Entries idle less than ${formatDuration(minIdleMs)} are skipped.`,
    button: 'Claim',
    typeName: stream,
  });
  const r = await ops.claim(t, stream, group, consumer, entries.map((e) => e.entry.id), { minIdleMs });
  s.search.noted(entries.filter((e) => r.claimed.includes(e.entry.id)), `claimed by ${consumer}`);
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
  const consumer = args?.consumer ?? (await pickConsumer(s, session, stream, group));
  const thresholds = s.provider.settings().thresholds;
  const minIdleMs =
    args?.minIdleMs ??
    (await askDuration(s, {
      title: 'Claim entries idle at least',
      prompt: 'Pending entries idle this long or longer move; the default is the stuck threshold (redisQueues.thresholds.stuckConsumerIdleSeconds)',
      defaultMs: thresholds.stuckIdleMs,
    }));
  const preview = await ops.autoClaimPreview(t, stream, group, { minIdleMs, count: 100 });
  if (!preview.length) {
    s.ui.info(`No pending entries in "${group}" idle at least ${formatDuration(minIdleMs)}.`);
    return { claimed: [], deleted: [] };
  }
  // POISON as in the tree: delivered thresholds.poisonDeliveries times or more. Claiming one
  // delivers it again; dead-lettering it is often the better move.
  const poison = preview.filter((p) => isPoison(p, thresholds)).length;
  const picked = await s.ui.pickMany(
    preview.map((p) => ({
      label: p.id,
      description: `${p.consumer} · idle ${formatDuration(p.idle)} · delivered ${p.deliveries}×${isPoison(p, thresholds) ? ' · POISON' : ''}`,
      // A POISON entry starts unticked: claiming delivers it again, to fail again.
      picked: !isPoison(p, thresholds),
      value: p.id,
    })),
    {
      title:
        `Auto-claim preview: ${preview.length}${preview.length === 100 ? '+' : ''} entries would move to "${consumer}" (uncheck to leave some)` +
        (poison ? `; ${poison} POISON (delivered ${thresholds.poisonDeliveries}× or more): consider dead-lettering ${poison === 1 ? 'it' : 'them'} instead. POISON entries are unticked; tick to claim them too` : ''),
    },
  );
  if (!picked?.length) return undefined;
  await confirmImpact(s, session, {
    message: `Claim ${plural(picked.length, 'entry', 'entries')} of group "${group}" for "${consumer}"?`,
    detail: `From: ${[...new Set(preview.filter((p) => picked.includes(p.id)).map((p) => p.consumer))].join(', ')}. Ownership moves; delivery counts stay as they are. Entries deleted or trimmed from the stream are dropped from the PEL and reported.`,
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

/** The reason offered when dead-lettering from the tree. */
export const DEFAULT_DEAD_LETTER_REASON = 'dead-lettered from VS Code';

/** Dead-letter the selected pending entries (atomic per entry: XADD to the DLQ + XACK), asking for the reason recorded as their error. */
export async function deadLetterPending(s: Services, node?: unknown, selected?: unknown[], args?: { dlq?: string; reason?: string }): Promise<{ moved: { id: string; dlqId: string }[]; skipped: string[]; gone: string[] }> {
  const entries = pendingRows(s, node, selected, true);
  if (!entries.length) throw new Error('Select one or more pending entries in the Redis Queues tree to dead-letter them');
  const { session, stream, group } = await resolveGroup(s, entries[0]);
  refuseReadOnly(session, 'dead-letter');
  const dlq = args?.dlq ?? defaultDeadLetterStream(stream);
  // The reason is recorded as each dead letter's error (x-dlq-error), shown when replaying.
  const reason =
    args?.reason ??
    required(
      await s.ui.input({
        title: `Dead-letter ${plural(entries.length, 'pending entry', 'pending entries')} to "${dlq}": reason`,
        prompt: 'Recorded as the error of each dead letter, and shown when you replay it',
        value: DEFAULT_DEAD_LETTER_REASON,
        validate: (v) => (v.trim() ? undefined : 'A reason is required'),
      }),
    ).trim();
  await confirmImpact(s, session, {
    message: `Dead-letter ${plural(entries.length, 'pending entry', 'pending entries')} of group "${group}" to "${dlq}"?`,
    detail: `Each entry is copied to the dead-letter stream with its origin, group, id, delivery count and the reason "${reason}", and acknowledged, atomically. Replay it later from the dead-letter stream.`,
    button: 'Dead-letter',
    typeName: stream,
  });
  const t = await opTarget(session);
  const r = await ops.deadLetter(t, stream, group, entries.map((e) => e.entry.id), { dlq, reason });
  if (r.moved.length) s.provider.known.add(session.name, 'streams', [dlq]); // it may be new: shown without a scan
  s.search.noted(entries.filter((e) => r.moved.some((m) => m.id === e.entry.id)), `dead-lettered to ${dlq}`);
  s.ui.info(
    `Moved ${plural(r.moved.length, 'entry', 'entries')} to ${dlq}${r.skipped.length ? `; ${r.skipped.length} no longer pending: ${r.skipped.join(', ')}` : ''}` +
      `${r.gone.length ? `; not moved, their message was deleted from the stream (ack them instead): ${r.gone.join(', ')}` : ''}.`,
  );
  s.provider.refresh();
  return r;
}
