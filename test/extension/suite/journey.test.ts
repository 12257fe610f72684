// The journey of a message, inside a real VS Code against a real Redis: Show Journey on the tree's
// rows (stream entry, pending entry, dead-letter record, list-queue job), on a search result and
// from the palette with a pasted id. Each state the core tells is checked twice: in the object the
// command returns, and in the panel's page (the HTML rendered, and the text the webview reports it
// drew). Seeded with real groups, a real dead-lettering and replay, and real workers run with
// events on.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { open, quit } from '../../../src/core/redis/connection';
import type { JobJourney, MessageJourney } from '../../../src/core/inspect/journey';
import { deadLetter, replay } from '../../../src/core/ops';
import { ListQueueProducer, ListQueueWorker, StreamWorker } from '../../../src/core/queue';
import { serverCapabilities } from '../../../src/core/redis/server';
import type { RedisQueuesApi } from '../../../src/vscode/activate';
import type { JourneyPanel, JourneyTarget } from '../../../src/vscode/journey/journeyPanel';
import type { PickItem, Prompter } from '../../../src/vscode/ui';
import { tree, until } from '../helpers';

const EXT = 'redis-queues.redis-queues';

/** Answers prompts in order; records the questions. Runs out → cancel. */
function scripted(answers: unknown[]): Prompter & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async pick<T>(items: PickItem<T>[], o: { title: string }) {
      asked.push(`pick: ${o.title}`);
      const a = answers.shift();
      return typeof a === 'function' ? (a as (i: PickItem<T>[]) => T)(items) : (a as T | undefined);
    },
    async pickMany() {
      return undefined;
    },
    async input(o: { title: string; validate?: (v: string) => string | undefined }) {
      asked.push(`input: ${o.title}`);
      const a = answers.shift() as string | undefined;
      if (a !== undefined) assert.equal(o.validate?.(a), undefined, `"${a}" is refused by "${o.title}"`);
      return a;
    },
    async confirm() {
      return false;
    },
    info: () => undefined,
    warn: () => undefined,
  };
}

