// Property tests of the producer-file parser and template engine (fast-check).
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { GENERATORS, formatProducerFile, isPublishable, parseProducerFile, renderMessages, renderTemplate, type MessageModel } from '../../src/core/producerFile';

const NOW = 1_700_000_000_000;

/** Text made of the format's own pieces, so that the parser's branches are actually reached. */
const pieces = fc.constantFrom('###', '### ', 'stream:', 'list:', 'maxlen:', 'minid:', 'count:', 'seed:', 'connection:', 'jobprefix:', '=', ' = ', ':', '"', '"""', '{{', '}}', '\\', '{', '}', '[', ']', '\n', '\r\n', '#', '//', ' ', '~', '-', '1', '0', 'x', '{{seq}}', '{{int:1:5}}', '{{pick:a|b}}', '{{env:X}}', '__');
const nasty = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.array(fc.oneof(pieces, fc.string({ maxLength: 4 })), { maxLength: 80 }).map((a) => a.join('')));

const key = fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' });
const value = fc.string({ maxLength: 40, unit: 'binary' });
const base = fc.record({
  name: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() === s && s.length > 0 && !/[\r\n\u2028\u2029\u0085]/.test(s)),
  target: fc.record({ kind: fc.constantFrom('stream' as const, 'list' as const), key: key.filter((k) => !/^(none|off)$/i.test(k)) }),
  count: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: undefined }),
  seed: fc.option(fc.integer({ min: -1e9, max: 1e9 }), { nil: undefined }),
  connection: fc.option(key, { nil: undefined }),
  fields: fc.uniqueArray(fc.tuple(key, value), { minLength: 1, maxLength: 6, selector: ([k]) => k }),
});
const model: fc.Arbitrary<MessageModel> = base
  .chain((m): fc.Arbitrary<MessageModel> =>
    m.target.kind === 'stream'
      ? fc.option(fc.record({ strategy: fc.constant('MAXLEN' as const), threshold: fc.integer({ min: 0, max: 1e12 }), exact: fc.boolean() }), { nil: undefined }).map((trim) => ({ ...m, trim }))
      : fc.option(key, { nil: undefined }).map((jobPrefix) => ({ ...m, jobPrefix, fields: m.fields.filter(([k]) => !k.startsWith('__')) })),
  )
  .filter((m) => m.fields.length > 0);

describe('(unit) producer files: properties', () => {
  it('the parser never throws and every diagnostic points inside the text', () => {
    fc.assert(
      fc.property(nasty, (text) => {
        const f = parseProducerFile(text, { env: {}, connections: ['a'] });
        const lines = text.split(/\r\n|\r|\n/);
        for (const d of f.diagnostics) {
          assert.ok(d.line >= 0 && d.line < lines.length, `line ${d.line}`);
          assert.ok(d.start >= 0 && d.end > d.start, `${d.start}-${d.end}`);
          assert.ok(d.message.length > 0);
        }
        for (const m of f.messages) {
          assert.ok(m.line <= m.endLine && m.endLine < lines.length);
          assert.equal(isPublishable(m), !m.diagnostics.some((d) => d.severity === 'error'));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a publishable message always renders to string fields (or refuses with a BadInputError)', () => {
    fc.assert(
      fc.property(nasty, fc.integer({ min: 0, max: 2 ** 32 - 1 }), (text, seed) => {
        for (const m of parseProducerFile(text, { env: { X: '1' } }).messages.filter(isPublishable)) {
          try {
            const out = renderMessages(m, 2, { seed, now: NOW, env: { X: '1' } });
            assert.equal(out.length, 2);
            for (const fields of out) for (const [k, v] of fields) assert.ok(typeof k === 'string' && typeof v === 'string');
          } catch (e) {
            assert.equal((e as { code?: string }).code, 'BAD_INPUT');
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('templates always render to strings, deterministically under a seed', () => {
    const template = fc.oneof(
      fc.constantFrom(...GENERATORS.map((g) => g.name)).chain((n) => fc.option(fc.string({ maxLength: 8 }), { nil: undefined }).map((a) => `{{${n}${a === undefined ? '' : `:${a}`}}}`)),
      fc.string({ maxLength: 10 }),
    );
    fc.assert(
      fc.property(fc.array(template, { maxLength: 6 }).map((a) => a.join('')), fc.integer(), (text, seed) => {
        const a = renderTemplate(text, { seed, now: NOW, env: {} });
        assert.equal(typeof a, 'string');
        assert.equal(renderTemplate(text, { seed, now: NOW, env: {} }), a);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trip: a formatted file parses back to the same messages without problems, and renders the literal values', () => {
    fc.assert(
      fc.property(fc.uniqueArray(model, { minLength: 1, maxLength: 4, selector: (m) => m.name }), (models) => {
        const text = formatProducerFile(models);
        const f = parseProducerFile(text);
        assert.deepEqual(f.diagnostics, [], text);
        assert.equal(f.messages.length, models.length);
        models.forEach((want, i) => {
          const got = f.messages[i]!;
          assert.equal(got.name, want.name);
          assert.deepEqual(got.target, { ...want.target });
          assert.deepEqual(got.trim, want.trim && { ...want.trim });
          assert.equal(got.count, want.count ?? 1);
          assert.equal(got.seed, want.seed);
          assert.equal(got.connection, want.connection);
          assert.equal(got.jobPrefix, want.jobPrefix);
          const [rendered] = renderMessages(got, 1, { now: NOW, env: {} });
          // Every name and value, in the file's order (integer-like and repeated names too).
          assert.deepEqual(rendered, [...want.fields], text);
        });
      }),
      { numRuns: 1000 },
    );
  });
});
