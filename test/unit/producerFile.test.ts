import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../../src/core/redis/errors';
import {
  GENERATORS,
  KEYS,
  escapeTemplates,
  formatMessage,
  isPublishable,
  messageAt,
  parseProducerFile,
  renderMessages,
  renderTemplate,
  seededRandom,
  templateReference,
  type ProducerFile,
} from '../../src/core/producerFile';

const root = join(__dirname, '..', '..', '..');
const NOW = Date.UTC(2024, 0, 15, 12, 0, 0);

function codes(f: ProducerFile): string[] {
  return f.diagnostics.map((d) => d.code);
}
function one(text: string, options = {}) {
  const f = parseProducerFile(text, options);
  assert.equal(f.messages.length, 1, JSON.stringify(f.diagnostics));
  return { f, m: f.messages[0]! };
}
/** Rendered pairs as a record, for reading single fields. */
const rec = (pairs: [string, string][]): Record<string, string> => Object.fromEntries(pairs);
function render1(text: string, o = {}) {
  const { f, m } = one(text);
  assert.deepEqual(f.diagnostics, []);
  return rec(renderMessages(m, 1, { seed: 1, now: NOW, env: {}, ...o })[0]!);
}

describe('(unit) producer files: parsing', () => {
  it('parses the issue example: target, trim, count, fields', () => {
    const { f, m } = one(['### order-created', 'stream: orders', 'maxlen: ~10000', 'count: 1', 'orderId = ord-{{seq}}', 'total = {{float:5:500:2}}', 'customer = {{email}}', 'payload = {"sku": "{{pick:kb|mouse}}", "qty": {{int:1:5}}}'].join('\n'));
    assert.deepEqual(f.diagnostics, []);
    assert.equal(m.name, 'order-created');
    assert.deepEqual(m.target, { kind: 'stream', key: 'orders' });
    assert.deepEqual(m.trim, { strategy: 'MAXLEN', threshold: 10000, exact: false });
    assert.equal(m.count, 1);
    assert.deepEqual(m.fields.map((x) => x.name), ['orderId', 'total', 'customer', 'payload']);
    assert.equal(m.fields[3]!.json, true);
    assert.ok(isPublishable(m));
    const msg = rec(renderMessages(m, 1, { seed: 3, now: NOW })[0]!);
    assert.equal(msg!.orderId, 'ord-1');
    assert.match(msg!.total!, /^\d+\.\d\d$/);
    assert.match(msg!.customer!, /^[a-z.-]+\d+@[a-z.]+$/);
    const payload = JSON.parse(msg!.payload!) as { sku: string; qty: number };
    assert.ok(['kb', 'mouse'].includes(payload.sku));
    assert.ok(payload.qty >= 1 && payload.qty <= 5);
  });

  it('reads list queues, jobprefix, exact maxlen, minid, seed, connection and defaults before the first section', () => {
    const f = parseProducerFile(['// defaults', 'connection: local', 'maxlen: =50', '### a', 'stream: s', 'x = 1', '### b', 'stream: s', 'minid: ~1700000000000-0', 'x = 1', '### c', 'list: emails', 'jobprefix: job:', 'seed: 42', 'count: 1_000', 'connection: other', 'to = a@b'].join('\n'));
    assert.deepEqual(f.diagnostics, []);
    const [a, b, c] = f.messages;
    assert.deepEqual(a!.trim, { strategy: 'MAXLEN', threshold: 50, exact: true });
    assert.equal(a!.connection, 'local');
    assert.deepEqual(b!.trim, { strategy: 'MINID', threshold: '1700000000000-0', exact: false });
    assert.deepEqual(c!.target, { kind: 'list', key: 'emails' });
    assert.equal(c!.trim, undefined, 'a default maxlen does not apply to list queues');
    assert.equal(c!.jobPrefix, 'job:');
    assert.equal(c!.seed, 42);
    assert.equal(c!.count, 1000);
    assert.equal(c!.connection, 'other');
  });

  it('reports each kind of mistake at its position', () => {
    const text = [
      'x = 1', // 0 field outside a message
      '### bad', // 1
      'maxlen: lots', // 2 bad maxlen (and missing target on 1)
      'count: 0', // 3
      'colour: red', // 4 unknown key
      'user:id = 4', // 5 unknown key with a hint to quote
      'a = 1', // 6
      'a = 2', // 7 duplicate field
      'b = {{nope}}', // 8 unknown template
      'c = {{int:9:1}}', // 9 bad template args
      'd = {"x": 1', // 10 bad JSON
      'e = {"x": {{word}}}', // 11 text template outside JSON quotes
      'f = ok {{seq', // 12 unclosed
      'just words', // 13 syntax
      'g = """', // 14 unclosed block
    ].join('\n');
    const f = parseProducerFile(text);
    const at = (code: string) => f.diagnostics.filter((d) => d.code === code).map((d) => d.line);
    assert.deepEqual(at('field-outside'), [0]);
    assert.deepEqual(at('missing-target'), [1]);
    assert.deepEqual(at('bad-maxlen'), [2]);
    assert.deepEqual(at('bad-count'), [3]);
    assert.deepEqual(at('unknown-key'), [4, 5]);
    assert.deepEqual(at('duplicate-field'), [7]);
    assert.deepEqual(at('unknown-template'), [8]);
    assert.deepEqual(at('bad-template'), [9]);
    assert.deepEqual(at('bad-json'), [10]);
    assert.deepEqual(at('json-template'), [11]);
    assert.deepEqual(at('unclosed-template'), [12]);
    assert.deepEqual(at('syntax'), [13]);
    assert.deepEqual(at('unclosed-block'), [14]);
    assert.equal(isPublishable(f.messages[0]!), false);
    const unknown = f.diagnostics.find((d) => d.code === 'unknown-template')!;
    assert.deepEqual([unknown.start, unknown.end], [4, 12]);
    assert.match(f.diagnostics.find((d) => d.line === 5)!.message, /"user:id" = /);
  });

  it('suggests the nearest key or template', () => {
    const f = parseProducerFile('### m\nstrem: s\nx = {{uuuid}}');
    assert.match(f.diagnostics.find((d) => d.code === 'unknown-key')!.message, /Did you mean "stream"/);
    assert.match(f.diagnostics.find((d) => d.code === 'unknown-template')!.message, /Did you mean "uuid"/);
  });

  it('refuses two targets, two trims, trim on a list, reserved list fields, an empty message, duplicate keys', () => {
    const f = parseProducerFile(['### a', 'stream: s', 'list: l', 'x = 1', '### b', 'stream: s', 'maxlen: 5', 'minid: 1-0', 'x = 1', '### c', 'list: l', 'maxlen: 5', '__x = 1', '### d', 'stream: s', '### e', 'stream: s', 'stream: t', 'x = 1'].join('\n'));
    assert.deepEqual(codes(f), ['two-targets', 'bad-trim', 'trim-on-list', 'reserved-field', 'no-fields', 'duplicate-key']);
    assert.deepEqual(f.messages.map(isPublishable), [false, false, false, false, false]);
  });

  it('checks connections and environment variables when told what exists', () => {
    const text = '### a\nstream: s\nconnection: prod\nx = {{env:HOME_DIR}}\ny = {{env:MISSING:fallback}}';
    assert.deepEqual(codes(parseProducerFile(text)), []);
    const f = parseProducerFile(text, { env: {}, connections: ['local'] });
    assert.deepEqual(codes(f), ['unknown-connection', 'bad-template']);
    assert.equal(f.diagnostics[0]!.severity, 'warning');
    assert.deepEqual(codes(parseProducerFile(text, { env: { HOME_DIR: '/h' }, connections: ['prod'] })), []);
  });

  it('keeps comments, blank lines and #### out of the way and knows which message a line is in', () => {
    const f = parseProducerFile('# c\n\n### one\n// c\nstream: s\n#### not a header\nx = 1\n\n\n### two\nstream: s\nx = # not a comment');
    assert.deepEqual(codes(f), []);
    assert.deepEqual(f.messages.map((m) => [m.line, m.endLine]), [[2, 6], [9, 11]]);
    assert.equal(messageAt(f, 1), undefined);
    assert.equal(messageAt(f, 7)!.name, 'one');
    assert.equal(messageAt(f, 11)!.name, 'two');
    assert.equal(rec(renderMessages(f.messages[1]!, 1)[0]!).x, '# not a comment');
  });

  it('handles CRLF line ends', () => {
    const { f, m } = one('### a\r\nstream: s\r\nx = 1\r\n');
    assert.deepEqual(f.diagnostics, []);
    assert.equal(rec(renderMessages(m, 1)[0]!).x, '1');
  });
});

