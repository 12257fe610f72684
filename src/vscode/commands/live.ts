import * as vscode from 'vscode';
import * as ops from '../../core/ops';
import { ListQueueProducer, StreamProducer, parseId } from '../../core/internal';
import { DebugConsumers } from '../debug/debugConsumers';
import type { DebugConsumerSession } from '../debug/debugSession';
import type { Session } from '../connections/session';
import type { Services } from '../services';
import { TailPanel } from '../tail/tailPanel';
import { ListQueueNode } from '../tree/listQueueNodes';
import { ConnectionNode, GroupNode } from '../tree/explorerNodes';
import type { DashboardPanel } from '../dashboard/dashboardPanel';
import type { TablePanel } from '../tables/tablePanel';
import { required } from './command';
import { listQueueOf, opTarget, ownConsumerName, refuseReadOnly, resolveGroup, resolveSession, resolveStream } from './target';

/** Quick publish: stream (or a new name), fields as JSON or k=v lines; MAXLEN only when asked for. */
export async function publish(s: Services, node?: unknown, args?: { stream?: string; fields?: string; maxlen?: number; exactTrim?: boolean; trim?: boolean }): Promise<string | undefined> {
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
  const text =
    args?.fields ??
    required(await s.ui.input({ title: `Publish to "${stream}": fields as a JSON object, [[name, value], …] pairs, or one field=value`, value: (await shapeOfNewest(session, stream)) ?? '{"orderId": "42", "status": "created"}', validate: validFields }));
  let maxlen = args?.maxlen;
  let exact = args?.exactTrim ?? false;
  // Trimming is asked only when wanted: `args.trim`, or "Publish with trimming…" (Publish is the default).
  const wantsTrim =
    maxlen === undefined &&
    (args?.trim ??
      (args?.fields === undefined &&
        required(await s.ui.pick([{ label: '$(send) Publish', description: 'no trimming', value: false }, { label: '$(filter) Publish with trimming…', description: 'XADD … MAXLEN', value: true }], { title: `Publish to "${stream}"` }))));
  if (wantsTrim) {
    const m = required(await s.ui.input({ title: 'Trim: ~N keeps about N entries (fast), =N exactly N', value: '~1000', validate: (v) => (/^[~=]?\s*\d+$/.test(v.trim()) ? undefined : 'Like ~1000 or =1000') }));
    const t = m.trim();
    maxlen = Number(t.replace(/^[~=]\s*/, ''));
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

/** Longest prefill taken from the stream's newest message (a longer one is not a handy start). */
const PREFILL_MAX = 2000;

/**
 * The stream's newest message as the JSON object the Publish box starts with (same fields, same
 * order, so a test message has the shape the stream's consumers expect), or undefined when there
 * is none or it does not fit an object (binary or repeated names, too long).
 */
async function shapeOfNewest(session: Session, stream: string): Promise<string | undefined> {
  try {
    const raw = (await session.run((insp) => insp.entriesPage(stream, { count: 1 }))).entries[0]?.raw;
    if (!raw?.length) return undefined;
    const obj: Record<string, string> = {};
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const [k, v] = [raw[i]!.toString('utf8'), raw[i + 1]!.toString('utf8')];
      if (!Buffer.from(k, 'utf8').equals(raw[i]!) || !Buffer.from(v, 'utf8').equals(raw[i + 1]!) || Object.hasOwn(obj, k) || /^\d+$/.test(k)) return undefined;
      obj[k] = v;
    }
    const text = JSON.stringify(obj);
    return text.length <= PREFILL_MAX ? text : undefined;
  } catch {
    return undefined; // a prefill is a help: the example then
  }
}

function validFields(v: string): string | undefined {
  // One line cannot hold field=value lines: "a=1;b=2" would be one field "a" valued "1;b=2".
  const t = v.trim();
  if (!t.startsWith('{') && !t.startsWith('[') && /[;,]\s*[^\s=;,]+=/.test(t)) {
    const eq = t.indexOf('=');
    return `This is one field "${t.slice(0, eq)}" with the value "${t.slice(eq + 1)}". For several fields write a JSON object, like {"a": "1", "b": "2"}; a value holding ";x=" or ",x=" must be written as JSON too.`;
  }
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

/** Show Tables: a stream's groups, a group's consumers and its pending entries as tables to sort, filter and act on (on a group's row: that group). */
export async function showTables(s: Services, node?: unknown): Promise<TablePanel> {
  if (node instanceof GroupNode) return s.tables.show(node.session, node.stream, node.group.name);
  const { session, stream } = await resolveStream(s, node);
  return s.tables.show(session, stream);
}

/** Show Dashboard: the health charts of a connection, a stream (all its groups), one group or a list queue (its row). */
export async function showDashboard(s: Services, node?: unknown): Promise<DashboardPanel> {
  if (node instanceof GroupNode) return s.dashboards.show(node.session, node.stream, node.group.name);
  if (node instanceof ConnectionNode) return s.dashboards.showConnection(node.session);
  const list = listQueueOf(node);
  if (list) return s.dashboards.showList(list.session, { name: list.queue, layout: list.layout });
  const { session, stream } = await resolveStream(s, node);
  return s.dashboards.show(session, stream);
}

type Step = 'ack' | 'leave' | 'deadLetter' | 'next' | 'pending' | 'stop';

/**
 * The step debugger for a queue: join a group as a named debug consumer and go through its
 * messages in one read-only document (its own pending entries first, then new ones), with Ack &
 * Next, Leave Pending & Next, Dead-letter, Next and Stop in the editor title and the status bar
 * (src/vscode/debug/). Returns the session once its first read settled; it lives on until Stop or
 * until its document is closed. With `steps` (tests, scripts) it applies them in order (the
 * message-less ones, `next`/`pending`, re-read the consumer's pending entries), stops, and returns
 * the ended session (`handled` lists each message and what was done).
 */
export async function debugConsumer(s: Services, node?: unknown, args?: { consumer?: string; steps?: Step[] }): Promise<DebugConsumerSession> {
  const { session, stream, group } = await resolveGroup(s, node);
  refuseReadOnly(session, 'XREADGROUP (debug consumer)');
  const consumer = args?.consumer ?? required(await s.ui.input({ title: `Join "${group}" as consumer`, value: ownConsumerName(), validate: (v) => (v.trim() ? undefined : 'A name is required') })).trim();
  const dbg = await DebugConsumers.of(s).start(session, stream, group, consumer);
  if (!args?.steps) return dbg;
  for (const step of args.steps) {
    const st = await dbg.settled();
    if (st.kind === 'ended' || step === 'stop') break;
    if (st.kind === 'showing') {
      await dbg.act(step === 'ack' || step === 'deadLetter' ? step : 'leave');
    } else {
      dbg.next();
    }
  }
  await dbg.stop();
  return dbg;
}
