// The Replicated Log as one node holds it in memory, with the High-Water Mark
// (commit index) and the Low-Water Mark (snapshot index) that bound it.
//
//   released (in the snapshot)  |  held entries                      |
//   ... snapshotIndex           | firstIndex ... stableLast ... last |
//                                  durable ^    ^ unstableFrom: not yet handed out in a Ready
//
// Entries sit in one array indexed by (index - firstIndex), so term lookup is
// O(1). The term of the snapshot's last entry is kept after the entries are
// released, because the consistency check on the first append after a
// snapshot needs it.

import { fail } from '../assert.js';
import { logIndex, term as toTerm, type LogIndex, type Term } from '../ids.js';
import type { Entry } from './types.js';

export class RaftLog {
  private entries: Entry[] = [];
  private snapshotIndexValue: LogIndex;
  private snapshotTermValue: Term;
  /** Highest index known durable on this node's disk. */
  private stableLast: LogIndex;
  /** First index not yet handed to the node in a Ready. */
  private unstableFrom: LogIndex;
  private committed: LogIndex;
  private applied: LogIndex;

  constructor(snapshotIndex: LogIndex, snapshotTerm: Term, restored: readonly Entry[], commit: LogIndex) {
    this.snapshotIndexValue = snapshotIndex;
    this.snapshotTermValue = snapshotTerm;
    for (let i = 0; i < restored.length; i++) {
      if (restored[i]!.index !== snapshotIndex + 1 + i) fail(`restored entry ${restored[i]!.index} is not contiguous after ${snapshotIndex}`);
    }
    this.entries = restored.slice();
    this.stableLast = this.lastIndex();
    this.unstableFrom = logIndex(this.lastIndex() + 1);
    // A commit index persisted beyond the entries that survived (e.g. a torn tail) cannot be trusted beyond them.
    this.committed = logIndex(Math.max(snapshotIndex, Math.min(commit, this.lastIndex())));
    this.applied = snapshotIndex;
  }

  snapshotIndex(): LogIndex {
    return this.snapshotIndexValue;
  }
  snapshotTerm(): Term {
    return this.snapshotTermValue;
  }
  firstIndex(): LogIndex {
    return logIndex(this.snapshotIndexValue + 1);
  }
  lastIndex(): LogIndex {
    return logIndex(this.snapshotIndexValue + this.entries.length);
  }
  lastTerm(): Term {
    const count = this.entries.length;
    return count === 0 ? this.snapshotTermValue : this.entries[count - 1]!.term;
  }
  commitIndex(): LogIndex {
    return this.committed;
  }
  appliedIndex(): LogIndex {
    return this.applied;
  }
  stableLastIndex(): LogIndex {
    return this.stableLast;
  }

  /** The term of the entry at `index`, or -1 when it was released or does not exist yet. */
  termAt(index: number): number {
    if (index === this.snapshotIndexValue) return this.snapshotTermValue;
    const offset = index - this.snapshotIndexValue - 1;
    if (offset < 0 || offset >= this.entries.length) return -1;
    return this.entries[offset]!.term;
  }

  matchTerm(index: number, term: number): boolean {
    const found = this.termAt(index);
    return found !== -1 && found === term;
  }

  entryAt(index: number): Entry {
    const entry = this.entries[index - this.snapshotIndexValue - 1];
    if (entry === undefined) fail(`entry ${index} is not held (first ${this.firstIndex()}, last ${this.lastIndex()})`);
    return entry;
  }

  /** Entries in [from, toInclusive], no more than `maxEntries` and (beyond the first) `maxBytes` of data. */
  slice(from: number, toInclusive: number, maxEntries: number, maxBytes: number): Entry[] {
    if (!(from >= this.firstIndex())) fail(`slice from ${from} reaches below the first held index ${this.firstIndex()}`);
    const start = from - this.snapshotIndexValue - 1;
    const end = Math.min(toInclusive - this.snapshotIndexValue, start + maxEntries, this.entries.length);
    let stop = start;
    let bytes = 0;
    while (stop < end) {
      bytes += this.entries[stop]!.data.length;
      // Always send at least one entry, or an oversized entry would never move.
      if (bytes > maxBytes && stop > start) break;
      stop++;
    }
    return this.entries.slice(start, stop);
  }

  /** Raft §5.4.1: a candidate's log is at least as up-to-date as ours if its last term is higher, or equal with an index at least ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** The leader adds an entry of its own. */
  appendOwn(entry: Entry): void {
    if (entry.index !== this.lastIndex() + 1) fail(`leader appended entry ${entry.index} after ${this.lastIndex()}`);
    this.entries.push(entry);
  }

