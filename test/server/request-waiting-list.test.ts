import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logIndex, term } from '../../src/ids.js';
import { RequestWaitingList } from '../../src/server/request-waiting-list.js';
import type { Outcome } from '../../src/server/client-errors.js';

function recorder<T>() {
  const outcomes: Outcome<T>[] = [];
  return { outcomes, done: (outcome: Outcome<T>) => outcomes.push(outcome) };
}

test('alice\'s proposal is answered when its entry applies with the term it was placed in', () => {
  const list = new RequestWaitingList<string>({ maxPendingRequests: 4 });
  const alice = recorder<string>();
  list.waitForApply({ index: logIndex(7), term: term(2) }, 0, 1_000, alice.done);
  list.applied(logIndex(6), term(2), 'someone else');
  assert.equal(alice.outcomes.length, 0);
  list.applied(logIndex(7), term(2), 'boston=10');
  assert.deepEqual(alice.outcomes, [{ ok: true, value: 'boston=10' }]);
  assert.equal(list.size, 0);
});

test('a proposal whose index was overwritten by a newer leader fails as certainly not applied', () => {
  const list = new RequestWaitingList<string>({ maxPendingRequests: 4 });
  const alice = recorder<string>();
  list.waitForApply({ index: logIndex(7), term: term(2) }, 0, 1_000, alice.done);
  list.applied(logIndex(7), term(3), 'bob\'s write');
  const outcome = alice.outcomes[0]!;
  assert.equal(outcome.ok, false);
  assert.equal(!outcome.ok && outcome.error.code, 'leader-changed');
  assert.equal(!outcome.ok && outcome.error.certainlyNotApplied, true);
});

test('losing leadership fails proposals as unknown, and reads only while their index is unconfirmed', () => {
  const list = new RequestWaitingList<string>({ maxPendingRequests: 8 });
  const alice = recorder<string>();
  const served: string[] = [];
  const failed: string[] = [];
  list.waitForApply({ index: logIndex(9), term: term(4) }, 0, 1_000, alice.done);
  list.waitForRead('bob-1', 0, 1_000, () => served.push('bob-1'), (error) => failed.push(`bob-1: ${error.message}`));
  list.waitForRead('bob-2', 0, 1_000, () => served.push('bob-2'), (error) => failed.push(`bob-2: ${error.message}`));
  list.readIndexKnown('bob-2', logIndex(8), logIndex(5));
  list.leadershipLost();
  const outcome = alice.outcomes[0]!;
  assert.equal(!outcome.ok && outcome.error.code, 'leader-changed');
  assert.equal(!outcome.ok && outcome.error.certainlyNotApplied, false);
  assert.equal(failed.length, 1);
  assert.match(failed[0]!, /^bob-1: leader changed/);
  list.appliedUpTo(logIndex(8));
  assert.deepEqual(served, ['bob-2'], 'a confirmed read index stays a valid linearization point');
  assert.equal(list.size, 0);
});

test('a read waits for the state machine to reach its read index', () => {
  const list = new RequestWaitingList<string>({ maxPendingRequests: 4 });
  const served: string[] = [];
  list.waitForRead('alice-1', 0, 1_000, () => served.push('alice-1'), () => assert.fail('must not fail'));
  list.appliedUpTo(logIndex(12));
  assert.deepEqual(served, [], 'no read index yet');
  list.readIndexKnown('alice-1', logIndex(14), logIndex(12));
  list.appliedUpTo(logIndex(13));
  assert.deepEqual(served, []);
  list.appliedUpTo(logIndex(14));
  assert.deepEqual(served, ['alice-1']);
});

test('deadlines fail exactly the requests that passed them', () => {
  const list = new RequestWaitingList<string>({ maxPendingRequests: 4 });
  const alice = recorder<string>();
  const bob = recorder<string>();
  const readFailures: string[] = [];
  list.waitForApply({ index: logIndex(3), term: term(1) }, 0, 500, alice.done);
  list.waitForApply({ index: logIndex(4), term: term(1) }, 100, 2_000, bob.done);
  list.waitForRead('carol-1', 0, 500, () => assert.fail('must not serve'), (error) => readFailures.push(error.code));
  list.expire(499);
  assert.equal(alice.outcomes.length + bob.outcomes.length + readFailures.length, 0);
  list.expire(500);
  assert.equal(alice.outcomes.length, 1);
  const outcome = alice.outcomes[0]!;
  assert.equal(!outcome.ok && outcome.error.code, 'deadline-exceeded');
  assert.equal(!outcome.ok && outcome.error.certainlyNotApplied, false);
  assert.deepEqual(readFailures, ['deadline-exceeded']);
  assert.equal(bob.outcomes.length, 0);
  assert.equal(list.size, 1);
});

test('the list is bounded and says so before it is asked to grow', () => {
  const list = new RequestWaitingList<string>({ maxPendingRequests: 2 });
  list.waitForApply({ index: logIndex(1), term: term(1) }, 0, 100, () => {});
  assert.equal(list.isFull, false);
  list.waitForRead('r', 0, 100, () => {}, () => {});
  assert.equal(list.isFull, true);
  assert.throws(() => list.waitForApply({ index: logIndex(2), term: term(1) }, 0, 100, () => {}), /waiting list is full/);
});

test('a snapshot that jumps past waiting proposals fails them as unknown', () => {
  const list = new RequestWaitingList<string>({ maxPendingRequests: 4 });
  const alice = recorder<string>();
  const bob = recorder<string>();
  list.waitForApply({ index: logIndex(5), term: term(2) }, 0, 1_000, alice.done);
  list.waitForApply({ index: logIndex(9), term: term(2) }, 0, 1_000, bob.done);
  list.restoredTo(logIndex(7));
  const outcome = alice.outcomes[0]!;
  assert.equal(!outcome.ok && outcome.error.certainlyNotApplied, false);
  assert.equal(bob.outcomes.length, 0);
});
