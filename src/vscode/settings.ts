import * as vscode from 'vscode';
import { type HealthThresholds, type ListQueueLayout, checkListQueueLayout } from '../core/internal';

export const SECTION = 'redisQueues';

export interface ConnectionConfig {
  name: string;
  url: string;
  mode?: 'standalone' | 'cluster' | 'sentinel';
  username?: string;
  tls?: { ca?: string; cert?: string; key?: string; servername?: string; rejectUnauthorized?: boolean };
  sentinel?: { masterName: string; sentinels: string[] };
  readOnly?: boolean;
  production?: boolean;
}

/** Where a connection was defined; workspace-defined ones are not auto-connected in Restricted Mode. */
export type ConnectionOrigin = 'user' | 'workspace' | 'sandbox';

export interface Settings {
  refreshIntervalMs: number;
  streamFilter: string;
  scanPageSize: number;
  pageSize: number;
  thresholds: HealthThresholds;
  listQueueSuffix: string;
  /** redisQueues.listQueues.layouts: queue name → its layout (the valid entries). */
  listQueueLayouts: Record<string, ListQueueLayout>;
  /** Why entries of redisQueues.listQueues.layouts were left out (one message each). */
  listQueueLayoutProblems: string[];
  /** Bound on waiting for one answer from Redis (ConnectionOptions.commandTimeoutMs). */
  commandTimeoutMs: number;
  /** What one discovery step (a first expand, or Scan more) may spend: wall time and SCAN calls. */
  discovery: { budgetMs: number; maxScanCalls: number; smallKeyspace: number };
  /** Health over time: the shown streams sampled every intervalMs (0: off), at most maxStreams. */
  trends: { intervalMs: number; maxStreams: number; stuckIdleMs: number };
  /** redisQueues.frameworks.prefixes: where RQ and Sidekiq keep their keys (each framework's default when absent). */
  frameworkPrefixes: Partial<Record<'rq' | 'sidekiq' | 'celery', string[]>>;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const layouts = readListQueueLayouts(c.get<unknown>('listQueues.layouts', {}));
  return {
    refreshIntervalMs: Math.max(0, c.get<number>('refreshIntervalSeconds', 5)) * 1000,
    streamFilter: c.get<string>('streamFilter', '*') || '*',
    scanPageSize: clamp(c.get<number>('scanPageSize', 200), 10, 10_000),
    pageSize: clamp(c.get<number>('pageSize', 100), 10, 1000),
    thresholds: {
      poisonDeliveries: clamp(c.get<number>('thresholds.poisonDeliveries', 5), 1, 1_000_000),
      stuckIdleMs: clamp(c.get<number>('thresholds.stuckConsumerIdleSeconds', 300), 1, 1e9) * 1000,
      lagWarning: clamp(c.get<number>('thresholds.lagWarning', 1000), 0, 1e12),
    },
    listQueueSuffix: c.get<string>('listQueues.processingSuffix', ':processing') || ':processing',
    listQueueLayouts: layouts.layouts,
    listQueueLayoutProblems: layouts.problems,
    commandTimeoutMs: clamp(c.get<number>('commandTimeoutSeconds', 10), 1, 600) * 1000,
    discovery: {
      budgetMs: clamp(c.get<number>('discovery.budgetMs', 1000), 50, 600_000),
      maxScanCalls: clamp(c.get<number>('discovery.maxScanCalls', 1000), 1, 10_000_000),
      smallKeyspace: clamp(c.get<number>('discovery.smallKeyspace', 10_000), 0, 1_000_000),
    },
    trends: {
      intervalMs: c.get<number>('trends.intervalSeconds', 5) <= 0 ? 0 : clamp(c.get<number>('trends.intervalSeconds', 5), 1, 3600) * 1000,
      maxStreams: clamp(c.get<number>('trends.maxStreams', 50), 1, 500),
      stuckIdleMs: clamp(c.get<number>('thresholds.stuckConsumerIdleSeconds', 300), 1, 1e9) * 1000,
    },
    frameworkPrefixes: readFrameworkPrefixes(c.get<unknown>('frameworks.prefixes', {})),
  };
}

/**
 * The redisQueues.frameworks.prefixes setting: up to 8 string prefixes per framework; anything
 * else is ignored. Celery's entry lists queue names, read together (one folder).
 */
export function readFrameworkPrefixes(raw: unknown): Partial<Record<'rq' | 'sidekiq' | 'celery', string[]>> {
  const out: Partial<Record<'rq' | 'sidekiq' | 'celery', string[]>> = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return out;
  for (const fw of ['rq', 'sidekiq'] as const) {
    const v = (raw as Record<string, unknown>)[fw];
    if (Array.isArray(v)) {
      const prefixes = v.filter((p): p is string => typeof p === 'string').slice(0, 8);
      if (prefixes.length) out[fw] = prefixes;
    }
  }
  const celery = (raw as Record<string, unknown>)['celery'];
  if (Array.isArray(celery)) {
    const queues = celery.filter((q): q is string => typeof q === 'string' && q !== '' && !q.includes(',')).slice(0, 64);
    if (queues.length) out.celery = [queues.join(',')];
  }
  return out;
}

/** The redisQueues.listQueues.layouts setting: valid entries, and a message per invalid one (never throws). */
export function readListQueueLayouts(raw: unknown): { layouts: Record<string, ListQueueLayout>; problems: string[] } {
  const layouts: Record<string, ListQueueLayout> = {};
  const problems: string[] = [];
  if (raw === undefined || raw === null) return { layouts, problems };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { layouts, problems: ['redisQueues.listQueues.layouts must be an object: queue name → { processing?, dead?, started?, jobPrefix? }'] };
  for (const [name, l] of Object.entries(raw as Record<string, unknown>)) {
    if (!name) continue;
    try {
      layouts[name] = checkListQueueLayout(name, l ?? {}, 'redisQueues.listQueues.layouts entry');
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return { layouts, problems };
}

function clamp(n: number, lo: number, hi: number): number {
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : lo;
}
