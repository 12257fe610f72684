/**
 * Which handler of the workspace processes a stream's messages: the `redisQueues.handlers`
 * setting (workspace settings, checked in beside the code in .vscode/settings.json), a list of
 *
 *   { "stream": "orders*", "group": "billing", "module": "src/billing.js", "export": "handle" }
 *   { "stream": "emails", "command": "python3 workers/email.py" }
 *
 * `stream` is a glob (`*`, `?`, `[…]`, as SCAN MATCH), `group` optional (any group when absent);
 * the first entry that matches is used. A `module` (JavaScript or TypeScript, relative to the
 * workspace folder) is loaded in a Node process and its `export` (default `default`) is called
 * with the worker's message object; a `command` gets the message as `work --exec` gives it (the
 * lossless JSON on stdin, `RQ_*` variables) and exit 0 means success.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as vscode from 'vscode';
import { globMatch } from '../../core/inspect/discovery';

export const HANDLERS_SETTING = 'handlers';

export interface HandlerSpec {
  stream: string;
  group?: string;
  module?: string;
  export?: string;
  command?: string;
  /**
   * A launch configuration of the workspace (its name in launch.json) that runs the handler for
   * one message under its own debugger (any language): it gets the `RQ_*` variables and
   * RQ_MESSAGE_FILE, a file holding the lossless JSON; exit code 0 is success. Debug Handler
   * starts it; Run Handler runs `command` (when given) instead.
   */
  launch?: string;
  /** Node to run a module with (default `node` from the PATH, as VS Code's JavaScript debugger does). */
  runtimeExecutable?: string;
  /** Run Handler gives up on the handler after this long (it is stopped and counted as failed). Default 300. */
  timeoutSeconds?: number;
}

/** Run Handler's bound on one call of the handler, ms. */
export function handlerTimeoutMs(spec: HandlerSpec): number {
  return (spec.timeoutSeconds ?? 300) * 1000;
}

/** A spec with where its paths are relative to. */
export interface ResolvedHandler {
  spec: HandlerSpec;
  /** The folder paths are relative to and the handler runs in (the workspace folder, or the module's own folder). */
  cwd: string;
  folder?: vscode.WorkspaceFolder;
  /** A module handler's absolute path. */
  modulePath?: string;
  /** "billing.js › handle", "python3 workers/email.py": how the handler is named in messages. */
  title: string;
}

/** Why a spec cannot be used, or undefined when it can. */
export function specProblem(x: unknown): string | undefined {
  if (!x || typeof x !== 'object') return 'each entry is an object: { "stream": "…", "module": "…", "export": "…" } or { "stream": "…", "command": "…" }';
  const s = x as Record<string, unknown>;
  if (typeof s.stream !== 'string' || !s.stream) return '"stream" (a name or a glob) is required';
  if (s.group !== undefined && typeof s.group !== 'string') return '"group" is a string';
  const hasModule = typeof s.module === 'string' && s.module !== '';
  const hasCommand = typeof s.command === 'string' && s.command !== '';
  const hasLaunch = typeof s.launch === 'string' && s.launch !== '';
  if (s.launch !== undefined && typeof s.launch !== 'string') return '"launch" is the name of a launch configuration';
  if (hasModule && (hasCommand || hasLaunch)) return 'give "module" (with "export"), or "command" and/or "launch", not both';
  if (!hasModule && !hasCommand && !hasLaunch) return 'give "module" (with "export"), "command" or "launch"';
  if (s.export !== undefined && typeof s.export !== 'string') return '"export" is a string';
  if (s.timeoutSeconds !== undefined && !(typeof s.timeoutSeconds === 'number' && Number.isFinite(s.timeoutSeconds) && s.timeoutSeconds > 0)) return '"timeoutSeconds" is a number of seconds above 0';
  return undefined;
}

/**
 * The handler specs, each with its folder; malformed entries come back as problems. Every level
 * counts, most specific first: a folder's, the workspace's, then the user's (a list in the
 * workspace's settings does not hide the user's own, as a plain setting would).
 */
export function readHandlers(): { specs: { spec: HandlerSpec; folder?: vscode.WorkspaceFolder }[]; problems: string[] } {
  const specs: { spec: HandlerSpec; folder?: vscode.WorkspaceFolder }[] = [];
  const problems: string[] = [];
  const folders: (vscode.WorkspaceFolder | undefined)[] = vscode.workspace.workspaceFolders?.length ? [...vscode.workspace.workspaceFolders] : [undefined];
  const add = (list: unknown, level: string, folder: vscode.WorkspaceFolder | undefined) => {
    if (list === undefined) return;
    if (!Array.isArray(list)) return void problems.push(`redisQueues.handlers (${level} settings) is a list`);
    list.forEach((x, n) => {
      const p = specProblem(x);
      if (p) problems.push(`redisQueues.handlers[${n}] (${level} settings): ${p}`);
      else specs.push({ spec: x as HandlerSpec, folder });
    });
  };
  // Each folder's own list; then the workspace's and the user's, once (paths relative to the first folder).
  // (In a single-folder workspace the folder's settings are the workspace's: read once, below.)
  if (vscode.workspace.workspaceFile) for (const folder of folders) if (folder) add(vscode.workspace.getConfiguration('redisQueues', folder.uri).inspect<unknown>(HANDLERS_SETTING)?.workspaceFolderValue, `folder ${folder.name}`, folder);
  const all = vscode.workspace.getConfiguration('redisQueues').inspect<unknown>(HANDLERS_SETTING);
  add(all?.workspaceValue, 'workspace', folders[0]);
  add(all?.globalValue, 'user', folders[0]);
  return { specs, problems };
}

