// Which keys each revision changed, in sub-revision order. Watchers that fall
// behind replay history from here revision by revision, as etcd's unsynced
// watchers read its revision-ordered backend. Only references to the key
// strings the tree already holds are kept, in fixed-size chunks so that
// compaction releases whole chunks.

import { fail } from '../assert.js';
import type { KeyString } from './key-bytes.js';

const revisionsPerChunk = 4096;

interface Chunk {
  readonly firstRev: number;
  /** starts[i]: offset in keys of revision firstRev + i. */
  readonly starts: number[];
  /** undefined for a change compaction dropped (at the compaction revision only). */
  readonly keys: (KeyString | undefined)[];
}

export class RevisionLog {
  private chunks: Chunk[] = [];

  /** The oldest revision still logged, or null when empty. */
  get firstRevision(): number | null {
    return this.chunks.length === 0 ? null : this.chunks[0]!.firstRev;
  }

  get lastRevision(): number | null {
    const last = this.chunks[this.chunks.length - 1];
    return last === undefined ? null : last.firstRev + last.starts.length - 1;
  }

  append(rev: number, keys: readonly (KeyString | undefined)[]): void {
    const last = this.lastRevision;
    if (!(last === null || rev === last + 1)) fail(`revision log must grow by one: ${last} then ${rev}`);
    let chunk = this.chunks[this.chunks.length - 1];
    if (chunk === undefined || chunk.starts.length === revisionsPerChunk) {
      chunk = { firstRev: rev, starts: [], keys: [] };
      this.chunks.push(chunk);
    }
    chunk.starts.push(chunk.keys.length);
    for (const key of keys) chunk.keys.push(key);
  }

  /** Keys changed by rev, in sub-revision order (undefined where a restored compaction revision lost a change); null if rev is not logged. */
  keysAt(rev: number): readonly (KeyString | undefined)[] | null {
    const first = this.firstRevision;
    const last = this.lastRevision;
    if (first === null || last === null || rev < first || rev > last) return null;
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.chunks[mid]!.firstRev <= rev) lo = mid;
      else hi = mid - 1;
    }
    const chunk = this.chunks[lo]!;
    const i = rev - chunk.firstRev;
    const end = i + 1 < chunk.starts.length ? chunk.starts[i + 1]! : chunk.keys.length;
    return chunk.keys.slice(chunk.starts[i]!, end);
  }

  /** Forgets whole chunks that lie entirely below rev. */
  releaseBelow(rev: number): void {
    while (this.chunks.length > 1) {
      const chunk = this.chunks[0]!;
      if (chunk.firstRev + chunk.starts.length - 1 >= rev) break;
      this.chunks.shift();
    }
  }
}

/**
 * Rebuilds a log from histories met in key order (snapshot restore): places
 * each retained change by revision and sub-revision, then checks that every
 * revision's sub-revisions are dense, so watchers never replay a hole. The
 * compaction revision is the exception: compaction keeps only each key's
 * last change of it, so its earlier sub-revisions may be gone.
 */
export class RevisionLogBuilder {
  // Most revisions change one key: keep that key itself, and an array only for txns.
  private readonly slots: (KeyString | KeyString[] | undefined)[];

  constructor(
    private readonly firstRev: number,
    lastRev: number,
    /** Whether firstRev is the compaction revision, whose sub-revisions may have holes. */
    private readonly firstIsCompacted = false,
  ) {
    this.slots = new Array<KeyString | KeyString[] | undefined>(lastRev - firstRev + 1);
  }

  place(rev: number, sub: number, key: KeyString): void {
    const i = rev - this.firstRev;
    const slot = this.slots[i];
    if (slot === undefined && sub === 0) {
      this.slots[i] = key;
      return;
    }
    const keys = Array.isArray(slot) ? slot : slot === undefined ? [] : [slot];
    keys[sub] = key;
    this.slots[i] = keys;
  }

  /** Throws RangeError if a revision above the compaction lacks a sub-revision. */
  build(): RevisionLog {
    const log = new RevisionLog();
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i];
      const keys = slot === undefined ? [] : Array.isArray(slot) ? slot : [slot];
      const holesAllowed = i === 0 && this.firstIsCompacted;
      for (let sub = 0; sub < keys.length && !holesAllowed; sub++) {
        if (keys[sub] === undefined) throw new RangeError(`revision ${this.firstRev + i} lacks sub-revision ${sub}`);
      }
      log.append(this.firstRev + i, keys);
    }
    return log;
  }
}
