/**
 * `redis-queues/core/transfer`: exporting a stream's entries to JSON lines and importing them
 * (byte-exact, resumable, rate-limited). A supported entry point of the library (see
 * src/core/index.ts); its report is etc/redis-queues-core-transfer.api.md.
 * @packageDocumentation
 */
export { exportEntries, type ExportOptions, type ExportProgress, type ExportResult } from '../transfer/export';
export {
  importEntries,
  ImportLineError,
  type ImportOptions,
  type ImportProgress,
  type ImportResult,
  type NotWrittenLine,
} from '../transfer/import';
export { EXPORT_FORMAT_VERSION } from '../transfer/format';
