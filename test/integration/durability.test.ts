// The producer's durability option: WAIT for replicas after publishing, and a distinct
// "written, not yet replicated" when they do not confirm in time.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/connection';
import { NotReplicatedError, StreamProducer } from '../../src/core/queue/stream/producer';
import { startSandbox, type Sandbox } from '../../src/core/sandbox';
import { uniqueKey } from '../support/integrationHooks';
import { waitFor } from './queue/helpers';

describe('(integration) producer durability (WAIT for replicas)', function () {
  this.timeout(60_000);
  let master: Sandbox;
  let replica: Sandbox;
  let client: Redis;
  let replicaClient: Redis;
  before(async () => {
    master = await startSandbox();
    replica = await startSandbox();
    client = (await open({ url: master.url })) as Redis;
    replicaClient = (await open({ url: replica.url })) as Redis;
    await replicaClient.replicaof('127.0.0.1', String(master.port));
    await waitFor(async () => /master_link_status:up/.test(String(await replicaClient.info('replication'))), 20_000, 'the replica in sync');
  });
  after(async () => {
    await quit(client);
    await quit(replicaClient);
    await replica?.stop();
    await master?.stop();
  });

  it('publish and publishBatch resolve once a replica has the messages; the replica holds them', async () => {
    const s = uniqueKey('dur');
    const p = new StreamProducer(client, { stream: s, durability: { replicas: 1, timeoutMs: 2000 } });
    const id = await p.publish({ n: '1' });
    const ids = await p.publishBatch(Array.from({ length: 600 }, (_, i) => ({ n: String(i + 2) })));
    // WAIT returned: the replica acknowledged these writes.
    assert.equal(await replicaClient.xlen(s), 601);
    assert.deepEqual((await replicaClient.xrange(s, ids.at(-1)!, ids.at(-1)!))[0]![0], ids.at(-1));
    assert.ok(id);
  });

  it('when fewer replicas confirm in time: NotReplicatedError with the ids, and the messages are in the stream', async () => {
    const s = uniqueKey('dur2');
    const p = new StreamProducer(client, { stream: s, durability: { replicas: 2, timeoutMs: 150 } });
    const e = await p.publish({ n: '1' }).then(
      () => assert.fail('expected NotReplicatedError'),
      (x: unknown) => x,
    );
    assert.ok(e instanceof NotReplicatedError);
    assert.equal(e.code, 'NOT_REPLICATED');
    assert.deepEqual([e.replicas, e.wanted, e.ids.length], [1, 2, 1]);
    assert.match(e.message, /^Written, not yet replicated: message \d+-\d+ reached 1 of 2 replicas within 150 ms/);
    assert.equal(await client.xlen(s), 1);
    const b = await p.publishBatch([{ n: '2' }, { n: '3' }]).catch((x: unknown) => x);
    assert.ok(b instanceof NotReplicatedError && b.ids.length === 2);
    assert.equal(await client.xlen(s), 3);
  });

  it('CLI publish --wait-replicas: ids printed, exit 0 when confirmed, 3 when not', () => {
    const cli = join(__dirname, '..', '..', '..', 'dist', 'cli.js');
    const s = uniqueKey('dur3');
    const ok = spawnSync(process.execPath, [cli, 'publish', s, 'a=1', '--wait-replicas', '1', '--url', master.url], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    const short = spawnSync(process.execPath, [cli, 'publish', s, 'a=2', '--wait-replicas', '2', '--wait-replicas-ms', '100', '--url', master.url], { encoding: 'utf8' });
    assert.equal(short.status, 3, short.stderr);
    assert.match(short.stdout, /^\d+-\d+\n$/);
    assert.match(short.stderr, /Written, not yet replicated: .* reached 1 of 2 replicas within 100 ms/);
  });
});
