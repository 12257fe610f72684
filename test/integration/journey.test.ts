// The journey of one message (core/journey.ts), the worker events it reads (queue/runtime/events.ts) and
// the `journey` CLI command, against the integration tier's real redis-server.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { open, quit, type IoRedisClient } from '../../src/core/redis/connection';
import { BadIdError, WrongTypeError } from '../../src/core/redis/errors';
import { type JourneyEvent, jobJourney, messageJourney } from '../../src/core/inspect/journey';
import { describeJourney } from '../../src/core/inspect/journeyText';
import { deadLetter, replay } from '../../src/core/ops';
import { ListQueueProducer, ListQueueWorker, StreamWorker, eventsKeyOf, keySlot, listQueueKeys, readEvents } from '../../src/core/queue';
import { serverCapabilities } from '../../src/core/redis/server';
import { startSandboxCluster, type SandboxCluster } from '../../src/core/dev/sandbox';
import { run } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/common';
import { redisUrl, uniqueKey } from '../support/integrationHooks';
import { waitFor } from './queue/helpers';

/** Types (and for some, deliveries) of a timeline, in order. */
function shape(events: JourneyEvent[]): string[] {
  return events.map((e) => (e.deliveries === undefined ? e.type : `${e.type}:${e.deliveries}`));
}

