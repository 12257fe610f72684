/** Finding messages: the query (text form, model), its matcher and the paged walk that runs it. */
export * from './query';
export * from './matcher';
export * from './search';
export { compileRegex, type ValueRegex } from './regex';
