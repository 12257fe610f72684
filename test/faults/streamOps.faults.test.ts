// Fault suite: the stream operations of src/core/ops.ts (replay, deadLetter, claim) run in a child
// process over 200 entries, and the child is SIGKILLed at a seeded random moment. Afterwards every
// numbered message must be in exactly one place: none lost, none in two. Then replays by several
// processes at once over the same dead-letter stream, and a replay across Cluster slots (the
// marker-key protocol of replayEntry) killed midway.
//
// Each message is published with a unique numbered field `n`, read into group `g` by consumer c1
// (so it is pending), and for the replay scenarios dead-lettered with ops.deadLetter. Where a
// message is afterwards:
//   replay      a replay in the origin stream (its original pairs, then x-replay-count 1,
//               x-replay-of <its original id>) or a record of the DLQ (read with splitDeadLetter);
//   deadLetter  pending in the group (and not in the DLQ), or in the DLQ (and acked);
//   claim       pending, owned by c1 or by c2.
// The kill moments are drawn over 1.25 times the time an unkilled run took (calibration), so
// that they fall before, during and after the work.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { open, quit, type RedisClient } from '../../src/core/redis/connection';
import { createGroup, deadLetter, replay, splitDeadLetter, REPLAY_COUNT_FIELD, REPLAY_OF_FIELD, type OpTarget } from '../../src/core/ops';
import { keySlot, StreamProducer } from '../../src/core/queue';
import { markerKey } from '../../src/core/queue/stream/deadLetter';
import { parseEntries, parsePendingEntries, type StreamEntry } from '../../src/core/redis/replies';
import { startSandboxCluster, type SandboxCluster } from '../../src/core/dev/sandbox';
import { record } from './hooks';
import { type Child, prng, SEED, spawnChild as spawnShared, startThenKill, target } from './support';

const N = 200;
const RUNS = 15;
const GROUP = 'g';

// ---- the child process ----

/** A running fixtures/streamOpsChild.js. */

const children: Child[] = [];

function spawnChild(env: Record<string, string>): Child {
  const child = spawnShared('streamOpsChild.js', env);
  children.push(child);
  return child;
}

interface ChildRun {
  /** The child printed "done" (the operation returned) before it died. */
  completed: boolean;
  /** How long the operation took, as the parent saw it (-1 when it did not finish). */
  ms: number;
  /** What the child reported: entries replayed / moved / claimed, and skipped. */
  done: number;
  skipped: number;
}

/** Runs one child; SIGKILLs it `killAfterMs` after telling it to start (never, if undefined). */
async function runChild(env: Record<string, string>, killAfterMs?: number): Promise<ChildRun> {
  const { output, completed, ms } = await startThenKill(spawnChild(env), killAfterMs);
  const m = /^done (\S+) (\d+) (\d+)$/m.exec(output);
  return { completed: completed && !!m, ms, done: m ? Number(m[2]) : -1, skipped: m ? Number(m[3]) : -1 };
}

// ---- seeding ----

interface Seeded {
  stream: string;
  dlq: string;
  /** n → the message's id in the stream. */
  idOf: Map<string, string>;
  /** The stream ids, in order. */
  ids: string[];
  /** DLQ record ids (replay scenarios). */
  dlqIds: string[];
}

/** N numbered messages in `stream`, all delivered to consumer c1 of GROUP (so all pending). */
async function seedPending(admin: RedisClient, stream: string, dlq: string): Promise<Seeded> {
  await createGroup({ client: admin }, stream, GROUP, { from: '0' });
  const ids = await new StreamProducer(admin, { stream }).publishBatch(Array.from({ length: N }, (_, i) => ({ n: String(i) })));
  await admin.xreadgroup('GROUP', GROUP, 'c1', 'COUNT', N * 2, 'STREAMS', stream, '>');
  const pel = parsePendingEntries(await admin.call('XPENDING', stream, GROUP, '-', '+', N * 2));
  assert.equal(pel.length, N, 'seeded pending entries');
  return { stream, dlq, idOf: new Map(ids.map((id, i) => [String(i), id])), ids, dlqIds: [] };
}

/** N numbered messages dead-lettered (with ops.deadLetter) from `stream` into `dlq`. */
async function seedDlq(admin: RedisClient, stream: string, dlq: string): Promise<Seeded> {
  const s = await seedPending(admin, stream, dlq);
  const r = await deadLetter({ client: admin }, stream, GROUP, s.ids, { dlq, reason: 'seeded' });
  assert.equal(r.moved.length, N, 'seeded dead letters');
  return { ...s, dlqIds: r.moved.map((m) => m.dlqId) };
}

