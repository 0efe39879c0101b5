import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { logIndex, nodeId, term } from '../../src/ids.js';
import { MalformedRaftMessage, decodeRaftMessage, encodeRaftMessage } from '../../src/consensus/message-codec.js';
import type { RaftMessage } from '../../src/consensus/messages.js';
import type { Entry } from '../../src/consensus/types.js';

const counter = fc.oneof(fc.nat({ max: 300 }), fc.maxSafeNat());
const anyTerm = counter.map(term);
const anyIndex = counter.map(logIndex);
const bytes = fc.uint8Array({ maxLength: 64 });
const node = fc.constantFrom('jupiter', 'saturn', 'neptune', 'pune-1', 'ünïcode').map(nodeId);
const entry: fc.Arbitrary<Entry> = fc.record({ index: anyIndex, term: anyTerm, kind: fc.constantFrom('normal', 'noop', 'config'), data: bytes });
const config = fc.record({ voters: fc.array(node, { maxLength: 5 }), outgoingVoters: fc.array(node, { maxLength: 3 }), learners: fc.array(node, { maxLength: 3 }) });

const message: fc.Arbitrary<RaftMessage> = fc.oneof(
  fc.record({ type: fc.constant('append' as const), term: anyTerm, prevIndex: anyIndex, prevTerm: anyTerm, entries: fc.array(entry, { maxLength: 5 }), commit: anyIndex }),
  fc.record({ type: fc.constant('append-response' as const), term: anyTerm, index: anyIndex, reject: fc.boolean(), hintIndex: anyIndex, hintTerm: anyTerm }),
  fc.record({ type: fc.constant('heartbeat' as const), term: anyTerm, commit: anyIndex, context: counter }),
  fc.record({ type: fc.constant('heartbeat-response' as const), term: anyTerm, context: counter }),
  fc.record({ type: fc.constant('vote' as const), term: anyTerm, preVote: fc.boolean(), transfer: fc.boolean(), lastIndex: anyIndex, lastTerm: anyTerm }),
  fc.record({ type: fc.constant('vote-response' as const), term: anyTerm, preVote: fc.boolean(), granted: fc.boolean() }),
  fc.record({ type: fc.constant('snapshot' as const), term: anyTerm, meta: fc.record({ index: anyIndex, term: anyTerm, config }), checksum: fc.nat({ max: 0xffff_ffff }), data: bytes, offset: fc.nat({ max: 1000 }), extra: fc.nat({ max: 1000 }) })
    .map(({ extra, ...m }) => ({ ...m, totalBytes: m.offset + m.data.length + extra })),
  fc.record({ type: fc.constant('snapshot-response' as const), term: anyTerm, snapshotIndex: anyIndex, receivedBytes: counter }),
  fc.record({ type: fc.constant('timeout-now' as const), term: anyTerm }),
  fc.record({ type: fc.constant('read-index' as const), term: anyTerm, requestId: fc.string() }),
  fc.record({ type: fc.constant('read-index-response' as const), term: anyTerm, requestId: fc.string(), index: anyIndex }),
);

test('every raft message survives an encode/decode round trip', () => {
  fc.assert(fc.property(message, (original) => {
    // structuredClone gives fast-check's null-prototype records an ordinary prototype, as decoded messages have.
    assert.deepEqual(decodeRaftMessage(encodeRaftMessage(original)), structuredClone(original));
  }), { numRuns: 2000 });
});

test('a truncated or extended frame is refused with a clear error, never half-read', () => {
  fc.assert(fc.property(message, fc.nat(), (original, cut) => {
    const encoded = encodeRaftMessage(original);
    const truncated = encoded.subarray(0, cut % encoded.length);
    assert.throws(() => decodeRaftMessage(truncated), MalformedRaftMessage);
    const extended = new Uint8Array(encoded.length + 1);
    extended.set(encoded);
    assert.throws(() => decodeRaftMessage(extended), /trailing bytes/);
  }), { numRuns: 1000 });
});

test('random bytes either decode to a message that re-encodes identically or throw MalformedRaftMessage', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (garbage) => {
    let decoded: RaftMessage;
    try {
      decoded = decodeRaftMessage(garbage);
    } catch (error) {
      assert.ok(error instanceof MalformedRaftMessage, `unexpected ${String(error)}`);
      return;
    }
    assert.deepEqual(decodeRaftMessage(encodeRaftMessage(decoded)), decoded);
  }), { numRuns: 5000 });
});

test('a heartbeat takes a handful of bytes', () => {
  const encoded = encodeRaftMessage({ type: 'heartbeat', term: term(7), commit: logIndex(1200), context: 0 });
  assert.equal(encoded.length, 5, 'tag, term, two-byte commit, context');
});

test('a snapshot chunk whose checksum is wider than CRC-32C\'s 32 bits is refused, naming the field', () => {
  const chunk = (checksum: number): Uint8Array => encodeRaftMessage({
    type: 'snapshot', term: term(3), totalBytes: 4, checksum, offset: 0, data: new Uint8Array([1, 2, 3, 4]),
    meta: { index: logIndex(40), term: term(2), config: { voters: [nodeId('jupiter')], outgoingVoters: [], learners: [] } },
  });
  const widest = decodeRaftMessage(chunk(0xffff_ffff));
  assert.equal(widest.type === 'snapshot' && widest.checksum, 0xffff_ffff);
  assert.throws(() => decodeRaftMessage(chunk(2 ** 32)), (error: unknown) => error instanceof MalformedRaftMessage && /checksum .* wider than 32 bits/.test(error.message));
});
