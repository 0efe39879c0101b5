// Raft's safety properties (Figure 3 of the Raft paper), checked across the
// whole simulated cluster as events happen, from what every node reports
// through its RaftNodeObserver. The monitor sees all nodes at once, which no
// node can, so it catches a broken guarantee at the moment it breaks:
//
// - Election Safety: at most one leader per term, over the whole run, and a
//   follower names as its leader only the one leader of its current term.
// - Log Matching: two durable logs holding an entry with the same index and
//   term hold the same entry there, after the same previous term. By
//   induction that makes the logs identical up to that index.
// - Leader Completeness: when a leader first writes an entry of its term, its
//   durable log already holds every entry applied anywhere below it.
// - State Machine Safety: no two nodes apply different entries at one index.

import type { LogIndex, NodeId, Term } from '../../ids.js';
import type { Entry, RestoredState } from '../../consensus/types.js';
import type { PersistWork } from '../../server/raft-persistence.js';
import type { RaftNodeObserver } from '../../server/raft-node.js';

export type SafetyProperty =
  | 'election-safety' | 'log-matching' | 'leader-completeness' | 'state-machine-safety' | 'durability' | 'liveness' | 'linearizability' | 'node-failure'
  // The consistent core's swarm adds the key-value store's promises.
  | 'watch' | 'lease' | 'serializable-read' | 'kv-hash';

export interface SafetyViolation {
  readonly property: SafetyProperty;
  readonly atMs: number;
  readonly detail: string;
}

/** What a node's durable log holds, as far as the checks need it. */
class LogMirror {
  snapshotIndex = 0;
  snapshotTerm = 0;
  /** terms[i] and hashes[i] describe the entry at index snapshotIndex + 1 + i. */
  terms: number[] = [];
  hashes: number[] = [];

  termAt(index: number): number {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    const offset = index - this.snapshotIndex - 1;
    return offset >= 0 && offset < this.terms.length ? this.terms[offset]! : -1;
  }

  hashAt(index: number): number | undefined {
    const offset = index - this.snapshotIndex - 1;
    return offset >= 0 && offset < this.hashes.length ? this.hashes[offset] : undefined;
  }

  lastIndex(): number {
    return this.snapshotIndex + this.terms.length;
  }

  reset(snapshotIndex: number, snapshotTerm: number): void {
    // A follower keeps entries after the snapshot when they agree with it; the storage may do the same.
    const keepFrom = snapshotIndex + 1;
    if (this.termAt(snapshotIndex) === snapshotTerm && snapshotIndex >= this.snapshotIndex) {
      const drop = snapshotIndex - this.snapshotIndex;
      this.terms = this.terms.slice(drop);
      this.hashes = this.hashes.slice(drop);
    } else {
      this.terms = [];
      this.hashes = [];
    }
    this.snapshotIndex = keepFrom - 1;
    this.snapshotTerm = snapshotTerm;
  }

  /** Writes an entry, dropping any suffix from its index on. */
  put(index: number, entryTerm: number, hash: number): void {
    const offset = index - this.snapshotIndex - 1;
    if (offset < 0) return;
    if (offset < this.terms.length) {
      this.terms.length = offset;
      this.hashes.length = offset;
    }
    if (offset === this.terms.length) {
      this.terms.push(entryTerm);
      this.hashes.push(hash);
    }
  }
}

interface EntryRecord {
  readonly hash: number;
  readonly previousTerm: number;
  readonly node: NodeId;
}

export class SafetyMonitor {
  private readonly violationsFound: SafetyViolation[] = [];
  private readonly leaders = new Map<number, NodeId>();
  private readonly logs = new Map<NodeId, LogMirror>();
  /** (index, term) -> the entry as the first node to hold it had it. */
  private readonly entries = new Map<string, EntryRecord>();
  /** index -> hash of the entry applied there, by whoever applied it first. */
  private readonly applied: number[] = [];
  private readonly appliedBy: NodeId[] = [];
  /** term -> the highest index applied anywhere when its leader was elected; removed once checked. */
  private readonly appliedAtElection = new Map<number, number>();
  /** index -> the term of the leader that first committed it, up to committedUpTo. */
  private readonly commitTerms: number[] = [];
  private committedUpTo = 0;
  /** term -> the commit index its leader inherited when elected. */
  private readonly commitAtElection = new Map<number, number>();
  private elections = 0;