// ---- where every message is ----

interface Outcome {
  /** Messages the operation had moved (replayed / dead-lettered / claimed). */
  moved: number;
  lost: string[];
  duplicated: string[];
  /** Broken bookkeeping: strangers, wrong replay pairs, wrong owners... */
  problems: string[];
  /** Cross-slot replay: messages both replayed and still in the DLQ, whose marker says the replay was written. */
  covered?: number;
}

const str = (b: Buffer | string | undefined) => (b === undefined ? undefined : b.toString());
const nOf = (e: StreamEntry) => str(e.fields?.['n'] as Buffer | string | undefined);

/** An origin entry that is a replay: its `x-replay-count` and `x-replay-of` (the two last pairs). */
function replayTail(e: StreamEntry): { count: string; of: string } | undefined {
  const raw = e.raw ?? [];
  const k = raw.length;
  if (k >= 6 && str(raw[k - 4]) === REPLAY_COUNT_FIELD && str(raw[k - 2]) === REPLAY_OF_FIELD) return { count: str(raw[k - 3])!, of: str(raw[k - 1])! };
  return undefined;
}

/**
 * Replay: every message is a replay in the origin or a record of the DLQ, exactly once. With
 * `markers` (a replay across Cluster slots), a message in both is allowed when the record's marker
 * key holds the id of that replay: the protocol's state after a crash between its two steps, which
 * the next replay resolves by removing the record only.
 */
async function replayState(admin: RedisClient, s: Seeded, markers = false): Promise<Outcome> {
  const [origin, dlq] = await Promise.all([admin.xrangeBuffer(s.stream, '-', '+'), admin.xrangeBuffer(s.dlq, '-', '+')]).then((r) => r.map(parseEntries));
  const problems: string[] = [];
  const replays = new Map<string, string[]>();
  const records = new Map<string, string[]>();
  let originals = 0;
  for (const e of origin!) {
    const n = nOf(e);
    const tail = replayTail(e);
    if (n === undefined || !s.idOf.has(n)) problems.push(`stranger ${e.id} in the origin`);
    else if (!tail) {
      if (e.id !== s.idOf.get(n)) problems.push(`origin entry ${e.id} (n ${n}) is neither the original nor a replay`);
      originals++;
    } else {
      if (tail.count !== '1' || tail.of !== s.idOf.get(n)) problems.push(`replay ${e.id} of n ${n} ends with x-replay-count ${tail.count}, x-replay-of ${tail.of}; want 1, ${s.idOf.get(n)}`);
      replays.set(n, [...(replays.get(n) ?? []), e.id]);
    }
  }
  if (originals !== N) problems.push(`${N - originals} original entries gone from the origin`);
  for (const e of dlq!) {
    const l = splitDeadLetter(e);
    const n = str(l.fields['n'] as Buffer | string | undefined);
    if (n === undefined || !s.idOf.has(n)) problems.push(`stranger ${e.id} in the DLQ`);
    else {
      if (l.originalId !== s.idOf.get(n) || l.replayCount !== 0) problems.push(`DLQ record ${e.id} of n ${n} says x-dlq-id ${l.originalId}, replay count ${l.replayCount}`);
      records.set(n, [...(records.get(n) ?? []), e.id]);
    }
  }
  const lost: string[] = [];
  const duplicated: string[] = [];
  let covered = 0;
  for (const n of s.idOf.keys()) {
    const o = replays.get(n) ?? [];
    const d = records.get(n) ?? [];
    if (o.length + d.length === 0) lost.push(n);
    else if (o.length > 1 || d.length > 1) duplicated.push(n);
    else if (o.length === 1 && d.length === 1) {
      const key = markers ? markerKey(s.stream, `replayed:${s.dlq}:${d[0]!}`) : undefined;
      const mark = key ? await admin.get(key) : null;
      if (mark === o[0]) covered++;
      else duplicated.push(n);
    }
  }
  return { moved: replays.size, lost, duplicated, problems, covered };
}

