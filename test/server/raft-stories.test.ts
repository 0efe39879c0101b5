import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answer, assertConverged, cluster, failure, logOf, others, put, settled, termAt } from './story-helpers.js';

test('a leader crashes after replicating to one follower, and the entry survives', async () => {
  const c = cluster(11);
  const leader = await c.electLeader();
  const [carrier, laggard] = others(leader);
  c.world.clog(leader, laggard!);
  const index = c.node(leader)!.status().lastIndex + 1;
  const reply = put(c, leader, 'boston', '10');
  await c.world.runUntil(() => termAt(c, carrier!, index) !== undefined, { limitMs: 1_000 });
  c.world.crash(leader);
  c.world.unclog(leader, laggard!);

  await c.world.runUntil(() => c.leader() !== null && settled(c, [carrier!, laggard!]), { limitMs: 10_000 });
  assert.equal(reply.outcome, undefined, 'the crashed leader never answered alice');
  assert.equal(c.leader(), carrier, 'only the follower holding the entry can win the election');
  for (const node of [carrier!, laggard!]) {
    assert.equal(c.node(node)!.machine.get('boston'), '10', `${node} applied the surviving entry`);
    assert.ok(c.node(node)!.status().commitIndex >= index);
  }
  c.world.restart(leader);
  await c.world.runUntil(() => settled(c), { limitMs: 10_000 });
  assert.equal(c.node(leader)!.machine.get('boston'), '10', 'the old leader applies it after restarting');
  assertConverged(c);
  assert.deepEqual(c.monitor.violations, []);
});

test('two leaders of different terms wrote different entries at one index, and the higher generation wins', async () => {
  const c = cluster(12);
  const oldLeader = await c.electLeader();
  const oldTerm = c.node(oldLeader)!.status().term;
  c.world.isolate(oldLeader);
  const alice = put(c, oldLeader, 'boston', 'alice', 5_000);
  const contested = c.node(oldLeader)!.status().lastIndex;
  assert.equal(termAt(c, oldLeader, contested), undefined, 'not yet durable');
  await c.world.runUntil(() => termAt(c, oldLeader, contested) === oldTerm, { limitMs: 1_000 });

  // The isolated leader still believes it leads until check-quorum catches up with it; the majority moves on.
  await c.world.runUntil(() => c.leader() !== null && c.leader() !== oldLeader, { limitMs: 10_000 });
  const winner = c.leader()!;
  assert.notEqual(winner, oldLeader);
  const bob = put(c, winner, 'boston', 'bob');
  assert.deepEqual(await answer(c, bob), { ok: true, value: { op: 'put', previous: null } });
  const newTerm = c.node(winner)!.status().term;
  assert.ok(newTerm > oldTerm);

  c.world.heal();
  await c.world.runUntil(() => settled(c), { limitMs: 10_000 });
  const error = failure(await answer(c, alice));
  assert.ok(['leader-changed', 'deadline-exceeded'].includes(error.code), error.message);
  for (const node of ['jupiter', 'saturn', 'neptune']) {
    assert.ok(termAt(c, node, contested)! > oldTerm, `${node} holds the newer term's entry at index ${contested}`);
    assert.equal(c.node(node)!.machine.get('boston'), 'bob', `${node} applied bob's write, not alice's`);
    assert.equal(c.node(node)!.status().term, newTerm);
  }
  assertConverged(c);
  assert.deepEqual(c.monitor.violations, []);
});

test('a follower with extra uncommitted entries has them truncated', async () => {
  const five = ['jupiter', 'saturn', 'neptune', 'mars', 'venus'];
  const c = cluster(13, { nodes: five });
  const leader = await c.electLeader();
  const rest = five.filter((node) => node !== leader);
  const follower = rest[0]!;
  const majority = rest.slice(1);
  for (const node of majority) c.world.clog(leader, node);
  const extra = c.node(leader)!.status().lastIndex + 1;
  const alice = put(c, leader, 'pune', 'alice', 3_000);
  await c.world.runUntil(() => termAt(c, follower, extra) !== undefined, { limitMs: 1_000 });
  const extraTerm = termAt(c, follower, extra)!;
  // The leader and the follower holding the extra entry drop out; the other three carry on.
  c.world.crash(leader);
  c.world.isolate(follower);
  await c.world.runUntil(() => c.leader() !== null && majority.includes(c.leader()!), { limitMs: 10_000 });
  const bob = put(c, c.leader()!, 'pune', 'bob');
  assert.equal((await answer(c, bob))?.ok, true);

  c.world.heal();
  await c.world.runUntil(() => settled(c, [follower, ...majority]), { limitMs: 10_000 });
  assert.equal(alice.outcome, undefined, 'alice\'s leader crashed before answering');
  assert.notEqual(termAt(c, follower, extra), extraTerm, `${follower}'s uncommitted entry at ${extra} was replaced`);
  assert.equal(termAt(c, follower, extra), termAt(c, majority[0]!, extra));
  for (const node of [follower, ...majority]) assert.equal(c.node(node)!.machine.get('pune'), 'bob', node);
  assertConverged(c, [follower, ...majority]);
  assert.deepEqual(c.monitor.violations, []);
});

