/**
 * Operations on queues: ack, claim, auto-claim with a preview, dead-letter, replay from a DLQ,
 * group and consumer admin, trim with a preview of what pending entries it would cut, list-queue
 * repairs. Every write checks the connection's read-only flag before anything is sent, validates
 * ids first, and reports what was done (and what was skipped and why).
 */
export { type OpTarget, assertWritable } from './target';
export * from './pending';
export * from './deadLetters';
export * from './groups';
export * from './trim';
export * from './list';
export * from './step';
