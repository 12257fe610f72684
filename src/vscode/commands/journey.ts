import { BadInputError, isValidId, parseId, splitDeadLetter } from '../../core/internal';
import type { Session } from '../connections/session';
import type { Journey, JourneyTarget } from '../journey/journeyPanel';
import type { Services } from '../services';
import { EntryNode, PendingEntryNode } from '../tree/explorerNodes';
import { JobNode } from '../tree/listQueueNodes';
import { required } from './command';
import { resolveSession } from './target';

/** Arguments for callers and tests instead of the prompts: the connection, and the stream and id (or `text`: "stream id", or an id alone). */
export interface JourneyArgs {
  connection?: string;
  stream?: string;
  id?: string;
  /** As pasted: "stream id", or an id alone. */
  text?: string;
  /** Dead-letter stream to look in (default `<stream>:dlq`; null: none). */
  dlq?: string | null;
}

/** Strips what often comes along with a pasted id: quotes, brackets, a trailing comma. */
function cleanId(s: string): string {
  return s.trim().replace(/^["'`[(]+|["'`\]),;]+$/g, '');
}

/**
 * Reads what was typed or pasted: `stream id` (the id last, after whitespace), an id alone, or a
 * stream alone. Exported for tests.
 */
export function parseJourneyText(text: string): { stream?: string; id?: string } {
  const s = text.trim();
  if (!s) return {};
  if (isValidId(cleanId(s), { allowMsOnly: false })) return { id: cleanId(s) };
  const m = /^(.*\S)\s+(\S+)$/s.exec(s);
  if (m && isValidId(cleanId(m[2]!), { allowMsOnly: false })) return { stream: m[1]!.trim().replace(/^["'`]|["'`]$/g, ''), id: cleanId(m[2]!) };
  return { stream: s };
}

function idProblem(v: string): string | undefined {
  const p = parseJourneyText(v);
  if (p.id) return undefined;
  try {
    parseId(cleanId(v), { allowMsOnly: false });
    return undefined;
  } catch (e) {
    return `${(e as Error).message} (paste an id like 1700000000000-0, or "stream id")`;
  }
}

/** What a tree row (explorer or search results) names: a message, the original of a dead-letter record, or a list-queue job. */
export function journeyTargetOf(node: unknown): { session: Session; target: JourneyTarget } | undefined {
  if (node instanceof PendingEntryNode) return { session: node.session, target: { kind: 'message', stream: node.stream, id: node.entry.id } };
  if (node instanceof EntryNode) {
    if (node.parent.dlq && node.entry.raw) {
      // A dead-letter record: the journey of the message it is a copy of, looking in this dead-letter stream.
      const d = splitDeadLetter(node.entry);
      if (d.origin && d.originalId && isValidId(d.originalId, { allowMsOnly: false }) && d.origin !== node.stream) {
        return { session: node.session, target: { kind: 'message', stream: d.origin, id: d.originalId, dlq: node.stream } };
      }
    }
    return { session: node.session, target: { kind: 'message', stream: node.stream, id: node.entry.id } };
  }
  if (node instanceof JobNode) {
    const q = node.parent.parent;
    return { session: q.session, target: { kind: 'job', queue: q.queue.name, id: node.job.id, layout: q.queue.layout } };
  }
  return undefined;
}

/**
 * Show Journey: from a row (a stream entry, a pending entry, a dead-letter record: its original, a
 * list-queue job, a search hit), or from the palette (connection, then the stream and the id,
 * either of which may be pasted as "stream id"). Opens the journey panel (one per message, reused)
 * and resolves to the journey read. Only reads: allowed on read-only connections.
 */
export async function showJourney(s: Services, node?: unknown, selectedOrArgs?: unknown, maybeArgs?: JourneyArgs): Promise<Journey | undefined> {
  const args: JourneyArgs = (maybeArgs ?? (selectedOrArgs && typeof selectedOrArgs === 'object' && !Array.isArray(selectedOrArgs) ? selectedOrArgs : {})) as JourneyArgs;
  const fromNode = journeyTargetOf(node);
  if (fromNode) return s.journeys.show(fromNode.session, fromNode.target);

  let session: Session;
  if (args.connection !== undefined) {
    const named = s.sessions.get(args.connection);
    if (!named) throw new BadInputError(`There is no connection "${args.connection}"`);
    session = named;
  } else session = await resolveSession(s, node);

  let { stream, id } = args;
  if (args.text !== undefined) ({ stream = stream, id = id } = parseJourneyText(args.text));
  if (stream === undefined) {
    const text = required(
      await s.ui.input({
        title: `Journey of a message on "${session.name}": stream`,
        prompt: 'The stream\'s key, or paste "stream id" (e.g. orders 1700000000000-0)',
        validate: (v) => (v.trim() ? undefined : 'A stream name is required'),
      }),
    );
    const p = parseJourneyText(text);
    stream = p.stream;
    id ??= p.id;
    if (stream === undefined) {
      // An id alone was pasted: the stream is still to be typed.
      stream = required(await s.ui.input({ title: `Journey of ${id}: stream`, prompt: 'The key of the stream the message is in', validate: (v) => (v.trim() ? undefined : 'A stream name is required') })).trim();
    }
  }
  if (id === undefined) {
    const text = required(await s.ui.input({ title: `Journey of a message in "${stream}": id`, prompt: 'Paste the id, e.g. 1700000000000-0 (or "stream id")', validate: idProblem }));
    const p = parseJourneyText(text);
    if (p.stream !== undefined && p.id !== undefined) stream = p.stream;
    id = p.id ?? cleanId(text);
  }
  parseId(id, { allowMsOnly: false });
  if (!stream.trim()) throw new BadInputError('A stream name is required');
  return s.journeys.show(session, { kind: 'message', stream, id: id.trim(), ...(args.dlq !== undefined ? { dlq: args.dlq } : {}) });
}
