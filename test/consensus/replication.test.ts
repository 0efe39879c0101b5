import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logIndex, term } from '../../src/ids.js';
import { RaftNetwork, jupiter, neptune, placed, saturn, type InFlight } from './raft-network.js';
import { figureEight } from './figure-eight.js';

const cast = [jupiter, saturn, neptune];
const encode = (value: string) => new TextEncoder().encode(value);
const appendsTo = (to: string) => (m: InFlight) => m.to === to && m.message.type === 'append';

test('alice\'s write commits once a majority holds it, and followers apply only up to the commit index', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  const placement = placed(world.propose(jupiter, 'boston=10'));
  // The append reaches both followers, which persist it and acknowledge.
  world.deliverWhere(appendsTo(saturn));
  world.deliverWhere(appendsTo(neptune));
  assert.equal(world.node(saturn).status().lastIndex, placement.index);
  assert.deepEqual(world.node(saturn).values(), [], 'saturn holds boston=10 but does not know it is committed');
  // saturn's acknowledgement gives jupiter its majority: jupiter commits and applies.
  world.deliverWhere((m) => m.from === saturn && m.to === jupiter);
  assert.equal(world.node(jupiter).status().commitIndex, placement.index);
  assert.deepEqual(world.node(jupiter).values(), ['boston=10']);
  // The high-water mark then reaches the followers, which apply up to it.
  world.stabilize();
  for (const id of cast) assert.deepEqual(world.node(id).values(), ['boston=10']);
});

test('followers acknowledge an append only after persisting it', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  world.propose(jupiter, 'pune=4');
  world.deliverWhere((m) => m.to === saturn);
  world.inFlight = [];
  world.delivered = [];
  const core = world.node(saturn).core;
  core.step(jupiter, { type: 'append', term: core.status().term, prevIndex: core.status().lastIndex, prevTerm: term(2), entries: [
    { index: logIndex(core.status().lastIndex + 1), term: term(2), kind: 'normal', data: encode('pune=5') },
  ], commit: core.status().commitIndex });
  const { ready, finish } = world.beginReady(saturn);
  assert.equal(ready.entries.length, 1);
  assert.deepEqual(ready.messages, []);
  assert.equal(ready.messagesAfterPersist[0]?.message.type, 'append-response');
  finish();
});

test('the leader counts itself toward the quorum only once its own entry is durable', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  world.isolate(neptune);
  const leader = world.node(jupiter).core;
  const placement = placed(leader.propose(encode('london=2')));
  // jupiter sends the append to saturn while its own fsync is still running.
  const write = world.beginReady(jupiter);
  assert.equal(write.ready.entries.length, 1);
  world.stabilize();
  assert.equal(world.node(saturn).status().lastIndex, placement.index, 'saturn persisted and acknowledged');
  assert.ok(leader.status().commitIndex < placement.index, 'one durable copy of three is not a majority');
  write.finish();
  assert.equal(leader.status().commitIndex, placement.index);
});

test('a follower refuses an append from a lower term and tells the stale leader the current term', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  world.isolate(jupiter);
  world.run(40);
  const current = world.node(saturn).status();
  assert.ok(current.term > 2);
  const before = current.lastIndex;
  world.node(saturn).core.step(jupiter, {
    type: 'append', term: term(2), prevIndex: logIndex(before), prevTerm: term(2),
    entries: [{ index: logIndex(before + 1), term: term(2), kind: 'normal', data: encode('boston=0') }], commit: logIndex(0),
  });
  world.process(saturn);
  assert.equal(world.node(saturn).status().lastIndex, before, 'the stale entry was not appended');
  const answer = world.inFlight.find((m) => m.from === saturn && m.to === jupiter);
  assert.equal(answer?.message.type, 'append-response');
  assert.equal(answer?.message.term, current.term);
});

test('a deposed leader\'s uncommitted entries are truncated and replaced by the new leader\'s log', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  placed(world.propose(jupiter, 'boston=1'));
  world.stabilize();
  world.isolate(jupiter);
  // Cut off, jupiter accepts writes it can never commit.
  placed(world.propose(jupiter, 'boston=2'));
  placed(world.propose(jupiter, 'boston=3'));
  world.run(40);
  const newLeader = world.leaders().find((id) => id !== jupiter)!;
  placed(world.propose(newLeader, 'philadelphia=7'));
  world.stabilize();
  world.heal();
  world.heartbeat(3);
  for (const id of cast) assert.deepEqual(world.node(id).values(), ['boston=1', 'philadelphia=7']);
  const leaderLog = world.node(newLeader).disk.entries.map((e) => `${e.index}/${e.term}`);
  assert.deepEqual(world.node(jupiter).disk.entries.map((e) => `${e.index}/${e.term}`), leaderLog);
  assert.deepEqual(world.stateMachineSafetyViolations, []);
});

