/**
 * Demo data for the sandbox: queues in every state the explorer can show. Streams `orders`
 * (busy; groups `billing` with a healthy and a stuck consumer and a poison entry, `shipping`
 * lagging, `fraud-check` that no demo worker serves at all), `audit` (idle for two days), `images`
 * (binary values), the dead-letter stream `orders:dlq`, and the list queue `emails` with waiting,
 * processing (one stuck) and dead jobs.
 *
 * The walkthrough points at `billing` → `worker-2` as the stuck consumer: demo traffic never
 * reclaims from `billing` (its only worker there, `worker-1`, does not reclaim and never fails), so
 * worker-2 stays stuck while the demo runs; the failing, stalling and dead-lettering workers work
 * `shipping`. Seeded times agree with each other: every entry is older than the idle time of its
 * pending record, a dead-lettered entry's original id is older than its dead-letter time (which is
 * its id in `orders:dlq`), and a job was created before it started or died.
 *
 * The dead letters are real: entries of `orders` that worker-2 held, moved to `orders:dlq` by the
 * core's dead-letter step (so their journeys find them). The seeded history is recorded as worker
 * events (`orders:events`, `images:events`, `emails:events`; see demoEvents.ts) and demo traffic's
 * workers record theirs (`events: true`), so every journey has a timeline.
 */
import { open, quit, type RedisClient } from '../redis/connection';
import { SeedHistory } from './demoEvents';
import { idTime } from '../messages/ids';
import { eventsKeyOf } from '../queue/runtime/events';
import { deadLetterEntry } from '../queue/stream/deadLetter';
import { JOB_FIELDS, listQueueKeys } from '../queue/list/keys';

export const DEMO_STREAMS = { orders: 'orders', audit: 'audit', images: 'images', dlq: 'orders:dlq' } as const;
export const DEMO_LIST_QUEUE = 'emails';
/** The worker events streams of the demo queues (seeded history, then demo traffic's workers). */
export const DEMO_EVENT_STREAMS = [DEMO_STREAMS.orders, DEMO_STREAMS.images, DEMO_LIST_QUEUE].map(eventsKeyOf);
/** The group and consumer the walkthrough shows as stuck: demo traffic never touches that group's pending entries. */
export const DEMO_STUCK = { stream: 'orders', group: 'billing', consumer: 'worker-2' } as const;

/** The first entries of `orders` (taken by worker-2 and checker-2, never finished) were created this long ago. */
const EARLY_BATCH = 6;
const EARLY_BATCH_AGE_MS = 150 * 60_000;

/** The errors of the entries seedDemo dead-letters from `billing` (one entry each). */
const DEAD_LETTERS = ['payment gateway timeout after 30000 ms', 'TypeError: cannot read properties of undefined (reading "price")', 'payment gateway timeout after 30000 ms'];
const POISON_ERROR = 'TypeError: cannot read properties of undefined (reading "price")';

const PRODUCTS = ['keyboard', 'monitor', 'mouse', 'laptop', 'headset', 'webcam', 'dock', 'cable'];
const CITIES = ['Lisbon', 'Oslo', 'Austin', 'Kyoto', 'Nairobi', 'Lima', 'Perth', 'Berlin'];

function order(i: number): string[] {
  return ['orderId', `ord-${1000 + i}`, 'product', PRODUCTS[i % PRODUCTS.length]!, 'qty', String((i % 4) + 1), 'city', CITIES[(i * 3) % CITIES.length]!, 'total', ((i * 37) % 500 + 9.99).toFixed(2)];
}

