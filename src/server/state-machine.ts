// What a Raft node replicates into. The node hands it committed entries in log
// order, exactly once per start (a restart replays from the last snapshot),
// and asks it for a snapshot now and then so the log can be released below it.
// Everything here is synchronous and deterministic: the same entries in the
// same order must give the same state and the same results on every member.

import type { ClusterConfig, ConfigChange, Entry } from '../consensus/types.js';

export interface StateMachine<R> {
  /** Applies one committed 'normal' entry and returns what its proposer is told. Must not throw for bad input: return an error result instead. */
  apply(entry: Entry): R;
  /**
   * The request an applied entry answered, for proposals that wait by key
   * (see RaftNode.proposeKeyed). A machine that returns keys must apply a
   * request at most once however often its entry appears in the log (the
   * Idempotent Receiver), because keyed proposals are resent.
   */
  requestKey?(result: R): string | null;
  /** A committed config entry was applied; `config` is the membership now in force. */
  applyConfig?(entry: Entry, change: ConfigChange, config: ClusterConfig): void;
  /** The whole state as bytes, as of the last applied entry. */
  snapshot(): Uint8Array;
  /**
   * The same bytes in pieces, for a big state: the state as of the last
   * applied entry is frozen when this is called (copy on write), and the
   * pieces may be pulled later, one turn at a time, while entries go on
   * being applied. Each piece is the caller's only until it asks for the
   * next (the machine may write the next into the same buffer), so a caller
   * that keeps pieces copies them. A machine without it is snapshotted in one go.
   */
  snapshotChunks?(): Iterator<Uint8Array>;
  /** Replaces the whole state with a snapshot's bytes. */
  restore(data: Uint8Array): void;
}
