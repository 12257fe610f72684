#!/usr/bin/env node
// `npm start`: the extension running in a real VS Code in your browser, against a local Redis.
// Builds (esbuild + tsc), installs the tools (Node 24 + code-server, into .tools/), packages the
// extension (dist/redis-queues.vsix) and installs it into a fresh extensions folder, as a user
// would, so VS Code behaves like a desktop one (notifications pop up), starts a throwaway
// redis-server seeded with demo queues and live demo traffic, starts code-server on 127.0.0.1
// (port $PORT, or 8080; a free one if that is taken or PORT=0) with a "sandbox" connection, and
// prints the URL to open.
// Ctrl-C / SIGTERM stops everything it started and removes its temporary folders.
//
//   node scripts/start.mjs            run until Ctrl-C
//   node scripts/start.mjs --smoke    start, check the workbench answers, stop, exit 0
//   RQ_START_EXIT_AFTER_MS=5000 ...   stop and exit 0 that long after it is up
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { freePort, installExtension, portIsFree, repoRoot as root, startCodeServer } from './codeServer.mjs';

const require = createRequire(import.meta.url);
const smoke = process.argv.includes('--smoke');
const exitAfterMs = smoke ? 0 : Number(process.env.RQ_START_EXIT_AFTER_MS ?? -1);

function step(title, cmd, args) {
  console.log(`[start] ${title}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`[start] ${title} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

step('building the extension (node esbuild.js)', process.execPath, ['esbuild.js']);
step('compiling (tsc -p .)', process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.']);
step('installing tools (scripts/install-tools.sh)', 'bash', [join(root, 'scripts', 'install-tools.sh')]);
step('packaging the extension (npm run package)', 'npm', ['run', '--silent', 'package']);
const extensionsDir = mkdtempSync(join(tmpdir(), 'rq-start-extensions-'));
process.on('exit', () => rmSync(extensionsDir, { recursive: true, force: true }));
console.log('[start] installing dist/redis-queues.vsix into a fresh extensions folder');
installExtension(join(root, 'dist', 'redis-queues.vsix'), extensionsDir);

let redis;
let server;
let traffic;
let stopping;
function stopAll(code) {
  stopping ??= (async () => {
    console.log('[start] stopping demo traffic, code-server and redis-server');
    // Bounded: after a terminal's Ctrl-C, redis-server (same process group) may already be gone.
    await Promise.race([traffic?.stop().catch((e) => console.error(`[start] stopping demo traffic: ${e.message}`)), delay(3000)]);
    await server?.stop().catch((e) => console.error(`[start] stopping code-server: ${e.message}`));
    await redis?.stop().catch((e) => console.error(`[start] stopping redis-server: ${e.message}`));
    console.log('[start] stopped');
    process.exit(code);
  })();
  return stopping;
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

try {
  const { startSandbox } = require(join(root, 'out', 'src', 'core', 'dev', 'sandbox.js'));
  redis = await startSandbox();
  console.log(`[start] redis-server: ${redis.url}`);
  const demo = require(join(root, 'out', 'src', 'core', 'dev', 'demo.js'));
  await demo.seedDemo(redis.url);
  traffic = await demo.startDemoTraffic(redis.url);
  console.log('[start] seeded demo queues; demo traffic running (a producer and workers that succeed, fail and stall)');

  const wanted = Number(process.env.PORT ?? 8080);
  const port = wanted > 0 && (await portIsFree(wanted)) ? wanted : await freePort();
  if (port !== wanted) console.log(wanted > 0 ? `[start] port ${wanted} is taken; using ${port}` : `[start] using the free port ${port}`);
  server = await startCodeServer({
    port,
    extensionsDir,
    // The installed extension, not a development one: no smoke-test driver, so notifications show.
    smokeTestDriver: false,
    settings: { 'redisQueues.connections': [{ name: 'sandbox', url: redis.url }], 'redisQueues.thresholds.stuckConsumerIdleSeconds': 30 },
    timeoutMs: 120_000,
  });
  const url = `${server.url}/?folder=${encodeURIComponent(root)}`;
  console.log('\n[start] Redis Queues is running in VS Code (code-server). Open:\n');
  console.log(`  ${url}\n`);
  console.log(`[start] code-server log: ${server.logPath}; Ctrl-C stops everything.`);

  if (smoke) {
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    const html = await res.text();
    if (!res.ok || !/vscode|workbench/i.test(html)) throw new Error(`the workbench page answered ${res.status}`);
    console.log(`[start] smoke: workbench page answered ${res.status} (${html.length} bytes)`);
    await stopAll(0);
  } else if (exitAfterMs >= 0) {
    await delay(exitAfterMs);
    await stopAll(0);
  }
} catch (e) {
  console.error(`[start] ${e instanceof Error ? e.stack : e}`);
  await stopAll(1);
}
