import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { CannotConnectError, NoPermError, connectFailure, isTransient, scrubSecrets } from '../../src/core/redis/errors';
import { Inspector } from '../../src/core/inspect/inspect';
import * as ops from '../../src/core/ops';
import { StreamProducer } from '../../src/core/queue/stream/producer';
import { LiveTail } from '../../src/core/queue/stream/tail';
import { freePort, startSandbox, type Sandbox } from '../../src/core/dev/sandbox';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

const root = join(__dirname, '..', '..', '..');

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

/** A CA, a server certificate for "localhost" only, and a client certificate. */
function makeCerts(dir: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=rq-test-ca', '-keyout', 'ca.key', '-out', 'ca.crt'], dir);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost\n');
  for (const [name, cn, ext] of [['server', 'localhost', ['-extfile', 'san.ext']], ['client', 'rq-client', []]] as const) {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, ...ext], dir);
  }
}

describe('(integration) TLS: verification on by default, per-connection opt-out, SNI, client certificates', function () {
  this.timeout(30_000);
  let dir: string;
  let sb: Sandbox;
  let tlsPort: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rq-tls-'));
    makeCerts(dir);
    tlsPort = await freePort();
    sb = await startSandbox({
      args: ['--tls-port', String(tlsPort), '--tls-cert-file', join(dir, 'server.crt'), '--tls-key-file', join(dir, 'server.key'), '--tls-ca-cert-file', join(dir, 'ca.crt'), '--tls-auth-clients', 'optional'],
    });
  });
  after(async () => {
    await sb?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const ping = async (o: Parameters<typeof open>[0]) => {
    const c = await open({ connectTimeoutMs: 3000, ...o }, 'inspect');
    try {
      return await c.ping();
    } finally {
      await quit(c);
    }
  };

  it('connects with the CA to the name on the certificate', async () => {
    assert.equal(await ping({ url: `rediss://localhost:${tlsPort}`, tls: { ca: join(dir, 'ca.crt') } }), 'PONG');
  });
  it('refuses a host name the certificate does not name, unless SNI/servername names it', async () => {
    await assert.rejects(ping({ url: `rediss://127.0.0.1:${tlsPort}`, tls: { ca: join(dir, 'ca.crt') } }), (e: unknown) => e instanceof CannotConnectError && /IP|altnames|match/i.test((e as Error).message) && connectFailure(e)?.kind === 'tls-untrusted' && !isTransient(e));
    assert.equal(await ping({ url: `rediss://127.0.0.1:${tlsPort}`, tls: { ca: join(dir, 'ca.crt'), servername: 'localhost' } }), 'PONG');
  });
  it('refuses an unknown CA by default; rejectUnauthorized: false is an explicit opt-out', async () => {
    await assert.rejects(ping({ url: `rediss://localhost:${tlsPort}` }), (e: unknown) => e instanceof CannotConnectError && /certificate|self[- ]signed|verify/i.test((e as Error).message) && connectFailure(e)?.kind === 'tls-untrusted' && !isTransient(e));
    assert.equal(await ping({ url: `rediss://localhost:${tlsPort}`, tls: { rejectUnauthorized: false } }), 'PONG');
  });
  it('presents a client certificate (mutual TLS) when the server requires one', async () => {
    const mtlsPort = await freePort();
    const strict = await startSandbox({
      args: ['--tls-port', String(mtlsPort), '--tls-cert-file', join(dir, 'server.crt'), '--tls-key-file', join(dir, 'server.key'), '--tls-ca-cert-file', join(dir, 'ca.crt'), '--tls-auth-clients', 'yes'],
    });
    try {
      await assert.rejects(ping({ url: `rediss://localhost:${mtlsPort}`, tls: { ca: join(dir, 'ca.crt') } }));
      const pem = (f: string) => readFileSync(join(dir, f), 'utf8');
      assert.equal(await ping({ url: `rediss://localhost:${mtlsPort}`, tls: { ca: pem('ca.crt'), cert: pem('client.crt'), key: pem('client.key') } }), 'PONG');
    } finally {
      await strict.stop();
    }
  });
});

