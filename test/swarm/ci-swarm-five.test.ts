// The CI swarm, part two: 200 seeds of five-node clusters under every fault
// kind for a simulated minute each (see ci-swarm-three.test.ts).
import { test } from 'node:test';
import { runSwarm } from '../../src/sim/swarm/index.js';
import { assertSwarmClean } from './swarm-assertions.js';

test('200 seeds of five-node clusters under every fault kind for 60 simulated seconds each', async () => {
  const summary = await runSwarm({ seeds: 200, firstSeed: 200_000, nodes: 5, simulatedMs: 60_000 });
  assertSwarmClean(summary, 200);
});
