// `redis-queues mcp` (node dist/cli.js; build first) driven by the MCP SDK's own client over stdio
// against the integration tier's redis-server: the tools listed, each called on seeded queues,
// writes only with --allow-writes, and never on a read-only connection (INFO commandstats shows
// nothing was sent). Also the agent layer itself refusing a write on a read-only context.
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type Redis from 'ioredis';
import { AGENT_TOOLS, agentTool, runAgentTool } from '../../src/agent/tools';
import { open, quit } from '../../src/core/redis/connection';
import { DEFAULT_THRESHOLDS } from '../../src/core/inspect/health';
import { Inspector } from '../../src/core/inspect/inspect';
import { deadLetter } from '../../src/core/ops';
import { JOB_FIELDS, listQueueKeys } from '../../src/core/queue/list/keys';
import { serverCapabilities } from '../../src/core/redis/server';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'cli.js');
const READ_TOOLS = AGENT_TOOLS.filter((t) => !t.write).map((t) => t.name);
const ALL_TOOLS = AGENT_TOOLS.map((t) => t.name);

interface Text {
  type: string;
  text: string;
}
interface CallResult {
  content: Text[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

interface Running {
  client: Client;
  stderr(): string;
  call(name: string, args?: Record<string, unknown>): Promise<CallResult & { text: string; data: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** Starts `node dist/cli.js mcp --url <test server> ...args` (unless args give --url) and connects the SDK's client to it. */
async function startMcp(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', ...(args.includes('--url') ? [] : ['--url', redisUrl()]), ...args], env: { PATH: process.env.PATH ?? '', ...env }, stderr: 'pipe' });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const client = new Client({ name: 'redis-queues-mcp-test', version: '1.0.0' });
  await client.connect(transport);
  return {
    client,
    stderr: () => err,
    async call(name, a = {}) {
      const r = (await client.callTool({ name, arguments: a })) as unknown as CallResult;
      return { ...r, text: r.content.map((c) => c.text).join('\n'), data: r.structuredContent ?? {} };
    },
    close: () => client.close(),
  };
}

/** A server driven by raw JSON-RPC lines (to send what an SDK client never would): every answer and log line kept. */
class RawMcp {
  readonly answers: Record<string, unknown>[] = [];
  stderr = '';
  private readonly waiters: (() => void)[] = [];
  readonly child: ChildProcess;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [CLI, 'mcp', '--url', redisUrl(), ...args], { env: { PATH: process.env.PATH ?? '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      this.answers.push(JSON.parse(l) as Record<string, unknown>);
      this.changed();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      this.changed();
    });
  }

  private changed(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when `test` holds (checked at each answer or log line). */
  async until<T>(test: () => T | undefined, what: string): Promise<T> {
    for (;;) {
      const v = test();
      if (v !== undefined && v !== false) return v;
      if (this.child.exitCode !== null) throw new Error(`the server exited (${this.child.exitCode}) waiting for ${what}: ${this.stderr}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  line(text: string): void {
    this.child.stdin!.write(`${text}\n`);
  }

  send(message: Record<string, unknown>): void {
    this.line(JSON.stringify({ jsonrpc: '2.0', ...message }));
  }

  /** The answer with this id (waits for it). */
  answer(id: unknown): Promise<Record<string, unknown>> {
    return this.until(() => this.answers.find((a) => a['id'] === id), `the answer to ${JSON.stringify(id)}`);
  }

  async initialize(): Promise<void> {
    this.send({ id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    await this.answer('init');
    this.send({ method: 'notifications/initialized' });
  }

  async close(): Promise<void> {
    this.child.stdin!.end();
    if (this.child.exitCode === null) await once(this.child, 'exit');
  }
}

/** Calls per command since the server started (INFO commandstats). */
async function commandCalls(client: Redis): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of String(await client.info('commandstats')).split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

const WRITES = ['xack', 'xclaim', 'xautoclaim', 'xadd', 'xdel', 'eval', 'evalsha', 'lmove', 'rpush', 'lpush', 'lrem', 'hset', 'del', 'xgroup', 'zadd', 'zrem'];
const writesOf = (before: Record<string, number>, after: Record<string, number>) => WRITES.filter((c) => (after[c] ?? 0) !== (before[c] ?? 0));

describe('(integration) redis-queues mcp: the agent tools over MCP', function () {
  this.timeout(60_000);
  let client: Redis;
  const p = uniqueKey('mcp');
  const S = `${p}:orders`;
  const DLQ = `${S}:dlq`;
  const Q = `${p}:emails`;
  let ids: string[];
  let poisonId: string;
  let letteredId: string;
  /** Makes marks certain: every consumer holding entries is STUCK, a lag above 5 is LAGGING. */
  const THRESHOLDS = ['--stuck-idle', '1', '--lag-warning', '5', '--poison-deliveries', '5'];

  async function seed(): Promise<void> {
    const k = listQueueKeys(Q);
    await client.del(S, DLQ, Q, k.processing, k.dead, k.started, k.job('j1'), k.job('j2'), k.job('j3'), k.job('j4'));
    const pl = client.pipeline();
    for (let i = 0; i < 20; i++) pl.xadd(S, '*', 'orderId', `ord-${i}`, 'status', i === 7 ? 'failed' : 'ok', 'note', i === 3 ? 'x'.repeat(1000) : `n${i}`);
    ids = ((await pl.exec()) ?? []).map(([, id]) => String(id));
    await client.xgroup('CREATE', S, 'billing', '0');
    await client.xreadgroup('GROUP', 'billing', 'w1', 'COUNT', 5, 'STREAMS', S, '>');
    await client.xack(S, 'billing', ids[0]!, ids[1]!);
    poisonId = ids[2]!;
    await client.xclaim(S, 'billing', 'w1', 0, poisonId, 'RETRYCOUNT', 9, 'JUSTID');
    await client.xreadgroup('GROUP', 'billing', 'w2', 'COUNT', 1, 'STREAMS', S, '>');
    letteredId = ids[5]!;
    await deadLetter({ client }, S, 'billing', [letteredId], { reason: 'boom: price missing' });
    await client.xgroup('CREATE', S, 'shipping', '0');
    await client.xreadgroup('GROUP', 'shipping', 's1', 'COUNT', 2, 'STREAMS', S, '>');
    await client.xack(S, 'shipping', ids[0]!, ids[1]!);
    const now = Number((await client.time())[0]) * 1000;
    const l = client.pipeline();
    for (const j of ['j1', 'j2', 'j3', 'j4']) l.hset(k.job(j), 'to', `${j}@example.com`, JOB_FIELDS.attempts, j === 'j4' ? '5' : '0');
    l.hset(k.job('j4'), JOB_FIELDS.lastError, 'SMTP 550: mailbox unavailable');
    l.lpush(k.waiting, 'j1', 'j2');
    l.lpush(k.processing, 'j3');
    l.zadd(k.started, now - 3_600_000, 'j3');
    l.lpush(k.dead, 'j4');
    await l.exec();
  }

  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
  });
  beforeEach(seed);
  after(async () => {
    await quit(client);
  });

  describe('read-only by default', () => {
    let mcp: Running;
    before(async () => {
      mcp = await startMcp(['--name', 'itest', ...THRESHOLDS]);
    });
    after(async () => {
      await mcp.close();
    });

    it('lists the read tools only, each described for a model, with its input schema and read-only hint', async () => {
      const { tools } = await mcp.client.listTools();
      assert.deepEqual(tools.map((t) => t.name), READ_TOOLS);
      for (const t of tools) {
        assert.equal(t.description, agentTool(t.name)!.description);
        assert.equal(t.inputSchema.type, 'object');
        assert.deepEqual(Object.keys(t.inputSchema.properties ?? {}).sort(), Object.keys(agentTool(t.name)!.inputSchema.properties).sort());
        assert.equal(t.annotations?.readOnlyHint, true);
      }
      assert.match(mcp.stderr(), /serving 7 tools for "itest" on stdio; read tools only \(writes need --allow-writes\)/);
    });

    it('redisq_list_queues: streams with their groups and health marks, the dead-letter stream, the list queue', async () => {
      const r = await mcp.call('redisq_list_queues', { match: `${p}*` });
      assert.ok(!r.isError, r.text);
      assert.match(r.text, /^Connection "itest" \(Redis [\d.]+\): 2 streams, 1 list queue\./);
      assert.match(r.text, new RegExp(`- \\S+:orders: 20 entries, newest .* ago, dead-letter stream \\S+:orders:dlq holds 1; groups: billing: 3 pending, .*\\[STUCK: w1 .*POISON: 1 of the 3 oldest pending \\(${poisonId} ×9\\)`));
      // Lag (XINFO GROUPS) is reported from Redis 7.0 on: before, it is unknown and nothing is LAGGING.
      const lag = (await serverCapabilities(client)).lag;
      assert.match(r.text, lag ? /shipping: 0 pending, lag 18, 1 consumer \[LAGGING\]/ : /shipping: 0 pending, lag unknown, 1 consumer(?! \[)/);
      assert.match(r.text, /:emails \(list queue\): 2 waiting, 1 processing, 1 dead, longest-running job 1h 0m \[STUCK\]/);
      const streams = r.data['streams'] as { stream: string; marks: string[]; groups: { group: string; marks: string[]; lag: number; poison: { id: string }[] }[] }[];
      const orders = streams.find((s) => s.stream === S)!;
      assert.deepEqual(orders.marks.sort(), lag ? ['LAGGING', 'POISON', 'STUCK'] : ['POISON', 'STUCK']);
      assert.deepEqual(orders.groups.find((g) => g.group === 'billing')!.poison.map((x) => x.id), [poisonId]);
      assert.equal(orders.groups.find((g) => g.group === 'shipping')!.lag, lag ? 18 : null);
      assert.ok(streams.find((s) => s.stream === DLQ));
      assert.deepEqual(r.data['listQueues'], [{ queue: Q, waiting: 2, processing: 1, dead: 1, oldestProcessingAgeMs: (r.data['listQueues'] as { oldestProcessingAgeMs: number }[])[0]!.oldestProcessingAgeMs, oldestProcessingAge: '1h 0m', marks: ['STUCK'] }]);
      assert.equal(r.data['connection'], 'itest');
      assert.doesNotMatch(r.text, /redis:\/\/|127\.0\.0\.1/, 'the connection is named, never its URL');
    });

    it('redisq_group_health: consumers, oldest pending, poison, lag, the dead-letter stream, a diagnosis', async () => {
      const r = await mcp.call('redisq_group_health', { stream: S, group: 'billing' });
      assert.ok(!r.isError, r.text);
      assert.match(r.text, /dead-letter stream \S+ holds 1 entry/);
      assert.match(r.text, new RegExp(`Group billing: 3 pending, 2 consumers\\. .*STUCK: w1 holds 3 pending entries .*POISON: 1 entry of the 3 oldest pending delivered ≥ 5 times \\(${poisonId} ×9 at w1\\)`));
      // Lag is reported from Redis 7.0 on; before, the diagnosis says so and where delivery stands.
      const lagging = (await serverCapabilities(client)).lag
        ? `LAGGING: 14 entries not yet delivered to the group \\(threshold 5\\); the oldest of them, ${ids[6]}, was added \\d+(ms|s) ago;`
        : `lag unknown: Redis [\\d.]+ reports lag from 7\\.0 on; entries not yet delivered start at ${ids[6]}, added \\d+(ms|s) ago;`;
      assert.match(r.text, new RegExp(`Group billing: 3 pending, 2 consumers\\. ${lagging}`));
      const g = (r.data['groups'] as { oldestUndeliveredId: string; consumerList: { consumer: string; pending: number }[]; oldestPending: { id: string; poison: boolean }[] }[])[0]!;
      assert.equal(g.oldestUndeliveredId, ids[6]);
      assert.deepEqual(g.consumerList.map((c) => [c.consumer, c.pending]), [['w1', 3], ['w2', 0]]);
      assert.deepEqual(g.oldestPending.map((e) => [e.id, e.poison]), [[ids[2]!, true], [ids[3]!, false], [ids[4]!, false]]);
      const bad = await mcp.call('redisq_group_health', { stream: S, group: 'nope' });
      assert.equal(bad.isError, true);
      assert.match(bad.text, /has no consumer group "nope" \(its groups: billing, shipping\)/);
    });

    it('redisq_pending: a page with owners, deliveries and abbreviated messages; next pages on', async () => {
      const r = await mcp.call('redisq_pending', { stream: S, group: 'billing', count: 2 });
      assert.ok(!r.isError, r.text);
      assert.match(r.text, new RegExp(`3 pending in all \\(w1 3\\)\\. This page: 2; more follow: pass after="${ids[3]}"`));
      const entries = r.data['entries'] as { id: string; consumer: string; deliveries: number; poison: boolean; pairs: [string, string][] }[];
      assert.deepEqual(entries.map((e) => [e.id, e.consumer, e.deliveries, e.poison]), [[ids[2]!, "w1", 9, true], [ids[3]!, 'w1', 1, false]]);
      assert.deepEqual(entries[0]!.pairs, [['orderId', 'ord-2'], ['status', 'ok'], ['note', 'n2']]);
      assert.equal(entries[1]!.pairs[2]![1], `${'x'.repeat(200)}… [1000 characters]`, 'values are cut for the model');
      const next = await mcp.call('redisq_pending', { stream: S, group: 'billing', after: r.data['next'] as string });
      assert.deepEqual((next.data['entries'] as { id: string }[]).map((e) => e.id), [ids[4]]);
      assert.equal(next.data['next'], null);
    });

    it('redisq_find_messages: by content in the stream and in its dead-letter stream, with a query error said plainly', async () => {
      const r = await mcp.call('redisq_find_messages', { stream: S, query: 'status=failed' });
      assert.ok(!r.isError, r.text);
      assert.match(r.text, /^1 match for "status=failed" in \S+ \(20 entries examined; searched to the end\)/);
      assert.deepEqual((r.data['matches'] as { id: string }[]).map((m) => m.id), [ids[7]]);
      const d = await mcp.call('redisq_find_messages', { stream: DLQ, query: 'x-dlq-error~price' });
      assert.deepEqual((d.data['matches'] as { pairs: [string, string][] }[])[0]!.pairs.find(([n]) => n === 'x-dlq-id'), ['x-dlq-id', letteredId]);
      assert.deepEqual((d.data['matches'] as { deadLetter: Record<string, unknown> }[])[0]!.deadLetter, { origin: S, originalId: letteredId, group: 'billing', consumer: 'w2', deliveries: 1, error: 'boom: price missing', at: (d.data['matches'] as { deadLetter: { at: string } }[])[0]!.deadLetter.at, replayCount: 0 });
      assert.match(d.text, new RegExp(`- \\d+-\\d+: \\[dead letter of \\S+:orders ${letteredId}, group billing, 1 delivery: boom: price missing\\] orderId=ord-5 status=ok note=n5`));
      const pendingOnly = await mcp.call('redisq_find_messages', { stream: S, group: 'billing', query: 'deliveries:5' });
      assert.deepEqual((pendingOnly.data['matches'] as { id: string; deliveries: number }[]).map((m) => [m.id, m.deliveries]), [[poisonId, 9]]);
      const bad = await mcp.call('redisq_find_messages', { stream: S, query: 'idle:5m' });
      assert.equal(bad.isError, true);
      assert.match(bad.text, /apply to pending entries: give "group" too/);
    });

    it('redisq_journey: a dead-lettered message, and a dead list-queue job', async () => {
      const r = await mcp.call('redisq_journey', { stream: S, id: letteredId });
      assert.ok(!r.isError, r.text);
      assert.match(r.text, new RegExp(`group billing: acknowledged when dead-lettered to \\S+:dlq as \\d+-\\d+`));
      assert.match(r.text, /dead-lettered to \S+ as \d+-\d+: boom: price missing after 1 delivery/);
      assert.equal(r.data['state'], 'present');
      assert.equal((r.data['deadLetters'] as { originalId: string }[])[0]!.originalId, letteredId);
      const job = await mcp.call('redisq_journey', { queue: Q, jobId: 'j4' });
      assert.match(job.text, /^job j4 of \S+ · dead · dead in \S+:dead/);
      assert.match(job.text, /last error: SMTP 550: mailbox unavailable/);
      const bad = await mcp.call('redisq_journey', { stream: S });
      assert.equal(bad.isError, true);
      assert.match(bad.text, /Give "stream" and "id"/);
    });

    it('redisq_sample_entries: the newest entries with exact ids; redisq_list_jobs: processing jobs with their running time', async () => {
      const r = await mcp.call('redisq_sample_entries', { stream: S, count: 3 });
      assert.deepEqual((r.data['entries'] as { id: string }[]).map((e) => e.id), [ids[19], ids[18], ids[17]]);
      assert.equal(r.data['next'], ids[17]);
      assert.match(r.text, new RegExp(`^Stream \\S+: 20 entries; the 3 newest \\(older ones: pass before="${ids[17]}"\\):\\n- ${ids[19]}: orderId=ord-19 status=ok note=n19`));
      const missing = await mcp.call('redisq_sample_entries', { stream: `${p}:nope` });
      assert.equal(missing.isError, true);
      assert.match(missing.text, /No stream ".*:nope" on connection "itest": redisq_list_queues lists the streams there/);
      const jobs = await mcp.call('redisq_list_jobs', { queue: Q, section: 'processing' });
      assert.match(jobs.text, /- j3, 0 attempts, running 1h 0m STUCK/);
      const dead = await mcp.call('redisq_list_jobs', { queue: Q, section: 'dead' });
      assert.deepEqual((dead.data['jobs'] as unknown[])[0], { id: 'j4', payload: [['to', 'j4@example.com']], attempts: 5, lastError: 'SMTP 550: mailbox unavailable' });
    });

    it('refuses the write tools: not offered, and a call changes nothing (commandstats)', async () => {
      const before = await commandCalls(client);
      const r = await mcp.call('redisq_ack', { stream: S, group: 'billing', ids: [poisonId] });
      assert.equal(r.isError, true);
      assert.match(r.text, /Tool redisq_ack not found/);
      assert.deepEqual(writesOf(before, await commandCalls(client)), []);
      assert.equal(((await client.xpending(S, 'billing')) as [number])[0], 3);
    });
  });

  it('redisq_group_health tells entries held for long by a consumer that looks active (its idle time restarts with any claim)', async () => {
    // Their idle time goes on from 10m while the test runs (seconds on a loaded machine: MCP start-up included).
    await client.xclaim(S, 'billing', 'w1', 0, ids[3]!, ids[4]!, 'IDLE', 600_000, 'JUSTID');
    const mcp = await startMcp(['--name', 'itest']);
    try {
      const r = await mcp.call('redisq_group_health', { stream: S, group: 'billing' });
      assert.match(r.text, /w1 holds 2 entries of the 3 oldest pending delivered but not acknowledged for 5m 0s or more \(up to 10m \d{1,2}s\): its work on them looks stalled/);
      assert.doesNotMatch(r.text, /STUCK: w1/, 'w1 itself is not idle');
    } finally {
      await mcp.close();
    }
  });

  it('--allow-writes offers the write tools; each acts through the core ops and reports what it did', async () => {
    const mcp = await startMcp(['--name', 'itest', '--allow-writes', ...THRESHOLDS]);
    try {
      const { tools } = await mcp.client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ALL_TOOLS);
      assert.equal(tools.find((t) => t.name === 'redisq_ack')!.annotations?.destructiveHint, true);
      assert.match(mcp.stderr(), /writes allowed \(--allow-writes\)/);

      const before = await commandCalls(client);
      const acked = await mcp.call('redisq_ack', { stream: S, group: 'billing', ids: [ids[4]!, ids[0]!] });
      assert.ok(!acked.isError, acked.text);
      assert.match(acked.text, new RegExp(`^Acknowledged 1 entry in group billing of \\S+; not pending \\(already acknowledged or never delivered\\): ${ids[0]}\\.`));
      assert.equal(((await client.xpending(S, 'billing')) as [number])[0], 2);
      assert.equal((await commandCalls(client))['xack']! - (before['xack'] ?? 0), 1, 'one XACK was sent');

      const claimed = await mcp.call('redisq_claim', { stream: S, group: 'billing', consumer: 'w2', ids: [ids[3]!] });
      assert.deepEqual(claimed.data['claimed'], [ids[3]]);
      const lettered = await mcp.call('redisq_dead_letter', { stream: S, group: 'billing', ids: [poisonId], reason: 'poison: 9 deliveries' });
      assert.ok(!lettered.isError, lettered.text);
      const dlqId = (lettered.data['moved'] as { dlqId: string }[])[0]!.dlqId;
      assert.equal(await client.xlen(DLQ), 2);
      const replayed = await mcp.call('redisq_replay', { dlq: DLQ, ids: [dlqId] });
      assert.match(replayed.text, /^Replayed 1 entry from /);
      assert.equal(await client.xlen(DLQ), 1);
      assert.equal(await client.xlen(S), 21);
      const requeued = await mcp.call('redisq_requeue_job', { queue: Q, ids: ['j3', 'nope'], from: 'processing' });
      assert.match(requeued.text, /^Moved 1 job of \S+ from processing to waiting \(j3\); not in processing, skipped: nope\./);
      assert.deepEqual(await client.lrange(Q, 0, -1), ['j2', 'j1', 'j3'], 'back at the end workers take from: next to run');
      const retried = await mcp.call('redisq_requeue_job', { queue: Q, ids: ['j4'], from: 'dead' });
      assert.deepEqual(retried.data['moved'], ['j4']);
      const bad = await mcp.call('redisq_ack', { stream: S, group: 'billing', ids: ['not-an-id'] });
      assert.equal(bad.isError, true);
      assert.match(bad.text, /Invalid stream id "not-an-id"/);
    } finally {
      await mcp.close();
    }
  });

  it('a read-only connection never gets the write tools, whatever --allow-writes says, and nothing is sent', async () => {
    for (const [args, env] of [
      [['--allow-writes', '--read-only'], {}],
      [['--allow-writes'], { RQ_READ_ONLY: '1' }],
    ] as const) {
      const mcp = await startMcp(['--name', 'ro', ...args], env);
      try {
        const { tools } = await mcp.client.listTools();
        assert.deepEqual(tools.map((t) => t.name), READ_TOOLS);
        assert.match(mcp.stderr(), /read-only connection: read tools only; --allow-writes is ignored on a read-only connection/);
        const before = await commandCalls(client);
        for (const [name, a] of [
          ['redisq_ack', { stream: S, group: 'billing', ids: [poisonId] }],
          ['redisq_dead_letter', { stream: S, group: 'billing', ids: [poisonId], reason: 'x' }],
          ['redisq_requeue_job', { queue: Q, ids: ['j3'], from: 'processing' }],
        ] as const) {
          const r = await mcp.call(name, a);
          assert.equal(r.isError, true, name);
        }
        assert.deepEqual(writesOf(before, await commandCalls(client)), []);
        const reads = await mcp.call('redisq_pending', { stream: S, group: 'billing' });
        assert.ok(!reads.isError, 'reads still work');
      } finally {
        await mcp.close();
      }
    }
    assert.equal(((await client.xpending(S, 'billing')) as [number])[0], 3);
  });

  it('the agent layer refuses a write on a read-only context before anything is sent', async () => {
    const inspector = await Inspector.open({ url: redisUrl() });
    try {
      const before = await commandCalls(client);
      const ctx = { inspector, connection: 'ro', readOnly: true, thresholds: DEFAULT_THRESHOLDS };
      await assert.rejects(runAgentTool(agentTool('redisq_ack')!, ctx, { stream: S, group: 'billing', ids: [poisonId] }), { code: 'READ_ONLY', message: /Connection "ro" is read-only: acknowledge pending entries was refused before anything was sent/ });
      await assert.rejects(runAgentTool(agentTool('redisq_replay')!, ctx, { dlq: DLQ, ids: [letteredId] }), { code: 'READ_ONLY' });
      const after = await commandCalls(client);
      assert.deepEqual(writesOf(before, after), []);
      assert.equal(after['xpending'], before['xpending'], 'not even the reads an op does first');
    } finally {
      inspector.close();
    }
  });

  describe('every line answered, calls concurrent', () => {
    let raw: RawMcp;
    beforeEach(async () => {
      raw = new RawMcp(['--name', 'raw']);
      await raw.initialize();
    });
    afterEach(async () => {
      await raw.close();
    });

    it('answers a line that is not JSON, a batch, a wrong "jsonrpc" and a non-message with the JSON-RPC error; the server goes on', async () => {
      raw.line('{"jsonrpc": "2.0", "id": 1, "method": ');
      const parse = await raw.until(() => raw.answers.find((a) => (a['error'] as { code: number } | undefined)?.code === -32700), 'a parse error');
      assert.equal(parse['id'], null);
      assert.match((parse['error'] as { message: string }).message, /^Parse error: the line is not JSON/);
      raw.line(JSON.stringify([{ jsonrpc: '2.0', id: 'b1', method: 'ping' }, { jsonrpc: '2.0', method: 'notifications/initialized' }]));
      const batch = await raw.until(() => raw.answers.find((a) => Array.isArray(a)) as unknown as { id: unknown; error: { code: number; message: string } }[] | undefined, 'the batch answer');
      assert.deepEqual(batch.map((a) => [a.id, a.error.code]), [['b1', -32600], [null, -32600]]);
      assert.match(batch[0]!.error.message, /batches .* are not supported/);
      raw.line('[]');
      raw.line(JSON.stringify({ jsonrpc: '1.0', id: 'v1', method: 'ping' }));
      const version = await raw.answer('v1');
      assert.deepEqual(version['error'], { code: -32600, message: 'Invalid request: "jsonrpc" must be "2.0" (got "1.0")' });
      raw.line(JSON.stringify({ jsonrpc: '2.0', id: { not: 'an id' }, method: 'ping' }));
      raw.line('42');
      await raw.until(() => raw.answers.filter((a) => a['id'] === null && (a['error'] as { code: number } | undefined)?.code === -32600).length >= 3 || undefined, 'answers to [], the bad id and 42');
      raw.send({ id: 'after', method: 'ping' });
      assert.deepEqual((await raw.answer('after'))['result'], {}, 'the server still answers');
    });

    it('"arguments": null (or not an object) is a tool error saying so, not a validation dump', async () => {
      raw.send({ id: 'n', method: 'tools/call', params: { name: 'redisq_list_queues', arguments: null } });
      raw.send({ id: 's', method: 'tools/call', params: { name: 'redisq_list_queues', arguments: 'orders' } });
      for (const [id, got] of [['n', 'null'], ['s', 'string']]) {
        const r = (await raw.answer(id))['result'] as { isError: boolean; content: { text: string }[] };
        assert.equal(r.isError, true);
        assert.equal(r.content[0]!.text, `arguments must be an object of the tool's inputs, e.g. {} for none (got ${got}): nothing was run`);
      }
      raw.send({ id: 'none', method: 'tools/call', params: { name: 'redisq_list_queues' } });
      assert.ok(!((await raw.answer('none'))['result'] as { isError?: boolean }).isError, 'no "arguments" at all is no input');
    });

    it('answers a ping during a long find, and a cancellation stops the find', async function () {
      this.timeout(60_000);
      const big = `${p}:big`;
      const total = 400_000;
      // Seeded by a script in chunks: fast, and the test server is this tier's own.
      for (let n = 0; n < total; n += 50_000) {
        await client.eval(`for i = 1, tonumber(ARGV[1]) do redis.call('XADD', KEYS[1], '*', 'orderId', 'ord-' .. i, 'status', 'ok', 'note', 'nothing to see here') end`, 1, big, 50_000);
      }
      try {
        raw.send({ id: 'find', method: 'tools/call', params: { name: 'redisq_find_messages', arguments: { stream: big, query: 'note~no-such-text', maxExamined: 1_000_000 } } });
        // The walk has begun when Redis serves its pages (XRANGE, or XREVRANGE newest first).
        const pages = async () => {
          const c = await commandCalls(client);
          return (c['xrange'] ?? 0) + (c['xrevrange'] ?? 0);
        };
        const before = await pages();
        while ((await pages()) < before + 2) {
          if (raw.answers.some((a) => a['id'] === 'find')) throw new Error(`the find answered at once: ${JSON.stringify(raw.answers.find((a) => a['id'] === 'find')).slice(0, 400)}`);
        }
        const sent = performance.now();
        raw.send({ id: 'ping', method: 'ping' });
        const pong = await raw.until(() => raw.answers.find((a) => a['id'] === 'ping' || a['id'] === 'find'), 'the pong');
        const pingMs = performance.now() - sent;
        assert.equal(pong['id'], 'ping', `the find answered before the ping: ${JSON.stringify(pong).slice(0, 300)}`);
        assert.deepEqual(pong['result'], {});
        console.log(`      ping answered in ${pingMs.toFixed(1)} ms during the find`);
        raw.send({ method: 'notifications/cancelled', params: { requestId: 'find', reason: 'test' } });
        const m = await raw.until(() => {
          const answered = raw.answers.find((a) => a['id'] === 'find');
          if (answered) throw new Error(`the find answered instead of stopping: ${JSON.stringify(answered).slice(0, 400)}`);
          return /redisq_find_messages: cancelled by the client; the call ended after (\d+) ms \(0 matches for .*\((\d+) entries examined; cancelled[;)]/.exec(raw.stderr) ?? undefined;
        }, 'the find to stop');
        const examined = Number(m[2]);
        assert.ok(examined > 0 && examined < total, `the find stopped early: ${examined} of ${total} examined`);
        console.log(`      the cancelled find stopped after ${m[1]} ms, ${examined} of ${total} entries examined`);
        raw.send({ id: 'ping2', method: 'ping' });
        await raw.answer('ping2');
        assert.ok(!raw.answers.some((a) => a['id'] === 'find'), 'a cancelled request gets no answer');
      } finally {
        await client.del(big);
      }
    });
  });

  it('never returns a secret, and never rewrites data: streams named "password:reset" and exactly like the password are listed and addressable as they are', async () => {
    const user = `mcp-${p.replace(/\W/g, '')}`;
    const password = S; // the password is the name of a stream
    const reset = `${p}:password:reset`;
    await client.call('ACL', 'SETUSER', user, 'on', `>${password}`, '~*', '&*', '+@all');
    await client.xadd(reset, '*', 'token', 't-1', 'password', 'hunter2');
    const secretId = String(await client.xadd(S, '*', 'orderId', 'ord-secret', 'dsn', `redis://${user}:${password}@db.internal:6379`, 'note', `the password is ${password}`));
    const mcp = await startMcp(['--user', user], { REDIS_PASSWORD: password });
    try {
      const list = await mcp.call('redisq_list_queues', { match: `${p}*` });
      assert.ok(!list.isError, list.text);
      assert.deepEqual((list.data['streams'] as { stream: string }[]).map((x) => x.stream).sort(), [S, DLQ, reset].sort());
      assert.match(list.text, new RegExp(`- ${S.replace(/[{}]/g, '\\$&')}: 21 entries`));
      assert.ok(!`${list.text}${list.content[1]!.text}`.includes('***'), 'no name is starred');
      const r = await mcp.call('redisq_sample_entries', { stream: reset });
      assert.ok(!r.isError, r.text);
      assert.deepEqual((r.data['entries'] as { pairs: unknown }[])[0]!.pairs, [['token', 't-1'], ['password', 'hunter2']], 'fields and values of data as they are');
      assert.equal((r.data['stream'] as { stream: string }).stream, reset);
      const own = await mcp.call('redisq_find_messages', { stream: S, query: 'orderId=ord-secret' });
      assert.ok(!own.isError, own.text);
      assert.equal(own.data['stream'], S);
      assert.deepEqual((own.data['matches'] as { id: string; pairs: [string, string][] }[]).map((m) => [m.id, m.pairs[2]]), [[secretId, ['note', `the password is ${password}`]]], 'a value is data: returned unchanged');
      assert.ok(!mcp.stderr().includes(password), 'the logs never hold it');
      // A wrong password in the URL itself: the error texts that echo the connection are scrubbed.
      const url = new URL(redisUrl());
      url.username = user;
      url.password = 'wrong-pw-123';
      const wrong = await startMcp(['--url', url.toString()]);
      try {
        const w = await wrong.call('redisq_list_queues', {});
        assert.equal(w.isError, true);
        assert.match(w.text, /Authentication failed/);
        assert.ok(!`${w.text}${wrong.stderr()}`.includes('wrong-pw-123'), `${w.text}\n${wrong.stderr()}`);
      } finally {
        await wrong.close();
      }
    } finally {
      await mcp.close();
      await client.call('ACL', 'DELUSER', user);
      await client.del(reset);
    }
  });
});
