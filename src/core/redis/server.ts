/**
 * What the server a client talks to can do, by its version: one `INFO server` per client (on a
 * Cluster, of one master), remembered for the client's life. The one capability probe of the core.
 */
import { type RedisClient, isCluster } from './connection';
import { type Capabilities, capabilities, parseInfo } from './replies';

const known = new WeakMap<RedisClient, Promise<Capabilities>>();

/** The server's capabilities (cached per client; a failed probe is not cached). */
export function serverCapabilities(client: RedisClient): Promise<Capabilities> {
  let p = known.get(client);
  if (!p) {
    p = (async () => {
      const info = parseInfo(String(await (isCluster(client) ? client.nodes('master')[0]!.info('server') : client.info('server'))));
      return capabilities(info['redis_version'] ?? '0');
    })();
    p.catch(() => known.delete(client));
    known.set(client, p);
  }
  return p;
}