/** After a finishing replay: every message once in the origin as a replay, the DLQ empty. */
async function replayedAll(admin: RedisClient, s: Seeded): Promise<Outcome> {
  const o = await replayState(admin, s);
  const left = await admin.xlen(s.dlq);
  if (left !== 0) o.problems.push(`${left} records still in the DLQ after the finishing replay`);
  return o;
}

/** deadLetter: every message pending and not in the DLQ, or in the DLQ once and acked. */
async function deadLetterState(admin: RedisClient, s: Seeded, markers = false): Promise<Outcome> {
  const pel = parsePendingEntries(await admin.call('XPENDING', s.stream, GROUP, '-', '+', N * 2));
  const dlq = parseEntries(await admin.xrangeBuffer(s.dlq, '-', '+'));
  const problems: string[] = [];
  const pending = new Set(pel.map((p) => p.id));
  for (const p of pel) if (p.consumer !== 'c1') problems.push(`${p.id} pending for ${p.consumer}`);
  const records = new Map<string, number>();
  for (const e of dlq) {
    const l = splitDeadLetter(e);
    const n = str(l.fields['n'] as Buffer | string | undefined);
    if (n === undefined || l.originalId !== s.idOf.get(n)) problems.push(`DLQ record ${e.id} (n ${n}, x-dlq-id ${l.originalId}) matches no message`);
    else {
      records.set(l.originalId!, (records.get(l.originalId!) ?? 0) + 1);
      if (l.origin !== s.stream || l.group !== GROUP || l.consumer !== 'c1' || l.deliveries !== 1) problems.push(`DLQ record ${e.id} has header ${l.origin}/${l.group}/${l.consumer}/${l.deliveries}`);
    }
  }
  const len = await admin.xlen(s.stream);
  if (len !== N) problems.push(`the stream holds ${len} entries, not ${N}`);
  const lost: string[] = [];
  const duplicated: string[] = [];
  let moved = 0;
  let covered = 0;
  for (const [n, id] of s.idOf) {
    const d = records.get(id) ?? 0;
    const p = pending.has(id);
    if (!p && d === 0) lost.push(n);
    else if (d > 1) duplicated.push(n);
    else if (p && d === 1) {
      // Across slots, a kill between the write and the ack leaves both, under a marker that makes
      // the next dead-letter of the entry only ack it.
      const key = markers ? markerKey(s.dlq, `dead-lettered:${s.stream}:${GROUP}:${id}`) : undefined;
      if (key && (await admin.get(key)) !== null) covered++;
      else duplicated.push(n);
    } else if (d === 1) moved++;
  }
  return { moved, lost, duplicated, problems, covered };
}

/** claim: every message pending exactly once, owned by c1 or c2. */
async function claimState(admin: RedisClient, s: Seeded): Promise<Outcome> {
  const pel = parsePendingEntries(await admin.call('XPENDING', s.stream, GROUP, '-', '+', N * 2));
  const problems: string[] = [];
  const count = new Map<string, number>();
  let moved = 0;
  const known = new Set(s.ids);
  for (const p of pel) {
    count.set(p.id, (count.get(p.id) ?? 0) + 1);
    if (!known.has(p.id)) problems.push(`stranger ${p.id} in the PEL`);
    if (p.consumer === 'c2') moved++;
    else if (p.consumer !== 'c1') problems.push(`${p.id} owned by ${p.consumer}`);
  }
  const lost: string[] = [];
  const duplicated: string[] = [];
  for (const [n, id] of s.idOf) {
    const c = count.get(id) ?? 0;
    if (c === 0) lost.push(n);
    else if (c > 1) duplicated.push(n);
  }
  return { moved, lost, duplicated, problems };
}

// ---- the kill experiment ----

interface Scenario {
  /** Title in the results table. */
  fault: string;
  seedOffset: number;
  forms: string[];
  /** A fresh set of N messages, ready for the operation. */
  seed(run: number): Promise<Seeded>;
  env(s: Seeded, form: string): Record<string, string>;
  inspect(s: Seeded): Promise<Outcome>;
  /** After the check of the killed run: complete the operation unkilled and check again. */
  finish?(s: Seeded): Promise<Outcome>;
  recovery: string;
}

/**
 * Two unkilled runs (the first also loads the scripts into the server), which must move all N;
 * then RUNS runs killed at seeded random moments within 1.25 times the time the second took.
 */
