/**
 * `redis-queues/core/ops`: admin operations on streams and list queues, each one command or
 * script, as the explorer's commands run them: ack, claim, auto-claim, trim (with a preview),
 * group and consumer admin, dead-lettering and replay, list job retry / requeue / delete. Every
 * write refuses a `readOnly` connection (`assertWritable`). A supported entry point of the library
 * (see src/core/index.ts); its report is etc/redis-queues-core-ops.api.md.
 * @packageDocumentation
 */
export { assertWritable, type OpTarget } from '../ops/target';
export {
  ack,
  ackMatching,
  claim,
  autoClaim,
  autoClaimPreview,
  countPending,
  pendingOf,
  pendingPages,
  missingEntries,
  type AckResult,
  type ClaimResult,
  type AutoClaimSweep,
} from '../ops/pending';
export { trim, trimPreview, type TrimPreview, type TrimSpec } from '../ops/trim';
export { createGroup, destroyGroup, setGroupId, deleteConsumer, deleteEntries } from '../ops/groups';
export {
  deadLetter,
  deadLetterEntry,
  planReplay,
  replay,
  ReplayInterruptedError,
  type ReplayPlan,
  type ReplayResult,
  type PlannedDeadLetter,
} from '../ops/deadLetters';
export { retryDead, requeueProcessing, deleteJob } from '../ops/list';
