import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BinaryReader } from '../../src/kv/binary-codec.js';
import { encodeSessions, SessionTable } from '../../src/server/idempotent-receiver.js';
import { decodeValue, encodeValue, maxValueDepth, type PlainValue } from '../../src/server/value-codec.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (text: string): string => Buffer.from(text, 'latin1').toString('hex');

/** Any plain value the encoding promises to carry: what etcd's answers are made of. */
const plainValue: fc.Arbitrary<PlainValue> = fc.letrec<{ value: PlainValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    fc.double(),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
    fc.string({ unit: 'binary' }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string().filter((name) => name !== '__proto__'), tie('value'), { maxKeys: 5 }).map((fields) => ({ ...fields })),
  ),
})).value;

test('every plain value comes back from its encoding as it went in: numbers to the bit, bigints past 2^53, any string', () => {
  fc.assert(
    fc.property(plainValue, (value) => {
      assert.deepStrictEqual(decodeValue(encodeValue(value)), value);
    }),
    { numRuns: 500 },
  );
});

test("a put's remembered answer keeps the byte layout snapshots already on disk hold", () => {
  // Tags: 1 null, 3 true, 4 number (8 bytes, little-endian), 6 string, 9 object (field count, then name and value per field).
  const answer = { ok: true, value: { revision: 7, prevKv: null, key: 'boston', lease: 42n } };
  const expected = [
    '0902', '02' + ascii('ok'), '03',
    '05' + ascii('value'), '0904',
    '08' + ascii('revision'), '04' + '0000000000001c40',
    '06' + ascii('prevKv'), '01',
    '03' + ascii('key'), '06' + '06' + ascii('boston'),
    '05' + ascii('lease'), '05' + '02' + ascii('42'),
  ].join('');
  assert.equal(hex(encodeValue(answer)), expected);
  // A name outside ASCII is counted in UTF-8 bytes, not in characters.
  assert.equal(hex(encodeValue({ 'pün': 'é' })), '0901' + '04' + '70c3bc6e' + '06' + '02' + 'c3a9');
});

test('bad bytes are refused with a RangeError naming the problem, never half-read', () => {
  assert.throws(() => decodeValue(Uint8Array.of(0x0f)), /unknown value tag 15/);
  assert.throws(() => decodeValue(Uint8Array.of(0x01, 0x01)), /1 trailing bytes after a value/);
  assert.throws(() => decodeValue(Uint8Array.of(0x05, 0x03, 0x31, 0x2e, 0x35)), /bad bigint "1.5"/);
  assert.throws(() => decodeValue(Uint8Array.of(0x09, 0x01, 0x09, ...Buffer.from('__proto__'), 0x01)), /field name __proto__ refused/);
  assert.throws(() => decodeValue(Uint8Array.of(0x06, 0x02, 0xc3, 0x28)), /invalid UTF-8 in a string/);
  let deep: PlainValue = null;
  for (let depth = 0; depth <= maxValueDepth + 1; depth++) deep = [deep];
  assert.throws(() => encodeValue(deep), /nested deeper than 64/);
  const nested = (arrays: number): Uint8Array => Uint8Array.from([...Array.from({ length: arrays }, () => [0x08, 0x01]).flat(), 0x01]);
  assert.deepEqual(decodeValue(nested(maxValueDepth)), JSON.parse('['.repeat(maxValueDepth) + 'null' + ']'.repeat(maxValueDepth)));
  assert.throws(() => decodeValue(nested(maxValueDepth + 1)), /nested deeper than 64/);
});

test("alice's retried put gets its first answer back from a table restored from a snapshot, and a put it forgot is called forgotten", () => {
  const limits = { maxSessions: 8, maxResultsPerSession: 3, sessionIdleMs: 60_000 };
  const jupiter = new SessionTable(limits);
  jupiter.advanceClock(1_000);
  for (let seq = 1; seq <= 5; seq++) jupiter.remember({ session: 'alice', seq }, { ok: true, value: { revision: 10 + seq, prevKv: null } });
  jupiter.remember({ session: 'bob', seq: 1 }, { ok: false, kind: 'kv', code: 'no-space', detail: null });

  const saturn = new SessionTable(limits);
  saturn.decode(new BinaryReader(encodeSessions(jupiter)));

  for (const table of [jupiter, saturn]) {
    assert.deepEqual(table.lookup({ session: 'alice', seq: 5 }), { kind: 'duplicate', result: { ok: true, value: { revision: 15, prevKv: null } } });
    assert.deepEqual(table.lookup({ session: 'alice', seq: 3 }), { kind: 'duplicate', result: { ok: true, value: { revision: 13, prevKv: null } } });
    // Only the last three of alice's answers are kept: her second put may or may not have applied, and the table says so.
    assert.deepEqual(table.lookup({ session: 'alice', seq: 2 }), { kind: 'forgotten' });
    assert.deepEqual(table.lookup({ session: 'alice', seq: 6 }), { kind: 'new' });
    assert.deepEqual(table.lookup({ session: 'bob', seq: 1 }), { kind: 'duplicate', result: { ok: false, kind: 'kv', code: 'no-space', detail: null } });
    assert.equal(table.logClockMs, 1_000);
  }
  assert.equal(hex(encodeSessions(saturn)), hex(encodeSessions(jupiter)));
});
