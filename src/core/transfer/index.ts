/**
 * Export and import of stream messages as NDJSON: selected entries, a search's results, a time
 * range or a whole (dead-letter) stream to a file, and back into a stream, byte for byte.
 *
 * The format, one JSON document per line (UTF-8, `\n` between lines):
 *
 * - optionally first, a header: `{"redis-queues-export": 1, "stream": "orders", "exportedAt":
 *   "2024-05-01T10:00:00.000Z", "query": {...}}` (`query`: what was exported, free-form).
 *   Import recognises a line with the key `redis-queues-export` wherever it is and skips it
 *   (so exports can be concatenated); a version above 1 is refused.
 * - then one message per line: `{"id": "1700000000000-0", "pairs": [[name, value], ...]}`, the
 *   lossless JSON form of message.ts ({@link toJsonPairs}): pairs in order, repeated names kept,
 *   a name or value that is not valid UTF-8 as `{"base64": "..."}`.
 *
 * Import also takes lines with more keys (`fields`, `stream`, `time`, ...: ignored), so the output
 * of `redis-queues tail --json` and copy-as-JSON ({@link messageObject}) imports as it is, and a
 * bare `[[name, value], ...]` array (a message without an id). A JSON value may also span lines
 * (pretty-printed, as copy-as-JSON writes it): a line that opens a value and does not close it is
 * read on until the value closes (at most 64 MB). Blank lines are skipped; `\r\n` line ends and
 * a leading byte-order mark are accepted. `fields` is never read: it is a lossy view.
 *
 * Every Redis call is small: XRANGE pages sized to about 1 MB (at most 1,000 entries), XADDs
 * pipelined in batches bounded by count and bytes, each XADD a single atomic command. Single-key
 * commands only, so everything works on a Cluster.
 */
export * from './format';
export * from './export';
export { type RangeOptions, RANGE_MAX_PAGE, RANGE_PAGE_BYTES, entriesById, rangeEntries } from './read';
export * from './rate';
export * from './import';
export { IMPORT_MAX_LINE_BYTES } from './lines';
export { IMPORT_RUN_TTL_SECONDS, newRunName } from './resume';
