/**
 * Calls a workspace handler on one message, in its own process: plainly (Run Handler) or under
 * VS Code's debugger (Debug Handler). The call resolves when the handler succeeded and rejects
 * with the handler's own error (message and stack) when it failed, so that it can stand in for a
 * `StreamHandler` of the core (`runOneMessage`): what is debugged runs through the worker's path.
 *
 * - A module handler runs in dist/handlerRunner.js (see runner.ts), which gets the message over a
 *   local socket: never on a command line or in the environment (a message may hold secrets and
 *   megabytes).
 * - A command handler gets the lossless JSON on stdin and the `RQ_*` variables, as `work --exec`
 *   gives it; exit 0 is success.
 *
 * Every wait is bounded: the process must connect within {@link CONNECT_MS}; the handler itself
 * runs until it returns, the run is stopped (the signal), or its process or debug session ends.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { type StreamMessage, execCommand, execEnv, execInput, messageObject } from '../../core/internal';
import { type ResolvedHandler, loaderArgs } from './handlerSpecs';

/** How long a started handler process may take to connect (a debug session starts in about 1.5 s). */
const CONNECT_MS = 60_000;
/** The last characters of a command handler's stderr kept for its error. */
const STDERR_TAIL = 2000;

export type HandlerMode = 'run' | 'debug';

/** Where a call's output goes (the console of a plain run; the debug console shows a debugged run's). */
export interface HandlerLog {
  append(text: string): void;
}

/** An error from the handler: its own message and stack (a stack into the user's source). */
export class HandlerError extends Error {
  constructor(message: string, stack: string | undefined, readonly handlerName = 'Error') {
    super(message);
    this.name = handlerName;
    if (stack) this.stack = stack;
  }
}

/** A handler failed before any message: its module or export cannot be loaded, or its process did not start. Nothing was taken from Redis. */
export class HandlerSetupError extends Error {}

/** A handler started and ready for its one message: {@link startHandler}. */
export interface StartedHandler {
  /** Calls the handler on `m`: resolves on success, rejects with a {@link HandlerError} on its failure. */
  call(m: StreamMessage, signal: AbortSignal): Promise<void>;
  /** Ends the process or debug session if it is still running. */
  dispose(): void;
}

export interface StartOptions {
  mode: HandlerMode;
  /** dist/handlerRunner.js */
  runnerPath: string;
  log: HandlerLog;
  /** Stops the start (and the run after it). */
  signal: AbortSignal;
  /** The debug session's name. */
  sessionName: string;
}

/**
 * Starts `h` so that it is ready for a message before anything is taken from Redis: a module is
 * loaded and its export found (else a {@link HandlerSetupError}); a command is only checked when
 * it runs. See the file's comment.
 */
export async function startHandler(h: ResolvedHandler, o: StartOptions): Promise<StartedHandler> {
  if (h.spec.launch && (o.mode === 'debug' || !h.spec.command)) {
    if (o.mode !== 'debug') throw new HandlerSetupError(`The handler is the launch configuration "${h.spec.launch}": it runs under the debugger (Debug Handler), or add a "command" to run it plainly`);
    return startLaunch(h, o);
  }
  if (h.spec.command) return { call: (m, signal) => callCommand(h, m, { log: o.log, signal }), dispose: () => undefined };
  return startModule(h, o);
}

/**
 * A launch configuration of the workspace, started for one message with the `RQ_*` variables
 * and RQ_MESSAGE_FILE (the lossless JSON, in a file only this user can read, removed after). Its
 * exit code, as its debugger reports it (the DAP `exited` event; VS Code's JavaScript debugger
 * sends none and says "Process exited with code N" for a code other than 0), is the result; a
 * session that ends without one is a failure ("no exit code"), so nothing is acked on a guess:
 * the outcome prompt then lets the person, who watched it run, decide.
 */
