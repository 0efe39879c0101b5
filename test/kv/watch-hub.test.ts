import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { prefixEnd } from '../../src/kv/key-bytes.js';
import { restoreSnapshot, takeSnapshot } from '../../src/kv/kv-snapshot.js';
import { MvccStore } from '../../src/kv/mvcc-store.js';
import { WatchHub, type WatchEvent, type WatchResponse } from '../../src/kv/watch-hub.js';
import type { KeyValue } from '../../src/kv/types.js';

const b = (text: string): Uint8Array => new TextEncoder().encode(text);
const t = (data: Uint8Array): string => new TextDecoder().decode(data);

function drain(hub: WatchHub, watchId: number): WatchResponse[] {
  const responses: WatchResponse[] = [];
  for (let response = hub.take(watchId); response !== null; response = hub.take(watchId)) responses.push(response);
  return responses;
}

function eventsOf(responses: readonly WatchResponse[]): WatchEvent[] {
  return responses.flatMap((response) => (response.kind === 'events' ? response.events : []));
}

const brief = (event: WatchEvent): string => `${event.type} ${t(event.kv.key)}@${event.kv.modRevision}`;

/** The events a watcher on [key, end) from `from` must see, derived from range reads alone. */
function expectedEvents(store: MvccStore, key: Uint8Array, rangeEnd: Uint8Array, from: number): string[] {
  const expected: string[] = [];
  const at = (revision: number): Map<string, KeyValue> =>
    new Map(store.range({ key, rangeEnd, revision }).kvs.map((kv) => [t(kv.key), kv]));
  let before = at(from - 1);
  for (let revision = from; revision <= store.revision; revision++) {
    const after = at(revision);
    const changed: string[] = [];
    for (const [name, kv] of after) if (kv.modRevision === revision) changed.push(`put ${name}@${revision}`);
    for (const name of before.keys()) if (!after.has(name)) changed.push(`delete ${name}@${revision}`);
    expected.push(...changed.sort((x, y) => (x.split(' ')[1]! < y.split(' ')[1]! ? -1 : 1)));
    before = after;
  }
  return expected;
}

const opArb = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: fc.constantFrom('city/boston', 'city/pune', 'city/london', 'other') }),
  fc.record({ type: fc.constant('delete' as const), key: fc.constantFrom('city/boston', 'city/pune', 'city/', 'other') }),
  fc.record({ type: fc.constant('txn' as const), keys: fc.uniqueArray(fc.constantFrom('city/boston', 'city/pune', 'city/philadelphia'), { maxLength: 3 }) }),
);

test('a prefix watcher sees every change in order, without gaps or duplicates, however it falls behind', () => {
  fc.assert(
    fc.property(
      fc.array(opArb, { minLength: 1, maxLength: 80 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 10 }),
      fc.array(fc.boolean(), { minLength: 80, maxLength: 80 }),
      (ops, buffer, startOffset, takeAfter) => {
        const store = new MvccStore();
        for (let i = 0; i < 5; i++) store.put({ key: b('city/boston'), value: b(`warmup ${i}`) });
        const hub = new WatchHub(store, { watchBufferEvents: buffer, catchUpBatchRevisions: 3, maxResponseEvents: 4 });
        const from = Math.max(2, store.revision + 1 - startOffset);
        const { watchId } = hub.watch({ key: b('city/'), rangeEnd: prefixEnd(b('city/')), startRevision: from });
        const got: WatchResponse[] = [];
        ops.forEach((op, i) => {
          if (op.type === 'put') store.put({ key: b(op.key), value: b(`v${i}`) });
          else if (op.type === 'delete') store.deleteRange(op.key.endsWith('/') ? { key: b(op.key), rangeEnd: prefixEnd(b(op.key)) } : { key: b(op.key) });
          else store.txn({ compare: [], success: op.keys.map((key) => ({ type: 'put' as const, request: { key: b(key), value: b(`t${i}`) } })), failure: [] });
          // The buffer may exceed its bound only by holding one whole revision alone (at most 4 city keys here).
          assert.ok(hub.pendingEvents(watchId) <= Math.max(buffer, 4), `buffer bounded: ${hub.pendingEvents(watchId)}`);
          if (takeAfter[i]) got.push(...drain(hub, watchId));
        });
        got.push(...drain(hub, watchId));
        hub.syncUnsynced();
        got.push(...drain(hub, watchId));
        // Within a revision, order is by sub-revision (tested on its own below); here compare by key.
        const actual = eventsOf(got);
        const byRevisionThenKey = actual
          .map((event, index) => ({ event, index }))
          .sort((x, y) => x.event.kv.modRevision - y.event.kv.modRevision || (t(x.event.kv.key) < t(y.event.kv.key) ? -1 : 1));
        assert.deepEqual(
          byRevisionThenKey.map(({ event }) => event.kv.modRevision),
          actual.map((event) => event.kv.modRevision),
          'revisions arrive in order',
        );
        assert.deepEqual(byRevisionThenKey.map(({ event }) => brief(event)), expectedEvents(store, b('city/'), prefixEnd(b('city/')), from));
        assert.equal(hub.isSynced(watchId), true);
        // One revision never spans two responses.
        const responseOfRevision = new Map<number, number>();
        got.forEach((response, index) => {
          if (response.kind !== 'events') return;
          for (const event of response.events) {
            const seen = responseOfRevision.get(event.kv.modRevision);
            assert.ok(seen === undefined || seen === index, `revision ${event.kv.modRevision} split across responses`);
            responseOfRevision.set(event.kv.modRevision, index);
          }
        });
      },
    ),
    { numRuns: 200 },
  );
});

