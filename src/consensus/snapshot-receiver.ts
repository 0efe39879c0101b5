// A follower reassembles a snapshot the leader sends in chunks. Chunks must
// arrive in order: a duplicate is ignored and a chunk after a gap is dropped,
// and each answer tells the leader how many bytes are held, so the leader can
// resend from there. The buffer is sized once, from the first chunk. The
// whole is checked against the checksum the chunks carry: a snapshot that
// does not match is dropped, and the answer (0 bytes held) starts it over.

import { crc32c } from '@node-rs/crc32';
import type { SnapshotChunkMessage } from './messages.js';
import { InMemorySnapshotData } from './snapshot-data.js';
import type { Snapshot, SnapshotMeta } from './types.js';

export class SnapshotReceiver {
  private meta: SnapshotMeta | null = null;
  private buffer: Uint8Array = new Uint8Array(0);
  private receivedBytes = 0;
  private checksum = 0;

  /** Takes a chunk; returns the bytes now held and, when the last byte arrived, the whole snapshot. */
  receive(chunk: SnapshotChunkMessage): { readonly receivedBytes: number; readonly complete: Snapshot | null } {
    const same = this.meta !== null && this.meta.index === chunk.meta.index && this.meta.term === chunk.meta.term
      && this.buffer.length === chunk.totalBytes && this.checksum === chunk.checksum;
    if (!same) {
      // A chunk of another snapshot restarts the transfer, but only from its beginning.
      if (chunk.offset !== 0) return { receivedBytes: 0, complete: null };
      this.meta = chunk.meta;
      this.buffer = new Uint8Array(chunk.totalBytes);
      this.receivedBytes = 0;
      this.checksum = chunk.checksum;
    }
    const fits = chunk.offset + chunk.data.length <= this.buffer.length;
    if (chunk.offset === this.receivedBytes && fits) {
      this.buffer.set(chunk.data, chunk.offset);
      this.receivedBytes += chunk.data.length;
    }
    if (this.receivedBytes === this.buffer.length && chunk.offset + chunk.data.length === this.buffer.length) {
      const bytes = this.buffer;
      const meta = this.meta!;
      const receivedBytes = this.receivedBytes;
      this.clear();
      if (crc32c(bytes) !== chunk.checksum) return { receivedBytes: 0, complete: null };
      const complete: Snapshot = { meta, data: new InMemorySnapshotData(bytes, chunk.checksum) };
      return { receivedBytes, complete };
    }
    return { receivedBytes: this.receivedBytes, complete: null };
  }

  clear(): void {
    this.meta = null;
    this.buffer = new Uint8Array(0);
    this.receivedBytes = 0;
    this.checksum = 0;
  }
}
