// Export and import through the CLI (`redis-queues export` / `import`, dist/cli.js): through
// files and through a pipe, time ranges and chosen ids, a bad line's exit code and message. The
// library's export and import are transfer.test.ts; running the CLI is test/support/transfer.ts.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { rawOf, sameRaw } from '../../src/core/messages/message';
import { redisUrl, uniqueKey } from '../support/integrationHooks';
import { CLI, cli, finished, lines, spawnCli, streamClient, tmpRoot } from '../support/transfer';

describe('(integration) transfer: export and import', function () {
  this.timeout(120_000);
  const { client: clientOf, fill, all } = streamClient();
  let client: Redis;
  before(() => {
    client = clientOf();
  });

  describe('CLI', () => {
    let dir: string;
    before(function () {
      if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "node esbuild.js" first`);
      mkdirSync(tmpRoot, { recursive: true });
      dir = mkdtempSync(join(tmpRoot, 'transfer-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('export --out FILE, then import --in FILE --keep-ids: byte-exact; again: all skipped', async () => {
      const s = uniqueKey('cli');
      const msgs = [rawOf('a', '1', 'a', '2'), [Buffer.from([0xff, 0xfe]), Buffer.from([0x00, 0x80])], rawOf('__proto__', 'x', 'é', '\n')];
      const ids = await fill(s, msgs);
      const file = join(dir, 'out.ndjson');
      const e = await cli(['export', s, '--out', file]);
      assert.equal(e.code, 0, e.stderr);
      assert.match(e.stdout, /^exported 3 messages from .* to .*out\.ndjson/);
      const ls = lines(readFileSync(file, 'utf8'));
      assert.equal(ls.length, 4);
      assert.equal(JSON.parse(ls[0]!).stream, s);
      const copy = `${s}:copy`;
      const i1 = await cli(['import', copy, '--in', file, '--keep-ids']);
      assert.equal(i1.code, 0, i1.stderr);
      assert.equal(i1.stdout.trim(), 'imported 3, already there 0 (same id and pairs), not written 0, lines 4');
      const got = await all(copy);
      assert.deepEqual(got.map((x) => x.id), ids);
      got.forEach((x, i) => assert.ok(sameRaw(x.raw, msgs[i]!)));
      const i2 = await cli(['import', copy, '--in', file, '--keep-ids', '--json']);
      assert.equal(i2.code, 0, i2.stderr);
      assert.deepEqual(JSON.parse(i2.stdout), { stream: copy, imported: 0, skipped: 3, notWritten: 0, notWrittenLines: [], lines: 4, lastLine: 4, lastId: null, run: null, aborted: false });
    });

    it('export to stdout piped into import from stdin, with a time range and --ids', async () => {
      const s = uniqueKey('pipe');
      const base = 1_700_000_000_000;
      const ids = Array.from({ length: 8 }, (_, i) => `${base + i * 1000}-0`);
      await fill(s, ids.map((_, i) => [Buffer.from('i'), Buffer.from([i, 0xff])]), ids);
      const copy = `${s}:copy`;
      const exp = spawnCli(['export', s, '--since', String(base + 2000), '--until', new Date(base + 6000).toISOString()], redisUrl());
      const imp = spawnCli(['import', copy, '--keep-ids', '--in', '-'], redisUrl());
      exp.stdout!.pipe(imp.stdin!);
      const [re, ri] = await Promise.all([finished(exp), finished(imp)]);
      assert.equal(re.code, 0, re.stderr);
      assert.equal(re.stderr, '', 'stdout carries the data; nothing on stderr');
      assert.equal(ri.code, 0, ri.stderr);
      // --until is inclusive: the entry of base + 6000 ms is in.
      assert.equal(ri.stdout.trim(), 'imported 5, already there 0 (same id and pairs), not written 0, lines 6');
      assert.deepEqual((await all(copy)).map((e) => e.id), ids.slice(2, 7));
      // --ids, a missing one named (exit 1), the rest written; new ids on import.
      const picked = await cli(['export', s, '--ids', `${ids[7]},${ids[1]}`, '--ids', '1-1', '--no-header']);
      assert.equal(picked.code, 1);
      assert.match(picked.stderr, /not in .*: 1-1/);
      assert.deepEqual(lines(picked.stdout).map((l) => JSON.parse(l).id), [ids[7], ids[1]]);
      const fresh = `${s}:fresh`;
      const r = await cli(['import', fresh], picked.stdout);
      assert.equal(r.code, 0, r.stderr);
      const got = await all(fresh);
      assert.equal(got.length, 2);
      assert.ok(sameRaw(got[0]!.raw, [Buffer.from('i'), Buffer.from([7, 0xff])]));
      // --newest --count, and bad arguments (exit 2).
      const newest = await cli(['export', s, '--newest', '--count', '2', '--no-header']);
      assert.deepEqual(lines(newest.stdout).map((l) => JSON.parse(l).id), [ids[7], ids[6]]);
      for (const bad of [['--since', 'yesterday'], ['--from', 'abc'], ['--ids', 'x'], ['--ids', `${ids[0]}`, '--since', '1h']]) {
        const b = await cli(['export', s, ...bad]);
        assert.equal(b.code, 2, `${bad.join(' ')}: ${b.stderr}`);
      }
    });

    it('a bad line: exit 1, the line number and what was imported', async () => {
      const s = uniqueKey('clibad');
      const text = ['{"pairs":[["a","1"]]}', '{"pairs":[["a","2"]]}', '{"pairs":[["a",{"base64":"**"}]]}'].join('\n');
      const file = join(dir, 'bad.ndjson');
      writeFileSync(file, text);
      const r = await cli(['import', s, '--in', file, '--batch', '1']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Line 3: The value of pair #1.*2 messages were imported, through line 2/);
      assert.match(r.stderr, /imported 2, already there 0 \(same id and pairs\), not written 0, lines 3 before the failure; imported through line 2; resume with --from-line 3 --run [0-9a-f]{8}/);
      assert.equal(await client.xlen(s), 2);
      const missing = await cli(['import', s, '--in', join(dir, 'nope.ndjson')]);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /no such file/);
    });
  });
});
