import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answer, assertConverged, cluster, put, settled } from './story-helpers.js';

test('on in-memory persistence the same node restarts with what it persisted (the baseline without a disk)', async () => {
  const c = cluster(1, { storage: 'memory', limits: { snapshotEntries: 5 } });
  const leader = await c.electLeader();
  for (let i = 0; i < 12; i++) assert.equal((await answer(c, put(c, leader, 'boston', String(i))))?.ok, true);
  for (const node of ['jupiter', 'saturn', 'neptune']) c.world.crash(node);
  for (const node of ['jupiter', 'saturn', 'neptune']) c.world.restart(node);
  await c.world.runUntil(() => settled(c), { limitMs: 10_000 });
  for (const node of ['jupiter', 'saturn', 'neptune']) {
    assert.equal(c.node(node)!.machine.get('boston'), '11', node);
    assert.ok(c.node(node)!.status().snapshotIndex > 0, `${node} restarted from a snapshot`);
  }
  assertConverged(c);
  assert.deepEqual(c.monitor.violations, []);
});
