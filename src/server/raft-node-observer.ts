// What a Raft node reports to whoever watches it (the simulator's safety
// monitor, a test), at the moments that matter to Raft's guarantees.

import type { LogIndex, NodeId, Term } from '../ids.js';
import type { Entry, RestoredState } from '../consensus/types.js';
import type { PersistWork } from './raft-persistence.js';

/** Every callback is optional and runs inside the node's update queue, so it must not call back into the node. */
export interface RaftNodeObserver {
  /** The node read this state from its disk and is about to start from it. */
  recovered?(node: NodeId, restored: RestoredState): void;
  /** This work is now durable. */
  persisted?(node: NodeId, work: PersistWork): void;
  /** The entry was applied to this node's state machine. */
  applied?(node: NodeId, entry: Entry): void;
  /** The node noticed it leads in `term` (once per term), with the commit index it inherited. */
  leading?(node: NodeId, term: Term, commitIndex: LogIndex): void;
  /** The node's own snapshot at `index` is durable and its log may be released below it. */
  snapshotTaken?(node: NodeId, index: LogIndex): void;
  /** As leader of `term`, the node moved its commit index to `commitIndex`. */
  committing?(node: NodeId, term: Term, commitIndex: LogIndex): void;
  /** The node, in `term`, now takes `leader` for the leader (once per change). */
  following?(node: NodeId, leader: NodeId, term: Term): void;
}

/** One observer that tells every one of `observers` (read at each call, so observers added later hear from then on). */
export function fanOut(observers: readonly RaftNodeObserver[]): RaftNodeObserver {
  return {
    recovered: (node, restored) => observers.forEach((each) => each.recovered?.(node, restored)),
    persisted: (node, work) => observers.forEach((each) => each.persisted?.(node, work)),
    applied: (node, entry) => observers.forEach((each) => each.applied?.(node, entry)),
    leading: (node, leaderTerm, commitIndex) => observers.forEach((each) => each.leading?.(node, leaderTerm, commitIndex)),
    committing: (node, leaderTerm, commitIndex) => observers.forEach((each) => each.committing?.(node, leaderTerm, commitIndex)),
    snapshotTaken: (node, index) => observers.forEach((each) => each.snapshotTaken?.(node, index)),
    following: (node, leader, leaderTerm) => observers.forEach((each) => each.following?.(node, leader, leaderTerm)),
  };
}