/** Seeds the demo queues (replacing earlier demo keys). Accepts a URL or an open client. */
export async function seedDemo(target: string | RedisClient): Promise<void> {
  const client: RedisClient = typeof target === 'string' ? await open({ url: target }) : target;
  try {
    const lq = Object.values(listQueueKeys(DEMO_LIST_QUEUE)).filter((v): v is string => typeof v === 'string');
    await client.del(...Object.values(DEMO_STREAMS), ...lq, ...DEMO_EVENT_STREAMS);
    const now = Date.now();
    const history = new SeedHistory();
    const O = DEMO_STREAMS.orders;

    // orders: an early batch of EARLY_BATCH entries 2 h 30 m ago (the ones worker-2 and checker-2
    // took and never finished), then the rest over the last ~10 minutes.
    const p = client.pipeline();
    for (let i = 0; i < 500; i++) p.xadd(DEMO_STREAMS.orders, `${i < EARLY_BATCH ? now - EARLY_BATCH_AGE_MS + i * 10_000 : now - (500 - i) * 1200}-0`, ...order(i));
    await p.exec();
    // billing: worker-1 keeps up (a few fresh pending), worker-2 holds old entries and a poison one
    // (delivered 20 and 15 minutes after they were created, idle since: 50 and 45 minutes).
    await client.xgroup('CREATE', DEMO_STREAMS.orders, 'billing', '0');
    await client.xreadgroup('GROUP', 'billing', 'worker-2', 'COUNT', 6, 'STREAMS', DEMO_STREAMS.orders, '>');
    const stuck = (await client.xpending(DEMO_STREAMS.orders, 'billing', '-', '+', 6, 'worker-2')) as [string, string, number, number][];
    for (const [id] of stuck) await client.xclaim(DEMO_STREAMS.orders, 'billing', 'worker-2', 0, id, 'IDLE', 45 * 60_000, 'RETRYCOUNT', 2, 'JUSTID');
    if (stuck[0]) await client.xclaim(DEMO_STREAMS.orders, 'billing', 'worker-2', 0, stuck[0][0], 'IDLE', 50 * 60_000, 'RETRYCOUNT', 7, 'JUSTID');
    // Their history: worker-2 took each one, failed the poison one 6 times, and stopped answering.
    for (const [j, [id]] of stuck.entries()) {
      const last = now - (j === 0 ? 50 : 45) * 60_000;
      history.deliveries(O, id, { group: 'billing', consumer: 'worker-2', deliveries: j === 0 ? 7 : 2, from: idTime(id) + 20 * 60_000, last, error: j === 0 ? POISON_ERROR : undefined });
    }
    // orders:dlq: DEAD_LETTERS entries worker-2 failed 5 times each, really dead-lettered (moved
    // to orders:dlq and acked, atomically, as a worker does), ready to replay.
    const doomed = (await client.xreadgroup('GROUP', 'billing', 'worker-2', 'COUNT', DEAD_LETTERS.length, 'STREAMS', O, '>')) as [string, [string, string[]][]][];
    for (const [j, [id]] of (doomed[0]?.[1] ?? []).entries()) {
      const error = DEAD_LETTERS[j]!;
      await client.xclaim(O, 'billing', 'worker-2', 0, id, 'RETRYCOUNT', 5, 'JUSTID');
      history.deliveries(O, id, { group: 'billing', consumer: 'worker-2', deliveries: 5, from: idTime(id) + 1000, last: now - 5_000 + j * 100, error });
      history.add(O, now - 4_950 + j * 100, { type: 'failed', id, group: 'billing', consumer: 'worker-2', deliveries: 5, error });
      const dlqId = await deadLetterEntry(client, { stream: O, group: 'billing', id, dlq: DEMO_STREAMS.dlq, deliveries: 5, error, consumer: 'worker-2' });
      if (dlqId) history.add(O, Math.max(idTime(dlqId), now), { type: 'dead-lettered', id, group: 'billing', consumer: 'worker-2', deliveries: 5, error, dlqId });
    }
    // worker-1 read the next 477, so billing has read 486 of 500 (lag 14) as before the dead letters were real.
    const readOk = (await client.xreadgroup('GROUP', 'billing', 'worker-1', 'COUNT', 480 - DEAD_LETTERS.length, 'STREAMS', DEMO_STREAMS.orders, '>')) as [string, [string, string[]][]][];
    const okIds = readOk[0]?.[1].map(([id]) => id) ?? [];
    if (okIds.length > 3) await client.xack(DEMO_STREAMS.orders, 'billing', ...okIds.slice(0, -3));
    okIds.forEach((id, j) => {
      history.add(O, Math.min(idTime(id) + 150, now), { type: 'delivered', id, group: 'billing', consumer: 'worker-1', deliveries: 1 });
      if (j < okIds.length - 3) history.add(O, Math.min(idTime(id) + 300, now), { type: 'acked', id, group: 'billing', consumer: 'worker-1' });
    });
    // shipping: far behind (lag), one consumer.
    await client.xgroup('CREATE', DEMO_STREAMS.orders, 'shipping', '0');
    const ship = (await client.xreadgroup('GROUP', 'shipping', 'shipper-1', 'COUNT', 40, 'STREAMS', DEMO_STREAMS.orders, '>')) as [string, [string, string[]][]][];
    const shipIds = ship[0]?.[1].map(([id]) => id) ?? [];
    if (shipIds.length) await client.xack(DEMO_STREAMS.orders, 'shipping', ...shipIds.slice(0, -2));
    shipIds.forEach((id, j) => {
      const held = j >= shipIds.length - 2;
      history.add(O, held ? now : idTime(id) + 400, { type: 'delivered', id, group: 'shipping', consumer: 'shipper-1', deliveries: 1 });
      if (!held) history.add(O, idTime(id) + 900, { type: 'acked', id, group: 'shipping', consumer: 'shipper-1' });
    });

    // fraud-check: no demo worker serves it, so its stuck consumer and poison entry stay (and it
    // lags). Idle 2 h down to 1 h 30 m: all delivered after the entries were created (2 h 30 m ago).
    await client.xgroup('CREATE', DEMO_STREAMS.orders, 'fraud-check', '0');
    await client.xreadgroup('GROUP', 'fraud-check', 'checker-2', 'COUNT', 4, 'STREAMS', DEMO_STREAMS.orders, '>');
    const held = (await client.xpending(DEMO_STREAMS.orders, 'fraud-check', '-', '+', 4, 'checker-2')) as [string][];
    for (const [j, [id]] of held.entries()) {
      const idle = (2 * 60 - j * 10) * 60_000;
      await client.xclaim(DEMO_STREAMS.orders, 'fraud-check', 'checker-2', 0, id, 'IDLE', idle, 'RETRYCOUNT', j === 0 ? 9 : 1, 'JUSTID');
      history.deliveries(O, id, { group: 'fraud-check', consumer: 'checker-2', deliveries: j === 0 ? 9 : 1, from: idTime(id) + 60_000, last: now - idle, error: j === 0 ? POISON_ERROR : undefined });
    }

    // audit: idle for two days, a group that is done.
    const a = client.pipeline();
    for (let i = 0; i < 30; i++) a.xadd(DEMO_STREAMS.audit, `${now - 2 * 86_400_000 - (30 - i) * 60_000}-0`, 'actor', `user-${i % 5}`, 'action', i % 3 ? 'login' : 'export', 'ip', `10.0.0.${i}`);
    await a.exec();
    await client.xgroup('CREATE', DEMO_STREAMS.audit, 'archiver', '$');

    // images: binary thumbnails.
    for (let i = 0; i < 5; i++) {
      const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, i, 0xff, 0x00, 0xfe]);
      await client.xadd(DEMO_STREAMS.images, '*', 'name', `thumb-${i}.png`, 'png', bytes);
    }
    await client.xgroup('CREATE', DEMO_STREAMS.images, 'resizer', '0');
    const thumbs = (await client.xreadgroup('GROUP', 'resizer', 'resizer-1', 'COUNT', 2, 'STREAMS', DEMO_STREAMS.images, '>')) as [string, [string, string[]][]][];
    for (const [id] of thumbs[0]?.[1] ?? []) history.add(DEMO_STREAMS.images, now, { type: 'delivered', id, group: 'resizer', consumer: 'resizer-1', deliveries: 1 });

    // emails: a list queue with waiting, processing (one stuck for an hour) and dead jobs. Every job
    // was created before it started (processing) or died (dead): mail-20 was created 65 minutes ago
    // and has run for an hour; the dead ones were created 40 and 30 minutes ago and died 8 and
    // 2 minutes ago; the waiting ones were created over the last 20 minutes.
    const k = listQueueKeys(DEMO_LIST_QUEUE);
    const created = (i: number) => (i < 20 ? now - 60_000 * (20 - i) : i === 20 ? now - 65 * 60_000 : i < 23 ? now - 60_000 * (44 - i) : now - 10 * 60_000 * (27 - i));
    const l = client.pipeline();
    for (let i = 0; i < 25; i++) {
      const id = `mail-${i}`;
      l.hset(k.job(id), 'to', `user${i}@example.com`, 'template', i % 2 ? 'welcome' : 'receipt', JOB_FIELDS.attempts, i >= 20 ? '1' : '0', JOB_FIELDS.createdAt, String(created(i)));
    }
    for (let i = 0; i < 20; i++) l.lpush(k.waiting, `mail-${i}`);
    for (let i = 20; i < 23; i++) {
      l.lpush(k.processing, `mail-${i}`);
      l.zadd(k.started, i === 20 ? now - 3_600_000 : now - 5_000 * (i - 19), `mail-${i}`);
    }
    for (let i = 23; i < 25; i++) {
      l.lpush(k.dead, `mail-${i}`);
      l.hset(k.job(`mail-${i}`), JOB_FIELDS.attempts, '5', JOB_FIELDS.lastError, 'SMTP 550: mailbox unavailable', JOB_FIELDS.deadAt, String(i === 23 ? now - 8 * 60_000 : now - 120_000));
    }
    await l.exec();
    for (let i = 20; i < 25; i++) {
      const id = `mail-${i}`;
      if (i < 23) history.add(DEMO_LIST_QUEUE, i === 20 ? now - 3_600_000 : now - 5_000 * (i - 19), { type: 'delivered', id, deliveries: 1 });
      else {
        const deadAt = i === 23 ? now - 8 * 60_000 : now - 120_000;
        history.deliveries(DEMO_LIST_QUEUE, id, { deliveries: 5, from: created(i) + 60_000, last: deadAt - 1000, error: 'SMTP 550: mailbox unavailable' });
        history.add(DEMO_LIST_QUEUE, deadAt - 950, { type: 'failed', id, deliveries: 5, error: 'SMTP 550: mailbox unavailable' });
        history.add(DEMO_LIST_QUEUE, deadAt, { type: 'dead-lettered', id, deliveries: 5, error: 'SMTP 550: mailbox unavailable' });
      }
    }
    // Last: every event is at or before now, so the ids the workers' own events get come after these.
    await history.write(client);
  } finally {
    if (typeof target === 'string') await quit(client);
  }
}

