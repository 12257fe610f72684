// What a search owes the process and the server (issue 21): resume narrows, never widens; a
// missing stream is an error, not "0 matches"; a pattern that backtracking engines take seconds
// on is linear; a long search lets the event loop run (timers fire, a cancel lands within a
// page); and reads of 10 MB messages are one message per reply, in a stream or a PEL.
import * as assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type Redis from 'ioredis';
import { findMessagesTool } from '../../src/agent/tools/read';
import { open, quit } from '../../src/core/redis/connection';
import { DEFAULT_THRESHOLDS } from '../../src/core/inspect/health';
import { NoStreamError } from '../../src/core/redis/missing';
import { Inspector } from '../../src/core/inspect/inspect';
import { replyBytes } from '../../src/core/messages/pagePolicy';
import { MessageSearch, parseSearchQuery, type SearchSource } from '../../src/core/search';
import { redisUrl, uniqueKey } from '../support/integrationHooks';

const BASE = 1_700_000_000_000;

async function collect(client: Redis, source: SearchSource, text: string, options: ConstructorParameters<typeof MessageSearch>[3] = {}) {
  const s = new MessageSearch(client, source, parseSearchQuery(text), options);
  const ids: string[] = [];
  for await (const h of s) ids.push(h.entry.id);
  return { ids, summary: s.summary! };
}