function startLaunch(h: ResolvedHandler, o: StartOptions): StartedHandler {
  const folder = h.folder;
  const configs = vscode.workspace.getConfiguration('launch', folder?.uri).get<vscode.DebugConfiguration[]>('configurations', []);
  const config = configs.find((c) => c.name === h.spec.launch);
  if (!config) throw new HandlerSetupError(`No launch configuration named "${h.spec.launch}" in ${folder ? `${folder.name}'s ` : ''}launch.json (its configurations: ${configs.map((c) => `"${c.name}"`).join(', ') || 'none'})`);
  let stop: () => void = () => undefined;
  return {
    dispose: () => stop(),
    async call(m, signal) {
      const dir = mkdtempSync(join(tmpdir(), 'rq-message-'));
      const file = join(dir, 'message.json');
      writeFileSync(file, execInput(m, m.group, m.consumer), { mode: 0o600 });
      const name = `${o.sessionName} (${config.name})`;
      const sessions = new Set<vscode.DebugSession>();
      let exitCode: number | undefined;
      let done: (() => void) | undefined;
      const ended = new Promise<void>((resolve) => (done = resolve));
      const belongs = (x: vscode.DebugSession | undefined): boolean => !!x && (sessions.has(x) || belongs(x.parentSession));
      const subs = [
        vscode.debug.onDidStartDebugSession((x) => {
          if ((!x.parentSession && x.configuration.name === name) || belongs(x.parentSession)) sessions.add(x);
        }),
        vscode.debug.registerDebugAdapterTrackerFactory('*', {
          createDebugAdapterTracker: (x) => ({
            onDidSendMessage: (msg: { type?: string; event?: string; body?: { exitCode?: number; category?: string; output?: string } }) => {
              if (msg.type !== 'event' || !(sessions.has(x) || belongs(x) || x.configuration.name === name)) return;
              // The DAP `exited` event; VS Code's JavaScript debugger sends none, but says "Process exited with code N".
              if (msg.event === 'exited' && typeof msg.body?.exitCode === 'number') exitCode = msg.body.exitCode;
              const said = msg.event === 'output' && msg.body?.category === 'stderr' ? /^Process exited with code (\d+)\s*$/.exec(msg.body.output ?? '') : null;
              if (said && exitCode === undefined) exitCode = Number(said[1]);
            },
          }),
        }),
        vscode.debug.onDidTerminateDebugSession((x) => {
          if (!x.parentSession && x.configuration.name === name) done?.();
        }),
      ];
      stop = () => {
        for (const x of sessions) if (!x.parentSession) void vscode.debug.stopDebugging(x);
      };
      const onAbort = () => stop();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        const started = await vscode.debug.startDebugging(folder, { ...config, name, env: { ...(config.env as Record<string, string> | undefined), ...execEnv(m, m.group, m.consumer), RQ_MESSAGE_FILE: file } });
        if (!started) throw new HandlerSetupError(`VS Code could not start the launch configuration "${config.name}"`);
        await ended;
        if (signal.aborted) throw new Error('stopped');
        if (exitCode === 0) return;
        throw new HandlerError(exitCode === undefined ? `The debug session of "${config.name}" ended without an exit code: its result is unknown` : `"${config.name}" exited with code ${exitCode}`, undefined);
      } finally {
        signal.removeEventListener('abort', onAbort);
        for (const d of subs) d.dispose();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function socketPath(): string {
  const name = `rq-handler-${process.pid}-${randomBytes(6).toString('hex')}`;
  return process.platform === 'win32' ? `\\\\.\\pipe\\${name}` : join(tmpdir(), `${name}.sock`);
}

function listen(path: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}

async function startModule(h: ResolvedHandler, o: StartOptions): Promise<StartedHandler> {
  const path = socketPath();
  const server = await listen(path);
  const env = { RQ_HANDLER_SOCKET: path, RQ_HANDLER_MODULE: h.modulePath!, RQ_HANDLER_EXPORT: h.spec.export || 'default' };
  const args = loaderArgs(h.modulePath!, h.cwd);
  const runtime = h.spec.runtimeExecutable || 'node';
  let ended: ((why: string) => void) | undefined;
  const endedEarly = new Promise<never>((_, reject) => {
    ended = (why) => reject(new HandlerSetupError(why));
  });
  endedEarly.catch(() => undefined);
  let stop: () => void = () => undefined;
  const disposables: vscode.Disposable[] = [];
  let stderr = '';
  const dispose = () => {
    server.close();
    stop();
    for (const d of disposables.splice(0)) d.dispose();
  };
  try {
    if (o.mode === 'run') {
      const child = spawn(runtime, [...args, o.runnerPath], { cwd: h.cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (d: Buffer) => o.log.append(d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => {
        o.log.append(d.toString('utf8'));
        stderr = (stderr + d.toString('utf8')).slice(-STDERR_TAIL);
      });
      child.on('error', (e) => ended?.(`Cannot start "${runtime}" for the handler: ${e.message}`));
      child.on('exit', (code, sig) => ended?.(`The handler's process ended before it was ready (${sig ? `signal ${sig}` : `exit code ${code}`})${stderr.trim() ? `: ${lastLines(stderr)}` : ''}${typescriptHint(args, stderr)}`));
      stop = () => {
        if (child.exitCode === null) child.kill('SIGKILL');
      };
    } else {
      const name = o.sessionName;
      const roots = [...new Set([h.cwd, dirname(h.modulePath!)])];
      // The launched configuration's own session (the program runs in a child session of it).
      let session: vscode.DebugSession | undefined;
      disposables.push(
        vscode.debug.onDidStartDebugSession((x) => {
          if (!session && !x.parentSession && x.configuration.name === name) session = x;
        }),
        vscode.debug.onDidTerminateDebugSession((x) => {
          if (x === session) ended?.('The debug session ended before the handler was ready');
        }),
      );
      stop = () => {
        if (session) void vscode.debug.stopDebugging(session);
      };
      const started = await vscode.debug.startDebugging(h.folder, {
        type: 'node',
        request: 'launch',
        name,
        program: o.runnerPath,
        runtimeExecutable: runtime,
        runtimeArgs: args,
        cwd: h.cwd,
        env,
        console: 'internalConsole',
        outputCapture: 'std',
        // TypeScript compiled beside or elsewhere in the folder: its .ts breakpoints bind through source maps.
        // (the folder's and the module's own folder: a module may live outside the workspace)
        outFiles: [...roots.map((r) => `${r}/**/*.(m|c|)js`), '!**/node_modules/**'],
        resolveSourceMapLocations: [...roots.map((r) => `${r}/**`), '!**/node_modules/**'],
        // Stepping stays in the user's code, not the runner's.
        skipFiles: ['<node_internals>/**', o.runnerPath],
      });
      if (!started) throw new HandlerSetupError('VS Code could not start the debug session (is the JavaScript debugger enabled?)');
    }
    const socket = await Promise.race([accept(server, o.signal), endedEarly]);
    const first = await Promise.race([readLine(socket, o.signal, () => `The handler's process ended before it was ready${stderr.trim() ? `: ${lastLines(stderr)}` : ''}${typescriptHint(args, stderr)}`), endedEarly]);
    if (!first.ready) throw new HandlerSetupError(`The handler cannot be loaded: ${first.error?.message ?? 'no answer'}${typescriptHint(args, `${first.error?.message ?? ''} ${stderr}`)}`);
    // From here the socket tells the end: an answer, or its close without one (the process ended).
    ended = undefined;
    let used = false;
    return {
      dispose,
      async call(m, signal) {
        if (used) throw new Error('a started handler takes one message');
        used = true;
        socket.write(`${JSON.stringify({ message: messageObject({ stream: m.stream, group: m.group, consumer: m.consumer, id: m.id, deliveries: m.deliveries }, m.raw) })}\n`);
        const reply = await readLine(socket, signal, () => `The handler's process ended before answering${stderr.trim() ? `: ${lastLines(stderr)}` : ''}`);
        if (reply.ok) return;
        throw new HandlerError(reply.error?.message ?? 'the handler failed', reply.error?.stack, reply.error?.name);
      },
    };
  } catch (e) {
    dispose();
    throw e instanceof HandlerSetupError || (e as Error).message === 'stopped' ? e : new HandlerSetupError((e as Error).message);
  }
}

/** The first connection to the server, bounded by {@link CONNECT_MS} and the signal. */
function accept(server: Server, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The handler's process did not start within ${CONNECT_MS / 1000} s`)), CONNECT_MS);
    const onAbort = () => reject(new Error('stopped'));
    signal.addEventListener('abort', onAbort, { once: true });
    server.once('connection', (s) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(s);
    });
  });
}

interface Reply {
  ready?: boolean;
  ok?: boolean;
  stage?: string;
  error?: { name?: string; message?: string; stack?: string };
  durationMs?: number;
}

/** The runner's next one-line message; a stop (the signal) closes the socket, which aborts the handler there. */
function readLine(socket: Socket, signal: AbortSignal, closedWhy: () => string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = () => {
      signal.removeEventListener('abort', onAbort);
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    const onAbort = () => {
      done();
      socket.destroy();
      reject(new Error('stopped'));
    };
    const onClose = () => {
      done();
      reject(new Error(closedWhy()));
    };
    const onData = (d: Buffer) => {
      text += d.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      // (The runner writes one line and waits for the next request: nothing follows a line.)
      done();
      try {
        resolve(JSON.parse(text.slice(0, nl)) as Reply);
      } catch (e) {
        reject(new Error(`The handler runner answered something unreadable: ${(e as Error).message}`));
      }
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', () => undefined);
  });
}

function lastLines(text: string, n = 6): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

function typescriptHint(args: string[], stderr: string): string {
  if (!args.includes('--experimental-strip-types') || !/bad option|unknown or unexpected option|ERR_UNKNOWN_FILE_EXTENSION|SyntaxError/.test(stderr)) return '';
  return '. To run a TypeScript handler, add tsx or ts-node to the project (npm i -D tsx), use Node 22.6 or later, or point "module" at the compiled JavaScript (breakpoints in the .ts still bind through source maps)';
}

/** A command handler (core execCommand): the message on stdin and in `RQ_*`; exit 0 is success, else its stderr's last line is in the error. */
async function callCommand(h: ResolvedHandler, m: StreamMessage, o: { log: HandlerLog; signal: AbortSignal }): Promise<void> {
  const text = (d: Buffer) => o.log.append(d.toString('utf8'));
  try {
    await execCommand(h.spec.command!, m, { group: m.group, consumer: m.consumer, cwd: h.cwd, signal: o.signal, stdout: text, stderr: text });
  } catch (e) {
    throw new HandlerError(`"${h.spec.command}": ${(e as Error).message}`, undefined);
  }
}
