// The core needs of a Redis client only what src/core/redis/client.ts lists: REDIS_CLIENT_MEMBERS (the
// ioredis members it calls) and CLIENT_LIFECYCLE_MEMBERS (what it reads of a client's state).
// Every client the core gets here is a real ioredis client behind a Proxy that answers every
// member as the client would and records each one that is not listed, with the step that read it;
// each step then checks that nothing unlisted was read, naming the member if one was.
import * as assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { CLIENT_LIFECYCLE_MEMBERS, REDIS_CLIENT_MEMBERS, type IoRedisClient, type RedisClient } from '../../src/core/redis/client';
import * as connection from '../../src/core/redis/connection';
import { Inspector } from '../../src/core/inspect/inspect';
import { newDiscoveryState } from '../../src/core/inspect/discovery';
import { checkStreamHealth } from '../../src/core/inspect/health';
import { messageJourney } from '../../src/core/inspect/journey';
import { sampleRound } from '../../src/core/metrics/sampler';
import * as ops from '../../src/core/ops';
import { StreamProducer } from '../../src/core/queue/stream/producer';
import { StreamWorker } from '../../src/core/queue/stream/worker';
import { parseSearchQuery } from '../../src/core/search/query';
import { findMessages } from '../../src/core/search/search';
import { importEntries } from '../../src/core/transfer/import';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

const LISTED = new Set<string>([...REDIS_CLIENT_MEMBERS, ...CLIENT_LIFECYCLE_MEMBERS]);
/** Read by the language, not by the core: `await` looks for `then` on what an async function returns. */
const LANGUAGE = new Set<string>(['then']);

/** Members read that are not listed: member → the steps that read it. */
const unlisted = new Map<string, Set<string>>();
let step = 'setup';

function note(member: string | symbol): void {
  if (typeof member !== 'string' || LISTED.has(member) || LANGUAGE.has(member)) return;
  const steps = unlisted.get(member) ?? new Set<string>();
  steps.add(step);
  unlisted.set(member, steps);
}

