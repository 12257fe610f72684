import * as vscode from 'vscode';
import * as ops from '../../core/ops';
import { formatCount, formatDuration, listQueueKeys, parseId } from '../../core/internal';
import type { Services } from '../services';
import { ConsumerNode, EntryNode, PendingEntryNode } from '../tree/explorerNodes';
import { JobNode, ListQueueNode, ListSectionNode } from '../tree/listQueueNodes';
import { Cancelled, required } from './command';
import { askDuration } from './pending';
import { confirmImpact, listQueueOf, opTarget, plural, refuseReadOnly, resolveGroup, resolveStream, selection } from './target';

const idOrSpecial = (specials: string[]) => (v: string) => {
  if (specials.includes(v.trim())) return undefined;
  try {
    parseId(v.trim());
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
};

/**
 * Replay from a dead-letter stream to each entry's recorded origin. First a preview lists what
 * would move (the tree's selection of DLQ entries, or all of them): each entry with its error,
 * origin and delivery count, all ticked, so some can be unticked. Then the rate, then the
 * confirmation (a dry-run count per origin); only the ticked entries move. `args.ids` skips the
 * preview (those ids are replayed).
 */
export async function replayDeadLetters(s: Services, node?: unknown, selected?: unknown[], args?: { ratePerSecond?: number; to?: string; ids?: string[] }): Promise<ops.ReplayResult | undefined> {
  const picked = selection(node, selected, EntryNode);
  const { session, stream: dlq } = await resolveStream(s, picked[0] ?? node);
  refuseReadOnly(session, 'replay');
  const t = await opTarget(session);
  const plan = await ops.planReplay(t, dlq, { ids: args?.ids ?? (picked.length ? picked.map((e) => e.entry.id) : undefined) });
  if (!plan.entries.length) {
    s.ui.info(`Nothing to replay in "${dlq}".`);
    return { replayed: [], skipped: [], failed: [], stopped: false };
  }
  if (!args?.to && !Object.keys(plan.byOrigin).length) throw new Error(`The entries of "${dlq}" record no origin stream: is it a dead-letter stream of this extension's format?`);
  const movable = (l: (typeof plan.entries)[number]) => l.hasBody && Boolean(args?.to ?? l.origin);
  let ids = args?.ids;
  if (!ids) {
    const unmovable = plan.entries.filter((l) => !movable(l)).length;
    ids = required(
      await s.ui.pickMany(
        plan.entries.map((l) => ({
          label: l.id,
          description:
            `${!l.hasBody ? 'no message: skipped' : args?.to ? `→ ${args.to}` : l.origin ? `→ ${l.origin}` : 'no recorded origin: skipped'}` +
            ` · delivered ${l.deliveries ?? '?'}× · ${l.error ?? 'no error recorded'}`,
          detail: [l.group && `group ${l.group}`, l.consumer && `consumer ${l.consumer}`, l.originalId && `was ${l.originalId}`, l.at !== undefined && `dead-lettered ${formatDuration(Math.max(0, Date.now() - l.at))} ago`].filter(Boolean).join(' · ') || undefined,
          picked: movable(l),
          value: l.id,
        })),
        {
          title:
            `Replay preview: ${plural(plan.entries.length, 'entry', 'entries')} of "${dlq}" would go back to ${args?.to ? `"${args.to}"` : 'their origin'} (untick to leave some)` +
            (unmovable ? `; ${unmovable} cannot be replayed (no message or no origin)` : ''),
        },
      ),
    );
    if (!ids.length) throw new Cancelled();
  }
  const chosen = plan.entries.filter((l) => ids!.includes(l.id));
  const byOrigin: Record<string, number> = {};
  for (const l of chosen) if (l.hasBody && l.origin) byOrigin[l.origin] = (byOrigin[l.origin] ?? 0) + 1;
  const withoutOrigin = chosen.filter((l) => l.hasBody && !l.origin).length;
  const withoutBody = chosen.filter((l) => !l.hasBody).length;
  const origins = Object.entries(byOrigin).map(([o, n]) => `${formatCount(n)} → ${o}`).join(', ');
  const rate = args?.ratePerSecond ?? Number(required(await s.ui.input({ title: 'Replay rate (entries per second)', value: '100', validate: (v) => (Number(v) > 0 ? undefined : 'A positive number') })));
  await confirmImpact(s, session, {
    message: `Replay ${plural(ids.length, 'dead-lettered entry', 'dead-lettered entries')} from "${dlq}"?`,
    detail:
      `Dry run: ${args?.to ? `all → ${args.to}` : origins || 'nothing'}${withoutOrigin && !args?.to ? `; ${withoutOrigin} without a recorded origin are skipped` : ''}` +
      `${withoutBody ? `; ${withoutBody} without a message are skipped` : ''}. ` +
      `Each is re-added as its original message (with x-replay-count and x-replay-of), then removed from the dead-letter stream, atomically, at most ${rate}/s.`,
    button: 'Replay',
    typeName: dlq,
  });
  const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Replaying from ${dlq}…`, cancellable: true }, (_p, token) => {
    const ac = new AbortController();
    token.onCancellationRequested(() => ac.abort());
    return ops.replay(t, dlq, { ids, to: args?.to, ratePerSecond: rate, signal: ac.signal });
  });
  const targets = [...new Set(r.replayed.map((x) => x.origin))];
  if (targets.length) s.provider.known.add(session.name, 'streams', targets); // a replay may create its target
  s.search.noted(picked.filter((e) => r.replayed.some((x) => x.id === e.entry.id)), 'replayed');
  const summary = `Replayed ${plural(r.replayed.length, 'entry', 'entries')}${r.skipped.length ? `; skipped ${r.skipped.length} (${[...new Set(r.skipped.map((x) => x.reason))].join(', ')})` : ''}`;
  if (r.failed.length) s.ui.warn(`${summary}; ${r.failed.length} not replayed, left in the dead-letter stream: ${[...new Set(r.failed.map((x) => x.reason))].join(', ')}.`);
  else s.ui.info(`${summary}.`);
  s.provider.refresh();
  return r;
}

export async function createGroup(s: Services, node?: unknown, args?: { group?: string; from?: string }): Promise<string> {
  const { session, stream } = await resolveStream(s, node, { allowNew: true });
  refuseReadOnly(session, 'XGROUP CREATE');
  const group = args?.group ?? required(await s.ui.input({ title: `New consumer group on "${stream}"`, validate: (v) => (v.trim() ? undefined : 'A name is required') })).trim();
  let from = args?.from;
  if (!from) {
    from = required(
      await s.ui.pick(
        [
          { label: '$', description: 'only entries added from now on', value: '$' },
          { label: '0', description: 'every entry in the stream', value: '0' },
          { label: 'An id…', description: 'entries after a given id', value: '\u0000id' },
        ],
        { title: 'Where does the group start reading?' },
      ),
    );
    if (from === '\u0000id') from = required(await s.ui.input({ title: 'Start after id', validate: idOrSpecial([]) })).trim();
  }
  await ops.createGroup(await opTarget(session), stream, group, { from });
  s.provider.known.add(session.name, 'streams', [stream]); // MKSTREAM may have created it
  void s.provider.known.save(session.name);
  const start = from === '$' ? 'it will read only entries added from now on ($)' : from === '0' ? 'it will read the whole stream from its first entry (0)' : `it will read the entries after ${from}`;
  s.ui.info(`Created group "${group}" on "${stream}": ${start}.`);
  s.provider.refresh();
  return group;
}

export async function setGroupId(s: Services, node?: unknown, args?: { id?: string }): Promise<string> {
  const { session, stream, group } = await resolveGroup(s, node);
  refuseReadOnly(session, 'XGROUP SETID');
  const id = args?.id ?? required(await s.ui.input({ title: `Set the last-delivered id of "${group}" ($ = end, 0 = start)`, value: '$', validate: idOrSpecial(['$', '0']) })).trim();
  await confirmImpact(s, session, {
    message: `Move group "${group}" of "${stream}" to ${id}?`,
    detail: 'Entries after this id are (re)delivered to the group; pending entries are unchanged. Lag becomes unknown until Redis can compute it again.',
    button: 'Set ID',
    typeName: stream,
  });
  await ops.setGroupId(await opTarget(session), stream, group, id);
  s.ui.info(`Group "${group}" now reads after ${id}.`);
  s.provider.refresh();
  return id;
}

export async function destroyGroup(s: Services, node?: unknown): Promise<{ destroyed: boolean; pendingLost: number }> {
  const { session, stream, group } = await resolveGroup(s, node);
  refuseReadOnly(session, 'XGROUP DESTROY');
  const g = (await session.run((insp) => insp.groups(stream))).find((x) => x.name === group);
  await confirmImpact(s, session, {
    message: `Destroy consumer group "${group}" of "${stream}"?`,
    detail: `Its ${plural(g?.consumers ?? 0, 'consumer')} and ${plural(g?.pending ?? 0, 'pending entry', 'pending entries')} are forgotten; workers in this group get NOGROUP. The stream's entries stay.`,
    button: 'Destroy',
    typeName: stream,
  });
  const r = await ops.destroyGroup(await opTarget(session), stream, group);
  s.ui.info(`Destroyed group "${group}" (${plural(r.pendingLost, 'pending entry', 'pending entries')} forgotten).`);
  s.provider.refresh();
  return r;
}

