// Health marks (STUCK, POISON, LAGGING) of the streams shown, from the background check
// (healthCheck.ts) and the rows drawn, and how rows show them.
import { type HealthCounts, type StreamHealthCheck, compareIds, describeHealth, sumHealth } from '../../core/internal';
import type { Session } from '../connections/session';

/** The mark that leads a row's description when something is wrong: "⚠ STUCK · …". */
export const MARK = '\u26a0';
/** A row's description with the marks first: "⚠ STUCK · 2 poison · <rest>" (just `rest` without marks). */
export function marked(marks: string[], rest: string): string {
  const m = marks.filter(Boolean);
  return m.length ? `${MARK} ${m.join(' · ')}${rest ? ` · ${rest}` : ''}` : rest;
}

interface GroupHealth {
  lagging: boolean;
  /** Consumers STUCK (background check or the group's consumers drawn, whichever was last). */
  stuck: Set<string>;
  /** POISON entries (ids) per consumer among the group's oldest pending entries (background check). */
  sampled: Map<string, Set<string>>;
  /** POISON entries (ids) per consumer on its pending page as last drawn. */
  poison: Map<string, Set<string>>;
}

/** Removes `ids` from every consumer's set but `owner`'s (an entry is in one consumer's PEL at a time). */
function moveTo(owner: string, ids: Iterable<string>, ...maps: Map<string, Set<string>>[]): void {
  for (const id of ids) for (const m of maps) for (const [c, set] of m) if (c !== owner) set.delete(id);
}

/**
 * Health marks per session: what rolls up into the group, stream and connection rows. Filled by
 * the budgeted background check of the streams shown (healthCheck.ts: XINFO GROUPS, XINFO
 * CONSUMERS, the oldest pending entries) and by the replies read anyway to draw rows (the same
 * calls, and the pending pages). POISON is kept by entry id, from the group's oldest entries
 * checked and from the consumers' pages drawn: an entry counts once, under the consumer the
 * freshest read saw holding it, and a read that shows an entry gone (acked, claimed away, no longer
 * POISON) takes it out.
 */
export class SessionHealth {
  private readonly streams = new Map<string, Map<string, GroupHealth>>();
  /** Streams the background check has read (when), for tooltips and the order of the next rounds. */
  readonly checked = new Map<string, number>();
  private readonly stuckLists = new Set<string>();
  private readonly listeners = new Set<() => void>();

  /** Called when a roll-up changed (so the rows above can be drawn again). */
  onChange(fn: () => void): void {
    this.listeners.add(fn);
  }

  /** Runs `update`, then tells the listeners when the roll-ups differ from before. */
  private changing(update: () => void): void {
    const before = this.summary();
    update();
    if (this.summary() !== before) for (const fn of this.listeners) fn();
  }

  private summary(): string {
    return JSON.stringify([[...this.streams.keys()].map((k) => [k, this.stream(k)]), [...this.stuckLists]]);
  }