/** The first declared handler for a stream and group (without a group, for a message not delivered in one: the stream's first). */
export function findHandler(stream: string, group: string | undefined): ResolvedHandler | undefined {
  const { specs } = readHandlers();
  const hit = specs.find(({ spec }) => globMatch(spec.stream, stream) && (spec.group === undefined || group === undefined || spec.group === group));
  return hit && resolveHandler(hit.spec, hit.folder);
}

export function resolveHandler(spec: HandlerSpec, folder?: vscode.WorkspaceFolder): ResolvedHandler {
  const base = folder?.uri.fsPath;
  if (spec.module) {
    const modulePath = isAbsolute(spec.module) ? spec.module : resolve(base ?? process.cwd(), spec.module);
    const inside = base !== undefined && !relative(base, modulePath).startsWith('..') && !isAbsolute(relative(base, modulePath));
    const name = inside ? relative(base, modulePath) : modulePath;
    return { spec, folder, modulePath, cwd: base ?? dirname(modulePath), title: `${name} › ${spec.export || 'default'}` };
  }
  return { spec, folder, cwd: base ?? process.cwd(), title: spec.launch ? `launch "${spec.launch}"` : spec.command! };
}

/** Saves a handler spec in the workspace settings (the folder's, in a multi-root workspace; the user's when no folder is open). */
export async function declareHandler(spec: HandlerSpec, folder?: vscode.WorkspaceFolder): Promise<void> {
  const config = vscode.workspace.getConfiguration('redisQueues', folder?.uri);
  const target = !folder ? vscode.ConfigurationTarget.Global : vscode.workspace.workspaceFile ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Workspace;
  // The list of that level only (the others are read beside it, not copied into it).
  const i = config.inspect<unknown>(HANDLERS_SETTING);
  const now = target === vscode.ConfigurationTarget.Global ? i?.globalValue : target === vscode.ConfigurationTarget.WorkspaceFolder ? i?.workspaceFolderValue : i?.workspaceValue;
  const list = Array.isArray(now) ? [...now] : [];
  list.unshift(spec);
  await config.update(HANDLERS_SETTING, list, target);
}

/**
 * The functions a JavaScript or TypeScript file appears to export (a guess from its text, for the
 * pick when a handler is declared): `export function x`, `export const x =`, `exports.x =`,
 * `module.exports = { x, y }`, `export default`.
 */
export function exportedFunctions(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/export\s+(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)/g)) names.add(m[1]!);
  for (const m of text.matchAll(/export\s+(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=/g)) names.add(m[1]!);
  for (const m of text.matchAll(/(?:module\.)?exports\.([A-Za-z_$][\w$]*)\s*=/g)) names.add(m[1]!);
  for (const m of text.matchAll(/module\.exports\s*=\s*\{([^}]*)\}/g)) for (const n of m[1]!.split(',')) {
    const k = /^\s*(?:async\s+)?([A-Za-z_$][\w$]*)/.exec(n)?.[1];
    if (k) names.add(k);
  }
  if (/export\s+default\b|module\.exports\s*=\s*(?:async\s+)?(?:function|\()/.test(text)) names.add('default');
  return [...names];
}

/**
 * Node arguments that let a TypeScript module load: the loader the project already has (tsx,
 * then ts-node), else Node's own type stripping (Node 22.6 and later). None for JavaScript.
 */
export function loaderArgs(modulePath: string, cwd: string): string[] {
  if (!/\.(c|m)?tsx?$/.test(modulePath)) return [];
  for (let dir = dirname(modulePath); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules', 'tsx', 'package.json'))) return ['--import', tsxLoader(dir)];
    if (existsSync(join(dir, 'node_modules', 'ts-node', 'package.json'))) return ['-r', join(dir, 'node_modules', 'ts-node', 'register', 'transpile-only')];
    if (dir === dirname(dir) || (relative(cwd, dir).startsWith('..') && dir !== cwd)) break;
  }
  return ['--experimental-strip-types', '--no-warnings=ExperimentalWarning'];
}

/** tsx's ESM entry by its file URL (cwd-independent), read from its package.json; else its name. */
function tsxLoader(dir: string): string {
  try {
    const root = join(dir, 'node_modules', 'tsx');
    const e = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports?: Record<string, unknown> }).exports?.['.'];
    const imp = e && typeof e === 'object' ? (e as Record<string, unknown>).import : e;
    const rel = typeof imp === 'string' ? imp : imp && typeof imp === 'object' ? (imp as Record<string, unknown>).default : undefined;
    return typeof rel === 'string' ? pathToFileURL(join(root, rel)).href : 'tsx';
  } catch {
    return 'tsx';
  }
}