describe('(integration) search limits: resume, missing keys, regex time, the event loop, big messages', function () {
  this.timeout(120_000);
  let client: Redis;
  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
  });
  after(() => quit(client));

  it('resume keeps from:, to:, since: and until: and only moves the start, in both orders', async () => {
    const s = `${uniqueKey('resume')}:s`;
    for (let i = 1; i <= 20; i++) await client.xadd(s, `${BASE + i}-0`, 'n', String(i));
    const src: SearchSource = { kind: 'stream', key: s };
    const id = (i: number) => `${BASE + i}-0`;
    // Oldest first from 5 to 12, resumed after 7: 8..12, never past to:.
    assert.deepEqual((await collect(client, src, `from:${id(5)} to:${id(12)} order:oldest`, { resume: id(7) })).ids, [8, 9, 10, 11, 12].map(id));
    // Newest first with until: resumed after 9 (going down): 8..5 by since:, never above until:.
    assert.deepEqual((await collect(client, src, `since:${BASE + 5} until:${BASE + 12}`, { resume: id(9) })).ids, [8, 7, 6, 5].map(id));
    // A resume id outside the range: the walk starts at the range's own start.
    assert.deepEqual((await collect(client, src, `from:${id(5)} to:${id(7)} order:oldest`, { resume: id(1) })).ids, [5, 6, 7].map(id));
    assert.deepEqual((await collect(client, src, `until:${BASE + 3}`, { resume: id(19) })).ids, [3, 2, 1].map(id));
    // And past its end: nothing more, the end reached.
    const past = await collect(client, src, `to:${id(7)} order:oldest`, { resume: id(9) });
    assert.deepEqual(past.ids, []);
    assert.equal(past.summary.stopped, 'end');
    // The agents' tool the same way.
    const ctx = { inspector: new Inspector(client), connection: 't', readOnly: true, thresholds: DEFAULT_THRESHOLDS };
    const out = await findMessagesTool.run(ctx, { stream: s, query: `until:${BASE + 10}`, limit: 3, resume: id(15) });
    assert.deepEqual((out.data as { matches: { id: string }[] }).matches.map((m) => m.id), [10, 9, 8].map(id));
  });

  it('a missing stream is an error naming the key, in the core, the CLI (non-zero exit) and the agents\' tool', async () => {
    const missing = `${uniqueKey('missing')}:nope`;
    await assert.rejects(collect(client, { kind: 'stream', key: missing }, 'status=x'), (e: unknown) => e instanceof NoStreamError && e.key === missing && /no such stream/i.test(e.message));
    await assert.rejects(collect(client, { kind: 'pending', key: missing, group: 'g' }, ''), NoStreamError);
    const { run } = await import('../../src/cli/main');
    let stderr = '';
    const code = await run(['search', missing, 'status=x', '--url', redisUrl()], { stdout: () => undefined, stderr: (t) => void (stderr += t), env: {} });
    assert.notEqual(code, 0);
    assert.match(stderr, /no such stream/);
    const ctx = { inspector: new Inspector(client), connection: 't', readOnly: true, thresholds: DEFAULT_THRESHOLDS };
    await assert.rejects(findMessagesTool.run(ctx, { stream: missing, query: '' }), /no such stream/);
  });

  it('note=/(a+)+$/ on a 40-character value ends at once, and is right', async () => {
    const s = `${uniqueKey('redos')}:s`;
    await client.xadd(s, '1-0', 'note', `${'a'.repeat(40)}!`);
    await client.xadd(s, '2-0', 'note', 'a'.repeat(40));
    const r = await collect(client, { kind: 'stream', key: s }, 'note=/(a+)+$/', { maxMs: 5_000 });
    assert.deepEqual(r.ids, ['2-0']);
    assert.equal(r.summary.stopped, 'end', 'not stopped by the 5 s budget');
  });

  it('a long search lets the event loop run: timers fire while it matches, and a cancel from a timer lands within a page', async () => {
    const s = `${uniqueKey('long')}:s`;
    const value = `${'a'.repeat(3000)}b`;
    for (let i = 0; i < 20_000; i += 1000) {
      const pipe = client.pipeline();
      for (let j = i; j < i + 1000; j++) pipe.xadd(s, `${j + 1}-0`, 'note', value, 'n', String(j));
      await pipe.exec();
    }
    // A regex that must read each whole value and matches none.
    const q = 'note=/(a|aa)+c/ order:oldest';
    let done = false;
    const search = collect(client, { kind: 'stream', key: s }, q).finally(() => (done = true));
    let ticks = 0;
    while (!done) {
      await new Promise((r) => setTimeout(r, 0));
      if (!done) ticks++;
    }
    const r = await search;
    assert.equal(r.summary.examined, 20_000);
    assert.equal(r.summary.stopped, 'end');
    assert.ok(ticks >= 20, `a timer fired ${ticks} times during the search (at least once a page)`);
    // A cancel from a timer: the walk stops before the end, not after the page it was in.
    const ac = new AbortController();
    const cancelled = collect(client, { kind: 'stream', key: s }, q, { signal: ac.signal, maxPage: 1000 });
    let seen = 0;
    const progress = new Promise<void>((resolve) => {
      const poll = () => (seen++ > 2 ? resolve() : setTimeout(poll, 0));
      setTimeout(poll, 0);
    });
    await progress;
    ac.abort();
    const c = await cancelled;
    assert.equal(c.summary.stopped, 'cancelled');
    assert.ok(c.summary.examined < 20_000, `stopped at ${c.summary.examined}`);
    // Resuming from where it stopped finds the rest: every entry examined once in all.
    const rest = await collect(client, { kind: 'stream', key: s }, q, { resume: c.summary.resume });
    assert.equal(c.summary.examined + rest.summary.examined, 20_000);
  });

  it('reads 10 MB messages one per reply, in a stream and in a PEL, and does not hold them', async () => {
    const s = `${uniqueKey('big')}:s`;
    const MB10 = 10 * 1024 * 1024;
    // Twelve: holding them all (120 MB) stands apart from what one reply costs while it is parsed.
    for (let i = 1; i <= 12; i++) await client.xadd(s, `${i}-0`, 'body', Buffer.alloc(MB10, 0x61 + i), 'n', String(i));
    await client.xgroup('CREATE', s, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'w', 'COUNT', 100, 'STREAMS', s, '>').then(() => undefined);
    // The search's own client, its replies measured as they arrive.
    const c = (await open({ url: redisUrl() })) as Redis;
    let largest = 0;
    for (const cmd of ['xrangeBuffer', 'xrevrangeBuffer'] as const) {
      const real = c[cmd].bind(c) as (...a: unknown[]) => Promise<unknown[]>;
      (c as unknown as Record<string, unknown>)[cmd] = async (...a: unknown[]) => {
        const reply = await real(...a);
        largest = Math.max(largest, replyBytes(reply ?? []));
        return reply;
      };
    }
    try {
      // What stays reachable at each page (after a full collection): garbage is not memory held.
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      gc();
      const before = process.memoryUsage().arrayBuffers;
      let peak = 0;
      const onProgress = () => {
        gc();
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
      };
      for (const order of ['newest', 'oldest']) {
        const r = await collect(c, { kind: 'stream', key: s }, `n=3 order:${order}`, { onProgress });
        assert.deepEqual(r.ids, ['3-0']);
      }
      const p = await collect(c, { kind: 'pending', key: s, group: 'g' }, 'n~4', { onProgress });
      assert.deepEqual(p.ids, ['4-0']);
      assert.ok(largest > MB10 && largest < MB10 + 4096, `the largest reply is one message: ${largest} bytes`);
      // The page being matched, the read ahead (while the client parses it: the socket's chunks, their
      // join, the parser's pool) and, measured process-wide, what the test's own client still pools:
      // a few messages' worth at the worst moment (40–60 MB measured), never all twelve.
      assert.ok(peak < 8 * MB10, `buffers held at most ${(peak / 1048576).toFixed(0)} MB over the start`);
    } finally {
      await quit(c);
    }
  });
});
