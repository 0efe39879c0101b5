// The swarm has teeth: with each classic Raft mistake planted in the core, a
// seeded search under the faults that expose it finds a safety violation
// within 200 seeds. Without the bug, the same search finds none.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlantedBugs } from '../../src/consensus/options.js';
import { runSeed, type SeedOptions } from '../../src/sim/swarm/run-seed.js';

const maxSeeds = 200;

interface Hunt {
  readonly bug: keyof PlantedBugs;
  readonly why: string;
  readonly options: Omit<SeedOptions, 'seed' | 'bugs'>;
}

const hunts: readonly Hunt[] = [
  {
    bug: 'voteWithoutLogCheck',
    why: 'a node that missed committed entries wins an election after crashes and partitions',
    options: { nodes: 3, simulatedMs: 20_000, faults: ['crash', 'partition', 'isolate'], meanFaultIntervalMs: 500 },
  },
  {
    bug: 'commitPreviousTermByCount',
    why: 'a new leader catches followers up a few entries at a time and counts replicas of an older term',
    options: { nodes: 5, simulatedMs: 20_000, faults: ['crash', 'loss'], meanFaultIntervalMs: 400, allowMajorityDown: true, maxEntriesPerAppend: 8 },
  },
  {
    bug: 'ackBeforePersist',
    why: 'a power loss takes every acknowledged but unsynced entry with it',
    options: { nodes: 3, simulatedMs: 20_000, faults: ['power-loss'], meanFaultIntervalMs: 2_000, datasyncLatencyMs: 5, allowMajorityDown: true },
  },
  {
    bug: 'voteBeforePersist',
    why: 'a power loss right after an election makes voters forget their votes and vote again in the same term',
    options: { nodes: 3, simulatedMs: 20_000, faults: ['power-loss'], meanFaultIntervalMs: 2_000, datasyncLatencyMs: 20, allowMajorityDown: true },
  },
  {
    bug: 'acceptStaleTermAppend',
    why: 'a slow link delivers a deposed leader\'s appends after its successor was elected',
    options: { nodes: 3, simulatedMs: 20_000, faults: ['slow-link'], meanFaultIntervalMs: 2_000 },
  },
];

for (const hunt of hunts) {
  test(`the swarm catches ${hunt.bug}: ${hunt.why}`, async () => {
    let found: { seed: number; properties: string[]; replay: string } | null = null;
    for (let seed = 1; seed <= maxSeeds && found === null; seed++) {
      const result = await runSeed({ ...hunt.options, seed, bugs: { [hunt.bug]: true } });
      const safety = result.violations.filter((violation) => violation.property !== 'liveness');
      if (safety.length > 0) found = { seed, properties: [...new Set(safety.map((violation) => violation.property))], replay: result.replayCommand };
    }
    assert.ok(found !== null, `no safety violation in ${maxSeeds} seeds with ${hunt.bug} planted`);
    assert.match(found.replay, new RegExp(`--bugs ${hunt.bug}`), 'the report says how to replay the failing seed');
    // The same seed without the bug is clean: the violation is the bug's, not the checker's.
    const clean = await runSeed({ ...hunt.options, seed: found.seed });
    assert.deepEqual(clean.violations.filter((violation) => violation.property !== 'liveness'), [], `seed ${found.seed} without ${hunt.bug}`);
  });
}

test('the history check catches stale reads: members answering from their own state without ReadIndex', async () => {
  let found: { seed: number; detail: string } | null = null;
  for (let seed = 1; seed <= maxSeeds && found === null; seed++) {
    const result = await runSeed({ seed, nodes: 3, simulatedMs: 20_000, faults: ['slow-link', 'partition'], meanFaultIntervalMs: 2_000, staleReads: true });
    const violation = result.violations.find((each) => each.property === 'linearizability');
    if (violation !== undefined) found = { seed, detail: violation.detail };
  }
  assert.ok(found !== null, `no linearizability violation in ${maxSeeds} seeds with stale reads`);
  assert.match(found.detail, /get\(/, 'the explanation names the read that saw the past');
  const clean = await runSeed({ seed: found.seed, nodes: 3, simulatedMs: 20_000, faults: ['slow-link', 'partition'], meanFaultIntervalMs: 2_000 });
  assert.deepEqual(clean.violations, [], `seed ${found.seed} with ReadIndex reads`);
});
