import * as assert from 'node:assert/strict';
import { AuthError, scrubSecrets, toQueueError } from '../../src/core/redis/errors';

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

describe('(unit) errors: one transient kind for failovers, restarts and lost connections', () => {
  it('classifies failover and busy states as UNAVAILABLE, transient; lost connections and no answers as transient; settings problems not', async () => {
    const { toQueueError, isTransient } = await import('../../src/core/redis/errors');
    for (const m of ['MOVED 3999 127.0.0.1:6381', 'ASK 3999 127.0.0.1:6381', 'TRYAGAIN Multiple keys request during rehashing of slot', 'CLUSTERDOWN The cluster is down', 'LOADING Redis is loading the dataset in memory', "READONLY You can't write against a read only replica.", 'MASTERDOWN Link with MASTER is down', 'Too many Cluster redirections. Last error: Error: CLUSTERDOWN The cluster is down']) {
      const e = toQueueError(new Error(m));
      assert.equal(e.code, 'UNAVAILABLE', m);
      assert.equal(e.transient, true, m);
    }
    assert.equal(isTransient(new Error('Connection is closed.')), true);
    assert.equal(isTransient(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })), true);
    assert.equal(isTransient(new Error('self-signed certificate in certificate chain')), false);
    assert.equal(isTransient(new Error('WRONGPASS invalid username-password pair')), false);
    assert.equal(isTransient(new Error('WRONGTYPE Operation against a key holding the wrong kind of value')), false);
  });

  it('scrubSecrets hides password assignments but never a key name that merely starts with one', () => {
    assert.equal(scrubSecrets('password=hunter2 pass: hunter2 {"secret":"hunter2"}'), 'password=*** pass: *** {"secret":"***"}');
    for (const name of ['password:reset', 'secret:rotation:due', 'pass:1']) {
      assert.equal(scrubSecrets(`no stream "${name}" (key ${name})`), `no stream "${name}" (key ${name})`);
    }
  });
});
