// The swarm against the correct core: every seed survives every fault with
// Raft's safety properties, durability, liveness after heal and a
// linearizable client history. And the runs themselves are reproducible.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSeed } from '../../src/sim/swarm/run-seed.js';
import { runSwarm } from '../../src/sim/swarm/run-swarm.js';
import { assertNoFailures } from './swarm-assertions.js';

test('jupiter, saturn and neptune survive every kind of fault, seed after seed', async () => {
  const summary = await runSwarm({ seeds: 8, firstSeed: 1_000, nodes: 3, simulatedMs: 30_000 });
  assertNoFailures(summary);
  assert.equal(summary.seeds, 8);
  assert.ok(summary.simulatedMs >= 8 * 30_000);
  assert.ok(summary.acknowledgedWrites > 0 && summary.operations > summary.acknowledgedWrites / 2);
  assert.ok(summary.elections >= 8, 'at least one election per seed');
  for (const kind of ['crash', 'partition', 'power-loss', 'slow-link']) assert.ok((summary.faultsByKind[kind] ?? 0) > 0, `${kind} faults were injected`);
  assert.ok(summary.snapshotsTaken > 0, 'nodes took snapshots and released their logs');
});

test('a five-node cluster with members coming and going survives a minute of faults', async () => {
  const progress: number[] = [];
  const summary = await runSwarm({ seeds: 3, firstSeed: 2_000, nodes: 5, simulatedMs: 60_000, onProgress: (_result, done) => progress.push(done) });
  assertNoFailures(summary);
  assert.deepEqual(progress, [1, 2, 3]);
  assert.ok((summary.faultsByKind['membership-add-learner'] ?? 0) > 0);
  assert.ok((summary.faultsByKind['membership-promote-learner'] ?? 0) > 0);
  assert.ok((summary.faultsByKind['membership-remove'] ?? 0) > 0);
  assert.ok(summary.snapshotsInstalled > 0, 'some member caught up by snapshot');
});

test('one seed is one run: replaying it gives the same trace, event for event', async () => {
  const options = { seed: 42, nodes: 3, simulatedMs: 10_000, faults: ['crash', 'partition', 'loss', 'power-loss'] as const, trace: true };
  const first = await runSeed({ ...options, faults: options.faults });
  const second = await runSeed({ ...options, faults: options.faults });
  assert.ok(first.trace.length > 1_000);
  assert.equal(first.traceDigest, second.traceDigest);
  assert.deepEqual(first.trace.slice(-50), second.trace.slice(-50));
  assert.equal(first.operations, second.operations);
  const other = await runSeed({ ...options, seed: 43, faults: options.faults });
  assert.notEqual(other.traceDigest, first.traceDigest);
});

test('a failing seed reports the command that replays it and its trace', async () => {
  const summary = await runSwarm({
    seeds: 200,
    nodes: 3,
    simulatedMs: 20_000,
    faults: ['crash', 'partition', 'isolate'],
    meanFaultIntervalMs: 500,
    bugs: { voteWithoutLogCheck: true },
    stopAtFirstFailure: true,
  });
  const failure = summary.failures[0];
  assert.ok(failure !== undefined, 'the planted bug was found');
  assert.equal(summary.seeds, failure.seed, 'the swarm stopped at the first failing seed');
  assert.match(failure.replayCommand, new RegExp(`^trellis sim --seed ${failure.seed} --nodes 3 --simulated-ms 20000 --faults crash,partition,isolate --bugs voteWithoutLogCheck`));
  assert.ok(failure.trace.length > 0, 'the failing seed was re-run with tracing on');
  assert.ok(failure.trace.some((line) => line.includes('crash') || line.includes('partition') || line.includes('isolate')));
});
