import * as vscode from 'vscode';
import type { HealthThresholds } from '../core';

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
  /** Bound on waiting for one answer from Redis (ConnectionOptions.commandTimeoutMs). */
  commandTimeoutMs: number;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
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
    commandTimeoutMs: clamp(c.get<number>('commandTimeoutSeconds', 10), 1, 600) * 1000,
  };
}

function clamp(n: number, lo: number, hi: number): number {
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : lo;
}
