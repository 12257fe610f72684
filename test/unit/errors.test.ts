import * as assert from 'node:assert/strict';
import { AuthError, toQueueError } from '../../src/core/errors';

describe('(unit) errors keep no secrets', () => {
  it('drops the failed command (AUTH arguments) from the cause it keeps', () => {
    const raw = Object.assign(new Error('WRONGPASS invalid username-password pair'), { command: { name: 'hello', args: ['3', 'AUTH', 'bob', 'hunter2-secret'] } });
    const e = toQueueError(raw, { target: 'redis://127.0.0.1:6379' });
    assert.ok(e instanceof AuthError);
    const seen = new Set<unknown>();
    const dump = JSON.stringify(e, (_k, v) => {
      if (v && typeof v === 'object') {
        if (seen.has(v)) return undefined;
        seen.add(v);
        if (v instanceof Error) return { ...v, message: v.message, stack: v.stack, cause: (v as Error & { cause?: unknown }).cause };
      }
      return v;
    });
    assert.ok(!dump.includes('hunter2-secret'), dump);
    assert.match(String((e.cause as Error).message), /WRONGPASS/);
  });
});
