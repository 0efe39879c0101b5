// The bytes of one simulated file, kept twice: as the page cache holds them
// and as the platter does. SimDisk moves writes from one to the other.

export type ContentOp = { kind: 'write'; positionBytes: number; data: Uint8Array } | { kind: 'truncate'; sizeBytes: number };

/** One file's bytes: what readers see, what survives power loss, and the writes in between, in order. */
export interface Inode {
  readonly inodeId: number;
  cached: FileBytes;
  durable: FileBytes;
  unsynced: ContentOp[];
}

/** A file's contents with room to grow, so appending is not quadratic in the file's size. */
export class FileBytes {
  private buffer = new Uint8Array(0);
  lengthBytes = 0;

  view(): Uint8Array {
    return this.buffer.subarray(0, this.lengthBytes);
  }

  clone(): FileBytes {
    const copy = new FileBytes();
    copy.buffer = this.view().slice();
    copy.lengthBytes = this.lengthBytes;
    return copy;
  }

  apply(op: ContentOp): void {
    if (op.kind === 'truncate') {
      // Bytes past the old end read as zeros whether the file shrank first or not.
      if (op.sizeBytes < this.lengthBytes) this.buffer.fill(0, op.sizeBytes, this.lengthBytes);
      this.reserve(op.sizeBytes);
      this.lengthBytes = op.sizeBytes;
      return;
    }
    const end = op.positionBytes + op.data.length;
    this.reserve(end);
    this.buffer.set(op.data, op.positionBytes);
    this.lengthBytes = Math.max(this.lengthBytes, end);
  }

  flipBits(byteOffset: number, mask: number): void {
    if (byteOffset < this.lengthBytes) this.buffer[byteOffset]! ^= mask;
  }

  private reserve(sizeBytes: number): void {
    if (sizeBytes <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(sizeBytes, this.buffer.length * 2, 4096));
    grown.set(this.view());
    this.buffer = grown;
  }
}
