// What the node needs from its storage, apart from how it is laid out on disk:
// make a Ready's state durable, keep the node's own snapshots, and give it
// all back after a restart. src/server/raft-storage.ts implements it on a
// Disk; tests may wrap it to inject a failure at one precise write.

import type { LogIndex } from '../ids.js';
import type { SnapshotData } from '../consensus/snapshot-data.js';
import type { Entry, HardState, RestoredState, Snapshot, SnapshotMeta } from '../consensus/types.js';

export interface PersistWork {
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
  readonly hardState: HardState | null;
}

export interface RaftPersistence {
  /**
   * Makes the work durable, in this order: snapshot (the log is reset to start
   * after it), entries (a stored suffix from entries[0].index on is replaced),
   * hard state. Resolves only when all of it is durable; rejects on any disk
   * failure, after which nothing more may be acknowledged.
   */
  persist(work: PersistWork): Promise<void>;
  /**
   * Keeps a snapshot the node took of its own state machine and releases the
   * log below it (the Low-Water Mark). The state comes in pieces, asked for
   * one at a time as they are written, so it need never be whole in memory;
   * a piece may be overwritten once the next is asked for (copy to keep it).
   * Resolves with the state as stored (for sending to followers), or null
   * when a snapshot as new or newer is already stored (the pieces are then
   * not asked for).
   */
  saveSnapshot(meta: SnapshotMeta, state: Iterable<Uint8Array>): Promise<SnapshotData | null>;
  /** The stored state of the snapshot at `index`, when that is the snapshot stored now (e.g. after persist installed it). */
  storedSnapshot(index: LogIndex): SnapshotData | null;
  /** Reads everything back, for a node starting on this storage; snapshotData is set whenever snapshot is. */
  recover(): Promise<RestoredState>;
  close(): Promise<void>;
}
