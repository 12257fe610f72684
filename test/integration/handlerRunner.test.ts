// The handler runner (src/vscode/handlers/runner.ts, dist/handlerRunner.js) as the extension
// starts it, with this test as the extension: a local socket, {"ready"}, one message, the reply.
// When the extension's side of the socket goes away mid-run (a Cancel, or VS Code killed), the
// runner must not keep running the handler: nobody renews the entry's claim any more, a worker may
// take the message over, and the message would run twice at once. A handler that ignores its
// signal is ended with its process.
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toJsonPairs } from '../../src/core/messages/message';
import { LOST_GRACE_MS } from '../../src/vscode/handlers/runner';
import { waitFor } from './queue/helpers';

const RUNNER = join(__dirname, '..', '..', 'src', 'vscode', 'handlers', 'runner.js');

describe('(integration) the handler runner when the extension goes away', function () {
  this.timeout(30_000);
  let dir: string;
  let server: Server | undefined;
  let child: ChildProcess | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rq-runner-'));
    // Ignores its signal and keeps the event loop busy: only an exit ends it.
    writeFileSync(
      join(dir, 'stubborn.js'),
      `exports.handle = (m) => { require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'started'))}, m.id); setInterval(() => {}, 50); return new Promise(() => {}); };\n`,
    );
    writeFileSync(join(dir, 'quick.js'), `exports.handle = (m) => { if (m.raw[1].toString('hex') !== 'ff00') throw new Error('bytes changed'); };\n`);
  });
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
    server?.close();
    server = undefined;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts the runner on `module` and resolves with its connection once it said ready. */
  async function start(module: string, name: string): Promise<{ conn: Socket; exited: Promise<{ code: number | null; at: number }>; lines: string[] }> {
    const socketPath = join(dir, `${name}.sock`);
    const accepted = new Promise<Socket>((resolve) => {
      server = createServer(resolve);
      server.listen(socketPath);
    });
    await new Promise<void>((r) => server!.once('listening', () => r()));
    child = spawn(process.execPath, [RUNNER], { env: { ...process.env, RQ_HANDLER_SOCKET: socketPath, RQ_HANDLER_MODULE: join(dir, module), RQ_HANDLER_EXPORT: 'handle' }, stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<{ code: number | null; at: number }>((r) => child!.once('exit', (code) => r({ code, at: Date.now() })));
    const conn = await accepted;
    const lines: string[] = [];
    let buf = '';
    conn.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    await waitFor(() => lines.length > 0, 10_000, 'the runner to say ready');
    assert.deepEqual(JSON.parse(lines[0]!), { ready: true });
    return { conn, exited, lines };
  }

  const message = (id: string) => ({ message: { stream: 's', group: 'g', consumer: 'c', id, deliveries: 2, pairs: toJsonPairs([Buffer.from('bin'), Buffer.from([0xff, 0x00])]) } });

  it('answers a run: the message reaches the handler byte for byte, the reply says ok, the process exits 0', async () => {
    const { conn, exited, lines } = await start('quick.js', 'quick');
    conn.write(`${JSON.stringify(message('1-1'))}\n`);
    await waitFor(() => lines.length > 1, 10_000, 'the reply');
    assert.equal(JSON.parse(lines[1]!).ok, true, lines[1]);
    assert.equal((await exited).code, 0);
  });

  it('the extension\'s side closed mid-run: a handler that ignores its signal is ended with its process, about LOST_GRACE_MS later', async () => {
    const { conn, exited } = await start('stubborn.js', 'stubborn');
    conn.write(`${JSON.stringify(message('1-2'))}\n`);
    await waitFor(() => existsSync(join(dir, 'started')), 10_000, 'the handler to start');
    assert.equal(readFileSync(join(dir, 'started'), 'utf8'), '1-2');
    const closedAt = Date.now();
    conn.destroy(); // as when the extension host is killed
    const { code, at } = await exited;
    assert.equal(code, 3);
    assert.ok(at - closedAt >= LOST_GRACE_MS - 50, `ended ${at - closedAt} ms after the close: before the grace`);
  });
});
