// Import tells the truth (issue 21): with original ids, a line is written, already there (the
// same id with byte-equal pairs) or not written (its id is at or below the stream's last id and
// the stream does not hold it, or holds other pairs), counted apart, the last named with their
// line numbers and exit 1; an overlong line is refused with its number; a run with new ids is
// resumed from what Redis recorded, without a duplicate.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { type RawFields, rawOf, sameRaw } from '../../src/core/messages/message';
import { parseEntries } from '../../src/core/redis/replies';
import { ImportLineError, exportLine, importEntries, rangeEntries } from '../../src/core/transfer';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

const root = join(__dirname, '..', '..', '..');
const CLI = join(root, 'dist', 'cli.js');
const tmpRoot = join(root, '.test-output');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REDIS_')));
  const child = spawn(process.execPath, [CLI, ...args, '--url', redisUrl()], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('(integration) export and import tell the truth', function () {
  this.timeout(60_000);
  let client: Redis;
  let dir: string;
  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
    mkdirSync(tmpRoot, { recursive: true });
    dir = mkdtempSync(join(tmpRoot, 'import-truth-'));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await quit(client);
  });

  const msgs: RawFields[] = Array.from({ length: 5 }, (_, i) => rawOf('i', String(i), 'bin', Buffer.from([0xff, i])));
  const ids = msgs.map((_, i) => `${1_700_000_000_000 + i}-0`);
  /** The file: a header, then the five messages with their ids (lines 2–6). */
  function file(name: string): string {
    const path = join(dir, name);
    writeFileSync(path, [JSON.stringify({ 'redis-queues-export': 1, stream: 'src' }), ...msgs.map((raw, i) => exportLine({ id: ids[i]!, raw }))].join('\n') + '\n');
    return path;
  }
  async function restored(key: string): Promise<{ id: string; raw: RawFields | null }[]> {
    return parseEntries(await client.xrangeBuffer(key, '-', '+'));
  }

  it('into a stream whose ids were deleted: the present ones "already there", the deleted ones "not written" with their lines, exit 1', async () => {
    const s = uniqueKey('deleted');
    const path = file('deleted.ndjson');
    const first = await cli(['import', s, '--in', path, '--keep-ids']);
    assert.equal(first.code, 0, first.stderr);
    await client.xdel(s, ids[1]!, ids[3]!);
    const r = await cli(['import', s, '--in', path, '--keep-ids', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual([out.imported, out.skipped, out.notWritten], [0, 3, 2]);
    assert.deepEqual(out.notWrittenLines.map((n: { line: number; id: string }) => [n.line, n.id]), [[3, ids[1]], [5, ids[3]]]);
    assert.match(r.stderr, /not written: line 3 \(id 1700000000001-0\): id 1700000000001-0 is not above the stream's last id .* does not hold it \(deleted or trimmed\)/);
    assert.match(r.stderr, /not written: line 5 /);
    assert.deepEqual((await restored(s)).map((e) => e.id), [ids[0], ids[2], ids[4]]);
  });

  it('into an emptied stream: every line "not written", nothing "already there", exit 1', async () => {
    const s = uniqueKey('emptied');
    const path = file('emptied.ndjson');
    assert.equal((await cli(['import', s, '--in', path, '--keep-ids'])).code, 0);
    await client.xtrim(s, 'MAXLEN', 0);
    const r = await cli(['import', s, '--in', path, '--keep-ids']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout.trim(), 'imported 0, already there 0 (same id and pairs), not written 5, lines 6');
    assert.deepEqual([...r.stderr.matchAll(/not written: line (\d+)/g)].map((m) => Number(m[1])), [2, 3, 4, 5, 6]);
    assert.equal(await client.xlen(s), 0);
  });

  it('into a trimmed stream, one id holding other pairs, and lines above its last id: each counted apart; those above written', async () => {
    const s = uniqueKey('trimmed');
    // The stream holds ids 0–3, where id 3 has other pairs; trimmed to its newest two (2 and 3).
    for (const [i, m] of msgs.slice(0, 3).entries()) await client.callBuffer('XADD', s, ids[i]!, ...m);
    await client.xadd(s, ids[3]!, 'other', 'pairs');
    await client.xtrim(s, 'MAXLEN', 2);
    const lines: string[] = [];
    const r = await importEntries(client, s, Readable.from([msgs.map((raw, i) => exportLine({ id: ids[i]!, raw })).join('\n')]), { keepIds: true, batch: 2 });
    for (const n of r.notWrittenLines) lines.push(`${n.line} ${n.reason.slice(0, 40)}`);
    assert.deepEqual([r.imported, r.skipped, r.notWritten], [1, 1, 3]);
    assert.deepEqual(r.notWrittenLines.map((n) => n.line), [1, 2, 4]);
    assert.match(r.notWrittenLines[2]!.reason, /holds other pairs under id 1700000000003-0/);
    const got = await restored(s);
    assert.deepEqual(got.map((e) => e.id), [ids[2], ids[3], ids[4]]);
    assert.ok(sameRaw(got[2]!.raw, msgs[4]!));
    assert.equal(r.lastLine, 5);
  });

  it('an overlong line is refused with its number; the lines before it are written', async () => {
    const s = uniqueKey('overlong');
    const path = join(dir, 'overlong.ndjson');
    const big = exportLine({ id: '1-1', raw: rawOf('v', 'x'.repeat(1.5 * 2 ** 20)) });
    writeFileSync(path, [exportLine({ id: '1-1', raw: rawOf('a', '1') }), exportLine({ id: '1-2', raw: rawOf('a', '2') }), big, exportLine({ id: '1-3', raw: rawOf('a', '3') })].join('\n'));
    const r = await cli(['import', s, '--in', path, '--max-line-mb', '1', '--batch', '1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Line 3: the line is longer than 1 MB/);
    assert.match(r.stderr, /resume with --from-line 3 /);
    assert.equal(await client.xlen(s), 2);
    // Core: the same cap, the line number, in a single chunk too.
    const err = await importEntries(client, `${s}:2`, Readable.from([`${big}\n`]), { maxLineBytes: 2 ** 20 }).catch((e: unknown) => e);
    assert.ok(err instanceof ImportLineError && err.lineNumber === 1, String(err));
  });

  it('new ids: a run stopped midway is resumed by its name from what Redis recorded, without a duplicate', async () => {
    const s = uniqueKey('run');
    const text = Array.from({ length: 40 }, (_, i) => exportLine({ id: '0-1', raw: rawOf('i', String(i)) })).join('\n');
    const stop = new AbortController();
    const r1 = await importEntries(client, s, Readable.from([text]), { run: 'r1', batch: 10, signal: stop.signal, onProgress: (p) => p.imported >= 10 && stop.abort() });
    assert.equal(r1.aborted, true);
    assert.equal(r1.run, 'r1');
    assert.equal(r1.imported, 10);
    // Resumed with the run's name and an older --from-line (as a line printed before the last batch would say).
    const r2 = await importEntries(client, s, Readable.from([text]), { run: 'r1', fromLine: 1, batch: 10 });
    assert.equal(r2.resumedAfter, 10);
    assert.equal(r2.imported, 30);
    const got = (await restored(s)).map((e) => Number(e.raw![1]!.toString()));
    assert.deepEqual(got, Array.from({ length: 40 }, (_, i) => i));
    // A finished run leaves no key behind.
    assert.deepEqual(await client.keys(`{test:run:*}:rq-import:*`), []);
  });

  it('export: --until and until are inclusive (the boundary millisecond is in), as search until:', async () => {
    const s = uniqueKey('until');
    const t = 1_700_000_000_000;
    for (const id of [`${t + 1000}-0`, `${t + 2000}-0`, `${t + 2000}-5`, `${t + 3000}-0`]) await client.xadd(s, id, 'a', '1');
    const got: string[] = [];
    for await (const e of rangeEntries(client, s, { since: t + 2000, until: t + 2000 })) got.push(e.id);
    assert.deepEqual(got, [`${t + 2000}-0`, `${t + 2000}-5`]);
    const r = await cli(['export', s, '--since', String(t + 1000), '--until', new Date(t + 2000).toISOString(), '--no-header']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => JSON.parse(l).id), [`${t + 1000}-0`, `${t + 2000}-0`, `${t + 2000}-5`]);
  });

  it('export --query with --from/--to: the options narrow the query\'s own bounds, never widen them', async () => {
    const s = uniqueKey('narrow');
    for (let i = 1; i <= 6; i++) await client.xadd(s, `${i}-0`, 'status', i % 2 ? 'failed' : 'ok');
    const ids = async (args: string[]) => {
      const r = await cli(['export', s, '--no-header', ...args]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).id as string);
    };
    assert.deepEqual(await ids(['--query', 'status=failed from:3-0', '--from', '1-0']), ['3-0', '5-0']);
    assert.deepEqual(await ids(['--query', 'status=failed to:3-0', '--to', '6-0']), ['1-0', '3-0']);
    assert.deepEqual(await ids(['--query', 'status=failed from:1-0 to:6-0', '--from', '2-0', '--to', '4-0']), ['3-0']);
  });

  it('export of a stream that does not exist: exit 1, and the output file is left as it was', async () => {
    const out = join(dir, 'keep.ndjson');
    writeFileSync(out, 'precious\n');
    const r = await cli(['export', uniqueKey('nosuch'), '--out', out]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /No stream ".*": the key does not exist/);
    assert.equal(readFileSync(out, 'utf8'), 'precious\n');
    const fresh = join(dir, 'never.ndjson');
    assert.equal((await cli(['export', uniqueKey('nosuch'), '--out', fresh])).code, 1);
    assert.equal(existsSync(fresh), false);
  });
});