describe('(integration) journey of a message', function () {
  this.timeout(30_000);
  let client: IoRedisClient;
  const stops: (() => Promise<void>)[] = [];
  before(async () => (client = await open({ url: redisUrl() })));
  afterEach(async () => void (await Promise.all(stops.splice(0).map((s) => s()))));
  after(() => quit(client));

  const add = async (s: string, ...nv: string[]) => String(await client.xadd(s, '*', ...nv));

  describe('where it is', () => {
    it('present, with one group not delivered, one pending and one acknowledged', async () => {
      const s = `${uniqueKey('j')}:s`;
      const id = await add(s, 'a', '1', 'a', '2');
      await client.xgroup('CREATE', s, 'fresh', '0');
      await client.xgroup('CREATE', s, 'busy', '0');
      await client.xgroup('CREATE', s, 'done', '0');
      await client.xreadgroup('GROUP', 'busy', 'worker-2', 'COUNT', 1, 'STREAMS', s, '>');
      await client.xreadgroup('GROUP', 'done', 'c1', 'COUNT', 1, 'STREAMS', s, '>');
      await client.xack(s, 'done', id);
      const j = await messageJourney(client, s, id);
      assert.equal(j.state, 'present');
      assert.equal(j.time, Number(id.split('-')[0]));
      assert.deepEqual(j.entry!.raw!.map(String), ['a', '1', 'a', '2'], 'the pairs, repeated names kept');
      const by = Object.fromEntries(j.groups.map((g) => [g.group, g]));
      assert.equal(by['fresh']!.state, 'not-delivered');
      assert.equal(by['busy']!.state, 'pending');
      assert.equal(by['busy']!.consumer, 'worker-2');
      assert.equal(by['busy']!.deliveries, 1);
      assert.ok(by['busy']!.idleMs! >= 0);
      assert.equal(by['done']!.state, 'acknowledged');
      assert.match(by['done']!.note!, /or the group started after it/, 'honest: Redis cannot tell');
      assert.deepEqual([j.deadLetters, j.replays, j.events, j.complete, j.notes], [[], [], [], true, []]);
      assert.equal(JSON.parse(JSON.stringify({ ...j, entry: null })).groups.length, 3, 'plain JSON');
      const lines = describeJourney(j);
      assert.match(lines[0]!, new RegExp(`${id} · present · `));
      assert.ok(lines.some((l) => /^group busy: pending at worker-2, 1 delivery, idle \d/.test(l)), lines.join('\n'));
      assert.ok(lines.some((l) => /^group fresh: not delivered yet/.test(l)));
      assert.ok(lines.some((l) => /^message: a=1 a=2$/.test(l)));
    });

    it('trimmed: older than the first entry; a group still holding it is pending with a note', async () => {
      const s = `${uniqueKey('j')}:s`;
      const old = await add(s, 'n', '0');
      await client.xgroup('CREATE', s, 'g', '0');
      await client.xreadgroup('GROUP', 'g', 'c', 'COUNT', 1, 'STREAMS', s, '>');
      await add(s, 'n', '1');
      await add(s, 'n', '2');
      await client.xtrim(s, 'MAXLEN', 1);
      const j = await messageJourney(client, s, old);
      assert.equal(j.state, 'trimmed');
      assert.match(j.stateNote!, /older than the stream's first entry/);
      assert.equal(j.entry, null);
      assert.equal(j.groups[0]!.state, 'pending');
      assert.match(j.groups[0]!.note!, /gone from the stream/);
    });

    it('deleted (Redis 7.0+: max-deleted-entry-id; before: gone with a note), and never delivered to a group behind it', async () => {
      const s = `${uniqueKey('j')}:s`;
      await add(s, 'n', '0');
      const mid = await add(s, 'n', '1');
      await add(s, 'n', '2');
      await client.xgroup('CREATE', s, 'g', '0');
      await client.xdel(s, mid);
      const j = await messageJourney(client, s, mid);
      if ((await serverCapabilities(client)).lag) {
        assert.equal(j.state, 'deleted');
        assert.match(j.stateNote!, /deleted with XDEL/);
      } else {
        assert.equal(j.state, 'gone');
        assert.match(j.stateNote!, /before Redis 7\.0/);
      }
      assert.equal(j.groups[0]!.state, 'not-delivered');
      assert.match(j.groups[0]!.note!, /never to be delivered/);
    });

    it('gone: an id after the last one, a stream that does not exist; bad ids and non-streams refused', async () => {
      const s = `${uniqueKey('j')}:s`;
      const id = await add(s, 'n', '0');
      const later = `${Number(id.split('-')[0]) + 10_000}-0`;
      const j = await messageJourney(client, s, later);
      assert.equal(j.state, 'gone');
      assert.match(j.stateNote!, /was ever added/);
      const none = await messageJourney(client, `${uniqueKey('j')}:nothing`, id);
      assert.deepEqual([none.state, none.groups, none.complete], ['gone', [], true]);
      assert.match(none.stateNote!, /does not exist/);
      await assert.rejects(messageJourney(client, s, 'nope'), BadIdError);
      const list = `${uniqueKey('j')}:list`;
      await client.rpush(list, 'x');
      await assert.rejects(messageJourney(client, list, id), WrongTypeError);
      // A dead-letter key of another type is noted, not thrown.
      await client.set(`${s}:dlq`, 'x');
      const noted = await messageJourney(client, s, id);
      assert.ok(noted.notes.some((n) => /is not a stream/.test(n)), noted.notes.join('; '));
    });
  });

  describe('dead letters and replays', () => {
    it('a dead-lettered copy with its error and deliveries; the group acknowledged it by the move', async () => {
      const s = `${uniqueKey('j')}:s`;
      const id = await add(s, 'order', '7');
      await client.xgroup('CREATE', s, 'billing', '0');
      for (let i = 0; i < 3; i++) {
        await client.xreadgroup('GROUP', 'billing', 'c1', 'COUNT', 1, 'STREAMS', s, i === 0 ? '>' : '0');
      }
      const moved = await deadLetter({ client }, s, 'billing', [id], { reason: 'TimeoutError' });
      const j = await messageJourney(client, s, id);
      assert.equal(j.deadLetters.length, 1);
      const d = j.deadLetters[0]!;
      assert.deepEqual([d.dlq, d.id, d.originalId, d.error, d.deliveries, d.group, d.consumer, d.replayCount], [`${s}:dlq`, moved.moved[0]!.dlqId, id, 'TimeoutError', 3, 'billing', 'c1', 0]);
      assert.equal(j.groups[0]!.state, 'acknowledged');
      assert.match(j.groups[0]!.note!, /acknowledged when dead-lettered/);
      assert.ok(describeJourney(j).some((l) => l.startsWith(`dead-lettered to ${s}:dlq as ${d.id}: TimeoutError after 3 deliveries`)));
    });

    it('a replay chain A → B → C, and the journey of a replay names what it replays', async () => {
      const s = `${uniqueKey('j')}:s`;
      const a = await add(s, 'order', '8');
      await client.xgroup('CREATE', s, 'g', '0');
      const t = { client };
      const bounce = async (id: string): Promise<string> => {
        await client.xreadgroup('GROUP', 'g', 'c', 'COUNT', 100, 'STREAMS', s, '>');
        await deadLetter(t, s, 'g', [id], { reason: `failed ${id}` });
        const r = await replay(t, `${s}:dlq`, { ratePerSecond: 1000 });
        return r.replayed[0]!.newId;
      };
      const b = await bounce(a);
      const c = await bounce(b);
      // C dead-lettered too, and left in the dead-letter stream.
      await client.xreadgroup('GROUP', 'g', 'c', 'COUNT', 100, 'STREAMS', s, '>');
      await deadLetter(t, s, 'g', [c], { reason: 'still failing' });
      const j = await messageJourney(client, s, a);
      assert.deepEqual(j.replays.map((r) => [r.from, r.to, r.count, r.present]), [[a, b, 1, true], [b, c, 2, true]]);
      assert.deepEqual(j.deadLetters.map((d) => [d.originalId, d.error, d.replayCount]), [[c, 'still failing', 2]]);
      assert.equal(j.replayOf, undefined);
      const lines = describeJourney(j);
      assert.ok(lines.includes(`replayed as ${b} (replay #1)`), lines.join('\n'));
      assert.ok(lines.includes(`${b} replayed as ${c} (replay #2)`), lines.join('\n'));
      const jb = await messageJourney(client, s, b);
      assert.equal(jb.replayOf, a);
      assert.deepEqual(jb.replays.map((r) => r.to), [c]);
    });

    it('a replay deleted from the stream is still linked by its dead-letter record', async () => {
      const s = `${uniqueKey('j')}:s`;
      await add(s, 'n', 'before'); // keeps the stream non-empty
      await client.xgroup('CREATE', s, 'g', '$');
      const a = await add(s, 'order', '9');
      const t = { client };
      await client.xreadgroup('GROUP', 'g', 'c', 'COUNT', 1, 'STREAMS', s, '>');
      const { deadLetterEntry } = await import('../../src/core/queue/stream/deadLetter');
      await deadLetterEntry(client, { stream: s, group: 'g', id: a, deliveries: 1, error: 'first', deleteFromSource: true });
      const b = (await replay(t, `${s}:dlq`, { ratePerSecond: 1000 })).replayed[0]!.newId;
      await client.xreadgroup('GROUP', 'g', 'c', 'COUNT', 1, 'STREAMS', s, '>');
      await deadLetterEntry(client, { stream: s, group: 'g', id: b, deliveries: 1, error: 'second', deleteFromSource: true });
      const j = await messageJourney(client, s, a);
      assert.equal(j.state, (await serverCapabilities(client)).lag ? 'deleted' : 'gone');
      assert.deepEqual(j.replays.map((r) => [r.from, r.to, r.count, r.present]), [[a, b, 1, false]]);
      assert.deepEqual(j.deadLetters.map((d) => [d.originalId, d.error]), [[b, 'second']]);
      assert.equal((await messageJourney(client, s, b)).replayOf, a, 'known from the record');
    });

    it('bounded: a lookup stopped by maxCalls says so', async () => {
      const s = `${uniqueKey('j')}:s`;
      const id = await add(s, 'n', 'first');
      const p = client.pipeline();
      for (let i = 0; i < 450; i++) p.xadd(s, '*', 'n', String(i));
      await p.exec();
      const j = await messageJourney(client, s, id, { maxCalls: 2, dlq: null, events: null });
      assert.equal(j.complete, false);
      assert.equal(j.notes.length, 1);
      // Pages grow from 8 entries (×8 while small): two calls read 8 + 64.
      assert.match(j.notes[0]!, /^replays: the call bound was reached: searched 72 records from \S+ up to \S+; later ones were not searched, so what is not listed may still be there/);
      const all = await messageJourney(client, s, id, { dlq: null, events: null });
      assert.deepEqual([all.complete, all.notes], [true, []]);
    });
  });

  describe('events recorded by the workers', () => {
    it('an id ahead of the clock (9999999999999-0): its dead-letter copy, events and replay are found by reference', async () => {
      const s = `${uniqueKey('j')}:s`;
      const id = '9999999999999-0';
      await client.xadd(s, id, 'kind', 'from-the-future');
      await client.xgroup('CREATE', s, 'g', '0');
      const w = new StreamWorker({
        connection: { url: redisUrl() },
        stream: s,
        group: 'g',
        consumer: 'w1',
        startId: '0',
        blockMs: 200,
        maxDeliveries: 1,
        events: true,
        handler: () => {
          throw new Error('cannot handle the future');
        },
      });
      stops.push(() => w.stop());
      await w.start();
      await waitFor(() => w.stats.deadLettered === 1, 10_000, 'dead-lettered');
      await w.stop(); // flushes the events
      const j = await messageJourney(client, s, id);
      assert.equal(j.deadLetters.length, 1, JSON.stringify(j.notes));
      assert.equal(j.deadLetters[0]!.originalId, id);
      assert.ok(Number(j.deadLetters[0]!.id.split('-')[0]) < 9_999_999_999_999, 'the copy has an id of the server clock, before the message');
      assert.deepEqual(shape(j.events), ['delivered:1', 'failed:1', 'dead-lettered:1']);
      assert.equal(j.complete, true);
      // Replayed: the replay (an id of now, before the message's) is found too.
      const r = await replay({ client }, `${s}:dlq`);
      assert.equal(r.replayed.length, 1);
      const again = await messageJourney(client, s, id);
      assert.deepEqual(again.replays.map((x) => x.to), [r.replayed[0]!.newId]);
    });

    it('a stream worker with events: true: failed once then acked; failed until dead-lettered', async () => {
      const s = `${uniqueKey('j')}:s`;
      await client.xgroup('CREATE', s, 'g', '$', 'MKSTREAM');
      const ok = await add(s, 'kind', 'flaky');
      const bad = await add(s, 'kind', 'poison');
      const seen = new Map<string, number>();
      const w = new StreamWorker({
        connection: { url: redisUrl() },
        stream: s,
        group: 'g',
        consumer: 'w1',
        startId: '0',
        blockMs: 200,
        maxDeliveries: 2,
        backoff: { initialMs: 10, jitter: 0 },
        events: true,
        handler: (m) => {
          const n = (seen.get(m.id) ?? 0) + 1;
          seen.set(m.id, n);
          if (m.id === bad) throw new Error('poison pill');
          if (n === 1) throw new Error('flaky once');
        },
      });
      stops.push(() => w.stop());
      await w.start();
      await waitFor(() => w.stats.deadLettered === 1 && w.stats.acked === 1, 10_000, 'one acked, one dead-lettered');
      await w.stop(); // flushes the events
      const j = await messageJourney(client, s, ok);
      assert.equal(j.eventsKey, eventsKeyOf(s));
      assert.deepEqual(shape(j.events), ['delivered:1', 'failed:1', 'retried:2', 'delivered:2', 'acked']);
      assert.ok(j.events.every((e) => e.group === 'g' && e.consumer === 'w1' && e.id === ok));
      assert.equal(j.events[1]!.error, 'flaky once');
      assert.deepEqual([j.groups[0]!.state, j.groups[0]!.note], ['acknowledged', undefined], 'the acked event tells');
      const d = await messageJourney(client, s, bad);
      assert.deepEqual(shape(d.events), ['delivered:1', 'failed:1', 'retried:2', 'delivered:2', 'failed:2', 'dead-lettered:2']);
      assert.equal(d.events[5]!.dlqId, d.deadLetters[0]!.id);
      assert.equal(d.deadLetters[0]!.error, 'poison pill');
      const lines = describeJourney(d);
      assert.ok(lines.includes('timeline:'));
      assert.ok(lines.some((l) => l.endsWith(`dead-lettered by g/w1 as ${d.deadLetters[0]!.id} after 2 deliveries: poison pill`)), lines.join('\n'));
      const r = await readEvents(client, eventsKeyOf(s), bad);
      assert.deepEqual([r.events.length, r.complete], [6, true]);
    });

    it('claimed from whom; with events off nothing is written', async () => {
      const s = `${uniqueKey('j')}:s`;
      await client.xgroup('CREATE', s, 'g', '$', 'MKSTREAM');
      const id = await add(s, 'n', '1');
      await client.xreadgroup('GROUP', 'g', 'ghost', 'COUNT', 1, 'STREAMS', s, '>');
      const w = new StreamWorker({ connection: { url: redisUrl() }, stream: s, group: 'g', consumer: 'rescuer', blockMs: 200, claimMinIdleMs: 100, claimIntervalMs: 50, events: { maxLen: 100 }, handler: () => undefined });
      stops.push(() => w.stop());
      await w.start();
      await waitFor(() => w.stats.acked === 1, 10_000, 'the claimed entry acked');
      await w.stop();
      const j = await messageJourney(client, s, id);
      assert.deepEqual(shape(j.events), ['claimed', 'delivered:2', 'acked']);
      assert.deepEqual([j.events[0]!.from, j.events[0]!.consumer], ['ghost', 'rescuer']);
      assert.ok(describeJourney(j).some((l) => l.endsWith('claimed by g/rescuer from ghost')));

      const quiet = `${uniqueKey('j')}:s`;
      await client.xgroup('CREATE', quiet, 'g', '$', 'MKSTREAM');
      await add(quiet, 'n', '1');
      const w2 = new StreamWorker({ connection: { url: redisUrl() }, stream: quiet, group: 'g', startId: '0', blockMs: 200, handler: () => undefined });
      stops.push(() => w2.stop());
      await w2.start();
      await waitFor(() => w2.stats.acked === 1, 10_000, 'acked');
      await w2.stop();
      assert.equal(await client.exists(eventsKeyOf(quiet)), 0);
    });

    it('an events write that fails never holds a message up: it is acked, the failure reported once', async () => {
      const s = `${uniqueKey('j')}:s`;
      await client.set(eventsKeyOf(s), 'not a stream');
      await client.xgroup('CREATE', s, 'g', '$', 'MKSTREAM');
      const errors: string[] = [];
      const w = new StreamWorker({ connection: { url: redisUrl() }, stream: s, group: 'g', blockMs: 200, events: true, handler: () => undefined });
      w.on('error', (e) => errors.push(`${e.code} ${e.message}`));
      stops.push(() => w.stop());
      await w.start();
      for (let i = 0; i < 5; i++) await add(s, 'n', String(i));
      await waitFor(() => w.stats.acked === 5 && errors.length > 0, 10_000, 'all acked and the failure reported');
      await w.stop();
      assert.equal(errors.length, 1, errors.join('; '));
      assert.match(errors[0]!, /^WRONGTYPE/);
      assert.equal(await client.get(eventsKeyOf(s)), 'not a stream', 'nothing else changed');
    });
  });

  describe('list-queue jobs', () => {
    it('waiting (how many ahead), processing, dead with attempts and last error, done, with events', async () => {
      const queue = uniqueKey('lq');
      const k = listQueueKeys(queue);
      const producer = new ListQueueProducer(client, { queue });
      const [j1, , j3] = await producer.enqueueMany([{ payload: { n: '1' } }, { payload: { n: '2' } }, { payload: { n: '3' } }]);
      const first = await jobJourney(client, queue, j1!);
      assert.deepEqual([first.state, first.list, first.ahead, first.listLength, first.hash, first.attempts], ['waiting', k.waiting, 0, 3, true, 0]);
      assert.equal((await jobJourney(client, queue, j3!)).ahead, 2);
      assert.match(describeJourney(first)[0]!, /waiting in .* \(next to run, 3 jobs waiting\)/);
      await client.lmove(k.waiting, k.processing, 'RIGHT', 'LEFT');
      const taken = await jobJourney(client, queue, j1!);
      assert.deepEqual([taken.state, taken.list, taken.index], ['processing', k.processing, 0]);
      const none = await jobJourney(client, queue, 'no-such-job');
      assert.deepEqual([none.state, none.hash, none.complete], ['none', false, true]);

      const q2 = uniqueKey('lq');
      const p2 = new ListQueueProducer(client, { queue: q2 });
      const [good, bad] = await p2.enqueueMany([{ payload: { n: 'good' } }, { payload: { n: 'bad' } }]);
      const w = new ListQueueWorker({
        connection: { url: redisUrl() },
        queue: q2,
        blockMs: 200,
        maxAttempts: 2,
        backoff: { initialMs: 10, jitter: 0 },
        events: true,
        handler: (job) => {
          if (job.payload['n'] === 'bad') throw new Error('cannot send');
        },
      });
      stops.push(() => w.stop());
      await w.start();
      await waitFor(() => w.stats.deadLettered === 1 && w.stats.processed === 1, 10_000, 'one done, one dead');
      await w.stop();
      const dead = await jobJourney(client, q2, bad!);
      assert.deepEqual([dead.state, dead.attempts, dead.lastError, dead.hash], ['dead', 2, 'cannot send', true]);
      assert.ok(dead.deadAt! > 0 && dead.createdAt! > 0);
      assert.deepEqual(shape(dead.events), ['delivered:1', 'failed:1', 'retried:1', 'delivered:2', 'failed:2', 'dead-lettered:2']);
      const lines = describeJourney(dead);
      assert.ok(lines.includes('2 attempts, created ' + new Date(dead.createdAt!).toISOString()), lines.join('\n'));
      assert.ok(lines.includes('last error: cannot send'));
      const done = await jobJourney(client, q2, good!);
      assert.deepEqual([done.state, done.hash, shape(done.events)], ['none', false, ['delivered:1', 'acked']]);
      assert.match(describeJourney(done)[0]!, /done: acknowledged at /);
    });
  });

  describe('on a Redis Cluster (3 masters)', function () {
    this.timeout(60_000);
    let cluster: SandboxCluster;
    let cc: IoRedisClient;
    before(async () => {
      cluster = await startSandboxCluster({ masters: 3 });
      cc = await open({ url: cluster.url, mode: 'cluster' });
    });
    after(async () => {
      await quit(cc);
      await cluster?.stop();
    });

    it('the journey with events, a dead letter and a replay, hash-tagged or with keys in other slots; a job', async () => {
      const plain = `journey-plain-${Date.now()}`;
      assert.notEqual(keySlot(plain), keySlot(`${plain}:dlq`), 'the untagged keys are spread over slots');
      for (const s of [`${uniqueKey('cj')}:s`, plain]) {
        await cc.xgroup('CREATE', s, 'g', '$', 'MKSTREAM');
        const id = String(await cc.xadd(s, '*', 'n', '1'));
        const w = new StreamWorker({ connection: { url: cluster.url, mode: 'cluster' }, stream: s, group: 'g', consumer: 'c', blockMs: 200, maxDeliveries: 1, events: true, handler: () => { throw new Error('nope'); } });
        stops.push(() => w.stop());
        await w.start();
        await waitFor(() => w.stats.deadLettered === 1, 15_000, 'dead-lettered');
        await w.stop();
        const b = (await replay({ client: cc }, `${s}:dlq`, { ratePerSecond: 1000 })).replayed[0]!.newId;
        const j = await messageJourney(cc, s, id);
        assert.equal(j.state, 'present');
        assert.deepEqual(j.groups.map((g) => [g.group, g.state]), [['g', 'acknowledged']]);
        assert.deepEqual(j.replays.map((r) => [r.from, r.to]), [[id, b]]);
        assert.deepEqual(shape(j.events), ['delivered:1', 'failed:1', 'dead-lettered:1']);
        assert.equal(j.complete, true);
      }
      const queue = uniqueKey('cq');
      const [job] = await new ListQueueProducer(cc, { queue }).enqueueMany([{ payload: { n: '1' } }]);
      const w = new ListQueueWorker({ connection: { url: cluster.url, mode: 'cluster' }, queue, blockMs: 200, maxAttempts: 1, events: true, handler: () => { throw new Error('bounce'); } });
      stops.push(() => w.stop());
      await w.start();
      await waitFor(() => w.stats.deadLettered === 1, 15_000, 'dead');
      await w.stop();
      const jj = await jobJourney(cc, queue, job!);
      assert.deepEqual([jj.state, jj.attempts, jj.lastError, shape(jj.events)], ['dead', 1, 'bounce', ['delivered:1', 'failed:1', 'dead-lettered:1']]);
    });
  });

  describe('cli: redis-queues journey', () => {
    async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
      let out = '';
      let err = '';
      const io: CliIo = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), env: {} };
      const code = await run([...args, '--url', redisUrl()], io);
      return { code, out, err };
    }

    it('prints the journey in lines, and losslessly with --json; --list for a job; bad ids exit 2', async () => {
      const s = `${uniqueKey('j')}:s`;
      await client.xadd(s, '*', 'bin', Buffer.from([0xff, 0x00]));
      const id = String((await client.xrange(s, '-', '+'))[0]![0]);
      await client.xgroup('CREATE', s, 'g', '0');
      await client.xreadgroup('GROUP', 'g', 'c9', 'COUNT', 1, 'STREAMS', s, '>');
      const text = await cli(['journey', s, id]);
      assert.equal(text.code, 0, text.err);
      const lines = text.out.trim().split('\n');
      assert.match(lines[0]!, new RegExp(`${id} · present`));
      assert.ok(lines.some((l) => /^group g: pending at c9, 1 delivery, idle /.test(l)), text.out);
      const json = await cli(['journey', s, id, '--json']);
      assert.equal(json.code, 0, json.err);
      const o = JSON.parse(json.out);
      assert.deepEqual(o.entry.pairs, [['bin', { base64: Buffer.from([0xff, 0x00]).toString('base64') }]]);
      assert.deepEqual([o.kind, o.stream, o.id, o.state, o.groups[0].state, o.groups[0].consumer, o.complete], ['message', s, id, 'present', 'pending', 'c9', true]);

      const queue = uniqueKey('lq');
      const [job] = await new ListQueueProducer(client, { queue }).enqueueMany([{ payload: { n: '1' } }]);
      const lj = await cli(['journey', queue, job!, '--list', '--json']);
      assert.equal(lj.code, 0, lj.err);
      assert.deepEqual([JSON.parse(lj.out).state, JSON.parse(lj.out).ahead], ['waiting', 0]);
      const lt = await cli(['journey', queue, job!, '--list']);
      assert.match(lt.out, /^job .* · waiting · waiting in /);

      const bad = await cli(['journey', s, 'nope']);
      assert.equal(bad.code, 2);
      assert.match(bad.err, /is not a stream id/);
    });

    it('"work --events" (node dist/cli.js) records the events the journey shows', async () => {
      const bundle = join(__dirname, '..', '..', '..', 'dist', 'cli.js');
      if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run "node esbuild.js" first`);
      const s = `${uniqueKey('j')}:s`;
      const id = await add(s, 'hello', 'world');
      const child = spawn(process.execPath, [bundle, 'work', s, '--group', 'g', '--consumer', 'cw', '--start', '0', '--events', '--url', redisUrl()], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      try {
        await waitFor(async () => (await readEvents(client, eventsKeyOf(s), id)).events.some((e) => e.type === 'acked'), 15_000, 'the acked event');
      } finally {
        child.kill('SIGINT');
      }
      assert.equal(await exited, 0, err);
      const text = await cli(['journey', s, id]);
      assert.equal(text.code, 0, text.err);
      assert.match(text.out, /timeline:\n.* delivered to g\/cw \(1st delivery\)\n.* acknowledged by g\/cw\n/);
      assert.match(text.out, /^group g: acknowledged$/m);
    });
  });
});
