/**
 * The tail-view bench's extension-host side. code-server loads this module as extensionTestsPath
 * (like test/extension/index.ts) and calls run() inside the real extension host. It activates the
 * extension, finds the bench stream in the real tree under the connection seeded in settings, opens
 * a tail on it from '$' (the `redisQueues.tail.open` command, as a user would), and once the
 * webview says it is ready writes `ready.json` into RQ_TAILVIEW_DIR. Then, while the bench process
 * publishes, it samples the extension host's memory every RQ_TAILVIEW_SAMPLE_MS (default 5 s) with
 * TailPanel.stats, and records every `rendered` report of the webview (rows added, oldest and newest
 * id, the webview's Date.now() after putting them in the DOM, and the time the report reached the
 * extension host). When the bench writes `done.json` (the last id it published) it waits for the
 * view to show that id, takes the end samples and writes `result.json` for the bench to read.
 */
import { writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { PerformanceObserver } from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';
import { Session as InspectorSession } from 'node:inspector';
import * as vscode from 'vscode';
import type { RedisQueuesApi } from '../../src/vscode/activate';
import type { TailPanel, TailStats } from '../../src/vscode/tail/tailPanel';
import type { Node } from '../../src/vscode/tree/node';

const EXT = 'redis-queues.redis-queues';

export interface HostMem {
  /** ms since the producer started (negative before). */
  t: number;
  rssMiB: number;
  heapUsedMiB: number;
  /** Buffers outside the JS heap (socket write queues hold messages still on their way to the webview). */
  externalMiB: number;
  arrayBuffersMiB: number;
  /** True when a full GC ran just before (start and end samples, when gc could be exposed). */
  afterGc: boolean;
  /** V8's committed heap (what RSS holds for the JS heap) and its spaces, MiB. */
  heapTotalMiB?: number;
  spaces?: Record<string, { size: number; used: number }>;
  /** Garbage collections since the start: minor (scavenge) and major (mark-compact). */
  gcMinor?: number;
  gcMajor?: number;
  stats: TailStats;
}

/** One `rendered` report of a batch, as the extension host received it. */
export interface RenderedBatch {
  /** Rows this batch added to the view. */
  added: number;
  /** Rows in the view after it (at most maxRows). */
  rows: number;
  firstId: string;
  lastId: string;
  /** Webview Date.now() after the batch was put in the DOM. */
  at: number;
  /** Extension host Date.now() when the report arrived. */
  hostAt: number;
}

export interface HostResult {
  ok: boolean;
  error?: string;
  maxRows: number;
  readyAt: number;
  producerStart?: number;
  finalId?: string;
  caughtUp: boolean;
  catchUpMs?: number;
  gcExposed: boolean;
  memory: HostMem[];
  batches: RenderedBatch[];
  stats: TailStats;
}

function gcFn(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const g = runInNewContext('gc') as unknown;
    return typeof g === 'function' ? (g as () => void) : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function label(n: Node): string {
  const l = n.item().label;
  return typeof l === 'string' ? l : ((l as vscode.TreeItemLabel | undefined)?.label ?? '');
}

/** A node of the real tree, by labels from the root down (retried while the connection comes up). */
async function treePath(api: RedisQueuesApi, labels: string[], timeoutMs = 30_000): Promise<Node> {
  let found: Node | undefined;
  let last = '';
  await until(
    `tree path ${labels.join(' › ')}`,
    async () => {
      let node: Node | undefined;
      for (const name of labels) {
        const kids = await api.services.provider.getChildren(node);
        const next = kids.find((k) => label(k) === name);
        if (!next) {
          last = `no ${name}; children: ${kids.map(label).join(' | ')}`;
          return false;
        }
        node = next;
      }
      found = node;
      return true;
    },
    timeoutMs,
  ).catch((e: unknown) => {
    throw new Error(`${e instanceof Error ? e.message : String(e)} (${last})`);
  });
  return found!;
}

function post(s: InspectorSession, method: string, params: object): Promise<unknown> {
  return new Promise((resolve, reject) => s.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
}

export async function run(): Promise<void> {
  const dir = process.env.RQ_TAILVIEW_DIR;
  const conn = process.env.RQ_TAILVIEW_CONNECTION;
  const stream = process.env.RQ_TAILVIEW_STREAM;
  if (!dir || !conn || !stream) throw new Error('RQ_TAILVIEW_DIR, RQ_TAILVIEW_CONNECTION and RQ_TAILVIEW_STREAM are required');
  const sampleMs = Number(process.env.RQ_TAILVIEW_SAMPLE_MS ?? 5000);
  const gc = gcFn();
  let gcMinor = 0;
  let gcMajor = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === 1) gcMinor++;
      else gcMajor++;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const memory: HostMem[] = [];
  const batches: RenderedBatch[] = [];
  let panel: TailPanel | undefined;
  let producerStart: number | undefined;
  const result: HostResult = {
    ok: false,
    maxRows: vscode.workspace.getConfiguration('redisQueues').get<number>('tail.maxRows', 5000),
    readyAt: 0,
    caughtUp: false,
    gcExposed: Boolean(gc),
    memory,
    batches,
    stats: { received: 0, largestRead: 0, rendered: 0, rate: 0, skipped: 0, skippedExact: true, closed: false },
  };
  const sample = (withGc: boolean) => {
    if (withGc && gc) {
      gc();
      gc();
    }
    const m = process.memoryUsage();
    const spaces: Record<string, { size: number; used: number }> = {};
    for (const sp of getHeapSpaceStatistics()) spaces[sp.space_name] = { size: sp.space_size / 2 ** 20, used: sp.space_used_size / 2 ** 20 };
    memory.push({
      heapTotalMiB: getHeapStatistics().total_heap_size / 2 ** 20,
      spaces,
      gcMinor,
      gcMajor,
      t: producerStart === undefined ? Date.now() - result.readyAt : Date.now() - producerStart,
      rssMiB: m.rss / 2 ** 20,
      heapUsedMiB: m.heapUsed / 2 ** 20,
      externalMiB: m.external / 2 ** 20,
      arrayBuffersMiB: m.arrayBuffers / 2 ** 20,
      afterGc: withGc && Boolean(gc),
      stats: { ...(panel?.stats ?? result.stats) },
    });
  };
  let timer: NodeJS.Timeout | undefined;
  let profiler: InspectorSession | undefined;
  try {
    const api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    const node = await treePath(api, [conn, 'Streams', stream]);
    panel = (await vscode.commands.executeCommand<TailPanel>('redisQueues.tail.open', node, { from: '$' }))!;
    panel.panel.webview.onDidReceiveMessage((m: { type?: string; rows?: number; lastId?: string; firstId?: string; added?: number; at?: number }) => {
      if (m.type !== 'rendered' || typeof m.at !== 'number' || !m.added) return;
      batches.push({ added: m.added, rows: m.rows ?? 0, firstId: m.firstId ?? '', lastId: m.lastId ?? '', at: m.at, hostAt: Date.now() });
    });
    // The panel holds rows until the webview's script says it runs.
    await until('the tail webview to be ready', () => (panel as unknown as { ready: boolean }).ready, 60_000);
    result.readyAt = Date.now();
    sample(true);
    writeFileSync(join(dir, 'ready.json'), JSON.stringify({ at: result.readyAt, gcExposed: Boolean(gc) }));
    const startFile = join(dir, 'start.json');
    await until('the producer to start', () => existsSync(startFile), 60_000);
    producerStart = (JSON.parse(readFileSync(startFile, 'utf8')) as { at: number }).at;
    timer = setInterval(() => sample(false), sampleMs);
    // RQ_TAILVIEW_HEAPPROF=1: a sampling heap profile over the publishing window of what survives a
    // scavenge (promoted to old space) or is still live, by allocation site: heap-profile.json.
    if (process.env.RQ_TAILVIEW_HEAPPROF) {
      profiler = new InspectorSession();
      profiler.connect();
      await post(profiler, 'HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: process.env.RQ_TAILVIEW_HEAPPROF === 'all' });
    }
    const doneFile = join(dir, 'done.json');
    await until('the producer to finish', () => existsSync(doneFile), 30 * 60_000);
    const done = JSON.parse(readFileSync(doneFile, 'utf8')) as { finalId: string; at: number };
    result.finalId = done.finalId;
    const p = panel;
    await until('the view to show the last id published', () => p.stats.renderedLastId === done.finalId, 30_000).then(
      () => {
        result.caughtUp = true;
        result.catchUpMs = Date.now() - done.at;
      },
      () => undefined,
    );
    clearInterval(timer);
    timer = undefined;
    if (profiler) {
      const prof = await post(profiler, 'HeapProfiler.stopSampling', {});
      writeFileSync(join(dir, 'heap-profile.json'), JSON.stringify(prof));
      profiler.disconnect();
    }
    sample(false);
    sample(true);
    // V8 returns freed pages to the OS in the background: look again once it had time to.
    await sleep(5000);
    sample(true);
    result.stats = { ...panel.stats };
    result.ok = true;
  } catch (e) {
    result.error = e instanceof Error ? (e.stack ?? e.message) : String(e);
  } finally {
    if (timer) clearInterval(timer);
    gcObserver.disconnect();
    if (panel) result.stats = { ...panel.stats };
    panel?.dispose();
    writeFileSync(join(dir, 'result.json'), JSON.stringify(result));
  }
  if (!result.ok) throw new Error(result.error);
}
