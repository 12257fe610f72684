/**
 * The handler runner: a small Node program (dist/handlerRunner.js, no `vscode`) that calls the
 * workspace's own handler on one message. The extension starts it plainly (Run Handler) or under
 * VS Code's JavaScript debugger (Debug Handler: breakpoints in the handler hit), and talks to it
 * over a local socket (RQ_HANDLER_SOCKET), never the command line or the environment for data:
 *
 *   runner → extension   on connecting, after loading the module: {"ready": true}, or
 *                        {"ok": false, "stage": "load", "error": {…}} (the module or its export is
 *                        missing: nothing was taken from Redis yet)
 *   extension → runner   one line: {"message": <the lossless message object>}
 *   runner → extension   one line: {"ok": true, "durationMs": n} or {"ok": false, "error": {name, message, stack}, "durationMs": n}
 *
 * The handler gets the object the embedded worker gives (`StreamMessage`: stream, id, raw pairs
 * as Buffers byte for byte, fields, deliveries, group, consumer) and a context with a `signal`
 * (aborted when the extension gives up: the run was stopped; the process exits {@link LOST_GRACE_MS}
 * later if the handler has not returned, also when the extension's process is gone). It resolves = success; it throws or
 * rejects = failure. The module is loaded the way Node loads it (require, or import for ES
 * modules); a TypeScript module runs through the loader the run was started with (tsx, ts-node,
 * or Node's own type stripping).
 */
import { type Socket, createConnection } from 'node:net';
import { pathToFileURL } from 'node:url';
import { fromJsonPairs } from '../../core/messages/message';
import { parseFields } from '../../core/redis/replies';

/** How long a handler has to return after its run was closed (the signal) before this process exits. */
export const LOST_GRACE_MS = 1000;

interface Request {
  message: { stream: string; group: string; consumer: string; id: string; deliveries: number; pairs: unknown };
}

/** The exported function `name` of a loaded module (CommonJS or ES), or why there is none. */
export function pickExport(mod: unknown, name: string): ((...a: unknown[]) => unknown) | string {
  const m = mod as Record<string, unknown> | ((...a: unknown[]) => unknown) | null | undefined;
  const candidates: unknown[] = [];
  if (m && (typeof m === 'object' || typeof m === 'function')) {
    candidates.push((m as Record<string, unknown>)[name]);
    const d = (m as Record<string, unknown>).default;
    if (d && (typeof d === 'object' || typeof d === 'function')) candidates.push((d as Record<string, unknown>)[name]);
    if (name === 'default') candidates.push(d, typeof m === 'function' ? m : undefined);
  }
  const fn = candidates.find((c) => typeof c === 'function');
  if (fn) return fn as (...a: unknown[]) => unknown;
  const names = m && typeof m === 'object' ? Object.keys(m).filter((k) => typeof (m as Record<string, unknown>)[k] === 'function') : [];
  return `the module exports no function "${name}"${names.length ? ` (its functions: ${names.join(', ')})` : ''}`;
}

async function load(file: string): Promise<unknown> {
  if (/\.mjs$|\.mts$/.test(file)) return import(pathToFileURL(file).href);
  try {
    // The user's module, loaded as Node loads it (a loader given on the command line applies).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_REQUIRE_ESM' || code === 'ERR_REQUIRE_ASYNC_MODULE') return import(pathToFileURL(file).href);
    throw e;
  }
}

function errorOf(e: unknown): { name: string; message: string; stack?: string } {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: `the handler threw a non-error value: ${typeof e === 'string' ? e : JSON.stringify(e) ?? String(e)}` };
}

/** Lines from the socket, one at a time. */
function lines(conn: Socket): () => Promise<string> {
  let buffered = '';
  const waiting: ((line: string) => void)[] = [];
  const ready: string[] = [];
  conn.on('data', (d: Buffer) => {
    buffered += d.toString('utf8');
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const w = waiting.shift();
      if (w) w(line);
      else ready.push(line);
    }
  });
  return () => (ready.length ? Promise.resolve(ready.shift()!) : new Promise((resolve) => waiting.push(resolve)));
}

async function main(): Promise<void> {
  const socket = process.env.RQ_HANDLER_SOCKET;
  const file = process.env.RQ_HANDLER_MODULE;
  const name = process.env.RQ_HANDLER_EXPORT || 'default';
  if (!socket || !file) throw new Error('RQ_HANDLER_SOCKET and RQ_HANDLER_MODULE are required (the extension starts this program)');
  const conn = createConnection(socket);
  await new Promise<void>((resolve, reject) => {
    conn.once('connect', resolve);
    conn.once('error', reject);
  });
  const next = lines(conn);
  const abort = new AbortController();
  let finished = false;
  // The extension closing the connection (a stop, or its process gone) aborts the handler, and
  // this process ends soon after even if the handler ignores the signal: nobody renews the entry's
  // claim any more, so a worker may take the message over, and it must not run twice at once.
  const lost = () => {
    if (finished || abort.signal.aborted) return;
    abort.abort(new Error('the run was stopped'));
    setTimeout(() => {
      console.error('[redis-queues handler runner] the extension closed the run: the handler is ended');
      process.exit(3);
    }, LOST_GRACE_MS);
  };
  conn.on('end', lost);
  conn.on('error', lost);
  conn.on('close', lost);
  const send = (body: object) => conn.write(`${JSON.stringify(body)}\n`);
  const finish = (body: object) => {
    finished = true;
    return new Promise<void>((resolve) => conn.end(`${JSON.stringify(body)}\n`, () => resolve()));
  };
  let fn: (...a: unknown[]) => unknown;
  try {
    const picked = pickExport(await load(file), name);
    if (typeof picked === 'string') throw new Error(`${file}: ${picked}`);
    fn = picked;
  } catch (e) {
    return finish({ ok: false, stage: 'load', error: errorOf(e) });
  }
  send({ ready: true });
  const request = JSON.parse(await next()) as Request;
  const started = performance.now();
  try {
    const m = request.message;
    const raw = fromJsonPairs(m.pairs);
    const message = { stream: m.stream, id: m.id, raw, fields: parseFields(raw)!, deliveries: m.deliveries, group: m.group, consumer: m.consumer };
    await fn(message, { signal: abort.signal });
    await finish({ ok: true, durationMs: Math.round(performance.now() - started) });
  } catch (e) {
    await finish({ ok: false, error: errorOf(e), durationMs: Math.round(performance.now() - started) });
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(`[redis-queues handler runner] ${e instanceof Error ? e.message : String(e)}`);
      process.exit(2);
    },
  );
}
