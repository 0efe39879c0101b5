// Each planted bug is a classic Raft mistake. Every story here passes with
// the correct core and breaks, visibly, with the one bug switched on: the
// proof that the checks (and the simulator swarm after them) would notice.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logIndex, term } from '../../src/ids.js';
import type { PlantedBugs } from '../../src/consensus/options.js';
import { RaftNetwork, jupiter, neptune, placed, saturn } from './raft-network.js';
import { figureEight } from './figure-eight.js';

const cast = [jupiter, saturn, neptune];

/** jupiter commits boston=10 with saturn; neptune missed it. jupiter crashes and neptune campaigns. */
function staleCandidate(bugs: PlantedBugs) {
  const world = new RaftNetwork({ nodes: cast, raft: { preVote: false, checkQuorum: false, bugs } });
  world.elect(jupiter);
  world.isolate(neptune);
  placed(world.propose(jupiter, 'boston=10'));
  world.deliverWhere((m) => m.to === saturn);
  world.deliverWhere((m) => m.to === jupiter);
  world.inFlight = [];
  world.crash(jupiter);
  world.heal();
  world.campaign(neptune);
  const neptuneWon = world.node(neptune).status().role === 'leader';
  if (!neptuneWon) world.campaign(saturn);
  world.heartbeat(3);
  return { world, neptuneWon };
}

test('voteWithoutLogCheck: a candidate missing a committed write wins and erases it', () => {
  const correct = staleCandidate({});
  assert.equal(correct.neptuneWon, false);
  assert.deepEqual(correct.world.node(neptune).values(), ['boston=10']);
  assert.deepEqual(correct.world.stateMachineSafetyViolations, []);

  const buggy = staleCandidate({ voteWithoutLogCheck: true });
  assert.equal(buggy.neptuneWon, true);
  assert.deepEqual(buggy.world.node(saturn).values(), [], 'saturn\'s copy of boston=10 was overwritten');
  assert.notDeepEqual(buggy.world.stateMachineSafetyViolations, []);
});

test('commitPreviousTermByCount: figure 8 loses an entry the leader had applied', () => {
  const correct = figureEight({});
  assert.equal(correct.jupiterAppliedLondon, false);
  assert.deepEqual(correct.violations, []);
  const buggy = figureEight({ commitPreviousTermByCount: true });
  assert.equal(buggy.jupiterAppliedLondon, true);
  assert.notDeepEqual(buggy.violations, []);
});

/** saturn's disk stalls while it holds pune=1; it crashes before the write completes. */
function ackedButNotDurable(bugs: PlantedBugs) {
  const world = new RaftNetwork({ nodes: cast, raft: { bugs } });
  world.elect(jupiter);
  world.drop((m) => m.from === jupiter && m.to === neptune);
  world.node(saturn).diskStalled = true;
  placed(world.propose(jupiter, 'pune=1'));
  world.deliverWhere((m) => m.to === saturn);
  world.crashBeforePersist(saturn);
  world.deliverWhere((m) => m.to === jupiter);
  const alice = world.node(jupiter).values().includes('pune=1');
  world.crash(jupiter);
  world.discardWhere((m) => m.from === jupiter);
  world.heal();
  world.restart(saturn);
  world.run(60);
  for (let i = 0; i < 3; i++) world.propose(world.leaders()[0]!, `pune=${i + 2}`);
  world.heartbeat(3);
  return { world, alice };
}

test('ackBeforePersist: a write acknowledged before it was durable disappears in a crash', () => {
  const correct = ackedButNotDurable({});
  assert.equal(correct.alice, false, 'no durable majority, so alice is not told');
  assert.deepEqual(correct.world.stateMachineSafetyViolations, []);
  const buggy = ackedButNotDurable({ ackBeforePersist: true });
  assert.equal(buggy.alice, true, 'jupiter applied pune=1 on saturn\'s word');
  assert.equal(buggy.world.node(saturn).values().includes('pune=1'), false);
  assert.notDeepEqual(buggy.world.stateMachineSafetyViolations, []);
});

