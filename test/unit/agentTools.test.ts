// The agent tools' table and the pure parts around it: input checks, impact sentences, bounded
// results, and that package.json contributes exactly the table (names, descriptions, schemas).
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_TOOLS, agentTool, describeImpact } from '../../src/agent/tools';
import { scrub as cliScrub } from '../../src/cli/common';
import { abbreviateValue, boundData, errorText, messagePairs, scrub } from '../../src/agent/format';
import { checkInput } from '../../src/agent/input';
import { zodOf } from '../../src/cli/mcp';
import { triage } from '../../src/cli/mcpStdio';

const root = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  contributes: { languageModelTools: Record<string, unknown>[]; mcpServerDefinitionProviders: { id: string }[]; configuration: { properties: Record<string, { default?: unknown; scope?: string }> } };
};

describe('(unit) agent tools', () => {
  it('has the read tools and the write tools the issue names, with unique names', () => {
    const names = AGENT_TOOLS.map((t) => t.name);
    assert.equal(new Set(names).size, names.length);
    for (const n of ['redisq_list_queues', 'redisq_group_health', 'redisq_pending', 'redisq_find_messages', 'redisq_journey', 'redisq_sample_entries']) assert.equal(agentTool(n)?.write, false, n);
    for (const n of ['redisq_ack', 'redisq_claim', 'redisq_dead_letter', 'redisq_replay', 'redisq_requeue_job']) {
      const t = agentTool(n)!;
      assert.equal(t.write, true, n);
      assert.ok(t.impact && t.confirmName, `${n} states its impact and what a production connection types`);
    }
  });

  it('package.json contributes every tool as in the table, writes only when redisQueues.agent.allowWrites is on', () => {
    const contributed = pkg.contributes.languageModelTools;
    assert.deepEqual(contributed.map((c) => c['name']), AGENT_TOOLS.map((t) => t.name));
    for (const t of AGENT_TOOLS) {
      const c = contributed.find((x) => x['name'] === t.name)!;
      assert.equal(c['displayName'], t.title);
      assert.equal(c['modelDescription'], t.description);
      assert.equal(c['userDescription'], t.userDescription);
      assert.equal(c['canBeReferencedInPrompt'], true);
      assert.equal(typeof c['toolReferenceName'], 'string');
      const schema = c['inputSchema'] as { properties: Record<string, unknown>; required?: string[] };
      const { connection, ...own } = schema.properties;
      assert.ok(connection, `${t.name} takes a connection`);
      assert.deepEqual(own, t.inputSchema.properties);
      assert.deepEqual(schema.required, t.inputSchema.required);
      assert.equal(c['when'], t.write ? 'config.redisQueues.agent.allowWrites' : undefined);
    }
    assert.deepEqual(pkg.contributes.mcpServerDefinitionProviders.map((p) => p.id), ['redisQueues.mcpServers']);
    const setting = pkg.contributes.configuration.properties['redisQueues.agent.allowWrites']!;
    assert.equal(setting.default, false);
    assert.equal(setting.scope, 'application', 'a workspace cannot turn writes on');
  });

  it('checks inputs: required, types, bounds, unknown names, ids', () => {
    const ack = agentTool('redisq_ack')!;
    assert.throws(() => checkInput(ack.inputSchema, { stream: 's', group: 'g' }), /Input "ids" is required/);
    assert.throws(() => checkInput(ack.inputSchema, { stream: 's', group: 'g', ids: [] }), /at least 1 item/);
    assert.throws(() => checkInput(ack.inputSchema, { stream: 's', group: 'g', ids: Array.from({ length: 101 }, (_, i) => `${i}-0`) }), /at most 100 items/);
    assert.throws(() => checkInput(ack.inputSchema, { stream: 's', group: 'g', ids: ['1-0'], force: true }), /Unknown input "force"/);
    assert.throws(() => checkInput(ack.inputSchema, { stream: 5, group: 'g', ids: ['1-0'] }), /"stream" must be a string/);
    assert.deepEqual(checkInput(ack.inputSchema, { stream: 's', group: 'g', ids: ['1-0'], connection: 'c' }, ['connection']), { stream: 's', group: 'g', ids: ['1-0'] });
    assert.throws(() => describeImpact(ack, { stream: 's', group: 'g', ids: ['nope'] }), /Invalid stream id "nope"/);
    const pending = agentTool('redisq_pending')!;
    assert.throws(() => checkInput(pending.inputSchema, { stream: 's', group: 'g', count: 1000 }), /at most 100/);
    assert.throws(() => checkInput(pending.inputSchema, { stream: 's', group: 'g', count: 1.5 }), /whole number/);
  });

  it('states the impact of each write as the commands\' confirmations do', () => {
    assert.equal(
      describeImpact(agentTool('redisq_ack')!, { stream: 'orders', group: 'billing', ids: ['1-0', '2-0', '3-0'] }).impact,
      'Acknowledge 3 pending entries of group billing on orders (1-0, 2-0, 3-0): they leave the pending entries list and will not be delivered again. The entries stay in the stream.',
    );
    assert.equal(describeImpact(agentTool('redisq_ack')!, { stream: 'orders', group: 'billing', ids: ['1-0'] }).confirmName, 'orders');
    assert.match(describeImpact(agentTool('redisq_claim')!, { stream: 'o', group: 'g', consumer: 'w1', ids: ['1-0'], minIdle: '5m' }).impact, /^Claim 1 pending entry of group g on o for consumer w1 .*Entries idle less than 5m 0s are skipped\.$/);
    assert.match(describeImpact(agentTool('redisq_dead_letter')!, { stream: 'o', group: 'g', ids: ['1-0'], reason: 'bad data' }).impact, /^Dead-letter 1 pending entry of group g on o to o:dlq .*"bad data"/);
    const replay = describeImpact(agentTool('redisq_replay')!, { dlq: 'o:dlq', ids: ['1-0', '2-0'] });
    assert.match(replay.impact, /^Replay 2 dead-lettered entries from o:dlq to their recorded origin stream/);
    assert.equal(replay.confirmName, 'o:dlq');
    assert.match(describeImpact(agentTool('redisq_requeue_job')!, { queue: 'emails', ids: ['a', 'b'], from: 'processing' }).impact, /^Return 2 processing jobs of emails to waiting .*runs twice/);
    assert.match(describeImpact(agentTool('redisq_requeue_job')!, { queue: 'emails', ids: ['a'], from: 'dead' }).impact, /^Move 1 dead job of emails back to waiting .*attempt counters are reset/);
    assert.match(describeImpact(agentTool('redisq_ack')!, { stream: 'o', group: 'g', ids: Array.from({ length: 8 }, (_, i) => `${i + 1}-0`) }).impact, /\(1-0, 2-0, 3-0, 4-0, 5-0 and 3 more\)/);
  });

  it('abbreviates values (ids are never cut) and shows binary as a hex prefix', () => {
    assert.equal(abbreviateValue(Buffer.from('short')), 'short');
    assert.equal(abbreviateValue(Buffer.from('x'.repeat(500))), `${'x'.repeat(200)}… [500 characters]`);
    assert.equal(abbreviateValue(Buffer.from([0xff, 0x00, 0xfe])), '<3 bytes, binary: ff00fe>');
    const raw = Array.from({ length: 40 }, (_, i) => [Buffer.from(`f${i}`), Buffer.from('v')]).flat();
    const m = messagePairs(raw)!;
    assert.equal(m.pairs.length, 30);
    assert.equal(m.morePairs, 10);
    assert.deepEqual(messagePairs([Buffer.from('a'), Buffer.from('1'), Buffer.from('a'), Buffer.from('2')])!.pairs, [['a', '1'], ['a', '2']], 'order and repeated names kept');
  });

  it('bounds a result: the longest list is cut, and the cut is noted', () => {
    const data: Record<string, unknown> = { stream: 's', entries: Array.from({ length: 500 }, (_, i) => ({ id: `${i}-0`, pairs: [['n', 'v'.repeat(100)]] })), other: [1, 2, 3] };
    const notes = boundData(data, 10_000);
    assert.ok(JSON.stringify(data).length <= 10_000);
    assert.equal((data['other'] as unknown[]).length, 3);
    assert.equal(notes.length, 1);
    assert.match(notes[0]!, /^entries: \d+ of 500 shown/);
    assert.deepEqual(boundData({ a: [1] }, 1000), []);
  });

  it('scrubs secrets from error texts: URL credentials, AUTH arguments and the connection\'s own secrets', () => {
    assert.equal(scrub('Cannot connect to redis://u:hunter2@h:6379: refused', []), 'Cannot connect to redis://u:***@h:6379: refused');
    assert.equal(scrub('ERR in AUTH u s3cr3t! and later s3cr3t!', ['s3cr3t!']), 'ERR in AUTH u *** and later ***');
    assert.equal(errorText(new Error('connect to rediss://:orders@cache:6380 failed; orders'), ['orders']), 'connect to rediss://***@cache:6380 failed; ***');
  });

  it('the CLI scrubs with the same rule (one copy)', () => {
    assert.equal(cliScrub, scrub);
  });

  it('gives the MCP SDK a zod schema equivalent to each input schema', () => {
    for (const t of AGENT_TOOLS) assert.ok(zodOf(t.inputSchema), t.name);
    const z = zodOf(agentTool('redisq_pending')!.inputSchema);
    assert.equal(z.safeParse({ stream: 's', group: 'g', count: 5 }).success, true);
    assert.equal(z.safeParse({ stream: 's' }).success, false, 'group is required');
    assert.equal(z.safeParse({ stream: 's', group: 'g', count: 500 }).success, false, 'bounded');
    assert.equal(z.safeParse({ stream: 's', group: 'g', extra: 1 }).success, false, 'no unknown names');
    assert.equal(zodOf(agentTool('redisq_list_jobs')!.inputSchema).safeParse({ queue: 'q', section: 'later' }).success, false, 'enum');
  });

  it('the MCP transport answers every line it cannot pass on, as JSON-RPC 2.0 says', () => {
    const err = (line: string) => ('answer' in triage(line) ? (triage(line) as { answer: unknown }).answer : undefined);
    assert.deepEqual((err('{"jsonrpc":') as { id: unknown; error: { code: number } }).error.code, -32700);
    assert.equal((err('nope') as { id: unknown }).id, null);
    assert.deepEqual((err('[{"jsonrpc":"2.0","id":3,"method":"ping"},{}]') as { id: unknown; error: { code: number } }[]).map((a) => [a.id, a.error.code]), [[3, -32600], [null, -32600]]);
    assert.deepEqual((err('[]') as { error: { code: number } }).error.code, -32600);
    assert.deepEqual(err('{"jsonrpc":"1.0","id":"x","method":"ping"}'), { jsonrpc: '2.0', id: 'x', error: { code: -32600, message: 'Invalid request: "jsonrpc" must be "2.0" (got "1.0")' } });
    assert.deepEqual((err('{"jsonrpc":"2.0","id":true,"method":"ping"}') as { id: unknown; error: { code: number } }).error.code, -32600);
    assert.equal((err('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":null}}') as { result: { isError: boolean } }).result.isError, true);
    assert.ok('message' in triage('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{}}}'));
    assert.ok('message' in triage('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}'));
    assert.ok('message' in triage('{"jsonrpc":"2.0","id":1,"result":{}}'), 'a response to a server request passes');
  });
});
