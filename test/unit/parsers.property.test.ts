// Property tests of the parsers that read user input: stream ids, connection URLs, typed fields.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseRedisUrl, stripPassword } from '../../src/core/redis/connection';
import { BadIdError, BadInputError, scrubSecrets } from '../../src/core/redis/errors';
import { compareIds, formatId, nextId, parseId, previousId } from '../../src/core/messages/ids';
import { fieldsFromText } from '../../src/core/ops';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

describe('(unit) property tests of the input parsers', function () {
  this.timeout(30_000);
  it('parseId: any string either parses to a valid id or throws BadIdError, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        try {
          const id = parseId(s);
          assert.ok(id.ms >= 0n && id.seq >= 0n && id.ms < 1n << 64n && id.seq < 1n << 64n);
        } catch (e) {
          assert.ok(e instanceof BadIdError, String(e));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('parseId ∘ formatId is the identity on 64-bit ids; next/previous are inverse and ordered', () => {
    fc.assert(
      fc.property(u64, u64, (ms, seq) => {
        const text = formatId({ ms, seq });
        assert.deepEqual(parseId(text), { ms, seq });
        if (!(ms === (1n << 64n) - 1n && seq === (1n << 64n) - 1n)) {
          const n = nextId(text);
          assert.equal(compareIds(text, n), -1);
          assert.equal(previousId(n), text);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('parseRedisUrl: any string parses to a sane target or throws BadInputError; messages never echo a password', () => {
    const urlish = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.tuple(fc.constantFrom('redis://', 'rediss://', 'REDIS://', 'http://', ''), fc.string(), fc.constantFrom('', ':', '@'), fc.string(), fc.constantFrom('', ':6379', ':0', ':99999', ':x', '/3', '/-1')).map((p) => p.join('')),
    );
    fc.assert(
      fc.property(urlish, (s) => {
        try {
          const p = parseRedisUrl(s);
          assert.ok(p.host.length > 0);
          assert.ok(Number.isInteger(p.port) && p.port >= 1 && p.port <= 65535);
          assert.ok(Number.isInteger(p.db) && p.db >= 0);
        } catch (e) {
          assert.ok(e instanceof BadInputError, String(e));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('stripPassword removes the password and keeps everything else; scrubSecrets hides it in any text', () => {
    const word = fc.stringMatching(/^[A-Za-z0-9]{1,12}$/);
    fc.assert(
      fc.property(word, fc.stringMatching(/^[A-Za-z0-9_-]{4,20}$/), word, fc.integer({ min: 1, max: 65535 }), (user, pass, host, port) => {
        const url = `redis://${user}:${pass}@${host}:${port}`;
        const stripped = stripPassword(url);
        assert.equal(stripped.password, pass);
        assert.equal(stripped.url, `redis://${user}@${host}:${port}`);
        assert.ok(!scrubSecrets(`failed to reach ${url}: timeout`).includes(`:${pass}@`));
      }),
      { numRuns: 1000 },
    );
  });

  it('fieldsFromText: any text gives fields or a BadInputError; k=v lines round-trip', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          const f = fieldsFromText(s);
          assert.ok(f.length > 0);
          for (const [k, v] of f) assert.ok((typeof k === 'string' || Buffer.isBuffer(k)) && (typeof v === 'string' || Buffer.isBuffer(v)));
        } catch (e) {
          assert.ok(e instanceof BadInputError, String(e));
        }
      }),
      { numRuns: 3000 },
    );
    const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/);
    const value = fc.stringMatching(/^[A-Za-z0-9 _.,-]{0,20}$/).map((v) => v.trim());
    fc.assert(
      fc.property(fc.dictionary(key, value, { minKeys: 1, maxKeys: 8 }), (obj) => {
        const text = Object.entries(obj).map(([k, v]) => `${k}=${v}`).join('\n');
        // (fc.dictionary builds null-prototype objects: compare as plain objects.)
        const pairs = Object.entries(obj);
        assert.deepEqual(fieldsFromText(text), pairs);
        assert.deepEqual(fieldsFromText(JSON.stringify(obj)), pairs);
        // A value holding ";" or "=" stays one field.
        assert.deepEqual(fieldsFromText('cookie=sid=abc; theme=dark'), [['cookie', 'sid=abc; theme=dark']]);
      }),
      { numRuns: 1000 },
    );
  });
});
