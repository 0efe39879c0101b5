// The hand-written answers (Put, Range, Watch events) must decode, in an etcd
// client, to exactly what the general path (wire objects through
// proto-loader) gives: the same header, kvs, prev_kvs and events, 64-bit
// values exact at any size.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ResponseHeader } from '../../src/api/etcd/backend.js';
import { toWireHeader, toWirePutResponse, toWireRangeResponse } from '../../src/api/etcd/kv-translation.js';
import { etcdPackageDefinition } from '../../src/api/etcd/proto.js';
import { encodePutResponse, encodeRangeResponse, encodeWatchEvents } from '../../src/api/etcd/response-codec.js';
import { toWireWatchResponse } from '../../src/api/etcd/watch-translation.js';
import type { KeyValue } from '../../src/kv/types.js';
import type { WatchEvent } from '../../src/kv/watch-hub.js';

interface MethodCodec {
  responseSerialize(value: unknown): Buffer;
  responseDeserialize(bytes: Buffer): unknown;
}

function method(service: string, name: string): MethodCodec {
  return (etcdPackageDefinition()[`etcdserverpb.${service}`] as unknown as Record<string, MethodCodec>)[name]!;
}

const put = method('KV', 'Put');
const range = method('KV', 'Range');
const watch = method('Watch', 'Watch');

/** Both encodings, each decoded as a client decodes it. */
function decodeBoth(codec: MethodCodec, handWritten: Uint8Array, wire: unknown): [unknown, unknown] {
  const general = codec.responseSerialize(wire);
  assert.ok(!(wire instanceof Uint8Array));
  return [codec.responseDeserialize(Buffer.from(handWritten)), codec.responseDeserialize(general)];
}

// Revisions and counts are safe integers; ids and leases any 64-bit pattern.
const counter = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 300 }), fc.maxSafeNat());
const id64 = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
const bytes = fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 300 }));

const header: fc.Arbitrary<ResponseHeader> = fc.record({ clusterId: id64, memberId: id64, revision: counter, raftTerm: counter });
const keyValue: fc.Arbitrary<KeyValue> = fc.record({
  key: bytes, createRevision: counter, modRevision: counter, version: counter, value: bytes, lease: id64,
});

test('a put answer, with and without prev_kv, decodes as the general encoder\'s does', () => {
  fc.assert(fc.property(header, fc.option(keyValue, { nil: null }), (h, prevKv) => {
    const body = { revision: h.revision, prevKv };
    const [mine, theirs] = decodeBoth(put, encodePutResponse(h, body), toWirePutResponse(toWireHeader(h), body));
    assert.deepEqual(mine, theirs);
  }), { numRuns: 500 });
});

test('a range answer with any kvs, more and count decodes as the general encoder\'s does', () => {
  fc.assert(fc.property(header, fc.array(keyValue, { maxLength: 20 }), fc.boolean(), counter, (h, kvs, more, count) => {
    const body = { revision: h.revision, kvs, more, count };
    const [mine, theirs] = decodeBoth(range, encodeRangeResponse(h, body), toWireRangeResponse(toWireHeader(h), body));
    assert.deepEqual(mine, theirs);
  }), { numRuns: 500 });
});

test('a watch answer with put and delete events, prev_kv or not, decodes as the general encoder\'s does', () => {
  const event: fc.Arbitrary<WatchEvent> = fc.record({ type: fc.constantFrom('put' as const, 'delete' as const), kv: keyValue, prevKv: fc.option(keyValue, { nil: null }) });
  fc.assert(fc.property(header, fc.nat(), fc.array(event, { minLength: 1, maxLength: 10 }), (h, watchId, events) => {
    const response = { kind: 'events' as const, watchId, revision: h.revision, events };
    const [mine, theirs] = decodeBoth(watch, encodeWatchEvents(h, watchId, events), toWireWatchResponse(h, response));
    assert.deepEqual(mine, theirs);
  }), { numRuns: 500 });
});

test('the serializers pass encoded answers through and still encode wire objects', () => {
  const h: ResponseHeader = { clusterId: 2n ** 64n - 1n, memberId: 7n, revision: 42, raftTerm: 3 };
  const encoded = encodePutResponse(h, { revision: 42, prevKv: null });
  assert.deepEqual([...put.responseSerialize(encoded)], [...encoded]);
  const decoded = put.responseDeserialize(put.responseSerialize({ header: toWireHeader(h) })) as { header: { cluster_id: string; revision: string } };
  assert.equal(decoded.header.cluster_id, '18446744073709551615');
  assert.equal(decoded.header.revision, '42');
});

test('answers from jupiter, saturn and jupiter again each carry their own member id (the encoded ids are reused only while they match)', () => {
  const jupiter: ResponseHeader = { clusterId: 2n ** 63n + 5n, memberId: 2n ** 62n + 11n, revision: 7, raftTerm: 2 };
  const saturn: ResponseHeader = { ...jupiter, memberId: 3n };
  const otherCluster: ResponseHeader = { ...jupiter, clusterId: 9n };
  for (const h of [jupiter, jupiter, saturn, jupiter, otherCluster, jupiter]) {
    const decoded = put.responseDeserialize(Buffer.from(encodePutResponse(h, { revision: h.revision, prevKv: null }))) as { header: { cluster_id: string; member_id: string } };
    assert.equal(decoded.header.cluster_id, h.clusterId.toString());
    assert.equal(decoded.header.member_id, h.memberId.toString());
  }
});