test('all events of one txn arrive in one response, in sub-revision order', () => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  const { watchId } = hub.watch({ key: b('a'), rangeEnd: b('z') });
  store.txn({
    compare: [],
    success: [
      { type: 'put', request: { key: b('pune'), value: b('1') } },
      { type: 'put', request: { key: b('boston'), value: b('1') } },
      { type: 'put', request: { key: b('london'), value: b('1') } },
    ],
    failure: [],
  });
  const responses = drain(hub, watchId);
  assert.equal(responses.length, 1);
  assert.deepEqual(eventsOf(responses).map(brief), ['put pune@2', 'put boston@2', 'put london@2']);
});

test('a watch from a compacted revision is cancelled with the compaction revision', () => {
  const store = new MvccStore();
  for (let i = 0; i < 5; i++) store.put({ key: b('boston'), value: b(String(i)) });
  store.compact(5);
  const hub = new WatchHub(store);
  const { watchId } = hub.watch({ key: b('boston'), startRevision: 3 });
  const responses = drain(hub, watchId);
  assert.equal(responses.length, 1);
  assert.equal(responses[0]!.kind, 'canceled');
  assert.equal(responses[0]!.kind === 'canceled' && responses[0]!.compactRevision, 5);
  assert.equal(hub.watcherCount, 0);
  const fromCompaction = hub.watch({ key: b('boston'), startRevision: 5 });
  assert.deepEqual(eventsOf(drain(hub, fromCompaction.watchId)).map(brief), ['put boston@5', 'put boston@6']);
});

// Found by the mvcc model's property test (seed -306229125): compaction keeps
// only a key's last change of the compaction revision, and both the watch
// replay and the snapshot restore expected every change of it to be held.
test('pune put and deleted by one txn, compacted at that revision: a watch from it sees the delete, before and after a snapshot', () => {
  const store = new MvccStore();
  store.put({ key: b('boston'), value: b('10') }); // revision 2
  store.txn({
    compare: [],
    success: [
      { type: 'put', request: { key: b('pune'), value: b('3') } },
      { type: 'put', request: { key: b('boston'), value: b('11') } },
      // Every key from pune on (etcdctl del pune --from-key): etcd's duplicate-key check lets this overlap with the put through.
      { type: 'delete-range', request: { key: b('pune'), rangeEnd: new Uint8Array([0]) } },
    ],
    failure: [],
  }); // revision 3: pune put (3.0), boston put (3.1), pune deleted (3.2)
  store.compact(3);
  const restored = restoreSnapshot(takeSnapshot(store, new Uint8Array()).toBytes()).store;
  for (const [name, source] of [['jupiter', store], ['saturn, restored from its snapshot', restored]] as const) {
    assert.deepEqual(source.historyOf(b('pune')).map((entry) => `${entry.rev}.${entry.sub}`), ['3.2'], name);
    const hub = new WatchHub(source);
    const { watchId } = hub.watch({ key: b('a'), rangeEnd: b('z'), startRevision: 3 });
    assert.deepEqual(eventsOf(drain(hub, watchId)).map(brief), ['put boston@3', 'delete pune@3'], name);
    source.put({ key: b('pune'), value: b('4') });
    assert.deepEqual(eventsOf(drain(hub, watchId)).map(brief), ['put pune@4'], `${name}: the watcher goes on`);
  }
});

