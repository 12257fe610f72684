// Find Jobs (core frameworks/findJobs.ts) on a real redis-server, against a reference written
// here: random Sidekiq jobs (the payloads Sidekiq's client writes, pushed as it pushes them) whose
// arguments carry random words; every search of a word finds exactly the jobs whose arguments
// hold it (any case), in the order a Sidekiq process takes them, whatever the page size; the
// budget and the limit stop it where they say.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type Redis from 'ioredis';
import { open, quit } from '../../src/core/connection';
import { findJobs } from '../../src/core/frameworks/findJobs';
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
});
