import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RaftNetwork, jupiter, neptune, placed, saturn } from './raft-network.js';

const cast = [jupiter, saturn, neptune];
const readRounds = (world: RaftNetwork) =>
  new Set(world.delivered.filter((m) => m.message.type === 'heartbeat' && m.message.context > 0)
    .map((m) => (m.message.type === 'heartbeat' ? m.message.context : 0))).size;

test('the leader serves alice\'s read at its commit index after a quorum confirms its leadership', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  const write = placed(world.propose(jupiter, 'boston=10'));
  world.stabilize();
  world.delivered = [];
  assert.equal(world.node(jupiter).core.readIndex('alice-1'), null);
  world.process(jupiter);
  assert.deepEqual(world.node(jupiter).readStates, [], 'not before the heartbeat round');
  world.stabilize();
  assert.deepEqual(world.node(jupiter).readStates, [{ requestId: 'alice-1', index: write.index }]);
  assert.equal(readRounds(world), 1);
});

test('concurrent reads share heartbeat rounds', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  world.delivered = [];
  const core = world.node(jupiter).core;
  core.readIndex('alice-1');
  world.process(jupiter);
  // While the first round is in flight, four more reads arrive: they wait and share the next round.
  for (const id of ['alice-2', 'bob-1', 'bob-2', 'bob-3']) core.readIndex(id);
  world.process(jupiter);
  world.stabilize();
  assert.deepEqual(world.node(jupiter).readStates.map((r) => r.requestId), ['alice-1', 'alice-2', 'bob-1', 'bob-2', 'bob-3']);
  assert.equal(readRounds(world), 2);
});

test('a follower serves bob\'s read by asking the leader for the read index', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  const write = placed(world.propose(jupiter, 'london=3'));
  world.stabilize();
  assert.equal(world.node(saturn).core.readIndex('bob-1'), null);
  world.process(saturn);
  world.stabilize();
  assert.deepEqual(world.node(saturn).readStates, [{ requestId: 'bob-1', index: write.index }]);
  assert.ok(world.node(saturn).status().appliedIndex >= write.index, 'saturn can serve it from its own state');
});

test('a follower that knows no leader refuses a read', () => {
  const world = new RaftNetwork({ nodes: cast });
  assert.deepEqual(world.node(saturn).core.readIndex('bob-1'), { reason: 'not-leader', leader: null });
});

test('a deposed leader cannot serve a read: no quorum confirms it', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  world.isolate(jupiter);
  for (let i = 0; i < 40 && world.leaders().length < 2; i++) {
    for (const id of [saturn, neptune]) world.tick(id);
    world.stabilize();
  }
  const newLeader = world.leaders().find((id) => id !== jupiter)!;
  placed(world.propose(newLeader, 'boston=20'));
  world.stabilize();
  assert.equal(world.node(jupiter).status().role, 'leader', 'jupiter has not noticed yet');
  assert.equal(world.node(jupiter).core.readIndex('alice-stale'), null);
  world.process(jupiter);
  world.stabilize();
  world.heal();
  world.heartbeat(3);
  assert.deepEqual(world.node(jupiter).readStates, [], 'the stale read never got a read index');
  assert.equal(world.node(jupiter).status().role, 'follower');
});

test('a new leader holds reads until it has committed an entry of its own term', () => {
  const world = new RaftNetwork({ nodes: cast });
  while (world.node(saturn).status().role === 'follower') world.tick(saturn);
  for (let i = 0; i < 10 && world.node(saturn).status().role !== 'leader'; i++) world.deliverAll();
  assert.equal(world.node(saturn).status().role, 'leader');
  world.node(saturn).core.readIndex('alice-1');
  world.process(saturn);
  assert.deepEqual(world.node(saturn).readStates, []);
  world.stabilize();
  const noop = world.node(saturn).status().commitIndex;
  assert.deepEqual(world.node(saturn).readStates, [{ requestId: 'alice-1', index: noop }]);
});

test('a single-node cluster answers reads at once', () => {
  const world = new RaftNetwork({ nodes: [jupiter] });
  world.elect(jupiter);
  world.node(jupiter).core.readIndex('alice-1');
  world.process(jupiter);
  assert.deepEqual(world.node(jupiter).readStates, [{ requestId: 'alice-1', index: world.node(jupiter).status().commitIndex }]);
});
