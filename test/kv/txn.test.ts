import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KvError } from '../../src/kv/errors.js';
import { MvccStore } from '../../src/kv/mvcc-store.js';

const b = (text: string): Uint8Array => new TextEncoder().encode(text);
const t = (data: Uint8Array): string => new TextDecoder().decode(data);

function kvError(code: string, message: string): (error: unknown) => boolean {
  return (error) => error instanceof KvError && error.code === code && error.message === message;
}

test('the first write of a fresh store is revision 2, as in etcd', () => {
  const store = new MvccStore();
  assert.equal(store.revision, 1);
  const put = store.put({ key: b('boston'), value: b('10') });
  assert.equal(put.revision, 2);
  const [kv] = store.range({ key: b('boston') }).kvs;
  assert.deepEqual([kv!.createRevision, kv!.modRevision, kv!.version], [2, 2, 1]);
});

test('a deleted key that is put again starts over at version 1 with a new create revision', () => {
  const store = new MvccStore();
  store.put({ key: b('pune'), value: b('1') });
  store.put({ key: b('pune'), value: b('2') });
  store.deleteRange({ key: b('pune') });
  store.put({ key: b('pune'), value: b('3') });
  const [kv] = store.range({ key: b('pune') }).kvs;
  assert.deepEqual([kv!.createRevision, kv!.modRevision, kv!.version, t(kv!.value)], [5, 5, 1, '3']);
  const history = store.historyOf(b('pune')).map((entry) => [entry.rev, entry.version, entry.value]);
  assert.deepEqual(history, [[2, 1, '1'], [3, 2, '2'], [4, 0, null], [5, 1, '3']]);
});

test("alice's txn that puts boston twice is refused and changes nothing", () => {
  const store = new MvccStore();
  store.put({ key: b('boston'), value: b('10') });
  assert.throws(
    () =>
      store.txn({
        compare: [],
        success: [
          { type: 'put', request: { key: b('boston'), value: b('11') } },
          { type: 'put', request: { key: b('boston'), value: b('12') } },
        ],
        failure: [],
      }),
    kvError('duplicate-key', 'etcdserver: duplicate key given in txn request'),
  );
  assert.equal(store.revision, 2);
  assert.equal(t(store.range({ key: b('boston') }).kvs[0]!.value), '10');
});

test('a txn may not put a key its own delete covers, even one level down', () => {
  const store = new MvccStore();
  const nested = {
    compare: [],
    success: [
      { type: 'delete-range' as const, request: { key: b('a'), rangeEnd: b('z') } },
      { type: 'txn' as const, request: { compare: [], success: [{ type: 'put' as const, request: { key: b('london'), value: b('1') } }], failure: [] } },
    ],
    failure: [],
  };
  assert.throws(() => store.txn(nested), kvError('duplicate-key', 'etcdserver: duplicate key given in txn request'));
  assert.equal(store.revision, 1);
});

test('then and else branches of a nested txn may put the same key, since only one runs', () => {
  const store = new MvccStore();
  const inner = {
    compare: [{ key: b('london'), target: 'version' as const, result: 'equal' as const, version: 0 }],
    success: [{ type: 'put' as const, request: { key: b('london'), value: b('created') } }],
    failure: [{ type: 'put' as const, request: { key: b('london'), value: b('updated') } }],
  };
  const response = store.txn({ compare: [], success: [{ type: 'txn', request: inner }], failure: [] });
  assert.equal(response.succeeded, true);
  assert.equal(response.revision, 2);
  store.txn({ compare: [], success: [{ type: 'txn', request: inner }], failure: [] });
  assert.equal(t(store.range({ key: b('london') }).kvs[0]!.value), 'updated');
});

test('all writes of a txn share one revision, with sub-revisions in order, and reads inside see them', () => {
  const store = new MvccStore();
  store.put({ key: b('philadelphia'), value: b('5') });
  const response = store.txn({
    compare: [{ key: b('philadelphia'), target: 'value', result: 'equal', value: b('5') }],
    success: [
      { type: 'put', request: { key: b('boston'), value: b('10') } },
      { type: 'delete-range', request: { key: b('philadelphia'), prevKv: true } },
      { type: 'range', request: { key: b('a'), rangeEnd: b('z') } },
    ],
    failure: [],
  });
  assert.equal(response.revision, 3);
  const [put, del, range] = response.responses;
  assert.equal(put!.type === 'put' && put.response.revision, 3);
  assert.equal(del!.type === 'delete-range' && t(del.response.prevKvs[0]!.value), '5');
  assert.deepEqual(range!.type === 'range' && range.response.kvs.map((kv) => t(kv.key)), ['boston']);
  assert.equal(range!.type === 'range' && range.response.revision, 3);
  assert.deepEqual(store.changesAt(3)!.map((change) => [change.key, change.entry.sub]), [['boston', 0], ['philadelphia', 1]]);
});

test('a nested compare is decided on the state before the txn writes', () => {
  const store = new MvccStore();
  const response = store.txn({
    compare: [],
    success: [
      { type: 'put', request: { key: b('pune'), value: b('1') } },
      {
        type: 'txn',
        request: {
          compare: [{ key: b('pune'), target: 'create', result: 'equal', createRevision: 0 }],
          success: [{ type: 'put', request: { key: b('pune-seen-absent'), value: b('yes') } }],
          failure: [],
        },
      },
    ],
    failure: [],
  });
  const nested = response.responses[1]!;
  assert.equal(nested.type === 'txn' && nested.response.succeeded, true);
  assert.equal(store.range({ key: b('pune-seen-absent') }).count, 1);
});