test('a slow watcher whose history is compacted while it is behind is cancelled, not fed a gap', () => {
  const store = new MvccStore();
  const hub = new WatchHub(store, { watchBufferEvents: 2, catchUpBatchRevisions: 2 });
  const { watchId } = hub.watch({ key: b('london') });
  for (let i = 0; i < 20; i++) store.put({ key: b('london'), value: b(String(i)) });
  assert.equal(hub.isSynced(watchId), false);
  store.compact(15);
  const events = eventsOf(drain(hub, watchId));
  assert.deepEqual(events.map((event) => event.kv.modRevision), [2, 3]);
  assert.equal(hub.watcherCount, 0);
});

test('a slow watcher holds at most its buffer, then catches up from history with nothing lost', () => {
  const store = new MvccStore();
  const hub = new WatchHub(store, { watchBufferEvents: 16, catchUpBatchRevisions: 10 });
  const { watchId } = hub.watch({ key: b('pune') });
  for (let i = 0; i < 1000; i++) store.put({ key: b('pune'), value: b(String(i)) });
  assert.equal(hub.pendingEvents(watchId), 16);
  assert.equal(hub.isSynced(watchId), false);
  const values = eventsOf(drain(hub, watchId)).map((event) => t(event.kv.value));
  assert.deepEqual(values, Array.from({ length: 1000 }, (_, i) => String(i)));
  assert.equal(hub.isSynced(watchId), true);
  store.put({ key: b('pune'), value: b('live') });
  assert.deepEqual(eventsOf(drain(hub, watchId)).map((event) => t(event.kv.value)), ['live']);
});

test('prev_kv carries the value each event replaced, live and replayed alike', () => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  store.put({ key: b('boston'), value: b('10') });
  const replayed = hub.watch({ key: b('boston'), startRevision: 2, prevKv: true });
  const live = hub.watch({ key: b('boston'), prevKv: true });
  store.put({ key: b('boston'), value: b('11') });
  store.deleteRange({ key: b('boston') });
  store.put({ key: b('boston'), value: b('1') });
  const describe = (event: WatchEvent) => [event.type, t(event.kv.value), event.kv.version, event.prevKv === null ? null : t(event.prevKv.value)];
  assert.deepEqual(eventsOf(drain(hub, replayed.watchId)).map(describe), [
    ['put', '10', 1, null],
    ['put', '11', 2, '10'],
    ['delete', '', 0, '11'],
    ['put', '1', 1, null],
  ]);
  assert.deepEqual(eventsOf(drain(hub, live.watchId)).map(describe), [
    ['put', '11', 2, '10'],
    ['delete', '', 0, '11'],
    ['put', '1', 1, null],
  ]);
});

test('create events are recognisable by version 1, and deletes carry only key and revision', () => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  const { watchId } = hub.watch({ key: b('london') });
  store.put({ key: b('london'), value: b('1') });
  store.put({ key: b('london'), value: b('2') });
  store.deleteRange({ key: b('london') });
  const [created, updated, deleted] = eventsOf(drain(hub, watchId));
  assert.equal(created!.kv.version, 1);
  assert.equal(created!.kv.createRevision, created!.kv.modRevision);
  assert.equal(updated!.kv.version, 2);
  assert.deepEqual([deleted!.type, t(deleted!.kv.key), deleted!.kv.modRevision, deleted!.kv.createRevision, deleted!.kv.version], ['delete', 'london', 4, 0, 0]);
});

test('filters drop puts or deletes, and a revision with nothing left sends nothing', () => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  const noPut = hub.watch({ key: b('a'), rangeEnd: b('z'), noPut: true });
  const noDelete = hub.watch({ key: b('a'), rangeEnd: b('z'), noDelete: true });
  store.put({ key: b('boston'), value: b('1') });
  store.deleteRange({ key: b('boston') });
  const puts = drain(hub, noDelete.watchId);
  const deletes = drain(hub, noPut.watchId);
  assert.deepEqual(eventsOf(puts).map(brief), ['put boston@2']);
  assert.deepEqual(eventsOf(deletes).map(brief), ['delete boston@3']);
  assert.equal(deletes.length, 1);
});