describe('(unit) producer files: values and templates', () => {
  it('decodes quoted values and names, keeps raw text otherwise, removes block indentation', () => {
    const r = render1(['### m', 'stream: s', '"a:b = c" = "  padded\\n"', 'raw = "half quoted', 'empty =', 'q = "[not json"', 'block = """', '    {', '      "n": {{int:7:7}}', '    }', '    """'].join('\n'));
    assert.deepEqual(r, { 'a:b = c': '  padded\n', raw: '"half quoted', empty: '', q: '[not json', block: '{\n  "n": 7\n}' });
  });

  it('escapes template output inside JSON strings and checks the rendered JSON', () => {
    const r = render1('### m\nstream: s\np = {"who": "{{env:WHO}}", "n": {{env:N}}}', { env: { WHO: 'a "quoted" \\ name', N: '3' } });
    assert.deepEqual(JSON.parse(r.p!), { who: 'a "quoted" \\ name', n: 3 });
    const { m } = one('### m\nstream: s\np = {"n": {{env:N}}}');
    assert.throws(() => renderMessages(m, 1, { env: { N: 'not a number' } }), (e: Error) => e instanceof BadInputError && /rendered invalid JSON/.test(e.message));
  });

  it('reads \\{{ as a literal {{ (and \\\\{{ as a backslash then a template)', () => {
    const r = render1('### m\nstream: s\na = \\{{seq}}\nb = \\\\{{seq}}\nc = a\\b }} {');
    assert.deepEqual(r, { a: '{{seq}}', b: '\\1', c: 'a\\b }} {' });
    assert.equal(escapeTemplates('x{{y \\{{z'), 'x\\{{y \\\\\\{{z');
  });

  it('is deterministic under a seed and continues {{seq}} from seqStart', () => {
    const { m } = one('### m\nstream: s\nid = {{seq}}/{{index}}/{{seq:100}}\nu = {{uuid}}\nn = {{int:1:1000000}}\nw = {{words:5}}');
    const a = renderMessages(m, 3, { seed: 9, now: NOW, seqStart: 41 }).map(rec);
    const b = renderMessages(m, 3, { seed: 9, now: NOW, seqStart: 41 }).map(rec);
    assert.deepEqual(a, b);
    assert.deepEqual(a.map((x) => x.id), ['41/0/140', '42/1/141', '43/2/142']);
    assert.notEqual(a[0]!.u, a[1]!.u);
    assert.notDeepEqual(renderMessages(m, 3, { seed: 10, now: NOW, seqStart: 41 }).map(rec), a);
    const seeded = one('### m\nstream: s\nseed: 5\nu = {{uuid}}').m;
    assert.deepEqual(renderMessages(seeded, 2), renderMessages(seeded, 2), 'a seed: in the file repeats the values');
  });

  it('renders every generator in its documented shape', () => {
    const env = { USER: 'ada' };
    const cases: [string, RegExp][] = [
      ['{{seq}}', /^1$/],
      ['{{index}}', /^0$/],
      ['{{uuid}}', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/],
      ['{{now}}', new RegExp(`^${NOW}$`)],
      ['{{now:s}}', new RegExp(`^${NOW / 1000}$`)],
      ['{{now:iso}}', /^2024-01-15T12:00:00\.000Z$/],
      ['{{now:iso:-1h}}', /^2024-01-15T11:00:00\.000Z$/],
      ['{{now:date:+2d}}', /^2024-01-17$/],
      ['{{int:-3:-3}}', /^-3$/],
      ['{{int}}', /^\d{1,3}$/],
      ['{{float:0:1:3}}', /^0\.\d{3}$/],
      ['{{float:5:5}}', /^5\.00$/],
      ['{{bool}}', /^(true|false)$/],
      ['{{pick:a|b}}', /^[ab]$/],
      ['{{word}}', /^[a-z]+$/],
      ['{{words:2}}', /^[a-z]+ [a-z]+$/],
      ['{{name}}', /^[A-Z][a-z]+ [A-Z][A-Za-z-]+$/],
      ['{{firstName}} {{lastName}}', /^\S+ \S+$/],
      ['{{email}}', /^[a-z.-]+\d+@(example\.(com|org|net)|test\.dev)$/],
      ['{{city}}/{{country}}', /^[A-Z]\w+\/[A-Z]\w+$/],
      ['{{ip}}', /^10\.\d+\.\d+\.\d+$/],
      ['{{hex}}', /^[0-9a-f]{16}$/],
      ['{{hex:4}}', /^[0-9a-f]{4}$/],
      ['{{alnum:6}}', /^[A-Za-z0-9]{6}$/],
      ['{{env:USER}}', /^ada$/],
      ['{{env:NOPE:fallback}}', /^fallback$/],
      ['{{message}}', /^m$/],
      ['{{ INT : 2 : 2 }}', /^2$/],
    ];
    for (const [t, re] of cases) {
      const r = render1(`### m\nstream: s\nv = ${t}`, { env });
      assert.match(r.v!, re, t);
    }
    // Every generator has a test above.
    for (const g of GENERATORS) assert.ok(cases.some(([t]) => t.toLowerCase().includes(`{{${g.name.toLowerCase()}`) || t.toLowerCase().includes(`{{ ${g.name.toLowerCase()}`)), g.name);
  });

  it('refuses bad generator arguments', () => {
    for (const t of ['{{int:a:b}}', '{{int:1}}', '{{int:5:1}}', '{{float:1}}', '{{float:0:1:99}}', '{{hex:0}}', '{{words:x}}', '{{pick}}', '{{pick:}}', '{{now:soon}}', '{{env}}', '{{env:1X}}', '{{uuid:4}}', '{{seq:x}}', '{{bool:1}}']) {
      const f = parseProducerFile(`### m\nstream: s\nv = ${t}`);
      assert.deepEqual(codes(f), ['bad-template'], t);
    }
  });

  it('renderTemplate leaves unknown templates as written', () => {
    assert.equal(renderTemplate('a {{nope}} {{int:1:1}} {{env:NOT_SET_ANYWHERE_X}} {{', { env: {} }), 'a {{nope}} 1 {{env:NOT_SET_ANYWHERE_X}} {{');
  });

  it('seededRandom is uniform enough and in [0, 1)', () => {
    const r = seededRandom(123);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const x = r();
      assert.ok(x >= 0 && x < 1);
      buckets[Math.floor(x * 10)]!++;
    }
    for (const b of buckets) assert.ok(b > 1700 && b < 2300, String(buckets));
  });

  it('refuses to render a message with errors or a bad count', () => {
    const bad = parseProducerFile('### m\nx = 1').messages[0]!;
    assert.throws(() => renderMessages(bad, 1), /has errors \(line 1: No target/);
    const good = parseProducerFile('### m\nstream: s\nx = 1').messages[0]!;
    assert.throws(() => renderMessages(good, 0), BadInputError);
    assert.throws(() => renderMessages(good, 100_001), BadInputError);
  });
});

