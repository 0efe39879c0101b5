import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KvSnapshotError } from '../../src/kv/errors.js';
import { hashKv } from '../../src/kv/kv-hash.js';
import { restoreSnapshot, takeSnapshot } from '../../src/kv/kv-snapshot.js';
import { KvStateMachine } from '../../src/kv/kv-state-machine.js';
import { MvccStore } from '../../src/kv/mvcc-store.js';
import { WatchHub, type WatchEvent } from '../../src/kv/watch-hub.js';
import type { RangeResponse } from '../../src/kv/types.js';

const b = (text: string): Uint8Array => new TextEncoder().encode(text);
const t = (data: Uint8Array): string => new TextDecoder().decode(data);
const everything = { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };

function readable(response: RangeResponse): string[] {
  return response.kvs.map((kv) => `${t(kv.key)}=${t(kv.value)} c${kv.createRevision} m${kv.modRevision} v${kv.version} l${kv.lease}`);
}

/** Every read a client could make of the retained history, for comparing two stores. */
function fullView(store: MvccStore): unknown {
  const reads: string[][] = [];
  for (let revision = store.compactRevision; revision <= store.revision; revision++) {
    if (revision >= 1) reads.push(readable(store.range({ ...everything, revision })));
  }
  const changes: unknown[] = [];
  for (let revision = store.compactRevision; revision <= store.revision; revision++) changes.push(store.changesAt(revision));
  return { revision: store.revision, compactRevision: store.compactRevision, reads, changes, leases: store.leases(), hash: hashKv(store, 0).hash };
}

function populate(store: MvccStore): void {
  const lease = store.leaseGrant({ id: 0n, ttlSeconds: 30 }, 3).id;
  for (let i = 0; i < 300; i++) store.put({ key: b(`city/${i % 40}`), value: b(`widgets ${i}`), lease: i % 7 === 0 ? lease : 0n });
  store.deleteRange({ key: b('city/1'), rangeEnd: b('city/2') });
  store.compact(150);
  for (let i = 0; i < 50; i++) store.put({ key: b(`town/${i}`), value: new Uint8Array([i, 0, 255, i]) });
}

test('a snapshot taken while writes continue restores to exactly the state at the moment it was taken', () => {
  const store = new MvccStore();
  populate(store);
  const expected = fullView(store);
  const snapshot = takeSnapshot(store, b('client sessions of alice and bob'));
  const pieces: Uint8Array[] = [];
  let i = 0;
  for (const chunk of snapshot.chunks(512)) {
    pieces.push(chunk);
    // The store keeps applying between chunks: rewrite, delete, compact, revoke.
    store.put({ key: b(`city/${i % 40}`), value: b(`later ${i}`) });
    store.put({ key: b(`new/${i}`), value: b('x') });
    if (i === 3) store.deleteRange(everything);
    if (i === 5) store.compact(store.revision - 2);
    if (i === 7) for (const lease of store.leases()) store.leaseRevoke(lease.id);
    i++;
  }
  assert.ok(pieces.length > 8, `expected many chunks, got ${pieces.length}`);
  const { store: restored, sessions } = restoreSnapshot(Buffer.concat(pieces));
  assert.deepEqual(fullView(restored), expected);
  assert.equal(t(sessions), 'client sessions of alice and bob');
});

test('pieces written into one reused buffer, each copied before the next is pulled, make the same snapshot', () => {
  const store = new MvccStore();
  populate(store);
  const whole = takeSnapshot(store, b('sessions')).toBytes();
  const copies: Uint8Array[] = [];
  const buffers = new Set<ArrayBufferLike>();
  for (const piece of takeSnapshot(store, b('sessions')).chunks(512, 'reuse-buffer')) {
    buffers.add(piece.buffer);
    copies.push(new Uint8Array(piece));
  }
  assert.ok(copies.length > 8, `expected many pieces, got ${copies.length}`);
  assert.equal(buffers.size, 1, 'every piece came from the same buffer');
  assert.deepEqual(Buffer.concat(copies), Buffer.from(whole));
});

test('a restored store keeps applying exactly like the original', () => {
  const original = new MvccStore();
  populate(original);
  const { store: copy } = restoreSnapshot(takeSnapshot(original, new Uint8Array()).toBytes());
  for (const store of [original, copy]) {
    store.put({ key: b('city/3'), value: b('after') });
    store.leaseRevoke(store.leases()[0]!.id);
    store.compact(store.revision - 1);
    store.txn({ compare: [{ key: b('town/1'), target: 'version', result: 'equal', version: 1 }], success: [{ type: 'delete-range', request: { key: b('town/') , rangeEnd: b('town0') } }], failure: [] });
  }
  assert.deepEqual(fullView(copy), fullView(original));
});

test('a snapshot with one flipped bit is refused, and the state machine keeps its state', () => {
  const source = new KvStateMachine();
  populate(source.store);
  const bytes = Uint8Array.from(source.snapshot(b('s')).toBytes());
  const target = new KvStateMachine();
  target.store.put({ key: b('london'), value: b('kept') });
  for (const position of [0, 20, Math.floor(bytes.length / 2), bytes.length - 5, bytes.length - 1]) {
    const damaged = Uint8Array.from(bytes);
    damaged[position]! ^= 0x10;
    assert.throws(() => target.restore(damaged), (error: unknown) => error instanceof KvSnapshotError && /checksum mismatch/.test(error.message));
  }
  assert.throws(() => target.restore(bytes.subarray(0, 10)), KvSnapshotError);
  assert.throws(() => target.restore(bytes.subarray(0, bytes.length - 100)), KvSnapshotError);
  assert.equal(t(target.range({ key: b('london') }).ok ? (target.range({ key: b('london') }) as { value: RangeResponse }).value.kvs[0]!.value : b('')), 'kept');
  assert.equal(t(target.restore(bytes)), 's');
  assert.equal(target.revision, source.revision);
});

test('watchers survive a restore: they replay what the new state adds, or are told it was compacted', () => {
  const machine = new KvStateMachine();
  machine.store.put({ key: b('boston'), value: b('1') });
  const hub = new WatchHub(machine);
  const { watchId } = hub.watch({ key: b('boston') });
  const leader = new MvccStore();
  leader.put({ key: b('boston'), value: b('1') });
  leader.put({ key: b('boston'), value: b('2') });
  leader.put({ key: b('boston'), value: b('3') });
  machine.restore(takeSnapshot(leader, new Uint8Array()).toBytes());
  const events: WatchEvent[] = [];
  for (let response = hub.take(watchId); response !== null; response = hub.take(watchId)) if (response.kind === 'events') events.push(...response.events);
  assert.deepEqual(events.map((event) => t(event.kv.value)), ['2', '3']);
  machine.store.put({ key: b('boston'), value: b('4') });
  const live = hub.take(watchId);
  assert.deepEqual(live?.kind === 'events' && live.events.map((event) => t(event.kv.value)), ['4']);
});