describe('(integration) the README ACL users: a viewer reads everything, an operator runs every operation', function () {
  this.timeout(30_000);
  let admin: Redis;
  const readmeAcl = readFileSync(join(root, 'README.md'), 'utf8').split('\n').filter((l) => /^user rq-(viewer|operator) /.test(l));
  const url = (user: string, pass: string) => redisUrl().replace('redis://', `redis://${user}:${pass}@`);

  before(async () => {
    assert.equal(readmeAcl.length, 2, 'README.md shows the two ACL users');
    admin = (await open({ url: redisUrl() })) as Redis;
    for (const line of readmeAcl) {
      const [, name, ...rules] = line.split(/\s+/);
      await admin.call('ACL', 'SETUSER', name!, 'reset', ...rules);
    }
  });
  after(async () => {
    await admin.call('ACL', 'DELUSER', 'rq-viewer', 'rq-operator');
    await quit(admin);
  });

  async function seeded(): Promise<{ s: string; ids: string[] }> {
    const s = `${uniqueKey('acl')}:s`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(String(await admin.xadd(s, '*', 'n', String(i))));
    await admin.xgroup('CREATE', s, 'g', '0');
    await admin.xreadgroup('GROUP', 'g', 'c1', 'STREAMS', s, '>');
    return { s, ids };
  }

  it('the viewer sees the tree and is refused writes with NOPERM naming the command', async () => {
    const { s, ids } = await seeded();
    const insp = await Inspector.open({ url: url('rq-viewer', 'viewer-password') });
    try {
      assert.ok((await insp.scanStreams({ match: `${s.split(':s')[0]}*` })).keys.includes(s));
      await insp.serverSummary();
      await insp.stream(s);
      assert.equal((await insp.groups(s))[0]!.pending, 5);
      await insp.consumers(s, 'g');
      assert.equal((await insp.pendingPage(s, 'g')).entries.length, 5);
      await insp.entriesPage(s);
      await insp.listQueues({ match: 'none-*' });
      // The tail view's reader (XINFO STREAM, XREVRANGE, XREAD) with the viewer's rights.
      const live = new LiveTail({ connection: { url: url('rq-viewer', 'viewer-password') }, stream: s, from: '0' });
      try {
        const r = await live.read(3);
        assert.deepEqual([r!.entries.map((e) => e.id), r!.skipped], [ids.slice(2), 2]);
      } finally {
        live.close();
      }
      const t = { client: insp.client, name: 'viewer' };
      await assert.rejects(ops.ack(t, s, 'g', [ids[0]!]), (e: unknown) => e instanceof NoPermError && /No permission to run XACK/.test((e as Error).message));
      await assert.rejects(ops.trim(t, s, { maxlen: 0 }), (e: unknown) => e instanceof NoPermError && /XTRIM/.test((e as Error).message));
      assert.equal(await admin.xlen(s), 5);
    } finally {
      insp.close();
    }
  });

  it('the operator runs ack, claim, auto-claim, dead-letter, replay, trim, group admin and the producer', async () => {
    const { s, ids } = await seeded();
    const c = await open({ url: url('rq-operator', 'operator-password') });
    const t = { client: c, name: 'operator' };
    try {
      assert.equal((await ops.ack(t, s, 'g', [ids[0]!])).acked, 1);
      assert.deepEqual((await ops.claim(t, s, 'g', 'c2', [ids[1]!])).claimed, [ids[1]]);
      assert.ok((await ops.autoClaim(t, s, 'g', 'c3', { minIdleMs: 0 })).claimed.length >= 3);
      assert.equal((await ops.deadLetter(t, s, 'g', [ids[2]!])).moved.length, 1);
      assert.equal((await ops.replay(t, `${s}:dlq`, { ratePerSecond: 1000 })).replayed.length, 1);
      await ops.createGroup(t, s, 'g2', { from: '0' });
      await ops.setGroupId(t, s, 'g2', '$');
      await ops.destroyGroup(t, s, 'g2');
      assert.equal(await ops.trim(t, s, { maxlen: 3 }), 3);
      const producer = new StreamProducer(c, { stream: s });
      assert.equal((await producer.publishBatch([{ a: '1' }, { a: '2' }])).length, 2);
    } finally {
      await quit(c);
    }
  });

  it('error messages never carry the password', async () => {
    await assert.rejects(Inspector.open({ url: url('rq-viewer', 'not-the-password-42') }), (e: unknown) => !(e as Error).message.includes('not-the-password-42'));
    assert.equal(scrubSecrets('redis://u:p4ss@h:1 AUTH u p4ss password=p4ss'), 'redis://u:***@h:1 AUTH u *** password=***');
  });
});
