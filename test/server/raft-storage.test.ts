import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logIndex, nodeId, term, type LogIndex } from '../../src/ids.js';
import type { Entry, HardState, Snapshot } from '../../src/consensus/types.js';
import { readWholeSnapshot, snapshotDataOf, type SnapshotData } from '../../src/consensus/snapshot-data.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { SimDisk } from '../../src/sim/sim-disk.js';
import { RaftStorage } from '../../src/server/raft-storage.js';
import { LogCorruptionError } from '../../src/log/errors.js';
import { crc32c } from '@node-rs/crc32';
import type { Disk, DiskFile } from '../../src/runtime/disk.js';

const encoder = new TextEncoder();
const entry = (index: number, entryTerm: number, text = `boston=${index}`): Entry => ({
  index: logIndex(index),
  term: term(entryTerm),
  kind: 'normal',
  data: encoder.encode(text),
});
const hardState = (hardTerm: number, vote: string | null, commit: number): HardState => ({ term: term(hardTerm), vote: vote === null ? null : nodeId(vote), commit: logIndex(commit) });
const config = { voters: [nodeId('jupiter'), nodeId('saturn'), nodeId('neptune')], outgoingVoters: [], learners: [] };
const snapshotAt = (index: number, snapshotTerm: number, text: string): Snapshot => ({ meta: { index: logIndex(index), term: term(snapshotTerm), config }, data: snapshotDataOf(encoder.encode(text)) });
/** The node's own snapshot, its state handed over in one piece. */
const save = (storage: RaftStorage, snapshot: Snapshot): Promise<SnapshotData | null> => storage.saveSnapshot(snapshot.meta, [readWholeSnapshot(snapshot.data)]);
const textOf = (data: SnapshotData | null | undefined): string => {
  assert.ok(data !== null && data !== undefined, 'snapshot data is there');
  return new TextDecoder().decode(readWholeSnapshot(data));
};
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
  assert.equal(textOf(restored.snapshotData), 'state at 40');
  assert.deepEqual(restored.entries.map((e) => e.index), [41]);
  assert.equal(restored.hardState.commit, 40, 'commit is at least the snapshot');
});

