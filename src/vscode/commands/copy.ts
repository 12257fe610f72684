import * as vscode from 'vscode';
import { type Fields, listQueueKeys, messageObject, toJsonBytes } from '../../core/internal';
import type { Services } from '../services';
import { ConsumerNode, EntryNode, GroupNode, PendingEntryNode, StreamNode } from '../tree/explorerNodes';
import { JobNode, ListQueueNode } from '../tree/listQueueNodes';
import { sessionOf } from './target';

/** A job hash's fields in the lossless byte encoding (text, or {"base64"}), never cut. */
function jobFields(fields: Fields | null): Record<string, unknown> | null {
  if (!fields) return null;
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(fields)) out[k] = toJsonBytes(fields[k]!);
  return out;
}

/**
 * Copies an entry (or job) as JSON, every byte of it: an entry in the lossless form (`pairs` in
 * order, binary as {"base64"}, plus the `fields` record), with its pending metadata.
 */
export async function copyAsJson(_s: Services, node?: unknown): Promise<string | undefined> {
  let text: string | undefined;
  if (node instanceof EntryNode) text = JSON.stringify(messageObject({ id: node.entry.id, stream: node.stream }, node.entry.raw), null, 2);
  else if (node instanceof PendingEntryNode) {
    const body = await node.session.run((insp) => insp.entry(node.stream, node.entry.id));
    const e = node.entry;
    text = JSON.stringify(messageObject({ id: e.id, stream: node.stream, group: node.group, consumer: e.consumer, idleMs: e.idle, deliveries: e.deliveries }, body?.raw ?? null), null, 2);
  } else if (node instanceof JobNode) text = JSON.stringify({ id: node.job.id, section: node.parent.section, fields: jobFields(node.job.fields) }, null, 2);
  if (text === undefined) return undefined;
  await vscode.env.clipboard.writeText(text);
  return text;
}

/** Quotes an argument for a POSIX shell. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The redis-cli command that shows the same thing as the node (no password: redis-cli asks or uses REDISCLI_AUTH). */
export async function copyRedisCli(_s: Services, node?: unknown): Promise<string | undefined> {
  const session = sessionOf(node);
  if (!session) return undefined;
  const c = session.entry.config;
  let args: string[] | undefined;
  if (node instanceof StreamNode) args = ['XINFO', 'STREAM', node.key];
  else if (node instanceof GroupNode) args = ['XPENDING', node.stream, node.group.name];
  else if (node instanceof ConsumerNode) args = ['XPENDING', node.parent.stream, node.parent.group.name, '-', '+', '100', node.consumer.name];
  else if (node instanceof PendingEntryNode) args = ['XPENDING', node.stream, node.group, node.entry.id, node.entry.id, '1'];
  else if (node instanceof EntryNode) args = ['XRANGE', node.stream, node.entry.id, node.entry.id];
  // A list queue's keys in its own layout (the seeds' `job:<id>`, a configured one), never a guessed name.
  else if (node instanceof ListQueueNode) args = ['LRANGE', listQueueKeys(node.queue.name, node.queue.layout).waiting, '0', '99'];
  else if (node instanceof JobNode) args = ['HGETALL', listQueueKeys(node.parent.parent.queue.name, node.parent.parent.queue.layout).job(node.job.id)];
  if (!args) return undefined;
  const url = new URL(c.url);
  url.password = '';
  const flags = [c.mode === 'cluster' ? '-c' : '', '-u', url.toString().replace(/\/$/, '')].filter(Boolean);
  const text = ['redis-cli', ...flags.map(shellQuote), ...args.map(shellQuote)].join(' ');
  await vscode.env.clipboard.writeText(text);
  return text;
}
