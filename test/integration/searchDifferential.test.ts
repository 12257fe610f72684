// Search against a reference evaluator written here, on random messages: for random queries
// built from every kind of term, the walk of a stream (both orders, small pages, stopped by a
// limit or a budget and resumed), the walk of a group's pending entries (owner, idle and
// deliveries filters), the agents' find tool (resumed until the end) and `export --query` return
// exactly the entries the reference picks, each once.
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type Redis from 'ioredis';
import { findMessagesTool } from '../../src/agent/tools/read';
import { open, quit } from '../../src/core/redis/connection';
import { DEFAULT_THRESHOLDS } from '../../src/core/inspect/health';
import { Inspector } from '../../src/core/inspect/inspect';
import type { RawFields } from '../../src/core/messages/message';
import { MessageSearch, parseSearchQuery, type SearchSource, type SearchSummary } from '../../src/core/search';
import { redisUrl, uniqueKey } from '../support/integrationHooks';
import { message } from '../support/randomMessages';

const SEED = Number(process.env['SEARCH_DIFF_SEED'] ?? Date.now() % 1_000_000_000);
const BASE = 1_700_000_000_000;
const N = 240;
const QUERIES = 60;
const outDir = join(__dirname, '..', '..', '..', '.test-output', 'search-differential');

// ---- Messages the queries can hit (and the shared random ones, which they mostly miss). ----
const NAMES = ['status', 'amount', 'note', 'payload'];
const VALUES = [
  'ok', 'failed', 'FAILED', '', '0x10', '12', '-3.5', '1e3', ' 7', '7', 'Infinity', `${'a'.repeat(40)}!`, 'time out',
  '{"sku":"kb","n":5,"items":[{"sku":"m"}]}', '{"n":"7","sku":"kbd"}', '{"n":""}', '[1,2]', 'not json kb', '{"__proto__":{"sku":"kb"}}',
  // JSON whose text at a path is not in its bytes: a number written another way, spaces between tokens.
  '{"n":1e2,"sku":"kb"}', '{"n":[2, 3]}', '{"n":1e400}',
];
const friendly = fc.array(fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...VALUES)), { minLength: 1, maxLength: 5 }).map((ps) => ps.flatMap(([n, v]) => [Buffer.from(n), Buffer.from(v)]));
const anyMessage: fc.Arbitrary<RawFields> = fc.oneof(
  { weight: 4, arbitrary: friendly },
  { weight: 1, arbitrary: message },
  { weight: 1, arbitrary: fc.tuple(friendly, message).map(([a, b]) => [...b, ...a]) },
);

// ---- The reference: what each term means, written plainly over the pairs. ----
interface Item {
  id: string;
  raw: RawFields | null;
  pending?: { consumer: string; idleMs: number; deliveries: number };
}
type Test = (raw: RawFields) => boolean;
interface Term {
  text: string;
  test?: Test;
  bound?: (it: Item) => boolean;
  pendingOnly?: boolean;
  /** For bounds: the id range they allow (inclusive), to tell a query whose bounds leave nothing. */
  range?: [string, string];
}

const DECIMAL_REF = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const num = (s: string): number | undefined => (DECIMAL_REF.test(s) ? Number(s) : undefined);
const valuesOf = (raw: RawFields, name: string) => {
  const out: Buffer[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toString('latin1') === Buffer.from(name).toString('latin1')) out.push(raw[i + 1]!);
  return out;
};
const allValues = (raw: RawFields) => raw.filter((_, i) => i % 2 === 1);
/** JSON values at a path in the fields named `base`: own keys of objects, indices of arrays. */
const jsonValues = (raw: RawFields, base: string, path: (string | number)[]): unknown[] => {
  const out: unknown[] = [];
  for (const v of valuesOf(raw, base)) {
    let doc: unknown;
    try {
      doc = JSON.parse(v.toString('utf8'));
    } catch {
      continue;
    }
    let ok = true;
    for (const k of path) {
      if (typeof k === 'number' && Array.isArray(doc) && k < doc.length) doc = doc[k];
      else if (typeof k === 'string' && doc !== null && typeof doc === 'object' && !Array.isArray(doc) && Object.prototype.hasOwnProperty.call(doc, k)) doc = (doc as Record<string, unknown>)[k];
      else ok = false;
      if (!ok) break;
    }
    if (ok) out.push(doc);
  }
  return out;
};
const jsonText = (x: unknown) => (typeof x === 'string' ? x : JSON.stringify(x));
const compare = (op: string, x: number, n: number) => (op === '>' ? x > n : op === '>=' ? x >= n : op === '<' ? x < n : x <= n);

