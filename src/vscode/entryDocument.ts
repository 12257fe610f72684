import * as vscode from 'vscode';
import { entryToJson, formatDuration, idTime, renderFields, toQueueError } from '../core/internal';
import type { SessionManager } from './connections/session';

export const ENTRY_SCHEME = 'redis-queues-entry';

export interface EntryRef {
  connection: string;
  kind: 'stream' | 'job';
  /** Stream key, or list queue name for jobs. */
  key: string;
  id: string;
  pending?: { group: string; consumer: string; idle: number; deliveries: number };
}

export function entryUri(ref: EntryRef): vscode.Uri {
  const label = `${ref.key}/${ref.id}`.replace(/[/\\?#%]/g, '_');
  return vscode.Uri.from({ scheme: ENTRY_SCHEME, path: `/${label}.json`, query: encodeURIComponent(JSON.stringify(ref)) });
}

function parseRef(uri: vscode.Uri): EntryRef {
  return JSON.parse(decodeURIComponent(uri.query)) as EntryRef;
}

/** Read-only JSON documents showing one stream entry (or list job) with its metadata. Binary shown as hex, large values cut. */
export class EntryDocumentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly sessions: SessionManager) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    let ref: EntryRef;
    try {
      ref = parseRef(uri);
    } catch {
      return '// This link does not name an entry.';
    }
    const session = this.sessions.get(ref.connection);
    if (!session) return `// Connection "${ref.connection}" no longer exists.`;
    try {
      if (ref.kind === 'job') {
        const job = await session.run(async (insp) => {
          const sections = ['processing', 'waiting', 'dead'] as const;
          for (const section of sections) {
            const { jobs } = await insp.listJobs(ref.key, section, { count: 1000 });
            const j = jobs.find((x) => x.id === ref.id);
            if (j) return { ...j, section };
          }
          return undefined;
        });
        if (!job) return JSON.stringify({ queue: ref.key, id: ref.id, note: 'The job is no longer in this queue.' }, null, 2);
        return JSON.stringify({ queue: ref.key, id: job.id, section: job.section, attempts: job.attempts, lastError: job.lastError, runningFor: job.runningForMs == null ? undefined : formatDuration(job.runningForMs), fields: renderFields(job.fields) }, null, 2);
      }
      const entry = await session.run((insp) => insp.entry(ref.key, ref.id));
      const t = idTime(ref.id);
      const meta: Record<string, unknown> = { stream: ref.key, timestamp: Number.isNaN(t) ? undefined : new Date(t).toISOString() };
      if (ref.pending) {
        Object.assign(meta, { group: ref.pending.group, consumer: ref.pending.consumer, idle: formatDuration(ref.pending.idle), idleMs: ref.pending.idle, deliveries: ref.pending.deliveries });
      }
      if (!entry) return JSON.stringify({ id: ref.id, ...meta, fields: null, note: 'The entry was deleted or trimmed from the stream; only its pending record remains.' }, null, 2);
      return entryToJson(entry, meta);
    } catch (e) {
      return `// ${toQueueError(e).message}`;
    }
  }
}
