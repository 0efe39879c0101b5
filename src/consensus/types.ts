// The contract between the pure Raft core (src/consensus) and the node that
// drives it (src/server). The core never awaits and never touches a disk,
// socket or clock: the node feeds it inputs and carries out the Ready it
// returns, as etcd-io/raft's Ready/Advance loop does.

import type { LogIndex, NodeId, Term } from '../ids.js';
import type { SnapshotData } from './snapshot-data.js';

export type RaftRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** What an entry carries: client data, the leader's no-op at the start of its term, or a membership change. */
export type EntryKind = 'normal' | 'noop' | 'config';

export interface Entry {
  readonly index: LogIndex;
  readonly term: Term;
  readonly kind: EntryKind;
  /** Opaque to Raft for 'normal'; an encoded ConfigChange for 'config'; empty for 'noop'. */
  readonly data: Uint8Array;
}

/** Who votes and who only listens. During a joint change both voter sets must agree. */
export interface ClusterConfig {
  readonly voters: readonly NodeId[];
  /** Non-empty only during a joint-consensus change: the old voter set. */
  readonly outgoingVoters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/**
 * One membership change. `context` is opaque to Raft and travels in the
 * config entry itself, so whatever the application records about the member
 * (its name and addresses, as etcd's member records) commits atomically with
 * the change.
 */
export type ConfigChange = {
  readonly type: 'add-voter' | 'add-learner' | 'promote-learner' | 'remove';
  readonly node: NodeId;
  readonly context?: Uint8Array;
};

/** What must be durable before the node answers anything that depends on it. */
export interface HardState {
  readonly term: Term;
  readonly vote: NodeId | null;
  readonly commit: LogIndex;
}

export interface SnapshotMeta {
  readonly index: LogIndex;
  readonly term: Term;
  readonly config: ClusterConfig;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  /** The state machine's encoded state at meta.index. */
  readonly data: SnapshotData;
}

/** A linearizable read whose read index is now known; serve it once applied >= index. */
export interface ReadState {
  readonly requestId: string;
  readonly index: LogIndex;
}

/** Why a proposal or read was refused at once. */
export type Refusal =
  | { readonly reason: 'not-leader'; readonly leader: NodeId | null }
  | { readonly reason: 'transfer-in-progress' }
  | { readonly reason: 'config-change-in-progress' }
  | { readonly reason: 'too-many-pending' }
  | { readonly reason: 'invalid'; readonly detail: string };

/** A message for a peer. RaftMessage itself is defined by the core (src/consensus/messages.ts). */
export interface Outbound<M> {
  readonly to: NodeId;
  readonly message: M;
}

/**
 * The work the core hands the node. The node carries it out in this order:
 * 1. send `messages` (safe before persistence: e.g. the leader's appends);
 * 2. persist `snapshot`, then `entries` (if entries[0].index is at or below the
 *    last stored index, first truncate the stored suffix from there), then
 *    `hardState`, and wait until all of it is durable;
 * 3. send `messagesAfterPersist` (votes, append acknowledgements);
 * 4. restore the state machine from `snapshot` if any, then apply `committed`
 *    in order, then serve `readStates` once applied >= their index. When the
 *    Ready holds no snapshot, this step may run before step 2 completes:
 *    committed entries are durable on a majority already;
 * 5. call advance(ready). Until then takeReady() is not called again; step,
 *    tick and propose may be.
 */
export interface Ready<M> {
  readonly hardState: HardState | null;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | null;
  readonly messages: readonly Outbound<M>[];
  readonly messagesAfterPersist: readonly Outbound<M>[];
  readonly committed: readonly Entry[];
  readonly readStates: readonly ReadState[];
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly role: RaftRole;
  readonly term: Term;
  readonly vote: NodeId | null;
  readonly leader: NodeId | null;
  readonly commitIndex: LogIndex;
  readonly appliedIndex: LogIndex;
  /** Index of the first entry still held; entries below were released by a snapshot (the low-water mark). */
  readonly firstIndex: LogIndex;
  readonly lastIndex: LogIndex;
  readonly config: ClusterConfig;
}

/** What a node reads from its disk at start to rebuild the core. */
export interface RestoredState {
  readonly hardState: HardState;
  readonly snapshot: SnapshotMeta | null;
  /** Entries after the snapshot, in order and contiguous. */
  readonly entries: readonly Entry[];
  /** The snapshot's data, so a leader can send it to followers behind its first index (otherwise: call snapshotTaken again after restart). */
  readonly snapshotData?: SnapshotData;
}

/** Where a proposal landed; the node waits for the entry at `index` to apply with this `term`. */
export interface Placement {
  readonly index: LogIndex;
  readonly term: Term;
}

/**
 * The core's inputs and outputs. src/consensus/raft-core.ts implements it;
 * src/server drives it from its singular update queue.
 */
export interface RaftCoreApi<M> {
  /** One logical clock tick; election and heartbeat timeouts are counted in ticks. */
  tick(): void;
  step(from: NodeId, message: M): void;
  propose(data: Uint8Array): Placement | Refusal;
  /**
   * On a follower: sends the data to the leader, which proposes it as its own
   * (fire and forget: the message may be lost, and the leader may drop it;
   * the node learns the outcome by seeing the entry apply, so the data must
   * identify its request). Refused when no leader is known or this node leads.
   */
  forward(data: Uint8Array): Refusal | null;
  proposeConfigChange(change: ConfigChange): Placement | Refusal;
  /** Asks for a linearizable read index; the answer arrives as a ReadState in a later Ready (or never, if leadership is lost: the node's deadline fails it). */
  readIndex(requestId: string): Refusal | null;
  transferLeadership(to: NodeId): Refusal | null;
  /** The state machine has a snapshot at `index` (<= applied): entries up to it may be released. Returns the meta to persist with the data. */
  snapshotTaken(index: LogIndex, data: SnapshotData): SnapshotMeta;
  /** The snapshot at `index` is now stored where `data` reads it: the core keeps that in place of the copy it received. */
  snapshotStored(index: LogIndex, data: SnapshotData): void;
  hasReady(): boolean;
  takeReady(): Ready<M>;
  advance(ready: Ready<M>): void;
  status(): RaftStatus;
  /** The status fields the node reads on every event, without building a status object. */
  currentRole(): RaftRole;
  currentTerm(): Term;
  currentLeader(): NodeId | null;
  currentCommitIndex(): LogIndex;
}
