// Random messages as fast-check arbitraries, shared by the tests that check that every message
// arrives whole (integrity) and that search finds exactly what it should (search differential).
import fc from 'fast-check';
import type { RawFields } from '../../src/core/messages/message';

/** Names people and tools really use, and ones that collide with bookkeeping or JS objects. */
export const trickyName = fc.constantFrom('__proto__', 'constructor', 'x-dlq-stream', 'x-dlq', 'x-dlq-fields', 'x-replay-count', 'x-replay-of', '10', '1', 'z', '0', '', 'a b', 'é');
export const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((u) => Buffer.from(u));
export const name = fc.oneof(trickyName.map((s) => Buffer.from(s)), bytes(8), fc.string({ maxLength: 8 }).map((s) => Buffer.from(s)));
export const value = fc.oneof(bytes(64), fc.string({ maxLength: 40 }).map((s) => Buffer.from(s)), fc.constant(Buffer.alloc(0)), fc.constantFrom('1', '{"a":1}', '{{i}}', 'sid=abc; theme=dark').map((s) => Buffer.from(s)));
/** A message: 1–12 pairs; names drawn from a small pool, so they repeat. */
export const message: fc.Arbitrary<RawFields> = fc.array(fc.tuple(name, value), { minLength: 1, maxLength: 12 }).map((ps) => ps.flatMap(([n, v]) => [n, v]));
