import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigChange } from '../../src/consensus/types.js';
import { RaftNetwork, isPlacement, jupiter, mercury, neptune, placed, saturn, venus } from './raft-network.js';

const cast = [jupiter, saturn, neptune];

function change(world: RaftNetwork, leader: typeof jupiter, request: ConfigChange) {
  const result = world.node(leader).core.proposeConfigChange(request);
  world.process(leader);
  return result;
}

const sorted = (list: readonly string[]) => [...list].sort();

test('a learner receives the log but never votes or campaigns, and is promoted once caught up', () => {
  const world = new RaftNetwork({ nodes: cast, spares: [mercury] });
  world.elect(jupiter);
  for (let i = 0; i < 5; i++) placed(world.propose(jupiter, `boston=${i}`));
  world.stabilize();
  placed(change(world, jupiter, { type: 'add-learner', node: mercury }));
  world.heartbeat(3);
  const learnerStatus = world.node(mercury).status();
  assert.deepEqual(learnerStatus.config.learners, [mercury]);
  assert.deepEqual(world.node(mercury).values(), world.node(jupiter).values());
  // Commit does not wait for the learner: with mercury cut off, jupiter and saturn still commit.
  world.isolate(mercury);
  placed(world.propose(jupiter, 'pune=1'));
  world.stabilize();
  assert.equal(world.node(saturn).values().at(-1), 'pune=1');
  // Left alone, the learner never campaigns.
  world.tick(mercury, 100);
  assert.equal(world.node(mercury).status().role, 'follower');
  world.heal();
  world.heartbeat(2);
  placed(change(world, jupiter, { type: 'promote-learner', node: mercury }));
  world.heartbeat(2);
  for (const id of [...cast, mercury]) {
    assert.deepEqual(sorted(world.node(id).status().config.voters), sorted([...cast, mercury]));
    assert.deepEqual(world.node(id).status().config.learners, []);
  }
});

test('promoting a learner that lags too far is refused: learner not ready', () => {
  const world = new RaftNetwork({ nodes: cast, spares: [mercury], raft: { maxLearnerLagEntries: 5 } });
  world.elect(jupiter);
  placed(change(world, jupiter, { type: 'add-learner', node: mercury }));
  world.stabilize();
  world.isolate(mercury);
  for (let i = 0; i < 10; i++) world.propose(jupiter, `london=${i}`);
  world.stabilize();
  const refused = change(world, jupiter, { type: 'promote-learner', node: mercury });
  assert.ok(!isPlacement(refused) && refused.reason === 'invalid' && /learner not ready/.test(refused.detail), JSON.stringify(refused));
  world.heal();
  world.heartbeat(2);
  assert.ok(isPlacement(change(world, jupiter, { type: 'promote-learner', node: mercury })));
});

test('only one membership change may be pending at a time', () => {
  const world = new RaftNetwork({ nodes: cast, spares: [mercury, venus] });
  world.elect(jupiter);
  world.isolate(saturn);
  world.isolate(neptune);
  placed(change(world, jupiter, { type: 'add-learner', node: mercury }));
  assert.deepEqual(change(world, jupiter, { type: 'add-learner', node: venus }), { reason: 'config-change-in-progress' });
  world.heal();
  world.heartbeat(2);
  assert.ok(isPlacement(change(world, jupiter, { type: 'add-learner', node: venus })));
});

test('a new leader accepts a membership change only after committing its no-op', () => {
  const world = new RaftNetwork({ nodes: cast, spares: [mercury] });
  while (world.node(saturn).status().role === 'follower') world.tick(saturn);
  for (let i = 0; i < 10 && world.node(saturn).status().role !== 'leader'; i++) world.deliverAll();
  assert.equal(world.node(saturn).status().role, 'leader');
  assert.deepEqual(change(world, saturn, { type: 'add-learner', node: mercury }), { reason: 'config-change-in-progress' });
  world.stabilize();
  assert.ok(isPlacement(change(world, saturn, { type: 'add-learner', node: mercury })));
});

