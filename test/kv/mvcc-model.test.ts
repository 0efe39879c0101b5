import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KvError } from '../../src/kv/errors.js';
import { prefixEnd } from '../../src/kv/key-bytes.js';
import { restoreSnapshot, takeSnapshot } from '../../src/kv/kv-snapshot.js';
import { MvccStore } from '../../src/kv/mvcc-store.js';
import type { Compare, KeyValue, RangeRequest, RequestOp } from '../../src/kv/types.js';
import { ReferenceModel, type ModelCommand, type ModelCompare, type ModelOp, type ModelRange, type Span } from './reference-model.js';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'latin1');
const text = (data: Uint8Array): string => Buffer.from(data).toString('latin1');

function spanRequest(span: Span): { key: Uint8Array; rangeEnd?: Uint8Array } {
  return span.end === null ? { key: bytes(span.key) } : { key: bytes(span.key), rangeEnd: bytes(span.end) };
}

function rangeRequest(range: ModelRange): RangeRequest {
  return {
    ...spanRequest(range.span),
    revision: range.revision,
    limit: range.limit,
    sortOrder: range.sortOrder,
    sortTarget: range.sortTarget,
    keysOnly: range.keysOnly,
    countOnly: range.countOnly,
    minModRevision: range.minMod,
    maxModRevision: range.maxMod,
    minCreateRevision: range.minCreate,
    maxCreateRevision: range.maxCreate,
  };
}

function requestOp(op: ModelOp): RequestOp {
  switch (op.type) {
    case 'range':
      return { type: 'range', request: rangeRequest(op.range) };
    case 'put':
      return { type: 'put', request: { key: bytes(op.key), value: bytes(op.value), prevKv: op.prevKv } };
    case 'delete':
      return { type: 'delete-range', request: { ...spanRequest(op.span), prevKv: op.prevKv } };
  }
}

function compareOf(compare: ModelCompare): Compare {
  const base = { ...spanRequest(compare.span), result: compare.result };
  switch (compare.target) {
    case 'value':
      return { ...base, target: 'value', value: bytes(String(compare.operand)) };
    case 'version':
      return { ...base, target: 'version', version: Number(compare.operand) };
    case 'create':
      return { ...base, target: 'create', createRevision: Number(compare.operand) };
    case 'mod':
      return { ...base, target: 'mod', modRevision: Number(compare.operand) };
  }
}

