/** Queue health over time: sampling rounds, the bounded history of rates and gauges, trends. */
export { DEFAULT_MAX_STREAMS, sampleRound, type GroupSample, type Round, type SampleOptions, type StreamSample } from './sampler';
export { GAP_FACTOR, MetricsHistory, keepsGrowing, sparkline, trendOf, type GroupMetric, type HistoryEvent, type HistoryOptions, type Metric, type PersistedHistory, type Point, type StreamMetric, type Trend } from './history';
