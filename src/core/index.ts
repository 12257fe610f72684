/** Every export of the core, as before: src/core/internal.ts (narrowed to a chosen API next). */
export * from './internal';
