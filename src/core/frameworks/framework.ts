/**
 * One shape for the queue frameworks read from their documented key layouts (RQ, Sidekiq; BullMQ
 * has its own richer model in `bullmq.ts`): what the explorer, `inspect` and the agent tools read.
 *
 * A deployment of a framework is a list of *rows*: a queue (RQ's `default`, Sidekiq's `mailers`)
 * or a set the framework keeps for all queues (Sidekiq's Scheduled, Retries, Dead, Busy). A row
 * has one or more *states*, each with its count as the framework's own API counts it and a
 * page reader of its jobs. Everything here is read-only; actions live with each framework.
 */
import type { RedisClient } from '../redis/connection';

export type FrameworkName = 'rq' | 'sidekiq' | 'celery';

/** What a state means for health, so the explorer marks it the same way for every framework. */
export type StateTone = 'waiting' | 'running' | 'later' | 'done' | 'failed' | 'dead';

export interface FwState {
  /** The framework's own name of the state (`queued`, `started`, `failed`, `retry`, `dead`, …). */
  state: string;
  /** As the framework's dashboard titles it (`Failed`, `Scheduled`, `Retries`). */
  label: string;
  tone: StateTone;
  /** Jobs in it, as the framework's API counts them. */
  count: number;
  /** How its jobs are listed (`next job on top`, `newest on top`). */
  order: string;
}

export interface FwRow {
  framework: FrameworkName;
  /** `queue` (jobs wait in it) or `set` (a set the framework keeps across queues). */
  kind: 'queue' | 'set';
  /** The queue's name, or the set's title (`Retries`). */
  name: string;
  /** The key its jobs wait in (`rq:queue:default`, `queue:mailers`, `retry`): identifies the row. */
  key: string;
  states: FwState[];
  /** When the job that runs next was enqueued (ms), if any waits. */
  oldestWaitingAt?: number;
  /** When the longest-running job started (ms), if any runs. */
  oldestRunningAt?: number;
  /** Health marks in the framework's terms, most important first (`2 ORPHANED`, `PAUSED`). */
  marks: string[];
  /** More lines for the tooltip (what a mark means, the framework's version…). */
  notes: string[];
}

export interface FwJob {
  id: string;
  /** What it runs: RQ's function, Sidekiq's class, Celery's task. Null when the job's record is gone (removed while listed). */
  title: string | null;
  /** Its arguments as text (RQ: the description, as RQ shows it; the pickled payload is not decoded). */
  args?: string;
  /** The error of its last failure, first line first (exception class and message). */
  error?: string;
  /** The error's backtrace or full text, when kept. */
  trace?: string;
  enqueuedAt?: number;
  startedAt?: number;
  endedAt?: number;
  /** When it is due (scheduled, retry): ms. */
  dueAt?: number;
  /** Failures so far (Sidekiq's retry_count + 1, RQ's retries used). */
  failures?: number;
  /** The queue it belongs to, when the row is not that queue (Sidekiq's sets, Busy). */
  queue?: string;
  /** Further fields for the tooltip, in order: [label, value]. */
  details: Array<[string, string]>;
  /**
   * The job's entry exactly as stored, for actions that must find it byte for byte (Sidekiq: the
   * list element or sorted-set member, and its score as Redis returned it).
   */
  entry?: { member: Buffer; score?: string };
}

export interface FwDeployment {
  framework: FrameworkName;
  /** `RQ`, `Sidekiq`, `Celery`. */
  label: string;
  /** The key prefix or namespace read (`rq:`, `myapp:`, or '' for the default). */
  prefix: string;
  rows: FwRow[];
  /** Deployment-wide figures in the framework's words (Sidekiq: processed, failed; RQ: workers). */
  figures: Array<[string, string]>;
}

/** A framework as the explorer and inspect read it. */
export interface FrameworkReader {
  framework: FrameworkName;
  label: string;
  /**
   * The deployment under a prefix, if any: found from the framework's own registry keys (RQ's
   * `rq:queues`, Sidekiq's `queues`), never by a walk. Undefined when nothing of it is there.
   */
  read(client: RedisClient, prefix?: string): Promise<FwDeployment | undefined>;
  /** A page of a row's jobs in a state, in the state's order, their records read in the same round trip. */
  jobs(client: RedisClient, row: FwRow, state: string, page?: { start?: number; count?: number }): Promise<{ jobs: FwJob[]; total: number }>;
}

/** What an action did: the jobs it changed, and those it left as they were, each with why ("now started", "gone"). */
export interface FwActionResult {
  done: string[];
  skipped: Array<{ id: string; reason: string }>;
}

/** Per-job outcomes (RQ's, Sidekiq's) as one result: every job not skipped is done; a skipped one's reason is where it is now. */
export function fwActionResult(outcomes: ReadonlyArray<{ id: string; outcome: string; now?: string }>): FwActionResult {
  return { done: outcomes.filter((x) => x.outcome !== 'skipped').map((x) => x.id), skipped: outcomes.filter((x) => x.outcome === 'skipped').map((x) => ({ id: x.id, reason: x.now ?? 'not there' })) };
}

/** An action the framework's own dashboard offers on jobs (RQ's Requeue, Sidekiq's Retry Now), each job moved by one atomic script. */
export interface FwAction {
  /** The command's last word: `redisQueues.<framework>.<name>`. */
  name: string;
  /** As the framework's dashboard words it: `Requeue`, `Retry Now`, `Add to Queue`, `Kill`, `Delete`. */
  title: string;
  /** `Requeued`, for the message after. */
  past: string;
  /** What the framework then does with the jobs, for the confirmation. */
  detail: string;
  /** The states (FwState.state) whose jobs it applies to. */
  states: string[];
  run(client: RedisClient, row: FwRow, state: string, jobs: FwJob[]): Promise<FwActionResult>;
}
