// RaftPersistence kept in memory: what survives a "crash" is exactly what
// persist() resolved for. For tests that are about Raft rather than disks,
// and as a baseline that shows what the real storage costs. The real node
// uses RaftStorage on a Disk.

import { logIndex, term, type LogIndex } from '../ids.js';
import { InMemorySnapshotData, type SnapshotData } from '../consensus/snapshot-data.js';
import type { Entry, HardState, RestoredState, Snapshot, SnapshotMeta } from '../consensus/types.js';
import type { PersistWork, RaftPersistence } from './raft-persistence.js';

export class MemoryPersistence implements RaftPersistence {
  private hardState: HardState = { term: term(0), vote: null, commit: logIndex(0) };
  private snapshot: Snapshot | null = null;
  private entries: Entry[] = [];
  persist(work: PersistWork): Promise<void> {
    if (work.snapshot !== null) {
      const meta = work.snapshot.meta;
      const kept = this.entries.find((entry) => entry.index === meta.index && entry.term === meta.term);
      this.entries = kept === undefined ? [] : this.entries.filter((entry) => entry.index > meta.index);
      this.snapshot = work.snapshot;
    }
    const first = work.entries[0];
    if (first !== undefined) {
      this.entries = this.entries.filter((entry) => entry.index < first.index);
      this.entries.push(...work.entries);
    }
    if (work.hardState !== null) this.hardState = work.hardState;
    return Promise.resolve();
  }

  saveSnapshot(meta: SnapshotMeta, state: Iterable<Uint8Array>): Promise<SnapshotData | null> {
    if (this.snapshot !== null && this.snapshot.meta.index >= meta.index) return Promise.resolve(null);
    // Pieces may share one buffer: each is copied before the next is asked for.
    const pieces = Array.from(state, (piece) => new Uint8Array(piece));
    const data = new InMemorySnapshotData(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces));
    this.snapshot = { meta, data };
    this.entries = this.entries.filter((entry) => entry.index > meta.index);
    return Promise.resolve(data);
  }

  storedSnapshot(index: LogIndex): SnapshotData | null {
    return this.snapshot !== null && this.snapshot.meta.index === index ? this.snapshot.data : null;
  }

  recover(): Promise<RestoredState> {
    const snapshot = this.snapshot;
    const snapshotIndex = snapshot?.meta.index ?? 0;
    return Promise.resolve({
      hardState: { ...this.hardState, commit: logIndex(Math.max(this.hardState.commit, snapshotIndex)) },
      snapshot: snapshot?.meta ?? null,
      entries: this.entries.filter((entry) => entry.index > snapshotIndex),
      ...(snapshot === null ? {} : { snapshotData: snapshot.data }),
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** What is stored now, for assertions. */
  stored(): { readonly hardState: HardState; readonly snapshot: Snapshot | null; readonly entries: readonly Entry[] } {
    return { hardState: this.hardState, snapshot: this.snapshot, entries: this.entries };
  }
}
