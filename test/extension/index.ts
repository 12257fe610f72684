// The extension-host test index: VS Code (here code-server, through scripts/code-server-exec)
// loads this module inside the extension host and calls run(). It runs mocha on the compiled
// suites and writes mocha's spec report to the file named by RQ_TEST_REPORT (the only way the
// report leaves the extension host; code-server-exec prints it), rejecting when a test failed.
//
// RQ_GREP=<text> runs only the tests whose full title contains it (while working on one area).
// RQ_SELFTEST_FAIL=1 runs the self-test fixtures instead (one test passes, one fails), so the
// selftest tier can prove a failing extension-host suite makes the tier fail.
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const selftest = process.env.RQ_SELFTEST_FAIL === '1';
  const dir = selftest ? join(__dirname, '..', 'selftest', 'fixtures', 'exthost') : join(__dirname, 'suite');
  const reportFile = process.env.RQ_TEST_REPORT;
  if (reportFile) writeFileSync(reportFile, '');

  // Mocha's reporters print through Base.consoleLog; send each line to the report file as it comes
  // (so a hung run still leaves what it got to) and to the extension host's console.
  const original = Mocha.reporters.Base.consoleLog;
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => {
    const line = format(...args);
    if (reportFile) appendFileSync(reportFile, `${line}\n`);
    console.log(line);
  };
  Mocha.reporters.Base.useColors = false;

  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: 60_000, slow: 5_000, ...(process.env.RQ_GREP ? { grep: process.env.RQ_GREP } : {}) });
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(join(dir, f));

  return new Promise<void>((resolve, reject) => {
    if (!files.length) {
      reject(new Error(`no *.test.js files under ${dir}`));
      return;
    }
    try {
      mocha.run((failures) => {
        Mocha.reporters.Base.consoleLog = original;
        if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed`));
        else resolve();
      });
    } catch (e) {
      Mocha.reporters.Base.consoleLog = original;
      if (reportFile) appendFileSync(reportFile, `mocha could not run: ${e instanceof Error ? e.stack : String(e)}\n`);
      reject(e);
    }
  });
}