test('a partitioned old leader cannot commit and steps down, and its client gets an error, not a false success', async () => {
  const c = cluster(14);
  const leader = await c.electLeader();
  c.world.isolate(leader);
  const alice = put(c, leader, 'london', '7', 3_000);
  await c.world.runFor(5_000);
  const error = failure(alice.outcome);
  assert.equal(error.certainlyNotApplied, false, 'alice cannot know whether her write will apply');
  const status = c.node(leader)!.status();
  assert.notEqual(status.role, 'leader', 'check-quorum made the isolated leader step down');
  assert.ok(status.commitIndex < status.lastIndex, 'its entry stayed uncommitted');
  assert.equal(c.node(leader)!.machine.get('london'), null);
  const newLeader = c.leader();
  assert.ok(newLeader !== null && newLeader !== leader, 'the majority elected a new leader');
  for (const node of others(leader)) assert.equal(c.node(node)!.machine.get('london'), null, `${node} never applied alice's write`);
  assert.deepEqual(c.monitor.violations, []);
});

test('a stale leader returning after a pause is ignored', async () => {
  const c = cluster(15);
  const stale = await c.electLeader();
  const staleTerm = c.node(stale)!.status().term;
  c.world.pause(stale);
  await c.world.runUntil(() => c.leader() !== null && c.leader() !== stale, { limitMs: 10_000 });
  const current = c.leader()!;
  assert.equal((await answer(c, put(c, current, 'philadelphia', 'bob')))?.ok, true);
  // Alice's request reaches the paused process; it handles it when it wakes, still believing it leads.
  const alice = put(c, stale, 'philadelphia', 'alice');
  c.world.resume(stale);
  await c.world.runUntil(() => alice.outcome !== undefined && settled(c), { limitMs: 10_000 });
  const error = failure(alice.outcome);
  assert.ok(['leader-changed', 'not-leader'].includes(error.code), error.message);
  const status = c.node(stale)!.status();
  assert.equal(status.role, 'follower');
  assert.ok(status.term > staleTerm);
  assert.equal(c.leader(), current);
  for (const node of ['jupiter', 'saturn', 'neptune']) assert.equal(c.node(node)!.machine.get('philadelphia'), 'bob', node);
  assertConverged(c);
  assert.deepEqual(c.monitor.violations, []);
});

test('a node restarts from its disk with its term, log and state', async () => {
  const c = cluster(16);
  const leader = await c.electLeader();
  for (const [key, value] of [['boston', '10'], ['pune', '3']] as const) assert.equal((await answer(c, put(c, leader, key, value)))?.ok, true);
  await c.world.runUntil(() => settled(c), { limitMs: 5_000 });
  const follower = others(leader)[0]!;
  const before = c.node(follower)!.status();
  const logBefore = logOf(c, follower);
  c.world.crash(follower);
  c.world.restart(follower);
  await c.world.runUntil(() => c.node(follower) !== undefined, { limitMs: 1_000 });
  const after = c.node(follower)!.status();
  assert.equal(after.term, before.term);
  assert.equal(after.lastIndex, before.lastIndex);
  assert.deepEqual(logOf(c, follower), logBefore, 'the recovered log is the one it wrote');
  await c.world.runUntil(() => settled(c), { limitMs: 5_000 });
  assert.equal(c.node(follower)!.machine.get('boston'), '10');
  assert.equal(c.node(follower)!.machine.get('pune'), '3');
  assertConverged(c);
  assert.deepEqual(c.monitor.violations, []);
});

test('the whole cluster loses power and comes back with every acknowledged write', async () => {
  const c = cluster(17);
  const leader = await c.electLeader();
  assert.equal((await answer(c, put(c, leader, 'london', '12')))?.ok, true);
  for (const node of ['jupiter', 'saturn', 'neptune']) c.world.crash(node);
  for (const node of ['jupiter', 'saturn', 'neptune']) c.world.restart(node);
  await c.world.runUntil(() => c.leader() !== null && settled(c), { limitMs: 10_000 });
  for (const node of ['jupiter', 'saturn', 'neptune']) assert.equal(c.node(node)!.machine.get('london'), '12', node);
  assertConverged(c);
  assert.deepEqual(c.monitor.violations, []);
});

test('a follower crashes before its acknowledgement reaches the leader, and catches up with no new writes', async () => {
  const c = cluster(18);
  const leader = await c.electLeader();
  const [follower] = others(leader);
  await c.world.runUntil(() => settled(c), { limitMs: 2_000 });
  const index = c.node(leader)!.status().lastIndex + 1;
  const reply = put(c, leader, 'london', '3');
  // The follower has the entry on disk; its answer is still on the wire when the power goes.
  await c.world.runUntil(() => termAt(c, follower!, index) !== undefined, { limitMs: 1_000 });
  c.world.crash(follower!);
  c.world.restart(follower!);
  assert.deepEqual(await answer(c, reply), { ok: true, value: { op: 'put', previous: null } }, 'the leader and the third member commit');
  const settledAgain = await c.world.runUntil(() => settled(c), { limitMs: 10_000 });
  assert.ok(settledAgain, 'the leader notices the follower is behind and brings it up to date');
  assert.equal(c.node(follower!)!.machine.get('london'), '3');
  assertConverged(c);
  assert.deepEqual(c.monitor.violations, []);
});
