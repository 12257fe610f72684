// The journey panel's page (src/vscode/journey/journeyHtml.ts), without VS Code or Redis: every
// text from Redis is escaped wherever it lands (content and attributes), and each part of a
// journey is drawn.
import * as assert from 'node:assert/strict';
import type { JobJourney, MessageJourney } from '../../src/core/inspect/journey';
import { escapeHtml, renderJourney } from '../../src/vscode/journey/journeyHtml';

const EVIL = `<img src=x onerror="alert(1)">'&`;
const ctx = { connection: `c${EVIL}`, readOnly: false, now: 1_700_000_100_000 };

/** Tags a page may hold: the renderer's own, never one from data. */
const OWN_TAGS = new Set(['header', 'div', 'h1', 'h2', 'code', 'span', 'b', 'button', 'section', 'table', 'tbody', 'thead', 'tr', 'th', 'td', 'p', 'a', 'ul', 'li']);

function tagsOf(html: string): string[] {
  return [...html.matchAll(/<\/?([a-zA-Z0-9]+)/g)].map((m) => m[1]!.toLowerCase());
}

function message(over: Partial<MessageJourney> = {}): MessageJourney {
  return {
    kind: 'message',
    stream: `s${EVIL}`,
    id: '1700000000000-0',
    time: 1_700_000_000_000,
    state: 'present',
    entry: { id: '1700000000000-0', raw: [Buffer.from(`n${EVIL}`), Buffer.from(`v${EVIL}`), Buffer.from('bin'), Buffer.from([0xff, 0x00, 0xfe]), Buffer.from('empty'), Buffer.alloc(0)], fields: null },
    groups: [
      { group: `g${EVIL}`, state: 'pending', consumer: `w${EVIL}`, deliveries: 3, idleMs: 65_000, lastDeliveredId: '1700000000000-0' },
      { group: 'fresh', state: 'not-delivered', lastDeliveredId: '0-0' },
      { group: 'done', state: 'acknowledged', lastDeliveredId: '1700000000000-0', note: `acknowledged, or the group started after it ${EVIL}` },
    ],
    dlq: `s${EVIL}:dlq`,
    deadLetters: [{ dlq: `s${EVIL}:dlq`, id: '1700000050000-0', originalId: '1700000000000-0', error: `E${EVIL}`, deliveries: 5, at: 1_700_000_050_000, consumer: 'w', group: 'g', replayCount: 0 }],
    replays: [
      { from: '1700000000000-0', to: '1700000060000-0', count: 1, present: true },
      { from: '1700000060000-0', to: '1700000070000-0', count: 2, present: false },
    ],
    eventsKey: `s${EVIL}:events`,
    events: [
      { eventId: '1700000001000-0', at: 1_700_000_001_000, type: 'delivered', id: '1700000000000-0', group: 'g', consumer: 'w', deliveries: 1 },
      { eventId: '1700000002000-0', at: 1_700_000_002_000, type: 'failed', id: '1700000000000-0', group: 'g', consumer: 'w', deliveries: 1, error: `boom${EVIL}` },
      { eventId: '1700000061000-0', at: 1_700_000_061_000, type: 'acked', id: '1700000060000-0', group: 'g', consumer: 'w' },
    ],
    complete: false,
    notes: [`events: the call bound was reached ${EVIL}`],
    ...over,
  };
}

