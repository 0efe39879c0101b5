// Bugs the kv swarm found in the consistent core, each kept as the story that
// shows it and as the seed that found it. The seed must now pass with the
// options that made it fail.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome } from '../../src/server/client-errors.js';
import { runCoreSeed } from '../../src/sim/swarm/core-run-seed.js';
import { swarmFaultKinds } from '../../src/sim/swarm/run-seed.js';
import { answer, coreCluster, grantLease, planets, put, putRevision, settled, succeeded, valueAt } from '../server/core-helpers.js';

test('every member restarts from a snapshot: the lease it holds is still kept alive, and still expires', async () => {
  // Snapshots every few entries, so each member recovers the lease from its snapshot rather than by replaying the log.
  const c = coreCluster(31, { limits: { snapshotEntries: 4 } });
  const leader = await c.electLeader();
  succeeded(await answer(c, grantLease(c, leader, 9n, 3)));
  putRevision(await answer(c, put(c, leader, 'london', 'bob-session', { lease: 9n })));
  for (const count of ['1', '2', '3', '4']) putRevision(await answer(c, put(c, leader, 'pune', count)));
  await c.world.runUntil(() => settled(c) && planets.every((node) => c.node(node)!.status().snapshotIndex > 0), { limitMs: 5_000 });

  for (const node of planets) c.world.crash(node);
  for (const node of planets) c.world.restart(node);
  const successor = await c.electLeader();
  await c.world.runUntil(() => settled(c), { limitMs: 5_000 });
  assert.equal(valueAt(c, successor, 'london'), 'bob-session', 'the lease and its key were recovered from disk');

  // The new leader's Lessor has just started counting: bob's keep-alive renews the lease it recovered.
  await c.world.runFor(1_000);
  const renewal = c.request<number>((done) => c.call(successor, done, (node) => node.leaseKeepAlive(9n, done)));
  const renewed: Outcome<number> = await answer(c, renewal);
  assert.ok(renewed.ok, renewed.ok ? '' : renewed.error.message);
  assert.equal(renewed.value, 3, 'the keep-alive found the lease and gave it its full TTL');
  const renewedAtMs = c.world.nowMs();

  // Bob stops: the lease expires a full TTL later, and takes london with it on every member.
  await c.world.runUntil(() => valueAt(c, successor, 'london') === undefined, { limitMs: 10_000 });
  assert.equal(valueAt(c, successor, 'london'), undefined, 'the leader expired the recovered lease');
  assert.ok(c.world.nowMs() >= renewedAtMs + 3_000, 'not before its TTL');
  await c.world.runUntil(() => settled(c), { limitMs: 5_000 });
  for (const node of planets) assert.equal(c.node(node)!.machine.kv.leaseInfo(9n), null, `${node} revoked lease 9`);
});

test('a deposed leader waking from a pause does not tell bob his lease is gone while its successor keeps it alive', async () => {
  const c = coreCluster(32);
  const leader = await c.electLeader();
  succeeded(await answer(c, grantLease(c, leader, 5n, 2)));
  putRevision(await answer(c, put(c, leader, 'boston', 'bob-session', { lease: 5n })));
  await c.world.runFor(1_000);

  // The leader is cut off and frozen; the others elect a successor, and bob keeps the lease alive there.
  c.world.isolate(leader);
  c.world.pause(leader);
  const successor = await c.electLeader();
  assert.notEqual(successor, leader);
  await c.world.runFor(600); // the successor's Lessor takes over at its next lease check
  const keepAlive = (member: string) => c.request<number>((done) => c.call(member, done, (node) => node.leaseKeepAlive(5n, done)));
  for (let i = 0; i < 6; i++) {
    const renewed = await answer(c, keepAlive(successor));
    assert.ok(renewed.ok && renewed.value === 2, `keep-alive ${i} on ${successor}: ${renewed.ok ? renewed.value : renewed.error.message}`);
    await c.world.runFor(600);
  }

  // Past the lease's TTL by the old leader's clock, bob's keep-alive reaches the old leader as it wakes, still isolated.
  const stale = keepAlive(leader);
  c.world.resume(leader);
  while (stale.outcome === undefined) {
    const renewed = await answer(c, keepAlive(successor));
    assert.ok(renewed.ok && renewed.value === 2, 'bob keeps renewing at the successor meanwhile');
    await c.world.runFor(500);
  }
  const outcome = stale.outcome;
  assert.ok(!outcome.ok, `the deposed leader could not confirm its leadership, so it answered nothing about the lease (it said ${outcome.ok ? outcome.value : ''})`);
  assert.equal(valueAt(c, successor, 'boston'), 'bob-session', 'the lease lives on under the successor');
  assert.equal(valueAt(c, leader, 'boston'), 'bob-session', 'and the old leader expired nothing');
});

const regressions = [
  { seed: 2, nodes: 3, simulatedMs: 30_000, bug: 'after a power loss the restarted leader\'s Lessor knew none of the recovered leases: keep-alives answered "gone" and they never expired' },
  { seed: 43, nodes: 3, simulatedMs: 30_000, bug: 'a leader paused while isolated woke up and answered a queued keep-alive: "gone", for a lease its successor kept alive' },
];

for (const { seed, nodes, simulatedMs, bug } of regressions) {
  test(`kv seed ${seed} (${nodes} nodes): ${bug}`, async () => {
    const result = await runCoreSeed({ seed, nodes, faults: swarmFaultKinds, simulatedMs, store: 'kv' });
    assert.deepEqual(result.violations, [], `replay with: ${result.replayCommand}`);
  });
}
