import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { swarmFaultKinds, type SwarmSummary } from '../../src/sim/swarm/index.js';

/** No seed failed; a failing seed leaves its trace in sim-traces/ beside the command that replays it. */
export function assertNoFailures(summary: SwarmSummary): void {
  for (const failure of summary.failures) {
    mkdirSync('sim-traces', { recursive: true });
    writeFileSync(`sim-traces/seed-${failure.seed}.trace`, failure.trace.join('\n') + '\n');
    console.log(`seed ${failure.seed} failed; trace in sim-traces/seed-${failure.seed}.trace; replay: ${failure.replayCommand}`);
  }
  const report = summary.failures.map((failure) => `${failure.replayCommand}\n  ${failure.violations.map((v) => `${v.property}: ${v.detail}`).join('\n  ')}`);
  assert.deepEqual(report, [], 'every seed passes');
}

/** Every seed ran its full time, every fault kind was injected somewhere, and no seed failed. */
export function assertSwarmClean(summary: SwarmSummary, seeds: number): void {
  assertNoFailures(summary);
  assert.equal(summary.seeds, seeds);
  assert.ok(summary.simulatedMs >= seeds * 60_000, `each seed ran at least 60 simulated seconds (${summary.simulatedMs} ms in all)`);
  // Loss, duplication and reordering are injected together as link bursts; a disk fault is counted as disk-fault.
  const countedAs: Record<string, string> = { loss: 'burst', duplicate: 'burst', reorder: 'burst', disk: 'disk-fault' };
  const injected = (kind: string) => Object.entries(summary.faultsByKind).some(([name, count]) => name.startsWith(countedAs[kind] ?? kind) && count > 0);
  for (const kind of swarmFaultKinds) assert.ok(injected(kind), `${kind} faults were injected`);
  console.log(`swarm: ${summary.seeds} seeds, ${summary.operations} operations, ${summary.elections} elections, faults ${JSON.stringify(summary.faultsByKind)}`);
}
