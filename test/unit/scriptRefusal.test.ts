import * as assert from 'node:assert/strict';
import { isPermanentScriptRefusal } from '../../src/core/queue/lua';

// Error texts as redis-server 7.0 sends them (the script suffix "script: <sha>, on
// @user_script:N." is dropped by runScript before the worker looks at them).
describe('(unit) scripts: which refusals turn scripted reads off', () => {
  it('permanent: ACL, renamed or disabled EVAL, a missing Lua library, a command scripts may not run', () => {
    for (const m of [
      "NOPERM User u has no permissions to run the 'evalsha' command",
      "ERR unknown command 'EVALSHA', with args beginning with: ",
      'ERR Unknown Redis command called from script',
      'ERR This Redis command is not allowed from script',
      "ERR user_script:6: Script attempted to access nonexistent global variable 'cmsgpack'",
      "ERR user_script:6: attempt to index global 'cmsgpack' (a nil value)",
      'ERR EVALSHA not allowed',
      "ERR The user executing the script can't run this command or subcommand",
    ]) assert.equal(isPermanentScriptRefusal(new Error(m)), true, m);
  });

  it('passing: BUSY, LOADING, READONLY, failover and cluster states, OOM, lost connections, data errors', () => {
    for (const m of [
      'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.',
      'LOADING Redis is loading the dataset in memory',
      "READONLY You can't write against a read only replica.",
      "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
      'CLUSTERDOWN The cluster is down',
      'TRYAGAIN Multiple keys request during rehashing of slot',
      "OOM command not allowed when used memory > 'maxmemory'.",
      'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.',
      'NOGROUP No such key \'s\' or consumer group \'g\'',
      'Connection is closed.',
      'Reached the max retries per request limit (which is 20). Refer to "maxRetriesPerRequest" option for details.',
      'read ECONNRESET',
    ]) assert.equal(isPermanentScriptRefusal(new Error(m)), false, m);
  });
});
