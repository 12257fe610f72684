/**
 * A command handler's run: one shell command per message (the CLI's `work --exec`, the editor's
 * Run Handler with a `command`), given the message as execMessage.ts says (stdin, `RQ_*`).
 *
 * The command runs in its own process group (POSIX), so that a timeout, a stop or the end of
 * this process reaches everything it started, not only the shell; a SIGTERM first, a SIGKILL
 * after {@link KILL_GRACE_MS}. And a watchdog in that group ends it when this process is gone
 * without a chance to do so (SIGKILL, the OOM killer, the editor killed): nobody renews the
 * message's claim any more, a worker takes the message over, and the command must not run on
 * beside it (never one message twice at once). On Windows the command is killed on its own.
 */
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { execEnv, execInput } from './execMessage';
import type { StreamMessage } from './options';

/** Process groups (POSIX): on Windows the command is killed on its own (child.kill). */
const GROUPS = process.platform !== 'win32';

/** Between SIGTERM and SIGKILL when the process group of a command is ended. */
export const KILL_GRACE_MS = 2000;

/** The process group of one command: the shell runs detached (its own group, pgid = its pid). */
interface ExecGroup {
  pgid: number;
  /** SIGTERM was sent; SIGKILL follows after the grace if anything is left. */
  ending: boolean;
  /** Resolves once the group is gone (or was sent SIGKILL). */
  gone: Promise<void>;
  release(): void;
}

/** Groups that may still have processes: ended when this process exits (see `exitHook`). */
const liveGroups = new Set<ExecGroup>();
let exitHookInstalled = false;

/** process.kill on a whole group; false when nobody is left in it (ESRCH). */
function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

/** When this process exits (stop, a second signal, a crash it sees) no command may outlive it: SIGKILL what is left (there is no time left for a grace). */
function exitHook(): void {
  for (const g of liveGroups) signalGroup(g.pgid, 'SIGKILL');
  liveGroups.clear();
}

function trackGroup(pgid: number): ExecGroup {
  let release!: () => void;
  const gone = new Promise<void>((r) => (release = r));
  const g: ExecGroup = {
    pgid,
    ending: false,
    gone,
    release: () => {
      liveGroups.delete(g);
      release();
    },
  };
  liveGroups.add(g);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', exitHook);
  }
  return g;
}

/** Ends a group: SIGTERM now, SIGKILL after {@link KILL_GRACE_MS} to whatever is left. Timers do not keep this process alive. */
function endGroup(g: ExecGroup): void {
  if (g.ending || !liveGroups.has(g)) return;
  g.ending = true;
  if (!signalGroup(g.pgid, 'SIGTERM')) return g.release();
  const started = Date.now();
  const poll = setInterval(() => {
    if (!signalGroup(g.pgid, 0)) {
      clearInterval(poll);
      g.release();
    } else if (Date.now() - started >= KILL_GRACE_MS) {
      clearInterval(poll);
      signalGroup(g.pgid, 'SIGKILL');
      g.release();
    }
  }, 50);
  poll.unref();
}

/** Ends every command still running and waits (at most the grace, plus a little) until they are gone. */
export async function endAllCommands(): Promise<void> {
  const all = [...liveGroups];
  for (const g of all) endGroup(g);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(all.map((g) => g.gone)), new Promise<void>((r) => (timer = setTimeout(r, KILL_GRACE_MS + 500)))]);
  clearTimeout(timer);
}

/**
 * The shell's script: a watchdog in the background (in the shell's group) blocked on reading fd 3,
 * a pipe whose other end only this process holds: it reads end-of-file when this process is gone
 * (the kernel closes the end), and then kills the whole group. The shell closes its own copy of
 * fd 3 before the command (the command never sees it), and on its exit kills and reaps the
 * watchdog, so a normal run leaves nothing behind. The shell's exit status is the command's.
 */
function guarded(cmd: string): string {
  if (!GROUPS) return cmd;
  return `(read _ <&3; kill -KILL 0) </dev/null >/dev/null 2>&1 & RQ_WATCHDOG=$!\ntrap 'kill $RQ_WATCHDOG 2>/dev/null; wait $RQ_WATCHDOG 2>/dev/null' EXIT\nexec 3<&-\n${cmd}`;
}

