import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeId } from '../../src/ids.js';
import { staggeredSnapshotEntries } from '../../src/server/raft-node.js';
import { answer, assertConverged, cluster, failure, others, put, settled } from './story-helpers.js';

test('a follower far behind catches up by snapshot', async () => {
  const c = cluster(21, { limits: { snapshotEntries: 20 }, storageOptions: { wal: { segmentSizeBytes: 2_048 } } });
  const leader = await c.electLeader();
  const laggard = others(leader)[0]!;
  c.world.crash(laggard);
  for (let i = 0; i < 60; i++) assert.equal((await answer(c, put(c, leader, 'boston', String(i))))?.ok, true);
  await c.world.runUntil(() => c.node(leader)!.status().snapshotsTaken >= 2, { limitMs: 5_000 });
  const leaderStatus = c.node(leader)!.status();
  assert.ok(leaderStatus.firstIndex > c.monitor.durableLog(laggard).entries.length + 1, 'the leader released the entries the laggard lacks');

  c.world.restart(laggard);
  await c.world.runUntil(() => settled(c), { limitMs: 10_000 });
  const status = c.node(laggard)!.status();
  assert.equal(status.snapshotsInstalled, 1, 'it caught up from the leader\'s snapshot, not entry by entry');
  assert.equal(c.node(laggard)!.machine.get('boston'), '59');
  assert.equal(status.machineAppliedIndex, c.node(leader)!.status().commitIndex);
  assert.deepEqual(c.monitor.violations, []);

  // And it restarts from that snapshot: the disk holds it, not the entries it never saw.
  // (Its acknowledgements reach the leader first: a crash that loses them is another story.)
  await c.world.runFor(1_000);
  c.world.crash(laggard);
  c.world.restart(laggard);
  await c.world.runUntil(() => c.node(laggard) !== undefined, { limitMs: 1_000 });
  const restarted = c.node(laggard)!.status();
  assert.ok(restarted.snapshotIndex >= status.snapshotIndex, 'its snapshot file survived the crash');
  assert.ok(restarted.machineAppliedIndex >= restarted.snapshotIndex, 'the state machine starts from the snapshot, before hearing from the leader');
  assert.notEqual(c.node(laggard)!.machine.get('boston'), null);
  await c.world.runUntil(() => settled(c), { limitMs: 10_000 });
  assert.equal(c.node(laggard)!.machine.get('boston'), '59');
  assertConverged(c);
});

test('a member is added as a learner, promoted, and another removed', async () => {
  const c = cluster(22);
  const leader = await c.electLeader();
  assert.equal((await answer(c, put(c, leader, 'london', '5')))?.ok, true);
  c.addMachine('uranus');
  const added = await answer(c, c.request<void>((done) => c.changeMembership(leader, { type: 'add-learner', node: nodeId('uranus') }, 3_000, done)));
  assert.deepEqual(added, { ok: true, value: undefined });
  await c.world.runUntil(() => c.node('uranus')?.machine.get('london') === '5', { limitMs: 5_000 });
  assert.deepEqual(c.node(leader)!.status().config.learners, ['uranus']);
  assert.notEqual(c.node('uranus')!.status().role, 'leader');
  // The leader promotes only a learner it has seen hold (nearly) all of its log: let uranus's acknowledgements arrive.
  await c.world.runFor(300);

  const promoted = await answer(c, c.request<void>((done) => c.changeMembership(leader, { type: 'promote-learner', node: nodeId('uranus') }, 3_000, done)));
  assert.deepEqual(promoted, { ok: true, value: undefined });
  const removedNode = others(leader)[0]!;
  const removed = await answer(c, c.request<void>((done) => c.changeMembership(leader, { type: 'remove', node: removedNode }, 3_000, done)));
  assert.deepEqual(removed, { ok: true, value: undefined });
  const remaining = ['jupiter', 'saturn', 'neptune', 'uranus'].filter((node) => node !== removedNode);
  await c.world.runUntil(() => settled(c, remaining), { limitMs: 5_000 });
  for (const node of remaining) {
    const config = c.node(node)!.status().config;
    assert.deepEqual([...config.voters].sort(), [...remaining].sort(), `${node} sees the new voter set`);
    assert.deepEqual(config.learners, []);
  }
  c.world.crash(removedNode);
  assert.equal((await answer(c, put(c, c.leader()!, 'london', '6')))?.ok, true, 'the new voter set commits without the removed member');
  await c.world.runUntil(() => settled(c, remaining), { limitMs: 5_000 });
  assert.equal(c.node('uranus')!.machine.get('london'), '6');
  assertConverged(c, remaining);
  assert.deepEqual(c.monitor.violations, []);
});