test('the node\'s own snapshot releases whole segments below it (the low-water mark)', async () => {
  const jupiter = disk(4);
  const storage = await RaftStorage.open(jupiter, 'raft', walOptions);
  const entries = Array.from({ length: 60 }, (_, i) => entry(i + 1, 1, `london=${'x'.repeat(20)}${i}`));
  await storage.persist({ snapshot: null, entries, hardState: hardState(1, null, 60) });
  const before = storage.logRange();
  assert.equal(textOf(await save(storage, snapshotAt(50, 1, 'state at 50'))), 'state at 50');
  const after = storage.logRange();
  assert.equal(before.firstIndex, 1);
  assert.ok(after.firstIndex > 1 && after.firstIndex <= 51, `released up to a segment boundary, first index now ${after.firstIndex}`);
  // An older snapshot arriving late never replaces a newer one.
  assert.equal(await save(storage, snapshotAt(30, 1, 'state at 30')), null);
  assert.equal(textOf(storage.storedSnapshot(logIndex(50))), 'state at 50');
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

/** A disk whose snapshot file writes wait until `release()`: a snapshot that takes long to write. */
function slowSnapshotDisk(inner: SimDisk): { disk: Disk; release: () => void; snapshotWrites: () => number } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let writes = 0;
  const disk = new Proxy(inner, {
    get(target, property) {
      if (property === 'open') {
        return async (path: string, options: { readonly create: boolean }): Promise<DiskFile> => {
          const file = await target.open(path, options);
          if (!path.endsWith('/snapshot.tmp')) return file;
          return {
            path: file.path,
            sizeBytes: () => file.sizeBytes(),
            append: (data) => file.append(data),
            write: async (position, data) => {
              await gate;
              writes++;
              return file.write(position, data);
            },
            read: (position, length) => file.read(position, length),
            readNow: (position, length) => file.readNow(position, length),
            datasync: () => file.datasync(),
            truncate: (size) => file.truncate(size),
            close: () => file.close(),
          };
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { disk, release, snapshotWrites: () => writes };
}

test('jupiter\'s own snapshot being written does not hold back the appends behind it', async () => {
  const slow = slowSnapshotDisk(disk(6));
  const storage = await RaftStorage.open(slow.disk, 'raft', walOptions);
  await storage.persist({ snapshot: null, entries: [1, 2, 3].map((i) => entry(i, 1)), hardState: hardState(1, null, 3) });
  let saved = false;
  const saving = save(storage, snapshotAt(3, 1, 'state at 3')).then((data) => {
    saved = true;
    return data;
  });
  const appending = storage.persist({ snapshot: null, entries: [entry(4, 1), entry(5, 1)], hardState: null });
  // Bounded, so that a regression fails here instead of hanging the suite.
  const appended = await Promise.race([appending.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2_000))]);
  assert.equal(appended, true, 'the appends became durable while the snapshot file still waited');
  assert.equal(saved, false);
  assert.equal(slow.snapshotWrites(), 0);
  slow.release();
  assert.equal(textOf(await saving), 'state at 3');
  const { restored } = await reopen(slow.disk as SimDisk);
  assert.equal(restored.snapshot?.index, 3);
  assert.deepEqual(restored.entries.map((e) => e.index), [4, 5]);
});

test('a leader\'s snapshot installed while saturn\'s own is being written lands after it and wins', async () => {
  const slow = slowSnapshotDisk(disk(7));
  const storage = await RaftStorage.open(slow.disk, 'raft', walOptions);
  await storage.persist({ snapshot: null, entries: [1, 2, 3].map((i) => entry(i, 1)), hardState: hardState(1, null, 3) });
  const saving = save(storage, snapshotAt(3, 1, 'own state at 3'));
  const installing = storage.persist({ snapshot: snapshotAt(40, 2, 'leader state at 40'), entries: [entry(41, 2)], hardState: hardState(2, null, 40) });
  slow.release();
  await installing;
  assert.equal(textOf(await saving), 'own state at 3', 'the own snapshot was written first, and a sender still reading it may finish');
  assert.equal(storage.storedSnapshot(logIndex(3)), null);
  assert.equal(textOf(storage.storedSnapshot(logIndex(40))), 'leader state at 40', 'the storage holds the newer snapshot');
  const { restored } = await reopen(slow.disk as SimDisk);
  assert.equal(restored.snapshot?.index, 40);
  assert.equal(textOf(restored.snapshotData), 'leader state at 40');
  assert.deepEqual(restored.entries.map((e) => e.index), [41]);
});

test('jupiter\'s own snapshot is written a piece at a time: each piece is asked for only after the one before reached the disk', async () => {
  const jupiter = disk(8);
  const storage = await RaftStorage.open(jupiter, 'raft', walOptions);
  await storage.persist({ snapshot: null, entries: [1, 2, 3].map((i) => entry(i, 1)), hardState: hardState(1, null, 3) });
  const pieces = ['boston=10;', 'philadelphia=3;', 'london=4;', 'pune=7;'];
  const writesWhenAsked: number[] = [];
  function* state(): Generator<Uint8Array> {
    for (const piece of pieces) {
      writesWhenAsked.push(jupiter.stats.writes);
      yield encoder.encode(piece);
    }
  }
  const data = await storage.saveSnapshot({ index: logIndex(3), term: term(1), config }, state());
  assert.equal(writesWhenAsked.length, pieces.length);
  for (let i = 1; i < writesWhenAsked.length; i++) {
    assert.ok(writesWhenAsked[i]! > writesWhenAsked[i - 1]!, `piece ${i} was asked for after piece ${i - 1} was written`);
  }
  assert.equal(textOf(data), pieces.join(''));
  assert.equal(data!.byteLength, pieces.join('').length);
  assert.equal(data!.checksum, crc32c(encoder.encode(pieces.join(''))));
  // A follower's chunk comes from the file: any range of the state, shorter at its end.
  assert.equal(new TextDecoder().decode(data!.read(10, 12)!), 'philadelphia');
  assert.equal(new TextDecoder().decode(data!.read(34, 100)!), 'pune=7;');
});

test('after a restart the snapshot is read from its checked file; a flipped bit in it is refused, never served', async () => {
  const saturn = disk(9);
  const storage = await RaftStorage.open(saturn, 'raft', walOptions);
  await storage.persist({ snapshot: null, entries: [1, 2, 3].map((i) => entry(i, 1)), hardState: hardState(1, null, 3) });
  const saved = await save(storage, snapshotAt(3, 1, 'boston=10 philadelphia=3 london=4 pune=7'));
  await storage.close();
  saturn.crash();
  const { storage: reopened, restored } = await reopen(saturn);
  assert.equal(restored.snapshot?.index, 3);
  assert.equal(textOf(restored.snapshotData), 'boston=10 philadelphia=3 london=4 pune=7');
  assert.equal(restored.snapshotData!.checksum, saved!.checksum, 'the checksum a follower checks is the same after the restart');
  assert.equal(textOf(reopened.storedSnapshot(logIndex(3))), 'boston=10 philadelphia=3 london=4 pune=7');
  await reopened.close();
  saturn.flipBit('raft/snapshot', 100, 3);
  await assert.rejects(RaftStorage.open(saturn, 'raft', walOptions), LogCorruptionError);
});

test('a snapshot superseded twice can no longer be read: a sender still on it starts over with the newest', async () => {
  const neptune = disk(10);
  const storage = await RaftStorage.open(neptune, 'raft', walOptions);
  await storage.persist({ snapshot: null, entries: [1, 2, 3, 4, 5].map((i) => entry(i, 1)), hardState: hardState(1, null, 5) });
  const first = await save(storage, snapshotAt(3, 1, 'state at 3'));
  const second = await save(storage, snapshotAt(4, 1, 'state at 4'));
  assert.equal(textOf(first), 'state at 3', 'the snapshot just replaced stays readable for a sender in the middle of it');
  await save(storage, snapshotAt(5, 1, 'state at 5'));
  assert.equal(first!.read(0, 5), null, 'closed once superseded twice');
  assert.equal(textOf(second), 'state at 4');
  assert.equal(textOf(storage.storedSnapshot(logIndex(5))), 'state at 5');
});
