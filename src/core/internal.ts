/**
 * The app's own view of the core: every export of every core module (`export *`), for the
 * extension, the CLI, the agent tools, the benchmarks and the tests, which import from here.
 * NOT a package entry point and not a promise to library users: names come and go with the app.
 * The library's supported API is src/core/index.ts (`redis-queues/core`) and the entry points in
 * src/core/entries/ (`redis-queues/core/inspect`, `/ops`, `/search`, `/transfer`, `/sandbox`);
 * see ARCHITECTURE.md, "The core library's entry points". No VS Code here.
 */
export * from './redis/errors';
export * from './redis/missing';
export * from './messages/ids';
export * from './redis/replies';
export * from './messages/message';
export * from './redis/client';
export * from './redis/connection';
export * from './inspect/inspect';
export * from './inspect/discovery';
export * from './inspect/health';
export * from './messages/render';
export * from './dev/sandbox';
export * from './dev/sandboxHa';
export * from './dev/demo';
export * from './queue';
export * from './ops';
export * from './inspect/journey';
export * from './inspect/journeyText';
export * from './search';
export * from './metrics';
export * from './producerFile';
export * from './search/timeSpec';
export * from './messages/pagePolicy';
export * from './transfer';
export * from './redis/names';