describe('(unit) producer files: sample, grammar, docs', () => {
  it('the sample file has no problems and shows every key and generator', () => {
    const text = readFileSync(join(root, 'media', 'sample.redisq'), 'utf8');
    const f = parseProducerFile(text, { env: {} });
    assert.deepEqual(f.diagnostics, []);
    assert.ok(f.messages.length >= 4);
    for (const m of f.messages) renderMessages(m, 3, { env: {} });
    for (const g of GENERATORS) assert.ok(text.includes(`{{${g.name}`), `sample lacks {{${g.name}}}`);
    for (const k of Object.keys(KEYS)) assert.ok(new RegExp(`^#? ?${k}:`, 'im').test(text), `sample lacks ${k}:`);
    assert.ok(f.messages.some((m) => m.target?.kind === 'list'));
  });

  it('the grammar is valid JSON for source.redisq and knows every generator', () => {
    const g = JSON.parse(readFileSync(join(root, 'syntaxes', 'redisq.tmLanguage.json'), 'utf8')) as { scopeName: string; repository: Record<string, unknown> };
    assert.equal(g.scopeName, 'source.redisq');
    const text = JSON.stringify(g);
    for (const gen of GENERATORS) assert.ok(text.includes(gen.name), gen.name);
    for (const k of Object.keys(KEYS)) assert.ok(text.includes(k), k);
    JSON.parse(readFileSync(join(root, 'syntaxes', 'redisq.language-configuration.json'), 'utf8'));
  });

  it('documents every generator', () => {
    const ref = templateReference();
    assert.equal(ref.length, GENERATORS.length);
    for (const r of ref) assert.ok(r.doc && r.example && r.syntax.startsWith('{{'), r.name);
  });

  it('formats a message that parses back', () => {
    const text = formatMessage({ name: 'm', target: { kind: 'stream', key: 'orders' }, trim: { strategy: 'MAXLEN', threshold: 10, exact: false }, count: 3, fields: [['a', '1']], templated: { b: '{{seq}}' } });
    assert.equal(text, '### m\nstream: orders\nmaxlen: ~10\ncount: 3\na = 1');
  });
});
