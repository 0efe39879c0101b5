import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from '@node-rs/crc32';
import { openAtomicFile, readAtomicFile, writeAtomicFile } from '../../src/log/atomic-file.js';
import { LogCorruptionError, LogFormatError } from '../../src/log/errors.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { SimDisk } from '../../src/sim/sim-disk.js';
import { ManualScheduler, drive, newDisk, settle } from './fixtures.js';

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const decode = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));

test('jupiter\'s hard state reads back as last written, and is absent before the first write', async () => {
  const disk = newDisk();
  await disk.makeDirectory('jupiter');
  assert.equal(await readAtomicFile(disk, 'jupiter/hard-state'), undefined);
  await writeAtomicFile(disk, 'jupiter/hard-state', text('term=1 vote=saturn'));
  await writeAtomicFile(disk, 'jupiter/hard-state', text('term=2'));
  disk.crash();
  assert.equal(decode(await readAtomicFile(disk, 'jupiter/hard-state')), 'term=2', 'a completed write survives a power cut');
});

test('a power cut at any moment of a rewrite leaves the old contents or the new, never a torn mixture', async () => {
  const outcomes = new Set<string | undefined>();
  for (let crashAfterEvents = 0; crashAfterEvents < 12; crashAfterEvents++) {
    for (let seed = 0; seed < 4; seed++) {
      const scheduler = new ManualScheduler();
      const disk = new SimDisk({ random: new SeededRandom(seed * 100 + crashAfterEvents), schedule: scheduler.schedule });
      const process = disk.forProcess();
      await drive(scheduler, writeAtomicFile(process, 'hard-state', text('term=7 vote=neptune')));
      writeAtomicFile(process, 'hard-state', text('term=8')).catch(() => {});
      for (let i = 0; i < crashAfterEvents; i++) {
        await settle();
        scheduler.step();
      }
      disk.crash();
      const contents = decode(await drive(scheduler, readAtomicFile(disk.forProcess(), 'hard-state')));
      assert.ok(contents === 'term=7 vote=neptune' || contents === 'term=8', `after ${crashAfterEvents} events: ${contents}`);
      outcomes.add(contents);
    }
  }
  assert.equal(outcomes.size, 2, 'both outcomes occur');
});

test('a flipped bit is reported as corruption naming the file; a foreign file as a format error', async () => {
  const disk = newDisk();
  await writeAtomicFile(disk, 'snapshot', text('boston=10 london=4'));
  disk.flipBit('snapshot', 20, 2);
  await assert.rejects(readAtomicFile(disk, 'snapshot'), (error: unknown) => {
    assert.ok(error instanceof LogCorruptionError);
    assert.equal(error.file, 'snapshot');
    return true;
  });
  const foreign = await disk.open('notes', { create: true });
  await foreign.append(text('just some notes, not a checksummed file'));
  await assert.rejects(readAtomicFile(disk, 'notes'), LogFormatError);
});

test('a file written by the first format version (checksum over the header fields first) still reads back', async () => {
  const disk = newDisk();
  const data = text('term=3 vote=jupiter');
  const header = new Uint8Array(16);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x46544154, true);
  view.setUint16(4, 1, true);
  view.setUint32(8, data.length, true);
  view.setUint32(12, crc32c(data, crc32c(header.subarray(4, 12))), true);
  const file = await disk.open('hard-state', { create: true });
  await file.append(header);
  await file.append(data);
  assert.equal(decode(await readAtomicFile(disk, 'hard-state')), 'term=3 vote=jupiter');
  const opened = await openAtomicFile(disk, 'hard-state');
  assert.equal(opened?.dataBytes, data.length);
  await opened?.file.close();
});

test('a big file is checked a slice at a time without being read whole, and a flipped bit in any slice is found', async () => {
  const disk = newDisk();
  // Three slices' worth, made one piece at a time as the writer asks for them.
  const pieceBytes = 1024 * 1024;
  function* pieces(): Generator<Uint8Array> {
    for (let i = 0; i < 9; i++) yield new Uint8Array(pieceBytes).fill(i + 1);
  }
  await writeAtomicFile(disk, 'snapshot', pieces());
  const seen: Array<[number, number]> = [];
  const opened = await openAtomicFile(disk, 'snapshot', (offset, slice) => seen.push([offset, slice.length]));
  assert.equal(opened?.dataBytes, 9 * pieceBytes);
  assert.deepEqual(seen, [[0, 4 * pieceBytes], [4 * pieceBytes, 4 * pieceBytes], [8 * pieceBytes, pieceBytes]]);
  assert.equal(opened!.file.readNow(16 + 5 * pieceBytes, 2)[1], 6, 'the open file reads the data after the header');
  await opened!.file.close();
  disk.flipBit('snapshot', 16 + 8 * pieceBytes + 7, 1);
  await assert.rejects(openAtomicFile(disk, 'snapshot'), LogCorruptionError);
});
