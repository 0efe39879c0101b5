import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLinearizability, formatCheckResult, type Operation } from '../../src/check/index.js';
import { registerModel, type RegisterInput, type RegisterOutput } from '../../src/check/models/register.js';

type RegisterOperation = Operation<RegisterInput, RegisterOutput>;
const model = registerModel();

function write(clientId: string, value: string, callMs: number, returnMs?: number): RegisterOperation {
  return returnMs === undefined
    ? { clientId, input: { kind: 'write', value }, callMs }
    : { clientId, input: { kind: 'write', value }, output: { kind: 'write' }, callMs, returnMs };
}
function read(clientId: string, value: string | null, callMs: number, returnMs: number): RegisterOperation {
  return { clientId, input: { kind: 'read' }, output: { kind: 'read', value }, callMs, returnMs };
}

test('alice reads what bob wrote once his write has returned', () => {
  const history = [write('bob', '10', 0, 5), read('alice', '10', 6, 8)];
  assert.equal(checkLinearizability(model, history).verdict, 'ok');
});

test('a stale read after a completed write is a violation', () => {
  const history = [write('bob', '10', 0, 5), write('bob', '20', 6, 9), read('alice', '10', 10, 12)];
  const result = checkLinearizability(model, history);
  assert.equal(result.verdict, 'violation', formatCheckResult(result));
  if (result.verdict !== 'violation') return;
  // Both writes linearize; the read of the overwritten 10 cannot follow them.
  assert.deepEqual(result.violation.linearizedPrefix, [history[0], history[1]]);
  assert.equal(result.violation.stateAfterPrefix, '"20"');
  assert.deepEqual(result.violation.unplaced, [history[2]]);
  assert.equal(result.violation.blocking, history[2]);
  assert.match(result.violation.text, /alice: read\(\) -> "10"/);
  assert.match(result.violation.text, /model would return "20"/);
});

test('a read of a value nobody wrote is a violation', () => {
  const history = [write('bob', '10', 0, 5), read('alice', '99', 2, 8)];
  const result = checkLinearizability(model, history);
  assert.equal(result.verdict, 'violation');
});

test('a read before any write sees the initial value, and not a value written later', () => {
  assert.equal(checkLinearizability(model, [read('alice', null, 0, 1), write('bob', '1', 2, 3)]).verdict, 'ok');
  assert.equal(checkLinearizability(model, [read('alice', '1', 0, 1), write('bob', '1', 2, 3)]).verdict, 'violation');
});

test('concurrent writes may take effect in either order', () => {
  const writes = [write('alice', '1', 0, 10), write('bob', '2', 1, 9)];
  assert.equal(checkLinearizability(model, [...writes, read('alice', '1', 11, 12)]).verdict, 'ok');
  assert.equal(checkLinearizability(model, [...writes, read('alice', '2', 11, 12)]).verdict, 'ok');
});

test('once concurrent writes are done, readers cannot see the order flip', () => {
  const history = [write('alice', '1', 0, 10), write('bob', '2', 1, 9), read('alice', '2', 11, 12), read('bob', '1', 13, 14)];
  assert.equal(checkLinearizability(model, history).verdict, 'violation');
});

test('a read concurrent with a write may see the old or the new value', () => {
  const base = write('alice', '1', 0, 1);
  assert.equal(checkLinearizability(model, [base, write('bob', '2', 2, 10), read('alice', '1', 3, 4)]).verdict, 'ok');
  assert.equal(checkLinearizability(model, [base, write('bob', '2', 2, 10), read('alice', '2', 3, 4)]).verdict, 'ok');
});

test('a failed write that took effect is fine', () => {
  const history = [write('alice', '1', 0, 1), write('bob', '2', 2), read('alice', '2', 20, 21)];
  assert.equal(checkLinearizability(model, history).verdict, 'ok');
});

test('a failed write that never took effect is fine', () => {
  const history = [write('alice', '1', 0, 1), write('bob', '2', 2), read('alice', '1', 20, 21)];
  assert.equal(checkLinearizability(model, history).verdict, 'ok');
});

test('a failed write may take effect long after its client gave up', () => {
  const history = [write('bob', '2', 0), read('alice', null, 10, 11), read('alice', '2', 50, 51)];
  assert.equal(checkLinearizability(model, history).verdict, 'ok');
});

test('reading a failed write and then the older value is a violation', () => {
  const history = [write('alice', '1', 0, 1), write('bob', '2', 2), read('alice', '2', 20, 21), read('alice', '1', 22, 23)];
  const result = checkLinearizability(model, history);
  assert.equal(result.verdict, 'violation');
  if (result.verdict === 'violation') assert.equal(result.violation.blocking, history[3]);
});

test('operations that touch at one instant count as concurrent', () => {
  const history = [write('alice', '1', 0, 5), read('bob', null, 5, 6)];
  assert.equal(checkLinearizability(model, history).verdict, 'ok');
});

test('a search that needs more steps than allowed says unknown, not ok', () => {
  const history = [write('bob', '10', 0, 5), write('bob', '20', 6, 9), read('alice', '10', 10, 12)];
  const result = checkLinearizability(model, history, { maxSteps: 2 });
  assert.equal(result.verdict, 'unknown');
  if (result.verdict === 'unknown') assert.deepEqual(result.uncheckedParts, ['']);
});

test('a history that returns before it was called is refused with the reason', () => {
  assert.throws(() => checkLinearizability(model, [write('bob', '1', 5, 4)]), /returned at 4 before its call at 5/);
});
