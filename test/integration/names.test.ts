// Key names are bytes (issue 21): streams whose names are not UTF-8, or hold a backslash, are
// found by discovery in their shown form (names.ts), and every command given that form reaches
// the real key, never a new key named with the escape text. The CLI runs as `node dist/cli.js`.
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { agentTool, runAgentTool } from '../../src/agent/tools';
import { open, quit } from '../../src/core/redis/connection';
import { Discovery } from '../../src/core/inspect/discovery';
import { DEFAULT_THRESHOLDS } from '../../src/core/inspect/health';
import { Inspector } from '../../src/core/inspect/inspect';
import { showName } from '../../src/core/redis/names';
import { keySlot } from '../../src/core/queue/keys';
import { listQueueKeys } from '../../src/core/queue/list/keys';
import { startSandboxCluster } from '../../src/core/dev/sandbox';
import { redisUrl, uniqueKey } from '../support/integrationHooks';
import { until } from '../support/until';

const root = join(__dirname, '..', '..', '..');
const CLI = join(root, 'dist', 'cli.js');

interface Running {
  child: ChildProcess;
  out(): string;
  errText(): string;
  exited: Promise<{ code: number | null }>;
}

function start(args: string[]): Running {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REDIS_') || k === 'REDIS_SERVER'));
  const child = spawn(process.execPath, [CLI, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null }>((resolve) => child.on('close', (code) => resolve({ code })));
  return { child, out: () => out, errText: () => err, exited };
}

async function cli(args: string[], timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = start(args);
  const t = setTimeout(() => r.child.kill('SIGKILL'), timeoutMs);
  const { code } = await r.exited;
  clearTimeout(t);
  return { code, stdout: r.out(), stderr: r.errText() };
}

const lines = (s: string) => s.split('\n').filter((l) => l.length > 0);

/** The bytes `o 0xff r`, behind an ASCII prefix. */
const rawName = (prefix: string, tail: number[] = [0x6f, 0xff, 0x72]) => Buffer.concat([Buffer.from(prefix), Buffer.from(tail)]);

describe('(integration) names are bytes: keys that are not UTF-8, or hold a backslash', function () {
  this.timeout(30_000);
  let client: Redis;
  let url: string;

  before(async function () {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "node esbuild.js" first`);
    url = redisUrl();
    client = (await open({ url })) as Redis;
  });
  after(() => quit(client));

  /** No key named with the escape text (as UTF-8 bytes) was created. */
  async function noLiteral(...shown: string[]): Promise<void> {
    for (const s of shown) assert.equal(await client.exists(Buffer.from(s, 'utf8')), 0, `a key literally named ${JSON.stringify(s)} was created`);
  }

  /** A stream `name` (bytes) with `n` entries `n=i`, and group `g` from 0. */
  async function seed(name: Buffer, n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(String(await client.xadd(name, '*', 'n', String(i))));
    await client.xgroup('CREATE', name, 'g', '0');
    return ids;
  }

  it('discovery, inspect and the agent tools show the escaped form, and the escaped form reaches the key', async () => {
    const p = uniqueKey('names');
    const bin = rawName(p);
    const slash = Buffer.from(`${p}a\\b`, 'utf8');
    await seed(bin, 3);
    await seed(slash, 2);
    const binShown = `${p}o\\xffr`;
    const slashShown = `${p}a\\\\b`;
    assert.equal(showName(bin), binShown);
    assert.equal(showName(slash), slashShown);

    const found = await new Discovery(client, { type: 'stream', match: `${p}*` }).run({ maxMs: 5000 });
    assert.deepEqual([...found.keys].sort(), [slashShown, binShown].sort());

    const insp = await cli(['inspect', '--url', url, '--match', `${p}*`, '--json']);
    assert.equal(insp.code, 0, insp.stderr);
    const doc = JSON.parse(insp.stdout);
    const streams = (doc.streams as { key: string; length: number; groupCount: number }[]).map((s) => [s.key, s.length, s.groupCount]).sort();
    assert.deepEqual(streams, [[binShown, 3, 1], [slashShown, 2, 1]].sort());
    assert.deepEqual(doc.errors, []);

    const inspector = await Inspector.open({ url });
    try {
      const ctx = { inspector, connection: 'test', readOnly: false, thresholds: DEFAULT_THRESHOLDS };
      const listed = await runAgentTool(agentTool('redisq_list_queues')!, ctx, { match: `${p}*` });
      assert.ok(JSON.stringify(listed).includes(JSON.stringify(binShown).slice(1, -1)), 'list_queues shows the escaped name');
      const sample = await runAgentTool(agentTool('redisq_sample_entries')!, ctx, { stream: binShown, count: 5 });
      assert.match(JSON.stringify(sample), /3 entries/);
      const sample2 = await runAgentTool(agentTool('redisq_sample_entries')!, ctx, { stream: slashShown, count: 5 });
      assert.match(JSON.stringify(sample2), /2 entries/);
    } finally {
      inspector.close();
    }
    await noLiteral(binShown, slashShown);
  });

  it('search, export and tail given the escaped form read the real key', async () => {
    const p = uniqueKey('names-read');
    const bin = rawName(p);
    const ids = await seed(bin, 3);
    const shown = showName(bin);

    const found = await cli(['search', shown, 'n=1', '--url', url, '--json']);
    assert.equal(found.code, 0, found.stderr);
    const hits = lines(found.stdout).map((l) => JSON.parse(l)).filter((o) => o.id);
    assert.deepEqual(hits.map((h) => h.id), [ids[1]]);

    const exported = await cli(['export', shown, '--no-header', '--url', url]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.deepEqual(lines(exported.stdout).map((l) => JSON.parse(l).id), ids);

    const tailed = await cli(['tail', shown, '--from', '0', '--limit', '3', '--json', '--url', url]);
    assert.equal(tailed.code, 0, tailed.stderr);
    assert.deepEqual(lines(tailed.stdout).map((l) => JSON.parse(l).id), ids);

    // A tail from $ sees a message added to the real key.
    const t = start(['tail', shown, '--limit', '1', '--json', '--url', url]);
    await until('the tail to block on the real key', async () => String(await client.client('LIST')).includes('cmd=xread'), 10_000);
    const added = String(await client.xadd(bin, '*', 'late', '1'));
    assert.equal((await t.exited).code, 0, t.errText());
    assert.deepEqual(lines(t.out()).map((l) => JSON.parse(l).id), [added]);
    await noLiteral(shown);
  });

  it('work given the escaped form consumes the real key; dead-letter and replay go back to it', async () => {
    const p = uniqueKey('names-work');
    const bin = rawName(p);
    const ids = await seed(bin, 2);
    const shown = showName(bin);

    const w = start(['work', shown, '--group', 'w', '--start', '0', '--json', '--url', url]);
    await until('both messages printed', async () => lines(w.out()).length >= 2, 10_000);
    w.child.kill('SIGTERM');
    assert.equal((await w.exited).code, 0, w.errText());
    const printed = lines(w.out()).map((l) => JSON.parse(l));
    assert.deepEqual(printed.filter((o) => o.id).map((o) => [o.id, o.stream]), ids.map((id) => [id, shown]));
    const groups = (await client.xinfo('GROUPS', bin)) as unknown[][];
    assert.deepEqual(groups.map((g) => String(g[1])).sort(), ['g', 'w'], 'the group was created on the real key');
    assert.equal(((await client.xpending(bin, 'w')) as [number])[0], 0, 'both acked');

    // dead-letter by hand, then replay to the recorded origin.
    await client.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 1, 'STREAMS', bin, '>');
    const dl = await cli(['dead-letter', shown, 'g', ids[0]!, '--url', url]);
    assert.equal(dl.code, 0, dl.stderr);
    const dlq = Buffer.concat([bin, Buffer.from(':dlq')]);
    const records = await client.xrangeBuffer(dlq, '-', '+');
    assert.equal(records.length, 1);
    const pairs = records[0]![1];
    const at = pairs.findIndex((b, i) => i % 2 === 0 && b.toString() === 'x-dlq-stream');
    assert.ok(pairs[at + 1]!.equals(bin), `the record names the stream by its bytes (got ${pairs[at + 1]!.toString('hex')})`);

    const replay = await cli(['replay', `${shown}:dlq`, '--url', url]);
    assert.equal(replay.code, 0, replay.stderr);
    assert.equal(await client.xlen(dlq), 0);
    assert.equal(await client.xlen(bin), 3, 'replayed into the real key');

    // The worker's own dead-lettering (a failing --exec) writes to <real key>:dlq too.
    const f = start(['work', shown, '--group', 'f', '--start', '0', '--exec', 'exit 1', '--max-deliveries', '1', '--backoff', '10', '--url', url]);
    await until('three dead letters', async () => (await client.xlen(dlq)) === 3, 15_000);
    f.child.kill('SIGTERM');
    assert.equal((await f.exited).code, 0, f.errText());
    await noLiteral(shown, `${shown}:dlq`);
  });

  it('a UTF-8 name with a backslash round-trips as \\\\, a single typed backslash still means itself; group, consumer and job names that look like escapes are sent as they are', async () => {
    const p = uniqueKey('names-slash');
    const slash = Buffer.from(`${p}C:\\data`, 'utf8');
    const ids = await seed(slash, 2);
    const shown = showName(slash);
    assert.equal(shown, `${p}C:\\\\data`);
    for (const typed of [shown, `${p}C:\\data`]) {
      const r = await cli(['tail', typed, '--from', '0', '--limit', '2', '--json', '--url', url]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(lines(r.stdout).map((l) => JSON.parse(l).id), ids, typed);
    }
    // Text that looks like an escape is data when the key really holds it: shown with \\, reached.
    const looks = Buffer.from(`${p}o\\xffr`, 'utf8');
    const lid = String(await client.xadd(looks, '*', 'n', '1'));
    const lshown = showName(looks);
    assert.equal(lshown, `${p}o\\\\xffr`);
    const r = await cli(['export', lshown, '--no-header', '--url', url]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout).map((l) => JSON.parse(l).id), [lid]);
    assert.equal(await client.exists(rawName(p)), 0, 'the \\xff bytes key was not created');

    // Group and consumer names are not keys: one that looks like an escape is sent as it is.
    const group = 'gr\\x41';
    const consumer = 'c\\x42';
    await client.xgroup('CREATE', slash, group, '0');
    await client.xreadgroup('GROUP', group, consumer, 'COUNT', 1, 'STREAMS', slash, '>');
    const insp = await cli(['inspect', '--url', url, '--match', `${p}C*`, '--json']);
    assert.equal(insp.code, 0, insp.stderr);
    const st = JSON.parse(insp.stdout).streams[0];
    assert.equal(st.key, shown);
    const gr = st.groups.find((g: { name: string }) => g.name === group);
    assert.ok(gr, `group ${group} listed as it is: ${JSON.stringify(st.groups.map((g: { name: string }) => g.name))}`);
    assert.deepEqual(gr.consumers.map((c: { name: string }) => c.name), [consumer]);
    const dl = await cli(['dead-letter', shown, group, ids[0]!, '--url', url]);
    assert.equal(dl.code, 0, dl.stderr);
    const [record] = await client.xrangeBuffer(Buffer.concat([slash, Buffer.from(':dlq')]), '-', '+');
    const pairs = record![1].map((b) => b.toString('utf8'));
    assert.equal(pairs[pairs.indexOf('x-dlq-group') + 1], group);
    assert.equal(pairs[pairs.indexOf('x-dlq-stream') + 1], `${p}C:\\data`);

    // Job ids are values: a job hash is named by the id's bytes, whatever backslashes it holds.
    const q = listQueueKeys(`${p}q`);
    for (const id of ['a\\b', 'a\\\\b', 'j\\xff']) {
      await client.hset(q.job(id), 'n', '1');
      assert.equal(await client.exists(Buffer.from(`${p}q:job:${id}`, 'utf8')), 1, id);
    }
  });

  it('Cluster: slots are computed from the bytes, and the CLI reaches the key on its master', async function () {
    this.timeout(60_000);
    const cluster = await startSandboxCluster({ masters: 3 });
    try {
      const c = (await open({ url: cluster.url, mode: 'cluster' })) as unknown as Redis;
      try {
        // No hash tag, and a name whose bytes and escape text hash to slots of different masters
        // (3 masters: slots 0-5460, 5461-10922, 10923-16383): a slot computed from the text
        // would send the command to the wrong master, which answers MOVED.
        const master = (slot: number) => (slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2);
        let bin = Buffer.alloc(0);
        for (let i = 0; ; i++) {
          bin = Buffer.from([0x6f, 0xff, 0x72, 0x2d, 0x61 + (i % 26), 0x61 + Math.floor(i / 26)]);
          if (master(keySlot(bin)) !== master(keySlot(Buffer.from(showName(bin), 'utf8')))) break;
        }
        const shown = showName(bin);
        const moved = async () => {
          let n = 0;
          for (const node of (c as unknown as { nodes(role: string): Redis[] }).nodes('master')) n += Number(/errorstat_MOVED:count=(\d+)/.exec(String(await node.info('errorstats')))?.[1] ?? 0);
          return n;
        };
        const id = String(await c.xadd(bin, '*', 'n', '1'));
        const before = await moved();
        assert.equal(await c.xlen(shown), 1);
        const replies = await c.pipeline().xlen(shown).xrange(shown, '-', '+').exec();
        assert.deepEqual(replies!.map(([e]) => e), [null, null]);
        assert.equal(replies![0]![1], 1);
        const multi = await c.multi().xlen(shown).exec();
        assert.deepEqual(multi, [[null, 1]]);
        assert.equal(await moved(), before, 'every command went to the master of the bytes\' slot (no MOVED)');

        const insp = await cli(['inspect', '--cluster', '--url', cluster.url, '--json']);
        assert.equal(insp.code, 0, insp.stderr);
        assert.deepEqual(JSON.parse(insp.stdout).streams.map((s: { key: string }) => s.key), [shown]);
        const t = await cli(['tail', shown, '--from', '0', '--limit', '1', '--json', '--cluster', '--url', cluster.url]);
        assert.equal(t.code, 0, t.stderr);
        assert.deepEqual(lines(t.stdout).map((l) => JSON.parse(l).id), [id]);
        assert.equal(await c.exists(Buffer.from(shown, 'utf8')), 0);
      } finally {
        await quit(c);
      }
    } finally {
      await cluster.stop();
    }
  });
});
