/**
 * `redis-queues/core/search`: finding messages in a stream by field conditions, text or regex,
 * within an id or time range (`findMessages`, `MessageSearch`), and the query and time-spec
 * parsers. A supported entry point of the library (see src/core/index.ts); its report is
 * etc/redis-queues-core-search.api.md.
 * @packageDocumentation
 */
export {
  findMessages,
  MessageSearch,
  type SearchHit,
  type SearchOptions,
  type SearchProgress,
  type SearchSummary,
  type SearchSource,
} from '../search/search';
export { parseSearchQuery, describeQuery, type SearchQuery, type FieldCondition, type ConditionOp } from '../search/query';
export { parseTimeSpec, timeRangeIds } from '../search/timeSpec';
