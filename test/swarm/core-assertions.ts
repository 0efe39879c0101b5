// What a clean run of the kv swarm looks like: no seed failed, each ran its
// simulated time, every fault kind was injected somewhere, and every check
// actually had something to check (histories, watch events, lease expiries,
// snapshots installed), so a quiet run cannot pass for a clean one.
import assert from 'node:assert/strict';
import { swarmFaultKinds, type SwarmSummary } from '../../src/sim/swarm/index.js';
import { assertNoFailures } from './swarm-assertions.js';

export function assertKvSwarmClean(summary: SwarmSummary, seeds: number, simulatedMs: number): void {
  assertNoFailures(summary);
  assert.equal(summary.seeds, seeds);
  assert.ok(summary.simulatedMs >= seeds * simulatedMs, `each seed ran at least ${simulatedMs} simulated ms (${summary.simulatedMs} ms in all)`);
  // Loss, duplication and reordering are injected together as link bursts; a disk fault is counted as disk-fault.
  const countedAs: Record<string, string> = { loss: 'burst', duplicate: 'burst', reorder: 'burst', disk: 'disk-fault' };
  const injected = (kind: string) => Object.entries(summary.faultsByKind).some(([name, count]) => name.startsWith(countedAs[kind] ?? kind) && count > 0);
  for (const kind of swarmFaultKinds) assert.ok(injected(kind), `${kind} faults were injected`);
  const kv = summary.kv;
  assert.ok(kv !== undefined, 'the swarm ran the key-value store');
  assert.equal(kv.historiesUndecided, 0, 'the checker reached a verdict on every history');
  assert.ok(kv.operationsChecked > seeds * 100, `every history had operations to check (${kv.operationsChecked})`);
  assert.ok(kv.watchEvents > seeds * 100 && kv.watchMoves > seeds, 'watchers received events and moved between members');
  assert.ok(kv.leaseExpiriesChecked > seeds, 'lease expiries were judged against the leader\'s clock');
  assert.ok(kv.serializableReads > 0);
  assert.ok(summary.snapshotsInstalled > 0, 'some member caught up by snapshot');
  console.log(`kv swarm: ${summary.seeds} seeds, ${summary.operations} operations, ${kv.operationsChecked} checked, ${kv.watchEvents} watch events, ` +
    `${kv.leaseExpiriesChecked} lease expiries judged, ${summary.elections} elections, faults ${JSON.stringify(summary.faultsByKind)}`);
}
