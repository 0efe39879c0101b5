// What a wire request means, decided without a server: the pure
// translations between etcdserverpb messages and src/kv's requests.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KvError } from '../../src/kv/errors.js';
import { EtcdError } from '../../src/api/etcd/etcd-errors.js';
import { fromRangeRequest, fromTxnRequest, toWireHeader, toWireTxnResponse } from '../../src/api/etcd/kv-translation.js';
import { fromWatchRequest } from '../../src/api/etcd/watch-translation.js';
import { int64Field, toWireUint } from '../../src/api/etcd/wire-values.js';
import { decodeSnapshotFile, encodeSnapshotFile, snapshotPageBytes } from '../../src/api/etcd/snapshot-file.js';

const bytes = (text: string): Buffer => Buffer.from(text);

test('a range request keeps its sort, limits and revision filters, with negative limits meaning none', () => {
  const { request, serializable } = fromRangeRequest({
    key: bytes('b'), range_end: bytes('c'), limit: '-5', revision: '7', sort_order: 'Descend', sort_target: 'Mod',
    serializable: true, keys_only: true, min_mod_revision: '3',
  });
  assert.equal(serializable, true);
  assert.deepEqual({ ...request, key: undefined, rangeEnd: undefined }, {
    key: undefined, rangeEnd: undefined, limit: 0, revision: 7, sortOrder: 'descend', sortTarget: 'mod', keysOnly: true, countOnly: false,
    minModRevision: 3, maxModRevision: 0, minCreateRevision: 0, maxCreateRevision: 0,
  });
});

test('an enum value the schema does not know is an INVALID_ARGUMENT, not a guess', () => {
  assert.throws(() => fromRangeRequest({ key: bytes('boston'), sort_order: 7 }), (error: unknown) => error instanceof EtcdError && error.statusName === 'InvalidArgument');
});

test('a txn with 129 operations fails with etcd\'s error before any op is read', () => {
  const ops = Array.from({ length: 129 }, () => 'not even a message');
  assert.throws(() => fromTxnRequest({ success: ops }, 128), (error: unknown) => error instanceof KvError && error.code === 'too-many-ops');
});

test('a txn nested more than 64 deep is refused', () => {
  let nested: Record<string, unknown> = { success: [] };
  for (let i = 0; i < 70; i++) nested = { success: [{ request_txn: nested }] };
  assert.throws(() => fromTxnRequest(nested, 128), /nested deeper than 64/);
});

test('a compare reads the union member its target names', () => {
  const txn = fromTxnRequest({ compare: [{ key: bytes('pune'), target: 'Mod', result: 'Less', mod_revision: '9', version: '4' }] }, 128);
  assert.deepEqual(txn.compare[0], { key: bytes('pune'), rangeEnd: new Uint8Array(0), result: 'less', target: 'mod', modRevision: 9 });
});

test('64-bit ids survive both ways exactly, and uint64 ids print unsigned', () => {
  assert.equal(int64Field('9223372036854775807', 'ID'), 9223372036854775807n);
  assert.equal(toWireUint(-1n), '18446744073709551615');
  const header = toWireHeader({ clusterId: 0xfedcba9876543210n, memberId: 1n, revision: 42, raftTerm: 3 });
  assert.deepEqual(header, { cluster_id: '18364758544493064720', member_id: '1', revision: '42', raft_term: '3' });
  assert.throws(() => int64Field('12abc', 'ID'), EtcdError);
});

test('nested txn responses carry only their revision in the header, as etcd fills them', () => {
  const wire = toWireTxnResponse({ revision: '5' }, {
    revision: 5, succeeded: true,
    responses: [{ type: 'range', response: { revision: 5, kvs: [], more: false, count: 0 } }],
  });
  assert.deepEqual(wire['responses'], [{ response_range: { header: { revision: '5' }, kvs: [], more: false, count: '0' } }]);
});

test('a watch with no key watches from "\\0", and a chosen watch id is kept', () => {
  const parsed = fromWatchRequest({ create_request: { key: Buffer.alloc(0), range_end: Buffer.from([0]), watch_id: '7', filters: ['Nodelete'] } });
  assert.equal(parsed.kind, 'create');
  if (parsed.kind !== 'create') return;
  assert.deepEqual([...parsed.request.key], [0]);
  assert.equal(parsed.watchId, 7);
  assert.equal(parsed.request.noDelete, true);
  assert.equal(parsed.request.noPut, false);
  assert.throws(() => fromWatchRequest({}), /no create, cancel or progress/);
});

test('a snapshot file is whole pages plus a SHA-256, and any damage is caught', () => {
  const kv = Buffer.from('the boston widget count is 10');
  const file = encodeSnapshotFile(kv);
  assert.equal((file.length - 32) % snapshotPageBytes, 0);
  assert.deepEqual(Buffer.from(decodeSnapshotFile(file)), kv);
  const damaged = Buffer.from(file);
  damaged[40] = damaged[40]! ^ 1;
  assert.throws(() => decodeSnapshotFile(damaged), /SHA-256 mismatch/);
  assert.throws(() => decodeSnapshotFile(file.subarray(1)), /whole 512-byte pages/);
});
