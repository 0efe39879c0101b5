// Majority Quorum. A decision (a commit, an election, a read's leadership
// check) stands only when a majority of the voters agree, because any two
// majorities of the same set share at least one member: that member carries
// the decision into every later quorum. During a joint change (old and new
// voter sets, Raft's joint consensus) a decision needs a majority of each.

import type { NodeId } from '../ids.js';

/** How many of `voterCount` voters make a majority. */
export function majoritySize(voterCount: number): number {
  return (voterCount >> 1) + 1;
}

/**
 * The highest index that a majority of `voters` hold, given each voter's
 * acknowledged index. `scratch` is reused between calls so that computing the
 * commit index on every acknowledgement allocates nothing.
 */
export function majorityIndex(
  voters: readonly NodeId[],
  acknowledged: (voter: NodeId) => number,
  scratch: number[],
): number {
  const count = voters.length;
  // An empty voter set agrees to anything; it only occurs as the missing half of a non-joint config.
  if (count === 0) return Number.MAX_SAFE_INTEGER;
  scratch.length = count;
  for (let i = 0; i < count; i++) scratch[i] = acknowledged(voters[i]!);
  // Insertion sort, descending: voter sets have 1 to 7 members.
  for (let i = 1; i < count; i++) {
    const value = scratch[i]!;
    let j = i - 1;
    while (j >= 0 && scratch[j]! < value) {
      scratch[j + 1] = scratch[j]!;
      j--;
    }
    scratch[j + 1] = value;
  }
  return scratch[majoritySize(count) - 1]!;
}

/** The index a joint configuration has committed: both halves must agree, so the lower one. */
export function jointMajorityIndex(
  incoming: readonly NodeId[],
  outgoing: readonly NodeId[],
  acknowledged: (voter: NodeId) => number,
  scratch: number[],
): number {
  const incomingIndex = majorityIndex(incoming, acknowledged, scratch);
  const outgoingIndex = majorityIndex(outgoing, acknowledged, scratch);
  return Math.min(incomingIndex, outgoingIndex);
}

export type VoteOutcome = 'won' | 'lost' | 'pending';

/** The outcome of a vote in one voter set: won with a majority of grants, lost once a majority can no longer be reached. */
export function voteOutcome(voters: readonly NodeId[], vote: (voter: NodeId) => boolean | undefined): VoteOutcome {
  if (voters.length === 0) return 'won';
  let granted = 0;
  let missing = 0;
  for (const voter of voters) {
    const answer = vote(voter);
    if (answer === true) granted++;
    else if (answer === undefined) missing++;
  }
  const needed = majoritySize(voters.length);
  if (granted >= needed) return 'won';
  if (granted + missing >= needed) return 'pending';
  return 'lost';
}

/** A joint vote is won when both halves are won, and lost when either is lost. */
export function jointVoteOutcome(
  incoming: readonly NodeId[],
  outgoing: readonly NodeId[],
  vote: (voter: NodeId) => boolean | undefined,
): VoteOutcome {
  const a = voteOutcome(incoming, vote);
  const b = voteOutcome(outgoing, vote);
  if (a === 'lost' || b === 'lost') return 'lost';
  if (a === 'won' && b === 'won') return 'won';
  return 'pending';
}