/** Delete a consumer; while it holds pending entries, claim them elsewhere first or force. */
export async function deleteConsumer(s: Services, node?: unknown, args?: { claimTo?: string; force?: boolean }): Promise<{ deleted: boolean; pendingLost: number; claimed: number } | undefined> {
  if (!(node instanceof ConsumerNode)) throw new Error('Run "Delete Consumer" on a consumer in the Redis Queues tree');
  const { session, stream, group } = await resolveGroup(s, node);
  refuseReadOnly(session, 'XGROUP DELCONSUMER');
  const consumer = node.consumer.name;
  const pending = (await session.run((insp) => insp.pendingSummary(stream, group))).consumers.find((c) => c.name === consumer)?.pending ?? 0;
  let claimTo = args?.claimTo;
  let force = args?.force ?? false;
  if (pending > 0 && !claimTo && !force) {
    const choice = required(
      await s.ui.pick(
        [
          { label: `Claim its ${plural(pending, 'pending entry', 'pending entries')} to another consumer first`, value: 'claim' },
          { label: `Delete anyway: ${plural(pending, 'pending entry', 'pending entries')} forgotten by the group`, value: 'force' },
        ],
        { title: `"${consumer}" still holds pending entries` },
      ),
    );
    if (choice === 'claim') {
      const others = (await session.run((insp) => insp.consumers(stream, group))).map((c) => c.name).filter((c) => c !== consumer);
      const items = others.map((c) => ({ label: c, value: c }));
      items.unshift({ label: '$(add) New consumer name…', value: '\u0000new' });
      claimTo = required(await s.ui.pick(items, { title: 'Claim to' }));
      if (claimTo === '\u0000new') claimTo = required(await s.ui.input({ title: 'Consumer name', validate: (v) => (v.trim() && v.trim() !== consumer ? undefined : 'Another consumer name') })).trim();
    } else force = true;
  }
  await confirmImpact(s, session, {
    message: `Delete consumer "${consumer}" of group "${group}"?`,
    detail: pending === 0 ? 'It holds no pending entries.' : claimTo ? `Its ${plural(pending, 'pending entry', 'pending entries')} move to "${claimTo}" first.` : `Its ${plural(pending, 'pending entry', 'pending entries')} are forgotten by the group and never redelivered.`,
    button: 'Delete',
    typeName: stream,
  });
  const r = await ops.deleteConsumer(await opTarget(session), stream, group, consumer, { claimTo, force });
  s.ui.info(`Deleted consumer "${consumer}"${r.claimed ? `; ${r.claimed} entries claimed to ${claimTo}` : ''}${r.pendingLost ? `; ${r.pendingLost} pending entries forgotten` : ''}.`);
  s.provider.refresh();
  return r;
}

