/** The embedded queue client and everything that talks to Redis. No VS Code here. */
export * from './errors';
export * from './ids';
export * from './replies';
export * from './message';
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
export * from './producerFile';
