/** Lua scripts of the stream producer and worker (see ../lua.ts for how they run). */
import { define } from '../lua';
import { LUA_CLAIM_BACK, LUA_READ_NEW, LUA_RENEW_LEASES, LUA_XADD_BATCH } from '../luaSources.generated';

/**
 * XADD a chunk of messages in one round trip, then trim once.
 * KEYS[1] stream. ARGV[1] number of trim arguments t, ARGV[2..t+1] trim arguments (as for XTRIM),
 * ARGV[t+2] field arguments per message f (names and values; 0: each message carries its own
 * count), ARGV[t+3] `*` when every id is `*` (ids are then left out), else empty. Then per
 * message: [id] [count] field/value arguments.
 * Returns the new ids; if an XADD fails, the script stops there and returns the ids written so
 * far followed by that error (a script's writes stay done when it fails, so the caller must learn
 * which were).
 * XADD reads its arguments straight from ARGV (no table per message), and one XTRIM at the end
 * trims for the whole chunk: with exact MAXLEN or MINID that leaves the stream as per-message
 * trimming would, with `~` about the same (whole nodes either way), but with LIMIT n it evicts at
 * most n entries per chunk instead of per message, so the stream can stay longer than per-message
 * trimming would leave it (later chunks and XADDs catch up). If the trim fails after the last
 * XADD succeeded, its error follows the ids (the messages stay written). The common batch (auto ids, the same number of
 * fields in every message) sends only names and values: fewer arguments to encode, parse and
 * copy into Lua on both sides. A message may carry at most a few thousand fields (Lua's unpack
 * limit); callers send larger ones with plain XADD.
 */
export const XADD_BATCH = define('xaddBatch', LUA_XADD_BATCH);

/**
 * A worker's read of new entries, with the acks of its previous batch: XACK, then XREADGROUP
 * (never blocking inside a script), returning the entries packed by cmsgpack into one value.
 * The client then decodes one MessagePack buffer instead of ~7 protocol values per entry, which
 * costs it about half the CPU per message; the server pays the packing (see StreamWorkerOptions
 * scriptedReads).
 * KEYS[1] stream. ARGV[1] group, ARGV[2] consumer, ARGV[3] COUNT, ARGV[4..] ids to XACK first.
 * Returns {acked, packed entries | false (none) | the XREADGROUP error}. Entries are packed as the
 * reply's entry list: [[id, [field, value, ...]], ...].
 */
export const READ_NEW = define('readNew', LUA_READ_NEW);

/**
 * Renews the leases of entries a worker holds: for each id still pending with this consumer,
 * resets its idle time with `XCLAIM … 0 <ids> JUSTID` to the same consumer (JUSTID: the delivery
 * count stays as it is). Ids pending with another consumer, or no longer pending, are left alone
 * and reported: the worker has lost them.
 * KEYS[1] stream. ARGV[1] group, ARGV[2] consumer, ARGV[3..] ids (a few hundred at most).
 * Returns {lost ids and their owner ('' when no longer pending), alternating}.
 */
export const RENEW_LEASES = define('renewLeases', LUA_RENEW_LEASES);

/**
 * Takes back an entry for a retry (a delivery: XCLAIM to the same consumer bumps its count), only
 * if it is still pending with this consumer and was not delivered since (its count is still the
 * one the failed run had): an entry another worker took over is never taken back.
 * KEYS[1] stream. ARGV[1] group, ARGV[2] consumer, ARGV[3] id, ARGV[4] expected delivery count.
 * Returns {'claimed', XCLAIM reply} | {'gone', ''} | {'taken', owner} | {'delivered', count}.
 */
export const CLAIM_BACK = define('claimBack', LUA_CLAIM_BACK);
