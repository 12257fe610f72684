/**
 * `redis-queues/core/sandbox`: throwaway Redis servers for tests and demos (standalone, Cluster,
 * Sentinel; a `redis-server` on the PATH), and the demo data and traffic the extension's sandbox
 * shows. A supported entry point of the library (see src/core/index.ts); its report is
 * etc/redis-queues-core-sandbox.api.md.
 * @packageDocumentation
 */
export {
  startSandbox,
  startSandboxCluster,
  findRedisServer,
  redisServerVersion,
  type Sandbox,
  type SandboxOptions,
  type SandboxCluster,
  type SandboxClusterNode,
  type SandboxClusterOptions,
  type Persistence,
} from '../dev/sandbox';
export { startSandboxSentinel, type SandboxSentinel, type SandboxSentinelOptions } from '../dev/sandboxHa';
export { seedDemo, startDemoTraffic, DEMO_STREAMS, DEMO_LIST_QUEUE, type DemoTraffic, type DemoTrafficOptions } from '../dev/demo';