type Op = '=' | '!=' | '~' | '>' | '>=' | '<' | '<=';
/** A field term on plain values (`name` undefined: any field). */
function fieldTest(name: string | undefined, op: Op | 'regex', want: string, flags = ''): Test {
  const re = op === 'regex' ? new RegExp(want, flags) : undefined;
  const one = (v: Buffer): boolean => {
    if (op === '=' || op === '!=') return v.equals(Buffer.from(want));
    if (op === '~') return v.includes(Buffer.from(want));
    if (re) return re.test(v.toString('utf8'));
    const x = num(v.toString('utf8'));
    return x !== undefined && compare(op, x, Number(want));
  };
  return (raw) => {
    const vs = name === undefined ? allValues(raw) : valuesOf(raw, name);
    return op === '!=' ? !vs.some(one) : vs.some(one);
  };
}
/** A JSON path term (`payload.sku`): the whole name as a field when there is one, else the path. */
function pathTest(base: string, path: (string | number)[], whole: string, op: Op | 'regex' | 'has', want = '', flags = ''): Test {
  const plain = op === 'has' ? (raw: RawFields) => valuesOf(raw, whole).length > 0 : fieldTest(whole, op, want, flags);
  const re = op === 'regex' ? new RegExp(want, flags) : undefined;
  const one = (x: unknown): boolean => {
    if (op === 'has') return true;
    if (op === '=' || op === '!=') return jsonText(x) === want;
    if (op === '~') return jsonText(x).includes(want);
    if (re) return re.test(jsonText(x));
    const n = typeof x === 'number' ? x : typeof x === 'string' ? num(x) : undefined;
    return n !== undefined && compare(op, n, Number(want));
  };
  return (raw) => {
    if (valuesOf(raw, whole).length > 0) return plain(raw);
    const xs = jsonValues(raw, base, path);
    return op === '!=' ? !xs.some(one) : xs.some(one);
  };
}

// ---- Random queries: the text and the reference's meaning, term by term. ----
const quote = (v: string) => JSON.stringify(v);
const NUMBERS = ['0', '7', '12', '-4', '1000', '2.5', '-3.5'];
const PATTERNS: [string, string][] = [['^fa', ''], ['ed$', 'i'], ['[0-9]+', ''], ['FAIL|tim', 'i'], ['(a+)+!$', ''], ['^$', ''], ['k.d', '']];
const PATHS: [string, string, (string | number)[]][] = [['payload.sku', 'payload', ['sku']], ['payload.n', 'payload', ['n']], ['payload.items[0].sku', 'payload', ['items', 0, 'sku']], ['payload.constructor', 'payload', ['constructor']], ['payload.__proto__.sku', 'payload', ['__proto__', 'sku']]];

