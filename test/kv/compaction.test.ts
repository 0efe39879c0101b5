import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KvError } from '../../src/kv/errors.js';
import { MvccStore } from '../../src/kv/mvcc-store.js';

const b = (text: string): Uint8Array => new TextEncoder().encode(text);
const t = (data: Uint8Array): string => new TextDecoder().decode(data);
const isError = (message: string) => (error: unknown) => error instanceof KvError && error.message === message;
const compacted = 'etcdserver: mvcc: required revision has been compacted';
const future = 'etcdserver: mvcc: required revision is a future revision';

test('compaction keeps the value in force at the compaction revision and drops what came before', () => {
  const store = new MvccStore();
  for (let i = 1; i <= 5; i++) store.put({ key: b('boston'), value: b(String(i)) }); // revisions 2..6
  store.compact(4);
  assert.deepEqual(store.historyOf(b('boston')).map((entry) => entry.rev), [4, 5, 6]);
  assert.equal(t(store.range({ key: b('boston'), revision: 4 }).kvs[0]!.value), '3');
  assert.throws(() => store.range({ key: b('boston'), revision: 3 }), isError(compacted));
  assert.equal(store.range({ key: b('boston'), revision: 4 }).kvs[0]!.version, 3);
});

test('a key deleted before the compaction revision vanishes from memory entirely', () => {
  const store = new MvccStore();
  store.put({ key: b('pune'), value: b('1') });
  store.deleteRange({ key: b('pune') });
  store.put({ key: b('london'), value: b('1') });
  const usedBefore = store.usedBytes;
  store.compact(store.revision);
  assert.deepEqual(store.historyOf(b('pune')), []);
  assert.equal(store.keyCount, 1);
  assert.ok(store.usedBytes < usedBefore);
});

test('compacting at or below the last compaction, or above the current revision, is refused', () => {
  const store = new MvccStore();
  store.put({ key: b('a'), value: b('1') });
  store.put({ key: b('a'), value: b('2') });
  store.compact(2);
  assert.throws(() => store.compact(2), isError(compacted));
  assert.throws(() => store.compact(1), isError(compacted));
  assert.throws(() => store.compact(4), isError(future));
  assert.throws(() => store.range({ key: b('a'), revision: 4 }), isError(future));
  assert.equal(store.compact(3).revision, 3);
});

test('memory of a heavily rewritten key shrinks back to one entry after compaction', () => {
  const store = new MvccStore();
  for (let i = 0; i < 1000; i++) store.put({ key: b('philadelphia'), value: b(`widgets ${i}`) });
  const used = store.usedBytes;
  store.compact(store.revision);
  assert.equal(store.historyOf(b('philadelphia')).length, 1);
  assert.ok(store.usedBytes * 100 < used, `${store.usedBytes} vs ${used}`);
  assert.equal(t(store.range({ key: b('philadelphia') }).kvs[0]!.value), 'widgets 999');
});
