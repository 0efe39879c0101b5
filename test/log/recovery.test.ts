import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WriteAheadLog } from '../../src/log/write-ahead-log.js';
import { LogCorruptionError, LogFormatError } from '../../src/log/errors.js';
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, encodeRecord } from '../../src/log/record-format.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { SimDisk } from '../../src/sim/sim-disk.js';
import { ManualScheduler, drive, newDisk, recordingLogger, texts, widget } from './fixtures.js';

const DIR = 'neptune/wal';
const CITIES = ['boston', 'philadelphia', 'london', 'pune', 'boston'];

/** Five synced records in one segment; returns the disk, the segment's path and each record's frame offsets. */
async function fiveRecords(): Promise<{ disk: SimDisk; path: string; frames: { start: number; end: number }[] }> {
  const disk = newDisk();
  const wal = await WriteAheadLog.open(disk, DIR);
  for (const [i, city] of CITIES.entries()) await wal.append([widget(city, i + 1)]);
  await wal.close();
  const [name] = await disk.list(DIR);
  const frames: { start: number; end: number }[] = [];
  let offset = SEGMENT_HEADER_BYTES;
  for (const [i, city] of CITIES.entries()) {
    const end = offset + RECORD_HEADER_BYTES + widget(city, i + 1).data.length;
    frames.push({ start: offset, end });
    offset = end;
  }
  return { disk, path: `${DIR}/${name}`, frames };
}

test('a record cut short at the end of the log is cut off, reported to the logger and in the recovery report', async () => {
  const { disk, path, frames } = await fiveRecords();
  const partial = new Uint8Array(RECORD_HEADER_BYTES + 9);
  encodeRecord(partial, 0, 6, 1, new TextEncoder().encode('london=66'));
  const file = await disk.open(path, { create: false });
  await file.write(frames[4]!.end, partial.subarray(0, 20));
  await file.datasync();

  const logger = recordingLogger();
  const wal = await WriteAheadLog.open(disk, DIR, { logger });
  assert.equal(wal.lastIndex, 5);
  assert.deepEqual(wal.recovery.tornTail && { ...wal.recovery.tornTail, reason: undefined }, {
    file: path,
    offsetBytes: frames[4]!.end,
    droppedBytes: 20,
    reason: undefined,
  });
  assert.ok(logger.lines.some((line) => line.level === 'warn' && line.fields['file'] === path));
  assert.equal(disk.durableFiles().get(path)!.length, frames[4]!.end, 'the cut is durable');
  assert.equal(await wal.append([widget('london', 6)]), 6);
});

test('a flipped bit anywhere in the tail record is treated as a torn tail: that record alone is dropped', async () => {
  const { frames } = await fiveRecords();
  const tail = frames[4]!;
  for (let offset = tail.start; offset < tail.end; offset++) {
    const { disk, path } = await fiveRecords();
    disk.flipBit(path, offset, offset % 8);
    const wal = await WriteAheadLog.open(disk, DIR);
    assert.equal(wal.lastIndex, 4, `flip at byte ${offset}`);
    assert.equal(wal.recovery.tornTail?.offsetBytes, tail.start);
    assert.deepEqual(texts(await wal.read(1, 10, 1000)), ['boston=1', 'philadelphia=2', 'london=3', 'pune=4']);
  }
});

test('a flipped bit in any earlier record stops recovery with an error naming the file and the record\'s offset', async () => {
  const { frames } = await fiveRecords();
  for (const [record, frame] of frames.slice(0, 4).entries()) {
    for (let offset = frame.start; offset < frame.end; offset++) {
      const { disk, path } = await fiveRecords();
      disk.flipBit(path, offset, (offset + record) % 8);
      await assert.rejects(WriteAheadLog.open(disk, DIR), (error: unknown) => {
        assert.ok(error instanceof LogCorruptionError, String(error));
        assert.equal(error.file, path);
        assert.equal(error.offsetBytes, frame.start, `flip at byte ${offset} of record ${record + 1}`);
        assert.match(error.message, new RegExp(`${path}.*byte ${frame.start}`));
        return true;
      });
    }
  }
});

