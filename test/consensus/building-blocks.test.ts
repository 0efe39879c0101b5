import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvariantViolation } from '../../src/assert.js';
import { logIndex, nodeId, term, type NodeId } from '../../src/ids.js';
import { ConfigHistory, applyChange, checkChange, decodeConfigChange, encodeConfigChange } from '../../src/consensus/config.js';
import { InflightWindow, Progress } from '../../src/consensus/progress.js';
import { jointMajorityIndex, majorityIndex, voteOutcome } from '../../src/consensus/quorum.js';
import { RaftLog } from '../../src/consensus/raft-log.js';
import { ReadIndexBatcher } from '../../src/consensus/read-only.js';
import type { Entry } from '../../src/consensus/types.js';
import { jupiter, mercury, neptune, saturn, venus } from './raft-network.js';

const entry = (index: number, entryTerm: number): Entry => ({ index: logIndex(index), term: term(entryTerm), kind: 'normal', data: new Uint8Array(index % 7) });
const logOf = (...terms: number[]) => new RaftLog(logIndex(0), term(0), terms.map((t, i) => entry(i + 1, t)), logIndex(0));

test('majority quorum: the commit index is the highest index a majority holds', () => {
  const match = new Map<NodeId, number>([[jupiter, 9], [saturn, 7], [neptune, 3], [mercury, 7], [venus, 1]]);
  const scratch: number[] = [];
  assert.equal(majorityIndex([jupiter, saturn, neptune], (v) => match.get(v)!, scratch), 7);
  assert.equal(majorityIndex([jupiter, saturn, neptune, mercury, venus], (v) => match.get(v)!, scratch), 7);
  assert.equal(majorityIndex([jupiter, neptune, venus], (v) => match.get(v)!, scratch), 3);
  // Joint consensus: both the old and the new voter sets must agree.
  assert.equal(jointMajorityIndex([jupiter, saturn, mercury], [neptune, venus, jupiter], (v) => match.get(v)!, scratch), 3);
});

test('majority quorum: a vote is won, lost, or still open', () => {
  const voters = [jupiter, saturn, neptune];
  assert.equal(voteOutcome(voters, (v) => (v === jupiter || v === saturn ? true : undefined)), 'won');
  assert.equal(voteOutcome(voters, (v) => (v === jupiter ? true : undefined)), 'pending');
  assert.equal(voteOutcome(voters, (v) => (v === jupiter ? true : false)), 'lost');
});

test('the log: O(1) term lookup, conflict truncation, and fast back-off hints', () => {
  const log = logOf(1, 1, 2, 2, 2, 3);
  assert.equal(log.termAt(4), 2);
  assert.equal(log.termAt(7), -1);
  assert.equal(log.isUpToDate(6, 3), true);
  assert.equal(log.isUpToDate(9, 2), false, 'a higher last term beats a longer log');
  // A leader whose log has term 4 from index 4 on: the follower's entries 4..6 conflict.
  const incoming = [entry(4, 4), entry(5, 4)];
  assert.equal(log.firstNewPosition(incoming), 0);
  assert.equal(log.truncateAndAppend(incoming), 4);
  assert.deepEqual([1, 2, 3, 4, 5].map((i) => log.termAt(i)), [1, 1, 2, 4, 4]);
  // The follower's hint for a rejected (prevIndex 9, prevTerm 3): its last entry with term <= 3 is index 3.
  assert.deepEqual(log.findConflictByTerm(9, 3), { index: 3, term: 2 });
});

test('the log refuses to truncate committed entries or to commit or apply out of order', () => {
  const log = logOf(1, 1, 2);
  log.commitTo(logIndex(2));
  assert.throws(() => log.truncateAndAppend([entry(2, 3)]), InvariantViolation);
  assert.equal(log.commitTo(logIndex(1)), false, 'the commit index never moves back');
  assert.equal(log.commitIndex(), 2);
  assert.throws(() => log.commitTo(logIndex(9)), InvariantViolation);
  assert.throws(() => log.appliedTo(logIndex(3)), InvariantViolation);
});

