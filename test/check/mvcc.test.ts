import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkLinearizability,
  checkMvccHistory,
  formatCheckResult,
  isPending,
  mvccModel,
  randomLinearizableHistory,
  type KeyValue,
  type MvccInput,
  type MvccOutput,
  type Operation,
} from '../../src/check/index.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { nextMvccInput } from './mvcc-generators.js';

type MvccOperation = Operation<MvccInput, MvccOutput>;
const kv = (key: string, value: string, createRevision: number, modRevision: number, version: number): KeyValue => ({
  key, value, createRevision, modRevision, version,
});
const put = (clientId: string, key: string, value: string, revision: number | undefined, callMs: number, returnMs?: number): MvccOperation =>
  revision === undefined
    ? { clientId, input: { kind: 'put', key, value }, callMs }
    : { clientId, input: { kind: 'put', key, value }, output: { kind: 'put', revision }, callMs, returnMs: returnMs! };
const get = (clientId: string, key: string, revision: number, kvs: KeyValue[], callMs: number, returnMs: number): MvccOperation => ({
  clientId, input: { kind: 'range', key }, output: { kind: 'range', revision, kvs }, callMs, returnMs,
});

/** Both checkers must agree on every history; returns the fast one's verdict. */
function verdictOf(history: readonly MvccOperation[]): string {
  const fast = checkMvccHistory(history);
  const reference = checkLinearizability(mvccModel(), history);
  assert.equal(fast.verdict, reference.verdict, `revision checker: ${formatCheckResult(fast)}\nreference search: ${formatCheckResult(reference)}`);
  return fast.verdict;
}

test('alice reads boston at the revision bob wrote it', () => {
  const history = [put('bob', 'boston', '10', 1, 0, 2), get('alice', 'boston', 1, [kv('boston', '10', 1, 1, 1)], 3, 4)];
  assert.equal(verdictOf(history), 'ok');
});

test('a stale read after a completed write is a violation', () => {
  const history = [
    put('bob', 'boston', '10', 1, 0, 2),
    put('bob', 'boston', '11', 2, 3, 4),
    get('alice', 'boston', 1, [kv('boston', '10', 1, 1, 1)], 5, 6),
  ];
  assert.equal(verdictOf(history), 'violation');
  const result = checkMvccHistory(history);
  if (result.verdict === 'violation') assert.match(result.violation.text, /bob: .* returned before alice: .* was called, yet the revisions they saw or made \(2 and 1\) order it after/);
});

test('a read whose header is right but whose value was never written is a violation', () => {
  const history = [put('bob', 'widgets/boston', '10', 1, 0, 2), get('alice', 'widgets/boston', 1, [kv('widgets/boston', '99', 1, 1, 1)], 3, 4)];
  assert.equal(verdictOf(history), 'violation');
  const result = checkMvccHistory(history);
  assert.equal(result.verdict, 'violation');
  if (result.verdict === 'violation') {
    assert.equal(result.violation.blocking, history[1]);
    assert.match(result.violation.text, /saw widgets\/boston = "99" at mod revision 1, but bob: .* put that there/);
  }
});

test('two writes that claim one revision are a violation', () => {
  const history = [put('alice', 'boston', '1', 1, 0, 2), put('bob', 'pune', '2', 1, 0, 2)];
  assert.equal(verdictOf(history), 'violation');
});

test('concurrent puts may take revisions in either order', () => {
  assert.equal(verdictOf([put('alice', 'london', '1', 1, 0, 5), put('bob', 'london', '2', 2, 1, 4)]), 'ok');
  assert.equal(verdictOf([put('alice', 'london', '1', 2, 0, 5), put('bob', 'london', '2', 1, 1, 4)]), 'ok');
});

test('a put that returned before another was called cannot take the later revision', () => {
  assert.equal(verdictOf([put('alice', 'london', '1', 2, 0, 1), put('bob', 'london', '2', 1, 2, 3)]), 'violation');
});

test('a failed put that took effect fills the revision nobody claimed', () => {
  const history = [
    put('alice', 'pune', '1', undefined, 0),
    put('bob', 'pune', '2', 2, 5, 6),
    get('bob', 'pune', 2, [kv('pune', '2', 1, 2, 2)], 7, 8),
  ];
  assert.equal(verdictOf(history), 'ok');
});

test('a failed put that did not take effect is fine too', () => {
  const history = [put('alice', 'pune', '1', undefined, 0), put('bob', 'pune', '2', 1, 5, 6), get('bob', 'pune', 1, [kv('pune', '2', 1, 1, 1)], 7, 8)];
  assert.equal(verdictOf(history), 'ok');
});

test('reading a failed put and then the older value is a violation', () => {
  const history = [
    put('alice', 'pune', '1', 1, 0, 1),
    put('bob', 'pune', '2', undefined, 2),
    get('alice', 'pune', 2, [kv('pune', '2', 1, 2, 2)], 10, 11),
    get('alice', 'pune', 1, [kv('pune', '1', 1, 1, 1)], 12, 13),
  ];
  assert.equal(verdictOf(history), 'violation');
});

