import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CowBTree, type OrderedView } from '../../src/kv/cow-btree.js';

function contents(view: OrderedView<number>, low = '', high: string | null = null): [string, number][] {
  const out: [string, number][] = [];
  view.forEachInRange(low, high, (key, value) => {
    out.push([key, value]);
    return true;
  });
  return out;
}

const sortedEntries = (map: Map<string, number>): [string, number][] => [...map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));

const opArb = fc.oneof(
  fc.record({ type: fc.constant('set' as const), key: fc.string({ maxLength: 3 }), value: fc.integer() }),
  fc.record({ type: fc.constant('delete' as const), key: fc.string({ maxLength: 3 }) }),
  fc.record({ type: fc.constant('freeze' as const) }),
);

test('the tree holds exactly what a sorted map holds, through thousands of inserts and deletes', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 3000 }), (ops) => {
      const tree = new CowBTree<number>();
      const model = new Map<string, number>();
      for (const op of ops) {
        if (op.type === 'set') {
          tree.set(op.key, op.value);
          model.set(op.key, op.value);
        } else if (op.type === 'delete') {
          assert.equal(tree.delete(op.key), model.delete(op.key));
        } else tree.freeze();
      }
      assert.equal(tree.size, model.size);
      assert.deepEqual(contents(tree), sortedEntries(model));
      assert.deepEqual([...tree.entries()], sortedEntries(model));
      for (const key of model.keys()) assert.equal(tree.get(key), model.get(key));
    }),
    { numRuns: 100 },
  );
});

test('a frozen view never changes while the live tree is rewritten under it', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 1500 }), fc.array(opArb, { maxLength: 1500 }), (before, after) => {
      const tree = new CowBTree<number>();
      const model = new Map<string, number>();
      for (const op of before) {
        if (op.type === 'set') {
          tree.set(op.key, op.value);
          model.set(op.key, op.value);
        } else if (op.type === 'delete') {
          tree.delete(op.key);
          model.delete(op.key);
        }
      }
      const view = tree.freeze();
      const frozen = sortedEntries(model);
      for (const op of after) {
        if (op.type === 'set') tree.set(op.key, op.value);
        else if (op.type === 'delete') tree.delete(op.key);
        else tree.freeze();
      }
      assert.deepEqual(contents(view), frozen);
      assert.equal(view.size, frozen.length);
    }),
    { numRuns: 100 },
  );
});

test('range scans stop at the upper bound and start at the lower one', () => {
  const tree = new CowBTree<number>();
  for (let i = 0; i < 1000; i++) tree.set(`k${String(i).padStart(4, '0')}`, i);
  const slice = contents(tree, 'k0100', 'k0200');
  assert.equal(slice.length, 100);
  assert.deepEqual(slice[0], ['k0100', 100]);
  assert.deepEqual(slice[99], ['k0199', 199]);
  assert.deepEqual([...tree.entries('k0998')], [['k0998', 998], ['k0999', 999]]);
});

test('a bulk-built tree answers like one built key by key, and accepts later writes', () => {
  const entries: [string, number][] = Array.from({ length: 5000 }, (_, i) => [`key-${String(i).padStart(5, '0')}`, i]);
  const tree = CowBTree.fromSorted(entries);
  assert.equal(tree.size, 5000);
  assert.deepEqual(contents(tree), entries);
  tree.set('key-02500x', -1);
  tree.delete('key-00000');
  assert.equal(tree.get('key-02500x'), -1);
  assert.equal(tree.get('key-00000'), undefined);
  assert.equal(tree.size, 5000);
  assert.throws(() => CowBTree.fromSorted([['b', 1], ['a', 2]]), RangeError);
});