/** `real` as the core sees it here: the listed members, answered by the real client; anything else recorded. */
function narrow(real: IoRedisClient): RedisClient {
  return new Proxy(real, {
    get(target, member) {
      note(member);
      if (member === 'duplicate') return (...args: unknown[]) => narrow((target.duplicate as (...a: unknown[]) => IoRedisClient)(...args));
      const value: unknown = Reflect.get(target, member, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    has(target, member) {
      note(member);
      return Reflect.has(target, member);
    },
    set(target, member, value) {
      note(member);
      return Reflect.set(target, member, value, target);
    },
  }) as unknown as RedisClient;
}

/** Fails naming every unlisted member read since the last check, and the steps that read it. */
function assertOnlyListed(): void {
  const found = [...unlisted].map(([member, steps]) => `'${member}' (read by: ${[...steps].join(', ')})`);
  unlisted.clear();
  assert.deepEqual(found, [], `the core read client members that REDIS_CLIENT_MEMBERS / CLIENT_LIFECYCLE_MEMBERS do not list: ${found.join('; ')}`);
}

describe('(integration) the core on a narrow client: only the listed members', function () {
  this.timeout(60_000);
  // The clients the core opens itself (a worker's) are narrowed too: while this suite runs, the
  // connection module's open and createClient hand out real clients behind the same Proxy.
  const realOpen = connection.open;
  const realCreate = connection.createClient;
  const mod = connection as unknown as Record<'open' | 'createClient', unknown>;
  let real: IoRedisClient;
  let client: RedisClient;
  let t: ops.OpTarget;
  const stream = uniqueKey('narrow');
  const dlq = `${stream}:dlq`;
  const group = 'g';
  let ids: string[] = [];

  before(async () => {
    mod.open = async (...args: Parameters<typeof realOpen>) => narrow(await realOpen(...args));
    mod.createClient = (...args: Parameters<typeof realCreate>) => narrow(realCreate(...args));
    real = await realOpen({ url: redisUrl() });
    client = narrow(real);
    t = { client, name: 'narrow' };
  });
  after(async () => {
    mod.open = realOpen;
    mod.createClient = realCreate;
    await connection.quit(real);
  });
  afterEach(() => {
    step = 'between steps';
  });

  it('publishes with the producer', async () => {
    step = 'producer';
    const producer = new StreamProducer(client, { stream });
    ids = await producer.publishBatch(Array.from({ length: 8 }, (_, i) => ({ n: String(i), kind: i === 7 ? 'poison' : 'order' })));
    ids.push(await producer.publish({ n: '8', kind: 'order' }));
    assert.equal(await real.xlen(stream), 9);
    assertOnlyListed();
  });

  it('handles messages with a consumer-group worker (acks, a dead letter)', async () => {
    step = 'worker';
    const handled: string[] = [];
    const w = new StreamWorker({
      connection: { url: redisUrl(), clientName: 'narrow-worker' },
      stream,
      group,
      startId: '0',
      blockMs: 200,
      maxDeliveries: 1,
      handler: (m) => {
        if (m.fields['kind'] === 'poison') throw new Error('poison');
        handled.push(m.id);
      },
    });
    const deadLettered = new Promise<void>((resolve) => w.once('deadLettered', () => resolve()));
    let acked = 0;
    const allAcked = new Promise<void>((resolve) => w.on('acked', (n: number) => (acked += n) >= 8 && resolve()));
    await w.start();
    try {
      await Promise.all([deadLettered, allAcked]);
    } finally {
      await w.stop();
    }
    assert.equal(handled.length, 8);
    assert.equal(await real.xlen(dlq), 1);
    assertOnlyListed();
  });

  it('inspects, discovers and checks health', async () => {
    step = 'inspect';
    const insp = new Inspector(client, 'narrow');
    assert.equal((await insp.serverSummary()).mode, 'standalone');
    assert.equal((await insp.stream(stream)).length, 9);
    assert.equal((await insp.groups(stream))[0]?.name, group);
    await insp.consumers(stream, group);
    await insp.pendingSummary(stream, group);
    await insp.entriesPage(stream, { count: 5 });
    assert.ok(await insp.entry(stream, ids[0]!));
    await insp.serverTimeMs();
    step = 'discovery';
    const found = await insp.discover('streams', newDiscoveryState(), { match: `${stream}*` });
    assert.ok(found.keys.includes(stream));
    await insp.scanStreams({ match: `${stream}*` });
    step = 'health';
    const health = await checkStreamHealth(client, stream);
    assert.equal(health.stream, stream);
    assertOnlyListed();
  });

  it('samples metrics, searches and follows a journey', async () => {
    step = 'metrics';
    const round = await sampleRound(client, [stream]);
    assert.ok(round);
    step = 'search';
    const { hits } = await findMessages(client, { kind: 'stream', key: stream }, parseSearchQuery('poison'));
    assert.equal(hits.length, 1);
    step = 'journey';
    const j = await messageJourney(client, stream, ids[7]!);
    assert.equal(j.state, 'present');
    assertOnlyListed();
  });

  it('claims, dead-letters, replays and acks', async () => {
    step = 'seed (real client)';
    const more = await real.xadd(stream, '*', 'n', '9', 'kind', 'late');
    const last = await real.xadd(stream, '*', 'n', '10', 'kind', 'late');
    await real.xreadgroup('GROUP', group, 'c1', 'COUNT', 2, 'STREAMS', stream, '>');
    step = 'claim';
    const claimed = await ops.claim(t, stream, group, 'c2', [more!, last!]);
    assert.ok(claimed);
    step = 'dead-letter';
    const dead = await ops.deadLetter(t, stream, group, [more!], { dlq });
    assert.equal(dead.moved.length, 1);
    step = 'ack';
    assert.equal((await ops.ack(t, stream, group, [last!])).acked, 1);
    step = 'replay';
    const replayed = await ops.replay(t, dlq, { to: `${stream}:replayed`, ratePerSecond: 1000 });
    assert.equal(replayed.replayed.length, 2);
    assertOnlyListed();
  });

  it('imports messages', async () => {
    step = 'import';
    const lines = ['{"pairs":[["a","1"]]}', '{"pairs":[["a","2"]]}'].join('\n');
    const r = await importEntries(client, `${stream}:imported`, Readable.from([Buffer.from(lines)]));
    assert.equal(r.imported, 2);
    assertOnlyListed();
  });
});
