/** The embedded queue client: stream producer/worker/tail, list queue, key naming. */
export * from './keys';
export * from './backoff';
export { type MessageFields, type TrimOptions } from './validate';
export * from './streamProducer';
export * from './streamWorker';
export * from './tail';
export * from './listQueue';
export * from './listLayout';
export * from './events';
export { type LuaScript, runScript } from './scripts';