test('the log: compaction keeps the snapshot term and counts only durable entries as stable', () => {
  const log = logOf(1, 1, 2, 2);
  assert.equal(log.stableLastIndex(), 4);
  log.appendOwn(entry(5, 2));
  assert.equal(log.stableLastIndex(), 4, 'a new entry is not durable yet');
  assert.deepEqual(log.takeUnstable().map((e) => e.index), [5]);
  log.stableTo(logIndex(5), term(2));
  assert.equal(log.stableLastIndex(), 5);
  log.commitTo(logIndex(4));
  log.appliedTo(logIndex(3));
  log.compactTo(logIndex(3));
  assert.equal(log.firstIndex(), 4);
  assert.equal(log.termAt(3), 2, 'the term of the last released entry stays for the consistency check');
  assert.equal(log.termAt(2), -1);
});

test('the in-flight window is a bounded ring: full at capacity, freed by acknowledgements', () => {
  const window = new InflightWindow(3);
  window.add(10);
  window.add(20);
  window.add(30);
  assert.equal(window.isFull(), true);
  assert.throws(() => window.add(40), InvariantViolation);
  window.freeUpTo(20);
  assert.equal(window.size(), 1);
  window.add(40);
  window.add(50);
  assert.equal(window.isFull(), true);
});

test('progress: probe sends one append at a time, replicate streams within the window', () => {
  const progress = new Progress(logIndex(11), 2);
  assert.equal(progress.isPaused(), false);
  progress.sentEntries(logIndex(12), 2);
  assert.equal(progress.isPaused(), true, 'probing: wait for the answer');
  assert.equal(progress.rejected(logIndex(10), 6), true);
  assert.equal(progress.next, 6);
  assert.equal(progress.acknowledged(logIndex(8)), true);
  progress.becomeReplicate();
  progress.sentEntries(logIndex(10), 2);
  progress.sentEntries(logIndex(12), 2);
  assert.equal(progress.isPaused(), true, 'two appends fill the window');
  assert.equal(progress.rejected(logIndex(7), 1), false, 'a rejection below the match is stale');
  progress.acknowledged(logIndex(10));
  assert.equal(progress.isPaused(), false);
});

test('config changes: one server at a time, encoded compactly, undone by truncation', () => {
  const base = { voters: [jupiter, saturn, neptune], outgoingVoters: [], learners: [] };
  assert.equal(checkChange(base, { type: 'promote-learner', node: mercury }), `${mercury} is not a learner`);
  assert.equal(checkChange({ ...base, voters: [jupiter] }, { type: 'remove', node: jupiter }), `${jupiter} is the last voter`);
  const withLearner = applyChange(base, { type: 'add-learner', node: mercury });
  assert.deepEqual(applyChange(withLearner, { type: 'promote-learner', node: mercury }).voters, [jupiter, saturn, neptune, mercury]);
  assert.deepEqual(decodeConfigChange(encodeConfigChange({ type: 'remove', node: nodeId('pune-1') })), { type: 'remove', node: 'pune-1' });
  assert.throws(() => decodeConfigChange(new Uint8Array([9, 65])), /malformed config change/);
  const history = new ConfigHistory(logIndex(0), base);
  history.appended(logIndex(5), { type: 'add-learner', node: mercury });
  history.appended(logIndex(8), { type: 'promote-learner', node: mercury });
  assert.deepEqual(history.at(logIndex(6)).learners, [mercury]);
  history.truncatedFrom(logIndex(7));
  assert.deepEqual(history.current().learners, [mercury]);
  history.compactTo(logIndex(6));
  assert.deepEqual(history.current().learners, [mercury]);
  assert.equal(history.lastChangeIndex(), 0);
});

test('ReadIndex batching: reads that arrive during a round share the next one, within a bound', () => {
  const reads = new ReadIndexBatcher(3);
  assert.equal(reads.add({ requestId: 'alice-1', from: jupiter, index: logIndex(5) }), 1, 'the first read starts round 1');
  assert.equal(reads.add({ requestId: 'bob-1', from: saturn, index: logIndex(6) }), 0, 'waits for round 1 to finish');
  reads.add({ requestId: 'bob-2', from: saturn, index: logIndex(6) });
  assert.equal(reads.isFull(), true);
  assert.equal(reads.acknowledge(saturn, 0), false, 'an answer to an older heartbeat proves nothing');
  assert.equal(reads.acknowledge(saturn, 1), true);
  const first = reads.completeRound();
  assert.deepEqual(first.ready.map((r) => r.requestId), ['alice-1']);
  assert.equal(first.nextContext, 2);
  assert.equal(reads.hasAcknowledged(saturn), false, 'round 2 needs fresh answers');
});