export async function deleteEntries(s: Services, node?: unknown, selected?: unknown[]): Promise<number> {
  const entries = [...selection(node, selected, EntryNode), ...selection(node, selected, PendingEntryNode)];
  if (!entries.length) throw new Error('Select one or more entries in the Redis Queues tree to delete them');
  const { session, stream } = await resolveStream(s, entries[0]);
  refuseReadOnly(session, 'XDEL');
  const ids = entries.map((e) => e.entry.id);
  await confirmImpact(s, session, {
    message: `Delete ${plural(ids.length, 'entry', 'entries')} from "${stream}"?`,
    detail: 'The entries are removed from the stream for good. Pending records that point at them stay in their groups with empty bodies until acknowledged or claimed.',
    button: 'Delete',
    typeName: stream,
  });
  const n = await ops.deleteEntries(await opTarget(session), stream, ids);
  s.search.noted(entries, 'deleted');
  s.ui.info(`Deleted ${plural(n, 'entry', 'entries')}.`);
  s.provider.refresh();
  return n;
}

/** Trim by MAXLEN or MINID after a preview of entries removed and pending entries affected per group. */
export async function trimStream(s: Services, node?: unknown, args?: { maxlen?: number; minid?: string }): Promise<number> {
  const { session, stream } = await resolveStream(s, node);
  refuseReadOnly(session, 'XTRIM');
  let spec: ops.TrimSpec;
  if (args?.maxlen !== undefined) spec = { maxlen: args.maxlen };
  else if (args?.minid !== undefined) spec = { minid: args.minid };
  else {
    const kind = required(await s.ui.pick([{ label: 'MAXLEN', description: 'keep the newest N entries', value: 'maxlen' }, { label: 'MINID', description: 'remove entries older than an id', value: 'minid' }], { title: `Trim "${stream}"` }));
    if (kind === 'maxlen') spec = { maxlen: Number(required(await s.ui.input({ title: 'Keep the newest N entries', validate: (v) => (/^\d+$/.test(v.trim()) ? undefined : 'A whole number') }))) };
    else spec = { minid: required(await s.ui.input({ title: 'Remove entries with ids below', validate: idOrSpecial([]) })).trim() };
  }
  const t = await opTarget(session);
  const preview = await ops.trimPreview(t, stream, spec);
  if (!preview.removed) {
    s.ui.info(`Trimming "${stream}" that way removes nothing.`);
    return 0;
  }
  const pend = preview.pendingAffected.map((p) => `${formatCount(p.count)}${p.capped ? '+' : ''} pending in "${p.group}"`).join(', ');
  await confirmImpact(s, session, {
    message: `Trim "${stream}": remove ${plural(preview.removed, 'entry', 'entries')}?`,
    detail: pend ? `Still pending and would lose their bodies: ${pend}. Those consumers will see nil entries.` : 'None of the removed entries is pending in any group.',
    button: 'Trim',
    typeName: stream,
  });
  const n = await ops.trim(t, stream, spec, { exact: true });
  s.ui.info(`Trimmed ${plural(n, 'entry', 'entries')} from "${stream}".`);
  s.provider.refresh();
  return n;
}

