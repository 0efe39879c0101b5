// Where log entries kept in memory get their bytes. An entry stays until a
// snapshot lets the log drop it, so thousands are alive at once. A view of
// Node's shared buffer pool would keep its whole 8 KiB pool slab alive, slabs
// that short-lived frames and answers share: at 100,000 entries of ~350 bytes
// that held 108 MB for 35 MB of entries. Here entries are copied, back to
// back, into slabs that hold nothing else. Entries are made in log order and
// dropped in log order, so a slab holds neighbours and goes to the collector
// with the last of them.

import { fail } from '../assert.js';

export const defaultSlabBytes = 256 * 1024;

export class EntrySlabs {
  private slab = new Uint8Array(0);
  private usedBytes = 0;
  /** Entries above this get an allocation of their own rather than wasting a slab's tail. */
  private readonly ownAllocationBytes: number;

  constructor(private readonly slabBytes = defaultSlabBytes) {
    if (!(Number.isInteger(slabBytes) && slabBytes >= 1024)) fail(`slabBytes must be an integer of at least 1024, not ${slabBytes}`);
    this.ownAllocationBytes = slabBytes / 16;
  }

  /** A copy of bytes that keeps nothing else alive but its slab's neighbours. */
  copy(bytes: Uint8Array): Uint8Array {
    if (bytes.length > this.ownAllocationBytes) {
      // Not bytes.slice(): on a Buffer that is a view, not a copy.
      const own = new Uint8Array(bytes.length);
      own.set(bytes);
      return own;
    }
    if (this.usedBytes + bytes.length > this.slab.length) {
      this.slab = new Uint8Array(this.slabBytes);
      this.usedBytes = 0;
    }
    const out = this.slab.subarray(this.usedBytes, this.usedBytes + bytes.length);
    out.set(bytes);
    this.usedBytes += bytes.length;
    return out;
  }
}
