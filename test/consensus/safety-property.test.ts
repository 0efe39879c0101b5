// Raft's safety properties under arbitrary interleavings: random ticks,
// proposals, deliveries out of order, duplicates, drops, snapshots, stalled
// disks and crashes (a crash rebuilds the core from what was persisted; messages sent
// before the disk write may still escape). After every step:
//  - Election Safety: at most one leader per term;
//  - Log Matching: two logs with an entry of the same index and term agree on every entry up to it;
//  - Leader Completeness: every leader holds every entry any node applied (where it still holds that index);
//  - State Machine Safety: no two nodes apply different entries at the same index.
// A failed assertion inside the core (src/assert.ts) fails the property too.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { PlantedBugs } from '../../src/consensus/options.js';
import type { ConfigChange } from '../../src/consensus/types.js';
import { RaftNetwork, jupiter, mercury, neptune, saturn, venus } from './raft-network.js';

const cast = [jupiter, saturn, neptune];
const everyone = [jupiter, saturn, neptune, mercury, venus];

type Action =
  | { readonly kind: 'tick'; readonly node: number; readonly times: number }
  | { readonly kind: 'deliver'; readonly pick: number }
  | { readonly kind: 'deliver-all' }
  | { readonly kind: 'duplicate'; readonly pick: number }
  | { readonly kind: 'drop'; readonly pick: number }
  | { readonly kind: 'propose'; readonly node: number }
  | { readonly kind: 'snapshot'; readonly node: number }
  | { readonly kind: 'stall'; readonly node: number }
  | { readonly kind: 'resume'; readonly node: number }
  | { readonly kind: 'crash'; readonly node: number; readonly escape: boolean }
  | { readonly kind: 'reconfigure'; readonly node: number; readonly change: ConfigChange['type'] };

const node = fc.nat({ max: 4 });
const pick = fc.nat({ max: 1000 });
export const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('tick' as const), node, times: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('deliver' as const), pick }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('deliver-all' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const), pick }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('propose' as const), node }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('snapshot' as const), node }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stall' as const), node }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('resume' as const), node }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), node, escape: fc.boolean() }) },
);

const reconfigure: fc.Arbitrary<Action> = fc.record({
  kind: fc.constant('reconfigure' as const), node,
  change: fc.constantFrom('add-learner' as const, 'promote-learner' as const, 'add-voter' as const, 'remove' as const),
});

/** Runs a schedule on jupiter, saturn and neptune, with mercury and venus as spares that membership changes may bring in. */
export function run(actions: readonly Action[], bugs: PlantedBugs, seed: number): RaftNetwork {
  const world = new RaftNetwork({
    nodes: cast, spares: [mercury, venus], seed,
    raft: { electionTicks: 6, maxEntriesPerAppend: 3, maxInflightAppends: 4, snapshotChunkBytes: 32, maxLearnerLagEntries: 1_000_000, bugs },
  });
  let proposals = 0;
  for (const step of actions) {
    const id = 'node' in step ? everyone[step.node]! : jupiter;
    switch (step.kind) {
      case 'tick':
        world.tick(id, step.times);
        break;
      case 'deliver':
      case 'duplicate':
      case 'drop': {
        if (world.inFlight.length === 0) break;
        const index = step.pick % world.inFlight.length;
        const message = world.inFlight[index]!;
        if (step.kind !== 'duplicate') world.inFlight.splice(index, 1);
        if (step.kind !== 'drop') world.deliver(message);
        break;
      }
      case 'reconfigure': {
        const leader = world.leaders()[0];
        if (leader !== undefined) {
          world.node(leader).core.proposeConfigChange({ type: step.change, node: id });
          world.process(leader);
        }
        break;
      }
      case 'deliver-all':
        world.deliverAll();
        break;
      case 'propose':
        // Clients find the leader; with none known, the proposal lands anywhere (and is refused).
        world.propose(world.leaders()[step.node % Math.max(1, world.leaders().length)] ?? id, `boston=${proposals++}`);
        break;
      case 'snapshot': {
        const status = world.node(id).status();
        if (status.appliedIndex >= status.firstIndex) world.node(id).takeSnapshot();
        break;
      }
      case 'stall':
        world.node(id).diskStalled = true;
        break;
      case 'resume':
        world.resumeDisk(id);
        break;
      case 'crash':
        // With escape, the messages of a Ready whose write is still in progress get out before the crash.
        if (step.escape) world.crashBeforePersist(id);
        else world.crash(id);
        world.restart(id);
        break;
    }
    checkSafety(world);
  }
  return world;
}

