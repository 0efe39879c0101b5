// A Raft snapshot in its file: the atomic file's header, the snapshot's head
// (its metadata) and the state machine's bytes. The state is written as the
// state machine encodes it, a piece at a time, and read back a chunk at a
// time when a follower needs it, so a member never holds a whole snapshot in
// memory for its followers' sake: etcd keeps its snapshot in bbolt's file in
// the same way.

import { crc32c } from '@node-rs/crc32';
import type { LogIndex } from '../ids.js';
import type { Disk, DiskFile } from '../runtime/disk.js';
import type { SnapshotData } from '../consensus/snapshot-data.js';
import type { SnapshotMeta } from '../consensus/types.js';
import { ATOMIC_FILE_HEADER_BYTES, openAtomicFile, writeAtomicFile } from '../log/atomic-file.js';
import { LogCorruptionError } from '../log/errors.js';
import { decodeSnapshotHead, encodeSnapshotHead } from './storage-codec.js';

/** The state of a snapshot file, read from an open handle. */
export class FileSnapshotData implements SnapshotData {
  private closed = false;

  constructor(
    readonly index: LogIndex,
    private readonly file: DiskFile,
    /** Where the state begins in the file. */
    private readonly startBytes: number,
    readonly byteLength: number,
    readonly checksum: number,
  ) {}

  read(offsetBytes: number, lengthBytes: number): Uint8Array | null {
    if (this.closed) return null;
    const length = Math.max(0, Math.min(lengthBytes, this.byteLength - offsetBytes));
    try {
      return this.file.readNow(this.startBytes + offsetBytes, length);
    } catch {
      // A failed read is not served: the sender starts over, and the disk's failure shows in the next write.
      return null;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close().catch(() => undefined);
  }
}

/**
 * Writes the snapshot file at `path` from the state's pieces, taking the
 * state's checksum on the way, and returns its state opened for reading.
 */
export async function writeSnapshotFile(disk: Disk, path: string, meta: SnapshotMeta, state: Iterable<Uint8Array>): Promise<FileSnapshotData> {
  const head = encodeSnapshotHead(meta);
  const sum = { crc: 0, bytes: 0 };
  await writeAtomicFile(disk, path, withHead(head, state, sum));
  const file = await disk.open(path, { create: false });
  return new FileSnapshotData(meta.index, file, ATOMIC_FILE_HEADER_BYTES + head.length, sum.bytes, sum.crc);
}

function* withHead(head: Uint8Array, state: Iterable<Uint8Array>, sum: { crc: number; bytes: number }): Generator<Uint8Array> {
  yield head;
  for (const piece of state) {
    sum.crc = crc32c(piece, sum.crc);
    sum.bytes += piece.length;
    yield piece;
  }
}

/**
 * Opens and checks the snapshot file at `path`: its metadata, its state read
 * back whole (a restarting member restores its state machine from it), and
 * the state opened for reading chunks; undefined when there is none. Throws
 * on corruption.
 */
export async function openSnapshotFile(disk: Disk, path: string): Promise<RecoveredSnapshot | undefined> {
  let head: { readonly meta: SnapshotMeta; readonly headBytes: number } | null = null;
  let headProblem = 'the file holds no head';
  let state = new Uint8Array(0);
  let crc = 0;
  // The file's checksum is checked after the last slice: a head that cannot be read is reported only if that passed.
  const opened = await openAtomicFile(disk, path, (offsetBytes, slice, dataBytes) => {
    if (offsetBytes === 0) {
      try {
        head = decodeSnapshotHead(slice);
        state = new Uint8Array(dataBytes - head.headBytes);
      } catch (error) {
        headProblem = error instanceof Error ? error.message : String(error);
      }
    }
    const headBytes: number = head?.headBytes ?? 0;
    const from = Math.max(0, headBytes - offsetBytes);
    const part = slice.subarray(from);
    crc = crc32c(part, crc);
    if (head !== null) state.set(part, offsetBytes + from - headBytes);
  });
  if (opened === undefined) return undefined;
  const found = head as { readonly meta: SnapshotMeta; readonly headBytes: number } | null;
  if (found === null) {
    await opened.file.close();
    throw new LogCorruptionError(path, ATOMIC_FILE_HEADER_BYTES, `snapshot head unreadable: ${headProblem}`);
  }
  const start = ATOMIC_FILE_HEADER_BYTES + found.headBytes;
  return { meta: found.meta, state, data: new FileSnapshotData(found.meta.index, opened.file, start, state.length, crc) };
}

export interface RecoveredSnapshot {
  readonly meta: SnapshotMeta;
  /** The whole state, as read while checking the file. */
  readonly state: Uint8Array;
  /** The same state in the file, for chunks. */
  readonly data: FileSnapshotData;
}
