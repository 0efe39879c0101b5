// A snapshot's bytes, wherever a member keeps them. The leader sends a
// follower its snapshot a chunk at a time, so the bytes need not sit in
// memory: a real member reads each chunk from the snapshot file on disk
// (src/server/stored-snapshot.ts), the simulator's in-memory storage and a
// snapshot just received from the leader hold them in a buffer (here).
// The checksum travels with every chunk, and the follower checks the whole it
// reassembled against it: bytes that rotted on the leader's disk, or a mix of
// two snapshot files, are refused, never installed.

import { crc32c } from '@node-rs/crc32';

export interface SnapshotData {
  readonly byteLength: number;
  /** CRC-32C of all the bytes. */
  readonly checksum: number;
  /**
   * Bytes [offsetBytes, offsetBytes + lengthBytes), shorter at the end; null
   * when they can no longer be read (the file was superseded and closed, or
   * the disk failed): the sender then starts over with the newest snapshot.
   */
  read(offsetBytes: number, lengthBytes: number): Uint8Array | null;
}

/** Snapshot data held in memory. The checksum is taken once, when first asked for, unless already known. */
export class InMemorySnapshotData implements SnapshotData {
  private knownChecksum: number | undefined;

  constructor(readonly bytes: Uint8Array, checksum?: number) {
    this.knownChecksum = checksum;
  }

  get byteLength(): number {
    return this.bytes.length;
  }

  get checksum(): number {
    this.knownChecksum ??= crc32c(this.bytes);
    return this.knownChecksum;
  }

  read(offsetBytes: number, lengthBytes: number): Uint8Array {
    return this.bytes.subarray(offsetBytes, Math.min(this.bytes.length, offsetBytes + lengthBytes));
  }
}

export function snapshotDataOf(bytes: Uint8Array): SnapshotData {
  return new InMemorySnapshotData(bytes);
}

/** All of a snapshot's bytes, for restoring a state machine; throws when they cannot be read. */
export function readWholeSnapshot(data: SnapshotData): Uint8Array {
  if (data instanceof InMemorySnapshotData) return data.bytes;
  const bytes = data.read(0, data.byteLength);
  if (bytes === null || bytes.length !== data.byteLength) throw new Error(`snapshot data of ${data.byteLength} bytes could not be read back whole`);
  return bytes;
}