  constructor(
    private readonly nowMs: () => number,
    /** Stop collecting after this many violations: one is enough to fail a seed. */
    private readonly maxViolations = 16,
  ) {}

  get violations(): readonly SafetyViolation[] {
    return this.violationsFound;
  }

  get leadersElected(): number {
    return this.elections;
  }

  /** The highest index applied anywhere. */
  get appliedIndex(): number {
    return this.applied.length - 1;
  }

  /** Hash of the entry applied at `index` anywhere, if any node applied it. */
  appliedHash(index: number): number | undefined {
    return this.applied[index];
  }

  /** The node's durable log as the monitor saw it written: (index, term) pairs after its snapshot. */
  durableLog(node: NodeId): { readonly snapshotIndex: number; readonly snapshotTerm: number; readonly entries: readonly { index: number; term: number }[] } {
    const mirror = this.mirror(node);
    const entries = mirror.terms.map((entryTerm, offset) => ({ index: mirror.snapshotIndex + 1 + offset, term: entryTerm }));
    return { snapshotIndex: mirror.snapshotIndex, snapshotTerm: mirror.snapshotTerm, entries };
  }

  report(property: SafetyProperty, detail: string): void {
    if (this.violationsFound.length < this.maxViolations) this.violationsFound.push({ property, atMs: this.nowMs(), detail });
  }

  observer(): RaftNodeObserver {
    return {
      recovered: (node, restored) => this.recovered(node, restored),
      persisted: (node, work) => this.persisted(node, work),
      applied: (node, entry) => this.entryApplied(node, entry),
      leading: (node, leaderTerm, commitIndex) => this.leading(node, leaderTerm, commitIndex),
      committing: (node, leaderTerm, commitIndex) => this.committing(node, leaderTerm, commitIndex),
      following: (node, leader, leaderTerm) => this.following(node, leader, leaderTerm),
    };
  }

  private mirror(node: NodeId): LogMirror {
    let mirror = this.logs.get(node);
    if (mirror === undefined) this.logs.set(node, (mirror = new LogMirror()));
    return mirror;
  }

  private recovered(node: NodeId, restored: RestoredState): void {
    const mirror = new LogMirror();
    if (restored.snapshot !== null) mirror.reset(restored.snapshot.index, restored.snapshot.term);
    this.logs.set(node, mirror);
    for (const entry of restored.entries) this.written(node, mirror, entry);
  }

  private persisted(node: NodeId, work: PersistWork): void {
    const mirror = this.mirror(node);
    if (work.snapshot !== null) mirror.reset(work.snapshot.meta.index, work.snapshot.meta.term);
    for (const entry of work.entries) this.written(node, mirror, entry);
  }

  private written(node: NodeId, mirror: LogMirror, entry: Entry): void {
    const index = entry.index as number;
    const hash = entryHash(entry);
    const previousTerm = mirror.termAt(index - 1);
    mirror.put(index, entry.term, hash);
    if (previousTerm === -1) return;
    const key = `${index}:${entry.term}`;
    const seen = this.entries.get(key);
    if (seen === undefined) {
      this.entries.set(key, { hash, previousTerm, node });
    } else if (seen.hash !== hash || seen.previousTerm !== previousTerm) {
      this.report('log-matching', `${node} and ${seen.node} both hold an entry at index ${index} term ${entry.term}, but ` +
        (seen.hash !== hash ? 'with different contents' : `after different terms (${previousTerm} vs ${seen.previousTerm})`));
    }
    this.checkLeaderCompleteness(node, mirror, entry);
  }

