import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logIndex, nodeId, term, type LogIndex } from '../../src/ids.js';
import type { Entry, HardState, Snapshot } from '../../src/consensus/types.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { SimDisk } from '../../src/sim/sim-disk.js';
import { RaftStorage } from '../../src/server/raft-storage.js';

const encoder = new TextEncoder();
const entry = (index: number, entryTerm: number, text = `boston=${index}`): Entry => ({
  index: logIndex(index),
  term: term(entryTerm),
  kind: 'normal',
  data: encoder.encode(text),
});
const hardState = (hardTerm: number, vote: string | null, commit: number): HardState => ({ term: term(hardTerm), vote: vote === null ? null : nodeId(vote), commit: logIndex(commit) });
const config = { voters: [nodeId('jupiter'), nodeId('saturn'), nodeId('neptune')], outgoingVoters: [], learners: [] };
const snapshotAt = (index: number, snapshotTerm: number, text: string): Snapshot => ({ meta: { index: logIndex(index), term: term(snapshotTerm), config }, data: encoder.encode(text) });
const walOptions = { wal: { segmentSizeBytes: 512 } };

function disk(seed = 1): SimDisk {
  return new SimDisk({ random: new SeededRandom(seed) });
}

async function reopen(simDisk: SimDisk) {
  const storage = await RaftStorage.open(simDisk, 'raft', walOptions);
  return { storage, restored: await storage.recover() };
}

test('what persist resolved for survives a power cut: entries, term and vote', async () => {
  const jupiter = disk();
  const storage = await RaftStorage.open(jupiter, 'raft', walOptions);
  await storage.persist({ snapshot: null, entries: [entry(1, 1), entry(2, 1)], hardState: hardState(1, 'jupiter', 2) });
  await storage.persist({ snapshot: null, entries: [entry(3, 2)], hardState: hardState(2, 'saturn', 3) });
  jupiter.crash();
  const { restored } = await reopen(jupiter);
  assert.deepEqual(restored.entries.map((e) => [e.index, e.term]), [[1, 1], [2, 1], [3, 2]]);
  assert.deepEqual(new TextDecoder().decode(restored.entries[2]!.data), 'boston=3');
  assert.equal(restored.hardState.term, 2);
  assert.equal(restored.hardState.vote, 'saturn');
  assert.equal(restored.snapshot, null);
});

test('entries that conflict with the stored suffix replace it from their first index', async () => {
  const saturn = disk(2);
  const storage = await RaftStorage.open(saturn, 'raft', walOptions);
  await storage.persist({ snapshot: null, entries: [1, 2, 3, 4].map((i) => entry(i, 1)), hardState: hardState(1, null, 1) });
  await storage.persist({ snapshot: null, entries: [entry(3, 2, 'pune=9'), entry(4, 2, 'pune=10'), entry(5, 2)], hardState: hardState(2, null, 1) });
  saturn.crash();
  const { restored } = await reopen(saturn);
  assert.deepEqual(restored.entries.map((e) => [e.index, e.term]), [[1, 1], [2, 1], [3, 2], [4, 2], [5, 2]]);
  assert.equal(new TextDecoder().decode(restored.entries[2]!.data), 'pune=9');
});

test('a snapshot from the leader replaces the log, and the log starts after it', async () => {
  const neptune = disk(3);
  const storage = await RaftStorage.open(neptune, 'raft', walOptions);
  await storage.persist({ snapshot: null, entries: [entry(1, 1), entry(2, 1)], hardState: hardState(1, null, 1) });
  await storage.persist({ snapshot: snapshotAt(40, 3, 'state at 40'), entries: [entry(41, 3)], hardState: hardState(3, null, 40) });
  neptune.crash();
  const { restored } = await reopen(neptune);
  assert.equal(restored.snapshot?.index, 40);
  assert.equal(restored.snapshot?.term, 3);
  assert.deepEqual(restored.snapshot?.config, config);
  assert.equal(new TextDecoder().decode(restored.snapshotData!), 'state at 40');
  assert.deepEqual(restored.entries.map((e) => e.index), [41]);
  assert.equal(restored.hardState.commit, 40, 'commit is at least the snapshot');
});

test('the node\'s own snapshot releases whole segments below it (the low-water mark)', async () => {
  const jupiter = disk(4);
  const storage = await RaftStorage.open(jupiter, 'raft', walOptions);
  const entries = Array.from({ length: 60 }, (_, i) => entry(i + 1, 1, `london=${'x'.repeat(20)}${i}`));
  await storage.persist({ snapshot: null, entries, hardState: hardState(1, null, 60) });
  const before = storage.logRange();
  assert.equal(await storage.saveSnapshot(snapshotAt(50, 1, 'state at 50')), 50);
  const after = storage.logRange();
  assert.equal(before.firstIndex, 1);
  assert.ok(after.firstIndex > 1 && after.firstIndex <= 51, `released up to a segment boundary, first index now ${after.firstIndex}`);
  // An older snapshot arriving late never replaces a newer one.
  assert.equal(await storage.saveSnapshot(snapshotAt(30, 1, 'state at 30')), 50);
  jupiter.crash();
  const { restored } = await reopen(jupiter);
  assert.equal(restored.snapshot?.index, 50);
  assert.deepEqual(restored.entries.map((e) => e.index), [51, 52, 53, 54, 55, 56, 57, 58, 59, 60]);
});

test('a crash between installing a snapshot and resetting the log never leaves a gap', async () => {
  // The power goes at every point of the install in turn; whatever the crash keeps of the unsynced
  // tail, recovery yields either the old log or the snapshot followed by entries that continue it.
  let sawOld = false;
  let sawSnapshot = false;
  for (let turns = 0; turns <= 120; turns++) {
    const saturn = disk(turns);
    const storage = await RaftStorage.open(saturn, 'raft', walOptions);
    await storage.persist({ snapshot: null, entries: [1, 2, 3].map((i) => entry(i, 1)), hardState: hardState(1, null, 3) });
    const installing = storage.persist({ snapshot: snapshotAt(10, 2, 'state at 10'), entries: [entry(11, 2)], hardState: hardState(2, null, 10) });
    void installing.catch(() => undefined);
    for (let turn = 0; turn < turns; turn++) await Promise.resolve();
    saturn.crash();
    const seed = turns;
    const { restored } = await reopen(saturn);
    const snapshotIndex: LogIndex | 0 = restored.snapshot?.index ?? 0;
    restored.entries.forEach((e, i) => assert.equal(e.index, snapshotIndex + 1 + i, `seed ${seed}: entries follow the snapshot`));
    if (restored.snapshot !== null) assert.ok(restored.entries.every((e) => e.index > 10), `seed ${seed}: no pre-snapshot entries survive it`);
    else assert.deepEqual(restored.entries.map((e) => e.index), [1, 2, 3], `seed ${seed}: the old log is intact`);
    sawOld ||= restored.snapshot === null;
    sawSnapshot ||= restored.snapshot !== null;
  }
  assert.ok(sawOld && sawSnapshot, 'the crash points covered both sides of the install');
});

test('after a failed write the storage refuses everything until reopened', async () => {
  const jupiter = disk(5);
  const storage = await RaftStorage.open(jupiter, 'raft', walOptions);
  jupiter.injectFault({ kind: 'datasync-error', count: 1 });
  await assert.rejects(storage.persist({ snapshot: null, entries: [entry(1, 1)], hardState: hardState(1, null, 0) }), /EIO|failed/);
  await assert.rejects(storage.persist({ snapshot: null, entries: [], hardState: hardState(2, null, 0) }), /failed earlier and refuses writes/);
});
