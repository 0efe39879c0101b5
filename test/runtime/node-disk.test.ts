import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeDisk } from '../../src/runtime/node/node-disk.js';
import { DiskError } from '../../src/runtime/disk.js';
import { WriteAheadLog } from '../../src/log/write-ahead-log.js';
import { readAtomicFile, writeAtomicFile } from '../../src/log/atomic-file.js';

async function withTemporaryDirectory(run: (root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'trellis-node-disk-'));
  try {
    await run(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

test('the real disk reads back what it wrote, at positions, through datasync and truncate', async () => {
  await withTemporaryDirectory(async (root) => {
    const disk = new NodeDisk({ root });
    await disk.makeDirectory('jupiter/data');
    const file = await disk.open('jupiter/data/boston', { create: true });
    await file.append(text('boston=10'));
    await file.append(text(';11'));
    await file.write(0, text('B'));
    await file.datasync();
    assert.equal(new TextDecoder().decode(await file.read(0, 100)), 'Boston=10;11');
    assert.equal(new TextDecoder().decode(await file.read(7, 3)), '10;');
    await file.truncate(9);
    assert.equal(await file.sizeBytes(), 9);
    await file.write(12, text('x'));
    assert.deepEqual([...(await file.read(9, 10))], [0, 0, 0, 120], 'writing past the end fills with zeros');
    await file.close();
    await disk.syncDirectory('jupiter/data');
  });
});

test('the real disk lists, renames and removes like a file system, and maps errno codes to DiskError', async () => {
  await withTemporaryDirectory(async (root) => {
    const disk = new NodeDisk({ root });
    const code = async (promise: Promise<unknown>): Promise<string> => {
      try {
        await promise;
        return 'ok';
      } catch (error) {
        assert.ok(error instanceof DiskError, String(error));
        return error.code;
      }
    };
    assert.equal(await code(disk.list('missing')), 'ENOENT');
    assert.equal(await code(disk.open('missing/file', { create: true })), 'ENOENT');
    assert.equal(await code(disk.open('absent', { create: false })), 'ENOENT');
    await disk.makeDirectory('wal');
    assert.equal(await code(disk.open('wal', { create: true })), 'EISDIR');
    await (await disk.open('wal/b', { create: true })).close();
    await (await disk.open('wal/a.tmp', { create: true })).close();
    await disk.rename('wal/a.tmp', 'wal/a');
    await disk.syncDirectory('wal');
    assert.deepEqual(await disk.list('wal'), ['a', 'b']);
    assert.equal(await disk.exists('wal/a'), true);
    assert.equal(await disk.exists('wal/a.tmp'), false);
    await disk.remove('wal/a');
    assert.equal(await code(disk.remove('wal/a')), 'ENOENT');
    assert.deepEqual(await disk.list(''), ['wal']);
    assert.ok((await disk.freeSpaceBytes('wal')) > 0);
    const closed = await disk.open('wal/b', { create: false });
    await closed.close();
    assert.equal(await code(closed.read(0, 1)), 'EBADF');
  });
});

test('the write-ahead log and atomic files run unchanged on the real disk', async () => {
  await withTemporaryDirectory(async (root) => {
    const disk = new NodeDisk({ root });
    const wal = await WriteAheadLog.open(disk, 'saturn/wal', { segmentSizeBytes: 300 });
    const appended = await Promise.all(
      ['boston', 'philadelphia', 'london', 'pune'].flatMap((city) =>
        Array.from({ length: 5 }, (_, i) => wal.append([{ type: 1, data: text(`${city}=${i}`) }])),
      ),
    );
    assert.equal(appended.at(-1), 20);
    await wal.truncateAfter(15);
    await wal.close();
    const reopened = await WriteAheadLog.open(disk, 'saturn/wal', { segmentSizeBytes: 300 });
    assert.ok(reopened.segmentCount > 1);
    assert.equal(reopened.lastIndex, 15);
    const records = await reopened.read(1, 100, 1 << 20);
    assert.deepEqual(records.map((r) => new TextDecoder().decode(r.data)).slice(-2), ['london=3', 'london=4']);
    await reopened.close();

    await writeAtomicFile(disk, 'saturn/hard-state', text('term=3'));
    await writeAtomicFile(disk, 'saturn/hard-state', text('term=4'));
    assert.equal(new TextDecoder().decode(await readAtomicFile(disk, 'saturn/hard-state')), 'term=4');
    assert.deepEqual(await disk.list('saturn'), ['hard-state', 'wal']);
  });
});

test('a new directory is made durable in its parent, each new level of it, and an existing one costs no sync', async () => {
  await withTemporaryDirectory(async (root) => {
    class RecordingDisk extends NodeDisk {
      readonly synced: string[] = [];
      override syncDirectory(directory: string): Promise<void> {
        this.synced.push(directory);
        return super.syncDirectory(directory);
      }
    }
    const disk = new RecordingDisk({ root });
    await disk.makeDirectory('saturn');
    assert.deepEqual(disk.synced, [root]);
    disk.synced.length = 0;
    await disk.makeDirectory('saturn/raft/wal');
    assert.deepEqual(disk.synced, [join(root, 'saturn/raft'), join(root, 'saturn')], 'wal is named in raft, raft in saturn; saturn was already durable');
    disk.synced.length = 0;
    await disk.makeDirectory('saturn/raft/wal');
    assert.deepEqual(disk.synced, []);
    assert.ok(await disk.exists('saturn/raft/wal'));
  });
});
