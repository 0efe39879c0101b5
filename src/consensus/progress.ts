// What a leader knows about one follower, and how fast it may feed it.
//  - probe: we do not know where the follower's log matches ours; send one
//    append per heartbeat interval and move nextIndex back on each rejection.
//  - replicate: the follower matched; stream appends without waiting for
//    acknowledgements (the Request Pipeline), at most maxInflightAppends
//    unacknowledged messages at a time so a slow follower cannot make the
//    leader buffer without bound.
//  - snapshot: the follower needs entries we released; send the snapshot in
//    chunks, a bounded window of them in flight.

import { assert, fail } from '../assert.js';
import { logIndex, type LogIndex } from '../ids.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** A ring buffer of the last index carried by each unacknowledged append. */
export class InflightWindow {
  private readonly lastIndexes: Float64Array;
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) fail(`maxInflightAppends must be at least 1, got ${capacity}`);
    this.lastIndexes = new Float64Array(capacity);
  }

  isFull(): boolean {
    return this.count === this.capacity;
  }
  size(): number {
    return this.count;
  }

  add(lastIndex: number): void {
    assert(this.count < this.capacity, 'inflight window overflow');
    this.lastIndexes[(this.start + this.count) % this.capacity] = lastIndex;
    this.count++;
  }

  /** An acknowledgement up to `index` releases every append that ended at or below it. */
  freeUpTo(index: number): void {
    while (this.count > 0 && this.lastIndexes[this.start]! <= index) {
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
  }

  clear(): void {
    this.start = 0;
    this.count = 0;
  }
}

export class Progress {
  state: ProgressState = 'probe';
  match: LogIndex = logIndex(0);
  next: LogIndex;
  /** In probe state: an append was sent this heartbeat interval, wait for its answer or the next heartbeat. */
  probeSent = false;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  readonly inflight: InflightWindow;
  /** Snapshot state: which snapshot, and how many of its bytes were sent and acknowledged. */
  snapshotIndex: LogIndex = logIndex(0);
  snapshotSentBytes = 0;
  snapshotAckedBytes = 0;

  constructor(next: LogIndex, maxInflightAppends: number) {
    this.next = next;
    this.inflight = new InflightWindow(maxInflightAppends);
  }

  becomeProbe(): void {
    // After a snapshot the follower holds everything up to it, so probing resumes just past it.
    const resumeAt = this.state === 'snapshot' ? Math.max(this.match + 1, this.snapshotIndex + 1) : this.match + 1;
    this.state = 'probe';
    this.next = logIndex(resumeAt);
    this.probeSent = false;
    this.inflight.clear();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = logIndex(this.match + 1);
    this.probeSent = false;
    this.inflight.clear();
  }

  becomeSnapshot(snapshotIndex: LogIndex): void {
    this.state = 'snapshot';
    this.snapshotIndex = snapshotIndex;
    this.snapshotSentBytes = 0;
    this.snapshotAckedBytes = 0;
    this.probeSent = false;
    this.inflight.clear();
  }

  /** May the leader send another append now? */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflight.isFull();
      case 'snapshot':
        return true;
    }
  }

  /** Records that an append carrying entries up to `lastIndex` was sent. */
  sentEntries(lastIndex: LogIndex, entryCount: number): void {
    if (this.state === 'replicate') {
      if (entryCount > 0) {
        this.next = logIndex(lastIndex + 1);
        this.inflight.add(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /** The follower holds our log up to `index`. Returns false for a stale acknowledgement. */
  acknowledged(index: LogIndex): boolean {
    if (index <= this.match) return false;
    this.match = index;
    if (this.next <= index) this.next = logIndex(index + 1);
    this.inflight.freeUpTo(index);
    this.probeSent = false;
    return true;
  }

  /**
   * The follower rejected an append whose previous index was `rejectedPrev`;
   * `nextGuess` is where the leader now thinks the logs may match (+1).
   * Returns false when the rejection is stale (answers an older append).
   */
  rejected(rejectedPrev: LogIndex, nextGuess: number): boolean {
    if (this.state === 'replicate') {
      if (rejectedPrev <= this.match) return false;
      this.becomeProbe();
      this.next = logIndex(Math.max(this.match + 1, Math.min(nextGuess, rejectedPrev)));
      return true;
    }
    // In probe state only the answer to the append we sent (at next - 1) counts.
    if (this.next - 1 !== rejectedPrev) return false;
    this.next = logIndex(Math.max(this.match + 1, Math.min(nextGuess, rejectedPrev)));
    this.probeSent = false;
    return true;
  }
}