/** Store responses in the model's vocabulary: byte strings as latin1 text. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return text(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const kv = value as KeyValue;
    if ('createRevision' in kv && 'modRevision' in kv) {
      return { key: text(kv.key), value: text(kv.value), createRevision: kv.createRevision, modRevision: kv.modRevision, version: kv.version, lease: kv.lease };
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function runOnStore(store: MvccStore, command: ModelCommand): { error: string } | { value: unknown } {
  try {
    switch (command.type) {
      case 'range':
        return { value: plain(store.range(rangeRequest(command.range))) };
      case 'put':
        return { value: plain(store.put(requestOp(command).request as never)) };
      case 'delete':
        return { value: plain(store.deleteRange(requestOp(command).request as never)) };
      case 'txn':
        return { value: plain(store.txn({ compare: command.compare.map(compareOf), success: command.success.map(requestOp), failure: command.failure.map(requestOp) })) };
      case 'compact':
        return { value: plain(store.compact(command.revision)) };
    }
  } catch (error) {
    if (error instanceof KvError) return { error: error.code };
    throw error;
  }
}

const keyArb = fc.constantFrom('a', 'ab', 'abc', 'b', 'ba', 'c', 'd\xff');
const spanArb: fc.Arbitrary<Span> = fc.oneof(
  keyArb.map((key) => ({ key, end: null })),
  fc.tuple(keyArb, keyArb).map(([key, end]) => ({ key, end })),
  keyArb.map((key) => ({ key, end: text(prefixEnd(bytes(key))) })),
  keyArb.map((key) => ({ key, end: '\0' })),
);
const revisionArb = fc.integer({ min: 0, max: 40 });
const rangeArb: fc.Arbitrary<ModelRange> = fc.record({
  span: spanArb,
  revision: fc.oneof(fc.constant(0), revisionArb),
  limit: fc.integer({ min: 0, max: 4 }),
  sortOrder: fc.constantFrom('none', 'ascend', 'descend'),
  sortTarget: fc.constantFrom('key', 'version', 'create', 'mod', 'value'),
  keysOnly: fc.boolean(),
  countOnly: fc.boolean(),
  minMod: fc.oneof(fc.constant(0), revisionArb),
  maxMod: fc.oneof(fc.constant(0), revisionArb),
  minCreate: fc.oneof(fc.constant(0), revisionArb),
  maxCreate: fc.oneof(fc.constant(0), revisionArb),
});
const opArb: fc.Arbitrary<ModelOp> = fc.oneof(
  { weight: 2, arbitrary: rangeArb.map((range) => ({ type: 'range' as const, range })) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('put' as const), key: keyArb, value: fc.constantFrom('', 'x', 'y', 'zz', '\xff'), prevKv: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('delete' as const), span: spanArb, prevKv: fc.boolean() }) },
);
const compareArb: fc.Arbitrary<ModelCompare> = fc.oneof(
  fc.record({ span: spanArb, target: fc.constant('value' as const), result: fc.constantFrom('equal', 'greater', 'less', 'not-equal'), operand: fc.constantFrom('', 'x', 'y') }),
  fc.record({ span: spanArb, target: fc.constantFrom('version', 'create', 'mod'), result: fc.constantFrom('equal', 'greater', 'less', 'not-equal'), operand: fc.integer({ min: 0, max: 12 }) }),
);
const commandArb: fc.Arbitrary<ModelCommand> = fc.oneof(
  { weight: 8, arbitrary: opArb },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('txn' as const), compare: fc.array(compareArb, { maxLength: 2 }), success: fc.array(opArb, { maxLength: 3 }), failure: fc.array(opArb, { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('compact' as const), revision: fc.integer({ min: 0, max: 30 }) }) },
);

test('range, put, delete, txn and compact agree with the reference model, step by step', () => {
  fc.assert(
    fc.property(fc.array(commandArb, { minLength: 1, maxLength: 60 }), (commands) => {
      const store = new MvccStore();
      const model = new ReferenceModel();
      commands.forEach((command, step) => {
        const expected = model.run(command);
        const actual = runOnStore(store, command);
        assert.deepEqual(actual, expected, `step ${step}: ${JSON.stringify(command, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
        assert.equal(store.revision, model.revision, `revision after step ${step}`);
      });
    }),
    { numRuns: 300 },
  );
});

test('after any history, every retained revision reads exactly as the model remembers it', () => {
  fc.assert(
    fc.property(fc.array(commandArb, { minLength: 1, maxLength: 40 }), fc.array(spanArb, { minLength: 1, maxLength: 3 }), (commands, spans) => {
      const store = new MvccStore();
      const model = new ReferenceModel();
      for (const command of commands) {
        model.run(command);
        runOnStore(store, command);
      }
      for (let revision = 1; revision <= store.revision + 1; revision++) {
        for (const span of spans) {
          const read: ModelCommand = {
            type: 'range',
            range: { span, revision, limit: 0, sortOrder: 'none', sortTarget: 'key', keysOnly: false, countOnly: false, minMod: 0, maxMod: 0, minCreate: 0, maxCreate: 0 },
          };
          assert.deepEqual(runOnStore(store, read), model.run(read), `read at ${revision}`);
        }
      }
    }),
    { numRuns: 150 },
  );
});

test('a store restored from a snapshot at any step goes on agreeing with the model', () => {
  fc.assert(
    fc.property(fc.array(commandArb, { minLength: 1, maxLength: 50 }), fc.nat(50), (commands, restoreAt) => {
      let store = new MvccStore();
      const model = new ReferenceModel();
      commands.forEach((command, step) => {
        if (step === restoreAt) store = restoreSnapshot(takeSnapshot(store, new Uint8Array()).toBytes()).store;
        assert.deepEqual(runOnStore(store, command), model.run(command), `step ${step}`);
      });
    }),
    { numRuns: 200 },
  );
});