test('a voter added directly catches up and counts toward the quorum', () => {
  const world = new RaftNetwork({ nodes: cast, spares: [venus] });
  world.elect(jupiter);
  placed(world.propose(jupiter, 'boston=1'));
  placed(change(world, jupiter, { type: 'add-voter', node: venus }));
  world.heartbeat(3);
  assert.deepEqual(world.node(venus).values(), ['boston=1']);
  // Four voters: a majority is three, so jupiter and saturn alone no longer commit.
  world.isolate(neptune);
  world.isolate(venus);
  const write = placed(world.propose(jupiter, 'boston=2'));
  world.stabilize();
  assert.ok(world.node(jupiter).status().commitIndex < write.index);
  world.heal();
  world.heartbeat(2);
  assert.equal(world.node(venus).values().at(-1), 'boston=2');
});

test('a removed follower stops receiving the log and the rest commit without it', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  placed(change(world, jupiter, { type: 'remove', node: neptune }));
  world.heartbeat(2);
  assert.deepEqual(sorted(world.node(jupiter).status().config.voters), [jupiter, saturn]);
  world.delivered = [];
  placed(world.propose(jupiter, 'pune=9'));
  world.heartbeat(2);
  assert.equal(world.delivered.some((m) => m.to === neptune), false);
  assert.equal(world.node(saturn).values().at(-1), 'pune=9');
  // The removed node does not campaign: it is no voter in its own config.
  world.tick(neptune, 100);
  assert.equal(world.node(neptune).status().role, 'follower');
});

test('removing the leader: it does not count itself, steps down once the change commits, and the rest elect a new leader', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  world.drop((m) => m.from === neptune && m.to === jupiter);
  const removal = placed(change(world, jupiter, { type: 'remove', node: jupiter }));
  world.stabilize();
  assert.equal(world.node(saturn).status().lastIndex, removal.index);
  assert.ok(world.node(jupiter).status().commitIndex < removal.index, 'jupiter and saturn hold it, but jupiter no longer counts');
  assert.equal(world.node(jupiter).status().role, 'leader');
  world.heal();
  world.heartbeat();
  assert.ok(world.node(jupiter).status().commitIndex >= removal.index);
  assert.equal(world.node(jupiter).status().role, 'follower');
  world.run(40);
  const leaders = world.leaders();
  assert.equal(leaders.length, 1);
  assert.notEqual(leaders[0], jupiter);
  for (const id of [saturn, neptune]) assert.deepEqual(sorted(world.node(id).status().config.voters), [neptune, saturn]);
  placed(world.propose(leaders[0]!, 'philadelphia=1'));
  world.stabilize();
  assert.equal(world.node(neptune).values().at(-1), 'philadelphia=1');
});

test('the config is recovered on restart from the snapshot and the config entries after it', () => {
  const world = new RaftNetwork({ nodes: cast, spares: [mercury, venus] });
  world.elect(jupiter);
  placed(change(world, jupiter, { type: 'add-learner', node: mercury }));
  world.stabilize();
  world.node(saturn).takeSnapshot();
  placed(change(world, jupiter, { type: 'add-learner', node: venus }));
  world.stabilize();
  world.crash(saturn);
  world.restart(saturn);
  const config = world.node(saturn).status().config;
  assert.deepEqual(sorted(config.voters), sorted(cast));
  assert.deepEqual(sorted(config.learners), [mercury, venus]);
});

test('an uncommitted config entry that is truncated no longer applies', () => {
  const world = new RaftNetwork({ nodes: cast, spares: [mercury] });
  world.elect(jupiter);
  world.isolate(jupiter);
  placed(change(world, jupiter, { type: 'add-learner', node: mercury }));
  assert.deepEqual(world.node(jupiter).status().config.learners, [mercury], 'in force once appended');
  world.run(40);
  world.heal();
  world.heartbeat(3);
  assert.deepEqual(world.node(jupiter).status().config.learners, [], 'the new leader\'s log replaced it');
});