// ---- list queues ----

/**
 * Requeue processing jobs: the selected ones, or (on a queue or its processing list) those that have
 * run at least a duration (default: the stuck threshold), or all of them when the layout keeps no
 * started-at stamps.
 */
export async function requeueJobs(s: Services, node?: unknown, selected?: unknown[], args?: { olderThanMs?: number }): Promise<string[]> {
  const target = listQueueOf(node);
  if (!target) throw new Error('Run this on a list queue, its processing list or processing jobs in the tree');
  refuseReadOnly(target.session, 'requeue');
  const jobs = selection(node, selected, JobNode).filter((j) => j.parent.section === 'processing');
  const ids = jobs.length ? jobs.map((j) => j.job.id) : undefined;
  // A layout without started-at stamps knows no running times: then it is all of them or chosen ones.
  const timed = listQueueKeys(target.queue, target.layout).stamps;
  const olderThanMs =
    ids || !timed
      ? undefined
      : (args?.olderThanMs ??
        (await askDuration(s, {
          title: `Return processing jobs of "${target.queue}" to waiting that have run longer than`,
          prompt: 'By their started-at stamps; the default is the stuck threshold (redisQueues.thresholds.stuckConsumerIdleSeconds)',
          defaultMs: s.provider.settings().thresholds.stuckIdleMs,
        })));
  await confirmImpact(s, target.session, {
    message: ids
      ? `Return ${plural(ids.length, 'processing job')} of "${target.queue}" to waiting?`
      : olderThanMs !== undefined
        ? `Return processing jobs of "${target.queue}" running longer than ${formatDuration(olderThanMs)} to waiting?`
        : `Return all ${plural(target.summary.processing, 'processing job')} of "${target.queue}" to waiting?`,
    detail: `${timed ? '' : 'This queue keeps no started-at stamps, so how long its jobs have run is unknown. '}A worker still running one of them may finish it too (it then runs twice).`,
    button: 'Requeue',
    typeName: target.queue,
  });
  const moved = await ops.requeueProcessing(await opTarget(target.session), target.queue, { layout: target.layout, ...(ids ? { ids } : olderThanMs !== undefined ? { olderThanMs } : {}) });
  s.ui.info(`Requeued ${plural(moved.length, 'job')}.`);
  s.provider.refresh();
  return moved;
}