export interface DemoTrafficOptions {
  /** Orders published per second. Default 5: enough to see the tree move, little enough to read. */
  ratePerSecond?: number;
  /** Fraction of handler calls that fail (and are retried, then dead-lettered). Default 0.1. */
  failureRate?: number;
  /** Fraction of handler calls that stall for `stallMs` (and get reclaimed). Default 0.03. */
  stallRate?: number;
  stallMs?: number;
  /** Seeded randomness, for repeatable demos and tests. Default: Math.random. */
  random?: () => number;
}

export interface DemoTraffic {
  /** Stops producer and workers (workers finish in-flight work). Safe to call twice. */
  stop(): Promise<void>;
  stats(): { published: number; enqueued: number; processed: number; failed: number };
}

/**
 * Live traffic on the demo queues, with the embedded client: a producer on `orders` and `emails`;
 * in `billing`, `worker-1` keeps up (it never fails and never reclaims, so `worker-2` stays stuck
 * for the walkthrough); two `shipping` workers that fail sometimes (retries, then dead-letters to
 * `orders:dlq`) and stall now and then (their entries are reclaimed by the other shipping worker);
 * and an `emails` list worker with the same habits (the reaper returns its stalled jobs).
 * `fraud-check` is served by nobody.
 */
export async function startDemoTraffic(url: string, options: DemoTrafficOptions = {}): Promise<DemoTraffic> {
  const { StreamProducer, StreamWorker, ListQueueProducer, ListQueueWorker } = await import('../queue');
  const rate = options.ratePerSecond ?? 5;
  const failureRate = options.failureRate ?? 0.1;
  const stallRate = options.stallRate ?? 0.03;
  const stallMs = options.stallMs ?? 20_000;
  const random = options.random ?? Math.random;
  const connection = { url, clientName: 'redis-queues-demo' };
  const counters = { published: 0, enqueued: 0, processed: 0, failed: 0 };
  const ac = new AbortController();
  const nap = (ms: number, signal: AbortSignal) =>
    new Promise<void>((r) => {
      const done = () => {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        r();
      };
      const t = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  const handle = async (signal: AbortSignal, errors: [string, string]) => {
    const x = random();
    if (x < stallRate) await nap(stallMs, signal);
    else await nap(20 + random() * 150, signal);
    if (random() < failureRate) {
      counters.failed++;
      throw new Error(random() < 0.5 ? errors[0] : errors[1]);
    }
    counters.processed++;
  };
  const carrier: [string, string] = ['carrier API timeout after 30000 ms', 'TypeError: cannot read properties of undefined (reading "address")'];
  const smtp: [string, string] = ['SMTP 421: service not available, try again later', 'SMTP 550: mailbox unavailable'];
  const producer = await StreamProducer.open(connection, { stream: DEMO_STREAMS.orders });
  const jobs = await ListQueueProducer.open(connection, { queue: DEMO_LIST_QUEUE });
  const workers = [
    // billing: claimMinIdleMs 0 turns reclaiming off, so worker-2's seeded entries stay where they are.
    new StreamWorker({ connection, stream: DEMO_STREAMS.orders, group: DEMO_STUCK.group, consumer: 'worker-1', events: true, concurrency: 2, claimMinIdleMs: 0, handler: async (_m, c) => { await nap(20 + random() * 150, c.signal); counters.processed++; } }),
    new StreamWorker({ connection, stream: DEMO_STREAMS.orders, group: 'shipping', consumer: 'shipper-1', events: true, concurrency: 4, maxDeliveries: 4, claimMinIdleMs: 15_000, claimIntervalMs: 5_000, backoff: { initialMs: 1000, maxMs: 8000 }, handler: (_m, c) => handle(c.signal, carrier) }),
    new StreamWorker({ connection, stream: DEMO_STREAMS.orders, group: 'shipping', consumer: 'shipper-2', events: true, concurrency: 2, maxDeliveries: 4, claimMinIdleMs: 15_000, claimIntervalMs: 5_000, backoff: { initialMs: 1000, maxMs: 8000 }, handler: (_m, c) => handle(c.signal, carrier) }),
  ];
  const listWorker = new ListQueueWorker({ connection, queue: DEMO_LIST_QUEUE, events: true, concurrency: 2, maxAttempts: 3, visibilityTimeoutMs: 15_000, backoff: { initialMs: 1000, maxMs: 5000 }, handler: (_j, c) => handle(c.signal, smtp) });
  for (const w of workers) w.on('error', () => undefined);
  listWorker.on('error', () => undefined);
  await Promise.all([...workers.map((w) => w.start()), listWorker.start()]);

  let i = 0;
  const loop = (async () => {
    while (!ac.signal.aborted) {
      try {
        await producer.publish(
          { orderId: `ord-${5000 + i}`, product: PRODUCTS[i % PRODUCTS.length]!, qty: String((i % 4) + 1), city: CITIES[(i * 5) % CITIES.length]!, total: (9.99 + (i * 13) % 400).toFixed(2) },
          { trim: { strategy: 'MAXLEN', threshold: 5000 } },
        );
        counters.published++;
        if (i % 3 === 0) {
          await jobs.enqueue({ to: `user${i % 97}@example.com`, template: i % 2 ? 'welcome' : 'receipt' });
          counters.enqueued++;
        }
      } catch {
        /* server gone: keep trying until stopped */
      }
      i++;
      await nap(1000 / rate, ac.signal);
    }
  })();

  let stopping: Promise<void> | undefined;
  return {
    stats: () => ({ ...counters }),
    stop() {
      stopping ??= (async () => {
        ac.abort();
        await loop;
        await Promise.all([...workers.map((w) => w.stop()), listWorker.stop()]);
        await Promise.all([producer.close(), jobs.close()].map((p) => Promise.resolve(p).catch(() => undefined)));
      })();
      return stopping;
    },
  };
}
