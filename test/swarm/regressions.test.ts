// Seeds that once failed, kept as bug reports. Each names what went wrong;
// the seed must now pass with the same options that made it fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSeed, swarmFaultKinds } from '../../src/sim/swarm/index.js';

const regressions = [
  {
    seed: 10251,
    nodes: 3,
    bug: 'a learner that installed a snapshot at its current match index was sent the snapshot again forever (liveness)',
  },
];

for (const { seed, nodes, bug } of regressions) {
  test(`seed ${seed} (${nodes} nodes): ${bug}`, async () => {
    const result = await runSeed({ seed, nodes, faults: swarmFaultKinds, simulatedMs: 60_000 });
    assert.deepEqual(result.violations, [], `replay with: ${result.replayCommand}`);
  });
}
