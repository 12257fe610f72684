// POISON counts of the tree's health marks (src/vscode/tree/health.ts), against a PEL kept in the
// test: entries move between consumers, are acked and delivered again, and the tree learns of it
// only through what it reads (the background check's oldest entries, a consumer's pending page).
// An entry counts once, under the consumer the freshest read saw holding it.
import * as assert from 'node:assert/strict';
import { compareIds, type StreamHealthCheck } from '../../src/core/internal';
import { SessionHealth } from '../../src/vscode/tree/health';

const POISON_AT = 5;
const STREAM = 's';
const GROUP = 'g';

interface Pending {
  id: string;
  consumer: string;
  deliveries: number;
}

/** A small PEL and the reads the tree makes of it. */
class Pel {
  entries: Pending[] = [];
  sorted(): Pending[] {
    return [...this.entries].sort((a, b) => compareIds(a.id, b.id));
  }
  /** The background check: XINFO CONSUMERS (holders) and XPENDING - + COUNT n. */
  check(sample: number): StreamHealthCheck {
    const oldest = this.sorted().slice(0, sample);
    const poisonIds: Record<string, string[]> = {};
    const poison: Record<string, number> = {};
    for (const e of oldest) {
      if (e.deliveries < POISON_AT) continue;
      (poisonIds[e.consumer] ??= []).push(e.id);
      poison[e.consumer] = (poison[e.consumer] ?? 0) + 1;
    }
    const holders = [...new Set(this.entries.map((e) => e.consumer))];
    return { stream: STREAM, unchecked: [], calls: 3, groups: [{ name: GROUP, lagging: false, stuck: [], holders, poison, poisonIds, sampled: oldest.length, sampledThrough: oldest.at(-1)?.id, pending: this.entries.length }] };
  }
  /** A consumer's pending page, oldest first, `size` entries. */
  page(consumer: string, size: number): { poisonIds: string[]; through?: string } {
    const all = this.sorted().filter((e) => e.consumer === consumer);
    const shown = all.slice(0, size);
    return { poisonIds: shown.filter((e) => e.deliveries >= POISON_AT).map((e) => e.id), through: all.length > size ? shown.at(-1)!.id : undefined };
  }
  truth(consumer?: string): number {
    return this.entries.filter((e) => e.deliveries >= POISON_AT && (consumer === undefined || e.consumer === consumer)).length;
  }
}

function rng(seed: number) {
  let x = seed;
  return (n: number) => ((x = (x * 1103515245 + 12345) & 0x7fffffff) % n);
}

describe('(unit) tree health: POISON counted by entry', () => {
  it('an entry moved from a sampled consumer to a drawn one counts once, under its new owner', () => {
    const h = new SessionHealth();
    const pel = new Pel();
    pel.entries = [
      { id: '1-0', consumer: 'w-10', deliveries: 7 },
      { id: '2-0', consumer: 'alpha', deliveries: 1 },
    ];
    h.streamChecked(pel.check(10));
    assert.equal(h.poisonOf(STREAM, GROUP, 'w-10'), 1);
    pel.entries[0]!.consumer = 'alpha'; // XCLAIM to alpha
    const p = pel.page('alpha', 100);
    h.pendingDrawn(STREAM, GROUP, 'alpha', p.poisonIds, p.through);
    assert.equal(h.poisonOf(STREAM, GROUP, 'alpha'), 1);
    assert.equal(h.poisonOf(STREAM, GROUP, 'w-10'), 0, 'the old owner no longer counts it');
    assert.equal(h.underGroup(STREAM, GROUP)!.poison, 1, 'the group counts it once');
  });

  it('random moves, acks and deliveries, each followed by the read that shows it: the counts are the PEL\'s (differential)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      const h = new SessionHealth();
      const pel = new Pel();
      const consumers = ['a', 'b', 'c', 'd'];
      let next = 1;
      for (let i = 0; i < 12; i++) pel.entries.push({ id: `${next++}-0`, consumer: consumers[r(4)]!, deliveries: 1 + r(9) });
      // Pages and samples large enough to see everything: every read is then the whole truth of what it covers.
      h.streamChecked(pel.check(1000));
      for (const c of consumers) {
        const p = pel.page(c, 1000);
        h.pendingDrawn(STREAM, GROUP, c, p.poisonIds, p.through);
      }
      for (let step = 0; step < 200; step++) {
        const op = r(5);
        const e = pel.entries.length ? pel.entries[r(pel.entries.length)] : undefined;
        let looked: string[];
        if (op === 0 && e) {
          // claimed by another consumer; the tree draws the new owner's page
          e.consumer = consumers[r(4)]!;
          looked = [e.consumer];
        } else if (op === 1 && e) {
          // acked; the tree draws the owner's page
          pel.entries.splice(pel.entries.indexOf(e), 1);
          looked = [e.consumer];
        } else if (op === 2 && e) {
          e.deliveries += 1 + r(3);
          looked = [e.consumer];
        } else if (op === 3) {
          const c = consumers[r(4)]!;
          pel.entries.push({ id: `${next++}-0`, consumer: c, deliveries: 1 + r(9) });
          looked = [c];
        } else {
          h.streamChecked(pel.check(1000));
          looked = [];
        }
        for (const c of looked) {
          const p = pel.page(c, 1000);
          h.pendingDrawn(STREAM, GROUP, c, p.poisonIds, p.through);
        }
        // What was just read is true; what was not read since it changed may be stale, so compare
        // only the consumers read at this step (and, after a full check, everyone).
        for (const c of looked.length ? looked : consumers) assert.equal(h.poisonOf(STREAM, GROUP, c), pel.truth(c), `seed ${seed} step ${step}: consumer ${c}`);
        if (!looked.length) assert.equal(h.underGroup(STREAM, GROUP)!.poison, pel.truth(), `seed ${seed} step ${step}: the group`);
      }
    }
  });

  it('small pages and samples: a read takes out only what it covered; counts never exceed the distinct POISON entries ever seen', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const r = rng(seed);
      const h = new SessionHealth();
      const pel = new Pel();
      const consumers = ['a', 'b', 'c'];
      let next = 1;
      const seen = new Set<string>();
      for (let i = 0; i < 40; i++) pel.entries.push({ id: `${next++}-0`, consumer: consumers[r(3)]!, deliveries: 1 + r(9) });
      for (let step = 0; step < 200; step++) {
        const e = pel.entries[r(pel.entries.length)]!;
        if (r(2)) e.consumer = consumers[r(3)]!;
        else e.deliveries += 1;
        if (r(3) === 0) {
          const check = pel.check(1 + r(10));
          for (const ids of Object.values(check.groups[0]!.poisonIds)) for (const id of ids) seen.add(id);
          h.streamChecked(check);
        } else {
          const c = consumers[r(3)]!;
          const p = pel.page(c, 1 + r(10));
          for (const id of p.poisonIds) seen.add(id);
          h.pendingDrawn(STREAM, GROUP, c, p.poisonIds, p.through);
          // The page just drawn is all of this consumer's POISON within its reach.
          assert.ok(h.poisonOf(STREAM, GROUP, c) >= p.poisonIds.length, `seed ${seed} step ${step}`);
        }
        const group = h.underGroup(STREAM, GROUP)?.poison ?? 0;
        assert.ok(group <= seen.size, `seed ${seed} step ${step}: ${group} counted, ${seen.size} ever seen`);
        const perConsumer = consumers.reduce((a, c) => a + h.poisonOf(STREAM, GROUP, c), 0);
        assert.equal(perConsumer, group, `seed ${seed} step ${step}: an entry counted under two consumers`);
      }
    }
  });
});