describe('(unit) journey panel page', () => {
  it('escapes text for content and attributes', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('draws a message: state, pairs (binary as hex, empty marked), groups, dead letters with Replay, the replay chain, the timeline, notes; nothing from Redis becomes markup', () => {
    const html = renderJourney(message(), ctx);
    assert.deepEqual([...new Set(tagsOf(html))].filter((t) => !OWN_TAGS.has(t)), [], 'only the renderer\'s own tags');
    assert.ok(!html.includes('<img'), 'no tag from data');
    assert.ok(!/onerror="/.test(html), 'no attribute from data');
    assert.ok(html.includes('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;'));
    assert.match(html, /id="state">In the stream</);
    assert.match(html, /0xff00fe<\/span> <span class="dim">\(3 bytes, binary\)/);
    assert.match(html, /<th scope="row">empty<\/th><td><span class="dim">\(empty\)<\/span>/);
    assert.match(html, />Pending<\/span>.*w&lt;img.*<td class="num">3<\/td><td class="num"><span class="idle" title="last delivered [^"]+ local · 2023-11-14 22:13:55\.000 UTC">1m 5s<\/span><\/td>/s);
    // The cursor column says it is the group's, not this message's delivery.
    assert.match(html, /<th title="The group&#39;s last-delivered id: [^"]+">Group's cursor <span class="sub">\(last delivered to the group\)<\/span><\/th>/);
    assert.match(html, /<code class="cursor" title="The group&#39;s last-delivered id[^"]*">1700000000000-0<\/code>/);
    assert.match(html, />Not delivered yet</);
    assert.match(html, />Acknowledged</);
    assert.match(html, /data-action="replay" data-dlq="s&lt;img src=x onerror=&quot;alert\(1\)&quot;&gt;&#39;&amp;:dlq" data-id="1700000050000-0"/);
    assert.match(html, /<b class="self">1700000000000-0<\/b> <span class="arrow">→<\/span> <a [^>]*data-id="1700000060000-0"[^>]*>1700000060000-0<\/a> <span class="arrow">→<\/span> <a [^>]*data-id="1700000070000-0"[^>]*>1700000070000-0<\/a> <span class="dim">\(gone\)<\/span>/);
    assert.match(html, /<tr class="ev ev-failed">.*failed \(delivery 1\).*boom&lt;img/s);
    assert.match(html, /<span class="tag">replay 1700000060000-0<\/span> acknowledged/, 'an event of a replay is marked');
    assert.match(html, /id="incomplete"/);
    assert.match(html, /2023-11-14 22:13:20\.000 UTC<\/span>/, "the id's time in UTC beside local time");
    assert.match(html, /title="2023-11-14 22:14:10\.000 UTC · 50s ago"/, 'UTC on hover');
  });

  it('a read-only connection offers no Replay; no events: how to record them; a gone message', () => {
    const html = renderJourney(message({ state: 'trimmed', stateNote: "older than the stream's first entry 1-0", entry: null, events: [], complete: true, notes: [] }), { ...ctx, readOnly: true });
    assert.ok(!html.includes('data-action="replay"'));
    assert.match(html, /Read-only connection: replaying is not offered/);
    assert.match(html, /id="state">Trimmed</);
    assert.match(html, /Older than the stream&#39;s first entry 1-0\./);
    assert.match(html, /The message is no longer in the stream: its dead-letter copies below keep it/);
    assert.match(html, /No events recorded in <code>.*:events<\/code>.*<code>events: true<\/code>.*<code>redis-queues work --events<\/code>/);
    assert.ok(!html.includes('id="notes"'));
  });

  it('a replay says where why and when it was dead-lettered are (its record went with the replay)', () => {
    const html = renderJourney(message({ id: '1700000060000-0', replayOf: '1700000000000-0', deadLetters: [], replays: [] }), ctx);
    assert.match(html, /This message is a replay of <a [^>]*data-id="1700000000000-0"[^>]*>1700000000000-0<\/a>\. <span class="dim">Replaying removed its dead-letter record: why and when it was dead-lettered is in the original's journey/);
  });

  it('draws a list-queue job', () => {
    const j: JobJourney = {
      kind: 'job',
      queue: `q${EVIL}`,
      id: `job${EVIL}`,
      layout: {},
      keys: { waiting: 'q', processing: 'q:processing', dead: 'q:dead', job: `q:job:job${EVIL}` },
      state: 'dead',
      list: 'q:dead',
      index: 0,
      listLength: 2,
      hash: true,
      attempts: 5,
      lastError: `SMTP ${EVIL}`,
      createdAt: 1_700_000_000_000,
      deadAt: 1_700_000_090_000,
      eventsKey: 'q:events',
      events: [{ eventId: '1700000090000-0', at: 1_700_000_090_000, type: 'dead-lettered', id: `job${EVIL}`, deliveries: 5, error: 'x' }],
      complete: true,
      notes: [],
    };
    const html = renderJourney(j, ctx);
    assert.deepEqual([...new Set(tagsOf(html))].filter((t) => !OWN_TAGS.has(t)), []);
    assert.match(html, /id="state">Dead</);
    assert.match(html, /<th scope="row">Attempts<\/th><td>5<\/td>/);
    assert.match(html, /SMTP &lt;img/);
    assert.match(html, /dead-lettered after 5 deliveries/);
    assert.match(html, /data-action="openJob"/);
  });
});
