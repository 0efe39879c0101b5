import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkWatches, prefixRangeEnd, type CommittedRevision, type WatchEvent, type WatchSpec } from '../../src/check/index.js';

// The committed history: widget counts written one revision at a time, and
// one transaction at revision 4 that moves stock from boston to pune.
const committed: CommittedRevision[] = [
  { revision: 1, events: [{ type: 'put', key: 'widgets/boston', value: '10' }] },
  { revision: 2, events: [{ type: 'put', key: 'widgets/london', value: '3' }] },
  { revision: 3, events: [{ type: 'put', key: 'widgets/boston', value: '8' }] },
  { revision: 4, events: [{ type: 'delete', key: 'widgets/boston' }, { type: 'put', key: 'widgets/pune', value: '8' }] },
  { revision: 5, events: [{ type: 'put', key: 'gadgets/pune', value: '1' }] },
  { revision: 6, events: [{ type: 'put', key: 'widgets/london', value: '4' }] },
];

const prefixWatch: WatchSpec = { watcherId: 'alice', key: 'widgets/', rangeEnd: prefixRangeEnd('widgets/'), startRevision: 1, prevKv: true };
const boston1 = { type: 'put', key: 'widgets/boston', revision: 1, value: '10', prevKv: null } as const;
const london2 = { type: 'put', key: 'widgets/london', revision: 2, value: '3', prevKv: null } as const;
const boston3: WatchEvent = {
  type: 'put', key: 'widgets/boston', revision: 3, value: '8', version: 2, createRevision: 1,
  prevKv: { key: 'widgets/boston', value: '10', createRevision: 1, modRevision: 1, version: 1 },
};
const boston4: WatchEvent = {
  type: 'delete', key: 'widgets/boston', revision: 4,
  prevKv: { key: 'widgets/boston', value: '8', createRevision: 1, modRevision: 3, version: 2 },
};
const pune4: WatchEvent = { type: 'put', key: 'widgets/pune', revision: 4, value: '8', prevKv: null };
const london6: WatchEvent = {
  type: 'put', key: 'widgets/london', revision: 6, value: '4',
  prevKv: { key: 'widgets/london', value: '3', createRevision: 2, modRevision: 2, version: 1 },
};

test('a prefix watcher that sees every widget event once, in order, passes', () => {
  const result = checkWatches([{ spec: prefixWatch, responses: [[boston1, london2], [boston3], [boston4, pune4], [london6]] }], committed);
  assert.equal(result.ok, true, result.text);
});

test('a watcher that stops early owes nothing past the last revision it saw', () => {
  const result = checkWatches([{ spec: prefixWatch, responses: [[boston1], [london2, boston3]] }], committed);
  assert.equal(result.ok, true, result.text);
});

test('a single-key watch with a delete filter sees only boston puts from its start', () => {
  const spec: WatchSpec = { watcherId: 'bob', key: 'widgets/boston', startRevision: 2, filters: ['nodelete'] };
  assert.equal(checkWatches([{ spec, responses: [[{ type: 'put', key: 'widgets/boston', revision: 3, value: '8' }]] }], committed).ok, true);
  const withDelete = checkWatches([{ spec, responses: [[{ type: 'put', key: 'widgets/boston', revision: 3, value: '8' }], [boston4]] }], committed);
  assert.deepEqual(withDelete.violations.map((v) => [v.kind, v.revision]), [['unexpected-event', 4]]);
});

test('a missed revision between two delivered ones is a gap', () => {
  const result = checkWatches([{ spec: prefixWatch, responses: [[boston1, london2], [boston4, pune4]] }], committed);
  assert.deepEqual(result.violations.map((v) => [v.kind, v.revision, v.key]), [['gap', 3, 'widgets/boston']]);
  assert.match(result.text, /watcher alice, revision 3, key widgets\/boston: gap/);
});

test('an event delivered twice after a reconnect is a duplicate', () => {
  const result = checkWatches([{ spec: prefixWatch, responses: [[boston1, london2], [london2, boston3]] }], committed);
  assert.deepEqual(result.violations.map((v) => [v.kind, v.revision, v.key]), [['duplicate', 2, 'widgets/london']]);
});

test('revisions delivered backwards are out of order', () => {
  const result = checkWatches([{ spec: prefixWatch, responses: [[boston1, boston3, london2]] }], committed);
  assert.deepEqual(result.violations.map((v) => [v.kind, v.revision]), [['out-of-order', 2]]);
});

test('a transaction split over two responses breaks atomicity', () => {
  const result = checkWatches([{ spec: prefixWatch, responses: [[boston1, london2, boston3, boston4], [pune4]] }], committed);
  assert.deepEqual(result.violations.map((v) => [v.kind, v.revision]), [['split-revision', 4]]);
});

test('losing one event of a transaction is a gap even though its revision arrived', () => {
  const result = checkWatches([{ spec: prefixWatch, responses: [[boston1, london2, boston3], [pune4]] }], committed);
  assert.deepEqual(result.violations.map((v) => [v.kind, v.revision, v.key]), [['gap', 4, 'widgets/boston']]);
});

test('a wrong prev_kv is reported with what the key held', () => {
  const stale = { ...boston4, prevKv: { key: 'widgets/boston', value: '10', createRevision: 1, modRevision: 1, version: 1 } };
  const result = checkWatches([{ spec: prefixWatch, responses: [[boston1, london2, boston3], [stale, pune4]] }], committed);
  assert.deepEqual(result.violations.map((v) => [v.kind, v.revision]), [['wrong-prev-kv', 4]]);
  assert.match(result.violations[0]!.message, /"value":"8"/);
});

test('an event with a value never written, or at a revision never committed, is caught', () => {
  const wrongValue = checkWatches([{ spec: prefixWatch, responses: [[{ ...boston1, value: '11' }]] }], committed);
  assert.deepEqual(wrongValue.violations.map((v) => v.kind), ['wrong-event']);
  const phantom = checkWatches([{ spec: prefixWatch, responses: [[boston1], [{ type: 'put', key: 'widgets/pune', revision: 9, value: '1' }]] }], committed);
  // Seeing revision 9 claims everything before it was delivered, so the widget events of 2 to 6 are gaps too.
  assert.deepEqual(phantom.violations.map((v) => [v.kind, v.revision, v.key]), [
    ['unexpected-event', 9, 'widgets/pune'],
    ['gap', 2, 'widgets/london'],
    ['gap', 3, 'widgets/boston'],
    ['gap', 4, 'widgets/boston'],
    ['gap', 4, 'widgets/pune'],
    ['gap', 6, 'widgets/london'],
  ]);
  assert.match(phantom.violations[0]!.message, /no such revision was committed/);
});

test('an event from before the watch started is reported', () => {
  const spec = { ...prefixWatch, startRevision: 3 };
  const result = checkWatches([{ spec, responses: [[london2], [boston3]] }], committed);
  assert.deepEqual(result.violations.map((v) => [v.kind, v.revision]), [['before-start', 2]]);
});

test('a key outside the prefix never reaches the watcher', () => {
  const gadget: WatchEvent = { type: 'put', key: 'gadgets/pune', revision: 5, value: '1', prevKv: null };
  const result = checkWatches([{ spec: prefixWatch, responses: [[boston1, london2], [boston3], [boston4, pune4], [gadget]] }], committed);
  assert.deepEqual(result.violations.map((v) => [v.kind, v.key]), [['unexpected-event', 'gadgets/pune']]);
});
