// The extension tier's entry point: @vscode/test-electron's runTests() with scripts/code-server-exec
// as the "VS Code executable" (real VS Code cannot be downloaded here; code-server is a real VS Code
// from npm). A throwaway redis-server is started for the run and handed to the extension host in
// REDIS_URL; it is always stopped. Then the packaged .vsix is checked (vsix.test.js, plain mocha in
// Node), unless RQ_SKIP_VSIX=1 or RQ_SELFTEST_FAIL=1 (the selftest tier's deliberately failing run).
import { join } from 'node:path';
import Mocha from 'mocha';
import { runTests } from '@vscode/test-electron';
import { startSandbox, type Sandbox } from '../../src/core/dev/sandbox';

const root = join(__dirname, '..', '..', '..');

async function extensionHostTests(): Promise<boolean> {
  let redis: Sandbox | undefined;
  const stop = (sig: NodeJS.Signals) => {
    void redis?.stop().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    redis = await startSandbox();
    await runTests({
      vscodeExecutablePath: join(root, 'scripts', 'code-server-exec'),
      extensionDevelopmentPath: root,
      extensionTestsPath: join(root, 'out', 'test', 'extension', 'index.js'),
      extensionTestsEnv: { REDIS_URL: redis.url },
    });
    return true;
  } catch (e) {
    console.error(`extension-host tests failed: ${e instanceof Error ? e.message : String(e)}`);
    return false;
  } finally {
    await redis?.stop();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function vsixCheck(): Promise<boolean> {
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', timeout: 240_000, slow: 30_000 });
  mocha.addFile(join(__dirname, 'vsix.test.js'));
  return new Promise((resolve) => mocha.run((failures) => resolve(failures === 0)));
}

async function main(): Promise<number> {
  const hostOk = await extensionHostTests();
  const skipVsix = process.env.RQ_SKIP_VSIX === '1' || process.env.RQ_SELFTEST_FAIL === '1';
  const vsixOk = skipVsix ? true : await vsixCheck();
  return hostOk && vsixOk ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