test('a watch that starts in the future skips earlier revisions', () => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  const { watchId } = hub.watch({ key: b('pune'), startRevision: 4 });
  for (let i = 0; i < 4; i++) store.put({ key: b('pune'), value: b(String(i)) });
  assert.deepEqual(eventsOf(drain(hub, watchId)).map(brief), ['put pune@4', 'put pune@5']);
});

test('progress notifications report the current revision, and only to synced watchers', () => {
  const store = new MvccStore();
  const hub = new WatchHub(store, { watchBufferEvents: 1 });
  const synced = hub.watch({ key: b('quiet') });
  const behind = hub.watch({ key: b('busy') });
  for (let i = 0; i < 3; i++) store.put({ key: b('busy'), value: b(String(i)) });
  hub.requestProgress();
  assert.deepEqual(drain(hub, synced.watchId), [{ kind: 'progress', watchId: synced.watchId, revision: 4 }]);
  assert.equal(hub.isSynced(behind.watchId), false);
  assert.ok(drain(hub, behind.watchId).every((response) => response.kind === 'events'));
});

test('after cancel a watcher receives nothing more', () => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  let ready = 0;
  hub.onReady(() => ready++);
  const { watchId } = hub.watch({ key: b('boston') });
  store.put({ key: b('boston'), value: b('1') });
  assert.equal(ready, 1);
  assert.equal(hub.cancel(watchId), true);
  store.put({ key: b('boston'), value: b('2') });
  assert.equal(hub.take(watchId), null);
  assert.equal(hub.cancel(watchId), false);
});

test('responses are bounded by events and bytes, but never split a revision', () => {
  const store = new MvccStore();
  const hub = new WatchHub(store, { maxResponseEvents: 3, maxResponseBytes: 10_000 });
  const { watchId } = hub.watch({ key: b('a'), rangeEnd: b('z') });
  for (let i = 0; i < 5; i++) store.put({ key: b(`k${i}`), value: b('x') });
  store.txn({ compare: [], success: ['m1', 'm2', 'm3', 'm4'].map((key) => ({ type: 'put' as const, request: { key: b(key), value: b('y') } })), failure: [] });
  const sizes = drain(hub, watchId).map((response) => (response.kind === 'events' ? response.events.length : 0));
  assert.deepEqual(sizes, [3, 2, 4]);
});

test('a consumer that takes from inside the ready signal, as the watch stream does, sees a lagging watcher\'s replay once, with no gap', () => {
  const store = new MvccStore();
  for (let i = 0; i < 300; i++) store.put({ key: b(`pune/${i % 7}`), value: b(String(i)) });
  // Tiny buffer and replay steps, so catching up takes many steps and each makes the watcher ready again.
  const hub = new WatchHub(store, { watchBufferEvents: 2, catchUpBatchRevisions: 3, maxResponseEvents: 2 });
  const seen: number[] = [];
  let watchId = -1;
  const pump = (id: number): void => {
    if (id !== watchId) return;
    for (let response = hub.take(id); response !== null; response = hub.take(id)) {
      if (response.kind === 'events') for (const event of response.events) seen.push(event.kv.modRevision);
    }
  };
  hub.onReady(pump);
  watchId = hub.watch({ key: b('pune/'), rangeEnd: prefixEnd(b('pune/')), startRevision: 1 }).watchId;
  // The stream learns its watch id only now (the hub signalled before returning it), so it pumps once, as LocalWatchSession does.
  pump(watchId);
  for (let round = 0; round < 400 && seen.length < 300; round++) hub.syncUnsynced();
  for (let i = 300; i < 320; i++) store.put({ key: b(`pune/${i % 7}`), value: b(String(i)) });
  for (let round = 0; round < 50 && seen.length < 320; round++) hub.syncUnsynced();
  assert.deepEqual(seen, Array.from({ length: 320 }, (_, i) => i + 2), 'every revision once, in order');
});

