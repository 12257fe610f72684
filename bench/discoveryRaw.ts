/**
 * The discovery bench's keyspace and its raw references: what it fills the server with, and the
 * raw Redis commands each of ours is measured against (see discoveryBench.ts).
 */
import { type Server as NetServer, connect, createServer } from 'node:net';
import type Redis from 'ioredis';
import { listQueueMatch, listQueueNamesOf } from '../src/core/inspect/discovery';
import { fmt, log, nowMs } from './util';

/** Streams shown by a first paint (the tree's page, `inspect --limit`'s default). */
export const PAGE = 200;
/** The raw reference's SCAN COUNT. */
export const RAW_COUNT = 1000;

// ------------------------------------------------------------------------------ keyspace

/**
 * `keys` strings (DEBUG POPULATE: key:0 …), then `streams` streams orders:N (10 entries, group g
 * with consumer c1 holding 3 pending) and `queues` list queues jobs:N in this project's layout
 * (waiting list of 5 ids, processing list of 2 with started-at stamps, dead list of 1, a hash per
 * job). SCAN order follows the hash table, so the streams and queues end up spread through it.
 */
export async function buildKeyspace(c: Redis, keys: number, streams: number, queues: number): Promise<void> {
  let t = nowMs();
  await c.call('DEBUG', 'POPULATE', keys);
  log(`DEBUG POPULATE ${fmt(keys)}: ${fmt(nowMs() - t)} ms`);
  t = nowMs();
  let p = c.pipeline();
  for (let s = 0; s < streams; s++) {
    const k = `orders:${s}`;
    for (let e = 0; e < 10; e++) p.xadd(k, '*', 'n', String(e), 'kind', 'order.created');
    p.xgroup('CREATE', k, 'g', '0');
    p.call('XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', 3, 'STREAMS', k, '>');
    if (s % 200 === 199) {
      await p.exec();
      p = c.pipeline();
    }
  }
  const now = Date.now();
  for (let q = 0; q < queues; q++) {
    const name = `jobs:${q}`;
    for (let id = 1; id <= 8; id++) p.hset(`${name}:job:${id}`, 'to', `user${id}@example.com`, '__attempts', id === 8 ? '3' : '0', '__createdAt', String(now));
    p.hset(`${name}:job:8`, '__lastError', 'boom', '__deadAt', String(now));
    p.lpush(name, '1', '2', '3', '4', '5');
    p.lpush(`${name}:processing`, '6', '7');
    p.zadd(`${name}:started`, now - 60_000, '6', now - 1000, '7');
    p.lpush(`${name}:dead`, '8');
  }
  const res = (await p.exec()) ?? [];
  const err = res.find(([e]) => e);
  if (err) throw err[0];
  log(`${fmt(streams)} streams and ${fmt(queues)} list queues added in ${fmt(nowMs() - t)} ms`);
}

// ------------------------------------------------------------------------------ raw references

/** SCAN cursor [MATCH m] COUNT 1000 TYPE type until `want` keys (or the end). */
export async function rawScan(rc: Redis, type: string, match: string | undefined, want = Infinity): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  const extra = match === undefined ? [] : ['MATCH', match];
  do {
    const [next, keys] = (await rc.call('SCAN', cursor, ...extra, 'COUNT', RAW_COUNT, 'TYPE', type)) as [string, string[]];
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0' && found.length < want);
  return [...new Set(found)];
}

export async function execAll(p: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const res = (await p.exec()) ?? [];
  const err = res.find(([e]) => e);
  if (err) throw err[0];
  return res.map(([, v]) => v);
}

/** Raw first paint of the streams level: SCAN to ≥ 200 streams, then pipelined XINFO STREAM. */
export async function rawStreamsPaint(rc: Redis): Promise<string[]> {
  const keys = (await rawScan(rc, 'stream', undefined, PAGE)).sort();
  const p = rc.pipeline();
  for (const k of keys) p.call('XINFO', 'STREAM', k);
  await execAll(p);
  return keys;
}

/** Raw figures of list queues: LLEN of the three lists and the oldest started-at stamp, pipelined. */
export async function rawListFigures(rc: Redis, names: string[]): Promise<void> {
  if (!names.length) return;
  const p = rc.pipeline();
  for (const n of names) {
    p.llen(n);
    p.llen(`${n}:processing`);
    p.llen(`${n}:dead`);
    p.call('ZRANGE', `${n}:started`, 0, 0, 'WITHSCORES');
  }
  await execAll(p);
}

/** Raw first paint of the List queues folder: one SCAN … MATCH (ours) … TYPE list walk to the end, then the figures. */
export async function rawListFolder(rc: Redis): Promise<string[]> {
  const names = listQueueNamesOf(await rawScan(rc, 'list', listQueueMatch('*'))).sort();
  await rawListFigures(rc, names);
  return names;
}

/**
 * What `inspect --all` reads, as raw commands pipelined per stage: the streams page, XINFO GROUPS,
 * for each group with pending entries XPENDING (summary), the oldest entry, XINFO CONSUMERS and the
 * 5 oldest pending; then the list-queue folder.
 */
export async function rawInspect(rc: Redis): Promise<{ streams: number; queues: number }> {
  const keys = (await rawStreamsPaint(rc)).slice(0, PAGE);
  let p = rc.pipeline();
  for (const k of keys) p.call('XINFO', 'GROUPS', k);
  const groups = (await execAll(p)) as unknown[][];
  const withPending: [string, string][] = [];
  keys.forEach((k, i) => {
    for (const g of groups[i] ?? []) {
      const f = g as unknown[];
      const at = (name: string) => f[f.findIndex((x) => String(x) === name) + 1];
      if (Number(at('pending')) > 0) withPending.push([k, String(at('name'))]);
    }
  });
  p = rc.pipeline();
  for (const [k, g] of withPending) p.call('XPENDING', k, g);
  const summaries = (await execAll(p)) as unknown[][];
  p = rc.pipeline();
  withPending.forEach(([k, g], i) => {
    const oldest = String(summaries[i]?.[1]);
    p.call('XPENDING', k, g, oldest, oldest, 1);
    p.call('XINFO', 'CONSUMERS', k, g);
    p.call('XPENDING', k, g, '-', '+', 5);
  });
  await execAll(p);
  const names = await rawListFolder(rc);
  return { streams: keys.length, queues: names.length };
}

/** A TCP proxy on loopback that holds every chunk `oneWayMs` (a timer: ≥ 1 ms) in each direction: a slower link. */
export function delayingProxy(port: number, oneWayMs: number): Promise<NetServer> {
  return new Promise((resolve, reject) => {
    const srv = createServer((client) => {
      const up = connect(port, '127.0.0.1');
      const pass = (from: typeof up, to: typeof up) => from.on('data', (d) => setTimeout(() => to.writable && to.write(d), oneWayMs));
      pass(client, up);
      pass(up, client);
      const end = () => {
        client.destroy();
        up.destroy();
      };
      client.on('close', end).on('error', end);
      up.on('close', end).on('error', end);
    });
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

