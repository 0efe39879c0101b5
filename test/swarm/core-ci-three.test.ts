// The kv swarm in CI, part one: 180 seeds of jupiter, saturn and neptune
// running the consistent core, 60 simulated seconds each under every fault
// kind. With the five-node part (core-ci-five.test.ts, run in parallel by the
// test runner) that is 300 seeds per CI run. A failing seed prints its replay
// command and leaves its trace in sim-traces/.
import { test } from 'node:test';
import { runSwarm } from '../../src/sim/swarm/index.js';
import { assertKvSwarmClean } from './core-assertions.js';

test('180 seeds of a three-member consistent core under every fault kind, 60 simulated seconds each: linearizable, watches whole, leases on time, members equal', async () => {
  const summary = await runSwarm({ store: 'kv', seeds: 180, firstSeed: 300_000, nodes: 3, simulatedMs: 60_000 });
  assertKvSwarmClean(summary, 180, 60_000);
});