function termArb(ids: string[]): fc.Arbitrary<Term> {
  const name = fc.constantFrom(...NAMES, 'missing');
  const text = fc.constantFrom(...VALUES.filter((v) => !v.startsWith('{')), 'kb', 'fail', 'a', 'kbd');
  const cmpOp = fc.constantFrom<Op>('>', '>=', '<', '<=');
  const times = fc.tuple(fc.integer({ min: -5, max: N / 2 + 5 }), fc.integer({ min: -5, max: N / 2 + 5 })).map(([a, b]) => [BASE + Math.min(a, b) * 7, BASE + Math.max(a, b) * 7]);
  const idPair = fc.tuple(fc.constantFrom(...ids), fc.constantFrom(...ids)).map(([a, b]) => (cmpIds(a, b) <= 0 ? [a, b] : [b, a]));
  return fc.oneof(
    fc.tuple(name, fc.constantFrom<Op>('=', '!=', '~'), text).map(([n, op, v]) => ({ text: `${n}${op}${quote(v)}`, test: fieldTest(n, op, v) })),
    fc.tuple(name, cmpOp, fc.constantFrom(...NUMBERS)).map(([n, op, v]) => ({ text: `${n}${op}${v}`, test: fieldTest(n, op, v) })),
    fc.tuple(name, fc.constantFrom(...PATTERNS)).map(([n, [p, f]]) => ({ text: `${n}=/${p}/${f}`, test: fieldTest(n, 'regex', p, f) })),
    fc.tuple(fc.constantFrom<Op>('=', '!=', '~'), text).map(([op, v]) => ({ text: `*${op}${quote(v)}`, test: fieldTest(undefined, op, v) })),
    fc.constantFrom('kb', 'ok', 'time', 'fail', '7').map((w) => ({ text: w, test: fieldTest(undefined, '~', w) })),
    fc.constantFrom(...NAMES, 'missing').map((n) => ({ text: `has:${n}`, test: (raw: RawFields) => valuesOf(raw, n).length > 0 })),
    fc.tuple(fc.constantFrom(...PATHS), fc.constantFrom<Op | 'has'>('=', '!=', '~', 'has'), fc.constantFrom('kb', 'kbd', 'm', '5', '7', '', '100', '2,3', 'null')).map(([[whole, base, path], op, v]) => ({
      text: op === 'has' ? `has:${whole}` : `${whole}${op}${quote(v)}`,
      test: pathTest(base, path, whole, op, v),
    })),
    fc.tuple(fc.constantFrom(...PATHS), cmpOp, fc.constantFrom(...NUMBERS)).map(([[whole, base, path], op, v]) => ({ text: `${whole}${op}${v}`, test: pathTest(base, path, whole, op, v) })),
    fc.tuple(fc.constantFrom(...PATHS), fc.constantFrom(...PATTERNS)).map(([[whole, base, path], [p, f]]) => ({ text: `${whole}=/${p}/${f}`, test: pathTest(base, path, whole, 'regex', p, f) })),
    times.map(([a, b]) => ({ text: `since:${a} until:${b}`, bound: (it: Item) => idMs(it.id) >= a! && idMs(it.id) <= b!, range: [`${a}-0`, `${b}-18446744073709551615`] as [string, string] })),
    idPair.map(([a, b]) => ({ text: `from:${a} to:${b}`, bound: (it: Item) => cmpIds(it.id, a!) >= 0 && cmpIds(it.id, b!) <= 0, range: [a!, b!] as [string, string] })),
    fc.constantFrom('w1', 'w2', 'w3').map((c) => ({ text: `consumer:${c}`, pendingOnly: true, bound: (it: Item) => it.pending?.consumer === c })),
    fc.constant({ text: 'idle:30m', pendingOnly: true, bound: (it: Item) => (it.pending?.idleMs ?? 0) >= 1_800_000 }),
    fc.integer({ min: 1, max: 4 }).map((d) => ({ text: `deliveries:${d}`, pendingOnly: true, bound: (it: Item) => (it.pending?.deliveries ?? 0) >= d })),
  );
}

const idMs = (id: string) => Number(id.split('-')[0]);
const cmpIds = (a: string, b: string) => {
  const [x, y] = [a.split('-').map(BigInt), b.split('-').map(BigInt)];
  return x[0]! !== y[0]! ? (x[0]! < y[0]! ? -1 : 1) : x[1]! !== y[1]! ? (x[1]! < y[1]! ? -1 : 1) : 0;
};

/** Do the terms' bounds leave no id at all, or ask for two owners (then the search must refuse the query)? */
function emptyRange(terms: Term[]): boolean {
  const owners = new Set(terms.filter((t) => t.text.startsWith('consumer:')).map((t) => t.text));
  if (owners.size > 1) return true;
  const rs = terms.flatMap((t) => (t.range ? [t.range] : []));
  if (!rs.length) return false;
  const lo = rs.map((r) => r[0]).reduce((a, b) => (cmpIds(a, b) >= 0 ? a : b));
  const hi = rs.map((r) => r[1]).reduce((a, b) => (cmpIds(a, b) <= 0 ? a : b));
  return cmpIds(lo, hi) > 0;
}

/** What the reference finds: items in id order that pass every term (a deleted body only a query without conditions). */
function reference(items: Item[], terms: Term[]): string[] {
  return items
    .filter((it) => terms.every((t) => !t.bound || t.bound(it)))
    .filter((it) => terms.every((t) => !t.test || (it.raw !== null && t.test(it.raw))))
    .map((it) => it.id);
}

