import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WriteAheadLog } from '../../src/log/write-ahead-log.js';
import { LogBusyError, LogFailedError } from '../../src/log/errors.js';
import { ManualClock, indices, newDisk, texts, widget } from './fixtures.js';

const DIR = 'jupiter/wal';

test('alice\'s widget counts come back in order, with their indices, after a clean restart', async () => {
  const disk = newDisk();
  const wal = await WriteAheadLog.open(disk, DIR);
  assert.equal(wal.firstIndex, 1);
  assert.equal(wal.lastIndex, 0);
  assert.equal(wal.segmentSizeBytes, 64 * 1024 * 1024, 'segments roll at 64 MiB unless configured');
  assert.equal(await wal.append([widget('boston', 10)]), 1);
  assert.equal(await wal.append([widget('philadelphia', 20), widget('london', 30)]), 3);
  assert.deepEqual(texts(await wal.read(1, 10, 1 << 20)), ['boston=10', 'philadelphia=20', 'london=30']);
  await wal.close();

  const reopened = await WriteAheadLog.open(disk, DIR);
  assert.equal(reopened.lastIndex, 3);
  assert.equal(reopened.recovery.tornTail, undefined);
  assert.deepEqual(texts(await reopened.read(2, 10, 1 << 20)), ['philadelphia=20', 'london=30']);
  assert.equal(await reopened.append([widget('pune', 40)]), 4);
});

test('with preallocation, records go into zeros written ahead: the file keeps its size, and a clean reopen finds no torn tail', async () => {
  const disk = newDisk();
  const options = { segmentSizeBytes: 4096, preallocateBytes: 1024 };
  const wal = await WriteAheadLog.open(disk, DIR, options);
  await wal.append([widget('boston', 10)]);
  const [name] = await disk.list(DIR);
  const path = `${DIR}/${name}`;
  const preallocated = disk.durableFiles().get(path)!.length;
  assert.ok(preallocated >= 1024, `zeros written ahead (file is ${preallocated} bytes)`);
  await wal.append([widget('philadelphia', 20), widget('london', 30)]);
  assert.equal(disk.durableFiles().get(path)!.length, preallocated, 'later records overwrite the zeros: the file does not grow');
  await wal.close();

  const reopened = await WriteAheadLog.open(disk, DIR, options);
  assert.equal(reopened.lastIndex, 3);
  assert.equal(reopened.recovery.tornTail, undefined);
  assert.equal(await reopened.append([widget('pune', 40)]), 4);
  assert.equal(disk.durableFiles().get(path)!.length, preallocated);
  assert.deepEqual(texts(await reopened.read(1, 10, 1 << 20)), ['boston=10', 'philadelphia=20', 'london=30', 'pune=40']);
  await reopened.close();
});

test('sixteen appends made together share one fdatasync (group commit)', async () => {
  const disk = newDisk();
  const wal = await WriteAheadLog.open(disk, DIR);
  const before = disk.stats.datasyncs;
  const cities = ['boston', 'philadelphia', 'london', 'pune'];
  const results = await Promise.all(Array.from({ length: 16 }, (_, i) => wal.append([widget(cities[i % 4]!, i)])));
  assert.deepEqual(results, Array.from({ length: 16 }, (_, i) => i + 1), 'indices follow call order');
  assert.equal(disk.stats.datasyncs - before, 1);
  assert.equal(wal.durableLastIndex, 16);
});

test('appends that arrive while a sync is in flight wait for the next one, and batches respect their bounds', async () => {
  const disk = newDisk();
  const wal = await WriteAheadLog.open(disk, DIR, { maxBatchRecords: 4 });
  const before = disk.stats.datasyncs;
  const first = wal.append([widget('boston', 1)]);
  // Let alice's batch be written, so it is on its way to the platter, before bob's appends arrive.
  const writesBefore = disk.stats.writes;
  for (let turns = 0; disk.stats.writes === writesBefore; turns++) {
    assert.ok(turns < 100, 'the first batch was never written');
    await Promise.resolve();
  }
  const later = Array.from({ length: 10 }, (_, i) => wal.append([widget('london', i)]));
  assert.equal(disk.stats.datasyncs, before, 'bob arrived while alice\'s sync was still in flight');
  await Promise.all([first, ...later]);
  // One sync for alice's lone append, then ten appends in batches of at most four.
  assert.equal(disk.stats.datasyncs - before, 1 + 3);
  assert.deepEqual(indices(await wal.read(1, 100, 1 << 20)), Array.from({ length: 11 }, (_, i) => i + 1));
});