  private group(stream: string, group: string): GroupHealth {
    let groups = this.streams.get(stream);
    if (!groups) this.streams.set(stream, (groups = new Map()));
    let g = groups.get(group);
    if (!g) groups.set(group, (g = { lagging: false, stuck: new Set(), sampled: new Map(), poison: new Map() }));
    return g;
  }
  /** The background check read a stream: its groups' marks (groups it could not reach keep theirs). */
  streamChecked(c: StreamHealthCheck): void {
    this.checked.set(c.stream, Date.now());
    this.changing(() => {
      const names = new Set([...c.groups.map((g) => g.name), ...c.unchecked]);
      const known = this.streams.get(c.stream);
      for (const name of known?.keys() ?? []) if (!names.has(name)) known!.delete(name);
      if (!c.groups.length && !c.unchecked.length) this.streams.set(c.stream, new Map());
      for (const r of c.groups) {
        const g = this.group(c.stream, r.name);
        g.lagging = r.lagging;
        g.stuck = new Set(r.stuck);
        g.sampled = new Map(Object.entries(r.poisonIds ?? {}).map(([name, ids]) => [name, new Set(ids)]));
        const holding = new Set(r.holders);
        for (const name of [...g.poison.keys()]) if (!holding.has(name)) g.poison.delete(name);
        // The check is fresher than the pages drawn: an entry it saw is its owner's now, and an
        // entry within the range it read that it did not see as POISON is gone from the pages' count.
        const seen = new Set<string>();
        for (const [name, ids] of g.sampled) {
          moveTo(name, ids, g.poison);
          for (const id of ids) seen.add(id);
        }
        const through = r.sampled >= r.pending ? undefined : r.sampledThrough;
        for (const set of g.poison.values()) for (const id of [...set]) if (!seen.has(id) && (through === undefined || compareIds(id, through) <= 0)) set.delete(id);
      }
    });
  }
  /** A stream's groups were drawn: their LAGGING marks; groups no longer there are dropped. */
  groupsDrawn(stream: string, groups: { name: string; lagging: boolean }[]): void {
    this.changing(() => {
      const names = new Set(groups.map((g) => g.name));
      const known = this.streams.get(stream);
      for (const name of known?.keys() ?? []) if (!names.has(name)) known!.delete(name);
      for (const g of groups) this.group(stream, g.name).lagging = g.lagging;
    });
  }
  /** A group's consumers were drawn: which are STUCK; poison counts of consumers gone or empty are dropped. */
  consumersDrawn(stream: string, group: string, consumers: { name: string; pending: number; stuck: boolean }[]): void {
    this.changing(() => {
      const g = this.group(stream, group);
      g.stuck = new Set(consumers.filter((c) => c.stuck).map((c) => c.name));
      const holding = new Set(consumers.filter((c) => c.pending > 0).map((c) => c.name));
      for (const map of [g.poison, g.sampled]) for (const name of [...map.keys()]) if (!holding.has(name)) map.delete(name);
    });
  }
  /**
   * A consumer's pending page was drawn: its POISON entries (ids), and how far the page reached
   * (`through`: its last id when more pages follow; undefined when it showed all the consumer holds).
   */
  pendingDrawn(stream: string, group: string, consumer: string, poisonIds: readonly string[], through?: string): void {
    this.changing(() => {
      const g = this.group(stream, group);
      const ids = new Set(poisonIds);
      if (ids.size) g.poison.set(consumer, ids);
      else g.poison.delete(consumer);
      // The page is fresher than the check: these entries are this consumer's now, and what the
      // check saw of this consumer within the page's reach but the page does not show is gone.
      moveTo(consumer, ids, g.sampled, g.poison);
      const sampled = g.sampled.get(consumer);
      if (sampled) for (const id of [...sampled]) if (!ids.has(id) && (through === undefined || compareIds(id, through) <= 0)) sampled.delete(id);
    });
  }
  /** A stream is gone (or has no groups): nothing of it rolls up any more. */
  streamGone(stream: string): void {
    this.checked.delete(stream);
    this.changing(() => this.streams.delete(stream));
  }
  /** List queues were drawn: which are STUCK. */
  listsDrawn(queues: { name: string; stuck: boolean }[]): void {
    this.changing(() => {
      for (const q of queues) {
        if (q.stuck) this.stuckLists.add(q.name);
        else this.stuckLists.delete(q.name);
      }
    });
  }
  /** POISON entries seen held by `consumer` (each entry once). */
  poisonOf(stream: string, group: string, consumer: string): number {
    const g = this.streams.get(stream)?.get(group);
    if (!g) return 0;
    return new Set([...(g.poison.get(consumer) ?? []), ...(g.sampled.get(consumer) ?? [])]).size;
  }
  /** Stuck consumers and poison entries seen under a group (each entry once; its own LAGGING is not counted). */
  underGroup(stream: string, group: string): HealthCounts | undefined {
    const g = this.streams.get(stream)?.get(group);
    if (!g) return undefined;
    const ids = new Set<string>();
    for (const m of [g.poison, g.sampled]) for (const set of m.values()) for (const id of set) ids.add(id);
    return { stuck: g.stuck.size, poison: ids.size, lagging: 0 };
  }
  /** The sum over a stream's groups as last drawn; undefined when they were never drawn. */
  stream(stream: string): HealthCounts | undefined {
    const groups = this.streams.get(stream);
    if (!groups) return undefined;
    return sumHealth([...groups.keys()].map((name) => ({ ...this.underGroup(stream, name)!, lagging: groups.get(name)!.lagging ? 1 : 0 })));
  }
  /** The sum over the streams (and STUCK list queues) seen; undefined when nothing was drawn yet. */
  connection(): HealthCounts | undefined {
    if (!this.streams.size && !this.stuckLists.size) return undefined;
    const sum = sumHealth([...this.streams.keys()].map((k) => this.stream(k)!));
    return { ...sum, stuck: sum.stuck + this.stuckLists.size };
  }
}

const healthCache = new WeakMap<Session, SessionHealth>();
/** The health marks seen while drawing this session's nodes. */
export function sessionHealth(session: Session): SessionHealth {
  let h = healthCache.get(session);
  if (!h) healthCache.set(session, (h = new SessionHealth()));
  return h;
}

/** The health line of a row's tooltip: the marks rolled up from `where`, or that they are not known yet. */
export function rollupTooltip(c: HealthCounts | undefined, where: string): string {
  if (!c) return 'health not checked yet (the background check reads the streams shown, a few at a time)';
  const text = describeHealth(c);
  return `health (${where}; POISON among each group's oldest pending entries and the pages drawn): ${text || 'no STUCK, POISON or LAGGING marks'}`;
}
