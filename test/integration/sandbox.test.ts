import * as assert from 'node:assert/strict';
import { open, quit } from '../../src/core/redis/connection';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

describe('(integration) test redis-server', () => {
  it('answers on the URL the harness gives, with persistence off', async () => {
    const client = await open({ url: redisUrl() });
    try {
      const key = uniqueKey('hello');
      await client.set(key, 'v');
      assert.equal(await client.get(key), 'v');
      const save = (await client.config('GET', 'save')) as string[];
      assert.equal(save[1], '');
      const aof = (await client.config('GET', 'appendonly')) as string[];
      assert.equal(aof[1], 'no');
    } finally {
      await quit(client);
    }
  });
});