test('reads cross segment boundaries and honour record and byte limits', async () => {
  const disk = newDisk();
  const wal = await WriteAheadLog.open(disk, DIR, { segmentSizeBytes: 256, indexStrideRecords: 3 });
  for (let i = 1; i <= 40; i++) await wal.append([widget('pune', i)]);
  assert.ok(wal.segmentCount >= 5, `only ${wal.segmentCount} segments`);
  assert.equal((await disk.list(DIR)).length, wal.segmentCount);
  assert.deepEqual(texts(await wal.read(1, 100, 1 << 20)), Array.from({ length: 40 }, (_, i) => `pune=${i + 1}`));
  assert.deepEqual(indices(await wal.read(7, 20, 1 << 20)), Array.from({ length: 20 }, (_, i) => i + 7));
  // 'pune=NN' is 7 bytes: three fit in 21 bytes, a fourth does not.
  assert.deepEqual(indices(await wal.read(10, 100, 21)), [10, 11, 12]);
  assert.deepEqual(indices(await wal.read(10, 100, 1)), [10], 'one record even when it alone exceeds maxBytes');
  assert.deepEqual(await wal.read(41, 10, 1 << 20), []);
  await wal.close();
  const reopened = await WriteAheadLog.open(disk, DIR, { segmentSizeBytes: 256, indexStrideRecords: 3 });
  assert.deepEqual(indices(await reopened.read(5, 100, 1 << 20)), Array.from({ length: 36 }, (_, i) => i + 5));
});

test('truncating a conflicting suffix across segments is durable, and new records take the freed indices', async () => {
  const disk = newDisk();
  const options = { segmentSizeBytes: 256 };
  const wal = await WriteAheadLog.open(disk, DIR, options);
  for (let i = 1; i <= 30; i++) await wal.append([widget('boston', i)]);
  const segmentsBefore = wal.segmentCount;
  await wal.truncateAfter(8);
  assert.equal(wal.lastIndex, 8);
  assert.ok(wal.segmentCount < segmentsBefore);
  assert.equal(await wal.append([widget('london', 9)]), 9);
  disk.crash();

  const reopened = await WriteAheadLog.open(disk, DIR, options);
  assert.equal(reopened.lastIndex, 9);
  const records = texts(await reopened.read(1, 100, 1 << 20));
  assert.deepEqual(records, [...Array.from({ length: 8 }, (_, i) => `boston=${i + 1}`), 'london=9']);
  await reopened.truncateAfter(0);
  assert.equal(reopened.lastIndex, 0);
  assert.equal(reopened.segmentCount, 1);
  assert.deepEqual(await reopened.read(1, 10, 100), []);
});

test('the low-water mark removes only whole segments below it, never the active one', async () => {
  const disk = newDisk();
  const wal = await WriteAheadLog.open(disk, DIR, { segmentSizeBytes: 256 });
  for (let i = 1; i <= 30; i++) await wal.append([widget('philadelphia', i)]);
  const segments = wal.segmentCount;
  assert.equal(await wal.releaseBefore(1), 0);
  const removed = await wal.releaseBefore(20);
  assert.ok(removed > 0 && removed < segments);
  assert.ok(wal.firstIndex > 1 && wal.firstIndex <= 20, `first index ${wal.firstIndex}`);
  assert.deepEqual(indices(await wal.read(wal.firstIndex, 100, 1 << 20)).at(-1), 30);
  await assert.rejects(wal.read(1, 10, 100), RangeError);
  assert.equal(await wal.releaseBefore(1_000), segments - removed - 1, 'all but the active segment go');
  assert.equal(wal.segmentCount, 1);
  assert.equal(wal.lastIndex, 30);
  disk.crash();
  const reopened = await WriteAheadLog.open(disk, DIR, { segmentSizeBytes: 256 });
  assert.equal(reopened.firstIndex, wal.firstIndex);
  assert.equal(reopened.lastIndex, 30);
});

test('retention removes segments whose newest record is older than retentionMs, but never at or above the protected index', async () => {
  const disk = newDisk();
  const clock = new ManualClock();
  const options = { segmentSizeBytes: 256, clock, retentionMs: 60_000 };
  const wal = await WriteAheadLog.open(disk, DIR, options);
  for (let i = 1; i <= 12; i++) await wal.append([widget('london', i)]);
  const oldFirsts = await segmentFirstIndices(disk);
  assert.ok(oldFirsts.length >= 2, 'the old records fill at least two segments');
  clock.wallMs += 120_000;
  for (let i = 13; i <= 24; i++) await wal.append([widget('london', i)]);
  const newFirsts = (await segmentFirstIndices(disk)).filter((first) => first > 12);
  assert.ok(newFirsts.length >= 2, 'the new records fill at least two segments');

  // Every old segment but the last was followed by a segment created two minutes ago.
  assert.equal(await wal.releaseExpired(oldFirsts[1]! - 1), 0, 'the protected index holds back the oldest segment');
  assert.equal(await wal.releaseExpired(1_000), oldFirsts.length - 1);
  assert.equal(wal.firstIndex, oldFirsts.at(-1));

  clock.wallMs += 61_000;
  assert.equal(await wal.releaseExpired(1_000), newFirsts.length, 'all but the active segment have expired');
  assert.equal(wal.firstIndex, newFirsts.at(-1));
  assert.equal(wal.lastIndex, 24);
  assert.deepEqual(await segmentFirstIndices(disk), [newFirsts.at(-1)]);
});

