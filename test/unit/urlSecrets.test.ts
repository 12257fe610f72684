// Passwords in connection URLs never show in messages, however malformed the URL (a "/", "?",
// "#", "@" or space in a password that was not percent-encoded), and such URLs get a hint on how
// to write them. Also: NOAUTH reads "Password required", and the "did not answer" errors.
import * as assert from 'node:assert/strict';
import { connectionFrom, describeFailure } from '../../src/cli/common';
import { parseCommandLine } from '../../src/cli/main';
import { UsageError } from '../../src/cli/args';
import { parseRedisUrl, stripPassword } from '../../src/core/redis/connection';
import { AuthError, NoAnswerError, connectionSecrets, formatWait, redactUrl, scrubSecrets, toQueueError } from '../../src/core/redis/errors';

/** URLs whose password holds characters that break a URL unless percent-encoded. */
const BROKEN: { url: string; secret: string[] }[] = [
  { url: 'redis://:Zq/7x@127.0.0.1:6379', secret: ['Zq', '7x'] },
  { url: 'redis://user:Zq/7x@127.0.0.1:6379', secret: ['Zq', '7x'] },
  { url: 'redis://:Zq#7x@127.0.0.1:6379', secret: ['Zq', '7x'] },
  { url: 'redis://:Zq?7x@127.0.0.1:6379', secret: ['Zq', '7x'] },
  { url: 'redis://:123/456@127.0.0.1:6379', secret: ['123', '456'] },
  { url: 'rediss://user:6379/T0pS3cret@host:6380', secret: ['T0pS3cret', '6379/T0p'] },
  { url: 'redis://:Zq/7x?Wv#Yk@Jm@127.0.0.1:6379', secret: ['Zq', '7x', 'Wv', 'Yk', 'Jm'] },
];

function assertHidden(text: string, secrets: string[]): void {
  for (const s of secrets) assert.ok(!text.includes(s), `${JSON.stringify(text)} shows ${JSON.stringify(s)}`);
}

describe('(unit) URL secrets: scrubbing and malformed URLs', () => {
  it('scrubSecrets hides a password up to the last "@" of the URL, even with / ? # @ : in it', () => {
    assert.equal(scrubSecrets('redis://:pa/ss@127.0.0.1:6379'), 'redis://***@127.0.0.1:6379');
    assert.equal(scrubSecrets('redis://bob:pa/ss@127.0.0.1:6379/0'), 'redis://bob:***@127.0.0.1:6379/0');
    assert.equal(scrubSecrets('got "redis://:p@ss#?/x@h:1" here'), 'got "redis://***@h:1" here');
    assert.equal(scrubSecrets('rediss://u:a:b@h:1 and redis://v:c/d@g:2'), 'rediss://u:***@h:1 and redis://v:***@g:2');
    // Unchanged: the ordinary cases and text without credentials.
    assert.equal(scrubSecrets('redis://u:p4ss@h:1 AUTH u p4ss password=p4ss'), 'redis://u:***@h:1 AUTH u *** password=***');
    assert.equal(scrubSecrets('redis://alice@h:1'), 'redis://alice@h:1');
    assert.equal(scrubSecrets('Cannot connect to redis://127.0.0.1:6379: connect ECONNREFUSED 127.0.0.1:6379'), 'Cannot connect to redis://127.0.0.1:6379: connect ECONNREFUSED 127.0.0.1:6379');
    for (const { url, secret } of BROKEN) assertHidden(scrubSecrets(`error for ${url}: bad`), secret);
  });

  it('redactUrl shows nothing before the last "@", with or without a scheme, spaces included', () => {
    assert.equal(redactUrl('redis://:pa/ss@127.0.0.1:6379'), 'redis://***@127.0.0.1:6379');
    assert.equal(redactUrl('u:pa ss@host:1'), '***@host:1');
    assert.equal(redactUrl('redis://host:1/0'), 'redis://host:1/0');
    assert.ok(redactUrl(`redis://${'x'.repeat(200)}`).length <= 81);
  });

  for (const { url, secret } of BROKEN) {
    it(`parseRedisUrl refuses ${JSON.stringify(url)} without echoing its password, with a hint`, () => {
      assert.throws(
        () => parseRedisUrl(url),
        (e: Error) => {
          assertHidden(e.message, secret);
          assert.match(e.message, /percent-encoded: write \/ as %2F/);
          assert.match(e.message, /"rediss?:\/\/\*\*\*@[^"]*"/);
          return true;
        },
      );
    });
  }

  it('the CLI refuses them as bad arguments (exit 2), one line, no part of the password, with the hint', () => {
    for (const { url, secret } of BROKEN) {
      const args = (parseCommandLine(['inspect', '--url', url]) as { args: Parameters<typeof connectionFrom>[0] }).args;
      let thrown: unknown;
      try {
        connectionFrom(args, {}, 'inspect');
      } catch (e) {
        thrown = e;
      }
      assert.ok(thrown instanceof UsageError, `${url} was accepted`);
      const f = describeFailure(thrown, []);
      assert.equal(f.code, 2);
      assertHidden(f.message, secret);
      assert.match(f.message, /^redis-queues inspect: --url .*write \/ as %2F/);
      // From the environment too.
      const env = parseCommandLine(['inspect']) as { args: Parameters<typeof connectionFrom>[0] };
      assert.throws(() => connectionFrom(env.args, { REDIS_URL: url }, 'inspect'), (e: Error) => (assertHidden(e.message, secret), true));
    }
  });

  it('percent-encoded passwords keep working', () => {
    const p = parseRedisUrl('redis://bob:pa%2Fss%3F%23%40%25@127.0.0.1:6380/2');
    assert.deepEqual([p.username, p.password, p.host, p.port, p.db], ['bob', 'pa/ss?#@%', '127.0.0.1', 6380, 2]);
    // An "@" in a password is understood unencoded too (the last "@" ends the user information).
    assert.equal(parseRedisUrl('redis://:p@ss@127.0.0.1:6379').password, 'p@ss');
    assert.deepEqual(stripPassword('redis://bob:pa%2Fss@h:1'), { url: 'redis://bob@h:1', password: 'pa/ss', username: 'bob' });
  });
});

