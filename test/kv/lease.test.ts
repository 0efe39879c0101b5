import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KvError } from '../../src/kv/errors.js';
import { MvccStore } from '../../src/kv/mvcc-store.js';

const b = (text: string): Uint8Array => new TextEncoder().encode(text);
const t = (data: Uint8Array): string => new TextDecoder().decode(data);

test("revoking alice's lease deletes all her keys in one revision", () => {
  const store = new MvccStore();
  const lease = store.leaseGrant({ id: 0n, ttlSeconds: 10 }, 7).id;
  store.put({ key: b('alice/session'), value: b('1'), lease });
  store.put({ key: b('alice/lock'), value: b('1'), lease });
  store.put({ key: b('bob/session'), value: b('1') });
  const before = store.revision;
  const revoked = store.leaseRevoke(lease);
  assert.equal(revoked.revision, before + 1);
  assert.equal(store.range({ key: b('alice/'), rangeEnd: b('alice0') }).count, 0);
  assert.equal(store.range({ key: b('bob/session') }).count, 1);
  assert.deepEqual(store.changesAt(before + 1)!.map((change) => [change.key, change.entry.value]), [['alice/lock', null], ['alice/session', null]]);
  assert.equal(store.leaseInfo(lease), null);
  assert.throws(() => store.leaseRevoke(lease), (error: unknown) => error instanceof KvError && error.message === 'etcdserver: requested lease not found');
});

test('revoking a lease with no keys does not create a revision', () => {
  const store = new MvccStore();
  const { id } = store.leaseGrant({ id: 99n, ttlSeconds: 10 }, 1);
  assert.equal(id, 99n);
  assert.equal(store.leaseRevoke(id).revision, 1);
});

test('a key moved to another lease, or deleted, no longer dies with the first lease', () => {
  const store = new MvccStore();
  const first = store.leaseGrant({ id: 1n, ttlSeconds: 10 }, 1).id;
  const second = store.leaseGrant({ id: 2n, ttlSeconds: 10 }, 2).id;
  store.put({ key: b('boston'), value: b('10'), lease: first });
  store.put({ key: b('boston'), value: b('11'), lease: second });
  store.put({ key: b('pune'), value: b('1'), lease: first });
  store.deleteRange({ key: b('pune') });
  store.put({ key: b('pune'), value: b('2') });
  assert.deepEqual(store.leaseInfo(first)!.keys, []);
  assert.deepEqual(store.leaseInfo(second)!.keys.map(t), ['boston']);
  store.leaseRevoke(first);
  assert.equal(t(store.range({ key: b('boston') }).kvs[0]!.value), '11');
  assert.equal(t(store.range({ key: b('pune') }).kvs[0]!.value), '2');
});

test('generated lease ids are the same on every member that applies the same entry', () => {
  const jupiter = new MvccStore();
  const saturn = new MvccStore();
  const ids = [5, 6, 7].map((index) => jupiter.leaseGrant({ id: 0n, ttlSeconds: 30 }, index).id);
  assert.deepEqual([5, 6, 7].map((index) => saturn.leaseGrant({ id: 0n, ttlSeconds: 30 }, index).id), ids);
  assert.equal(new Set(ids).size, 3);
  for (const id of ids) assert.ok(id > 0n && id < 1n << 63n);
});

test('a TTL below the minimum is raised to it; a huge TTL and a taken id are refused', () => {
  const store = new MvccStore({ minLeaseTtlSeconds: 5 });
  assert.equal(store.leaseGrant({ id: 1n, ttlSeconds: 1 }, 1).ttlSeconds, 5);
  assert.equal(store.leaseInfo(1n)!.grantedTtlSeconds, 5);
  assert.throws(() => store.leaseGrant({ id: 1n, ttlSeconds: 10 }, 2), (error: unknown) => error instanceof KvError && error.message === 'etcdserver: lease already exists');
  assert.throws(() => store.leaseGrant({ id: 2n, ttlSeconds: 9_000_000_001 }, 3), (error: unknown) => error instanceof KvError && error.message === 'etcdserver: too large lease TTL');
  assert.deepEqual(store.leases(), [{ id: 1n, ttlSeconds: 5 }]);
});
