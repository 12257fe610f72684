// The real `node dist/cli.js` as a child process against the integration tier's redis-server.
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { fromJsonPairs, messageObject } from '../../src/core/messages/message';
import { parseEntries } from '../../src/core/redis/replies';
import { freePort, startSandboxCluster } from '../../src/core/dev/sandbox';
import { serverCapabilities } from '../../src/core/redis/server';
import { redisUrl, uniqueKey } from '../support/integrationHooks';
import { until } from '../support/until';

const root = join(__dirname, '..', '..', '..');
const CLI = join(root, 'dist', 'cli.js');

interface Running {
  child: ChildProcess;
  out(): string;
  errText(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the CLI; env has no REDIS_* from the test's own environment unless given. */
function start(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REDIS_') || k === 'REDIS_SERVER'));
  const child = spawn(process.execPath, [CLI, ...args], { cwd: root, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, out: () => out, errText: () => err, exited };
}

/** Runs the CLI to its end. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = start(args, env);
  const t = setTimeout(() => r.child.kill('SIGKILL'), timeoutMs);
  const { code } = await r.exited;
  clearTimeout(t);
  return { code, stdout: r.out(), stderr: r.errText() };
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l.length > 0);
}

describe('(integration) cli: node dist/cli.js', function () {
  this.timeout(30_000);
  let client: Redis;
  let url: string;

  before(async function () {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "node esbuild.js" first`);
    url = redisUrl();
    client = (await open({ url })) as Redis;
  });
  after(() => quit(client));

  /** A stream with `n` entries, group `g` from 0, and `pending` entries delivered to `c1`. */
  async function seeded(label: string, n: number, pending: number): Promise<{ s: string; ids: string[] }> {
    const s = `${uniqueKey(label)}:s`;
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(String(await client.xadd(s, '*', 'n', String(i))));
    await client.xgroup('CREATE', s, 'g', '0');
    if (pending) await client.xreadgroup('GROUP', 'g', 'c1', 'COUNT', pending, 'STREAMS', s, '>');
    return { s, ids };
  }

  describe('inspect', () => {
    it('shows streams, groups, consumers, poison entries and list queues, as a table and as JSON', async () => {
      const p = uniqueKey('inspect');
      const s = `${p}:orders`;
      for (let i = 0; i < 6; i++) await client.xadd(s, '*', 'n', String(i));
      await client.xgroup('CREATE', s, 'billing', '0');
      await client.xgroup('CREATE', s, 'idle', '$');
      await client.xreadgroup('GROUP', 'billing', 'w1', 'COUNT', 3, 'STREAMS', s, '>');
      const [first] = (await client.xpending(s, 'billing', '-', '+', 1)) as [string][];
      await client.xclaim(s, 'billing', 'w1', 0, first![0], 'IDLE', 600_000, 'RETRYCOUNT', 9, 'JUSTID');
      // A list queue: 2 waiting, 1 processing for an hour, 1 dead.
      await client.lpush(`${p}:mail`, 'j1', 'j2');
      await client.lpush(`${p}:mail:processing`, 'j3');
      await client.zadd(`${p}:mail:started`, Date.now() - 3_600_000, 'j3');
      await client.lpush(`${p}:mail:dead`, 'j4');

      const human = await cli(['inspect', '--url', url, '--match', `${p}*`]);
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, /Streams \(1\)/);
      assert.match(human.stdout, new RegExp(`${p.replace(/[{}]/g, '\\$&')}:orders\\s+6\\s+\\S+\\s+\\S+\\s+\\S+ ago\\s+2\\s+POISON`));
      // LAG and ENTRIES-READ come from XINFO GROUPS on Redis 7.0+; older servers show "-".
      const lagCols = (await serverCapabilities(client)).lag ? '3\\s+3' : '-\\s+-';
      assert.match(human.stdout, new RegExp(`billing\\s+1\\s+3\\s+${lagCols}\\s+\\S+\\s+10m \\d+s\\s+POISON`));
      assert.match(human.stdout, /w1\s+3\s+\S+/);
      assert.match(human.stdout, new RegExp(`${first![0]}\\s+\\S+\\s+w1\\s+10m \\d+s\\s+9\\s+POISON`));
      assert.match(human.stdout, /List queues \(1\)/);
      assert.match(human.stdout, /:mail\s+2\s+1\s+1\s+1h 0m\s+STUCK/);

      const json = await cli(['inspect', '--url', url, '--match', `${p}*`, '--json', '--pending', '2']);
      assert.equal(json.code, 0, json.stderr);
      const doc = JSON.parse(json.stdout);
      assert.equal(doc.schema, 'redis-queues/inspect@1');
      assert.equal(doc.streams.length, 1);
      const st = doc.streams[0];
      assert.deepEqual([st.key, st.length, st.groupCount, st.health], [s, 6, 2, ['POISON']]);
      const billing = st.groups.find((g: { name: string }) => g.name === 'billing');
      const lag = (await serverCapabilities(client)).lag ? 3 : null; // Redis 7.0+
      assert.deepEqual([billing.consumerCount, billing.pending, billing.lag, billing.entriesRead, billing.health], [1, 3, lag, lag, ['POISON']]);
      assert.equal(billing.consumers[0].name, 'w1');
      assert.equal(billing.consumers[0].pending, 3);
      assert.equal(billing.oldestPending.length, 2);
      assert.deepEqual([billing.oldestPending[0].id, billing.oldestPending[0].deliveries, billing.oldestPending[0].health], [first![0], 9, ['POISON']]);
      assert.ok(billing.oldestPending[0].idleMs >= 600_000);
      assert.deepEqual(doc.listQueues.map((l: { name: string; waiting: number; processing: number; dead: number; health: string[] }) => [l.name, l.waiting, l.processing, l.dead, l.health]), [[`${p}:mail`, 2, 1, 1, ['STUCK']]]);
      assert.deepEqual(doc.errors, []);
    });
  });

  describe('top', () => {
    it('--once --json: one table after one interval, with rates from the counters; a live table redraws until SIGINT (exit 0); --json alone is refused (2)', async () => {
      const { s } = await seeded('top', 10, 4);
      // Entries arrive while top samples: its in rate is above 0.
      let stop = false;
      const producing = (async () => {
        while (!stop) {
          await client.xadd(s, '*', 'n', 'x');
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const r = await cli(['top', s, '--once', '--json', '--interval', '1000', '--url', url]);
      stop = true;
      await producing;
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.intervalMs, 1000);
      assert.equal(doc.streams.length, 1);
      const [st] = doc.streams;
      assert.equal(st.key, s);
      assert.ok(st.inPerSec > 0, `in ${st.inPerSec}/s`);
      assert.deepEqual(st.groups.map((g: { name: string; pending: number }) => [g.name, g.pending]), [['g', 4]]);
      assert.ok(st.groups[0].lag >= 6, `lag ${st.groups[0].lag}`);
      assert.equal((await cli(['top', '--json', '--url', url])).code, 2);
      const live = start(['top', s, '--interval', '300', '--url', url]);
      await until('two tables', async () => (live.out().match(/STREAM › GROUP/g) ?? []).length >= 2, 10_000);
      live.child.kill('SIGINT');
      const { code } = await live.exited;
      assert.equal(code, 0, live.errText());
      assert.match(live.out(), new RegExp(`^  › g .* 4 `, 'm'));
    });
  });

  describe('publish', () => {
    it('field=value, --json, --count with {{i}}, --maxlen (exact and approximate)', async () => {
      const s = `${uniqueKey('pub')}:s`;
      const one = await cli(['publish', s, 'a=1', 'b=two words', '--url', url]);
      assert.equal(one.code, 0, one.stderr);
      const id = one.stdout.trim();
      assert.match(id, /^\d+-\d+$/);
      assert.deepEqual(await client.xrange(s, id, id), [[id, ['a', '1', 'b', 'two words']]]);

      const j = await cli(['publish', s, '--json', '{"order":{"id":7},"bin":{"$binary":"00ff"},"t":"x"}'], { REDIS_URL: url });
      assert.equal(j.code, 0, j.stderr);
      const jid = j.stdout.trim();
      const raw = await client.xrangeBuffer(s, jid, jid);
      const f = raw[0]![1].map((b) => b.toString('hex'));
      assert.deepEqual(f, ['order', '{"id":7}', 'bin', '\u0000\u00ff', 't', 'x'].map((x, i) => (i === 3 ? '00ff' : Buffer.from(x, 'latin1').toString('hex'))));

      const many = await cli(['publish', s, 'n={{i}}', '--count', '5', '--url', url]);
      assert.equal(many.code, 0, many.stderr);
      const ids = lines(many.stdout);
      assert.equal(ids.length, 5);
      const last = await client.xrange(s, ids[4]!, ids[4]!);
      assert.deepEqual(last[0]![1], ['n', '4']);

      const exact = await cli(['publish', s, 'x=1', '--maxlen', '3', '--exact', '--url', url]);
      assert.equal(exact.code, 0, exact.stderr);
      assert.equal(await client.xlen(s), 3);

      const s2 = `${uniqueKey('pub2')}:s`;
      const approx = await cli(['publish', s2, 'n={{i}}', '--count', '2000', '--maxlen', '10', '--url', url]);
      assert.equal(approx.code, 0, approx.stderr);
      assert.equal(lines(approx.stdout).length, 2000);
      const len = await client.xlen(s2);
      assert.ok(len >= 10 && len < 2000, `approximately trimmed: ${len}`);
    });
  });

  describe('tail', () => {
    it('--from 0 --limit prints escaped lines (binary as hex) and JSON lines, then exits', async () => {
      const s = `${uniqueKey('tail')}:s`;
      const a = String(await client.xadd(s, '*', 'msg', 'line1\nline2\u001b[31m'));
      const b = String(await client.xadd(s, '*', 'png', Buffer.from([0x89, 0x50, 0x00, 0xff])));
      await client.xadd(s, '*', 'n', '3');
      const r = await cli(['tail', s, '--from', '0', '--limit', '2', '--url', url]);
      assert.equal(r.code, 0, r.stderr);
      const ls = lines(r.stdout);
      assert.equal(ls.length, 2);
      assert.match(ls[0]!, new RegExp(`^${a} \\d{4}-\\d\\d-\\d\\dT\\S+Z msg=line1\\\\nline2\\\\u001b\\[31m$`));
      assert.equal(ls[1], `${b} ${new Date(Number(b.split('-')[0])).toISOString()} png=<hex:895000ff>`);
      assert.ok(!r.stdout.includes('\u001b'));

      const j = await cli(['tail', s, '--from', a, '--limit', '2', '--json', '--url', url]);
      assert.equal(j.code, 0, j.stderr);
      const objs = lines(j.stdout).map((l) => JSON.parse(l));
      assert.deepEqual(objs[0].fields, { png: { base64: Buffer.from('895000ff', 'hex').toString('base64') } });
      assert.deepEqual(objs[0].pairs, [['png', { base64: Buffer.from('895000ff', 'hex').toString('base64') }]]);
      assert.equal(objs[0].id, b);
      assert.deepEqual(objs[1].fields, { n: '3' });
    });

    it('follows new messages from $ and stops on --limit, or on SIGTERM', async () => {
      const s = `${uniqueKey('tail2')}:s`;
      await client.xadd(s, '*', 'old', '1');
      const blockedReaders = async () => String(await client.client('LIST')).split('\n').filter((l) => l.includes('cmd=xread ') || l.includes('cmd=xread\r')).length;
      const before = await blockedReaders();
      const t = start(['tail', s, '--limit', '2', '--url', url]);
      await until('the tail to block', async () => (await blockedReaders()) > before, 10_000);
      await client.xadd(s, '*', 'new', '1');
      await client.xadd(s, '*', 'new', '2');
      const { code } = await t.exited;
      assert.equal(code, 0, t.errText());
      assert.deepEqual(lines(t.out()).map((l) => l.split(' ').slice(2).join(' ')), ['new=1', 'new=2']);

      const t2 = start(['tail', s, '--url', url]);
      await until('the tail to block', async () => (await blockedReaders()) > before, 10_000);
      const sent = Date.now();
      t2.child.kill('SIGTERM');
      const r2 = await t2.exited;
      assert.equal(r2.code, 0, t2.errText());
      assert.ok(Date.now() - sent < 2000, 'SIGTERM closes the tail at once');
    });
  });

  describe('work', () => {
    it('--exec: exit 0 acks, non-zero retries and dead-letters after --max-deliveries; SIGTERM stops with stats', async () => {
      const s = `${uniqueKey('work')}:s`;
      const dir = mkdtempSync(join(tmpdir(), 'rq-cli-work-'));
      try {
        const ok1 = String(await client.xadd(s, '*', 'n', '1'));
        const bad = String(await client.xadd(s, '*', 'bad', 'yes'));
        const ok2 = String(await client.xadd(s, '*', 'n', '2'));
        // The message arrives as JSON on stdin; RQ_* describe it.
        const script = `cat > "${dir}/$RQ_ID.json"; echo "$RQ_STREAM $RQ_GROUP $RQ_DELIVERIES" > "${dir}/$RQ_ID.env"; if grep -q '"bad"' "${dir}/$RQ_ID.json"; then echo "cannot handle $RQ_ID" >&2; exit 3; fi`;
        const w = start(['work', s, '--group', 'g', '--consumer', 'c1', '--start', '0', '--max-deliveries', '3', '--backoff', '20', '--exec', script, '--url', url]);
        await until('the bad message in the DLQ', async () => (await client.xlen(`${s}:dlq`)) === 1, 15_000);
        await until('the good ones acked', async () => ((await client.xpending(s, 'g')) as [number])[0] === 0, 10_000);
        w.child.kill('SIGTERM');
        const { code } = await w.exited;
        assert.equal(code, 0, w.errText());
        assert.match(w.errText(), /stopped: processed 2, failed 3, acked 2, retried 2, dead-lettered 1/);
        assert.match(w.errText(), new RegExp(`dead-lettered ${bad} after 3 deliveries to \\S+:dlq`));
        const msg = JSON.parse(readFileSync(join(dir, `${ok1}.json`), 'utf8'));
        assert.deepEqual([msg.stream, msg.group, msg.consumer, msg.id, msg.deliveries, msg.fields], [s, 'g', 'c1', ok1, 1, { n: '1' }]);
        assert.equal(readFileSync(join(dir, `${ok2}.env`), 'utf8').trim(), `${s} g 1`);
        assert.equal(readFileSync(join(dir, `${bad}.env`), 'utf8').trim(), `${s} g 3`);
        assert.equal(readdirSync(dir).filter((f) => f.endsWith('.json')).length, 3);
        const [[, dl]] = (await client.xrange(`${s}:dlq`, '-', '+')) as [string, string[]][];
        const rec = Object.fromEntries(dl!.reduce<string[][]>((acc, v, i) => (i % 2 ? (acc[acc.length - 1]!.push(v), acc) : [...acc, [v]]), []));
        assert.equal(rec['bad'], 'yes');
        assert.equal(rec['x-dlq-id'], bad);
        assert.equal(rec['x-dlq-deliveries'], '3');
        assert.match(rec['x-dlq-error']!, /exit code 3.*cannot handle/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('without --exec prints each message (JSON lines) and acks it', async () => {
      const s = `${uniqueKey('work2')}:s`;
      const id = String(await client.xadd(s, '*', 'hello', 'world'));
      const w = start(['work', s, '--group', 'g', '--start', '0', '--json', '--url', url]);
      await until('the message printed', async () => w.out().includes(id), 10_000);
      await until('the message acked', async () => ((await client.xpending(s, 'g')) as [number])[0] === 0, 10_000);
      w.child.kill('SIGINT');
      const { code } = await w.exited;
      assert.equal(code, 0, w.errText());
      const [msg, stopped] = lines(w.out()).map((l) => JSON.parse(l));
      assert.deepEqual([msg.id, msg.fields, msg.deliveries], [id, { hello: 'world' }, 1]);
      assert.equal(stopped.event, 'stopped');
      assert.equal(stopped.stats.acked, 1);
    });
  });

  describe('work --id (one message, the worker\'s path)', () => {
    it('exits per outcome: 0 acked, 3 left pending, 4 dead-lettered, 1 refused (then --claim: 0), 5 dry run; 2 for bad arguments', async () => {
      const s = `${uniqueKey('one')}:s`;
      await client.xgroup('CREATE', s, 'g', '0', 'MKSTREAM');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(String(await client.xadd(s, '*', 'n', String(i))));
      const [ok, fail, dead, other, fresh] = ids as [string, string, string, string, string];
      await client.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 3, 'STREAMS', s, '>');
      await client.xreadgroup('GROUP', 'g', 'other', 'COUNT', 1, 'STREAMS', s, '>');
      const one = (id: string, ...more: string[]) => cli(['work', s, '--group', 'g', '--consumer', 'c1', '--id', id, '--url', url, ...more]);
      const pel = async () => ((await client.xpending(s, 'g', '-', '+', 10)) as [string, string, number, number][]).map(([id, c, , n]) => [id, c, n]);

      let r = await one(ok, '--exec', 'exit 0');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Acked ${ok}: the handler succeeded .* on delivery 2\\n$`));
      r = await one(fail, '--exec', 'echo nope >&2; exit 7', '--max-deliveries', '3');
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stdout, /^Left \S+ pending at "c1": the handler failed on delivery 2 of 3 \(command failed \(exit code 7\): nope\)/);
      r = await one(dead, '--exec', 'exit 1', '--max-deliveries', '2', '--json');
      assert.equal(r.code, 4, r.stderr);
      const res = JSON.parse(r.stdout);
      assert.deepEqual([res.outcome, res.deliveries, res.error], ['dead-lettered', 2, 'command failed (exit code 1)']);
      const [[dlqId, rec]] = (await client.xrange(`${s}:dlq`, '-', '+')) as [string, string[]][];
      assert.equal(res.dlqId, dlqId);
      assert.equal(rec![rec!.indexOf('x-dlq-error') + 1], 'command failed (exit code 1)');
      r = await one(other, '--exec', 'exit 0');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /pending at consumer "other", not "c1": refused/);
      assert.deepEqual(await pel(), [[fail, 'c1', 2], [other, 'other', 1]]);
      r = await one(other, '--exec', 'exit 0', '--claim');
      assert.equal(r.code, 0, r.stderr);
      r = await one(fresh, '--exec', 'exit 0');
      assert.equal(r.code, 5, r.stderr);
      assert.match(r.stdout, /^Dry run of \S+ \(not pending in group "g" \(never delivered, or acked\)\): the handler succeeded .* this run wrote nothing to Redis, the handler.s own side effects happened \(a worker would have acked it\)/);
      assert.deepEqual(await pel(), [[fail, 'c1', 2]]);
      assert.equal((await cli(['work', s, '--group', 'g', '--dry-run', '--exec', 'true', '--url', url])).code, 2);
      assert.equal((await one(fresh)).code, 2);
      assert.equal((await one('nonsense', '--exec', 'true')).code, 2);
    });

    it('--exec gets the exact message on stdin (lossless JSON): binary names and values, a 3 MB value, 5,000 fields', async () => {
      const s = `${uniqueKey('onebytes')}:s`;
      await client.xgroup('CREATE', s, 'g', '0', 'MKSTREAM');
      const args: (string | Buffer)[] = [Buffer.from([0xff, 0xfe, 0x00]), Buffer.from([0x80, 0x0a, 0xc3]), 'big', Buffer.alloc(3 * 1024 * 1024, 0xe9)];
      for (let i = 0; i < 4998; i++) args.push(`f${i}`, i % 7 === 0 ? Buffer.from([i % 256, 0xff]) : String(i));
      const id = String(await client.xadd(s, '*', ...args));
      await client.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 1, 'STREAMS', s, '>');
      const dir = mkdtempSync(join(tmpdir(), 'rq-cli-one-'));
      try {
        const r = await cli(['work', s, '--group', 'g', '--consumer', 'c1', '--id', id, '--exec', `cat > "${dir}/in.json"`, '--url', url], {}, 60_000);
        assert.equal(r.code, 0, r.stderr);
        const [entry] = parseEntries(await client.xrangeBuffer(s, id, id));
        assert.equal(entry!.raw!.length, 10_000);
        const expected = `${JSON.stringify(messageObject({ stream: s, group: 'g', consumer: 'c1', id, deliveries: 2 }, entry!.raw))}\n`;
        const got = readFileSync(join(dir, 'in.json'), 'utf8');
        assert.ok(got === expected, `stdin differs (${got.length} against ${expected.length} characters)`);
        assert.deepEqual(fromJsonPairs(JSON.parse(got).pairs).map((b: Buffer) => b.toString('hex')), entry!.raw!.map((b) => b.toString('hex')));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('operations', () => {
    it('ack, claim, autoclaim (dry run and real), dead-letter, replay (dry run and real), with skipped reasons', async () => {
      const { s, ids } = await seeded('ops', 5, 4);
      const ack = await cli(['ack', s, 'g', ids[0]!, ids[4]!, '--url', url]);
      assert.equal(ack.code, 0, ack.stderr);
      assert.deepEqual(lines(ack.stdout), [`acked 1 of 2 on ${s}/g`, `skipped ${ids[4]}: not pending in the group`]);
      const ackJson = await cli(['ack', s, 'g', ids[0]!, '--json', '--url', url]);
      assert.deepEqual(JSON.parse(ackJson.stdout), { stream: s, group: 'g', acked: 0, skipped: [{ id: ids[0], reason: 'not pending in the group' }] });

      const busy = await cli(['claim', s, 'g', 'c2', ids[1]!, '--min-idle', '600000', '--url', url]);
      assert.equal(busy.code, 0, busy.stderr);
      assert.match(busy.stdout, new RegExp(`claimed 0 of 1[\\s\\S]*skipped ${ids[1]}: active again`));
      const claimed = await cli(['claim', s, 'g', 'c2', ids[1]!, '--json', '--url', url]);
      assert.deepEqual(JSON.parse(claimed.stdout).claimed, [ids[1]]);

      const preview = await cli(['autoclaim', s, 'g', 'c3', '--min-idle', '0', '--dry-run', '--url', url]);
      assert.equal(preview.code, 0, preview.stderr);
      assert.match(preview.stdout, /would claim 3 entries .*dry run: nothing changed/);
      assert.match(preview.stdout, new RegExp(`${ids[1]}\\s+c2`));
      assert.equal(((await client.xpending(s, 'g', '-', '+', 10, 'c3')) as unknown[]).length, 0);
      const auto = await cli(['autoclaim', s, 'g', 'c3', '--min-idle', '0', '--json', '--url', url]);
      assert.equal(auto.code, 0, auto.stderr);
      assert.deepEqual(JSON.parse(auto.stdout).claimed, [ids[1], ids[2], ids[3]]);

      const dl = await cli(['dead-letter', s, 'g', ids[2]!, ids[0]!, '--reason', 'bad payload', '--url', url]);
      assert.equal(dl.code, 0, dl.stderr);
      assert.match(dl.stdout, new RegExp(`dead-lettered 1 of 2 from \\S+ to \\S+:dlq\\nmoved ${ids[2]} -> \\d+-\\d+\\nskipped ${ids[0]}: not pending in the group`));
      const [[dlqId, dlqFields]] = (await client.xrange(`${s}:dlq`, '-', '+')) as [string, string[]][];
      assert.ok(dlqFields!.includes('bad payload'));

      const dry = await cli(['replay', `${s}:dlq`, '--dry-run', '--url', url]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, new RegExp(`would replay 1 of 1 .*: 1 to \\S+[\\s\\S]*would replay ${dlqId} -> \\S+ \\(error was: bad payload\\)`));
      assert.equal(await client.xlen(`${s}:dlq`), 1);
      const rep = await cli(['replay', `${s}:dlq`, '--id', dlqId!, '9-9', '--json', '--url', url]);
      assert.equal(rep.code, 0, rep.stderr);
      const rj = JSON.parse(rep.stdout);
      assert.equal(rj.replayed.length, 1);
      assert.deepEqual([rj.replayed[0].id, rj.replayed[0].to], [dlqId, s]);
      assert.deepEqual(rj.skipped, [{ id: '9-9', reason: 'not in the dead-letter stream' }]);
      assert.equal(await client.xlen(`${s}:dlq`), 0);
      const back = await client.xrange(s, rj.replayed[0].newId, rj.replayed[0].newId);
      assert.deepEqual(back[0]![1].slice(0, 5), ['n', '2', 'x-replay-count', '1', 'x-replay-of']);
    });
  });

  describe('errors', () => {
    it('a wrong password gives a readable auth error, exit 1, without the password', async () => {
      const user = `cli-${uniqueKey('u').replace(/[{}:]/g, '')}`;
      await client.call('ACL', 'SETUSER', user, 'on', '>right-pass-123', '~*', '+@all');
      try {
        const r = await cli(['inspect', '--url', url, '--user', user, '--password', 'Wr0ngSecret!']);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^redis-queues: Authentication failed for redis:\/\/127\.0\.0\.1:\d+: WRONGPASS/);
        assert.equal(lines(r.stderr).length, 1);
        assert.ok(!r.stderr.includes('Wr0ngSecret') && !r.stdout.includes('Wr0ngSecret'), r.stderr);
        const env = await cli(['publish', 'x', 'a=1'], { REDIS_URL: url, REDIS_USER: user, REDIS_PASSWORD: 'Wr0ngSecret!' });
        assert.equal(env.code, 1);
        assert.match(env.stderr, /Authentication failed/);
        assert.ok(!env.stderr.includes('Wr0ngSecret'));
        const inUrl = await cli(['tail', 'x', '--url', url.replace('redis://', `redis://${user}:Wr0ngSecret@`)]);
        assert.equal(inUrl.code, 1);
        assert.match(inUrl.stderr, /Authentication failed/);
        assert.ok(!inUrl.stderr.includes('Wr0ngSecret'), inUrl.stderr);
        const good = await cli(['inspect', '--url', url, '--user', user, '--match', 'nothing-here'], { REDIS_PASSWORD: 'right-pass-123' });
        assert.equal(good.code, 0, good.stderr);
      } finally {
        await client.call('ACL', 'DELUSER', user);
      }
    });

    it('an unreachable server gives a readable error and exit 1, quickly, for one-shot and long-running commands', async () => {
      const dead = `redis://127.0.0.1:${await freePort()}`;
      for (const args of [['inspect'], ['ack', 's', 'g', '1-0'], ['tail', 's'], ['work', 's', '--group', 'g'], ['publish', 's', 'a=1']]) {
        const started = Date.now();
        const r = await cli([...args, '--url', dead]);
        assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
        assert.match(r.stderr, /^redis-queues: Cannot connect to redis:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
        assert.equal(lines(r.stderr).length, 1, r.stderr);
        assert.ok(Date.now() - started < 5000, `${args[0]} took ${Date.now() - started} ms`);
      }
    });

    it('Redis errors are one readable line with exit 1 (a list named as a stream, a missing group)', async () => {
      const k = `${uniqueKey('wt')}:list`;
      await client.lpush(k, 'x');
      const r = await cli(['tail', k, '--from', '0', '--url', url]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^redis-queues: Key ".*" is (a list|of another type), not a stream\n$/);
      const { s } = await seeded('nogroup', 1, 0);
      const ng = await cli(['claim', s, 'nope', 'c', '1-0', '--url', url]);
      assert.equal(ng.code, 1);
      assert.match(ng.stderr, /No consumer group "nope"/);
    });
  });

  describe('sandbox', () => {
    it('starts a seeded redis-server, prints its URL, and SIGTERM stops it and the server', async () => {
      const sb = start(['sandbox', '--seed', '--json']);
      const info = await until('the sandbox URL', async () => {
        const l = lines(sb.out())[0];
        return l ? (JSON.parse(l) as { url: string; pid: number; port: number }) : undefined;
      }, 20_000);
      assert.match(info.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
      const alive = (pid: number) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      assert.ok(alive(info.pid));
      const insp = await cli(['inspect', '--url', info.url, '--json']);
      assert.equal(insp.code, 0, insp.stderr);
      const doc = JSON.parse(insp.stdout);
      const orders = doc.streams.find((x: { key: string }) => x.key === 'orders');
      assert.deepEqual(orders.health, ['POISON']);
      assert.ok(doc.streams.some((x: { key: string }) => x.key === 'orders:dlq'));
      assert.deepEqual(doc.listQueues.map((l: { name: string; health: string[] }) => [l.name, l.health]), [['emails', ['STUCK']]]);
      sb.child.kill('SIGTERM');
      const { code } = await sb.exited;
      assert.equal(code, 0, sb.errText());
      assert.match(sb.errText(), /sandbox stopped/);
      assert.equal(alive(info.pid), false, 'the redis-server is gone');
      const after = await cli(['inspect', '--url', info.url]);
      assert.equal(after.code, 1);
    });
  });

  describe('cluster', () => {
    it('--cluster: publish, inspect (every master scanned) and work across a 3-master Cluster', async function () {
      this.timeout(40_000);
      const cluster = await startSandboxCluster({ masters: 3 });
      try {
        const streams = ['{a}:s', '{b}:s', '{c}:s', '{d}:s', '{e}:s'].map((k) => `cli-${k}`);
        for (const s of streams) {
          const r = await cli(['publish', s, 'n=1', '--cluster', '--url', cluster.url]);
          assert.equal(r.code, 0, r.stderr);
        }
        const insp = await cli(['inspect', '--cluster', '--url', cluster.url, '--json']);
        assert.equal(insp.code, 0, insp.stderr);
        const doc = JSON.parse(insp.stdout);
        assert.equal(doc.server.mode, 'cluster');
        assert.deepEqual(doc.streams.map((x: { key: string }) => x.key).sort(), [...streams].sort());
        const w = start(['work', streams[0]!, '--group', 'g', '--start', '0', '--cluster', '--url', cluster.url, '--exec', 'exit 1', '--max-deliveries', '1']);
        const c = (await open({ url: cluster.url, mode: 'cluster' })) as unknown as Redis;
        try {
          await until('the entry dead-lettered in its own slot', async () => (await c.xlen(`${streams[0]}:dlq`)) === 1, 15_000);
        } finally {
          await quit(c);
        }
        w.child.kill('SIGTERM');
        assert.equal((await w.exited).code, 0, w.errText());
      } finally {
        await cluster.stop();
      }
    });
  });
});