test('a txn that writes nothing leaves the revision alone', () => {
  const store = new MvccStore();
  const response = store.txn({ compare: [], success: [{ type: 'delete-range', request: { key: b('nothing') } }], failure: [] });
  assert.equal(response.revision, 1);
  assert.equal(store.revision, 1);
});

test('value compares on a missing key always fail; version compares see zero', () => {
  const store = new MvccStore();
  const onValue = store.txn({ compare: [{ key: b('ghost'), target: 'value', result: 'not-equal', value: b('x') }], success: [], failure: [] });
  assert.equal(onValue.succeeded, false);
  const onVersion = store.txn({ compare: [{ key: b('ghost'), target: 'version', result: 'equal', version: 0 }], success: [], failure: [] });
  assert.equal(onVersion.succeeded, true);
});

test('a compare over a range holds only if it holds for every key in it', () => {
  const store = new MvccStore();
  store.put({ key: b('city/boston'), value: b('10') });
  store.put({ key: b('city/pune'), value: b('10') });
  const all = { key: b('city/'), rangeEnd: b('city0') };
  assert.equal(store.txn({ compare: [{ ...all, target: 'value', result: 'equal', value: b('10') }], success: [], failure: [] }).succeeded, true);
  store.put({ key: b('city/pune'), value: b('11') });
  assert.equal(store.txn({ compare: [{ ...all, target: 'value', result: 'equal', value: b('10') }], success: [], failure: [] }).succeeded, false);
});

test('ignore_value and ignore_lease need an existing key, and refuse a value or lease beside them', () => {
  const store = new MvccStore();
  assert.throws(() => store.put({ key: b('boston'), value: b(''), ignoreValue: true }), kvError('key-not-found', 'etcdserver: key not found'));
  assert.throws(() => store.put({ key: b('boston'), value: b('9'), ignoreValue: true }), kvError('value-provided', 'etcdserver: value is provided'));
  assert.throws(() => store.put({ key: b('boston'), value: b(''), lease: 5n, ignoreLease: true }), kvError('lease-provided', 'etcdserver: lease is provided'));
  const lease = store.leaseGrant({ id: 0n, ttlSeconds: 60 }, 1).id;
  store.put({ key: b('boston'), value: b('10'), lease });
  store.put({ key: b('boston'), value: b(''), ignoreValue: true, ignoreLease: true });
  const [kv] = store.range({ key: b('boston') }).kvs;
  assert.deepEqual([t(kv!.value), kv!.lease, kv!.version], ['10', lease, 2]);
  assert.throws(() => store.put({ key: b(''), value: b('x') }), kvError('empty-key', 'etcdserver: key is not provided'));
});

test('a put with an unknown lease is refused with etcd\'s words, inside a txn too', () => {
  const store = new MvccStore();
  assert.throws(() => store.put({ key: b('london'), value: b('1'), lease: 42n }), kvError('lease-not-found', 'etcdserver: requested lease not found'));
  assert.throws(
    () => store.txn({ compare: [], success: [{ type: 'put', request: { key: b('a'), value: b('1') } }, { type: 'put', request: { key: b('london'), value: b('1'), lease: 42n } }], failure: [] }),
    kvError('lease-not-found', 'etcdserver: requested lease not found'),
  );
  assert.equal(store.revision, 1);
  assert.equal(store.range({ key: b('a') }).count, 0);
});

test('more than maxTxnOps operations in a txn are refused', () => {
  const store = new MvccStore({ maxTxnOps: 4 });
  const ops = Array.from({ length: 5 }, (_, i) => ({ type: 'put' as const, request: { key: b(`k${i}`), value: b('v') } }));
  assert.throws(() => store.txn({ compare: [], success: ops, failure: [] }), kvError('too-many-ops', 'etcdserver: too many operations in txn request'));
  assert.equal(store.txn({ compare: [], success: ops.slice(0, 4), failure: [] }).revision, 2);
});

test("a lock recipe: bob's txn takes the lock only if no one holds it, comparing create revision and lease", () => {
  const store = new MvccStore();
  const alice = store.leaseGrant({ id: 1n, ttlSeconds: 10 }, 1).id;
  const bob = store.leaseGrant({ id: 2n, ttlSeconds: 10 }, 2).id;
  const acquire = (lease: bigint) =>
    store.txn({
      compare: [{ key: b('lock/widgets'), target: 'create', result: 'equal', createRevision: 0 }],
      success: [{ type: 'put', request: { key: b('lock/widgets'), value: b('held'), lease } }],
      failure: [{ type: 'range', request: { key: b('lock/widgets') } }],
    });
  assert.equal(acquire(alice).succeeded, true);
  const refused = acquire(bob);
  assert.equal(refused.succeeded, false);
  const holder = refused.responses[0]!;
  assert.equal(holder.type === 'range' && holder.response.kvs[0]!.lease, alice);
  const heldByAlice = store.txn({ compare: [{ key: b('lock/widgets'), target: 'lease', result: 'equal', lease: alice }], success: [], failure: [] });
  assert.equal(heldByAlice.succeeded, true);
  store.leaseRevoke(alice);
  assert.equal(acquire(bob).succeeded, true);
});

test('reads inside a write txn may not ask for the revision the txn is writing', () => {
  const store = new MvccStore();
  store.put({ key: b('boston'), value: b('1') });
  assert.throws(
    () => store.txn({ compare: [], success: [{ type: 'put', request: { key: b('pune'), value: b('1') } }, { type: 'range', request: { key: b('boston'), revision: 3 } }], failure: [] }),
    kvError('future-revision', 'etcdserver: mvcc: required revision is a future revision'),
  );
  assert.equal(store.revision, 2);
});
