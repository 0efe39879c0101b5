import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answer, cluster, failure, others, put, settled } from './story-helpers.js';

test('a follower refuses alice at once and names the leader', async () => {
  const c = cluster(31);
  const leader = await c.electLeader();
  await c.world.runFor(500);
  const follower = others(leader)[0]!;
  const error = failure(await answer(c, put(c, follower, 'boston', '1')));
  assert.equal(error.code, 'not-leader');
  assert.equal(error.message, `not leader, leader is ${leader}`);
  assert.equal(error.certainlyNotApplied, true);
  assert.equal(c.node(follower)!.machine.get('boston'), null);
});

test('bob reads from a lagging follower: serializable may be stale, linearizable never is', async () => {
  const c = cluster(32);
  const leader = await c.electLeader();
  const follower = others(leader)[0]!;
  assert.equal((await answer(c, put(c, leader, 'london', 'old')))?.ok, true);
  await c.world.runUntil(() => settled(c), { limitMs: 2_000 });
  c.world.clog(leader, follower);
  assert.equal((await answer(c, put(c, leader, 'london', 'new')))?.ok, true, 'the leader and the third member commit without the follower');

  const stale = await answer(c, c.request<string | null>((done) => c.node(follower)!.readSerializable((machine) => machine.get('london'), done)));
  assert.deepEqual(stale, { ok: true, value: 'old' }, 'a serializable read answers from what the follower has applied');

  const fresh = c.request<string | null>((done) => c.read(follower, 'london', 3_000, done));
  await c.world.runFor(500);
  assert.equal(fresh.outcome, undefined, 'the linearizable read waits: the follower has not applied the read index');
  c.world.unclog(leader, follower);
  assert.deepEqual(await answer(c, fresh), { ok: true, value: 'new' });
  assert.deepEqual(c.monitor.violations, []);
});

test('a linearizable read on an isolated leader fails instead of answering stale', async () => {
  const c = cluster(33);
  const leader = await c.electLeader();
  assert.equal((await answer(c, put(c, leader, 'pune', '1')))?.ok, true);
  c.world.isolate(leader);
  const read = c.request<string | null>((done) => c.read(leader, 'pune', 2_000, done));
  await c.world.runUntil(() => c.leader() !== null && c.leader() !== leader, { limitMs: 10_000 });
  assert.equal((await answer(c, put(c, c.leader()!, 'pune', '2')))?.ok, true);
  const error = failure(await answer(c, read));
  assert.ok(['leader-changed', 'deadline-exceeded'].includes(error.code), error.message);
  assert.equal(error.certainlyNotApplied, true, 'a read has no effect to be unsure about');
});

test('a full request waiting list refuses alice with an overload error, never queueing without bound', async () => {
  const c = cluster(34, { limits: { maxPendingRequests: 2 } });
  const leader = await c.electLeader();
  c.world.isolate(leader);
  const first = put(c, leader, 'boston', '1');
  const second = put(c, leader, 'boston', '2');
  const third = put(c, leader, 'boston', '3');
  const error = failure(third.outcome);
  assert.equal(error.code, 'overloaded');
  assert.match(error.message, /request waiting list is full \(2\)/);
  assert.equal(error.certainlyNotApplied, true);
  assert.equal(first.outcome, undefined);
  assert.equal(second.outcome, undefined);
  assert.equal(c.node(leader)!.status().pendingRequests, 2);
});

test('proposals that arrive while a write is on the disk share the next write (request batching)', async () => {
  const leaderWrites: number[] = [];
  const c = cluster(35, {
    observer: {
      persisted: (node, work) => {
        if (node === c.leader() && work.entries.some((entry) => entry.kind === 'normal')) leaderWrites.push(work.entries.length);
      },
    },
  });
  const leader = await c.electLeader();
  await c.world.runUntil(() => settled(c), { limitMs: 2_000 });
  const replies = Array.from({ length: 50 }, (_, i) => put(c, leader, 'philadelphia', String(i)));
  await c.world.runUntil(() => replies.every((reply) => reply.outcome !== undefined), { limitMs: 5_000 });
  assert.ok(replies.every((reply) => reply.outcome?.ok === true));
  assert.equal(leaderWrites.reduce((sum, count) => sum + count, 0), 50);
  assert.ok(leaderWrites.length <= 3, `50 proposals took ${leaderWrites.length} writes: ${leaderWrites.join(', ')}`);
  assert.equal(c.node(leader)!.machine.get('philadelphia'), '49');
});

test('the leader hands its followers the new commit index before it applies alice\'s put and answers her', async () => {
  const c = cluster(36);
  const leader = await c.electLeader();
  await c.world.runUntil(() => settled(c), { limitMs: 2_000 });
  const flushesBefore = c.network.flushes(leader);
  const flushesAtApply: number[] = [];
  c.addObserver({
    applied: (node, entry) => {
      if (node === leader && entry.kind === 'normal') flushesAtApply.push(c.network.flushes(leader));
    },
  });
  assert.equal((await answer(c, put(c, leader, 'boston', '12')))?.ok, true);
  assert.equal(flushesAtApply.length, 1, 'the leader applied alice\'s put once');
  assert.ok(flushesAtApply[0]! > flushesBefore, 'the messages carrying the commit were flushed before the entry applied');
  for (const follower of others(leader)) {
    await c.world.runUntil(() => c.node(follower)!.machine.get('boston') === '12', { limitMs: 2_000 });
    assert.equal(c.node(follower)!.machine.get('boston'), '12', `${follower} applied it too`);
  }
});
