/**
 * The embedded queue client (its public face):
 * - `stream/`: producer, worker (consumer groups; its acks, reclaim and failures each in a file of
 *   their own), tail, the dead-letter record format and its atomic moves, the stream scripts;
 * - `list/`: the list queue (producer, worker, reaper), its keys, scripts, admin scripts and the
 *   layouts of other list queues;
 * - `runtime/`: what the workers share: their lifecycle (start, stop), pause, back-off, the events stream;
 * - `keys.ts` (dead-letter naming, Cluster slots), `lua.ts` (running scripts), `validate.ts`.
 */
export * from './keys';
export * from './list/keys';
export * from './runtime/backoff';
export * from './runtime/events';
export { pause } from './runtime/pause';
export { type MessageFields, type TrimOptions } from './validate';
export * from './stream/producer';
export * from './stream/worker';
export * from './stream/tail';
export { runOneMessage, runMessageDry, NotHeldError, type Decision, type DryRunOptions, type HandlerRun, type RunOneOptions, type RunOneOutcome, type RunOneResult } from './stream/runOne';
export { execEnv, execInput } from './stream/execMessage';
export { execCommand, endAllCommands, type ExecCommandOptions } from './stream/execCommand';
export { splitDeadLetter, type DeadLetter } from './stream/deadLetter';
export * from './list/queue';
export * from './list/layout';
export { type LuaScript, runScript } from './lua';