  /**
   * The first index in `incoming` whose term differs from ours or that we do
   * not hold yet; incoming.length when we already hold all of them.
   */
  firstNewPosition(incoming: readonly Entry[]): number {
    for (let i = 0; i < incoming.length; i++) {
      const entry = incoming[i]!;
      if (!this.matchTerm(entry.index, entry.term)) return i;
    }
    return incoming.length;
  }

  /**
   * Replaces our suffix from incoming[0].index with `incoming`. The caller has
   * established that incoming[0] directly follows an entry we share with the
   * leader. Returns the index truncated from, or 0 when nothing was removed.
   */
  truncateAndAppend(incoming: readonly Entry[]): LogIndex {
    if (incoming.length === 0) return logIndex(0);
    const first = incoming[0]!.index;
    if (!(first > this.snapshotIndexValue)) fail(`append at ${first} reaches into the snapshot at ${this.snapshotIndexValue}`);
    if (!(first <= this.lastIndex() + 1)) fail(`append at ${first} leaves a gap after ${this.lastIndex()}`);
    let truncatedFrom = logIndex(0);
    if (first <= this.lastIndex()) {
      // Log Matching: never remove what is committed, it may already be applied and acknowledged.
      if (!(first > this.committed)) fail(`truncating at ${first} would remove committed entries (commit ${this.committed})`);
      this.entries.length = first - this.snapshotIndexValue - 1;
      truncatedFrom = first;
      if (this.stableLast >= first) this.stableLast = logIndex(first - 1);
      if (this.unstableFrom > first) this.unstableFrom = first;
    }
    for (let i = 0; i < incoming.length; i++) this.entries.push(incoming[i]!);
    return truncatedFrom;
  }

  /**
   * Fast back-off (etcd's findConflictByTerm): the largest index <= `index`
   * whose term is <= `term`. Every entry above it has a term above `term`, so
   * none of them can match the other log's entry at that position.
   */
  findConflictByTerm(index: number, term: number): { readonly index: LogIndex; readonly term: Term } {
    let at = Math.min(index, this.lastIndex());
    while (at > this.snapshotIndexValue) {
      const found = this.termAt(at);
      if (found <= term) return { index: logIndex(at), term: toTerm(found) };
      at--;
    }
    return { index: logIndex(at), term: toTerm(Math.max(this.termAt(at), 0)) };
  }

  commitTo(index: LogIndex): boolean {
    if (index <= this.committed) return false;
    if (!(index <= this.lastIndex())) fail(`commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
    return true;
  }

  appliedTo(index: LogIndex): void {
    if (!(index >= this.applied)) fail(`applied index moved back from ${this.applied} to ${index}`);
    if (!(index <= this.committed)) fail(`applied ${index} beyond commit ${this.committed}`);
    this.applied = index;
  }

  /** Entries not yet handed to the node for persistence. */
  takeUnstable(): Entry[] {
    if (this.unstableFrom > this.lastIndex()) return [];
    const taken = this.entries.slice(this.unstableFrom - this.snapshotIndexValue - 1);
    this.unstableFrom = logIndex(this.lastIndex() + 1);
    return taken;
  }

  hasUnstable(): boolean {
    return this.unstableFrom <= this.lastIndex();
  }

  /** The node made entries up to `index` (of `term`) durable. A later truncation may have replaced them; then they do not count. */
  stableTo(index: LogIndex, term: Term): void {
    if (index > this.stableLast && this.matchTerm(index, term)) this.stableLast = index;
  }

  /** Releases entries up to `index` (already applied and captured by a snapshot). */
  compactTo(index: LogIndex): void {
    if (index <= this.snapshotIndexValue) return;
    if (!(index <= this.applied)) fail(`compacting to ${index} beyond applied ${this.applied}`);
    const newSnapshotTerm = toTerm(this.termAt(index));
    this.entries.splice(0, index - this.snapshotIndexValue);
    this.snapshotIndexValue = index;
    this.snapshotTermValue = newSnapshotTerm;
  }

  /** A snapshot from the leader replaces the whole log. Nothing after it is durable until the node persists it. */
  restore(index: LogIndex, snapshotTerm: Term): void {
    if (!(index > this.committed)) fail(`snapshot at ${index} is not beyond commit ${this.committed}`);
    this.entries = [];
    this.snapshotIndexValue = index;
    this.snapshotTermValue = snapshotTerm;
    this.stableLast = logIndex(Math.min(this.stableLast, index - 1));
    this.unstableFrom = logIndex(index + 1);
    this.committed = index;
  }

  /** The node persisted a snapshot at `index`. */
  snapshotStable(index: LogIndex): void {
    if (index === this.snapshotIndexValue && index > this.stableLast) this.stableLast = index;
    if (index > this.applied) this.applied = index;
  }
}
