import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RaftNetwork, jupiter, neptune, placed, saturn } from './raft-network.js';

const cast = [jupiter, saturn, neptune];

test('leadership moves to a caught-up follower, which campaigns at once despite the others\' lease', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  const term = world.node(jupiter).status().term;
  assert.equal(world.node(jupiter).core.transferLeadership(neptune), null);
  world.process(jupiter);
  world.stabilize();
  assert.deepEqual(world.leaders(), [neptune]);
  assert.equal(world.node(neptune).status().term, term + 1);
  const elections = world.delivered.filter((m) => m.message.type === 'vote' && m.from === neptune);
  assert.ok(elections.every((m) => m.message.type === 'vote' && !m.message.preVote && m.message.transfer), 'no pre-vote round');
  assert.equal(world.node(jupiter).status().leader, neptune);
});

test('a lagging target is caught up first, and proposals are refused during the transfer', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  world.isolate(neptune);
  for (let i = 0; i < 5; i++) placed(world.propose(jupiter, `boston=${i}`));
  world.stabilize();
  world.heal();
  assert.equal(world.node(jupiter).core.transferLeadership(neptune), null);
  world.process(jupiter);
  assert.deepEqual(world.propose(jupiter, 'boston=late'), { reason: 'transfer-in-progress' });
  world.stabilize();
  assert.deepEqual(world.leaders(), [neptune]);
  assert.deepEqual(world.node(neptune).values(), ['boston=0', 'boston=1', 'boston=2', 'boston=3', 'boston=4']);
});

test('a transfer to an unreachable node is abandoned after an election timeout', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  world.isolate(neptune);
  placed(world.propose(jupiter, 'pune=1'));
  world.stabilize();
  assert.equal(world.node(jupiter).core.transferLeadership(neptune), null);
  assert.deepEqual(world.propose(jupiter, 'pune=2'), { reason: 'transfer-in-progress' });
  world.heartbeat(10);
  assert.equal(world.node(jupiter).status().role, 'leader');
  placed(world.propose(jupiter, 'pune=2'));
});

test('only the leader transfers, and only to a voter', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  assert.deepEqual(world.node(saturn).core.transferLeadership(neptune), { reason: 'not-leader', leader: jupiter });
  const refusal = world.node(jupiter).core.transferLeadership(jupiter);
  assert.equal(refusal?.reason, 'invalid');
});