test('leadership moves to the member asked for', async () => {
  const c = cluster(23);
  const leader = await c.electLeader();
  const termBefore = c.node(leader)!.status().term;
  const target = others(leader)[1]!;
  const moved = await answer(c, c.request<void>((done) => c.transferLeadership(leader, target, 3_000, done)));
  assert.deepEqual(moved, { ok: true, value: undefined });
  await c.world.runUntil(() => c.leader() === target, { limitMs: 3_000 });
  assert.equal(c.leader(), target);
  assert.equal(c.node(target)!.status().term, termBefore + 1);
  assert.equal(c.node(leader)!.status().role, 'follower');
  const refused = failure(await answer(c, put(c, leader, 'pune', '1')));
  assert.equal(refused.code, 'not-leader');
  assert.equal(refused.leaderHint, target, 'the old leader points alice at the new one');
  assert.equal((await answer(c, put(c, target, 'pune', '1')))?.ok, true);
  await c.world.runUntil(() => settled(c), { limitMs: 5_000 });
  assertConverged(c);
  assert.deepEqual(c.monitor.violations, []);
});

test('a failed datasync stops the leader before it acknowledges anything that depends on it', async () => {
  const c = cluster(24);
  const leader = await c.electLeader();
  c.world.disk(leader).injectFault({ kind: 'datasync-error', pathPrefix: 'raft/wal' });
  const alice = put(c, leader, 'boston', '99');
  await c.world.runFor(3_000);
  const node = c.node(leader)!;
  assert.equal(node.isStopped, true);
  assert.match(String(node.fatalError), /EIO/, 'the disk error is what stopped it');
  assert.match(node.status().stoppedReason ?? '', /disk write or sync failed/);
  const error = failure(alice.outcome);
  assert.equal(error.code, 'stopped');
  assert.equal(error.certainlyNotApplied, false, 'the entry may already be on the followers');
  const refused = failure(await answer(c, put(c, leader, 'boston', '100')));
  assert.equal(refused.code, 'stopped', 'a stopped node refuses new requests at once');
  assert.ok(c.leader() !== null && c.leader() !== leader, 'the others elected a new leader');
  assert.deepEqual(c.monitor.violations, []);
});

test('jupiter, saturn and neptune snapshot at different points, none sooner than snapshotEntries nor later than a quarter more', () => {
  const every = ['jupiter', 'saturn', 'neptune'].map((name) => staggeredSnapshotEntries(nodeId(name), 100_000));
  for (const entries of every) assert.ok(entries >= 100_000 && entries <= 125_000, `${entries} is within snapshotEntries and a quarter more`);
  assert.equal(new Set(every).size, 3, `three different spacings: ${every.join(', ')}`);
  assert.equal(staggeredSnapshotEntries(nodeId('saturn'), 100_000), every[1], 'the same id always gives the same spacing');
  assert.equal(staggeredSnapshotEntries(nodeId('saturn'), 3), 3, 'below four entries there is no room to stagger');
});

test('a leader restarted from its snapshot file sends a follower far behind the snapshot from that file, not from memory', async () => {
  const c = cluster(23, { limits: { snapshotEntries: 20 }, storageOptions: { wal: { segmentSizeBytes: 2_048 } } });
  const first = await c.electLeader();
  const laggard = others(first)[0]!;
  c.world.crash(laggard);
  for (let i = 0; i < 60; i++) assert.equal((await answer(c, put(c, first, 'pune', String(i))))?.ok, true);
  await c.world.runUntil(() => others(laggard).every((node) => c.node(node)!.status().snapshotsTaken >= 2), { limitMs: 5_000 });
  // Both live members restart: each restores its state machine from the snapshot it checked, then keeps only the file.
  for (const node of others(laggard)) {
    c.world.crash(node);
    c.world.restart(node);
  }
  const leader = await c.electLeader();
  assert.notEqual(leader, laggard);
  const leaderDisk = c.world.node(leader)!.disk;
  const readsBefore = leaderDisk.stats.reads;
  c.world.restart(laggard);
  await c.world.runUntil(() => settled(c), { limitMs: 10_000 });
  assert.equal(c.node(laggard)!.status().snapshotsInstalled, 1, 'the laggard caught up from the snapshot');
  assert.equal(c.node(laggard)!.machine.get('pune'), '59');
  assert.ok(leaderDisk.stats.reads > readsBefore, 'the chunks were read from the leader\'s snapshot file');
  assertConverged(c);
});