async function killExperiment(sc: Scenario): Promise<void> {
  let cal: ChildRun | undefined;
  for (let i = 0; i < 2; i++) {
    const s = await sc.seed(-1 - i);
    cal = await runChild(sc.env(s, sc.forms[0]!));
    const o = await sc.inspect(s);
    assert.deepEqual({ moved: o.moved, lost: o.lost, duplicated: o.duplicated, problems: o.problems }, { moved: N, lost: [], duplicated: [], problems: [] }, `calibration run ${i}`);
    assert.equal(cal.done, N, `calibration run ${i} reported ${cal.done} done`);
  }
  const windowMs = Math.max(3, Math.ceil(cal!.ms * 1.25));
  const rnd = prng(SEED + sc.seedOffset);
  const phases = { none: 0, some: 0, all: 0 };
  let lost = 0;
  let duplicated = 0;
  let covered = 0;
  const failures: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const form = sc.forms[i % sc.forms.length]!;
    const delay = rnd.int(0, windowMs);
    const s = await sc.seed(i);
    const r = await runChild(sc.env(s, form), delay);
    const o = await sc.inspect(s);
    lost += o.lost.length;
    duplicated += o.duplicated.length;
    covered += o.covered ?? 0;
    phases[o.moved === 0 ? 'none' : o.moved === N ? 'all' : 'some']++;
    const what = `seed ${SEED}+${sc.seedOffset}, run ${i} (${form}, kill after ${delay} ms, moved ${o.moved}${o.covered ? `, ${o.covered} replayed but still in the DLQ under a marker` : ''}${r.completed ? ', had finished' : ''}; stream ${s.stream}, dlq ${s.dlq})`;
    if (o.lost.length || o.duplicated.length) failures.push(`${what}: lost n=[${o.lost.join(',')}], duplicated n=[${o.duplicated.join(',')}]`);
    if (o.problems.length) failures.push(`${what}: ${o.problems.slice(0, 3).join('; ')}`);
    if (sc.finish) {
      const f = await sc.finish(s);
      lost += f.lost.length;
      duplicated += f.duplicated.length;
      if (f.lost.length || f.duplicated.length || f.moved !== N || f.problems.length) {
        failures.push(`${what}, after the finishing replay: ${f.moved} replayed, lost n=[${f.lost.join(',')}], duplicated n=[${f.duplicated.join(',')}]; ${f.problems.slice(0, 3).join('; ')}`);
      }
    }
  }
  record({
    fault: sc.fault,
    runs: RUNS,
    messages: RUNS * N,
    lost,
    duplicates: duplicated,
    recovery: sc.recovery,
    notes:
      `kill 0–${windowMs} ms after start (op took ${cal!.ms.toFixed(1)} ms unkilled); moved at the kill: none ${phases.none}, some ${phases.some}, all ${phases.all}` +
      (sc.finish && covered ? `; ${covered} messages left half-moved (written, source not yet removed) under a marker, resolved by ${sc.recovery}` : ''),
  });
  assert.deepEqual(failures, []);
}

/** Runs `procs` replays of the same DLQ at once (no kill). */
async function concurrentReplays(
  admin: RedisClient,
  procs: number,
  rounds: number,
  mk: (round: number) => Promise<Seeded>,
  extraEnv: Record<string, string>,
  markers: boolean,
): Promise<{ lost: number; duplicated: number; failures: string[]; reported: number[][] }> {
  let lost = 0;
  let duplicated = 0;
  const failures: string[] = [];
  const reported: number[][] = [];
  for (let round = 0; round < rounds; round++) {
    const s = await mk(round);
    // Even rounds: every process walks the DLQ in order (they race for the same record at the
    // same time). Odd rounds: each walks the records in its own seeded random order (they collide
    // all over the DLQ, on records another process is halfway through).
    const order = (p: number): Record<string, string> => (round % 2 === 0 ? { FORM: 'all' } : { FORM: 'ids', IDS: shuffled(s.dlqIds, SEED + 1000 * procs + 10 * round + p).join(',') });
    const group = Array.from({ length: procs }, (_, p) => spawnChild({ ...extraEnv, OP: 'replay', DLQ: s.dlq, ...order(p) }));
    await Promise.all(group.map((c) => c.printed(/^ready$/m)));
    for (const c of group) c.proc.stdin!.write('go\n');
    const codes = await Promise.all(group.map((c) => c.exited));
    codes.forEach((code, i) => assert.equal(code, 0, group[i]!.output()));
    const counts = group.map((c) => Number(/^done \S+ (\d+) /m.exec(c.output())![1]));
    reported.push(counts);
    const o = await replayedAll(admin, s);
    lost += o.lost.length;
    duplicated += o.duplicated.length;
    const what = `${procs} processes, round ${round} (${round % 2 ? 'each in its own order' : 'all in order'}, replayed per process ${counts.join('/')}; stream ${s.stream}, dlq ${s.dlq})`;
    if (o.lost.length || o.duplicated.length || o.moved !== N) failures.push(`${what}: ${o.moved} replayed, lost n=[${o.lost.join(',')}], duplicated n=[${o.duplicated.join(',')}]`);
    if (o.problems.length) failures.push(`${what}: ${o.problems.slice(0, 3).join('; ')}`);
    // Standalone, a replay that finds its record gone reports it skipped, so the reports add up to
    // N. Across slots a replay that finds the marker reports the entry as replayed (with the
    // marker's id) though another process wrote it: the reports may add up to more.
    if (!markers && counts.reduce((a, b) => a + b, 0) !== N) failures.push(`${what}: the processes reported ${counts.reduce((a, b) => a + b, 0)} replays in all, not ${N}`);
  }
  return { lost, duplicated, failures, reported };
}

