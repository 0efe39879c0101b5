// Seeds that once failed, kept as bug reports. Each names what went wrong;
// the seed must now pass with the same options that made it fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSeed, swarmFaultKinds } from '../../src/sim/swarm/index.js';

const regressions: { seed: number; nodes: number; clients?: number; bug: string }[] = [
  {
    seed: 10251,
    nodes: 3,
    bug: 'a learner that installed a snapshot at its current match index was sent the snapshot again forever (liveness)',
  },
  {
    seed: 4,
    nodes: 5,
    clients: 32,
    bug: 'a follower that crashed with the pipeline window full, whose in-flight entries a snapshot then released, was sent only heartbeats forever (liveness)',
  },
  {
    seed: 9,
    nodes: 5,
    clients: 32,
    bug: 'the same stranded follower, reached through another fault sequence',
  },
];

for (const { seed, nodes, clients, bug } of regressions) {
  test(`seed ${seed} (${nodes} nodes${clients === undefined ? '' : `, ${clients} clients`}): ${bug}`, async () => {
    const result = await runSeed({ seed, nodes, faults: swarmFaultKinds, simulatedMs: 60_000, ...(clients === undefined ? {} : { clients }) });
    assert.deepEqual(result.violations, [], `replay with: ${result.replayCommand}`);
  });
}