test('alice and bob watching boston get one shared event per change, and prev_kv watchers their own', () => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  store.put({ key: b('boston'), value: b('10') });
  const alice = hub.watch({ key: b('boston') });
  const bob = hub.watch({ key: b('b'), rangeEnd: b('c') });
  const carol = hub.watch({ key: b('boston'), prevKv: true });
  store.put({ key: b('boston'), value: b('11') });
  const [aliceEvent] = eventsOf(drain(hub, alice.watchId));
  const [bobEvent] = eventsOf(drain(hub, bob.watchId));
  const [carolEvent] = eventsOf(drain(hub, carol.watchId));
  assert.equal(aliceEvent, bobEvent, 'the change was converted once for both watchers');
  assert.equal(aliceEvent!.prevKv, null);
  assert.notEqual(carolEvent, aliceEvent);
  assert.equal(t(carolEvent!.prevKv!.value), '10');
  assert.equal(carolEvent!.kv, aliceEvent!.kv, 'the key-value itself is shared too');
  // The next revision's events are new objects: nothing of older revisions is kept.
  store.put({ key: b('boston'), value: b('12') });
  const [next] = eventsOf(drain(hub, alice.watchId));
  assert.notEqual(next, aliceEvent);
  assert.equal(t(next!.kv.value), '12');
});

test('a put fanned out to alice and bob is one shared list; bob, lagging a revision, gets both in a list of his own', () => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  const alice = hub.watch({ key: b('boston') });
  const bob = hub.watch({ key: b('b'), rangeEnd: b('c') });
  store.put({ key: b('boston'), value: b('10') });
  assert.equal(hub.hasPending(alice.watchId), true);
  const [aliceFirst] = drain(hub, alice.watchId);
  assert.equal(hub.hasPending(alice.watchId), false, 'alice took everything');
  store.put({ key: b('boston'), value: b('11') });
  const [aliceSecond] = drain(hub, alice.watchId);
  const bobResponses = drain(hub, bob.watchId);
  assert.equal(bobResponses.length, 1, 'bob gets both revisions in one response');
  assert.ok(aliceFirst?.kind === 'events' && aliceSecond?.kind === 'events' && bobResponses[0]?.kind === 'events');
  assert.deepEqual(bobResponses[0].events.map(brief), ['put boston@2', 'put boston@3']);
  // Merging bob's two revisions made a new list: the lists alice was handed are as they were.
  assert.deepEqual(aliceFirst.events.map(brief), ['put boston@2']);
  assert.deepEqual(aliceSecond.events.map(brief), ['put boston@3']);
  assert.equal(aliceSecond.events[0], bobResponses[0].events[1], 'the event itself is shared');
  // With a single revision pending, alice and bob are handed the very same list.
  store.put({ key: b('boston'), value: b('12') });
  const [aliceThird] = drain(hub, alice.watchId);
  const [bobThird] = drain(hub, bob.watchId);
  assert.ok(aliceThird?.kind === 'events' && bobThird?.kind === 'events');
  assert.equal(aliceThird.events, bobThird.events);
});

test('a txn over boston and pune: the two watchers of every city share one list, carol on boston alone gets her own', () => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  const alice = hub.watch({ key: b('a'), rangeEnd: b('z') });
  const bob = hub.watch({ key: b('a'), rangeEnd: b('z') });
  const carol = hub.watch({ key: b('boston') });
  store.txn({
    compare: [],
    success: [
      { type: 'put', request: { key: b('pune'), value: b('1') } },
      { type: 'put', request: { key: b('boston'), value: b('1') } },
    ],
    failure: [],
  });
  const [aliceResponse] = drain(hub, alice.watchId);
  const [bobResponse] = drain(hub, bob.watchId);
  const [carolResponse] = drain(hub, carol.watchId);
  assert.ok(aliceResponse?.kind === 'events' && bobResponse?.kind === 'events' && carolResponse?.kind === 'events');
  assert.equal(aliceResponse.events, bobResponse.events, 'the whole revision, built once');
  assert.deepEqual(aliceResponse.events.map(brief), ['put pune@2', 'put boston@2']);
  assert.deepEqual(carolResponse.events.map(brief), ['put boston@2']);
  assert.equal(carolResponse.events[0], aliceResponse.events[1], 'the boston event itself is shared');
});
