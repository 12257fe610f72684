// Replies of real servers this machine cannot run (Redis 6.0, 6.2, 7.2, Valkey 8.0; and Debian's
// 7.0 for comparison), recorded with ioredis as the project configures it (test/fixtures/
// server-replies/README.md): the message model, capability-dependent figures and error
// classification hold on every version the README names.
import * as assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { rawOf, sameRaw } from '../../src/core/messages/message';
import { isPermanentScriptRefusal, withoutScriptNoise } from '../../src/core/queue/lua';
import { capabilities, parseAutoClaim, parseEntries, parseRead, parseStreamInfo } from '../../src/core/redis/replies';

interface Fixture {
  server: { redis_version: string; server_name: string; valkey_version: string | null };
  replies: { label: string; command: string[]; reply: unknown }[];
}

const dir = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'server-replies');

/** Turns the recorded JSON back into what ioredis hands the parsers: Buffers for bulk strings. */
function revive(v: unknown): unknown {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o['$b64'] === 'string') return Buffer.from(o['$b64'], 'base64');
    if (typeof o['$error'] === 'string') return new Error(o['$error']);
  }
  return v;
}

for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  const fx = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Fixture;
  const version = fx.server.redis_version;
  const caps = capabilities(version);
  const reply = (label: string): unknown => {
    const r = fx.replies.find((x) => x.label === label);
    assert.ok(r, `${file}: no reply "${label}"`);
    return revive(r.reply);
  };
  const has = (label: string) => fx.replies.some((x) => x.label === label);

  describe(`(unit) replies of ${fx.server.valkey_version ? `Valkey ${fx.server.valkey_version}` : `Redis ${version}`}`, () => {
    it('a repeated field name is kept, in order, by XRANGE, XREADGROUP and XAUTOCLAIM parsing', () => {
      const want = rawOf('a', '3', 'a', '4');
      assert.ok(sameRaw(parseEntries(reply('xrange'))[0]!.raw, want));
      const read = parseRead(reply('xreadgroup own pending incl. deleted'))[0]!.entries;
      assert.deepEqual(read.map((e) => e.id), ['1-1', '2-1']);
      assert.equal(read[0]!.raw, null, 'a deleted entry in the PEL has no body');
      assert.ok(sameRaw(read[1]!.raw, want));
      if (caps.autoClaim) {
        const ac = parseAutoClaim(reply('xautoclaim (6.2+; deleted ids 7.0+)'));
        assert.ok(sameRaw(ac.entries.find((e) => e.id === '2-1')!.raw, want));
        // (The XCLAIM recorded just before already dropped the deleted 1-1 from the PEL on 7.0+.)
        assert.ok(Array.isArray(ac.deletedIds));
      }
    });

    it(`XINFO STREAM: entries-added ${caps.lag ? 'is read (exact tail counts)' : 'is absent before 7.0 (tail counts say "at least")'}`, () => {
      const info = parseStreamInfo(reply('xinfo stream'));
      assert.equal(info.entriesAdded, caps.lag ? 3 : undefined);
      assert.equal(info.length, caps.lag ? 2 : 1);
    });

    it('Lua refuses an unpack of 8,000 values: scripts pass at most 7,900 arguments to one command; the error reads the same on every version', () => {
      const e = reply('eval unpack 8000') as Error;
      assert.equal((withoutScriptNoise(e) as Error).message, 'ERR user_script:1: too many results to unpack'.replace(caps.lag ? '' : 'user_script:1: ', ''));
    });

    if (has('acl refusal inside a script')) {
      it('an ACL refusal inside a script is a permanent refusal (scripted reads turn off)', () => {
        const e = withoutScriptNoise(reply('acl refusal inside a script')) as Error;
        assert.equal(isPermanentScriptRefusal(e), true, e.message);
        assert.match(e.message, /^ERR (The user executing the script can't run this command or subcommand|ACL failure in script: User notrim has no permissions to run the 'xtrim' command)$/);
      });
    }
  });
}
