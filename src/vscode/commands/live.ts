import * as vscode from 'vscode';
import * as ops from '../../core/ops';
import { ListQueueProducer, StreamProducer, entryToJson, formatDuration, parseId } from '../../core';
import type { Services } from '../services';
import { TailPanel } from '../tail/tailPanel';
import { ListQueueNode } from '../tree/listQueueNodes';
import { required } from './command';
import { opTarget, plural, refuseReadOnly, resolveGroup, resolveSession, resolveStream } from './target';

/** Quick publish: stream (or a new name), fields as JSON or k=v lines, optional MAXLEN. */
export async function publish(s: Services, node?: unknown, args?: { stream?: string; fields?: string; maxlen?: number; exactTrim?: boolean }): Promise<string | undefined> {
  if (node instanceof ListQueueNode) {
    refuseReadOnly(node.session, 'enqueue');
    const text = args?.fields ?? required(await s.ui.input({ title: `Enqueue a job on "${node.queue.name}": fields as a JSON object, or one field=value`, value: '{"to": "dev@example.com", "template": "welcome"}', validate: validFields }));
    const producer = new ListQueueProducer((await opTarget(node.session)).client, { queue: node.queue.name, layout: node.queue.layout });
    const id = await producer.enqueue(ops.fieldsFromText(text));
    s.ui.info(`Enqueued job ${id} on ${node.queue.name}.`);
    s.provider.refresh();
    return id;
  }
  const { session, stream } = args?.stream ? { session: await resolveSession(s, node), stream: args.stream } : await resolveStream(s, node, { allowNew: true });
  refuseReadOnly(session, 'XADD');
  const text = args?.fields ?? required(await s.ui.input({ title: `Publish to "${stream}": fields as a JSON object, [[name, value], …] pairs, or one field=value`, value: '{"orderId": "42", "status": "created"}', validate: validFields }));
  let maxlen = args?.maxlen;
  let exact = args?.exactTrim ?? false;
  if (args?.fields === undefined) {
    const m = required(await s.ui.input({ title: 'Trim: ~N keeps about N entries (fast), =N exactly N; empty for no trimming', value: '', validate: (v) => (v.trim() === '' || /^[~=]?\s*\d+$/.test(v.trim()) ? undefined : 'Like ~1000 or =1000, or empty') }));
    const t = m.trim();
    maxlen = t ? Number(t.replace(/^[~=]\s*/, '')) : undefined;
    exact = t.startsWith('=');
  }
  const producer = new StreamProducer((await opTarget(session)).client, { stream });
  const id = await producer.publish(ops.fieldsFromText(text), maxlen === undefined ? {} : { trim: { strategy: 'MAXLEN', threshold: maxlen, exact } });
  s.provider.known.add(session.name, 'streams', [stream]); // a new stream shows without a scan
  void s.provider.known.save(session.name);
  s.ui.info(`Published ${id} to ${stream}.`);
  s.provider.refresh();
  return id;
}

function validFields(v: string): string | undefined {
  try {
    ops.fieldsFromText(v);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Opens a live tail view of a stream, from now or from a chosen id. */
export async function openTail(s: Services, node?: unknown, args?: { from?: string }): Promise<TailPanel> {
  const { session, stream } = await resolveStream(s, node);
  let from = args?.from;
  if (!from) {
    from = required(
      await s.ui.pick(
        [
          { label: 'From now', description: 'entries added from now on ($)', value: '$' },
          { label: 'From the beginning', description: 'every entry, then new ones (0)', value: '0' },
          { label: 'After an id…', value: '\u0000id' },
        ],
        { title: `Tail "${stream}"` },
      ),
    );
    if (from === '\u0000id') {
      from = required(await s.ui.input({ title: 'Show entries after id', validate: (v) => { try { parseId(v.trim()); return undefined; } catch (e) { return (e as Error).message; } } })).trim();
    }
  }
  const maxRows = Math.max(100, vscode.workspace.getConfiguration('redisQueues').get<number>('tail.maxRows', 5000));
  return TailPanel.create(s.context.extensionUri, s.store, session, stream, from, maxRows);
}

type Step = 'ack' | 'leave' | 'deadLetter' | 'next' | 'pending' | 'stop';

/**
 * The step debugger for a queue: join a group as a named debug consumer, fetch the next message
 * (or re-read its own pending ones), show it, then ack, leave pending, dead-letter or fetch next.
 */
export async function debugConsumer(s: Services, node?: unknown, args?: { consumer?: string; steps?: Step[] }): Promise<{ handled: { id: string; action: Step }[] }> {
  const { session, stream, group } = await resolveGroup(s, node);
  refuseReadOnly(session, 'XREADGROUP (debug consumer)');
  const consumer = args?.consumer ?? required(await s.ui.input({ title: `Join "${group}" as consumer`, value: `vscode-debug-${process.env.USER ?? 'me'}`, validate: (v) => (v.trim() ? undefined : 'A name is required') })).trim();
  const t = await opTarget(session);
  const scripted = args?.steps ? [...args.steps] : undefined;
  const handled: { id: string; action: Step }[] = [];
  let mode = 'next' as 'next' | 'pending';
  let after = '0';
  for (;;) {
    const entry = await ops.readOne(t, stream, group, consumer, mode === 'pending' ? { ownPending: true, after } : { blockMs: 2000 });
    if (!entry) {
      const again: Step | undefined = scripted ? scripted.shift() : await s.ui.pick<Step>(
        [
          { label: '$(debug-step-over) Wait for the next message', value: 'next' },
          { label: '$(history) Re-read my pending entries', value: 'pending' },
          { label: '$(debug-stop) Stop', value: 'stop' },
        ],
        { title: mode === 'pending' ? `No more pending entries for ${consumer}` : `No new message on "${stream}" for "${group}"` },
      );
      if (!again || again === 'stop') break;
      mode = again === 'pending' ? 'pending' : 'next';
      after = '0';
      continue;
    }
    if (mode === 'pending') after = entry.id;
    const doc = await vscode.workspace.openTextDocument({ language: 'json', content: entryToJson(entry, { stream, group, consumer, deliveries: entry.deliveries }) });
    if (!scripted) await vscode.window.showTextDocument(doc, { preview: true, preserveFocus: true });
    const action: Step | undefined = scripted ? scripted.shift() : await s.ui.pick<Step>(
      [
        { label: '$(check) Ack', description: 'processed: XACK', value: 'ack' },
        { label: '$(debug-pause) Leave pending', description: 'keep it in my PEL, fetch the next', value: 'leave' },
        { label: '$(archive) Dead-letter', description: `to ${stream}:dlq, atomically`, value: 'deadLetter' },
        { label: '$(debug-stop) Stop', description: 'leave it pending and stop', value: 'stop' },
      ],
      { title: `${entry.id} · delivered ${entry.deliveries}× · ${formatDuration(Date.now() - Number(entry.id.split('-')[0]))} old` },
    );
    if (!action || action === 'stop') {
      handled.push({ id: entry.id, action: 'stop' });
      break;
    }
    if (action === 'ack') await ops.ack(t, stream, group, [entry.id]);
    if (action === 'deadLetter') await ops.deadLetter(t, stream, group, [entry.id], { reason: `dead-lettered while debugging as ${consumer}` });
    handled.push({ id: entry.id, action });
    s.provider.refresh();
  }
  if (!scripted) s.ui.info(`Debug consumer "${consumer}" stopped after ${plural(handled.length, 'message')}.`);
  return { handled };
}