const shortId = () => randomUUID().slice(0, 8);

/** A seeded Fisher–Yates shuffle. */
function shuffled<T>(list: T[], seed: number): T[] {
  const rnd = prng(seed);
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rnd.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('(faults) stream operations: client SIGKILLed midway, and replays at once', function () {
  this.timeout(90_000);
  let t: Awaited<ReturnType<typeof target>>;
  let admin: OpTarget;
  before(async () => {
    t = await target('none');
    admin = { client: t.admin };
  });
  after(async () => {
    for (const c of children) c.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await t?.close();
  });

  /** Origin and DLQ in one slot (a standalone server: always). */
  const keys = () => {
    const tag = `{fs:${shortId()}}`;
    return { stream: `${tag}:orders`, dlq: `${tag}:dlq` };
  };

  it(`replay of a DLQ of ${N}, SIGKILL at a seeded random moment, ${RUNS} runs: every message once in the origin or the DLQ, then all replayed once`, async () => {
    await killExperiment({
      fault: 'stream replay: client SIGKILL midway',
      seedOffset: 81,
      forms: ['all', 'ids'],
      seed: () => {
        const k = keys();
        return seedDlq(t.admin, k.stream, k.dlq);
      },
      env: (s, form) => ({ REDIS_URL: t.server.url, OP: 'replay', DLQ: s.dlq, FORM: form, IDS: s.dlqIds.join(',') }),
      inspect: (s) => replayState(t.admin, s),
      finish: async (s) => {
        await replay(admin, s.dlq, { ratePerSecond: 1e9 });
        return replayedAll(t.admin, s);
      },
      recovery: 'a second replay',
    });
  });

  it(`deadLetter of ${N} pending entries, SIGKILL at a seeded random moment, ${RUNS} runs: each still pending or in the DLQ once and acked`, async () => {
    await killExperiment({
      fault: 'stream deadLetter: client SIGKILL midway',
      seedOffset: 82,
      forms: ['ids'],
      seed: () => {
        const k = keys();
        return seedPending(t.admin, k.stream, k.dlq);
      },
      env: (s) => ({ REDIS_URL: t.server.url, OP: 'deadLetter', STREAM: s.stream, GROUP, DLQ: s.dlq, IDS: s.ids.join(',') }),
      inspect: (s) => deadLetterState(t.admin, s),
      recovery: 'none needed',
    });
  });

  it(`claim of ${N} pending entries from c1 to c2, SIGKILL at a seeded random moment, ${RUNS} runs: each pending once, owned by c1 or c2`, async () => {
    await killExperiment({
      fault: 'stream claim c1 → c2: client SIGKILL midway',
      seedOffset: 83,
      forms: ['ids'],
      seed: () => {
        const k = keys();
        return seedPending(t.admin, k.stream, k.dlq);
      },
      env: (s) => ({ REDIS_URL: t.server.url, OP: 'claim', STREAM: s.stream, GROUP, CONSUMER: 'c2', IDS: s.ids.join(',') }),
      inspect: (s) => claimState(t.admin, s),
      recovery: 'none needed',
    });
  });

  const ROUNDS = 5;
  for (const procs of [2, 3, 4]) {
    it(`${procs} processes replaying the same DLQ of ${N} at once, ${ROUNDS} rounds: every message replayed exactly once in all`, async () => {
      const r = await concurrentReplays(
        t.admin,
        procs,
        ROUNDS,
        () => {
          const k = keys();
          return seedDlq(t.admin, k.stream, k.dlq);
        },
        { REDIS_URL: t.server.url },
        false,
      );
      record({
        fault: `stream replay by ${procs} processes at once`,
        runs: ROUNDS,
        messages: ROUNDS * N,
        lost: r.lost,
        duplicates: r.duplicated,
        recovery: 'none needed',
        notes: `rounds alternately in DLQ order and in a random order per process; replays per process: ${r.reported.map((c) => c.join('/')).join(', ')}`,
      });
      assert.deepEqual(r.failures, []);
    });
  }

  describe('on a local 3-master Cluster: replay across slots (marker-key protocol)', function () {
    let cluster: SandboxCluster | undefined;
    let client: RedisClient;
    before(async function () {
      this.timeout(30_000);
      cluster = await startSandboxCluster({ masters: 3 });
      client = await open({ url: cluster.url, mode: 'cluster' });
    });
    after(async () => {
      if (client) await quit(client);
      await cluster?.stop();
    });

    /** Origin `orders-y:<id>` and DLQ `dlq-x:<id>`: no hash tag, in different slots. */
    const crossKeys = () => {
      for (;;) {
        const id = shortId();
        const k = { stream: `orders-y:${id}`, dlq: `dlq-x:${id}` };
        if (keySlot(k.stream) !== keySlot(k.dlq)) return k;
      }
    };
    const seedCross = () => {
      const k = crossKeys();
      return seedDlq(client, k.stream, k.dlq);
    };

    it(`replay of a DLQ of ${N} into another slot, SIGKILL at a seeded random moment, ${RUNS} runs: none lost, none duplicated once replayed again`, async () => {
      await killExperiment({
        fault: 'Cluster replay across slots: client SIGKILL midway',
        seedOffset: 84,
        forms: ['all', 'ids'],
        seed: seedCross,
        env: (s, form) => ({ REDIS_URL: cluster!.url, CLUSTER: '1', OP: 'replay', DLQ: s.dlq, FORM: form, IDS: s.dlqIds.join(',') }),
        inspect: (s) => replayState(client, s, true),
        finish: async (s) => {
          await replay({ client }, s.dlq, { ratePerSecond: 1e9 });
          return replayedAll(client, s);
        },
        recovery: 'a second replay',
      });
    });

    it(`deadLetter of ${N} pending entries into a DLQ in another slot, SIGKILL at a seeded random moment, ${RUNS} runs: none lost, one record each once dead-lettered again`, async () => {
      await killExperiment({
        fault: 'Cluster deadLetter across slots: client SIGKILL midway',
        seedOffset: 85,
        forms: ['ids'],
        seed: () => {
          const k = crossKeys();
          return seedPending(client, k.stream, k.dlq);
        },
        env: (s) => ({ REDIS_URL: cluster!.url, CLUSTER: '1', OP: 'deadLetter', STREAM: s.stream, GROUP, DLQ: s.dlq, IDS: s.ids.join(',') }),
        inspect: (s) => deadLetterState(client, s, true),
        finish: async (s) => {
          await deadLetter({ client }, s.stream, GROUP, s.ids, { dlq: s.dlq });
          return deadLetterState(client, s);
        },
        recovery: 'a second dead-letter',
      });
    });

    it(`3 processes replaying the same DLQ of ${N} into another slot at once, ${ROUNDS} rounds: every message replayed exactly once`, async () => {
      const r = await concurrentReplays(client, 3, ROUNDS, seedCross, { REDIS_URL: cluster!.url, CLUSTER: '1' }, true);
      const claimed = r.reported.map((c) => c.reduce((a, b) => a + b, 0));
      record({
        fault: 'Cluster replay across slots by 3 processes at once',
        runs: ROUNDS,
        messages: ROUNDS * N,
        lost: r.lost,
        duplicates: r.duplicated,
        recovery: 'none needed',
        notes: `rounds alternately in DLQ order and in a random order per process; replays per process: ${r.reported.map((c) => c.join('/')).join(', ')} (sum reported per round: ${claimed.join(', ')})`,
      });
      assert.deepEqual(r.failures, []);
    });
  });
});
