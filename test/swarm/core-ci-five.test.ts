// The kv swarm in CI, part two: 120 seeds of five-member consistent cores
// under every fault kind for 60 simulated seconds each (see core-ci-three.test.ts).
import { test } from 'node:test';
import { runSwarm } from '../../src/sim/swarm/index.js';
import { assertKvSwarmClean } from './core-assertions.js';

test('120 seeds of a five-member consistent core with members coming and going, 60 simulated seconds each', async () => {
  const summary = await runSwarm({ store: 'kv', seeds: 120, firstSeed: 400_000, nodes: 5, simulatedMs: 60_000 });
  assertKvSwarmClean(summary, 120, 60_000);
});
