import * as assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { nameBuffer, nameBytes, sameName, showName } from '../../src/core/redis/names';
import { keySlot } from '../../src/core/queue/keys';

const bytes = (v: string | Buffer) => (Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8'));

/** Random names that stress the rule: backslashes, "x", hex digits, valid and broken UTF-8. */
function randomName(): Buffer {
  const pieces = [
    () => Buffer.from('\\'),
    () => Buffer.from('x'),
    () => Buffer.from('\\x'),
    () => Buffer.from('ff'),
    () => Buffer.from('é'),
    () => Buffer.from('😀'),
    () => Buffer.from([0xff]),
    () => Buffer.from([0xc3]), // a lead byte alone
    () => Buffer.from([0xe2, 0x82]), // a character cut short
    () => Buffer.from([0xed, 0xa0, 0x80]), // a surrogate (not valid UTF-8)
    () => Buffer.from([0xc0, 0xaf]), // overlong
    () => Buffer.from([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
    () => Buffer.from('a:b'),
    () => randomBytes(1 + Math.floor(Math.random() * 4)),
  ];
  const n = Math.floor(Math.random() * 8);
  return Buffer.concat(Array.from({ length: n }, () => pieces[Math.floor(Math.random() * pieces.length)]!()));
}

describe('names: the shown form of key names', () => {
  it('examples: as-is, \\xHH for bytes that are not UTF-8, \\\\ for a backslash', () => {
    assert.equal(showName(Buffer.from('orders')), 'orders');
    assert.equal(showName(Buffer.from('ordres é 😀')), 'ordres é 😀');
    assert.equal(showName(Buffer.from([0x6f, 0xff, 0x72])), 'o\\xffr');
    assert.equal(showName(Buffer.from('a\\b')), 'a\\\\b');
    assert.equal(showName(Buffer.concat([Buffer.from('é'), Buffer.from([0xc3])])), 'é\\xc3');
    assert.equal(showName(Buffer.from('o\\xffr')), 'o\\\\xffr');
    assert.ok(nameBuffer('o\\xffr').equals(Buffer.from([0x6f, 0xff, 0x72])));
    assert.equal(nameBytes('o\\xFFr').toString('hex'), '6fff72');
    assert.equal(nameBytes('a\\\\b'), 'a\\b');
    assert.equal(nameBytes('o\\\\xffr'), 'o\\xffr');
  });

  it('returns the string itself when there is nothing to decode (no work on the common path)', () => {
    const s = 'orders:{eu}:dlq';
    assert.equal(nameBytes(s), s);
    // A single backslash before anything else is a backslash, as typed.
    assert.equal(nameBytes('C:\\data'), 'C:\\data');
    assert.equal(nameBytes('a\\x4'), 'a\\x4');
    assert.equal(nameBytes('trailing\\'), 'trailing\\');
    // Decoded bytes that are UTF-8 come back as a string; others as a Buffer.
    assert.equal(nameBytes('\\x41\\x42'), 'AB');
    assert.ok(Buffer.isBuffer(nameBytes('\\xff')));
  });

  it('differential: nameBytes(showName(b)) is b for random names, and names that need nothing are shown as they are', () => {
    for (let i = 0; i < 5000; i++) {
      const b = randomName();
      const shown = showName(b);
      assert.ok(bytes(nameBytes(shown)).equals(b), `${b.toString('hex')} → ${JSON.stringify(shown)} → ${bytes(nameBytes(shown)).toString('hex')}`);
      if (isUtf8(b) && !b.includes(0x5c)) assert.equal(shown, b.toString('utf8'));
      // Every backslash of a shown form starts an escape.
      assert.ok(/^(?:[^\\]|\\\\|\\x[0-9a-f]{2})*$/.test(shown), JSON.stringify(shown));
      assert.ok(sameName(shown, b));
      assert.equal(keySlot(shown), keySlot(b));
    }
    for (let i = 0; i < 2000; i++) {
      const b = randomBytes(Math.floor(Math.random() * 12));
      assert.ok(bytes(nameBytes(showName(b))).equals(b), b.toString('hex'));
    }
  });

  it('shown forms compose with ASCII suffixes: the dead-letter stream of a shown name is the bytes plus ":dlq"', () => {
    for (let i = 0; i < 500; i++) {
      const b = randomName();
      assert.ok(nameBuffer(`${showName(b)}:dlq`).equals(Buffer.concat([b, Buffer.from(':dlq')])));
    }
  });
});
