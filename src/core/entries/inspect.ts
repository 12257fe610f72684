/**
 * `redis-queues/core/inspect`: reading queues without changing them: the `Inspector` (streams,
 * groups, consumers, pending entries, list queues), key discovery, health checks, a message's or
 * job's journey, and the metrics sampler and history. A supported entry point of the library (see
 * src/core/index.ts); its report is etc/redis-queues-core-inspect.api.md.
 * @packageDocumentation
 */
export {
  Inspector,
  type EntriesPage,
  type GroupSummary,
  type ListJobView,
  type ListQueueDiscovery,
  type ListQueueSummary,
  type ListSection,
  type PendingPage,
  type ScanOptions,
  type ScanPage,
  type ServerSummary,
  type StreamSummary,
} from '../inspect/inspect';
export {
  type Capabilities,
  type ConsumerInfo,
  type GroupInfo,
  type PendingEntry,
  type PendingSummary,
  type StreamInfo,
  type AutoClaimResult,
} from '../redis/replies';
export { Discovery, type DiscoveryOptions, type DiscoveryProgress, type DiscoveryRun, type DiscoveryBudget } from '../inspect/discovery';
export {
  checkStreamHealth,
  describeHealth,
  sumHealth,
  isStuck,
  isLagging,
  isPoison,
  isListJobStuck,
  parseDuration,
  formatDuration,
  DEFAULT_THRESHOLDS,
  type HealthThresholds,
  type HealthCounts,
  type GroupHealthCheck,
  type StreamHealthCheck,
  type StreamHealthOptions,
} from '../inspect/health';
export {
  messageJourney,
  jobJourney,
  type MessageJourney,
  type MessageJourneyOptions,
  type JobJourney,
  type JobJourneyOptions,
  type GroupStep,
  type JourneyDeadLetter,
  type JourneyReplay,
  type JourneyEvent,
  type MessageState,
  type JobState,
} from '../inspect/journey';
export { describeJourney } from '../inspect/journeyText';
export { readEvents, type ReadEventsBounds } from '../queue/runtime/events';
export { sampleRound, type Round, type SampleOptions, type StreamSample, type GroupSample, type ListQueueSample, type FrameworkSample } from '../metrics/sampler';
export type { FrameworkName, StateTone } from '../frameworks/framework';
export {
  MetricsHistory,
  trendOf,
  type HistoryOptions,
  type HistoryEvent,
  type PersistedHistory,
  type Point,
  type Trend,
  type Metric,
  type StreamMetric,
  type GroupMetric,
  type FrameworkStateRef,
} from '../metrics/history';