async function segmentFirstIndices(disk: ReturnType<typeof newDisk>): Promise<number[]> {
  return (await disk.list(DIR)).map((name) => Number(name.split('-')[1]!.split('.')[0]));
}

test('resetTo restarts a log at a snapshot\'s index, and survives a restart', async () => {
  const disk = newDisk();
  const wal = await WriteAheadLog.open(disk, DIR, { segmentSizeBytes: 256 });
  for (let i = 1; i <= 20; i++) await wal.append([widget('pune', i)]);
  await wal.resetTo(101);
  assert.equal(wal.firstIndex, 101);
  assert.equal(wal.lastIndex, 100);
  assert.equal(await wal.append([widget('pune', 101)]), 101);
  disk.crash();
  const reopened = await WriteAheadLog.open(disk, DIR, { segmentSizeBytes: 256 });
  assert.equal(reopened.firstIndex, 101);
  assert.equal(reopened.lastIndex, 101);
  assert.deepEqual(texts(await reopened.read(101, 10, 100)), ['pune=101']);
  assert.equal((await disk.list(DIR)).length, 1);
});

test('a brand-new log can start at any index', async () => {
  const wal = await WriteAheadLog.open(newDisk(), DIR, { firstIndex: 42 });
  assert.equal(await wal.append([widget('boston', 1)]), 42);
  assert.deepEqual(indices(await wal.read(42, 1, 100)), [42]);
});

test('a failed fdatasync rejects the append, and the log refuses writes until reopened (fsyncgate)', async () => {
  const disk = newDisk();
  const wal = await WriteAheadLog.open(disk, DIR);
  await wal.append([widget('boston', 1)]);
  disk.injectFault({ kind: 'datasync-error', count: 1 });
  const failing = wal.append([widget('boston', 2)]);
  const queuedBehind = wal.append([widget('boston', 3)]);
  await assert.rejects(failing, LogFailedError);
  await assert.rejects(queuedBehind, LogFailedError);
  assert.throws(() => wal.append([widget('boston', 4)]), LogFailedError);
  assert.throws(() => wal.truncateAfter(0), LogFailedError);
  assert.equal(wal.durableLastIndex, 1);
  await wal.close();

  // After a power cut, boston=2 is gone though the page cache once showed it.
  disk.crash();
  const reopened = await WriteAheadLog.open(disk, DIR);
  assert.equal(reopened.lastIndex, 1);
  assert.equal(await reopened.append([widget('boston', 2)]), 2);
});

test('appends beyond the pending limit are refused with LogBusyError rather than queued without bound', async () => {
  const wal = await WriteAheadLog.open(newDisk(), DIR, { maxPendingBytes: 200, maxBatchBytes: 100 });
  const accepted = [wal.append([widget('boston', 1)]), wal.append([widget('boston', 2)])];
  let refused = 0;
  for (let i = 0; i < 10; i++) {
    try {
      accepted.push(wal.append([widget('boston', 3 + i)]));
    } catch (error) {
      assert.ok(error instanceof LogBusyError);
      refused++;
    }
  }
  assert.ok(refused > 0);
  await Promise.all(accepted);
  assert.equal(wal.lastIndex, accepted.length);
});

test('a record is not readable until it is durable, and bad records are refused before they are queued', async () => {
  const disk = newDisk();
  const wal = await WriteAheadLog.open(disk, DIR, { maxRecordBytes: 16 });
  const pending = wal.append([widget('saturn', 1)]);
  assert.equal(wal.lastIndex, 1, 'the index is assigned at once');
  assert.equal(wal.durableLastIndex, 0);
  assert.deepEqual(await wal.read(1, 10, 100), [], 'nothing is served before the fdatasync returns');
  await pending;
  assert.deepEqual(texts(await wal.read(1, 10, 100)), ['saturn=1']);
  assert.throws(() => wal.append([]), RangeError);
  assert.throws(() => wal.append([{ type: 70_000, data: new Uint8Array(1) }]), RangeError);
  assert.throws(() => wal.append([{ type: 1, data: new Uint8Array(17) }]), RangeError);
  assert.throws(() => wal.truncateAfter(5), RangeError);
  assert.equal(wal.lastIndex, 1, 'refused calls take no index');
});
