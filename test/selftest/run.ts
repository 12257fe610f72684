// The selftest tier: runs runner.spec.js with mocha (spec reporter, so scripts/test.mjs counts its
// "N passing"), exiting non-zero if a check failed.
import { join } from 'node:path';
import Mocha from 'mocha';

const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', timeout: 360_000, slow: 60_000 });
mocha.addFile(join(__dirname, 'runner.spec.js'));
mocha.run((failures) => {
  process.exitCode = failures ? 1 : 0;
});