describe('(unit) errors: NOAUTH and servers that do not answer', () => {
  it('NOAUTH reads "Password required", WRONGPASS stays an authentication failure', () => {
    const noauth = toQueueError(new Error('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used'), { target: 'redis://h:1' });
    assert.ok(noauth instanceof AuthError);
    assert.match(noauth.message, /^Password required by redis:\/\/h:1: /);
    assert.match(toQueueError(new Error('NOAUTH Authentication required.'), { target: 'redis://h:1' }).message, /^Password required/);
    assert.match(toQueueError(new Error('WRONGPASS invalid username-password pair'), { target: 'redis://h:1' }).message, /^Authentication failed for redis:\/\/h:1: WRONGPASS/);
  });

  it('a write left unanswered says it may or may not have been applied; a read says what did not answer', () => {
    const write = new NoAnswerError({ target: 'redis://127.0.0.1:6379', timeoutMs: 10_000, command: 'xack' });
    assert.equal(write.code, 'NO_ANSWER');
    assert.equal(write.message, 'The server redis://127.0.0.1:6379 did not answer within 10 s; the XACK may or may not have been applied');
    const script = new NoAnswerError({ target: 'redis://h:1', timeoutMs: 1500, command: 'evalsha' });
    assert.match(script.message, /within 1\.5 s; the script call \(EVALSHA\) may or may not have been applied/);
    const read = new NoAnswerError({ target: 'redis://h:1', timeoutMs: 800, command: 'xpending' });
    assert.equal(read.outcomeUnknown, false);
    assert.match(read.message, /^The server redis:\/\/h:1 did not answer within 800 ms \(XPENDING\)/);
    // ioredis' own "Command timed out" (a client made elsewhere) becomes one too.
    const mapped = toQueueError(new Error('Command timed out'), { target: 'redis://h:1', command: 'XADD' });
    assert.ok(mapped instanceof NoAnswerError);
    assert.match(mapped.message, /the XADD may or may not have been applied/);
    assert.deepEqual([formatWait(10_000), formatWait(1500), formatWait(250), formatWait(60_000)], ['10 s', '1.5 s', '250 ms', '60 s']);
  });

  it('--wait and RQ_TIMEOUT_MS set the bound; nothing set leaves the default (no option at all)', () => {
    const spec = (argv: string[]) => (parseCommandLine(argv) as { args: Parameters<typeof connectionFrom>[0] }).args;
    assert.equal(connectionFrom(spec(['ack', 's', 'g', '1-0', '--wait', '1500']), {}, 'ack').commandTimeoutMs, 1500);
    assert.equal(connectionFrom(spec(['publish', 's', 'a=1']), { RQ_TIMEOUT_MS: '2500' }, 'publish').commandTimeoutMs, 2500);
    assert.equal(connectionFrom(spec(['tail', 's', '--wait', '700']), { RQ_TIMEOUT_MS: '2500' }, 'tail').commandTimeoutMs, 700);
    assert.ok(!('commandTimeoutMs' in connectionFrom(spec(['inspect']), {}, 'inspect')));
    assert.throws(() => connectionFrom(spec(['inspect']), { RQ_TIMEOUT_MS: 'soon' }, 'inspect'), /RQ_TIMEOUT_MS must be a whole number/);
    assert.throws(() => parseCommandLine(['inspect', '--wait', '0']), /--wait must be at least 1/);
    const f = describeFailure(new NoAnswerError({ target: 'redis://h:1', timeoutMs: 1500, command: 'XACK' }), []);
    assert.equal(f.code, 1);
    assert.match(f.message, /^redis-queues: The server redis:\/\/h:1 did not answer within 1\.5 s; the XACK may or may not have been applied \(to wait longer: --wait MS or RQ_TIMEOUT_MS\)$/);
  });

  it('every secret a connection holds (password, the URL\'s as written and decoded, TLS passphrase, Sentinel password) is scrubbed from a message by the one rule', () => {
    const o = { url: 'redis://u:p%40ss@h:1', password: 'pw1', tls: { passphrase: 'tls-pass' }, sentinel: { masterName: 'm', sentinels: ['h:2'], sentinelPassword: 'sent-pw' } };
    const secrets = connectionSecrets(o);
    assert.deepEqual([...secrets].sort(), ['p%40ss', 'p@ss', 'pw1', 'sent-pw', 'tls-pass'].sort());
    const text = 'failed: pw1 then p@ss, tls-pass, sent-pw and p%40ss (ERR invalid)';
    assert.equal(scrubSecrets(text, secrets), 'failed: *** then ***, ***, *** and *** (ERR invalid)');
    assert.deepEqual(connectionSecrets({ url: 'not a url' }), []);
  });
});
