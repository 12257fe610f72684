// The agent tools inside a real VS Code: every tool called through vscode.lm.invokeTool against a
// seeded Redis; write tools refused while redisQueues.agent.allowWrites is off and on read-only
// connections (INFO commandstats shows nothing was sent); writes confirmed with their impact
// (prepareInvocation's confirmation; in an extension-test host VS Code answers tool confirmations
// itself, so what was asked is read from the tool); production connections ask to type the
// stream name; a write runs on the connection its confirmation named (tree selection changed in
// between); the MCP server definitions carry no secret on their command line, and a production
// connection's server writes only once the user allowed it by typing the connection's name.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { AGENT_TOOLS } from '../../../src/agent/tools';
import { open, quit } from '../../../src/core/redis/connection';
import { JOB_FIELDS, listQueueKeys } from '../../../src/core/queue/list/keys';
import { deadLetter } from '../../../src/core/ops';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import type { PickItem, Prompter } from '../../../src/vscode/ui';
import { until } from '../helpers';

const EXT = 'redis-queues.redis-queues';
const READ = AGENT_TOOLS.filter((t) => !t.write).map((t) => t.name);
const WRITE = AGENT_TOOLS.filter((t) => t.write).map((t) => t.name);
const WRITES = ['xack', 'xclaim', 'xautoclaim', 'xadd', 'xdel', 'eval', 'evalsha', 'lmove', 'rpush', 'lpush', 'lrem', 'hset', 'del', 'xgroup', 'zadd', 'zrem'];

/** Answers input boxes from a script and records them; every other prompt is a test failure. */
function typing(answers: (string | undefined)[]): Prompter & { asked: string[] } {
  const asked: string[] = [];
  const fail = () => Promise.reject(new Error('unexpected prompt'));
  return {
    asked,
    pick: <T>(_i: PickItem<T>[]) => fail() as Promise<T | undefined>,
    pickMany: <T>(_i: PickItem<T>[]) => fail() as Promise<T[] | undefined>,
    async input(o) {
      asked.push(`${o.title} ${o.prompt ?? ''}`);
      return answers.shift();
    },
    confirm: () => fail() as Promise<boolean>,
    info: () => undefined,
    warn: () => undefined,
  };
}

async function commandCalls(client: Redis): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of String(await client.info('commandstats')).split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}
const writesOf = (before: Record<string, number>, after: Record<string, number>) => WRITES.filter((c) => (after[c] ?? 0) !== (before[c] ?? 0));

/** The tool's text parts, joined. */
function textOf(r: vscode.LanguageModelToolResult): string {
  return r.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : String((p as { value?: unknown }).value ?? ''))).join('\n');
}
function dataOf(r: vscode.LanguageModelToolResult): Record<string, unknown> {
  const parts = r.content.map((p) => String((p as { value?: unknown }).value ?? ''));
  return JSON.parse(parts[parts.length - 1]!) as Record<string, unknown>;
}

