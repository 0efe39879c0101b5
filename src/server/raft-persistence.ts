// What the node needs from its storage, apart from how it is laid out on disk:
// make a Ready's state durable, keep the node's own snapshots, and give it
// all back after a restart. src/server/raft-storage.ts implements it on a
// Disk; tests may wrap it to inject a failure at one precise write.

import type { LogIndex } from '../ids.js';
import type { Entry, HardState, RestoredState, Snapshot } from '../consensus/types.js';

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
   * log below it (the Low-Water Mark). A snapshot older than the one already
   * stored is ignored; resolves with the index now stored.
   */
  saveSnapshot(snapshot: Snapshot): Promise<LogIndex>;
  /** Reads everything back, for a node starting on this storage; snapshotData is set whenever snapshot is. */
  recover(): Promise<RestoredState>;
  close(): Promise<void>;
}
