// The core's knobs, each a named limit with its unit, and the planted bugs
// the simulator's swarm must catch.

import type { NodeId } from '../ids.js';
import type { Random } from '../runtime/random.js';

/**
 * Classic Raft mistakes, switched on one at a time in tests to prove the
 * checks would catch them. All default to false; production never sets them.
 */
export interface PlantedBugs {
  /** Grant a vote without checking that the candidate's log is at least as up-to-date. */
  readonly voteWithoutLogCheck?: boolean;
  /** Commit an entry of an earlier term by counting replicas (Raft paper, figure 8). */
  readonly commitPreviousTermByCount?: boolean;
  /** Followers acknowledge appends before persisting them, and the leader counts itself before its entries are durable. */
  readonly ackBeforePersist?: boolean;
  /** Send vote replies before the term and vote are durable. */
  readonly voteBeforePersist?: boolean;
  /** A follower accepts appends from a leader of a lower term. */
  readonly acceptStaleTermAppend?: boolean;
}

export interface RaftOptions {
  readonly id: NodeId;
  /** Seeded: the election timeout is drawn from [electionTicks, 2 * electionTicks). */
  readonly random: Random;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /** Campaign only after a pre-vote round shows a majority would vote for us (a rejoining node cannot disrupt a live leader). */
  readonly preVote?: boolean;
  /** A leader steps down when it has not heard from a majority within an election timeout. */
  readonly checkQuorum?: boolean;
  /** Unacknowledged appends per follower in replicate state (the Request Pipeline window). */
  readonly maxInflightAppends?: number;
  readonly maxEntriesPerAppend?: number;
  readonly maxBytesPerAppend?: number;
  /** Uncommitted entries the leader accepts before refusing proposals. */
  readonly maxPendingProposals?: number;
  /** ReadIndex requests the leader (or a follower, for forwarded ones) holds at once. */
  readonly maxPendingReads?: number;
  readonly snapshotChunkBytes?: number;
  /** Committed entries handed out for applying in one Ready. */
  readonly maxCommittedPerReady?: number;
  /** A learner is promoted only when its log is within this many entries of the leader's (etcd: "learner not ready"). */
  readonly maxLearnerLagEntries?: number;
  readonly bugs?: PlantedBugs;
}

export type ResolvedRaftOptions = Required<Omit<RaftOptions, 'bugs'>> & { readonly bugs: Required<PlantedBugs> };

export const raftDefaults = {
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  maxInflightAppends: 256,
  maxEntriesPerAppend: 1024,
  maxBytesPerAppend: 1024 * 1024,
  maxPendingProposals: 10_000,
  maxPendingReads: 10_000,
  snapshotChunkBytes: 512 * 1024,
  maxCommittedPerReady: 4096,
  maxLearnerLagEntries: 1000,
} as const;

export function resolveOptions(options: RaftOptions): ResolvedRaftOptions {
  const bugs = options.bugs ?? {};
  const resolved: ResolvedRaftOptions = {
    id: options.id,
    random: options.random,
    electionTicks: options.electionTicks ?? raftDefaults.electionTicks,
    heartbeatTicks: options.heartbeatTicks ?? raftDefaults.heartbeatTicks,
    preVote: options.preVote ?? raftDefaults.preVote,
    checkQuorum: options.checkQuorum ?? raftDefaults.checkQuorum,
    maxInflightAppends: options.maxInflightAppends ?? raftDefaults.maxInflightAppends,
    maxEntriesPerAppend: options.maxEntriesPerAppend ?? raftDefaults.maxEntriesPerAppend,
    maxBytesPerAppend: options.maxBytesPerAppend ?? raftDefaults.maxBytesPerAppend,
    maxPendingProposals: options.maxPendingProposals ?? raftDefaults.maxPendingProposals,
    maxPendingReads: options.maxPendingReads ?? raftDefaults.maxPendingReads,
    snapshotChunkBytes: options.snapshotChunkBytes ?? raftDefaults.snapshotChunkBytes,
    maxCommittedPerReady: options.maxCommittedPerReady ?? raftDefaults.maxCommittedPerReady,
    maxLearnerLagEntries: options.maxLearnerLagEntries ?? raftDefaults.maxLearnerLagEntries,
    bugs: {
      voteWithoutLogCheck: bugs.voteWithoutLogCheck ?? false,
      commitPreviousTermByCount: bugs.commitPreviousTermByCount ?? false,
      ackBeforePersist: bugs.ackBeforePersist ?? false,
      voteBeforePersist: bugs.voteBeforePersist ?? false,
      acceptStaleTermAppend: bugs.acceptStaleTermAppend ?? false,
    },
  };
  const positive = ['electionTicks', 'heartbeatTicks', 'maxInflightAppends', 'maxEntriesPerAppend', 'maxBytesPerAppend',
    'maxPendingProposals', 'maxPendingReads', 'snapshotChunkBytes', 'maxCommittedPerReady'] as const;
  for (const name of positive) {
    const value = resolved[name];
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`raft option ${name} must be a positive integer, got ${value}`);
  }
  if (resolved.heartbeatTicks >= resolved.electionTicks) {
    throw new RangeError(`heartbeatTicks (${resolved.heartbeatTicks}) must be below electionTicks (${resolved.electionTicks}), or followers time out between heartbeats`);
  }
  return resolved;
}
