// The frameworks' job actions from the tree (RQ's Requeue and Delete, Sidekiq's Retry Now, Add to
// Queue, Kill and Delete: core frameworks/readers.ts), one runner for all, with the stream
// commands' rules: refused on a read-only connection before asking or sending, confirmed with
// their impact (typed on production), each job moved by one atomic script, and said after: what
// moved, and each job left as it was with where it is now.
import { FRAMEWORKS } from '../../core/frameworks/readers';
import type { FrameworkName, FwActionResult } from '../../core/frameworks/framework';
import type { Services } from '../services';
import { FrameworkJobNode, FrameworkStateNode } from '../tree/frameworkNodes';
import { confirmImpact, plural, refuseReadOnly, selection } from './target';

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
