import * as assert from 'node:assert/strict';
import type { RedisClient } from '../../../src/core/redis/connection';
import { parseEntries, parsePendingEntries, type StreamEntry } from '../../../src/core/redis/replies';
import { NotHeldError, runOneMessage, type RunOneOptions, type StreamMessage, eventsKeyOf, parseEvent } from '../../../src/core/queue';
import { redisUrl, uniqueKey } from '../../support/integrationHooks';
import { settled, waitFor, workerSuite } from './helpers';

type Opts = Omit<RunOneOptions, 'connection'> & { readOnly?: boolean };

describe('(integration) queue: runOneMessage (one given message, the worker\'s path)', () => {
  const suite = workerSuite(500);
  let client: RedisClient;
  before(() => (client = suite.client));

  const run = (o: Opts) => {
    const { readOnly, ...rest } = o;
    return runOneMessage({ connection: { url: redisUrl(), readOnly }, ...rest });
  };

  /** A stream with group `g` (from 0) and one entry delivered to `consumer` (delivery count 1). */
  async function delivered(label: string, consumer = 'c', fields: (string | Buffer)[] = ['n', '1']): Promise<{ stream: string; id: string }> {
    const stream = uniqueKey(label);
    await client.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
    const id = String(await client.xadd(stream, '*', ...fields));
    await client.xreadgroup('GROUP', 'g', consumer, 'COUNT', 1, 'STREAMS', stream, '>');
    return { stream, id };
  }

  async function pel(stream: string): Promise<{ id: string; consumer: string; deliveries: number }[]> {
    return parsePendingEntries(await client.callBuffer('XPENDING', stream, 'g', '-', '+', 100)).map((p) => ({ id: p.id, consumer: p.consumer, deliveries: p.deliveries }));
  }

  async function entries(key: string): Promise<StreamEntry[]> {
    return parseEntries(await client.xrangeBuffer(key, '-', '+'));
  }

  /** A dead letter's pairs without what differs between two runs (its time, the original id). */
  function comparable(e: StreamEntry): string[] {
    const out: string[] = [];
    const raw = e.raw!;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toString('latin1');
      if (name === 'x-dlq-at' || name === 'x-dlq-id') continue;
      out.push(name, raw[i + 1]!.toString('base64'));
    }
    return out;
  }

  /** Commands the server ran since CONFIG RESETSTAT (INFO commandstats). */
  async function commandsRun(): Promise<Set<string>> {
    const info = String(await client.call('INFO', 'commandstats'));
    return new Set([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].filter((m) => Number(m[2]) > 0).map((m) => m[1]!.toLowerCase()));
  }
  const WRITES = ['xack', 'xclaim', 'xautoclaim', 'xadd', 'xdel', 'xreadgroup', 'xgroup', 'eval', 'evalsha', 'multi', 'exec'];

  it('a success on this consumer\'s own pending entry: acked, the handler given the worker\'s message shape (delivery count claimed up, as the worker re-takes its PEL)', async () => {
    const { stream, id } = await delivered('ok');
    const seen: StreamMessage[] = [];
    await client.call('CONFIG', 'RESETSTAT');
    const r = await run({ stream, group: 'g', consumer: 'c', id, handler: (m) => void seen.push(m) });
    assert.equal(r.outcome, 'acked', r.summary);
    const ran = await commandsRun(); // (the check the dry runs below rely on sees writes)
    assert.ok(ran.has('xclaim') && ran.has('xack'), [...ran].join(', '));
    assert.equal(r.deliveries, 2);
    assert.equal(r.ran, true);
    assert.equal(r.heldBy, 'c');
    assert.deepEqual(await pel(stream), []);
    // The same message object a worker gives (same keys, same values) for the same entry on the same delivery.
    const again = await delivered('ok2');
    const fromWorker: StreamMessage[] = [];
    const w = suite.worker({ stream: again.stream, group: 'g', consumer: 'c', handler: (m) => void fromWorker.push(m) });
    await w.start();
    await waitFor(() => w.stats.acked === 1, 5000, 'worker acked');
    const shape = (m: StreamMessage) => ({ keys: Object.keys(m).sort(), raw: m.raw.map((b) => b.toString('hex')), fields: m.fields, deliveries: m.deliveries });
    assert.deepEqual(shape(seen[0]!), shape(fromWorker[0]!));
    assert.equal(seen[0]!.id, id);
    assert.equal(seen[0]!.stream, stream);
  });

  it('a failure below maxDeliveries: left pending at this consumer with the delivery count the worker would leave', async () => {
    const { stream, id } = await delivered('fail');
    const r = await run({ stream, group: 'g', consumer: 'c', id, maxDeliveries: 3, handler: () => { throw new Error('boom'); } });
    assert.equal(r.outcome, 'left-pending');
    assert.equal(r.error, 'boom');
    assert.deepEqual(await pel(stream), [{ id, consumer: 'c', deliveries: 2 }]);
    // A worker with this consumer name then re-takes it and runs delivery 3, as it would after a restart.
    const seen: number[] = [];
    const w = suite.worker({ stream, group: 'g', consumer: 'c', handler: (m) => void seen.push(m.deliveries) });
    await w.start();
    await waitFor(() => w.stats.acked === 1, 5000, 'worker acked');
    assert.deepEqual(seen, [3]);
  });

  it('a failure at maxDeliveries: dead-lettered with the error as reason, the same record and events as a worker run on an identical message (differential)', async () => {
    const stream = uniqueKey('dl');
    const body: (string | Buffer)[] = ['a', '1', Buffer.from([0xff, 0x00]), Buffer.from([0xc3, 0x28]), 'a', 'dup'];
    await client.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
    // The worker: one entry delivered to `c` (a crash after delivery 1); a worker named `c` re-takes it (delivery 2) and fails.
    const viaWorker = String(await client.xadd(stream, '*', ...body));
    await client.xreadgroup('GROUP', 'g', 'c', 'COUNT', 1, 'STREAMS', stream, '>');
    const w = suite.worker({ stream, group: 'g', consumer: 'c', maxDeliveries: 2, events: true, claimMinIdleMs: 0, handler: () => { throw new Error('same reason'); } });
    await w.start();
    await waitFor(() => w.stats.deadLettered === 1, 5000, 'worker dead-lettered');
    await w.stop();
    // runOneMessage: an identical entry in the same state.
    const viaOne = String(await client.xadd(stream, '*', ...body));
    await client.xreadgroup('GROUP', 'g', 'c', 'COUNT', 1, 'STREAMS', stream, '>');
    const r = await run({ stream, group: 'g', consumer: 'c', id: viaOne, maxDeliveries: 2, events: true, handler: () => { throw new Error('same reason'); } });
    assert.equal(r.outcome, 'dead-lettered', r.summary);
    assert.equal(r.deliveries, 2);
    assert.ok(r.dlqId);
    assert.deepEqual(await pel(stream), []);
    const dlq = await entries(`${stream}:dlq`);
    assert.equal(dlq.length, 2);
    assert.equal(dlq[1]!.id, r.dlqId);
    assert.equal(dlq[0]!.fields!['x-dlq-id'], viaWorker);
    assert.equal(dlq[1]!.fields!['x-dlq-id'], viaOne);
    assert.equal(dlq[1]!.fields!['x-dlq-error'], 'same reason');
    assert.deepEqual(comparable(dlq[1]!), comparable(dlq[0]!));
    // The same events, in the same order, with the same details.
    const evs = await settled(async () => (await entries(eventsKeyOf(stream))).map(parseEvent), 'events');
    const of = (msg: string) => evs.filter((e) => e!.id === msg).map((e) => ({ type: e!.type, deliveries: e!.deliveries, error: e!.error, consumer: e!.consumer, group: e!.group }));
    assert.deepEqual(of(viaOne), of(viaWorker));
    assert.deepEqual(of(viaOne).map((e) => e.type), ['delivered', 'failed', 'dead-lettered']);
  });

  it('an entry delivered more than maxDeliveries times without completing is dead-lettered unseen, as the worker does', async () => {
    const { stream, id } = await delivered('over');
    await client.call('XCLAIM', stream, 'g', 'c', 0, id); // delivery 2
    let calls = 0;
    const r = await run({ stream, group: 'g', consumer: 'c', id, maxDeliveries: 2, handler: () => void calls++ });
    assert.equal(r.outcome, 'dead-lettered');
    assert.equal(r.ran, false);
    assert.equal(calls, 0);
    assert.equal(r.deliveries, 3);
    assert.match((await entries(`${stream}:dlq`))[0]!.fields!['x-dlq-error'] as string, /more than maxDeliveries/);
  });

  it('pending at another consumer: refused, nothing changed; claim takes it over and runs it', async () => {
    const { stream, id } = await delivered('other', 'someone-else');
    let calls = 0;
    await assert.rejects(run({ stream, group: 'g', consumer: 'me', id, handler: () => void calls++ }), (e: unknown) => e instanceof NotHeldError && /pending at consumer "someone-else"/.test(e.message));
    assert.equal(calls, 0);
    assert.deepEqual(await pel(stream), [{ id, consumer: 'someone-else', deliveries: 1 }]);
    const r = await run({ stream, group: 'g', consumer: 'me', id, claim: true, events: true, handler: () => void calls++ });
    assert.equal(r.outcome, 'acked');
    assert.equal(r.claimedFrom, 'someone-else');
    assert.equal(calls, 1);
    assert.deepEqual(await pel(stream), []);
    const evs = await settled(async () => (await entries(eventsKeyOf(stream))).map(parseEvent), 'events');
    assert.deepEqual(evs.map((e) => [e!.type, e!.from]), [['claimed', 'someone-else'], ['delivered', undefined], ['acked', undefined]]);
  });

  it('not pending in the group: a dry run by default, the handler runs on the exact message, and nothing is written (INFO commandstats)', async () => {
    const stream = uniqueKey('dry');
    await client.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
    const id = String(await client.xadd(stream, '*', 'n', '7'));
    await client.call('CONFIG', 'RESETSTAT');
    const seen: StreamMessage[] = [];
    const r = await run({ stream, group: 'g', consumer: 'c', id, events: true, handler: (m) => { seen.push(m); throw new Error('would fail'); } });
    const ran = await commandsRun();
    assert.equal(r.outcome, 'dry-run');
    assert.match(r.dryRunReason!, /not pending/);
    assert.equal(r.wouldBe, 'left-pending');
    assert.equal(r.error, 'would fail');
    assert.equal(seen[0]!.fields['n'], '7');
    assert.equal(seen[0]!.deliveries, 1);
    for (const c of WRITES) assert.ok(!ran.has(c), `${c} was sent: ${[...ran].join(', ')}`);
    assert.deepEqual(await pel(stream), []);
    assert.equal(await client.exists(eventsKeyOf(stream)), 0);
    // dryRun on an entry another consumer holds: runs, refuses nothing, writes nothing.
    await client.xreadgroup('GROUP', 'g', 'other', 'COUNT', 1, 'STREAMS', stream, '>');
    await client.call('CONFIG', 'RESETSTAT');
    const d = await run({ stream, group: 'g', consumer: 'c', id, dryRun: true, handler: () => undefined });
    assert.equal(d.outcome, 'dry-run');
    assert.equal(d.wouldBe, 'acked');
    assert.equal(d.deliveries, 2);
    const ran2 = await commandsRun();
    for (const c of WRITES) assert.ok(!ran2.has(c), `${c} was sent: ${[...ran2].join(', ')}`);
    assert.deepEqual(await pel(stream), [{ id, consumer: 'other', deliveries: 1 }]);
  });

  it('a read-only connection: only a dry run, even on this consumer\'s own entry', async () => {
    const { stream, id } = await delivered('ro');
    await client.call('CONFIG', 'RESETSTAT');
    const r = await run({ stream, group: 'g', consumer: 'c', id, readOnly: true, handler: () => undefined });
    assert.equal(r.outcome, 'dry-run');
    assert.match(r.dryRunReason!, /read-only/);
    const ran = await commandsRun();
    for (const c of WRITES) assert.ok(!ran.has(c), `${c} was sent`);
    assert.deepEqual(await pel(stream), [{ id, consumer: 'c', deliveries: 1 }]);
  });

  it('a message deleted from the stream while pending is reported, not run, nothing written; an id not in the stream is refused', async () => {
    const { stream, id } = await delivered('gone');
    await client.xdel(stream, id);
    let calls = 0;
    const r = await run({ stream, group: 'g', consumer: 'c', id, handler: () => void calls++ });
    assert.equal(r.outcome, 'deleted');
    assert.equal(calls, 0);
    assert.deepEqual(await pel(stream), [{ id, consumer: 'c', deliveries: 1 }]);
    await assert.rejects(run({ stream, group: 'g', consumer: 'c', id: '1-1', handler: () => undefined }), /No entry 1-1/);
  });

  it('deliver: the group\'s next undelivered entry is delivered (delivery 1) and acked; another entry is refused', async () => {
    const stream = uniqueKey('deliver');
    await client.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
    const first = String(await client.xadd(stream, '*', 'n', '1'));
    const second = String(await client.xadd(stream, '*', 'n', '2'));
    await assert.rejects(run({ stream, group: 'g', consumer: 'c', id: second, deliver: true, handler: () => undefined }), /not the next undelivered entry/);
    const seen: number[] = [];
    const r = await run({ stream, group: 'g', consumer: 'c', id: first, deliver: true, handler: (m) => void seen.push(m.deliveries) });
    assert.equal(r.outcome, 'acked');
    assert.deepEqual(seen, [1]);
    assert.deepEqual(await pel(stream), []);
  });

  it('aborted from outside (signal): left pending, not counted towards a dead letter', async () => {
    const { stream, id } = await delivered('abort');
    const ctl = new AbortController();
    const r = await run({ stream, group: 'g', consumer: 'c', id, maxDeliveries: 2, signal: ctl.signal, handler: (_m, { signal }) => new Promise<void>((_, reject) => {
      signal.addEventListener('abort', () => reject(new Error('stopped')));
      ctl.abort();
    }) });
    assert.equal(r.outcome, 'left-pending');
    assert.match(r.summary, /^Aborted/);
    assert.equal(await client.exists(`${stream}:dlq`), 0);
    assert.deepEqual(await pel(stream), [{ id, consumer: 'c', deliveries: 2 }]);
  });

  it('a handler past timeoutMs is aborted and counts as a failure', async () => {
    const { stream, id } = await delivered('timeout');
    let aborted = false;
    const r = await run({ stream, group: 'g', consumer: 'c', id, timeoutMs: 100, handler: (_m, { signal }) => new Promise<void>((resolve) => signal.addEventListener('abort', () => { aborted = true; resolve(); })) });
    assert.equal(r.outcome, 'left-pending');
    assert.match(r.error!, /timed out after 100 ms/);
    assert.equal(aborted, true);
  });

  it('decide: a person chooses the outcome while the entry stays held (lease renewed: a reclaim meanwhile takes nothing); the choice is applied, an over-delivered entry is run', async () => {
    // A failure acked anyway; a success left pending; a success dead-lettered with a reason.
    const cases: { fail: boolean; action: 'ack' | 'leave' | 'dead-letter'; want: string }[] = [
      { fail: true, action: 'ack', want: 'acked' },
      { fail: false, action: 'leave', want: 'left-pending' },
      { fail: false, action: 'dead-letter', want: 'dead-lettered' },
    ];
    for (const c of cases) {
      const { stream, id } = await delivered(`decide-${c.action}`);
      const asked: { error?: string; wouldBe: string; deliveries: number }[] = [];
      const r = await run({
        stream,
        group: 'g',
        consumer: 'c',
        id,
        maxDeliveries: 5,
        claimMinIdleMs: 300,
        leaseIntervalMs: 100,
        handler: () => {
          if (c.fail) throw new Error('boom');
        },
        decide: async (ran) => {
          asked.push({ error: ran.error, wouldBe: ran.wouldBe, deliveries: ran.deliveries });
          // While the person thinks (longer than the claim idle), another worker's reclaim finds nothing idle enough.
          await new Promise((res) => setTimeout(res, 700));
          const reclaim = (await client.call('XAUTOCLAIM', stream, 'g', 'other', 300, '0-0')) as [string, unknown[]];
          assert.deepEqual(reclaim[1], [], 'the lease kept it from a reclaim');
          return c.action === 'dead-letter' ? { action: 'dead-letter', reason: 'chosen by hand' } : { action: c.action };
        },
      });
      assert.equal(r.outcome, c.want, r.summary);
      assert.equal(r.decided, true);
      assert.deepEqual(asked, [{ error: c.fail ? 'boom' : undefined, wouldBe: c.fail ? 'left-pending' : 'acked', deliveries: 2 }]);
      const left = await pel(stream);
      if (c.action === 'leave') assert.deepEqual(left, [{ id, consumer: 'c', deliveries: 2 }]);
      else assert.deepEqual(left, []);
      if (c.action === 'dead-letter') {
        const [dl] = await entries(`${stream}:dlq`);
        assert.ok(dl, 'a dead letter');
        assert.match(dl!.raw!.map((b) => b.toString('latin1')).join(' '), /chosen by hand/);
      }
    }
    // An entry delivered more than maxDeliveries times: a worker dead-letters it unseen; asked for by a person, it runs.
    const { stream, id } = await delivered('decide-over');
    for (let i = 0; i < 3; i++) await client.call('XCLAIM', stream, 'g', 'c', '0', id);
    let ran = 0;
    const r = await run({ stream, group: 'g', consumer: 'c', id, maxDeliveries: 2, handler: () => void ran++, decide: async () => ({ action: 'ack' }) });
    assert.equal(ran, 1);
    assert.equal(r.outcome, 'acked');
    assert.equal(r.deliveries, 5);
  });
});