describe('(extension) agent tools: chat tools and MCP servers', function () {
  this.timeout(60_000);
  let api: RedisQueuesApi;
  let client: Redis;
  const prefix = `agent-${randomUUID().slice(0, 8)}`;
  const conn = `ai-${prefix}`;
  const ro = `ai-ro-${prefix}`;
  const prod = `ai-prod-${prefix}`;
  const S = `${prefix}:orders`;
  const DLQ = `${S}:dlq`;
  const Q = `${prefix}:emails`;
  let ids: string[];
  const invoke = (name: string, input: Record<string, unknown>) => vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined });
  const setWrites = (on: boolean | undefined) => vscode.workspace.getConfiguration('redisQueues').update('agent.allowWrites', on, vscode.ConfigurationTarget.Global);
  const pel = async () => ((await client.xpending(S, 'billing')) as [number])[0];

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    client = (await open({ url: process.env.REDIS_URL! })) as Redis;
    await vscode.workspace.getConfiguration('redisQueues').update('refreshIntervalSeconds', 0, vscode.ConfigurationTarget.Global);
    for (const [name, extra] of [[conn, {}], [ro, { readOnly: true }], [prod, { production: true }]] as const) {
      await vscode.commands.executeCommand('redisQueues.connection.add', { name, url: process.env.REDIS_URL!, ...extra });
      await until(name, () => Boolean(api.services.sessions.get(name)));
    }
  });
  beforeEach(async () => {
    await setWrites(undefined);
    const k = listQueueKeys(Q);
    await client.del(S, DLQ, Q, k.processing, k.dead, k.started, k.job('j1'), k.job('j2'));
    const p = client.pipeline();
    for (let i = 0; i < 10; i++) p.xadd(S, '*', 'orderId', `ord-${i}`, 'status', i === 4 ? 'failed' : 'ok');
    ids = ((await p.exec()) ?? []).map(([, id]) => String(id));
    await client.xgroup('CREATE', S, 'billing', '0');
    await client.xreadgroup('GROUP', 'billing', 'w1', 'COUNT', 6, 'STREAMS', S, '>');
    await client.xclaim(S, 'billing', 'w1', 0, ids[0]!, 'RETRYCOUNT', 8, 'JUSTID');
    await deadLetter({ client }, S, 'billing', [ids[5]!], { reason: 'boom' });
    await client.hset(k.job('j1'), 'to', 'a@example.com', JOB_FIELDS.attempts, '0');
    await client.lpush(k.waiting, 'j1');
    await client.hset(k.job('j2'), 'to', 'b@example.com', JOB_FIELDS.attempts, '5', JOB_FIELDS.lastError, 'SMTP 550');
    await client.lpush(k.dead, 'j2');
  });
  after(async () => {
    api.services.ui = (await import('../../../src/vscode/ui')).vscodePrompter;
    await setWrites(undefined);
    for (const name of [conn, ro, prod]) await vscode.commands.executeCommand('redisQueues.connection.remove', name, { confirm: false });
    await vscode.workspace.getConfiguration('redisQueues').update('refreshIntervalSeconds', undefined, vscode.ConfigurationTarget.Global);
    await client.del(S, DLQ, Q, ...Object.values(listQueueKeys(Q)).filter((v): v is string => typeof v === 'string'));
    await quit(client);
  });

  // The write tools' `when` (config.redisQueues.agent.allowWrites, checked in the unit tier) hides
  // them from the chat's tool list; vscode.lm.tools lists every contributed tool, hidden or not
  // (VS Code 1.139 builds it from getAllToolsIncludingDisabled), so here all of them show, and the
  // tools' own refusal while the setting is off is what the tests below prove.
  it('vscode.lm.tools lists every tool with its description and input schema (plus "connection")', async () => {
    const ours = () => vscode.lm.tools.filter((t) => t.name.startsWith('redisq_'));
    await until('the tools', () => AGENT_TOOLS.every((d) => ours().some((t) => t.name === d.name)));
    for (const d of AGENT_TOOLS) {
      const t = ours().find((x) => x.name === d.name)!;
      assert.equal(t.description, d.description);
      const props = (t.inputSchema as { properties: Record<string, unknown> }).properties;
      assert.deepEqual(Object.keys(props).sort(), [...Object.keys(d.inputSchema.properties), 'connection'].sort());
      assert.ok(t.tags.includes(d.write ? 'write' : 'read'));
    }
    assert.equal(api.agent.tools.size, AGENT_TOOLS.length);
    assert.deepEqual([...api.agent.tools.keys()].filter((n) => WRITE.includes(n)), WRITE);
  });

  it('every read tool answers through vscode.lm.invokeTool from the seeded queues', async () => {
    const list = await invoke('redisq_list_queues', { connection: conn, match: `${prefix}*` });
    assert.match(textOf(list), new RegExp(`^Connection "${conn}" \\(Redis [\\d.]+\\): 2 streams, 1 list queue\\.`));
    assert.match(textOf(list), new RegExp(`- ${S}: 10 entries, .*dead-letter stream ${DLQ} holds 1; groups: billing: 5 pending, .*POISON: 1 of the 5 oldest pending \\(${ids[0]} ×8\\)`));
    assert.match(textOf(list), new RegExp(`- ${Q} \\(list queue\\): 1 waiting, 0 processing, 1 dead`));
    assert.doesNotMatch(textOf(list), /redis:\/\//, 'never the URL');

    const health = await invoke('redisq_group_health', { connection: conn, stream: S, group: 'billing' });
    assert.match(textOf(health), new RegExp(`Group billing: 5 pending, 1 consumer\\. .*POISON: 1 entry of the 5 oldest pending delivered ≥ 5 times \\(${ids[0]} ×8 at w1\\)`));

    const pending = await invoke('redisq_pending', { connection: conn, stream: S, group: 'billing', count: 2 });
    assert.deepEqual((dataOf(pending)['entries'] as { id: string; deliveries: number; pairs: unknown }[]).map((e) => [e.id, e.deliveries, e.pairs]), [
      [ids[0], 8, [['orderId', 'ord-0'], ['status', 'ok']]],
      [ids[1], 1, [['orderId', 'ord-1'], ['status', 'ok']]],
    ]);
    assert.equal(dataOf(pending)['next'], ids[1]);

    const found = await invoke('redisq_find_messages', { connection: conn, stream: S, query: 'status=failed' });
    assert.match(textOf(found), new RegExp(`^1 match for "status=failed" in ${S} \\(10 entries examined; searched to the end\\)\\.\\n- ${ids[4]}: orderId=ord-4 status=failed`));

    const journey = await invoke('redisq_journey', { connection: conn, stream: S, id: ids[5] });
    assert.match(textOf(journey), new RegExp(`^${S} ${ids[5]} · present`));
    assert.match(textOf(journey), new RegExp(`dead-lettered to ${DLQ} as \\d+-\\d+: boom after 1 delivery`));

    const sample = await invoke('redisq_sample_entries', { connection: conn, stream: S, count: 2 });
    assert.deepEqual((dataOf(sample)['entries'] as { id: string }[]).map((e) => e.id), [ids[9], ids[8]]);

    const jobs = await invoke('redisq_list_jobs', { connection: conn, queue: Q, section: 'dead' });
    assert.match(textOf(jobs), /- j2, 5 attempts, last error: SMTP 550/);
  });

  it('a read tool without "connection" asks which one when there are several; a bad input is said plainly', async () => {
    await assert.rejects(Promise.resolve(invoke('redisq_list_queues', {})), /Several Redis Queues connections: give "connection", one of/);
    await assert.rejects(Promise.resolve(invoke('redisq_list_queues', { connection: 'nope' })), /No Redis Queues connection named "nope"/);
    for (const odd of ['', 42, ['x']]) {
      await assert.rejects(Promise.resolve(invoke('redisq_list_queues', { connection: odd })), /Input "connection" must be a connection's name, one of /, `connection ${JSON.stringify(odd)} never falls back to the selection`);
    }
    await assert.rejects(Promise.resolve(invoke('redisq_pending', { connection: conn, stream: S, group: 'nope' })), /No consumer group "nope"/);
  });

  it('write tools are refused while the setting is off: nothing is sent', async () => {
    const before = await commandCalls(client);
    for (const [name, input] of [
      ['redisq_ack', { stream: S, group: 'billing', ids: [ids[0]] }],
      ['redisq_dead_letter', { stream: S, group: 'billing', ids: [ids[0]], reason: 'x' }],
      ['redisq_requeue_job', { queue: Q, ids: ['j2'], from: 'dead' }],
    ] as const) {
      await assert.rejects(Promise.resolve(invoke(name, { connection: conn, ...input })), /write tools are off\. A person can turn them on with the setting redisQueues\.agent\.allowWrites\. Nothing was sent/);
      const prepared = api.agent.tools.get(name)!.lastPrepared;
      assert.match(String(prepared?.invocationMessage), /\(refused: write tools are off, see the redisQueues\.agent\.allowWrites setting\)$/, `${name}: VS Code prepared it`);
      assert.equal(prepared?.confirmationMessages, undefined, `${name}: nothing to confirm, it will not run`);
    }
    assert.deepEqual(writesOf(before, await commandCalls(client)), []);
    assert.equal(await pel(), 5);
  });

  it('write tools are refused on a read-only connection, even with the setting on: nothing is sent', async () => {
    await setWrites(true);
    const before = await commandCalls(client);
    await assert.rejects(Promise.resolve(invoke('redisq_ack', { connection: ro, stream: S, group: 'billing', ids: [ids[0]] })), new RegExp(`Connection "${ro}" is read-only: acknowledge pending entries was refused before anything was sent`));
    await assert.rejects(Promise.resolve(invoke('redisq_replay', { connection: ro, dlq: DLQ, ids: ['1-0'] })), /is read-only/);
    const after = await commandCalls(client);
    assert.deepEqual(writesOf(before, after), []);
    assert.equal(after['xpending'], before['xpending'], 'not even the reads an operation does first');
    assert.equal(await pel(), 5);
  });

  it('with the setting on, a write states its impact as a confirmation, then acts', async () => {
    await setWrites(true);
    const ack = api.agent.tools.get('redisq_ack')!;
    const prepared = ack.prepareInvocation({ input: { connection: conn, stream: S, group: 'billing', ids: [ids[1]!, ids[2]!] } });
    assert.equal(prepared.confirmationMessages?.title, `Acknowledge pending entries on "${conn}"?`);
    assert.equal(
      prepared.confirmationMessages?.message,
      `Acknowledge 2 pending entries of group billing on ${S} (${ids[1]}, ${ids[2]}): they leave the pending entries list and will not be delivered again. The entries stay in the stream.\n\nConnection: "${conn}".`,
    );
    for (const [name, input, impact] of [
      ['redisq_claim', { stream: S, group: 'billing', consumer: 'w2', ids: [ids[3]], minIdle: '1m' }, /^Claim 1 pending entry of group billing on \S+ for consumer w2 .*Entries idle less than 1m 0s are skipped\./],
      ['redisq_dead_letter', { stream: S, group: 'billing', ids: [ids[0]], reason: 'poison' }, /^Dead-letter 1 pending entry of group billing on \S+ to \S+:dlq .*reason "poison", and acknowledged, atomically/],
      ['redisq_replay', { dlq: DLQ, ids: ['1-0'] }, /^Replay 1 dead-lettered entry from \S+ to their recorded origin stream/],
      ['redisq_requeue_job', { queue: Q, ids: ['j2'], from: 'dead' }, /^Move 1 dead job of \S+ back to waiting .*attempt counters are reset/],
    ] as const) {
      const p = api.agent.tools.get(name)!.prepareInvocation({ input: { connection: conn, ...input } });
      assert.match(String(p.confirmationMessages?.message), impact, name);
    }

    // Through VS Code: it asks the tool to prepare (the confirmation; answered by the test host), then invokes.
    const r = await invoke('redisq_ack', { connection: conn, stream: S, group: 'billing', ids: [ids[1], ids[2]] });
    assert.match(String(ack.lastPrepared?.confirmationMessages?.message), /^Acknowledge 2 pending entries of group billing/, 'VS Code prepared the confirmation');
    assert.match(textOf(r), new RegExp(`^Acknowledged 2 entries in group billing of ${S}\\.`));
    assert.equal(await pel(), 3);

    const lettered = await invoke('redisq_dead_letter', { connection: conn, stream: S, group: 'billing', ids: [ids[0]], reason: 'poison: 8 deliveries' });
    assert.match(textOf(lettered), new RegExp(`^Moved 1 entry to ${DLQ}`));
    assert.equal(await client.xlen(DLQ), 2);
    const retried = await invoke('redisq_requeue_job', { connection: conn, queue: Q, ids: ['j2'], from: 'dead' });
    assert.match(textOf(retried), /^Moved 1 job of \S+ from dead to waiting \(j2\)/);
    assert.deepEqual(await client.lrange(Q, 0, -1), ['j1', 'j2']);
  });

  it('on a production connection a write asks to type the stream name, as the commands do; a wrong name changes nothing', async () => {
    await setWrites(true);
    const ack = api.agent.tools.get('redisq_ack')!;
    const prepared = ack.prepareInvocation({ input: { connection: prod, stream: S, group: 'billing', ids: [ids[1]!] } });
    assert.match(String(prepared.confirmationMessages?.message), new RegExp(`"${prod}" is a production connection: you will be asked to type "${S}" to go ahead\\.$`));

    const wrong = typing(['orders']);
    api.services.ui = wrong;
    const before = await commandCalls(client);
    await assert.rejects(Promise.resolve(invoke('redisq_ack', { connection: prod, stream: S, group: 'billing', ids: [ids[1]] })), new RegExp(`did not confirm by typing "${S}" on the production connection "${prod}": nothing was changed`));
    assert.equal(wrong.asked.length, 1);
    assert.match(wrong.asked[0]!, new RegExp(`^Acknowledge pending entries\\? \\(production connection "${prod}"\\) Acknowledge 1 pending entry of group billing .* Type "${S}" to confirm\\.$`));
    assert.deepEqual(writesOf(before, await commandCalls(client)), []);
    assert.equal(await pel(), 5);

    const right = typing([S]);
    api.services.ui = right;
    const r = await invoke('redisq_ack', { connection: prod, stream: S, group: 'billing', ids: [ids[1]] });
    assert.match(textOf(r), /^Acknowledged 1 entry/);
    assert.equal(await pel(), 4);
  });

  /** Selects a connection's row in the Redis Queues tree (the real view; the row VS Code shows). */
  async function selectInTree(name: string): Promise<void> {
    await vscode.commands.executeCommand('redisQueues.explorer.focus');
    const roots = () => (api.services.provider as unknown as { roots: Map<string, import('../../../src/vscode/tree/node').Node> }).roots;
    await until(`${name} in the tree`, () => roots().has(name));
    await api.services.view.reveal(roots().get(name)!, { select: true, focus: false });
    await until(`${name} selected`, () => (api.services.view.selection[0] as { session?: { name: string } } | undefined)?.session?.name === name);
  }

  it('a write runs on the connection its confirmation named, even when the tree selection changes before it runs', async () => {
    await setWrites(true);
    api.services.ui = typing([]); // any prompt (a production connection's typed name) fails the test
    const ack = api.agent.tools.get('redisq_ack')!;
    const token = new vscode.CancellationTokenSource().token;
    // No "connection": the tree selection decides, once, when the call is prepared.
    const input = { stream: S, group: 'billing', ids: [ids[1]!] };
    await selectInTree(conn);
    const prepared = ack.prepareInvocation({ input });
    assert.equal(prepared.confirmationMessages?.title, `Acknowledge pending entries on "${conn}"?`);
    await selectInTree(prod);
    const r = await ack.invoke({ input, toolInvocationToken: undefined } as vscode.LanguageModelToolInvocationOptions<typeof input>, token);
    assert.equal(dataOf(r)['connection'], conn, 'ran on the confirmed connection');
    assert.equal(await pel(), 4);

    // Prepared on a read-only connection (refused there), the selection moved to one that writes: still refused.
    await selectInTree(ro);
    const refused = ack.prepareInvocation({ input: { ...input, ids: [ids[2]!] } });
    assert.match(String(refused.invocationMessage), /\(refused: the connection is read-only\)$/);
    await selectInTree(conn);
    const before = await commandCalls(client);
    await assert.rejects(ack.invoke({ input: { ...input, ids: [ids[2]!] }, toolInvocationToken: undefined } as vscode.LanguageModelToolInvocationOptions<typeof input>, token), new RegExp(`Connection "${ro}" is read-only`));
    assert.deepEqual(writesOf(before, await commandCalls(client)), []);
    assert.equal(await pel(), 4);

    // A declined confirmation leaves a preparation that never runs: the latest one is what runs.
    const third = { ...input, ids: [ids[3]!] };
    await selectInTree(ro);
    ack.prepareInvocation({ input: third });
    await selectInTree(conn);
    assert.equal(ack.prepareInvocation({ input: third }).confirmationMessages?.title, `Acknowledge pending entries on "${conn}"?`);
    const ran = await ack.invoke({ input: third, toolInvocationToken: undefined } as vscode.LanguageModelToolInvocationOptions<typeof input>, token);
    assert.equal(dataOf(ran)['connection'], conn);
    assert.equal(await pel(), 3);
    // A write never prepared was never confirmed: refused.
    await assert.rejects(ack.invoke({ input: { ...input, ids: [ids[4]!] }, toolInvocationToken: undefined } as vscode.LanguageModelToolInvocationOptions<typeof input>, token), /was not prepared for confirmation first .* Nothing was sent/);
    assert.equal(await pel(), 3);
  });

  it('a write prepared for a connection that is removed before it runs is refused: nothing is sent', async () => {
    await setWrites(true);
    const gone = `ai-gone-${prefix}`;
    await vscode.commands.executeCommand('redisQueues.connection.add', { name: gone, url: process.env.REDIS_URL! });
    await until(gone, () => Boolean(api.services.sessions.get(gone)));
    const ack = api.agent.tools.get('redisq_ack')!;
    const input = { connection: gone, stream: S, group: 'billing', ids: [ids[1]!] };
    ack.prepareInvocation({ input });
    await vscode.commands.executeCommand('redisQueues.connection.remove', gone, { confirm: false });
    await until(`${gone} removed`, () => !api.services.sessions.get(gone));
    await vscode.commands.executeCommand('redisQueues.connection.add', { name: gone, url: process.env.REDIS_URL!, production: true });
    await until(gone, () => Boolean(api.services.sessions.get(gone)));
    try {
      const before = await commandCalls(client);
      await assert.rejects(ack.invoke({ input, toolInvocationToken: undefined } as vscode.LanguageModelToolInvocationOptions<typeof input>, new vscode.CancellationTokenSource().token), new RegExp(`the connection "${gone}" it was prepared for was removed or changed since\. Nothing was sent`));
      assert.deepEqual(writesOf(before, await commandCalls(client)), []);
      assert.equal(await pel(), 5);
    } finally {
      await vscode.commands.executeCommand('redisQueues.connection.remove', gone, { confirm: false });
    }
  });

  it('the MCP server of a production connection is read-only until the user allows writes on it by typing its name', async () => {
    const setting = () => vscode.workspace.getConfiguration('redisQueues');
    const defOf = (name: string) => api.agent.mcp.provideMcpServerDefinitions().find((d) => d.label === `Redis Queues: ${name}`)!;
    await setWrites(true);
    try {
      assert.ok(defOf(conn).args.includes('--allow-writes'));
      assert.ok(!defOf(prod).args.includes('--allow-writes'), 'production: no writes without its own permission');
      assert.ok(!defOf(ro).args.includes('--allow-writes'));
      // Resolving (what VS Code does to start it) builds it from the connection as it is.
      const stale = defOf(prod);
      stale.args.push('--allow-writes');
      assert.ok(!(await api.agent.mcp.resolveMcpServerDefinition(stale))!.args.includes('--allow-writes'), 'an older or altered offer does not start with writes');

      const wrong = typing(['orders']);
      api.services.ui = wrong;
      await vscode.commands.executeCommand('redisQueues.agent.allowProductionWrites', prod);
      assert.equal(wrong.asked.length, 1);
      assert.match(wrong.asked[0]!, new RegExp(`^Allow agent writes \\(production connection "${prod}"\\) The MCP server offered for "${prod}" will start with --allow-writes: .* Type "${prod}" to confirm\\.$`));
      assert.ok(!defOf(prod).args.includes('--allow-writes'), 'a wrong name allows nothing');
      assert.deepEqual(setting().get('agent.productionWrites'), []);

      api.services.ui = typing([prod]);
      await vscode.commands.executeCommand('redisQueues.agent.allowProductionWrites', prod);
      await until('the setting', () => (setting().get<string[]>('agent.productionWrites') ?? []).includes(prod));
      assert.ok(defOf(prod).args.includes('--allow-writes'));
      assert.ok(!defOf(ro).args.includes('--allow-writes'), 'never on a read-only connection');
      await setWrites(false);
      assert.ok(!defOf(prod).args.includes('--allow-writes'), 'the general switch still rules');
    } finally {
      await setting().update('agent.productionWrites', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('offers one MCP server per connection: no secret on its command line, the password in its environment, and it serves the tools', async () => {
    const url = new URL(process.env.REDIS_URL!);
    const pw = `pw-${randomUUID()}`;
    const user = `mcp-${prefix}`;
    const named = `ai-pw-${prefix}`;
    await client.call('ACL', 'SETUSER', user, 'on', `>${pw}`, '~*', '&*', '+@all');
    await vscode.commands.executeCommand('redisQueues.connection.add', { name: named, url: `redis://${url.host}`, username: user, password: pw });
    await until(named, () => Boolean(api.services.sessions.get(named)));
    try {
      const defs = api.agent.mcp.provideMcpServerDefinitions();
      const labels = defs.map((d) => d.label);
      for (const n of [conn, ro, prod, named]) assert.ok(labels.includes(`Redis Queues: ${n}`), n);
      const def = defs.find((d) => d.label === `Redis Queues: ${named}`)!;
      assert.ok(!JSON.stringify([def.command, def.args, def.env]).includes(pw), 'no secret before it is resolved');
      assert.deepEqual(def.args.slice(1, 6), ['mcp', '--url', `redis://${url.host}`, '--name', named]);
      assert.ok(def.args.includes('--user'));
      assert.ok(!def.args.includes('--allow-writes'), 'read tools only while the setting is off');
      assert.ok(defs.find((d) => d.label === `Redis Queues: ${ro}`)!.args.includes('--read-only'));
      const resolved = (await api.agent.mcp.resolveMcpServerDefinition(def))!;
      assert.equal(resolved.env['REDIS_PASSWORD'], pw);
      assert.ok(!resolved.args.join(' ').includes(pw), 'the password is never an argument');

      // Start it as VS Code would, and talk to it with the SDK's client.
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries({ ...process.env, ...resolved.env })) if (typeof v === 'string' || typeof v === 'number') env[k] = String(v);
      const transport = new StdioClientTransport({ command: resolved.command, args: resolved.args, env, stderr: 'pipe' });
      const mcp = new Client({ name: 'agent-tools-test', version: '1.0.0' });
      await mcp.connect(transport);
      try {
        const { tools } = await mcp.listTools();
        assert.deepEqual(tools.map((t) => t.name), READ);
        const r = (await mcp.callTool({ name: 'redisq_group_health', arguments: { stream: S } })) as { content: { text: string }[]; isError?: boolean };
        assert.ok(!r.isError, r.content[0]?.text);
        assert.match(r.content[0]!.text, /Group billing: 5 pending/);
      } finally {
        await mcp.close();
      }
      await setWrites(true);
      assert.ok(api.agent.mcp.provideMcpServerDefinitions().find((d) => d.label === `Redis Queues: ${named}`)!.args.includes('--allow-writes'));
      assert.ok(!api.agent.mcp.provideMcpServerDefinitions().find((d) => d.label === `Redis Queues: ${ro}`)!.args.includes('--allow-writes'), 'never on a read-only connection');
    } finally {
      await vscode.commands.executeCommand('redisQueues.connection.remove', named, { confirm: false });
      await client.call('ACL', 'DELUSER', user);
    }
  });
});
