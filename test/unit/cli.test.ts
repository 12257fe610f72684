import * as assert from 'node:assert/strict';
import { AuthError } from '../../src/core/redis/errors';
import { rawOf } from '../../src/core/messages/message';
import { type CommandSpec, UsageError, parseArgs, suggest } from '../../src/cli/args';
import { type CliIo, connectionFrom, describeFailure } from '../../src/cli/common';
import { entryLine, formatFields, table } from '../../src/cli/format';
import { type InspectDocument, renderInspection } from '../../src/cli/inspect';
import { parseCommandLine, run } from '../../src/cli/main';
import { messageFields, templated } from '../../src/cli/publish';

const spec: CommandSpec = {
  name: 'demo',
  summary: 'demo',
  positionals: [{ name: 'STREAM' }, { name: 'ID', variadic: true, required: false }],
  options: [
    { name: 'count', type: 'int', min: 1, description: '' },
    { name: 'name', type: 'string', description: '' },
    { name: 'dry-run', type: 'boolean', description: '' },
    { name: 'id', type: 'list', greedy: true, description: '' },
    { name: 'tag', type: 'list', description: '' },
  ],
};

function usage(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof UsageError && e.exitCode === 2 && re.test(e.message) && !e.message.includes('\n'));
}

/** Runs the CLI in-process with captured output (only for command lines that fail before connecting). */
async function runCaptured(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

describe('(unit) cli: argument parser', () => {
  it('parses positionals, variadic rest, --name value and --name=value, flags', () => {
    const a = parseArgs(spec, ['s1', 'a', '--count', '3', 'b', '--name=x=y', '--dry-run']);
    assert.deepEqual(a.positionals, { STREAM: 's1', ID: ['a', 'b'] });
    assert.deepEqual(a.options, { count: 3, name: 'x=y', 'dry-run': true });
    assert.equal(a.help, false);
  });
  it('takes everything after -- as positionals', () => {
    const a = parseArgs(spec, ['s', '--', '--count', '-x']);
    assert.deepEqual(a.positionals['ID'], ['--count', '-x']);
  });
  it('collects list options: repeated, and greedy ones until the next option', () => {
    const a = parseArgs(spec, ['s', '--id', '1-0', '2-0', '--tag', 'a', '--tag', 'b', '--id=3-0']);
    assert.deepEqual(a.options['id'], ['1-0', '2-0', '3-0']);
    assert.deepEqual(a.options['tag'], ['a', 'b']);
  });
  it('reports --help without validating the rest', () => {
    assert.equal(parseArgs(spec, ['--help']).help, true);
    assert.equal(parseArgs(spec, ['-h', '--count', 'x', '--bogus']).help, true);
    assert.equal(parseArgs(spec, ['s', '--', '--help']).help, false);
  });
  it('refuses bad numbers, values below the minimum and missing values', () => {
    usage(() => parseArgs(spec, ['s', '--count', 'ten']), /--count needs a whole number, got "ten"/);
    usage(() => parseArgs(spec, ['s', '--count', '1.5']), /whole number/);
    usage(() => parseArgs(spec, ['s', '--count', '0']), /--count must be at least 1, got 0/);
    usage(() => parseArgs(spec, ['s', '--count']), /--count needs a value/);
    usage(() => parseArgs(spec, ['s', '--name', '--count', '1']), /--name needs a value/);
  });
  it('refuses unknown options with a suggestion, without echoing their value', () => {
    usage(() => parseArgs(spec, ['s', '--cout', '3']), /unknown option --cout for "demo" \(did you mean --count\?\)/);
    usage(() => parseArgs(spec, ['s', '--zzzzzz=secret']), /^unknown option --zzzzzz for "demo"$/);
    usage(() => parseArgs(spec, ['s', '-q']), /unknown option -q/);
  });
  it('refuses repeated single-value options and values on flags', () => {
    usage(() => parseArgs(spec, ['s', '--count', '1', '--count', '2']), /--count was given more than once/);
    usage(() => parseArgs(spec, ['s', '--dry-run=maybe']), /--dry-run is a flag/);
    assert.equal(parseArgs(spec, ['s', '--dry-run=false']).options['dry-run'], false);
  });
  it('refuses missing and extra positionals', () => {
    usage(() => parseArgs(spec, []), /missing STREAM/);
    const two: CommandSpec = { ...spec, positionals: [{ name: 'A' }, { name: 'B' }] };
    usage(() => parseArgs(two, ['a', 'b', 'c']), /unexpected argument "c"/);
    usage(() => parseArgs(two, ['a']), /missing B/);
    const req: CommandSpec = { ...spec, positionals: [{ name: 'IDS', variadic: true }] };
    usage(() => parseArgs(req, []), /missing IDS \(one or more\)/);
  });
  it('escapes control characters of arguments in messages', () => {
    usage(() => parseArgs(spec, ['s', '--count', '\u001b[31m']), /\\x1b\[31m/);
  });
  it('suggests close names only', () => {
    assert.equal(suggest('inpsect', ['inspect', 'publish']), 'inspect');
    assert.equal(suggest('zzz', ['inspect', 'publish']), undefined);
  });
});

describe('(unit) cli: command line', () => {
  it('global help, command help, version', () => {
    assert.equal(parseCommandLine([]).kind, 'help');
    assert.equal(parseCommandLine(['--help']).kind, 'help');
    assert.equal(parseCommandLine(['--version']).kind, 'version');
    const h = parseCommandLine(['claim', '--help']);
    assert.ok(h.kind === 'help' && h.text.includes('Usage: redis-queues claim STREAM GROUP CONSUMER ID... [options]') && h.text.includes('--min-idle MS'));
    const h2 = parseCommandLine(['help', 'work']);
    assert.ok(h2.kind === 'help' && h2.text.includes('--max-deliveries N'));
  });
  it('unknown commands and options before the command', () => {
    usage(() => parseCommandLine(['inpsect']), /unknown command "inpsect" \(did you mean "inspect"\?\)/);
    usage(() => parseCommandLine(['--url', 'x', 'inspect']), /expected a command before options/);
  });
  it('connection options from arguments and the environment', () => {
    const a = parseArgs(parseRun(['inspect']).command.spec, []);
    assert.deepEqual(
      { ...connectionFrom(a, {}, 'inspect'), clientName: undefined },
      { url: 'redis://127.0.0.1:6379', mode: 'standalone', username: undefined, password: undefined, clientName: undefined },
    );
    const c = connectionFrom(a, { REDIS_URL: 'rediss://h:7000', REDIS_PASSWORD: 'pw', REDIS_USER: 'u' }, 'inspect');
    assert.equal(c.url, 'rediss://h:7000');
    assert.equal(c.password, 'pw');
    assert.equal(c.username, 'u');
    const b = parseArgs(parseRun(['inspect']).command.spec, ['--url', 'redis://x:1', '--cluster', '--password', 'p2', '--user', 'v']);
    const d = connectionFrom(b, { REDIS_PASSWORD: 'pw' }, 'inspect');
    assert.deepEqual([d.url, d.mode, d.password, d.username], ['redis://x:1', 'cluster', 'p2', 'v']);
  });
  it('connects through Sentinel with --sentinel and --master-name (or REDIS_SENTINELS, REDIS_MASTER_NAME)', () => {
    const a = parseArgs(parseRun(['inspect']).command.spec, ['--sentinel', '127.0.0.1:26379, 127.0.0.1:26380', '--master-name', 'mymaster']);
    const c = connectionFrom(a, {}, 'inspect');
    assert.deepEqual([c.mode, c.url, c.sentinel], ['sentinel', 'redis://127.0.0.1:26379', { masterName: 'mymaster', sentinels: ['127.0.0.1:26379', '127.0.0.1:26380'] }]);
    const e = connectionFrom(parseArgs(parseRun(['inspect']).command.spec, []), { REDIS_SENTINELS: 'h:1', REDIS_MASTER_NAME: 'm' }, 'inspect');
    assert.deepEqual([e.mode, e.sentinel], ['sentinel', { masterName: 'm', sentinels: ['h:1'] }]);
    usage(() => connectionFrom(parseArgs(parseRun(['inspect']).command.spec, ['--sentinel', 'h:1']), {}, 'inspect'), /--sentinel needs --master-name/);
    usage(() => connectionFrom(parseArgs(parseRun(['inspect']).command.spec, ['--sentinel', 'nope', '--master-name', 'm']), {}, 'inspect'), /--sentinel takes HOST:PORT/);
    usage(() => connectionFrom(parseArgs(parseRun(['inspect']).command.spec, ['--sentinel', 'h:1', '--master-name', 'm', '--cluster']), {}, 'inspect'), /do not go together/);
  });
});

function parseRun(argv: string[]) {
  const r = parseCommandLine(argv);
  if (r.kind !== 'run') throw new Error('expected a runnable command');
  return r;
}

describe('(unit) cli: bad arguments exit 2 with one line on stderr', () => {
  const cases: [string[], RegExp][] = [
    [['nope'], /unknown command "nope"/],
    [['publish'], /missing STREAM/],
    [['publish', 's'], /at least one FIELD=VALUE/],
    [['publish', 's', 'novalue'], /"novalue" is not FIELD=VALUE/],
    [['publish', 's', '--json', '{bad'], /--json is not valid JSON/],
    [['publish', 's', '--json', '[1,2]'], /Pair #1 of --json must be \[name, value\]/],
    [['publish', 's', '--json', '3'], /--json must be a JSON object/],
    [['publish', 's', 'a=1', '--count', '-3'], /--count must be at least 1/],
    [['publish', 's', 'a=1', '--exact'], /--exact only applies with --maxlen/],
    [['tail', 's', '--from', 'yesterday'], /--from must be "\$", "0" or a stream id/],
    [['tail', 's', '--limit', '0'], /--limit must be at least 1/],
    [['work', 's'], /--group is required/],
    [['work', 's', '--group', 'g', '--start', 'x'], /--start must be/],
    [['work', 's', '--group', 'g', '--timeout', '5'], /--timeout only applies with --exec/],
    [['work', 's', '--group', 'g', '--dlq', 's'], /--dlq must differ/],
    [['ack', 's', 'g'], /missing ID \(one or more\)/],
    [['ack', 's', 'g', '1-0', 'abc'], /"abc" is not a stream id/],
    [['claim', 's', 'g', 'c', '1-0', '--min-idle', 'soon'], /--min-idle needs a whole number/],
    [['autoclaim', 's', 'g', 'c'], /--min-idle is required/],
    [['dead-letter', 's', 'g', '12'], /"12" is not a stream id/],
    [['replay', 'dlq', '--id', 'x'], /"x" is not a stream id/],
    [['replay', 'dlq', '--rate', '0'], /--rate must be at least 1/],
    [['replay', 'dlq', '--to', 'dlq'], /--to must differ/],
    [['sandbox', '--port', '70000'], /--port must be at most 65535/],
    [['sandbox', '--url', 'redis://x'], /unknown option --url for "sandbox"/],
    [['inspect', '--url', 'http://localhost'], /--url must look like redis:\/\/host:port/],
    [['inspect', '--limit', '0'], /--limit must be at least 1/],
  ];
  for (const [argv, re] of cases) {
    it(argv.join(' '), async () => {
      const r = await runCaptured(argv);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, re);
      assert.equal(r.stderr.split('\n').length, 2, `one line: ${JSON.stringify(r.stderr)}`);
      assert.match(r.stderr, /^redis-queues.*\(see "redis-queues( \S+)? --help"\)\n$/);
    });
  }
  it('never echoes a password from the URL or the arguments', async () => {
    const r = await runCaptured(['inspect', '--url', 'http://user:hunter2@host:1']);
    assert.equal(r.code, 2);
    assert.ok(!r.stderr.includes('hunter2'), r.stderr);
    const f = describeFailure(new AuthError('redis://h:1', 'WRONGPASS hunter2 is wrong'), ['hunter2']);
    assert.equal(f.code, 1);
    assert.ok(!f.message.includes('hunter2'), f.message);
  });
  it('help and version exit 0 on stdout', async () => {
    const h = await runCaptured(['--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /Commands:[\s\S]*inspect[\s\S]*sandbox/);
    const v = await runCaptured(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^redis-queues (\d+\.\d+\.\d+|unknown)\n$/);
  });
});

describe('(unit) cli: output', () => {
  it('entry lines escape control characters, quote spaces and show binary as hex', () => {
    const raw = [...rawOf('a', 'x\ny', 'b c', 'two words', 'e', '', 'esc', '\u001b[2J', 'bin'), Buffer.from([0, 255])];
    const line = entryLine({ id: '1700000000000-0', raw });
    assert.equal(line, '1700000000000-0 2023-11-14T22:13:20.000Z a=x\\ny "b c"="two words" e="" esc=\\u001b[2J bin=<hex:00ff>');
    assert.equal(formatFields(null), '(deleted or trimmed)');
  });
  it('tables align columns and right-align numbers', () => {
    assert.deepEqual(table(['NAME', 'N'], [['a', 1], ['bbb', 100]], '  '), ['  NAME    N', '  a       1', '  bbb   100']);
  });
  it('publish fields: --json then arguments in order (non-strings as JSON text, $binary/base64 as bytes, repeated names kept), templating with an escape', () => {
    const f = messageFields({ help: false, positionals: { 'FIELD=VALUE': ['a=1=2', 'n={{i}}', '__proto__=x', 'lit=\\{{i}}'] }, options: { json: '{"o":{"x":1},"b":{"$binary":"00ff"},"c":{"base64":"//4="},"a":"json"}' } });
    assert.deepEqual(f, [['o', '{"x":1}'], ['b', Buffer.from([0, 255])], ['c', Buffer.from([0xff, 0xfe])], ['a', 'json'], ['a', '1=2'], ['n', '{{i}}'], ['__proto__', 'x'], ['lit', '\\{{i}}']]);
    const t = templated(f, 7);
    assert.deepEqual(t[5], ['n', '7']);
    assert.deepEqual(t[7], ['lit', '{{i}}']);
    const pairs = messageFields({ help: false, positionals: {}, options: { json: '[["z","1"],["10","2"],["1","3"],["z","4"],[{"base64":"//4="},"x"]]' } });
    assert.deepEqual(pairs, [['z', '1'], ['10', '2'], ['1', '3'], ['z', '4'], [Buffer.from([0xff, 0xfe]), 'x']].map(([k, v]) => [typeof k === 'string' ? Buffer.from(k) : k, Buffer.from(v as string)]));
  });
  it('renders an inspection with health marks', () => {
    const doc: InspectDocument = {
      schema: 'redis-queues/inspect@1',
      target: 'redis://h:1',
      server: { version: '7.2.0', mode: 'standalone', role: 'master' },
      generatedAt: '',
      match: '*',
      thresholds: { poisonDeliveries: 5, stuckIdleMs: 1000, lagWarning: 10 },
      truncated: false,
      errors: [{ key: 'gone', message: 'no such key' }],
      scan: { streams: { scannedKeys: 5_000_000, totalKeys: 10_000_000, done: false, calls: 900 }, listQueues: { scannedKeys: 10_000_000, totalKeys: 10_000_000, done: true, calls: 7000 }, continue: 'abc' },
      streams: [
        {
          key: 'orders\u001b', length: 3, firstEntryId: '1-0', lastEntryId: '3-0', lastGeneratedId: '3-0', lastEntryAgeMs: 2000, groupCount: 1, health: ['POISON', 'STUCK', 'LAGGING'],
          groups: [{
            name: 'g', consumerCount: 1, pending: 1, lag: 20, entriesRead: 1, lastDeliveredId: '1-0', oldestPendingId: '1-0', oldestPendingIdleMs: 5000, health: ['POISON', 'STUCK', 'LAGGING'],
            consumers: [{ name: 'c', pending: 1, idleMs: 5000, inactiveMs: null, health: ['STUCK'] }],
            oldestPending: [{ id: '1-0', consumer: 'c', idleMs: 5000, deliveries: 9, health: ['POISON'] }],
          }],
        },
      ],
      listQueues: [{ name: 'emails', waiting: 1, processing: 1, dead: 0, oldestProcessingAgeMs: 3_600_000, health: ['STUCK'] }],
    };
    const text = renderInspection(doc).join('\n');
    assert.match(text, /orders\\u001b\s+3\s+1-0\s+3-0\s+2s ago\s+1\s+POISON STUCK LAGGING/);
    assert.match(text, /c\s+1\s+5s\s+STUCK/);
    assert.match(text, /1-0\s+\S+\s+c\s+5s\s+9\s+POISON/);
    assert.match(text, /emails\s+1\s+1\s+0\s+1h 0m\s+STUCK/);
    assert.match(text, /Could not read \(1\)\n {2}gone: no such key/);
    assert.match(text, /Scanned within the budget \(streams: about 5 M of 10 M keys; list queues: whole keyspace\)\.\nGo on with: --continue abc/);
    assert.ok(!text.includes('\u001b'));
  });
});