test('fast back-off: a follower with a long divergent tail is repaired in a few round trips, not one per entry', () => {
  const world = new RaftNetwork({ nodes: cast, raft: { maxEntriesPerAppend: 1000 } });
  world.elect(jupiter);
  world.isolate(jupiter);
  for (let i = 0; i < 50; i++) world.propose(jupiter, `boston=${i}`);
  world.run(40);
  const newLeader = world.leaders().find((id) => id !== jupiter)!;
  for (let i = 0; i < 50; i++) world.propose(newLeader, `pune=${i}`);
  world.stabilize();
  world.heal();
  world.delivered = [];
  world.heartbeat(2);
  const rejections = world.delivered.filter((m) => m.from === jupiter && m.message.type === 'append-response' && m.message.reject);
  assert.ok(rejections.length <= 2, `${rejections.length} rejections`);
  assert.deepEqual(world.node(jupiter).values(), world.node(newLeader).values());
  assert.equal(world.node(jupiter).values().length, 50);
});

test('an entry replicated to one follower survives the leader\'s crash', () => {
  const world = new RaftNetwork({ nodes: cast });
  world.elect(jupiter);
  world.drop((m) => m.from === jupiter && m.to === neptune);
  const placement = placed(world.propose(jupiter, 'philadelphia=3'));
  world.deliverWhere(appendsTo(saturn));
  world.deliverWhere((m) => m.to === jupiter);
  assert.deepEqual(world.node(jupiter).values(), ['philadelphia=3'], 'jupiter applied it and answered alice');
  world.crash(jupiter);
  world.heal();
  world.run(40);
  assert.deepEqual(world.leaders(), [saturn], 'only saturn holds the entry, so only saturn can win');
  for (const id of [saturn, neptune]) {
    assert.deepEqual(world.node(id).values(), ['philadelphia=3']);
    assert.equal(world.node(id).applied.find((e) => e.index === placement.index)?.term, placement.term);
  }
});

test('the pipeline window bounds the appends in flight to a silent follower, and it catches up when it answers', () => {
  const world = new RaftNetwork({ nodes: cast, raft: { maxInflightAppends: 3, maxEntriesPerAppend: 2 } });
  world.elect(jupiter);
  world.drop((m) => m.from === neptune && m.to === jupiter && m.message.type === 'append-response');
  world.delivered = [];
  for (let i = 0; i < 20; i++) {
    world.propose(jupiter, `london=${i}`);
    world.stabilize();
  }
  const carrying = world.delivered.filter((m) => m.to === neptune && m.message.type === 'append' && m.message.entries.length > 0);
  assert.equal(carrying.length, 3, 'three appends, then the window is full');
  for (const m of carrying) assert.ok(m.message.type === 'append' && m.message.entries.length <= 2);
  assert.equal(world.node(saturn).values().length, 20, 'saturn is not held back by neptune');
  world.heal();
  world.heartbeat(12);
  assert.equal(world.node(neptune).values().length, 20);
});

test('appends carry at most maxBytesPerAppend of entries (but always at least one)', () => {
  const world = new RaftNetwork({ nodes: cast, raft: { maxBytesPerAppend: 25 } });
  world.elect(jupiter);
  world.delivered = [];
  for (let i = 0; i < 10; i++) world.propose(jupiter, `boston=${String(i).padStart(5, '0')}`);
  world.propose(jupiter, 'x'.repeat(100));
  world.stabilize();
  const sizes = world.delivered.filter((m) => m.message.type === 'append' && m.message.entries.length > 0)
    .map((m) => (m.message.type === 'append' ? m.message.entries.reduce((sum, e) => sum + e.data.length, 0) : 0));
  assert.ok(sizes.every((size) => size <= 25 || size === 100), `append sizes ${sizes.join(',')}`);
  assert.equal(world.node(neptune).values().length, 11);
});

test('proposals to a follower are refused with a hint; too many uncommitted ones are refused at the leader', () => {
  const world = new RaftNetwork({ nodes: cast, raft: { maxPendingProposals: 3 } });
  world.elect(jupiter);
  assert.deepEqual(world.propose(saturn, 'boston=1'), { reason: 'not-leader', leader: jupiter });
  world.isolate(jupiter);
  const results = [1, 2, 3, 4].map((i) => world.propose(jupiter, `boston=${i}`));
  assert.equal(results.filter((r) => 'index' in r).length, 3);
  assert.deepEqual(results[3], { reason: 'too-many-pending' });
});

test('figure 8: a leader never commits an earlier term\'s entry by counting replicas', () => {
  const lost = figureEight({});
  assert.deepEqual(lost.violations, []);
  assert.equal(lost.jupiterAppliedLondon, false);
});

