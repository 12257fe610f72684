// Acks that ride with a read on the blocking connection are sent again on the command connection
// when that read does not answer (a stalled connection): finished entries do not stay pending.
// The stall is real: a TCP relay between the worker and redis-server stops passing on what the
// worker's blocking connection sends (it names itself "…:blocking" in its handshake).
import * as assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { open, parseRedisUrl, quit, type RedisClient } from '../../../src/core/redis/connection';
import { StreamWorker } from '../../../src/core/queue';
import { redisUrl, uniqueKey } from '../../support/integrationHooks';
import { pendingCount, waitFor } from './helpers';

interface Relay {
  url: string;
  /** Holds (does not pass on) what blocking connections send, until `resume`. */
  stall(): void;
  /** What is held so far (the commands, as RESP text). */
  holding(): string;
  resume(): void;
  close(): Promise<void>;
}

async function startRelay(target: string): Promise<Relay> {
  const { host, port } = parseRedisUrl(target);
  let stalled = false;
  const conns: { upstream: Socket; blocking: boolean; held: Buffer[]; sockets: Socket[] }[] = [];
  const server: Server = createServer((client) => {
    const upstream = connect(port, host);
    const c = { upstream, blocking: false, held: [] as Buffer[], sockets: [client, upstream] };
    conns.push(c);
    client.on('data', (d: Buffer) => {
      if (!c.blocking && d.includes(':blocking')) c.blocking = true;
      if (c.blocking && stalled) c.held.push(d);
      else upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => client.write(d));
    for (const s of c.sockets) {
      s.on('error', () => undefined);
      s.on('close', () => c.sockets.forEach((x) => x.destroy()));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${addr.port}`,
    stall: () => (stalled = true),
    holding: () => conns.map((c) => Buffer.concat(c.held).toString('latin1')).join(''),
    resume: () => {
      stalled = false;
      for (const c of conns) for (const d of c.held.splice(0)) c.upstream.write(d);
    },
    close: async () => {
      for (const c of conns) c.sockets.forEach((x) => x.destroy());
      await new Promise((r) => server.close(r));
    },
  };
}

describe('(integration) queue: acks riding a stalled blocking connection', () => {
  let client: RedisClient;
  let relay: Relay;
  before(async () => {
    client = await open({ url: redisUrl() });
    relay = await startRelay(redisUrl());
  });
  after(async () => {
    await quit(client);
    await relay.close();
  });

  for (const scriptedReads of [true, false]) {
    it(`acks them on the command connection when the read carrying them does not answer (scriptedReads ${scriptedReads})`, async function () {
      this.timeout(20_000);
      const stream = uniqueKey('stall');
      const p = client.pipeline();
      for (let i = 0; i < 100; i++) p.xadd(stream, '*', 'n', String(i));
      await p.exec();
      const seen = new Map<string, number>();
      const w = new StreamWorker({ connection: { url: relay.url }, stream, group: 'g', startId: '0', concurrency: 10, batchSize: 10, blockMs: 500, scriptedReads, handler: (m) => {
        seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
        // From the 50th entry on, the blocking connection hangs: the next read (and the acks it carries) gets no answer.
        if (seen.size === 50) relay.stall();
      } });
      try {
        await w.start();
        await waitFor(() => seen.size >= 50, 5000, '50 handled');
        // The stall took hold: the next read is held by the relay, and every entry read before it has been handled.
        await waitFor(() => /xreadgroup|eval/i.test(relay.holding()) && w.stats.inFlight === 0, 5000, 'the next read held by the relay, nothing in flight');
        const handled = seen.size;
        assert.ok(handled < 100, `the stall stopped reading (${handled} handled)`);
        // Still stalled: the acks go again on the command connection within ~1.5 s.
        await waitFor(async () => (await pendingCount(client, stream, 'g')) === 0, 5000, 'every handled entry acked while the blocking connection is stalled');
        assert.equal(seen.size, handled, 'nothing read meanwhile');
        relay.resume();
        await waitFor(() => seen.size === 100, 10_000, 'all handled after the stall');
        await waitFor(async () => (await pendingCount(client, stream, 'g')) === 0 && w.stats.acked === 100, 5000, 'all acked');
        assert.equal(w.stats.acked, 100, 'each entry counted once though two XACKs carried some');
        assert.ok([...seen.values()].every((k) => k === 1));
      } finally {
        relay.resume();
        await w.stop();
      }
    });
  }
});