test('corruption that appears while the log runs is never served', async () => {
  const { disk, path, frames } = await fiveRecords();
  const wal = await WriteAheadLog.open(disk, DIR);
  disk.flipBit(path, frames[2]!.end - 1, 3);
  await assert.rejects(wal.read(1, 10, 1000), LogCorruptionError);
  assert.deepEqual(texts(await wal.read(1, 2, 1000)), ['boston=1', 'philadelphia=2']);
});

test('a damaged segment that is not the last cannot pass as a torn tail', async () => {
  const disk = newDisk();
  const wal = await WriteAheadLog.open(disk, DIR, { segmentSizeBytes: 200 });
  for (let i = 1; i <= 12; i++) await wal.append([widget('pune', i)]);
  await wal.close();
  const [first] = await disk.list(DIR);
  const size = disk.durableFiles().get(`${DIR}/${first}`)!.length;
  disk.flipBit(`${DIR}/${first}`, size - 1, 0);
  await assert.rejects(WriteAheadLog.open(disk, DIR, { segmentSizeBytes: 200 }), (error: unknown) => {
    assert.ok(error instanceof LogCorruptionError);
    assert.match(error.message, /not the last/);
    return true;
  });
});

test('a missing segment in the middle of the log is refused, not skipped', async () => {
  const disk = newDisk();
  const wal = await WriteAheadLog.open(disk, DIR, { segmentSizeBytes: 200 });
  for (let i = 1; i <= 20; i++) await wal.append([widget('pune', i)]);
  await wal.close();
  const names = await disk.list(DIR);
  assert.ok(names.length >= 3);
  await disk.remove(`${DIR}/${names[1]}`);
  await assert.rejects(WriteAheadLog.open(disk, DIR, { segmentSizeBytes: 200 }), /records are missing/);
});

test('a file the log did not write is refused by name', async () => {
  const disk = newDisk();
  await (await WriteAheadLog.open(disk, DIR)).close();
  await (await disk.open(`${DIR}/notes.txt`, { create: true })).close();
  await assert.rejects(WriteAheadLog.open(disk, DIR), (error: unknown) => {
    assert.ok(error instanceof LogFormatError);
    assert.equal(error.file, `${DIR}/notes.txt`);
    return true;
  });
});

test('a segment of an unknown format version is refused with a message naming the file and version', async () => {
  const { disk, path } = await fiveRecords();
  const file = await disk.open(path, { create: false });
  await file.write(4, new Uint8Array([9, 0]));
  await assert.rejects(WriteAheadLog.open(disk, DIR), (error: unknown) => {
    assert.ok(error instanceof LogFormatError);
    assert.equal(error.file, path);
    assert.match(error.message, /version 9/);
    return true;
  });
  await file.write(0, new Uint8Array([0, 0, 0, 0]));
  await assert.rejects(WriteAheadLog.open(disk, DIR), /bad magic number/);
});

test('a power cut at any moment of resetTo leaves either the old log or the new one, never a mixture or nothing', async () => {
  const outcomes = new Set<string>();
  for (let crashAfterEvents = 0; crashAfterEvents < 20; crashAfterEvents++) {
    const scheduler = new ManualScheduler();
    const disk = new SimDisk({ random: new SeededRandom(crashAfterEvents), schedule: scheduler.schedule });
    const wal = await drive(scheduler, WriteAheadLog.open(disk.forProcess(), DIR, { segmentSizeBytes: 200 }));
    for (let i = 1; i <= 12; i++) await drive(scheduler, wal.append([widget('boston', i)]));
    // The process dies with the power; what its reset promise would have said is never heard.
    wal.resetTo(101).catch(() => {});
    for (let i = 0; i < crashAfterEvents; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      scheduler.step();
    }
    disk.crash();
    const reopened = await drive(scheduler, WriteAheadLog.open(disk.forProcess(), DIR, { segmentSizeBytes: 200 }));
    const state = `${reopened.firstIndex}..${reopened.lastIndex}`;
    assert.ok(state === '1..12' || state === '101..100', `after ${crashAfterEvents} events the log is ${state}`);
    if (state === '1..12') assert.equal((await drive(scheduler, reopened.read(1, 100, 10_000))).length, 12);
    outcomes.add(state);
  }
  assert.deepEqual([...outcomes].sort(), ['1..12', '101..100']);
});