export async function retryDeadJobs(s: Services, node?: unknown, selected?: unknown[]): Promise<string[]> {
  const target = listQueueOf(node);
  if (!target) throw new Error('Run this on a list queue, its dead-letter list or dead jobs in the tree');
  refuseReadOnly(target.session, 'retry dead jobs');
  const jobs = selection(node, selected, JobNode).filter((j) => j.parent.section === 'dead');
  const ids = jobs.length ? jobs.map((j) => j.job.id) : undefined;
  const count = ids?.length ?? (node instanceof ListQueueNode ? node.queue.dead : node instanceof ListSectionNode ? node.count : 0);
  await confirmImpact(s, target.session, {
    message: `Move ${ids ? plural(ids.length, 'dead job') : `all ${plural(count, 'dead job')}`} of "${target.queue}" back to waiting?`,
    detail: 'Their attempt counters are reset; workers pick them up again.',
    button: 'Retry',
    typeName: target.queue,
  });
  const moved = await ops.retryDead(await opTarget(target.session), target.queue, { ids, layout: target.layout });
  s.ui.info(`Moved ${plural(moved.length, 'job')} back to waiting.`);
  s.provider.refresh();
  return moved;
}

export async function deleteJob(s: Services, node?: unknown): Promise<boolean> {
  if (!(node instanceof JobNode)) throw new Error('Run "Delete Job" on a job in the tree');
  const target = listQueueOf(node)!;
  refuseReadOnly(target.session, 'delete job');
  await confirmImpact(s, target.session, {
    message: `Delete job "${node.job.id}" of "${target.queue}"?`,
    detail: `Its id leaves every list of the queue and its hash ${listQueueKeys(target.queue, target.layout).job(node.job.id)} is deleted.`,
    button: 'Delete',
    typeName: target.queue,
  });
  const ok = await ops.deleteJob(await opTarget(target.session), target.queue, node.job.id, { layout: target.layout });
  s.provider.refresh();
  return ok;
}

