// Find Jobs (core frameworks/findJobs.ts) on a real redis-server, against a reference written
// here: random Sidekiq jobs (the payloads Sidekiq's client writes, pushed as it pushes them) whose
// arguments carry random words; every search of a word finds exactly the jobs whose arguments
// hold it (any case), in the order a Sidekiq process takes them, whatever the page size; the
// budget and the limit stop it where they say. Export Jobs (frameworks/exportJobs.ts) against the
// set as Redis holds it: every job once, each entry byte for byte.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/redis/connection';
import { PassThrough } from 'node:stream';
import { findJobs } from '../../src/core/frameworks/findJobs';
import { exportJobs, frameworkJobSource } from '../../src/core/frameworks/exportJobs';
import type { FwRow } from '../../src/core/frameworks/framework';
import { sidekiqReader } from '../../src/core/frameworks/sidekiq';
import { redisUrl } from '../support/integrationHooks';

const WORDS = ['zebra', 'Quokka', 'narwhal', 'AXOLOTL', 'okapi', 'tapir'];

describe('(integration) Find Jobs of a framework, against a reference', function () {
  this.timeout(60_000);
  let client: Redis;
  before(async () => {
    client = (await open({ url: redisUrl() })) as Redis;
  });
  after(async () => quit(client));

  it('finds exactly the jobs whose arguments hold the text (any case), in order, for any page size; budget and limit stop where they say', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.subarray(WORDS), { minLength: 0, maxLength: 60 }),
        fc.constantFrom(...WORDS),
        fc.integer({ min: 1, max: 25 }),
        async (jobs, word, pageSize) => {
          const q = `find-${randomUUID().slice(0, 8)}`;
          // As Sidekiq's client: LPUSH queue:<q> <payload>; a process takes from the right.
          const jids = jobs.map(() => randomUUID().replace(/-/g, '').slice(0, 24));
          const payloads = jobs.map((words, i) => JSON.stringify({ retry: true, queue: q, class: 'MailerJob', args: [i, words.join(' ')], jid: jids[i], created_at: 1.7e9, enqueued_at: 1.7e9 }));
          if (payloads.length) await client.lpush(`queue:${q}`, ...payloads);
          const row: FwRow = { framework: 'sidekiq', kind: 'queue', name: q, key: `queue:${q}`, states: [{ state: 'enqueued', label: 'Enqueued', tone: 'waiting', count: jobs.length, order: '' }], marks: [], notes: [] };
          // Reference: in the order taken (the first pushed first), those whose words hold the text.
          const expected = jids.filter((_, i) => jobs[i]!.some((w) => w.toLowerCase().includes(word.toLowerCase())));
          const r = await findJobs(sidekiqReader, client, row, 'enqueued', word.toUpperCase(), { pageSize });
          assert.deepEqual(r.hits.map((j) => j.id), expected);
          assert.deepEqual([r.examined, r.total, r.stopped], [jobs.length, jobs.length, 'end']);
          // A budget of jobs: only the first ones are looked at, and it says so when there were more.
          const budget = Math.max(1, Math.floor(jobs.length / 2));
          const b = await findJobs(sidekiqReader, client, row, 'enqueued', word, { pageSize, maxJobs: budget });
          assert.deepEqual(b.hits.map((j) => j.id), jids.slice(0, budget).filter((id) => expected.includes(id)));
          assert.equal(b.stopped, jobs.length > budget ? 'budget' : 'end');
          // A limit of matches.
          if (expected.length > 1) {
            const l = await findJobs(sidekiqReader, client, row, 'enqueued', word, { pageSize, limit: 1 });
            assert.deepEqual([l.hits.map((j) => j.id), l.stopped], [expected.slice(0, 1), 'limit']);
          }
          await client.del(`queue:${q}`);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('Export Jobs writes every job of the state once, in order, each entry byte for byte as stored (binary, unicode, big numbers), for any page size', async () => {
    // Sidekiq's Dead set: members are the jobs' JSON as Sidekiq wrote it (here also bytes that are not UTF-8).
    const member = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }).map((t) => Buffer.from(JSON.stringify({ class: 'MailerJob', queue: 'q', args: [t, '12345678901234567890123'], jid: randomUUID().replace(/-/g, '').slice(0, 24), error_message: t }).replace('"12345678901234567890123"', '12345678901234567890123'))),
      fc.uint8Array({ minLength: 1, maxLength: 30 }).map((b) => Buffer.concat([Buffer.from('{"jid":"'), Buffer.from(randomUUID().slice(0, 8)), Buffer.from('","class":"X","args":["'), Buffer.from(b), Buffer.from('"]}')])),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(member, { minLength: 0, maxLength: 40 }), fc.integer({ min: 1, max: 15 }), async (members, pageSize) => {
        const ns = `exp${randomUUID().slice(0, 8)}:`;
        const key = `${ns}dead`;
        const scored = members.map((m, i) => [String(1_700_000_000 + i + 0.5), m] as const);
        if (scored.length) await client.zadd(key, ...scored.flat());
        const row: FwRow = { framework: 'sidekiq', kind: 'set', name: 'Dead', key, states: [{ state: 'dead', label: 'Dead', tone: 'dead', count: members.length, order: '' }], marks: [], notes: [] };
        const out = new PassThrough();
        const chunks: Buffer[] = [];
        out.on('data', (c: Buffer) => chunks.push(c));
        const r = await exportJobs(frameworkJobSource(sidekiqReader, client, row, 'dead'), out, { pageSize, header: { connection: 't' } });
        const lines = Buffer.concat(chunks).toString('utf8').split('\n');
        assert.equal(lines.pop(), '', 'each line ends with a newline');
        const header = JSON.parse(lines.shift()!) as Record<string, Record<string, unknown>>;
        assert.deepEqual([header['redis-queues-jobs']!.framework, header['redis-queues-jobs']!.set, header['redis-queues-jobs']!.state, header['redis-queues-jobs']!.connection], ['sidekiq', 'Dead', 'dead', 't']);
        // Reference: the set as Redis holds it, newest first (Sidekiq Web's order), each member's bytes.
        const raw = (await client.zrangeBuffer(key, '0', '-1')).reverse();
        const got = lines.map((l) => JSON.parse(l) as { entry: { member: string | { base64: string } } });
        assert.deepEqual(
          got.map((j) => (typeof j.entry.member === 'string' ? Buffer.from(j.entry.member, 'utf8') : Buffer.from(j.entry.member.base64, 'base64')).toString('hex')),
          raw.map((b) => b.toString('hex')),
        );
        assert.deepEqual([r.written, r.total, r.repeated, r.stopped], [members.length, members.length, 0, 'end']);
        assert.equal(r.bytes, Buffer.concat(chunks).length);
        await client.del(key);
      }),
      { numRuns: 40 },
    );
  });

  it('a job read again on the next page (the set moved under the export) is written once and counted', async () => {
    const q = `expmove-${randomUUID().slice(0, 8)}`;
    const payload = (i: number) => JSON.stringify({ class: 'J', queue: q, args: [i], jid: `j${i}`, enqueued_at: 1.7e9 });
    // Jobs 0..9, the next one taken first: a page of 4, then a job put back at the front shifts
    // the next pages by one, so the first job of the second page was already read.
    await client.lpush(`queue:${q}`, ...Array.from({ length: 10 }, (_, i) => payload(i)));
    const row: FwRow = { framework: 'sidekiq', kind: 'queue', name: q, key: `queue:${q}`, states: [{ state: 'enqueued', label: 'Enqueued', tone: 'waiting', count: 10, order: '' }], marks: [], notes: [] };
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    let pages = 0;
    const reader = { ...sidekiqReader, jobs: async (...a: Parameters<typeof sidekiqReader.jobs>) => {
      const page = await sidekiqReader.jobs(...a);
      // A job put back at the front (as Sidekiq's fetcher requeues on shutdown: RPUSH, where a process takes next).
      if (pages++ === 0) await client.rpush(`queue:${q}`, payload(-1));
      return page;
    } };
    const r = await exportJobs(frameworkJobSource(reader, client, row, 'enqueued'), out, { pageSize: 4 });
    const ids = Buffer.concat(chunks).toString('utf8').trim().split('\n').slice(1).map((l) => (JSON.parse(l) as { id: string }).id);
    assert.deepEqual([...new Set(ids)].length, ids.length, 'no job written twice');
    assert.equal(r.repeated, 1);
    assert.deepEqual(ids, ['j0', 'j1', 'j2', 'j3', 'j4', 'j5', 'j6', 'j7', 'j8', 'j9']);
    await client.del(`queue:${q}`);
  });
});