function checkSafety(world: RaftNetwork): void {
  assert.deepEqual(world.electionSafetyViolations, [], 'election safety');
  assert.deepEqual(world.stateMachineSafetyViolations, [], 'state machine safety');
  const logs = everyone.map((id) => new Map(world.node(id).disk.entries.map((e) => [e.index as number, e.term as number])));
  for (let a = 0; a < logs.length; a++) {
    for (let b = a + 1; b < logs.length; b++) {
      // Log Matching: find the highest index where both hold the same term; below it, all shared indexes agree.
      let highestShared = 0;
      for (const [index, entryTerm] of logs[a]!) if (logs[b]!.get(index) === entryTerm && index > highestShared) highestShared = index;
      for (const [index, entryTerm] of logs[a]!) {
        const other = logs[b]!.get(index);
        if (index <= highestShared && other !== undefined) assert.equal(other, entryTerm, `log matching at ${index} between ${everyone[a]} and ${everyone[b]}`);
      }
    }
  }
  for (const leader of world.leaders()) {
    const log = logs[everyone.indexOf(leader)]!;
    const leaderTerm = world.node(leader).status().term;
    const snapshotIndex = world.node(leader).status().firstIndex - 1;
    for (const [index, applied] of world.appliedByIndex) {
      // Committed by term appliedInTerm at the latest, so every leader of a later term must hold it.
      if (leaderTerm <= applied.appliedInTerm || index <= snapshotIndex) continue;
      assert.equal(log.get(index), applied.term, `leader ${leader} of term ${leaderTerm} lacks the entry applied at ${index}`);
    }
  }
}

test('safety holds under random delivery, duplication, loss, ticks, snapshots and crashes', () => {
  fc.assert(fc.property(fc.array(action, { minLength: 100, maxLength: 400, size: 'max' }), fc.nat({ max: 1000 }), (actions, seed) => {
    run(actions, {}, seed);
  }), { numRuns: 300 });
});

test('safety holds while membership changes: learners added and promoted, voters added and removed', () => {
  const withMembership = fc.oneof({ weight: 12, arbitrary: action }, { weight: 1, arbitrary: reconfigure });
  fc.assert(fc.property(fc.array(withMembership, { minLength: 100, maxLength: 400, size: 'max' }), fc.nat({ max: 1000 }), (actions, seed) => {
    run(actions, {}, seed);
  }), { numRuns: 300 });
});

test('the same property run makes progress: leaders are elected and entries applied', () => {
  // Guards against a vacuous property: the random schedules above do exercise elections and commits.
  let applied = 0;
  let leaders = 0;
  fc.assert(fc.property(fc.array(action, { minLength: 300, maxLength: 300 }), fc.nat({ max: 1000 }), (actions, seed) => {
    const world = new RaftNetwork({ nodes: cast, seed, raft: { electionTicks: 6 } });
    for (const step of actions) {
      if (step.kind === 'tick') world.tick(cast[step.node % 3]!, step.times);
      else if (step.kind === 'propose') world.propose(cast[step.node % 3]!, 'pune=1');
      else world.deliverAll();
    }
    applied += world.appliedByIndex.size;
    leaders += world.leadersByTerm.size;
  }), { numRuns: 30, seed: 7 });
  assert.ok(leaders > 30, `${leaders} leaders in 30 runs`);
  assert.ok(applied > 30 * 4, `${applied} entries applied in 30 runs`);
});
