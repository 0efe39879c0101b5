// The CI swarm, part one: 300 seeds of three-node clusters, each a minute of
// simulated time under every fault kind. Together with the five-node part
// (ci-swarm-five.test.ts, run in parallel by the test runner) that is 500
// seeds per CI run. A failing seed prints its replay command and leaves its
// trace in sim-traces/.
import { test } from 'node:test';
import { runSwarm } from '../../src/sim/swarm/index.js';
import { assertSwarmClean } from './swarm-assertions.js';

test('300 seeds of jupiter, saturn and neptune under every fault kind for 60 simulated seconds each', async () => {
  const summary = await runSwarm({ seeds: 300, firstSeed: 100_000, nodes: 3, simulatedMs: 60_000 });
  assertSwarmClean(summary, 300);
});