/** jupiter votes for saturn and crashes before its vote is durable; then neptune asks for its vote in the same term. */
function forgottenVote(bugs: PlantedBugs) {
  const world = new RaftNetwork({ nodes: cast, raft: { preVote: false, checkQuorum: false, bugs } });
  world.cut(saturn, neptune);
  while (world.node(saturn).status().role === 'follower') world.tick(saturn);
  const electionTerm = world.node(saturn).status().term;
  world.node(jupiter).diskStalled = true;
  world.deliverWhere((m) => m.to === jupiter);
  world.crashBeforePersist(jupiter);
  world.deliverWhere((m) => m.to === saturn);
  world.restart(jupiter);
  world.cut(saturn, jupiter);
  while (world.node(neptune).status().term < electionTerm) world.tick(neptune);
  world.stabilize();
  return { world, electionTerm };
}

test('voteBeforePersist: a vote forgotten in a crash is cast twice, electing two leaders in one term', () => {
  const correct = forgottenVote({});
  assert.equal(correct.world.node(saturn).status().role, 'candidate', 'jupiter\'s vote never left before it was durable');
  assert.deepEqual(correct.world.leaders(), [neptune]);
  assert.deepEqual(correct.world.electionSafetyViolations, []);
  const buggy = forgottenVote({ voteBeforePersist: true });
  assert.deepEqual(buggy.world.leaders().sort(), [neptune, saturn]);
  assert.equal(buggy.world.node(saturn).status().term, buggy.electionTerm);
  assert.equal(buggy.world.node(neptune).status().term, buggy.electionTerm);
  assert.deepEqual(buggy.world.electionSafetyViolations, [`term ${buggy.electionTerm}: saturn and neptune`]);
});

/**
 * Deposed jupiter (term 2) holds boston=stale. neptune wins term 3 and
 * commits its no-op with saturn; before saturn learns that it committed,
 * jupiter's old append for boston=stale reaches saturn. Then neptune crashes.
 */
function staleAppend(bugs: PlantedBugs) {
  const world = new RaftNetwork({ nodes: cast, raft: { preVote: false, checkQuorum: false, bugs } });
  world.elect(jupiter);
  const committedBefore = world.node(saturn).status().commitIndex;
  world.isolate(jupiter);
  placed(world.propose(jupiter, 'boston=stale'));
  while (world.node(neptune).status().role === 'follower') world.tick(neptune);
  for (let i = 0; i < 10 && world.node(neptune).status().role !== 'leader'; i++) world.deliverAll();
  assert.equal(world.node(neptune).status().role, 'leader');
  world.deliverWhere((m) => m.to === saturn);
  world.deliverWhere((m) => m.to === neptune);
  const noopIndex = committedBefore + 1;
  assert.equal(world.node(neptune).status().commitIndex, noopIndex, 'neptune committed its no-op');
  assert.ok(world.node(saturn).status().commitIndex < noopIndex, 'saturn does not know yet');
  world.node(saturn).core.step(jupiter, {
    type: 'append', term: term(2), prevIndex: logIndex(committedBefore), prevTerm: term(2), commit: logIndex(committedBefore),
    entries: [{ index: logIndex(noopIndex), term: term(2), kind: 'normal', data: new TextEncoder().encode('boston=stale') }],
  });
  world.process(saturn);
  world.crash(neptune);
  world.inFlight = [];
  world.heal();
  world.run(60);
  world.heartbeat(3);
  return world;
}

test('acceptStaleTermAppend: a deposed leader\'s append overwrites an entry the new leader committed', () => {
  const correct = staleAppend({});
  assert.equal(correct.node(saturn).values().includes('boston=stale'), false);
  assert.deepEqual(correct.stateMachineSafetyViolations, []);
  const buggy = staleAppend({ acceptStaleTermAppend: true });
  assert.equal(buggy.node(saturn).values().includes('boston=stale'), true);
  assert.notDeepEqual(buggy.stateMachineSafetyViolations, []);
});
