import * as assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { open, quit, type ConnectionOptions } from '../../src/core/redis/connection';
import { CannotConnectError, AuthError, connectFailure, isTransient, toQueueError } from '../../src/core/redis/errors';
import { freePort, startSandbox, type Sandbox } from '../../src/core/dev/sandbox';
import { addConnectionHint as connectionHint, connectionHint as rowHint } from '../../src/vscode/connectionHints';

/**
 * Connection failures are classified once (connectFailure), by codes along the cause chain, from
 * real failures: the classification the explorer's rows, Add Connection's hints and `transient`
 * all read.
 */
describe('(integration) connection failures classified by their codes, from real failures', function () {
  this.timeout(30_000);
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox();
    const c = await open({ url: sb.url }, 'command');
    await c.config('SET', 'requirepass', 'the-right-one');
    await quit(c);
  });
  after(async () => {
    if (!sb) return;
    const c = await open({ url: sb.url, password: 'the-right-one' }, 'command').catch(() => undefined);
    if (c) {
      await c.config('SET', 'requirepass', '');
      await quit(c);
    }
    await sb.stop();
  });

  const failure = async (o: ConnectionOptions): Promise<unknown> => {
    try {
      const c = await open({ connectTimeoutMs: 2000, commandTimeoutMs: 2000, ...o }, 'inspect');
      await quit(c);
    } catch (e) {
      return e;
    }
    assert.fail(`connected to ${o.url}`);
  };

  it('a port nothing listens on: refused, with the address Node named; transient', async () => {
    const port = await freePort();
    const e = await failure({ url: `redis://127.0.0.1:${port}` });
    assert.ok(e instanceof CannotConnectError, String(e));
    assert.deepEqual(connectFailure(e), { kind: 'refused', code: 'ECONNREFUSED', address: `127.0.0.1:${port}` });
    assert.equal(isTransient(e), true);
    assert.match(connectionHint(e, `redis://127.0.0.1:${port}`)!, new RegExp(`Nothing listens at 127\\.0\\.0\\.1:${port}`));
    assert.deepEqual(rowHint(e, 'elsewhere:1'), { what: `nothing listens at 127.0.0.1:${port}`, todo: 'start Redis or the sandbox, or edit the connection', code: 'ECONNREFUSED' });
  });

  it('a wrong password: auth (WRONGPASS), not transient; no password: noauth (NOAUTH)', async () => {
    const wrong = await failure({ url: `redis://127.0.0.1:${sb.port}`, password: 'not-it' });
    assert.ok(wrong instanceof AuthError, String(wrong));
    assert.deepEqual(connectFailure(wrong), { kind: 'auth', code: 'WRONGPASS' });
    assert.equal(isTransient(wrong), false);
    assert.match(connectionHint(wrong, sb.url)!, /Wrong username or password/);
    assert.equal(rowHint(wrong, 'h:1')?.code, 'WRONGPASS');
    const none = await failure({ url: `redis://127.0.0.1:${sb.port}` });
    assert.ok(none instanceof AuthError, String(none));
    assert.deepEqual(connectFailure(none), { kind: 'noauth', code: 'NOAUTH' });
    assert.match(connectionHint(none, sb.url)!, /requires a password/);
  });

  it('a server that accepts the connection and never answers: no-answer, bounded', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const e = await failure({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 1000, commandTimeoutMs: 1000 });
      assert.ok(e instanceof CannotConnectError, String(e));
      assert.equal(connectFailure(e)?.kind, 'no-answer');
      assert.equal(isTransient(e), true);
      assert.match(connectionHint(e, `redis://127.0.0.1:${port}`)!, /accepted the connection but did not answer/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('rediss:// to a port without TLS: Redis never answers the handshake, and the hint names that', async () => {
    const e = await failure({ url: `rediss://127.0.0.1:${sb.port}`, password: 'the-right-one', tls: { rejectUnauthorized: false }, connectTimeoutMs: 1500, commandTimeoutMs: 1500 });
    assert.ok(e instanceof CannotConnectError, String(e));
    const kind = connectFailure(e)?.kind;
    assert.ok(kind === 'no-answer' || kind === 'timeout' || kind === 'tls-protocol' || kind === 'reset', `kind ${kind}`);
    assert.match(connectionHint(e, `rediss://127.0.0.1:${sb.port}`)!, /rediss:\/\/ to a port without TLS/);
  });

  it('codes, not texts: a table of Node and Redis codes, and texts that merely mention them', () => {
    const coded = (message: string, code: string) => Object.assign(new Error(message), { code });
    const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });
    const table: [unknown, string | undefined][] = [
      [coded('getaddrinfo ENOTFOUND nowhere.invalid', 'ENOTFOUND'), 'dns'],
      [coded('getaddrinfo EAI_AGAIN h', 'EAI_AGAIN'), 'dns'],
      [coded('connect EHOSTUNREACH 10.9.9.9:6379', 'EHOSTUNREACH'), 'unreachable'],
      [coded('read ECONNRESET', 'ECONNRESET'), 'reset'],
      [coded('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls-untrusted'],
      [coded('certificate has expired', 'CERT_HAS_EXPIRED'), 'tls-untrusted'],
      [coded("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'), 'tls-untrusted'],
      [coded('wrong version number', 'ERR_SSL_WRONG_VERSION_NUMBER'), 'tls-protocol'],
      [reply('WRONGPASS invalid username-password pair or user is disabled.'), 'auth'],
      [reply('NOAUTH Authentication required.'), 'noauth'],
      [reply('ERR invalid password'), 'auth'],
      [reply('ERR AUTH failed: invalid username-password pair'), 'auth'],
      // Texts that only mention a code are not that failure.
      [reply('ERR unknown command `ECONNREFUSED`, with args beginning with:'), undefined],
      [new Error('the TLS certificate of my key is self-signed'), undefined],
      [reply('WRONGTYPE Operation against a key holding the wrong kind of value'), undefined],
    ];
    for (const [e, kind] of table) {
      assert.equal(connectFailure(e)?.kind, kind, String(e));
      // Found through a QueueError's cause too.
      assert.equal(connectFailure(toQueueError(e, { target: 'redis://h:1' }))?.kind, kind, `wrapped ${String(e)}`);
    }
    assert.equal(isTransient(coded('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT')), false);
    assert.equal(isTransient(coded('getaddrinfo ENOTFOUND x', 'ENOTFOUND')), false);
    assert.equal(isTransient(coded('read ECONNRESET', 'ECONNRESET')), true);
    // ioredis' own errors without codes: by class name (kept in the bundles) or their fixed text.
    assert.equal(isTransient(Object.assign(new Error('Reached the max retries per request limit (which is 20). Refer to "maxRetriesPerRequest" option for details.'), { name: 'Error' })), true);
    assert.equal(isTransient(Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' })), true);
  });
});
