// The frameworks' job actions from the tree (RQ's Requeue and Delete, Sidekiq's Retry Now, Add to
// Queue, Kill and Delete: core frameworks/readers.ts), one runner for all, with the stream
// commands' rules: refused on a read-only connection before asking or sending, confirmed with
// their impact (typed on production), each job moved by one atomic script, and said after: what
// moved, and each job left as it was with where it is now.
import * as vscode from 'vscode';
import { formatCount } from '../../core/internal';
import { basename } from 'node:path';
import { type FindJobsResult, type JobPage, findJobsIn, readerPages } from '../../core/frameworks/findJobs';
import { bullJobPages } from '../../core/frameworks/bullmq';
import type { RedisClient } from '../../core/redis/connection';
import type { Session } from '../connections/session';
import { BULL_STATE_LABEL, BullStateNode } from '../tree/bullmqNodes';
import { type ExportJobsResult, describeState, exportJobs } from '../../core/frameworks/exportJobs';
import { FRAMEWORKS } from '../../core/frameworks/readers';
import type { FrameworkName, FwActionResult } from '../../core/frameworks/framework';
import type { Services } from '../services';
import { FrameworkJobNode, FrameworkRowNode, FrameworkStateNode } from '../tree/frameworkNodes';
import { Cancelled } from './command';
import { confirmImpact, plural, refuseReadOnly, selection } from './target';
import { bytes, defaultFolder, fileName, rememberFolder, writeFileWith } from './transfer';

/** Runs `redisQueues.<framework>.<action>` on the selected jobs of one row and state. */
export async function frameworkJobAction(s: Services, framework: FrameworkName, name: string, node?: unknown, selected?: unknown[]): Promise<FwActionResult> {
  const entry = FRAMEWORKS.find((f) => f.reader.framework === framework);
  const action = entry?.actions.find((a) => a.name === name);
  if (!entry || !action) throw new Error(`No ${framework} action "${name}"`);
  const picked = selection(node, selected, FrameworkJobNode);
  const first = picked[0];
  if (!first || first.row.framework !== framework) throw new Error(`Select one or more ${entry.reader.label} jobs in the Redis Queues tree`);
  // One row and state at a time: what the confirmation names is what is acted on.
  const jobs = picked.filter((j) => j.row.key === first.row.key && j.state.state === first.state.state);
  if (!action.states.includes(first.state.state)) throw new Error(`${action.title} applies to ${entry.reader.label} jobs in ${action.states.join(' or ')}, not ${first.state.label}`);
  const session = first.parent.session;
  refuseReadOnly(session, `${action.title.toLowerCase()} ${entry.reader.label} jobs`);
  const where = first.row.kind === 'queue' ? `queue "${first.row.name}"` : first.row.name;
  await confirmImpact(s, session, {
    message: `${action.title} ${plural(jobs.length, 'job')} of ${entry.reader.label} ${where}${first.row.kind === 'queue' && first.row.states.length > 1 ? ` (${first.state.label})` : ''}?`,
    detail: `${action.detail} Jobs no longer there are skipped and named.`,
    button: action.title,
    typeName: first.row.name,
  });
  const r = await session.run((insp) => action.run(insp.client, first.row, first.state.state, jobs.map((j) => j.job)));
  const skipped = r.skipped.length ? `; left as they were: ${r.skipped.map((x) => `${x.id} (${x.reason})`).join(', ')}` : '';
  s.ui.info(`${action.past} ${plural(r.done.length, 'job')}${skipped}.`);
  // The folder: every row's counts change (a job moves from Retries to its queue).
  const folder = first.parent instanceof FrameworkStateNode ? first.parent.parent.parent : first.parent.parent;
  void s.provider.refresh(s.provider.current(folder) ?? folder);
  return r;
}

/**
 * Find Jobs…: the jobs of a state (or of a one-state row: a Sidekiq queue, Retries) that hold a
 * text in their id, name, arguments, error or details, read page by page (at most 10,000 jobs);
 * the matches in a list, the one picked opened as a document with all it holds.
 */
/**
 * The state a job command (Find Jobs, Export Jobs) runs on: a framework's state row or one-state
 * row (Retries, a Sidekiq queue), or a BullMQ (or Bull) queue's state.
 */
