// Follower Reads: any member serves reads from its own applied state.
// A serializable read answers at once with what this member has applied,
// possibly behind the leader. A linearizable read first learns the leader's
// commit index through ReadIndex (a follower asks the leader, which confirms
// its leadership with a heartbeat round), then waits until this member has
// applied that far: the answer reflects every write acknowledged before the
// read began, while the leader sends no data and does no work but the round.

import type { Completion } from './client-errors.js';
import type { CoreMachine, CoreResult } from './core-machine.js';
import type { RaftMessage } from '../consensus/messages.js';
import type { RaftNode } from './raft-node.js';

export type ReadConsistency = 'serializable' | 'linearizable';

export class FollowerReads {
  constructor(
    private readonly raft: RaftNode<RaftMessage, CoreResult, CoreMachine>,
    /** A planted bug for the fault tests: skip ReadIndex and serve "linearizable" reads from local state. */
    private readonly unsafeStaleReads: boolean,
  ) {}

  read<T>(consistency: ReadConsistency, timeoutMs: number, read: (machine: CoreMachine) => T, done: Completion<T>): void {
    if (consistency === 'serializable' || this.unsafeStaleReads) this.raft.readSerializable(read, done);
    else this.raft.readLinearizable(read, { timeoutMs }, done);
  }
}