describe('(integration) search differential: the walk, the agents\' tool and export agree with a reference evaluator', function () {
  this.timeout(240_000);
  let client: Redis;
  let stream: string;
  const entries: Item[] = [];
  const pending: Item[] = [];
  let cases: Term[][] = [];

  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
    stream = `${uniqueKey('searchdiff')}:s`;
    const messages = fc.sample(anyMessage, { numRuns: N, seed: SEED });
    const pipe = client.pipeline();
    messages.forEach((raw, i) => {
      const id = `${BASE + Math.floor(i / 2) * 7}-${i % 2}`;
      entries.push({ id, raw });
      pipe.xadd(stream, id, ...raw);
    });
    await pipe.exec();
    // A group that read everything; owners, idle times and deliveries set per entry; some bodies deleted.
    await client.xgroup('CREATE', stream, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'w1', 'STREAMS', stream, '>');
    const owners = fc.sample(fc.tuple(fc.constantFrom('w1', 'w2', 'w3'), fc.boolean(), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 24 })), { numRuns: N, seed: SEED + 1 });
    const claims = client.pipeline();
    entries.forEach((e, i) => {
      const [owner, old, deliveries] = owners[i]!;
      claims.xclaim(stream, 'g', owner, 0, e.id, 'IDLE', old ? 3_600_000 : 0, 'RETRYCOUNT', deliveries);
    });
    await claims.exec();
    const deleted = new Set(entries.filter((_, i) => owners[i]![3] === 0).map((e) => e.id));
    if (deleted.size) await client.xdel(stream, ...deleted);
    const rows = (await client.xpending(stream, 'g', '-', '+', N * 2)) as [string, string, number, number][];
    for (const [id, consumer, idleMs, deliveries] of rows) {
      const e = entries.find((x) => x.id === id)!;
      pending.push({ id, raw: deleted.has(id) ? null : e.raw, pending: { consumer, idleMs, deliveries } });
    }
    for (let i = entries.length - 1; i >= 0; i--) if (deleted.has(entries[i]!.id)) entries.splice(i, 1);
    cases = fc.sample(fc.array(termArb(entries.map((e) => e.id)), { minLength: 0, maxLength: 3 }), { numRuns: QUERIES, seed: SEED + 2 });
    mkdirSync(outDir, { recursive: true });
  });
  after(async () => {
    rmSync(outDir, { recursive: true, force: true });
    await quit(client);
  });

  /** Every hit of a search, resumed after each stop (a limit or a budget) until it reaches the end. */
  async function walk(source: SearchSource, text: string, options: { maxPage?: number; limit?: number; maxExamined?: number }): Promise<string[] | 'refused'> {
    try {
      parseSearchQuery(text);
    } catch (e) {
      if (/no id is in that range|no time is in that range|leave no id between them|has one owner/.test((e as Error).message)) return 'refused';
      throw e;
    }
    const ids: string[] = [];
    let resume: string | undefined;
    for (let round = 0; round < 10_000; round++) {
      const q = parseSearchQuery(text);
      if (options.limit) q.limit = options.limit;
      const s = new MessageSearch(client, source, q, { maxPage: options.maxPage, maxExamined: options.maxExamined, resume });
      for await (const h of s) ids.push(h.entry.id);
      const sum: SearchSummary = s.summary!;
      if (sum.stopped === 'end') return ids;
      assert.ok(sum.resume, `a walk stopped by its ${sum.stopped} says where to resume`);
      resume = sum.resume;
    }
    throw new Error('the walk never reached the end');
  }

  const ctxText = (terms: Term[], extra = '') => `seed ${SEED}, query: ${terms.map((t) => t.text).join(' ')}${extra}`;

  it('a stream, newest or oldest first, in small pages, whole or stopped and resumed', async () => {
    const rnd = fc.sample(fc.tuple(fc.integer({ min: 1, max: 17 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 40 })), { numRuns: QUERIES, seed: SEED + 3 });
    let nonEmpty = 0;
    for (const [k, terms] of cases.entries()) {
      if (terms.some((t) => t.pendingOnly)) continue;
      const expected = emptyRange(terms) ? 'refused' : reference(entries, terms);
      if (expected.length && expected !== 'refused') nonEmpty++;
      const reversed = expected === 'refused' ? expected : [...expected].reverse();
      const [maxPage, limit, maxExamined] = rnd[k]!;
      const text = terms.map((t) => t.text).join(' ');
      const src: SearchSource = { kind: 'stream', key: stream };
      assert.deepEqual(await walk(src, `${text} order:oldest`, { maxPage }), expected, ctxText(terms, ' order:oldest'));
      assert.deepEqual(await walk(src, text, { maxPage }), reversed, ctxText(terms, ' (newest first)'));
      assert.deepEqual(await walk(src, `${text} order:oldest`, { maxPage, limit }), expected, ctxText(terms, ` oldest, resumed after each ${limit}`));
      assert.deepEqual(await walk(src, text, { maxPage, maxExamined }), reversed, ctxText(terms, ` newest, resumed after each ${maxExamined} examined`));
    }
    assert.ok(nonEmpty >= QUERIES / 10, `enough queries find something (${nonEmpty}; seed ${SEED})`);
  });

  it('a group\'s pending entries with owner, idle and deliveries filters, whole or resumed', async () => {
    const rnd = fc.sample(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 40 })), { numRuns: QUERIES, seed: SEED + 4 });
    for (const [k, terms] of cases.entries()) {
      const expected = emptyRange(terms) ? 'refused' : reference(pending, terms);
      const text = terms.map((t) => t.text).join(' ');
      const src: SearchSource = { kind: 'pending', key: stream, group: 'g' };
      const [limit, maxExamined] = rnd[k]!;
      assert.deepEqual(await walk(src, text, {}), expected, ctxText(terms, ' --group g'));
      assert.deepEqual(await walk(src, text, { limit }), expected, ctxText(terms, ` --group g, resumed after each ${limit}`));
      assert.deepEqual(await walk(src, text, { maxExamined }), expected, ctxText(terms, ` --group g, resumed after each ${maxExamined} examined`));
    }
  });

  it('the agents\' find tool, resumed until the end, in a stream and in a group', async () => {
    const inspector = new Inspector(client);
    const ctx = { inspector, connection: 'test', readOnly: true, thresholds: DEFAULT_THRESHOLDS };
    for (const terms of cases.slice(0, 30)) {
      if (emptyRange(terms)) continue;
      const text = terms.map((t) => t.text).join(' ');
      for (const group of terms.some((t) => t.pendingOnly) ? ['g'] : [undefined, 'g']) {
        const expected = reference(group ? pending : entries, terms);
        const ids: string[] = [];
        let resume: string | undefined;
        for (;;) {
          const out = await findMessagesTool.run(ctx, { stream, query: `${text}${group ? '' : ' order:oldest'}`, limit: 7, ...(group ? { group } : {}), ...(resume ? { resume } : {}) });
          const data = out.data as { matches: { id: string }[]; stopped: string; resume: string | null };
          ids.push(...data.matches.map((m) => m.id));
          if (data.stopped === 'end') break;
          assert.ok(data.resume, ctxText(terms));
          resume = data.resume;
        }
        assert.deepEqual(ids, expected, ctxText(terms, group ? ' (tool, group g)' : ' (tool)'));
      }
    }
  });

  it('export --query writes exactly the messages the reference picks, whole', async () => {
    const { run } = await import('../../src/cli/main');
    const byId = new Map(entries.map((e) => [e.id, e.raw!]));
    for (const [k, terms] of cases.slice(0, 12).entries()) {
      if (terms.some((t) => t.pendingOnly) || emptyRange(terms)) continue;
      const text = terms.map((t) => t.text).join(' ') || 'has:status';
      const expected = reference(entries, text === 'has:status' ? [{ text, test: (raw) => valuesOf(raw, 'status').length > 0 }] : terms);
      const file = join(outDir, `export-${k}.ndjson`);
      let stderr = '';
      const code = await run(['export', stream, '--query', text, '--out', file, '--url', redisUrl()], { stdout: () => undefined, stderr: (t) => void (stderr += t), env: {} });
      assert.equal(code, 0, stderr);
      const lines = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id?: string; pairs?: unknown[] }).filter((l) => l.id);
      const got = lines.map((l) => l.id!);
      assert.deepEqual([...got].sort(cmpIds), expected, ctxText(terms, ' (export)'));
      assert.equal(new Set(got).size, got.length, 'each message once');
      for (const l of lines) assert.equal(l.pairs!.length * 2, byId.get(l.id!)!.length, `the pairs of ${l.id} are all there`);
    }
  });
});