export interface ExecCommandOptions {
  /** The message's group and the consumer it runs as (RQ_GROUP, RQ_CONSUMER, and in the stdin object). */
  group: string;
  consumer: string;
  /** The command's environment, before the `RQ_*` variables (default this process's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The command is ended (its whole group) and counted as failed after this long, ms. */
  timeoutMs?: number;
  /** Ends the command (its whole group); the failure says `abortedWhy`. */
  signal: AbortSignal;
  abortedWhy?: string;
  /** Its standard output: this process's (inherit), or each chunk. */
  stdout: 'inherit' | ((chunk: Buffer) => void);
  /** Each chunk of its standard error (its last line also goes into the failure's message). */
  stderr(chunk: Buffer): void;
}

/**
 * Runs `cmd` on the message: resolves when it exits 0, rejects with `command failed (<why>): <the
 * last line of its standard error>` otherwise (an exit code, a signal, the timeout, a stop).
 */
export function execCommand(cmd: string, m: StreamMessage, o: ExecCommandOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (o.signal.aborted) return reject(new Error(`command not run (${o.abortedWhy ?? 'stopped'})`));
    const child = spawn(guarded(cmd), {
      shell: true,
      cwd: o.cwd,
      // Its own process group (and session): signals reach the whole command, a Ctrl-C in the
      // terminal reaches only this process (a worker stops gracefully, letting commands finish).
      detached: GROUPS,
      // fd 3: the watchdog's pipe (see guarded).
      stdio: ['pipe', o.stdout === 'inherit' ? 'inherit' : 'pipe', 'pipe', ...(GROUPS ? (['pipe'] as const) : [])],
      env: { ...(o.env ?? process.env), ...execEnv(m, o.group, o.consumer) },
    });
    // A detached child does not hold this process open (a stop ends its group; exitHook the rest).
    child.unref();
    const pg = GROUPS && child.pid ? trackGroup(child.pid) : undefined;
    const end = () => (pg ? endGroup(pg) : child.kill('SIGKILL'));
    if (typeof o.stdout === 'function') child.stdout!.on('data', o.stdout);
    child.stderr!.on('error', () => undefined);
    let stderrTail = '';
    child.stderr!.on('data', (d: Buffer) => {
      o.stderr(d);
      stderrTail = (stderrTail + d.toString()).slice(-1000);
    });
    child.stdin!.on('error', () => undefined); // the command need not read its stdin
    const watchdog = child.stdio[3] as Writable | null | undefined;
    watchdog?.on('error', () => undefined);
    child.stdin!.end(execInput(m, o.group, o.consumer));
    let timedOut = false;
    let aborted = false;
    const timer = o.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          end();
        }, o.timeoutMs)
      : undefined;
    const onAbort = () => {
      aborted = true;
      end();
    };
    o.signal.addEventListener('abort', onAbort, { once: true });
    /** After the shell exited: how long its pipes may stay open (held by a process that left its group) before they are closed. */
    let pipeTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(pipeTimer);
      o.signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    child.on('error', (e) => {
      if (pg) endGroup(pg);
      settle(new Error(`cannot run the command: ${e.message}`));
    });
    child.on('exit', () => {
      // The shell is gone; whatever it left running in its group (background jobs) goes too.
      if (pg) endGroup(pg);
      pipeTimer = setTimeout(() => {
        child.stdin!.destroy();
        child.stdout?.destroy();
        child.stderr!.destroy();
        watchdog?.destroy();
      }, KILL_GRACE_MS + 500);
      pipeTimer.unref();
    });
    child.on('close', (code, sig) => {
      if (code === 0 && !timedOut) return settle();
      const last = stderrTail.trim().split('\n').pop()?.trim();
      const why = timedOut ? `timed out after ${o.timeoutMs} ms` : aborted ? (o.abortedWhy ?? 'stopped') : sig ? `killed by ${sig}` : `exit code ${code}`;
      settle(new Error(`command failed (${why})${last ? `: ${last.slice(0, 300)}` : ''}`));
    });
  });
}
