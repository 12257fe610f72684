// Small helpers shared by the queue integration tests.
import type { RedisClient } from '../../../src/core/connection';
import { parsePendingSummary } from '../../../src/core/replies';

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** XPENDING summary count of a group. */
export async function pendingCount(client: RedisClient, stream: string, group: string): Promise<number> {
  return parsePendingSummary(await client.xpending(stream, group)).count;
}
