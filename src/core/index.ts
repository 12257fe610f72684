/**
 * `redis-queues/core`: the queue client, without VS Code. This is the library's supported API,
 * exported by name: the stream producer and worker, the list queue, tails, one-message runs,
 * connections, errors, and the message and id models a handler needs. Everything else is either a
 * separate entry point (src/core/entries/: `redis-queues/core/inspect`, `/ops`, `/search`,
 * `/transfer`, `/sandbox`) or internal to the app (src/core/internal.ts, which the extension, CLI
 * and tests import; not a package entry). A name added here is a promise to library users: the
 * lint tier checks it against etc/redis-queues-core.api.md (`npm run api:update` after an intended
 * change). See README.md, "The library", and ARCHITECTURE.md, "The core library's entry points".
 * @packageDocumentation
 */

// Stream producer
export {
  StreamProducer,
  type StreamProducerOptions,
  type PublishOptions,
  type OutgoingMessage,
  type PartialBatchError,
} from './queue/stream/producer';
export { NotReplicatedError, REPUBLISHED_FROM_FIELD, type DurabilityOptions, type Republished } from './queue/stream/durability';
export { type TrimOptions, type MessageFields } from './queue/validate';

// Stream worker
export { startStreamWorker, StreamWorker } from './queue/stream/worker';
export {
  defaultConsumerName,
  type StreamMessage,
  type StreamHandler,
  type StreamWorkerOptions,
  type StreamWorkerEvents,
  type StreamWorkerStats,
} from './queue/stream/options';
export {
  EVENT_TYPES,
  DEFAULT_EVENTS_MAXLEN,
  type EventsOption,
  type QueueEvent,
  type QueueEventType,
  type RecordedEvent,
} from './queue/runtime/events';
// The base of both workers (StreamWorker, ListQueueWorker): stop(), and the events both emit.
export { type WorkerLifecycle, type LifecycleEvents } from './queue/runtime/lifecycle';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './queue/runtime/backoff';

// One message, the worker's path
export {
  runOneMessage,
  NotHeldError,
  type RunOneOptions,
  type RunOneResult,
  type RunOneOutcome,
  type HandlerRun,
  type Decision,
} from './queue/stream/runOne';

// Dead letters, as a worker writes them
export {
  splitDeadLetter,
  BodyGoneError,
  REPLAY_COUNT_FIELD,
  REPLAY_OF_FIELD,
  type DeadLetter,
} from './queue/stream/deadLetter';
export { defaultDeadLetterStream, isDeadLetterName, DLQ_FIELDS } from './queue/keys';

// Tails
export {
  tailStream,
  StreamTail,
  LiveTail,
  type TailOptions,
  type LiveTailOptions,
  type LiveTailRead,
} from './queue/stream/tail';

// List queue (producer, worker and its reaper)
export {
  ListQueueProducer,
  ListQueueWorker,
  startListQueueWorker,
  RESERVED_FIELD_PREFIX,
  type ListJob,
  type ListJobHandler,
  type ListQueueProducerOptions,
  type ListQueueWorkerOptions,
  type ListQueueWorkerEvents,
  type ListQueueWorkerStats,
  type ListQueueClientKeyOptions,
} from './queue/list/queue';
export { listQueueKeys, type ListQueueKeys, type ListQueueLayout, type ListQueueKeyOptions } from './queue/list/keys';
export { detectListQueueLayout } from './queue/list/layout';

// Connections
export {
  open,
  connect,
  createClient,
  quit,
  close,
  parseRedisUrl,
  DEFAULT_COMMAND_TIMEOUT_MS,
  type ConnectionOptions,
  type ConnectionMode,
  type ClientPurpose,
  type ClientTweaks,
  type TlsOptions,
  type SentinelOptions,
  type ParsedUrl,
} from './redis/connection';
// The client the core takes: the ioredis members it uses and what it reads of a client's state;
// ioredis' own Redis and Cluster clients (what open and createClient return) are such clients.
export {
  REDIS_CLIENT_MEMBERS,
  CLIENT_LIFECYCLE_MEMBERS,
  type RedisClient,
  type RedisClientMember,
  type ClientLifecycle,
  type ClientOptionsRead,
  type IoRedisClient,
} from './redis/client';

// Errors
export {
  QueueError,
  AuthError,
  BadIdError,
  BadInputError,
  CannotConnectError,
  NoAnswerError,
  NoGroupError,
  NoPermError,
  ReadOnlyError,
  UnavailableError,
  WrongTypeError,
  connectFailure,
  isTransient,
  isNoSuchKey,
  redisErrorCode,
  toQueueError,
  type ConnectFailure,
  type ConnectFailureKind,
  type QueueErrorCode,
  type ErrorContext,
} from './redis/errors';
export { NoConsumerError, NoStreamError } from './redis/missing';

// Messages and ids
export { type RawFields, type MessageInput, pairList, nameIs, text, rawOf, sameRaw } from './messages/message';
export { type StreamEntry, type Fields, type FieldValue, type Capabilities } from './redis/replies';
export {
  parseId,
  formatId,
  compareIds,
  isValidId,
  idTime,
  idForTime,
  nextId,
  previousId,
  type StreamId,
  type ParseIdOptions,
} from './messages/ids';
