// The background health check of the streams the tree shows: a few streams per round, a few
// small calls per stream (core's checkStreamHealth), never a walk of the keyspace. What it finds
// goes to the session's SessionHealth, whose change redraws only the rows whose marks changed.
import { type HealthThresholds, type StreamHealthCheck, checkStreamHealth } from '../../core/internal';
import type { Session } from '../connections/session';
import { sessionHealth } from './health';
import { isNoSuchKey } from '../../core/redis/errors';

/** Streams checked per round (each: XINFO GROUPS, and per group holding entries XINFO CONSUMERS and XPENDING - + COUNT 10). */
export const STREAMS_PER_ROUND = 8;
/** Calls per stream: XINFO GROUPS and 2 per group holding entries (4 groups). */
export const CALLS_PER_STREAM = 9;

/** What one round did: for the figures (calls, time) and tests. */
export interface HealthRound {
  streams: string[];
  calls: number;
  ms: number;
}

interface Schedule {
  shown: string[];
  running?: Promise<void>;
  again: boolean;
  last?: HealthRound;
}

const schedules = new WeakMap<Session, Schedule>();
function schedule(session: Session): Schedule {
  let s = schedules.get(session);
  if (!s) schedules.set(session, (s = { shown: [], again: false }));
  return s;
}

/**
 * Stream rows were drawn (or an auto-refresh tick came): checks up to {@link STREAMS_PER_ROUND}
 * of them, those never checked first, then those checked longest ago. One round at a time per
 * session; a request during a round runs one more after it.
 */
export function checkShownStreams(session: Session, thresholds: HealthThresholds, shown?: string[]): Promise<void> {
  const s = schedule(session);
  if (shown) s.shown = shown;
  if (s.running) {
    s.again = true;
    return s.running;
  }
  s.running = round(session, s, thresholds).finally(() => {
    s.running = undefined;
    if (s.again) {
      s.again = false;
      void checkShownStreams(session, thresholds);
    }
  });
  return s.running;
}

async function round(session: Session, s: Schedule, thresholds: HealthThresholds): Promise<void> {
  if (session.state.kind !== 'connected' || !s.shown.length) return;
  const health = sessionHealth(session);
  const when = (k: string) => health.checked.get(k) ?? -1;
  const picked = [...s.shown].sort((a, b) => when(a) - when(b)).slice(0, STREAMS_PER_ROUND);
  const started = performance.now();
  let calls = 0;
  for (const key of picked) {
    let c: StreamHealthCheck;
    try {
      c = await session.run((insp) => checkStreamHealth(insp.client, key, { thresholds, maxCalls: CALLS_PER_STREAM }));
    } catch (e) {
      calls++;
      // A stream deleted since it was drawn: nothing of it rolls up. Other failures: next round.
      if (isNoSuchKey(e)) health.streamGone(key);
      if (session.state.kind !== 'connected') break;
      continue;
    }
    calls += c.calls;
    health.streamChecked(c);
  }
  s.last = { streams: picked, calls, ms: performance.now() - started };
}
