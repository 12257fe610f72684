import * as assert from 'node:assert/strict';
import { parsePackedEntries } from '../../src/core/redis/replies';

// MessagePack as Redis' cmsgpack writes it for [[id, [field, value, ...]], ...].
const str = (s: string | Buffer) => {
  const b = Buffer.isBuffer(s) ? s : Buffer.from(s);
  if (b.length < 32) return Buffer.concat([Buffer.from([0xa0 | b.length]), b]);
  if (b.length < 256) return Buffer.concat([Buffer.from([0xd9, b.length]), b]);
  const h = Buffer.alloc(3);
  h[0] = 0xda;
  h.writeUInt16BE(b.length, 1);
  return Buffer.concat([h, b]);
};
const arr = (...items: Buffer[]) => Buffer.concat([Buffer.from([0x90 | items.length]), ...items]);

describe('(unit) replies: packed stream entries', () => {
  it('decodes ids and fields like parseEntries: text as strings, invalid UTF-8 values as Buffers, names escaped', () => {
    const bad = Buffer.from([0xc3, 0x28]);
    const buf = arr(
      arr(str('1-1'), arr(str('a'), str('1'), str('t'), str('héllo'), str('long'), str('x'.repeat(40)))),
      arr(str('1-2'), arr(str('a'), str('2'), str(Buffer.from([0x6b, 0xff])), str(bad), str('__proto__'), str('p'))),
      arr(str('1-3'), Buffer.from([0xc2])), // cmsgpack packs a deleted entry's nil fields as false
      arr(str('1-5'), Buffer.from([0xc0])), // (nil, accepted too)
      arr(str('1-4'), arr(str('big'), str('y'.repeat(300)))),
    );
    const es = parsePackedEntries(buf);
    assert.deepEqual(es[0], { id: '1-1', raw: ['a', '1', 't', 'héllo', 'long', 'x'.repeat(40)].map((x) => Buffer.from(x)), fields: { a: '1', t: 'héllo', long: 'x'.repeat(40) } });
    assert.deepEqual(es[1]!.raw, [Buffer.from('a'), Buffer.from('2'), Buffer.from([0x6b, 0xff]), bad, Buffer.from('__proto__'), Buffer.from('p')]);
    assert.equal(es[1]!.fields!['a'], '2');
    assert.ok(bad.equals(es[1]!.fields!['k\\xff'] as Buffer));
    assert.equal(Object.getOwnPropertyDescriptor(es[1]!.fields, '__proto__')?.value, 'p');
    assert.deepEqual(es[2], { id: '1-3', raw: null, fields: null });
    assert.deepEqual(es[3], { id: '1-5', raw: null, fields: null });
    assert.equal(es[4]!.fields!['big'], 'y'.repeat(300));
  });

  it('refuses what it does not understand, with the position', () => {
    assert.throws(() => parsePackedEntries(Buffer.from([0x91, 0x01])), /^Error: Unexpected packed stream entries: type 0x1 where an array was expected at byte 1 of 2$/);
    assert.throws(() => parsePackedEntries(arr(arr(str('1-1'), arr(str('a'), Buffer.from([0x07]))))), /type 0x7 where a string was expected at byte 9 of 10/);
    assert.throws(() => parsePackedEntries(Buffer.concat([arr(), Buffer.from([0x00])])), /trailing bytes/);
    assert.deepEqual(parsePackedEntries(arr()), []);
  });

  it('input cut short anywhere: a readable error naming where the cut value starts, never a TypeError or RangeError', () => {
    const whole = arr(
      arr(str('1-1'), arr(str('a'), str('1'), str('long'), str('x'.repeat(40)))),
      arr(str('1-2'), Buffer.from([0xc2])),
      arr(str('1-3'), arr(str('big'), str('y'.repeat(300)))),
    );
    assert.equal(parsePackedEntries(whole).length, 3);
    for (let len = 0; len < whole.length; len++) {
      assert.throws(
        () => parsePackedEntries(whole.subarray(0, len)),
        (e: unknown) => e instanceof Error && e.constructor === Error && /^Unexpected packed stream entries: input ends inside the value starting at byte \d+ of \d+$/.test(e.message),
        `cut at ${len}`,
      );
    }
    // The cut 300-byte value: its header (0xda) starts at byte ...
    const at = whole.indexOf(Buffer.from([0xda]));
    assert.throws(() => parsePackedEntries(whole.subarray(0, whole.length - 1)), new RegExp(`starting at byte ${at} of ${whole.length - 1}$`));
  });
});