describe('(extension) journey of a message', function () {
  this.timeout(60_000);
  let api: RedisQueuesApi;
  let client: Redis;
  const prefix = `journey-${randomUUID().slice(0, 8)}`;
  const conn = `jc-${prefix}`;
  const ro = `jro-${prefix}`;
  const { path, kids } = tree(() => api);
  const stops: (() => Promise<void>)[] = [];

  before(async () => {
    api = (await vscode.extensions.getExtension<RedisQueuesApi>(EXT)!.activate())!;
    client = (await open({ url: process.env.REDIS_URL! })) as Redis;
    await vscode.workspace.getConfiguration('redisQueues').update('streamFilter', `${prefix}:*`, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('redisQueues').update('refreshIntervalSeconds', 0, vscode.ConfigurationTarget.Global);
    for (const [name, extra] of [[conn, {}], [ro, { readOnly: true }]] as const) {
      await vscode.commands.executeCommand('redisQueues.connection.add', { name, url: process.env.REDIS_URL!, ...extra });
      await until(name, () => Boolean(api.services.sessions.get(name)));
    }
  });
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((s) => s()));
    for (const p of api.services.journeys.list()) p.dispose();
    api.services.ui = (await import('../../../src/vscode/ui')).vscodePrompter;
  });
  after(async () => {
    for (const name of [conn, ro]) await vscode.commands.executeCommand('redisQueues.connection.remove', name, { confirm: false });
    await vscode.workspace.getConfiguration('redisQueues').update('streamFilter', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('redisQueues').update('refreshIntervalSeconds', undefined, vscode.ConfigurationTarget.Global);
    await quit(client);
  });

  const add = async (s: string, ...nv: string[]) => String(await client.xadd(s, '*', ...nv));

  /** Runs Show Journey with these arguments; returns the journey and its panel. */
  async function journey<J = MessageJourney>(connection: string, target: JourneyTarget, ...args: unknown[]): Promise<{ j: J; panel: JourneyPanel }> {
    const j = await vscode.commands.executeCommand<J>('redisQueues.journey', ...args);
    assert.ok(j, 'the command returned no journey');
    const panel = api.services.journeys.find(connection, target);
    assert.ok(panel, `no journey panel for ${JSON.stringify(target)}`);
    return { j, panel };
  }

  /** Waits until the webview reports the page it drew, and that it shows every fact. */
  async function shows(panel: JourneyPanel, ...facts: (string | RegExp)[]): Promise<string> {
    await until(`the journey panel to draw ${facts.join(', ')}`, () => panel.state.shown !== undefined).catch((e: Error) => {
      throw new Error(`${e.message}; rendered: ${panel.state.html.slice(0, 400)}`);
    });
    const text = panel.state.shown!;
    for (const f of facts) assert.ok(typeof f === 'string' ? text.includes(f) : f.test(text), `the panel does not show ${String(f)}:\n${text}`);
    return text;
  }

  it('present: per group not delivered, pending (consumer, deliveries, idle) and acknowledged; from the entry row and the pending row (one panel); values escaped', async () => {
    const s = `${prefix}:orders`;
    const id = await add(s, 'order', '7', 'order', '8', 'note', '<script>alert(1)</script>', 'empty', '');
    await client.xgroup('CREATE', s, 'fresh', '0');
    await client.xgroup('CREATE', s, 'busy', '0');
    await client.xgroup('CREATE', s, 'done', '0');
    await client.xreadgroup('GROUP', 'busy', 'worker-2', 'COUNT', 1, 'STREAMS', s, '>');
    await client.xreadgroup('GROUP', 'done', 'c1', 'COUNT', 1, 'STREAMS', s, '>');
    await client.xack(s, 'done', id);
    const target: JourneyTarget = { kind: 'message', stream: s, id };

    const row = await path(conn, 'Streams', s, 'Entries', id);
    const { j, panel } = await journey(conn, target, row);
    assert.equal(j.state, 'present');
    assert.deepEqual(j.entry!.raw!.map(String), ['order', '7', 'order', '8', 'note', '<script>alert(1)</script>', 'empty', '']);
    const by = Object.fromEntries(j.groups.map((g) => [g.group, g]));
    assert.deepEqual([by['fresh']!.state, by['busy']!.state, by['done']!.state], ['not-delivered', 'pending', 'acknowledged']);
    assert.deepEqual([by['busy']!.consumer, by['busy']!.deliveries], ['worker-2', 1]);

    const html = panel.state.html;
    assert.ok(!html.includes('<script>alert'), 'a message value is never HTML');
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.match(html, /id="state">In the stream</);
    const text = await shows(panel, 'Journey of ' + id, 'In the stream', 'Not delivered yet', 'Pending', 'worker-2', 'Acknowledged', '<script>alert(1)</script>', '(empty)', 'UTC', 'Open Entry');
    assert.match(text, /order\s+7[\s\S]*order\s+8/, 'both pairs named order, in order');
    assert.match(text, /No events recorded in .*:orders:events[\s\S]*redis-queues work --events/, 'how to turn events on');
    assert.equal(panel.panel.title, `Journey: ${id}`);
    const doc = (await panel.handle({ type: 'action', action: 'openEntry', data: { stream: s, id } })) as vscode.TextDocument;
    assert.ok(doc.getText().includes('<script>alert(1)</script>'), 'Open Entry opens the entry document');

    // The same message from its pending row: the same panel, read again.
    const renders = panel.state.renders;
    const pendingRow = await path(conn, 'Streams', s, 'Groups', 'busy', 'worker-2', id);
    const again = await journey(conn, target, pendingRow);
    assert.equal(again.panel, panel);
    assert.equal(api.services.journeys.list().length, 1, 'one panel per message');
    assert.equal(panel.state.renders, renders + 1);

    // Refresh from the panel reads it again: acked since, the busy group says so.
    await client.xack(s, 'busy', id);
    await panel.handle({ type: 'action', action: 'refresh', data: {} });
    assert.equal((panel.state.journey as MessageJourney).groups.find((g) => g.group === 'busy')!.state, 'acknowledged');
    assert.ok(!panel.state.html.includes('worker-2'));
  });

  it('trimmed, and deleted (gone before Redis 7.0), with what each means', async () => {
    const s = `${prefix}:gone`;
    const old = await add(s, 'n', '0');
    await client.xgroup('CREATE', s, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'c', 'COUNT', 1, 'STREAMS', s, '>');
    await add(s, 'n', '1');
    const mid = await add(s, 'n', '2');
    await add(s, 'n', '3');
    await client.xtrim(s, 'MAXLEN', 3);
    await client.xdel(s, mid);

    const trimmed = await journey(conn, { kind: 'message', stream: s, id: old }, undefined, { connection: conn, stream: s, id: old });
    assert.equal(trimmed.j.state, 'trimmed');
    assert.equal(trimmed.j.groups[0]!.state, 'pending', 'still pending in g though gone');
    assert.match(trimmed.panel.state.html, /id="state">Trimmed</);
    await shows(trimmed.panel, 'Trimmed', 'trimming (MAXLEN / MINID) removed it', "Older than the stream's first entry", 'The message is no longer in the stream', 'gone from the stream');

    const deleted = await journey(conn, { kind: 'message', stream: s, id: mid }, undefined, { connection: conn, text: `${s} ${mid}` });
    if ((await serverCapabilities(client)).lag) {
      assert.equal(deleted.j.state, 'deleted');
      await shows(deleted.panel, 'Deleted', 'deleted with XDEL');
    } else {
      assert.equal(deleted.j.state, 'gone');
      await shows(deleted.panel, 'Gone', 'before Redis 7.0');
    }
  });

  it('a dead-letter record shows the journey of its original: the copy with its error and deliveries, and the group acknowledged it by the move', async () => {
    const s = `${prefix}:pay`;
    const id = await add(s, 'order', '9');
    await client.xgroup('CREATE', s, 'billing', '0');
    for (let i = 0; i < 3; i++) await client.xreadgroup('GROUP', 'billing', 'c1', 'COUNT', 1, 'STREAMS', s, i === 0 ? '>' : '0');
    const moved = await deadLetter({ client }, s, 'billing', [id], { reason: 'TimeoutError: gateway <slow>' });
    const dlqId = moved.moved[0]!.dlqId;

    const record = await path(conn, 'Streams', `${s}:dlq`, 'Entries', dlqId);
    const { j, panel } = await journey(conn, { kind: 'message', stream: s, id }, record);
    assert.equal(j.stream, s, 'the journey of the original, not of the record');
    assert.equal(j.id, id);
    assert.deepEqual(j.deadLetters.map((d) => [d.id, d.originalId, d.error, d.deliveries, d.group, d.consumer]), [[dlqId, id, 'TimeoutError: gateway <slow>', 3, 'billing', 'c1']]);
    assert.equal(j.groups[0]!.state, 'acknowledged');
    assert.match(panel.state.html, /TimeoutError: gateway &lt;slow&gt;/);
    assert.match(panel.state.html, new RegExp(`data-action="replay" data-dlq="${s}:dlq" data-id="${dlqId}"`), 'Replay offered on a writable connection');
    const text = await shows(panel, 'Dead-letter copies', dlqId, 'this message', 'TimeoutError: gateway <slow>', 'group billing, consumer c1', 'acknowledged when dead-lettered');
    assert.match(text, /TimeoutError: gateway <slow>\s+3\s/, 'error, then its deliveries');

    // Replay… runs the Replay command on the record (its rate and confirmation asked), then the panel reads the journey again.
    const ui = scripted(['100']);
    let confirmed = '';
    api.services.ui = { ...ui, confirm: async (m: string, d: string) => ((confirmed = `${m} ${d}`), true) };
    await panel.handle({ type: 'action', action: 'replay', data: { dlq: `${s}:dlq`, id: dlqId } });
    assert.match(confirmed, new RegExp(`^Replay 1 dead-lettered entry from "${s}:dlq"\\?`));
    const after = panel.state.journey as MessageJourney;
    assert.equal(after.deadLetters.length, 0, 'the record left the dead-letter stream');
    assert.deepEqual(after.replays.map((r) => [r.from, r.present]), [[id, true]]);
    await shows(panel, 'Replays', `${id} → ${after.replays[0]!.to}`);
  });

  it('a replay chain A → B → C, each link opening its journey; B says it replays A', async () => {
    const s = `${prefix}:chain`;
    const a = await add(s, 'order', '10');
    await client.xgroup('CREATE', s, 'g', '0');
    const bounce = async (id: string, reason: string): Promise<string> => {
      await client.xreadgroup('GROUP', 'g', 'c', 'COUNT', 100, 'STREAMS', s, '>');
      await deadLetter({ client }, s, 'g', [id], { reason });
      return (await replay({ client }, `${s}:dlq`, { ratePerSecond: 1000 })).replayed[0]!.newId;
    };
    const b = await bounce(a, 'first');
    const c = await bounce(b, 'second');

    const { j, panel } = await journey(conn, { kind: 'message', stream: s, id: a }, undefined, { connection: conn, stream: s, id: a });
    assert.deepEqual(j.replays.map((r) => [r.from, r.to, r.present]), [[a, b, true], [b, c, true]]);
    assert.match(panel.state.html, new RegExp(`<b class="self">${a}</b> <span class="arrow">→</span> <a href="#" class="action" data-action="journey" data-id="${b}"[^>]*>${b}</a> <span class="arrow">→</span> <a href="#" class="action" data-action="journey" data-id="${c}"`));
    await shows(panel, 'Replays', `${a} → ${b} → ${c}`);

    // Clicking B opens B's journey in a panel of its own.
    const jb = (await panel.handle({ type: 'action', action: 'journey', data: { id: b } })) as MessageJourney;
    assert.equal(jb.id, b);
    assert.equal(jb.replayOf, a);
    const pb = api.services.journeys.find(conn, { kind: 'message', stream: s, id: b })!;
    assert.ok(pb && pb !== panel);
    await shows(pb, `This message is a replay of ${a}`);
  });

  it('the timeline a real StreamWorker recorded with events: true (failed once, retried, acked), from a search result row', async () => {
    const s = `${prefix}:work`;
    await client.xgroup('CREATE', s, 'g', '$', 'MKSTREAM');
    const id = await add(s, 'kind', 'flaky');
    let calls = 0;
    const w = new StreamWorker({
      connection: { url: process.env.REDIS_URL! },
      stream: s,
      group: 'g',
      consumer: 'w1',
      startId: '0',
      blockMs: 200,
      maxDeliveries: 3,
      backoff: { initialMs: 10, jitter: 0 },
      events: true,
      handler: () => {
        if (++calls === 1) throw new Error('flaky once');
      },
    });
    stops.push(() => w.stop());
    await w.start();
    await until('the message acked', () => w.stats.acked === 1);
    await w.stop(); // flushes the events

    // Find it with a search, then Show Journey on the hit row.
    const run = await vscode.commands.executeCommand<{ hits: unknown[] }>('redisQueues.search', await path(conn, 'Streams', s), { query: 'kind=flaky' });
    assert.equal(run!.hits.length, 1);
    const searchRow = api.services.search.list().map((r) => api.services.search.nodeOf(r)!).find((n) => n.run === (run as unknown))!;
    const [hit] = await api.services.search.getChildren(searchRow);
    assert.equal(hit!.item().contextValue, 'streamEntry', 'a hit row has the entry contextValue the journey menu matches');
    const { j, panel } = await journey(conn, { kind: 'message', stream: s, id }, hit);
    assert.deepEqual(j.events.map((e) => e.type), ['delivered', 'failed', 'retried', 'delivered', 'acked']);
    assert.equal(j.groups[0]!.state, 'acknowledged');
    assert.equal(j.groups[0]!.note, undefined, 'the acked event tells it was acknowledged');
    assert.match(panel.state.html, /<tr class="ev ev-failed">/);
    const text = await shows(panel, 'Timeline', '5 events', 'flaky once', 'delivered (delivery 1)', 'failed (delivery 1)', 'retried (delivery 2)', 'delivered (delivery 2)', 'acknowledged', 'g / w1');
    assert.ok(text.indexOf('flaky once') < text.indexOf('delivered (delivery 2)'), 'oldest first');
    assert.ok(!text.includes('No events recorded'));
  });

  it('a list-queue job: dead in its list with attempts, last error and its events; a waiting one with the jobs ahead of it', async () => {
    const q = `${prefix}:mail`;
    const producer = new ListQueueProducer(client, { queue: q });
    const bad = await producer.enqueue({ to: 'a@example.com', n: 'bad' });
    const w = new ListQueueWorker({
      connection: { url: process.env.REDIS_URL! },
      queue: q,
      blockMs: 200,
      maxAttempts: 1,
      events: true,
      handler: () => {
        throw new Error('SMTP 550: mailbox <unavailable>');
      },
    });
    stops.push(() => w.stop());
    await w.start();
    await until('the job dead', () => w.stats.deadLettered === 1);
    await w.stop();
    const waiting = [await producer.enqueue({ n: '1' }), await producer.enqueue({ n: '2' })];

    const row = await path(conn, 'List queues', q, 'Dead-letter', bad);
    const { j, panel } = await journey<JobJourney>(conn, { kind: 'job', queue: q, id: bad }, row);
    assert.equal(j.kind, 'job');
    assert.deepEqual([j.state, j.list, j.attempts, j.lastError], ['dead', `${q}:dead`, 1, 'SMTP 550: mailbox <unavailable>']);
    assert.deepEqual(j.events.map((e) => e.type), ['delivered', 'failed', 'dead-lettered']);
    assert.match(panel.state.html, /id="state">Dead</);
    await shows(panel, `Journey of job ${bad}`, 'Dead', `${q}:dead`, 'Attempts', '1', 'SMTP 550: mailbox <unavailable>', 'dead-lettered', 'Open Job');
    assert.equal(panel.panel.title, `Journey: job ${bad}`);

    const first = await path(conn, 'List queues', q, 'Waiting', waiting[1]!);
    const second = await journey<JobJourney>(conn, { kind: 'job', queue: q, id: waiting[1]! }, first);
    assert.deepEqual([second.j.state, second.j.ahead], ['waiting', 1]);
    await shows(second.panel, 'Waiting', '1 job ahead of it', 'No events recorded');
  });

  it('from the palette: a pasted "stream id", or the stream typed and the id pasted (quotes and a comma taken off), or an id alone', async () => {
    const s = `${prefix}:pasted`;
    const id = await add(s, 'k', 'v');
    const pickConn = (items: PickItem<unknown>[]) => items.find((i) => i.label === conn)!.value;

    let ui = scripted([pickConn, `${s} ${id}`]);
    api.services.ui = ui;
    let j = await vscode.commands.executeCommand<MessageJourney>('redisQueues.journey.find');
    assert.deepEqual([j?.stream, j?.id, j?.state], [s, id, 'present']);
    assert.deepEqual(ui.asked, ['pick: Connection', `input: Journey of a message on "${conn}": stream`]);

    ui = scripted([pickConn, s, ` "${id}",`]);
    api.services.ui = ui;
    j = await vscode.commands.executeCommand<MessageJourney>('redisQueues.journey.find');
    assert.deepEqual([j?.stream, j?.id], [s, id]);
    assert.equal(ui.asked[2], `input: Journey of a message in "${s}": id`);

    ui = scripted([pickConn, id, s]);
    api.services.ui = ui;
    j = await vscode.commands.executeCommand<MessageJourney>('redisQueues.journey.find');
    assert.deepEqual([j?.stream, j?.id], [s, id]);
    assert.equal(ui.asked[2], `input: Journey of ${id}: stream`);

    // Cancelling a prompt ends silently; a bad id is refused by the prompt.
    ui = scripted([pickConn, s]);
    api.services.ui = ui;
    assert.equal(await vscode.commands.executeCommand('redisQueues.journey.find'), undefined);
    let validate: ((v: string) => string | undefined) | undefined;
    api.services.ui = { ...scripted([pickConn, s]), input: async (o) => ((validate = o.validate), o.title.endsWith(': stream') ? s : undefined) };
    await vscode.commands.executeCommand('redisQueues.journey.find');
    assert.match(validate!('not-an-id')!, /paste an id like 1700000000000-0/);
    assert.equal(validate!(`${s} ${id}`), undefined);
  });

  it('a read-only connection follows journeys (reads only) and offers no Replay', async () => {
    const s = `${prefix}:ro`;
    const id = await add(s, 'order', '11');
    await client.xgroup('CREATE', s, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'c', 'COUNT', 1, 'STREAMS', s, '>');
    await deadLetter({ client }, s, 'g', [id], { reason: 'nope' });
    const writes = async () => {
      const stats = String(await client.info('commandstats'));
      return ['xadd', 'xack', 'xdel', 'xclaim', 'eval', 'evalsha'].map((c) => Number(new RegExp(`cmdstat_${c}:calls=(\\d+)`).exec(stats)?.[1] ?? 0));
    };
    const before = await writes();
    const record = (await kids(await path(ro, 'Streams', `${s}:dlq`, 'Entries')))[0]!;
    const { j, panel } = await journey(ro, { kind: 'message', stream: s, id }, record);
    assert.equal(j.deadLetters[0]!.error, 'nope');
    assert.ok(!panel.state.html.includes('data-action="replay"'), 'no Replay on a read-only connection');
    await shows(panel, 'nope', 'Read-only connection: replaying is not offered.');
    assert.deepEqual(await writes(), before, 'the journey sent no write');
  });
});