  // The first entry a leader writes in its term is its no-op, appended right
  // after the election: everything committed before must already be below it.
  private checkLeaderCompleteness(node: NodeId, mirror: LogMirror, entry: Entry): void {
    const appliedBefore = this.appliedAtElection.get(entry.term);
    if (appliedBefore === undefined || this.leaders.get(entry.term) !== node) return;
    this.appliedAtElection.delete(entry.term);
    // Only what was applied before the election counts: a later leader may legitimately overwrite the rest.
    // An entry committed beyond the end of the leader's log is missing from it as surely as a different one.
    // The guarantee covers entries committed in earlier terms. A leader the
    // monitor sees late (its votes waited out a pause) may meet entries a
    // later term committed meanwhile, and owes them nothing.
    for (let index = mirror.snapshotIndex + 1; index <= appliedBefore; index++) {
      const committed = this.applied[index];
      const commitTerm = this.commitTerms[index];
      if (committed === undefined || commitTerm === undefined || commitTerm >= entry.term) continue;
      if (mirror.hashAt(index) !== committed) {
        this.report('leader-completeness', `${node} leads term ${entry.term} without the entry ${this.appliedBy[index]} applied at index ${index}`);
        return;
      }
    }
  }

  private entryApplied(node: NodeId, entry: Entry): void {
    const index = entry.index as number;
    const hash = entryHash(entry);
    const seen = this.applied[index];
    if (seen === undefined) {
      this.applied[index] = hash;
      this.appliedBy[index] = node;
    } else if (seen !== hash) {
      this.report('state-machine-safety', `${node} applied a different entry at index ${index} (term ${entry.term}) than ${this.appliedBy[index]} did`);
    }
  }

  // A node learns of a leader only from that leader's own messages in the
  // node's current term, so the leader it names must be the one who led it.
  private following(node: NodeId, leader: NodeId, leaderTerm: Term): void {
    const actual = this.leaders.get(leaderTerm);
    if (actual !== leader) {
      this.report('election-safety', `${node} follows ${leader} in term ${leaderTerm}, but ${actual === undefined ? 'nobody' : actual} led that term`);
    }
  }

  // The commit rule (Raft §5.4.2, the paper's figure 8): a leader moves its
  // commit index only to an entry of its own term; older entries commit with
  // it. Counting replicas of an older entry can commit what a later leader
  // overwrites.
  private committing(node: NodeId, leaderTerm: Term, commitIndex: LogIndex): void {
    for (let index = this.committedUpTo + 1; index <= commitIndex; index++) this.commitTerms[index] = leaderTerm;
    this.committedUpTo = Math.max(this.committedUpTo, commitIndex);
    const inherited = this.commitAtElection.get(leaderTerm);
    if (inherited === undefined || commitIndex <= inherited) return;
    const committedTerm = this.mirror(node).termAt(commitIndex);
    if (committedTerm !== -1 && committedTerm !== leaderTerm) {
      this.report('leader-completeness', `${node}, leader of term ${leaderTerm}, committed index ${commitIndex} of term ${committedTerm} by counting replicas`);
    }
  }

  private leading(node: NodeId, leaderTerm: Term, commitIndex: LogIndex): void {
    const existing = this.leaders.get(leaderTerm);
    if (existing === undefined) {
      this.commitAtElection.set(leaderTerm, commitIndex);
      this.leaders.set(leaderTerm, node);
      this.appliedAtElection.set(leaderTerm, this.applied.length - 1);
      this.elections++;
    } else if (existing !== node) {
      this.report('election-safety', `${node} and ${existing} both led term ${leaderTerm}`);
    }
  }
}

/** FNV-1a over the entry's term, kind and data. */
export function entryHash(entry: Entry): number {
  let hash = 0x811c9dc5 ^ entry.term;
  hash = Math.imul(hash, 0x01000193) ^ (entry.kind === 'normal' ? 1 : entry.kind === 'noop' ? 2 : 3);
  hash = Math.imul(hash, 0x01000193);
  const data = entry.data;
  for (let i = 0; i < data.length; i++) {
    hash ^= data[i]!;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