function stateOf(node: unknown): { session: Session; where: string; count: number; title: string; page(client: RedisClient): JobPage; describe: Record<string, unknown>; fileStem: string } {
  if (node instanceof BullStateNode) {
    const q = node.parent.queue;
    const lib = q.legacy ? 'Bull' : 'BullMQ';
    const label = BULL_STATE_LABEL[node.state];
    return {
      session: node.session,
      where: `${lib} queue "${q.name}" (${label})`,
      count: node.count,
      title: lib,
      page: (client) => bullJobPages(client, q, node.state),
      describe: { framework: q.legacy ? 'bull' : 'bullmq', queue: q.name, prefix: q.prefix, state: node.state, stateLabel: label },
      fileStem: `${lib}-${q.name}-${node.state}`,
    };
  }
  const rowNode = node instanceof FrameworkStateNode ? node.parent : node instanceof FrameworkRowNode && node.row.states.length === 1 ? node : undefined;
  if (!rowNode) throw new Error('Select a state of a queue, or a one-state row (Retries, a Sidekiq queue), in the Redis Queues tree');
  const state = node instanceof FrameworkStateNode ? node.state : rowNode.row.states[0]!;
  const { row, deployment } = rowNode;
  const reader = rowNode.parent.reader;
  return {
    session: rowNode.session,
    where: `${deployment.label} ${row.kind === 'queue' ? `queue "${row.name}"` : row.name}${row.states.length > 1 ? ` (${state.label})` : ''}`,
    count: state.count,
    title: deployment.label,
    page: (client) => readerPages(reader, client, row, state.state),
    describe: describeState(row, state.state),
    fileStem: `${deployment.label}-${row.name}${row.states.length > 1 ? `-${state.state}` : ''}`,
  };
}

export async function findFrameworkJobs(s: Services, node?: unknown, args?: { text?: string; open?: boolean }): Promise<FindJobsResult> {
  const { session, where, page, describe } = stateOf(node);
  const text =
    args?.text ??
    (await s.ui.input({
      title: `Find jobs of ${where}`,
      prompt: "Text in a job's id, name, arguments, error or details (not case-sensitive); at most 10,000 jobs are read",
      validate: (v) => (v.trim() ? undefined : 'Type the text to find'),
    }));
  if (!text?.trim()) throw new Cancelled();
  const r = await session.run((insp) => findJobsIn(page(insp.client), text.trim(), { maxJobs: 10_000, pageSize: 200, limit: 100 }));
  const scope = `${plural(r.examined, 'job')} of ${formatCount(r.total)} read${r.stopped === 'budget' ? ' (the first 10,000)' : r.stopped === 'limit' ? ' (stopped at 100 matches)' : ''}`;
  if (!r.hits.length) {
    s.ui.info(`No job of ${where} holds "${text.trim()}" (${scope}).`);
    return r;
  }
  if (args?.open === false) return r;
  const job = await s.ui.pick(
    r.hits.map((j) => ({ label: `${j.title ?? '(record gone)'} #${j.id}`, description: [j.error, j.args].filter(Boolean).join(' · ').slice(0, 200), value: j })),
    { title: `${plural(r.hits.length, 'job')} of ${where} hold "${text.trim()}" (${scope})` },
  );
  if (job) {
    const doc = await vscode.workspace.openTextDocument({ language: 'json', content: `${JSON.stringify({ ...describe, ...job, entry: undefined }, null, 2)}\n` });
    await vscode.window.showTextDocument(doc, { preview: true });
  }
  return r;
}

/**
 * Export Jobs…: the jobs of a state (or of a one-state row) to an NDJSON file, one job per line as
 * the tree reads it, with its entry exactly as stored where the framework keeps one (core
 * frameworks/exportJobs.ts). The count first, then a save dialog (never the workspace by
 * default), a progress notification with cancel, and what was written. Only reads: allowed on
 * read-only connections.
 */
export async function exportFrameworkJobs(s: Services, node?: unknown, args?: { file?: string }): Promise<ExportJobsResult & { file: string }> {
  const { session, where, count, page, describe, fileStem } = stateOf(node);
  let file = args?.file;
  if (file === undefined) {
    const uri = await vscode.window.showSaveDialog({
      title: `Export ${plural(count, 'job')} of ${where}`,
      defaultUri: vscode.Uri.joinPath(defaultFolder(s), fileName(fileStem)),
      filters: { 'NDJSON (one job per line)': ['ndjson', 'jsonl'], 'All files': ['*'] },
      saveLabel: 'Export',
    });
    if (!uri) throw new Cancelled();
    file = uri.fsPath;
    rememberFolder(s, file);
  }
  const target = file;
  const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Exporting the jobs of ${where}`, cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    return session.withOwnClient('export', (client) =>
      writeFileWith(target, (out) =>
        exportJobs({ page: page(client), describe }, out, {
          signal: abort.signal,
          header: { connection: session.name },
          onProgress: (p) => progress.report({ message: `${formatCount(p.written)} of about ${formatCount(count)} jobs · ${bytes(p.bytes)}` }),
        }),
      ),
    );
  });
  const parts = [`Exported ${plural(r.written, 'job')} of ${where} to ${basename(target)} (${bytes(r.bytes)})`];
  if (r.repeated) parts.push(`${plural(r.repeated, 'job')} read twice as the jobs moved meanwhile, written once`);
  if (r.stopped === 'cancelled') parts.push('cancelled: the file holds what was written before');
  s.ui.info(`${parts.join('; ')}. ${target}`);
  return { ...r, file: target };
}
