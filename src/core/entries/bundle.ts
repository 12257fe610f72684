/**
 * Not an entry point: the one bundle behind all of them (dist/core-bundle.js, esbuild.js). Each
 * package entry (dist/core.js, dist/core-<name>.js) is a one-line file that picks its namespace
 * from here, so a class is the same class whichever entry it is imported from (a `QueueError`
 * thrown by `redis-queues/core/ops` is `instanceof` the one of `redis-queues/core`), and the core
 * is loaded once.
 */
export * as core from '../index';
export * as inspect from './inspect';
export * as ops from './ops';
export * as search from './search';
export * as transfer from './transfer';
export * as sandbox from './sandbox';
