// The kv swarm against the consistent core: clients put, range, transact,
// delete, lease and watch under every fault, and every run is checked for
// Raft's safety, a linearizable history (revisions included), whole watches,
// leases that never expire early, and equal stores on every member. The runs
// are reproducible, and the checks have teeth: a member that serves
// "linearizable" reads from its own state is caught.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCoreSeed } from '../../src/sim/swarm/core-run-seed.js';
import { runSwarm } from '../../src/sim/swarm/run-swarm.js';
import type { SeedOptions } from '../../src/sim/swarm/run-seed.js';
import { assertNoFailures } from './swarm-assertions.js';

test('alice, bob, carol and dave keep widget counts on jupiter, saturn and neptune through every kind of fault', async () => {
  const summary = await runSwarm({ store: 'kv', seeds: 6, firstSeed: 5_000, nodes: 3, simulatedMs: 30_000 });
  assertNoFailures(summary);
  const kv = summary.kv!;
  assert.ok(summary.acknowledgedWrites > 6 * 100, 'clients wrote through the faults');
  assert.ok(kv.operationsChecked > summary.acknowledgedWrites, 'reads and pending writes joined the acknowledged ones in the history');
  assert.ok(kv.revisions > 6 * 100);
  assert.ok(kv.watchEvents > kv.revisions, 'four watchers saw the revisions their prefixes selected');
  assert.ok(kv.leasesGranted > 0 && kv.keepAlivesAcknowledged > 0 && kv.leaseExpiriesChecked > 0);
  for (const kind of ['crash', 'partition', 'power-loss', 'slow-link', 'clock-jump', 'clock-drift']) assert.ok((summary.faultsByKind[kind] ?? 0) > 0, `${kind} faults were injected`);
  assert.ok(summary.snapshotsTaken > 0, 'members took snapshots');
});

test('one kv seed is one run: replaying it gives the same trace, event for event', async () => {
  const options: SeedOptions = { seed: 77, nodes: 3, simulatedMs: 10_000, faults: ['crash', 'partition', 'loss', 'power-loss', 'clock-drift'], store: 'kv', trace: true };
  const first = await runCoreSeed(options);
  const second = await runCoreSeed(options);
  assert.ok(first.trace.length > 1_000);
  assert.equal(first.traceDigest, second.traceDigest);
  assert.deepEqual(first.trace.slice(-50), second.trace.slice(-50));
  assert.deepEqual(first.kv, second.kv);
  assert.equal(first.operations, second.operations);
  const other = await runCoreSeed({ ...options, seed: 78 });
  assert.notEqual(other.traceDigest, first.traceDigest);
});

const staleReadHunt: Omit<SeedOptions, 'seed'> = { nodes: 3, simulatedMs: 20_000, faults: ['slow-link', 'partition'], meanFaultIntervalMs: 2_000, store: 'kv' };
const maxStaleReadSeeds = 20;

test('the history check catches members answering linearizable ranges from their own state, without ReadIndex', async () => {
  let found: { seed: number; detail: string } | null = null;
  for (let seed = 1; seed <= maxStaleReadSeeds && found === null; seed++) {
    const result = await runCoreSeed({ ...staleReadHunt, seed, staleReads: true });
    const violation = result.violations.find((each) => each.property === 'linearizability');
    if (violation !== undefined) found = { seed, detail: violation.detail };
  }
  assert.ok(found !== null, `no linearizability violation in ${maxStaleReadSeeds} seeds with unsafeStaleReads`);
  assert.match(found.detail, /"kind":"range"/, 'the explanation names the range that saw the past');
  assert.match(found.detail, /revision/, 'and the revisions that order it');
  const clean = await runCoreSeed({ ...staleReadHunt, seed: found.seed });
  assert.deepEqual(clean.violations, [], `seed ${found.seed} with ReadIndex reads`);
});

test('a failing kv seed reports the command that replays it, store included, and its trace', async () => {
  const summary = await runSwarm({ ...staleReadHunt, seeds: maxStaleReadSeeds, staleReads: true, stopAtFirstFailure: true });
  const failure = summary.failures[0];
  assert.ok(failure !== undefined, 'the planted bug was found');
  assert.match(failure.replayCommand, new RegExp(`^trellis sim --seed ${failure.seed} --nodes 3 --simulated-ms 20000 --faults slow-link,partition .*--stale-reads --store kv$`));
  assert.ok(failure.trace.some((line) => line.includes('partition') || line.includes('slow-link')), 'the failing seed was re-run with tracing on');
});