test('a read that sees a value bob wrote, but with the wrong version, is a violation the replay finds', () => {
  const history = [put('bob', 'boston', '10', 1, 0, 2), get('alice', 'boston', 1, [kv('boston', '10', 1, 1, 2)], 3, 4)];
  assert.equal(verdictOf(history), 'violation');
  const result = checkMvccHistory(history);
  if (result.verdict === 'violation') {
    assert.equal(result.violation.blocking, history[1]);
    assert.deepEqual(result.violation.linearizedPrefix, [history[0]]);
    assert.match(result.violation.text, /"version":1/);
  }
});

test('a revision no recorded write can have made is a violation that says so', () => {
  const history = [put('alice', 'boston', '1', 2, 0, 1)];
  assert.equal(verdictOf(history), 'violation');
  const result = checkMvccHistory(history);
  if (result.verdict === 'violation') assert.match(result.violation.text, /no operation in the history wrote revision 1/);
});

test('a lost update: two transactions guarded on the same mod revision cannot both succeed', () => {
  const guardedPut = (clientId: string, value: string, revision: number, callMs: number): MvccOperation => ({
    clientId,
    input: { kind: 'txn', compare: [{ key: 'philadelphia', target: 'mod', result: 'equal', operand: 1 }], success: [{ kind: 'put', key: 'philadelphia', value }], failure: [] },
    output: { kind: 'txn', revision, succeeded: true, responses: [{ kind: 'put', revision }] },
    callMs,
    returnMs: callMs + 10,
  });
  const history = [put('alice', 'philadelphia', '0', 1, 0, 1), guardedPut('alice', '1', 2, 2), guardedPut('bob', '1', 3, 3)];
  assert.equal(verdictOf(history), 'violation');
});

test('a delete that finds nothing leaves the revision alone', () => {
  const history: MvccOperation[] = [
    { clientId: 'alice', input: { kind: 'delete-range', key: 'london' }, output: { kind: 'delete-range', revision: 0, deleted: 0 }, callMs: 0, returnMs: 1 },
    put('bob', 'london', '5', 1, 2, 3),
    { clientId: 'alice', input: { kind: 'delete-range', key: 'london' }, output: { kind: 'delete-range', revision: 2, deleted: 1 }, callMs: 4, returnMs: 5 },
    get('bob', 'london', 2, [], 6, 7),
  ];
  assert.equal(verdictOf(history), 'ok');
});

test('a history that starts from an existing store is replayed from it', () => {
  const initial = { revision: 7, kvs: [kv('boston', '3', 4, 7, 2)] };
  const history = [put('alice', 'boston', '4', 8, 0, 1), get('bob', 'boston', 8, [kv('boston', '4', 4, 8, 3)], 2, 3)];
  assert.equal(checkMvccHistory(history, { initial }).verdict, 'ok');
  assert.equal(checkMvccHistory(history).verdict, 'violation');
});

const shape = fc.record({
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
  clients: fc.integer({ min: 1, max: 6 }),
  operations: fc.integer({ min: 1, max: 40 }),
  timeoutProbability: fc.constantFrom(0, 0.1, 0.3),
});

test('histories produced by running the MVCC model pass both checkers', () => {
  fc.assert(
    fc.property(shape, ({ seed, ...options }) => {
      const history = randomLinearizableHistory(mvccModel(), new SeededRandom(seed), { ...options, lostProbability: 0.5, nextInput: nextMvccInput });
      assert.equal(verdictOf(history), 'ok');
    }),
    { numRuns: 300 },
  );
});

test('the revision checker agrees with the reference search on corrupted histories', () => {
  fc.assert(
    fc.property(shape, fc.nat(), fc.constantFrom('revision', 'value', 'succeeded'), ({ seed, ...options }, pickIndex, corruption) => {
      const history = randomLinearizableHistory(mvccModel(), new SeededRandom(seed), { ...options, lostProbability: 0.5, nextInput: nextMvccInput });
      const completed = history.map((op, i) => ({ op, i })).filter(({ op }) => !isPending(op));
      fc.pre(completed.length > 0);
      const { op, i } = completed[pickIndex % completed.length]!;
      const output = op.output!;
      if (corruption === 'revision') history[i] = { ...op, output: { ...output, revision: output.revision + (pickIndex % 2 === 0 ? 1 : -1) } };
      else if (corruption === 'succeeded' && output.kind === 'txn') history[i] = { ...op, output: { ...output, succeeded: !output.succeeded } };
      else if (output.kind === 'range' && output.kvs.length > 0) history[i] = { ...op, output: { ...output, kvs: [{ ...output.kvs[0]!, value: 'never-written' }] } };
      else fc.pre(false);
      verdictOf(history);
    }),
    { numRuns: 300 },
  );
});

test('a corrupted read in a long MVCC history is found by the revision checker', () => {
  const history = randomLinearizableHistory(mvccModel(), new SeededRandom(99), { clients: 8, operations: 5_000, timeoutProbability: 0.02, lostProbability: 0.5, nextInput: nextMvccInput });
  assert.equal(checkMvccHistory(history).verdict, 'ok');
  const index = history.findIndex((op, i) => i > 2_500 && op.output?.kind === 'range' && op.output.kvs.length > 0);
  const op = history[index]!;
  const output = op.output as Extract<MvccOutput, { kind: 'range' }>;
  history[index] = { ...op, output: { ...output, kvs: [{ ...output.kvs[0]!, value: 'never-written' }] } };
  const result = checkMvccHistory(history);
  assert.equal(result.verdict, 'violation');
  if (result.verdict === 'violation') assert.equal(result.violation.blocking, history[index]);
});
