/**
 * The app's own view of the core: every export of every core module (`export *`), for the
 * extension, the CLI, the agent tools, the benchmarks and the tests, which import from here.
 * NOT a package entry point and not a promise to library users: names come and go with the app.
 * The library's supported API is src/core/index.ts (`redis-queues/core`) and the entry points in
 * src/core/entries/ (`redis-queues/core/inspect`, `/ops`, `/search`, `/transfer`, `/sandbox`);
 * see ARCHITECTURE.md, "The core library's entry points". No VS Code here.
 */
export * from './errors';
export * from './missing';
export * from './ids';
export * from './replies';
export * from './message';
export * from './client';
export * from './connection';
export * from './inspect';
export * from './discovery';
export * from './health';
export * from './render';
export * from './sandbox';
export * from './sandboxHa';
export * from './demo';
export * from './queue';
export * from './ops';
export * from './journey';
export * from './journeyText';
export * from './search';
export * from './metrics';
export * from './producerFile';
export * from './timeSpec';
export * from './pagePolicy';
export * from './transfer';
export * from './names';
