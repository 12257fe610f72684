// The tree on a Sentinel connection, inside a real VS Code, recovers by itself after the master
// dies and Sentinel promotes its replica: no Retry, the node says what is going on meanwhile.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { open, quit } from '../../../src/core/redis/connection';
import { startSandboxSentinel, type SandboxSentinel } from '../../../src/core/dev/sandboxHa';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import { desc, label, tree, until } from '../helpers';

const EXT = 'redis-queues.redis-queues';
let api: RedisQueuesApi;
const { kids, path, child } = tree(() => api);

describe('(extension) failover: the tree on a Sentinel connection', function () {
  this.timeout(120_000);
  let ha: SandboxSentinel | undefined;
  const prefix = `ha-${randomUUID().slice(0, 8)}`;
  const conn = `sentinel-${prefix}`;

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    ha = await startSandboxSentinel({ downAfterMs: 1000 });
    const c = await open(ha.connection);
    await c.xadd(`${prefix}:orders`, '*', 'n', '1');
    // Replication is asynchronous: the test kills the master, so the replica must hold the entry first.
    assert.equal(Number(await c.call('WAIT', 1, 5000)), 1, 'the replica confirms the entry');
    await quit(c);
    await vscode.workspace.getConfiguration('redisQueues').update('streamFilter', `${prefix}:*`, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('redisQueues.connection.add', {
      name: conn,
      url: `redis://${ha.sentinels[0]}`,
      mode: 'sentinel',
      sentinel: { masterName: ha.masterName, sentinels: ha.sentinels },
    });
    await until(conn, () => Boolean(api.services.sessions.get(conn)));
  });
  after(async () => {
    await vscode.commands.executeCommand('redisQueues.connection.remove', conn, { confirm: false });
    await vscode.workspace.getConfiguration('redisQueues').update('streamFilter', undefined, vscode.ConfigurationTarget.Global);
    await ha?.stop();
  });

  it('after the master is killed, says it is reconnecting and shows the streams again from the promoted replica by itself', async () => {
    assert.deepEqual((await kids(await path(conn, 'Streams'))).map(label), [`${prefix}:orders`]);
    const session = api.services.sessions.get(conn)!;
    const old = await ha!.killMaster();
    // The connection node says what is going on (no Retry needed).
    await until('the session notices the lost master', async () => {
      await kids(await path(conn)).catch(() => undefined);
      return session.state.kind !== 'connected';
    }, 30_000);
    assert.match(desc(await child(undefined, conn)), /reconnecting|connecting/);
    await ha!.waitForNewMaster(old, 60_000);
    await until('the session back on the new master by itself', () => session.state.kind === 'connected', 60_000);
    assert.deepEqual((await kids(await path(conn, 'Streams'))).map(label), [`${prefix}:orders`]);
  });
});
