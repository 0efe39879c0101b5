import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RaftNetwork, jupiter, neptune, saturn, placed } from './raft-network.js';

const cast = [jupiter, saturn, neptune];

test('the initial members write the same bootstrap config and elect one leader', () => {
  const world = new RaftNetwork({ nodes: cast });
  for (const id of cast) {
    const status = world.node(id).status();
    assert.deepEqual([...status.config.voters].sort(), [...cast].sort());
    assert.equal(status.commitIndex, 3, 'three bootstrap config entries, committed');
  }
  const leader = world.elect(saturn);
  assert.equal(leader.status().term, 2);
  assert.deepEqual(world.leaders(), [saturn]);
  for (const id of [jupiter, neptune]) {
    assert.equal(world.node(id).status().role, 'follower');
    assert.equal(world.node(id).status().leader, saturn);
    assert.equal(world.node(id).status().vote, saturn, 'each follower voted for saturn in term 2');
  }
  // The new leader's no-op commits and every node applies it.
  for (const id of cast) assert.equal(world.node(id).status().commitIndex, 4);
});

test('election timeouts are randomised in [electionTicks, 2 * electionTicks)', () => {
  const seen = new Set<number>();
  for (let seed = 1; seed <= 40; seed++) {
    const world = new RaftNetwork({ nodes: cast, seed });
    let ticks = 0;
    while (world.node(jupiter).status().role === 'follower') {
      world.node(jupiter).core.tick();
      ticks++;
    }
    assert.ok(ticks >= 10 && ticks < 20, `timed out after ${ticks} ticks`);
    seen.add(ticks);
  }
  assert.ok(seen.size > 1, 'different seeds give different timeouts');
});

test('a candidate with a shorter log does not win: voters check the log is up to date', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  world.isolate(neptune);
  placed(world.propose(jupiter, 'boston=10'));
  world.stabilize();
  world.heal();
  world.crash(jupiter);
  // neptune missed boston=10: saturn refuses it, and it cannot win.
  world.node(neptune).core.tick();
  for (let i = 0; i < 40 && world.node(neptune).status().role !== 'leader'; i++) {
    world.tick(neptune);
    world.stabilize();
  }
  assert.notEqual(world.node(neptune).status().role, 'leader');
  world.elect(saturn);
  assert.deepEqual(world.node(saturn).values(), ['boston=10']);
});

test('pre-vote: a partitioned node rejoining does not disrupt the healthy leader', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  const leaderTerm = world.node(jupiter).status().term;
  world.isolate(neptune);
  // Alone, neptune times out again and again, but only pre-votes: its term never moves.
  for (let i = 0; i < 100; i++) {
    world.tick(neptune);
    world.heartbeat();
  }
  assert.equal(world.node(neptune).status().term, leaderTerm);
  assert.equal(world.node(neptune).status().role, 'pre-candidate');
  world.heal();
  world.tick(neptune, 30);
  world.stabilize();
  world.heartbeat(2);
  assert.equal(world.node(jupiter).status().role, 'leader');
  assert.equal(world.node(jupiter).status().term, leaderTerm);
  assert.equal(world.node(neptune).status().role, 'follower');
  assert.equal(world.node(neptune).status().leader, jupiter);
});

test('without pre-vote the same rejoining node forces a new election', () => {
  const world = new RaftNetwork({ nodes: cast, raft: { preVote: false, checkQuorum: false } });
  world.elect(jupiter);
  const leaderTerm = world.node(jupiter).status().term;
  world.isolate(neptune);
  world.tick(neptune, 100);
  assert.ok(world.node(neptune).status().term > leaderTerm + 1);
  world.heal();
  world.tick(neptune, 30);
  world.stabilize();
  assert.ok(world.node(jupiter).status().term > leaderTerm, 'neptune\'s higher term deposed jupiter');
});

test('leader stickiness: followers that hear from a leader refuse a challenger\'s votes', () => {
  const world = new RaftNetwork({ nodes: cast, raft: { preVote: false } });
  world.elect(jupiter);
  const leaderTerm = world.node(jupiter).status().term;
  // neptune misses heartbeats (its link from jupiter drops them) and campaigns at a higher term.
  world.drop((m) => m.from === jupiter && m.to === neptune);
  world.campaign(neptune);
  assert.equal(world.node(neptune).status().role, 'candidate');
  assert.equal(world.node(saturn).status().term, leaderTerm, 'saturn ignored the vote request: it heard from jupiter within the election timeout');
  assert.equal(world.node(jupiter).status().role, 'leader');
});

test('check-quorum: a leader that loses contact with a majority steps down at its next quorum check', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(neptune);
  world.isolate(neptune);
  // The check runs every election timeout (10 ticks) and covers the interval since the previous one.
  world.tick(neptune, 10);
  const afterFirstCheck = world.node(neptune).status().role;
  world.tick(neptune, 10);
  assert.equal(afterFirstCheck, 'leader', 'saturn and jupiter answered during the first interval');
  assert.equal(world.node(neptune).status().role, 'follower');
  assert.equal(world.node(neptune).status().leader, null);
  // The proposal alice sends it now is refused rather than stranded.
  const refusal = world.node(neptune).core.propose(new TextEncoder().encode('pune=1'));
  assert.deepEqual(refusal, { reason: 'not-leader', leader: null });
});

test('a higher term in any message makes a leader step down; lower-term messages are refused', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  world.isolate(jupiter);
  world.run(40);
  const newLeader = world.leaders().find((id) => id !== jupiter)!;
  assert.ok(newLeader !== undefined, 'saturn or neptune took over');
  assert.notEqual(world.node(jupiter).status().role, 'leader', 'jupiter stepped down by check-quorum');
  world.heal();
  // jupiter's stale heartbeat reaches a follower of the new term: it is answered with the higher term, not obeyed.
  const staleTerm = world.node(jupiter).status().term;
  const newTerm = world.node(newLeader).status().term;
  assert.ok(newTerm > staleTerm);
  world.heartbeat();
  assert.equal(world.node(jupiter).status().term, newTerm);
  assert.equal(world.node(jupiter).status().leader, newLeader);
});

test('votes go out only after the term and vote are persisted', () => {
  const world = new RaftNetwork({ nodes: cast, raft: { preVote: false } });
  world.tick(jupiter, 25);
  const voteRequest = world.inFlight.find((m) => m.to === saturn && m.message.type === 'vote');
  assert.ok(voteRequest !== undefined);
  world.inFlight = [];
  const core = world.node(saturn).core;
  core.step(jupiter, voteRequest.message);
  const ready = core.takeReady();
  assert.deepEqual(ready.messages, []);
  assert.equal(ready.hardState?.vote, jupiter);
  assert.equal(ready.messagesAfterPersist.length, 1);
  assert.equal(ready.messagesAfterPersist[0]!.message.type, 'vote-response');
  core.advance(ready);
});
